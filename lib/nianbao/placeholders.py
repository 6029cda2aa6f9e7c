"""Placeholders in narrative text: ``{{ table3.new.total }}``, ``{{ fact.website_items }}``,
``{{ change(table3.new.total) }}`` — rendered in a Jinja sandbox.

The sandbox sees only the objects built here: figures wrapped as :class:`Figure`, the tables by key
(``table2``…, also ``表二``…), ``fact``, ``unit``, ``year``, ``prior`` and a few helpers. No
underscore attribute, import, global function or Python internals are reachable; an unknown name or
row is an error naming the file and line.

A missing cell (blank, ``~``, "/" …) is :class:`Missing`, and so is everything computed from it: it
never prints as a number and never counts as 0 (``{% if x is missing %}`` lets text say 未填报).
"""
from __future__ import annotations

import difflib
import operator
import traceback
from dataclasses import dataclass
from decimal import Decimal

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import narrative_bounds as bounds
from . import numbers_cn
from .errors import InputError
from .figures import Figures
from .form import Table
from .totals import decompositions

TEMPLATE_NAME = "<narrative>"


class PlaceholderError(Exception):
    """An unknown figure name inside a placeholder (raised through the template, located by line)."""


@dataclass(frozen=True)
class Figure:
    """One figure as the narrative sees it; prints as the number (with 余 for approximate facts)."""

    SANDBOX_PUBLIC = frozenset({"value", "unit", "approx", "with_unit"})
    SANDBOX_PRINTABLE = True  # prints as its number (narrative_bounds.printable)

    value: int | Decimal
    ref: str  # where it comes from, for messages: 表三「一、…」列「…」 / facts.website_items
    key: tuple  # ("table3", "new", "total") or ("fact", "website_items")
    unit: str = ""
    approx: bool = False

    def __str__(self) -> str:
        return numbers_cn.plain(self.value) + ("余" if self.approx else "")

    # arithmetic gives plain numbers, so sums and differences print as numbers
    def _num(self, other):
        return other.value if isinstance(other, Figure) else other

    def __add__(self, other):
        return self.value + self._num(other)

    __radd__ = __add__

    def __sub__(self, other):
        return self.value - self._num(other)

    def __rsub__(self, other):
        return self._num(other) - self.value

    def __eq__(self, other):
        return self.value == self._num(other)

    def __lt__(self, other):
        return self.value < self._num(other)

    def __le__(self, other):
        return self.value <= self._num(other)

    def __gt__(self, other):
        return self.value > self._num(other)

    def __ge__(self, other):
        return self.value >= self._num(other)

    def __hash__(self):
        return hash(self.key)

    def __bool__(self):
        return bool(self.value)

    @property
    def with_unit(self) -> str:
        return f"{self}{self.unit}"


class Missing:
    """A figure the report does not give — a cell left blank, ``~``, "/" … — or anything computed from
    one (a sum, a difference, a share, a change, cn() or wan() of it).

    It never prints and never compares: printing it or testing it (``{% if %}``, ``==``, ``<``) is an
    error naming the missing cells, located at the line of the narrative. Sentences that know how to
    say "not reported" ask ``is missing`` (Jinja test) or :func:`is_missing` and word it themselves, so
    no missing cell ever turns into a computed 0.
    """

    SANDBOX_PUBLIC = frozenset({"value", "unit", "with_unit"})
    SANDBOX_PRINTABLE = True  # reaches str(), which refuses with the missing cells named
    __slots__ = ("refs", "key", "unit")

    def __init__(self, refs: tuple[str, ...], key: tuple | None = None, unit: str = ""):
        self.refs = tuple(dict.fromkeys(refs))  # each missing cell once, in order
        self.key = key  # the cell's or fact's key when this is one of them
        self.unit = unit

    @classmethod
    def of(cls, *xs) -> "Missing":
        """The missing value computed from ``xs``: every missing cell among them."""
        return cls(tuple(r for x in xs if isinstance(x, Missing) for r in x.refs))

    @property
    def value(self) -> "Missing":
        return self

    @property
    def with_unit(self) -> "Missing":
        return self

    def describe(self) -> str:
        shown = "、".join(self.refs[:3]) + (f"等 {len(self.refs)} 个单元格" if len(self.refs) > 3 else "")
        return shown

    def _refuse(self, doing: str):
        raise PlaceholderError(
            f"{self.describe()}未填报，{doing}。请先在数据文件中填写；确实未统计的，"
            f"可用 {{% if … is missing %}}…{{% else %}}…{{% endif %}} 另写一句说明未填报。")

    def __str__(self):
        self._refuse("叙述中不能引用它，也不能引用由它算出的数字")

    def __bool__(self):
        self._refuse("无法据此判断（不能当作 0）")

    def _cmp(self, other):
        self._refuse("不能与其他数字比较")

    __lt__ = __le__ = __gt__ = __ge__ = _cmp

    def __eq__(self, other):
        if other is self:
            return True
        if isinstance(other, (int, Decimal, Figure, Missing)) and not isinstance(other, bool):
            self._refuse("不能与其他数字比较")
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        return id(self)

    def _arith(self, other=None):
        return Missing.of(self, other)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _arith
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _arith

    def __neg__(self):
        return self

    __pos__ = __abs__ = __neg__

    def __repr__(self) -> str:
        return f"Missing({', '.join(self.refs)})"


