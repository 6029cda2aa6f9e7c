"""Bounds on what narrative text can compute: no placeholder can run long, grow large or print
Python internals.

The narrative sandbox (:mod:`nianbao.placeholders`) has no loops, macros or includes, so its work is
linear in the text except for repeated doubling: ``{% set a2 = a1 * a1 %}`` squares a number and
``{% set s2 = s1 ~ s1 %}`` doubles a string. Every such step, and every value printed, passes through
this module and is checked against :data:`LIMITS`; what exceeds one fails with the file and line,
the limit and how to write it instead.

Only printable values print: text, whole numbers, decimals (at the form's precision) and the figure
objects the narrative is given. A table, a row, a method or ``None`` is an error naming the
placeholder, never ``<… object at 0x…>`` in a published report.
"""
from __future__ import annotations

import contextvars
import re
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from jinja2 import Undefined
from jinja2.compiler import CodeGenerator


@dataclass(frozen=True)
class Limits:
    number_digits: int = 18  # |x| < 10^18: more than any figure of any unit, far below a slow number
    string_chars: int = 100_000  # one text value built in the narrative (~50 pages of Chinese text)
    output_chars: int = 1_000_000  # everything the placeholders of one part of the narrative print
    render_seconds: float = 10.0  # one part of the narrative (a section or the preface)


LIMITS = Limits()


class NarrativeLimit(Exception):
    """A narrative construct exceeded one of :data:`LIMITS` (raised through the template, located by line)."""


class NotPrintable(Exception):
    """A placeholder's value is not a number or text; ``ordinal`` is its position among the line's placeholders."""

    def __init__(self, message: str, lineno: int | None = None, ordinal: int | None = None):
        super().__init__(message)
        self.lineno, self.ordinal = lineno, ordinal


@dataclass
class _Budget:
    deadline: float
    places: int
    limits: Limits
    printed: int = 0


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("nianbao_narrative_budget", default=None)


class budget:
    """``with budget(places=4): template.render(...)`` — the limits apply to everything inside."""

    def __init__(self, places: int, limits: Limits | None = None):
        limits = limits or LIMITS
        self._budget = _Budget(time.monotonic() + limits.render_seconds, places, limits)

    def __enter__(self):
        self._token = _BUDGET.set(self._budget)
        return self._budget

    def __exit__(self, *exc):
        _BUDGET.reset(self._token)
        return False


def _current() -> _Budget:
    b = _BUDGET.get()
    if b is None:  # rendering outside render(): the default limits still hold
        b = _Budget(time.monotonic() + LIMITS.render_seconds, 4, LIMITS)
        _BUDGET.set(b)
    return b


def tick() -> _Budget:
    """Check the time bound; called on every operation the narrative performs."""
    b = _current()
    if time.monotonic() > b.deadline:
        raise NarrativeLimit(f"叙述计算超过 {b.limits.render_seconds:g} 秒的时间上限而被中止。"
                             "叙述中只应引用数据和做简单计算；请删去反复自乘或拼接的语句。")
    return b


# ---------------------------------------------------------------------------------------------------
# Numbers


def to_number(x):
    """A plain number for arithmetic (int or Decimal); floats written in the text become Decimals."""
    if isinstance(x, float):
        try:
            x = Decimal(repr(x))
        except InvalidOperation:  # pragma: no cover - repr of a float is always a decimal literal
            pass
    return x


def check_number(x):
    """``x`` if it is a finite number of at most :attr:`Limits.number_digits` integer digits."""
    b = tick()
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise NarrativeLimit(f"计算结果 {x} 不是有限的数。")
        if x != 0 and x.adjusted() >= b.limits.number_digits:
            raise NarrativeLimit(f"计算中出现 {x.adjusted() + 1} 位整数的数，超过 {b.limits.number_digits} 位的上限。"
                                 "年报中的数字不会这么大；请检查是否误写了连乘（如 a * a）。")
    elif isinstance(x, int) and not isinstance(x, bool):
        if x.bit_length() > 64 or abs(x) >= 10 ** b.limits.number_digits:
            digits = len(str(abs(x))) if x.bit_length() < 10_000 else int(x.bit_length() * 0.30103) + 1
            raise NarrativeLimit(f"计算中出现 {digits} 位的数，超过 {b.limits.number_digits} 位的上限。"
                                 "年报中的数字不会这么大；请检查是否误写了连乘（如 a * a）。")
    return x