class Count(int):
    """The number of one count cell, as the narrative's ``.value`` gives it. A cell the form declares
    a total (:mod:`nianbao.totals`) knows its parts: ``total − part`` is the sum of the other parts, so
    it is :class:`Missing` — never 0 — when any of those cells is missing. Otherwise a plain int."""

    def __new__(cls, value: int, key: tuple, parts: tuple = (), lookup=None):
        obj = super().__new__(cls, value)
        obj.key, obj._parts, obj._lookup = key, parts, lookup
        return obj

    def __sub__(self, other):
        key = getattr(other, "key", None)
        if key is not None and self._parts and not isinstance(other, Missing):
            for parts in self._parts:
                if key in parts:
                    lacking = [self._lookup(p) for p in parts if p != key]
                    refs = tuple(ref for value, ref in lacking if value is None)
                    if refs:
                        return Missing(refs)
                    break
        return int.__sub__(self, other)


def is_missing(x) -> bool:
    return isinstance(x, Missing)


def add(*xs):
    """Sum of figures; missing when any of them is (never a sum that treats a missing cell as 0)."""
    if any(isinstance(x, Missing) for x in xs):
        return Missing.of(*xs)
    return sum((_val(x) for x in xs), start=0)


def _missing_safe(fn):
    """``fn`` over figures; a missing argument gives a missing result instead of a number."""
    def wrapped(*xs):
        if any(isinstance(x, Missing) for x in xs):
            return Missing.of(*xs)
        return fn(*(_val(x) for x in xs))
    return wrapped


def _unknown(kind: str, name: str, choices) -> PlaceholderError:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.5)
    hint = f"是否应为 {'、'.join(close)}？" if close else f"可用：{'、'.join(list(choices)[:12])}…"
    return PlaceholderError(f"未知的{kind} {name!r}。{hint}")


def _figure(value, ref: str, key: tuple, unit: str = "", approx: bool = False):
    """The narrative's view of one cell or fact: a :class:`Figure`, or :class:`Missing` naming it."""
    if value is None:
        return Missing((ref,), key, unit)
    return Figure(value, ref, key, unit, approx)


class RowView:
    SANDBOX_DYNAMIC = True  # attributes are column keys, resolved by __getattr__
    def __init__(self, table: Table, row, values: dict, totals: dict | None = None):
        self._table, self._row, self._values, self._totals = table, row, values, totals or {}

    def _lookup(self, cell: tuple) -> tuple:
        """(value, ref) of a cell of this table, for :class:`Count`."""
        _, r, c = cell
        row = self._table.row(r)
        return self._values.get((r, c)), f"{self._table.name}「{row.label}」列「{row.column(c).label}」"

    def _sandbox_describe(self) -> str:
        cols = "、".join(c.key for c in self._row.columns)
        return f"{self._table.name}「{self._row.label}」整行，需再写出列（{cols}）"

    def __getattr__(self, name: str) -> Figure:
        if name.startswith("_"):
            raise AttributeError(name)
        cols = {c.key: c for c in self._row.columns}
        if name not in cols:
            raise _unknown(f"{self._table.name}「{self._row.label}」的列", name, cols)
        ref = f"{self._table.name}「{self._row.label}」列「{cols[name].label}」"
        unit = cols[name].amount_unit if cols[name].type == "amount" else "件"
        key = (self._table.key, self._row.key, name)
        value = self._values.get((self._row.key, name))
        if isinstance(value, int) and not isinstance(value, bool):
            value = Count(value, key, self._totals.get(key, ()), self._lookup)
        return _figure(value, ref, key, unit)


class GroupView:
    """Sum over the rows printed under a group label, per column: ``table3.group("（三）…").total``."""

    SANDBOX_DYNAMIC = True

    def __init__(self, table: Table, label: str, values: dict):
        self._table, self._label, self._values = table, label, values

    def _sandbox_describe(self) -> str:
        return f"{self._table.name}分组「{self._label}」，需再写出列，如 .total"

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        rows = self._table.rows_in_group(self._label)
        cols = {c.key: c for c in rows[0].columns}
        if name not in cols:
            raise _unknown(f"{self._table.name}的列", name, cols)
        return add(*(_figure(self._values.get((r.key, name)), f"{self._table.name}「{r.label}」列「{cols[name].label}」",
                             (self._table.key, r.key, name)) for r in rows))


class TableView:
    SANDBOX_DYNAMIC = True  # row keys, and group()
    def __init__(self, table: Table, values: dict, totals: dict | None = None):
        self._table, self._values, self._totals = table, values, totals

    def _sandbox_describe(self) -> str:
        return f"{self._table.name}整张表，需再写出行和列，如 {self._table.key}.{self._table.rows[0].key}.…"

    def __getattr__(self, name: str) -> RowView:
        if name.startswith("_"):
            raise AttributeError(name)
        rows = {r.key: r for r in self._table.rows}
        if name not in rows:
            raise _unknown(f"{self._table.name}的行", name, rows)
        return RowView(self._table, rows[name], self._values, self._totals)

    def group(self, label: str) -> GroupView:
        try:
            self._table.rows_in_group(label)
        except KeyError:
            groups = sorted({g for r in self._table.rows for g in r.groups})
            raise _unknown(f"{self._table.name}的分组", label, groups) from None
        return GroupView(self._table, label, self._values)


class FactsView:
    SANDBOX_DYNAMIC = True  # fact keys, and has()
    def __init__(self, figures: Figures):
        self._facts = figures.facts

    def _sandbox_describe(self) -> str:
        return "全部叙述数字（facts），需再写出名称，如 fact.<名称>"

    def __getattr__(self, name: str) -> Figure:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._facts:
            raise _unknown("叙述数字（facts）", name, self._facts)
        f = self._facts[name]
        ref = f"facts.{name}"
        return _figure(f.value, ref, ("fact", name), f.unit, f.approx)

    def has(self, name: str) -> bool:
        return name in self._facts


class YearView:
    """Everything of one year: tables by key and by 表N name, and facts."""

    SANDBOX_DYNAMIC = True

    def _sandbox_describe(self) -> str:
        return f"上年全部数据，需再写出表、行和列，如 prior.{example_key(self._figures.form)}"

    def __init__(self, figures: Figures):
        self._figures = figures
        totals = decompositions(figures.form)
        for t in figures.form.tables:
            view = TableView(t, figures.values[t.key], totals)
            setattr(self, t.key, view)
            setattr(self, t.name, view)
        self.fact = FactsView(figures)
        self.year = figures.year


# Template constructs narrative never needs and that could loop, recurse or reach other files.
FORBIDDEN_NODES = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Import, nodes.FromImport, nodes.Include,
                   nodes.Extends, nodes.FilterBlock, nodes.Block)


def exposed(fn):
    """Mark a function as callable from narrative text."""
    fn.sandbox_callable = True
    return fn