def format_number(x, places: int) -> str:
    """A computed number as printed: integers plainly, decimals with at most ``places`` decimals
    (rounded half up), never in exponent notation."""
    if isinstance(x, Decimal):
        if x.as_tuple().exponent < -places:
            x = x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if x == x.to_integral_value() and x.as_tuple().exponent > 0:
            x = x.quantize(Decimal(1))
        return format(x, "f")
    return str(x)


# ---------------------------------------------------------------------------------------------------
# Text


def check_text(s: str) -> str:
    b = tick()
    if len(s) > b.limits.string_chars:
        raise NarrativeLimit(f"拼接出的文字长 {len(s)} 个字符，超过 {b.limits.string_chars} 个字符的上限。"
                             "请直接写出文字，不要用 ~ 反复拼接。")
    return s


def _describe(value) -> str:
    """What a non-printable value is, in the analyst's words."""
    kind = type(value)
    if value is None:
        return "空值（None）"
    if isinstance(value, bool):
        return "是/否判断值"
    if hasattr(kind, "_sandbox_describe"):
        return value._sandbox_describe()
    if callable(value):
        return "函数或方法（需要加括号和参数才能得到结果）"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "列表"
    if isinstance(value, dict):
        return "映射"
    return "程序内部对象"


def printable(value) -> str:
    """The text a placeholder's value prints as, or NarrativeLimit/TypeError for a value that must not print."""
    b = tick()
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # an unknown name or a refused attribute: its own message
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or value is None:
        raise TypeError(_describe(value))
    elif isinstance(value, (int, Decimal, float)):
        text = format_number(check_number(to_number(value)), b.places)
    elif getattr(type(value), "SANDBOX_PRINTABLE", False):
        text = str(value)
    else:
        raise TypeError(_describe(value))
    return check_text(text)


def concat(items) -> str:
    """``a ~ b ~ c``: each piece must be printable, the result bounded in length."""
    b = tick()
    parts, total = [], 0
    for item in items:
        try:
            s = printable(item)
        except TypeError as exc:
            raise NotPrintable(f"用 ~ 连接的一个值不是数字或文字（它是{exc}）") from None
        total += len(s)
        if total > b.limits.string_chars:
            raise NarrativeLimit(f"拼接出的文字超过 {b.limits.string_chars} 个字符的上限。"
                                 "请直接写出文字，不要用 ~ 反复拼接。")
        parts.append(s)
    return "".join(parts)


def output(lineno: int, ordinal: int, value) -> str:
    """What one ``{{ … }}`` prints; counted against the output bound."""
    try:
        text = printable(value)
    except TypeError as exc:
        raise NotPrintable(str(exc), lineno, ordinal) from None
    b = _current()
    b.printed += len(text)
    if b.printed > b.limits.output_chars:
        raise NarrativeLimit(f"占位符输出的文字累计超过 {b.limits.output_chars} 个字符的上限。")
    return text


# ---------------------------------------------------------------------------------------------------
# The template compiler: routes ``~`` and every ``{{ … }}`` through the checks above


class BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~`` calling :func:`concat` and each printed expression
    calling :func:`output` (which knows the expression's line and its place on that line)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._nb_ordinals: dict[int, int] = {}

    def _make_finalize(self):
        # no compile-time folding of printed constants: ``{{ [1, 2] }}`` is checked like any value
        return self._FinalizeInfo(None, None)

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.nb_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _output_child_pre(self, node, frame, finalize) -> None:
        ordinal = self._nb_ordinals.get(node.lineno, 0)
        self._nb_ordinals[node.lineno] = ordinal + 1
        self.write(f"str(environment.nb_output({node.lineno}, {ordinal}, ")

    def _output_child_post(self, node, frame, finalize) -> None:
        self.write("))")


_PLACEHOLDER = re.compile(r"\{\{.*?\}\}", re.S)


def placeholder_at(source: str, lineno: int, ordinal: int) -> str | None:
    """The text of the ``ordinal``-th ``{{ … }}`` starting on line ``lineno`` of ``source``."""
    found = [m.group(0) for m in _PLACEHOLDER.finditer(source) if source.count("\n", 0, m.start()) + 1 == lineno]
    if ordinal < len(found):
        text = found[ordinal]
        return text if len(text) <= 120 else text[:117] + "…}}"
    return None