class _Sandbox(ImmutableSandboxedEnvironment):
    """An allow-list sandbox: only the kit's view objects can be looked into, only marked helpers and
    declared methods can be called, arithmetic is on numbers only."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "**", "//", "%"})
    intercepted_unops = frozenset({"-", "+"})
    code_generator_class = bounds.BoundedCodeGenerator

    def __init__(self, **kwargs):
        super().__init__(optimized=False, **kwargs)  # no compile-time folding: every value is checked
        self.nb_concat = bounds.concat
        self.nb_output = bounds.output

    def getattr(self, obj, attribute):
        bounds.tick()
        if isinstance(obj, str):  # str.format and every other method of text: not for narrative
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        bounds.tick()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
        bounds.tick()
        return super().call(__context, __obj, *args, **kwargs)

    def call_unop(self, context, operator_, arg):
        a = _val(arg)
        if isinstance(a, Missing):
            return a
        if not _is_number(a):
            raise SecurityError(f"叙述中的 {operator_} 运算只能用于数字。")
        return bounds.check_number(-a if operator_ == "-" else a)

    def is_safe_attribute(self, obj, attr, value):
        if attr.startswith("_"):
            return False
        kind = type(obj)
        if getattr(kind, "SANDBOX_DYNAMIC", False):
            return True
        return attr in getattr(kind, "SANDBOX_PUBLIC", ())

    def is_safe_callable(self, obj):
        if getattr(obj, "sandbox_callable", False):
            return True
        owner = getattr(obj, "__self__", None)  # a bound method of an object the narrative may use
        name = getattr(obj, "__name__", "")
        return owner is not None and not name.startswith("_") and (
            getattr(type(owner), "SANDBOX_DYNAMIC", False) or name in getattr(type(owner), "SANDBOX_PUBLIC", ()))

    def call_binop(self, context, operator_, left, right):
        if operator_ == "**":
            raise SecurityError("叙述中不支持乘方运算。")
        a, b = _val(left), _val(right)
        if isinstance(a, Missing) or isinstance(b, Missing):
            return Missing.of(a, b)  # computed from a missing cell: missing, never a number
        a, b = bounds.to_number(a), bounds.to_number(b)
        if not (_is_number(a) and _is_number(b)):
            hint = "；连接文字请用 ~" if operator_ == "+" else ""
            raise SecurityError(f"叙述中的 {operator_} 运算只能用于数字{hint}。")
        bounds.check_number(a), bounds.check_number(b)
        if operator_ in ("/", "//", "%") and b == 0:
            raise PlaceholderError(f"占位符无法计算：{operator_} 运算的除数为 0。")
        if operator_ == "/":  # exact decimal quotient, printed at the form's precision
            return bounds.check_number(Decimal(a) / Decimal(b))
        if isinstance(a, Decimal) != isinstance(b, Decimal):
            a, b = Decimal(a), Decimal(b)
        ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod}
        result = ops[operator_](a, b)  # a declared total minus one of its parts may be Missing (Count)
        return result if isinstance(result, Missing) else bounds.check_number(result)


def _val(x):
    return x.value if isinstance(x, Figure) else x


def _is_number(v) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


def _comparable_or_raise(figures, prior, fig) -> None:
    """change() across two format versions compares only cells the newer pack declares comparable."""
    if prior is None or prior.form.id == figures.form.id:
        return
    from .formpack import continuity

    table, row, column = fig.key
    cont = continuity(figures.form, prior.form)
    if cont is None or not cont.comparable(table, row, column):
        why = cont.why_not(table, row) if cont is not None else None
        raise PlaceholderError(f"change({fig.ref})：{figures.year - 1}年的报告使用另一格式（{prior.form.document}），"
                               f"这一格不能与上年逐格比较{'：' + why if why else ''}。请改写这句，不用 change()。")


class Namespace:
    """Builds the sandbox context for one unit-year (and its prior year, when there is one)."""

    SANDBOX_PUBLIC = frozenset({"change"})  # callable from text; nothing of it can be read

    def __init__(self, figures: Figures, unit_name: str, prior: Figures | None = None, helpers: dict | None = None):
        self.current = YearView(figures)
        self.prior = YearView(prior) if prior is not None else None
        self.prior_figures = prior
        self.figures = figures
        self.unit_name = unit_name
        self.helpers = helpers or {}

    def change(self, fig: Figure, unit: str | None = None) -> str:
        if isinstance(fig, Missing):
            return fig  # this year's figure is not reported: neither is its change
        if not isinstance(fig, Figure):
            raise PlaceholderError("change() 需要一个数据项，如 change(table3.new.total)。")
        if self.prior is None:
            raise PlaceholderError(f"change({fig.ref}) 需要上年数据（data/{self.figures.year - 1}/…/figures.yaml），但没有找到。"
                                   "可用 {% if prior %}…{% endif %} 包住这句。")
        if fig.key[0] == "fact":
            prev = getattr(self.prior.fact, fig.key[1])
        else:
            _comparable_or_raise(self.figures, self.prior_figures, fig)
            prev = getattr(getattr(getattr(self.prior, fig.key[0]), fig.key[1]), fig.key[2])
        if isinstance(prev, Missing):  # last year's figure was not reported: no change can be stated
            return Missing(tuple(f"{self.figures.year - 1}年{r}" for r in prev.refs), prev.key, prev.unit)
        return numbers_cn.change(fig.value, prev.value, unit if unit is not None else (fig.unit or "件"))

    def context(self) -> dict:
        ctx = {t: getattr(self.current, t) for t in dir(self.current) if not t.startswith("_") and t not in ("fact", "year")}
        ctx.update({
            "fact": self.current.fact, "facts": self.current.fact,
            "unit": self.unit_name, "year": self.figures.year, "prior_year": self.figures.year - 1,
            "prior": self.prior,
            "total": exposed(add),
            "share": exposed(_missing_safe(lambda part, whole: numbers_cn.percent(part, whole))),
            "change": self.change,
            "cn": exposed(_missing_safe(lambda x: numbers_cn.chinese(int(x)))),
            "wan": exposed(_missing_safe(numbers_cn.wan)),
        })
        ctx.update(self.helpers)
        return ctx


def environment() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals.clear()  # no range(), lipsum, cycler, joiner, namespace, dict
    env.filters.clear()  # no format, attr, map, join …: only number filters
    env.filters.update({
        "cn": _missing_safe(lambda x: numbers_cn.chinese(int(x))),
        "wan": _missing_safe(numbers_cn.wan),
        "abs": _missing_safe(abs),
    })
    env.tests.update({"missing": is_missing, "reported": lambda x: not is_missing(x)})
    return env


_ENV = None


def example_key(form) -> str:
    """A placeholder path for messages, taken from the form: the first cell of its last table."""
    t = form.tables[-1]
    row = t.rows[0]
    return f"{t.key}.{row.key}.{row.columns[-1].key}"


def form_places(form) -> int:
    """Decimal places computed numbers print with: the most any amount column of the form allows."""
    return max((c.decimals for t in form.tables for c in t.columns if c.type == "amount"), default=0)


def render(text: str, context: dict, display: str, first_line: int = 1, *, places: int | None = None) -> str:
    """Render one piece of narrative; errors name ``display:line`` in the source file.

    Bounded (:mod:`nianbao.narrative_bounds`): numbers, text built with ``~``, everything printed and
    the time taken; only numbers and text print, decimals at ``places`` decimals (default: the form's).
    """
    global _ENV
    if _ENV is None:
        _ENV = environment()
    ns = getattr(context.get("change"), "__self__", None)  # the Namespace that built the context
    form = ns.figures.form if isinstance(ns, Namespace) else None
    if places is None:
        places = form_places(form) if form is not None else 4
    example = "{{ " + example_key(form) + " }}" if form is not None else "{{ 表.行.列 }}"
    source = "\n" * (first_line - 1) + text
    try:
        for node in _ENV.parse(source).find_all(FORBIDDEN_NODES):
            raise InputError(f"{display}:{node.lineno}: 叙述中不支持 {{% {type(node).__name__.lower()} %}} 这类语句；"
                             f"只能用 {{{{ … }}}} 引用数据，以及 {{% if %}} 条件。")
        template = _ENV.from_string(source)
        with bounds.budget(places):
            return "".join(template.generate(context))[first_line - 1:]
    except bounds.NotPrintable as exc:
        line = exc.lineno or _template_line(exc)
        where = f"{display}:{line}" if line else display
        if exc.ordinal is None:
            raise InputError(f"{where}: {exc}。请引用到具体的数据项，如 {example}。") from None
        shown = bounds.placeholder_at(source, exc.lineno, exc.ordinal)
        what = f"占位符 {shown} " if shown else "占位符"
        raise InputError(f"{where}: {what}的值不是可以印在报告中的数字或文字（它是{exc}）。"
                         f"请引用到具体的数据项，如 {example}。") from None
    except bounds.NarrativeLimit as exc:
        line = _template_line(exc)
        where = f"{display}:{line}" if line else display
        raise InputError(f"{where}: 超出叙述计算的限制：{exc}") from None
    except TemplateSyntaxError as exc:
        raise InputError(f"{display}:{exc.lineno}: 占位符写法有误（{exc.message}）。占位符形如 {{{{ table3.new.total }}}}。") from None
    except (PlaceholderError, UndefinedError, SecurityError, TypeError, ZeroDivisionError, ValueError) as exc:
        line = _template_line(exc)
        where = f"{display}:{line}" if line else display
        if isinstance(exc, SecurityError):
            msg = f"不允许的占位符（{exc}）。叙述中只能引用数据，不能访问程序内部。"
        elif isinstance(exc, UndefinedError):
            msg = f"未知的占位符（{exc}）。可用的名称：table2、table3、table4（或 表二…）、fact、unit、year、prior。"
        else:
            msg = str(exc)
        raise InputError(f"{where}: {msg}") from None
    except InputError:
        raise
    except Exception as exc:  # anything else a template can provoke (recursion, decimal errors …)
        line = _template_line(exc)
        where = f"{display}:{line}" if line else display
        raise InputError(f"{where}: 占位符无法计算（{type(exc).__name__}: {exc}）。") from None


def _template_line(exc: BaseException) -> int | None:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line
