"""Rule kinds: how each entry of a form definition's ``rules:`` list becomes a Great Expectations suite.

A rule kind (``sum``, ``previous_year``, ``cell_present`` …, see the comment above ``rules:`` in
``forms/gov2021/form.yaml``) is a class registered in :data:`RULE_KINDS`. From the rule's declaration it
builds

- :meth:`Rule.expectations` — typed GX expectations (the suite ``<form id>.<rule id>``);
- :meth:`Rule.frame` — one pandas row per checked item over a batch of units (column ``item`` indexes
  the items; ``ctx`` the unit), built from the figures as loaded: missing cells stay missing (NaN),
  nothing is repaired, nothing is re-derived;
- :meth:`Rule.finding` — the Finding for an item GX reported as unexpected, with the exact expected,
  actual and difference computed from the figures (never from floats).

A new kind registers with :func:`register_kind`; the form definition can then use it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import pandas as pd

from ..cells import _AMOUNT, decimals_of
from ..errors import Problem
from ..findings import Finding
from ..form import Column, Form, Row, Table
from ..formpack import comparable
from ..registry import Registry
from ..units import KINDS, Unit
from .checks import CheckContext
from .grouping import BLANK, row_title
from .result import fmt_diff

# A number as written: the loader's pattern (cells._AMOUNT) with a non-capturing group, because pandas
# warns about capture groups in str.contains (a warning would reach the notebook's stderr).
NUMBER_PATTERN = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"
assert NUMBER_PATTERN.replace("(?:", "(") == _AMOUNT.pattern, "keep NUMBER_PATTERN in step with cells._AMOUNT"
_NUMBER = re.compile(NUMBER_PATTERN)
GX_SEVERITY = {"error": "critical", "warning": "warning"}

# Loader problem kinds that concern one cell's value — each with the rule kind that reports it (whatever
# id a form gives that rule) — and those that leave cells absent (reported by the cell_present rule).
CELL_VALUE_KINDS = {"missing_value": "cell_present", "not_a_number": "cell_number", "not_integer": "cell_integer",
                    "negative": "cell_non_negative", "too_many_decimals": "cell_decimals"}
ABSENT_KINDS = {"missing_row", "missing_column", "missing_table", "row_length", "shape"}


class Batch:
    """The units validated together (all on one form), with frames shared between rules."""

    def __init__(self, form: Form, contexts: list[CheckContext]):
        self.form = form
        self.contexts = contexts
        self._cells: tuple[pd.DataFrame, list] | None = None

    def cells(self) -> tuple[pd.DataFrame, list["CellItem"]]:
        if self._cells is None:
            self._cells = _cells_frame(self.form, self.contexts)
        return self._cells


class Rule:
    """One declared rule. Subclasses set ``kind`` and implement the three hooks."""

    kind = ""

    def __init__(self, form: Form, spec: dict):
        self.form = form
        self.spec = spec
        try:
            self.id = str(spec["id"])
            self.description = str(spec["description"])
        except KeyError as exc:
            raise ValueError(f"form {form.id}: a rule lacks {exc.args[0]!r}: {spec!r}") from None
        self.severity = spec.get("severity", "error")
        if self.severity not in GX_SEVERITY:
            raise ValueError(f"rule {self.id}: severity must be error or warning, not {self.severity!r}")
        self.table: Table | None = form.table(spec["table"]) if "table" in spec else None

    @property
    def suite_name(self) -> str:
        return f"{self.form.id}.{self.id}"

    def suite_meta(self) -> dict:
        return {"rule_id": self.id, "severity": self.severity, "description": self.description, "form": self.form.id}

    def expectations(self) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def frame(self, batch: Batch) -> tuple[pd.DataFrame, list]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finding(self, item, ctx: CheckContext) -> Finding:  # pragma: no cover - abstract
        raise NotImplementedError

    def not_applicable(self, ctx: CheckContext) -> str | None:
        """Why this rule checks nothing for ``ctx`` (shown as 未适用), or None."""
        return None

    # Outcomes per instance (passed / failed / not assessable): see nianbao.validation.outcomes.
    def instance_of(self, item) -> bool:
        """Whether ``item`` (a row of :meth:`frame`) is an instance of this rule; the others are not counted."""
        return True

    def instance_ref(self, item) -> dict:
        """The table, row and column keys that name ``item`` in ``validation.json`` (a new rule kind
        should name its items; without it a not-assessable entry lists only the missing cells)."""
        return {}

    def instance_mask(self, frame: pd.DataFrame, items: list):
        """:meth:`instance_of` for every row of ``frame`` at once (a boolean numpy array)."""
        import numpy as np

        return np.fromiter((self.instance_of(it) for it in items), dtype=bool, count=len(items))

    instances_per = "cell"  # what one instance is: a cell, or a column or a row of the table

    def inputs(self, item) -> list[tuple[str, str, str, str]]:
        """The cells ``item`` is computed from: (``current`` | ``prior``, table, row, column)."""
        return []

    # helpers
    def _meta(self) -> dict:
        return {"rule_id": self.id}

    def _gx_kwargs(self) -> dict:
        return {"severity": GX_SEVERITY[self.severity], "meta": self._meta()}

    def _finding(self, ctx: CheckContext, expectation: str, **fields) -> Finding:
        return Finding(rule_id=self.id, severity=self.severity, description=self.description,
                       expectation=expectation, file=ctx.figures.display_path, unit=ctx.unit.id, year=ctx.year,
                       **fields)


# Rule kinds by name (the ``kind:`` of a rule in form.yaml). The kit's kinds register below as they
# are defined; an outside package adds one with an entry point in the group ``nianbao.rule_kinds``.
RULE_KINDS = Registry("规则类型", "nianbao.rule_kinds")


def register_kind(cls: type[Rule]) -> type[Rule]:
    RULE_KINDS.register(cls.kind, cls, replace=True)
    return cls


def compile_rules(form: Form) -> tuple[Rule, ...]:
    rules = []
    seen = set()
    for spec in form.rules:
        kind = spec.get("kind")
        if kind not in RULE_KINDS:
            raise ValueError(f"form {form.id}: rule {spec.get('id')!r} has unknown kind {kind!r}; "
                             f"known kinds: {', '.join(sorted(RULE_KINDS))}")
        rule = RULE_KINDS[kind](form, spec)
        if rule.id in seen:
            raise ValueError(f"form {form.id}: duplicate rule id {rule.id}")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c not in ("item", "ctx", "text"):
            df[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
    return df


def _num(v) -> float:
    return float("nan") if v is None else float(v)


# ---------------------------------------------------------------------------------------------------
# Types and ranges: one row per cell of the form, for every unit.


@dataclass(frozen=True)
class CellItem:
    ctx: int
    table: Table
    row: Row
    column: Column
    text: str | None  # the cell as written (stripped); None: missing (blank, "/", "—", "无", absent)
    shown: str  # what the report shows as the actual value
    problem: Problem | None  # the loader's problem for this cell, its row or its table


def _problem_index(problems: list[Problem]):
    cell, row, table = {}, {}, {}
    for p in problems:
        if p.table is None:
            continue
        if p.column_label is not None and p.row_label is not None and p.kind in CELL_VALUE_KINDS.keys() | ABSENT_KINDS:
            cell.setdefault((p.table, p.row_label, p.column_label), p)
        elif p.row_label is not None and p.kind in ABSENT_KINDS:
            row.setdefault((p.table, p.row_label), p)
        elif p.kind in ABSENT_KINDS:
            table.setdefault(p.table, p)
    return cell, row, table


def _shown_missing(p: Problem | None) -> str:
    if p is None:
        return "（未填写）"
    if p.kind == "missing_value":
        text = str(p.value).strip() if p.value is not None else ""
        return text if text else BLANK
    return {"missing_row": "（缺少此行）", "missing_column": "（缺少此列）", "missing_table": "（缺少此表）",
            "row_length": "（本行个数不符）", "shape": "（格式不符）"}.get(p.kind, "（未填写）")


def _holds(p: Problem | None) -> str:
    """What a cell the loader could not read holds, as written (~, /, "" → （空白）, or （缺少此行）…)."""
    if p is not None and p.kind in CELL_VALUE_KINDS:
        if p.value is None or isinstance(p.value, str):
            return (p.value or "").strip() or BLANK
        return "（不是单个数值）"
    return _shown_missing(p)


class CellHolds:
    """What each unreadable cell of one unit-year holds, looked up by key (built once per figures)."""

    def __init__(self, figures):
        self.figures = figures
        self._index = _problem_index(figures.problems) if figures is not None else ({}, {}, {})

    def __call__(self, table: Table, row: Row, col: Column) -> str:
        by_cell, by_row, by_table = self._index
        p = (by_cell.get((table.name, row.label, col.label)) or by_row.get((table.name, row.label))
             or by_table.get(table.name))
        return _holds(p)


def missing_inputs(rule: "Rule", item, ctx: CheckContext, holds: dict) -> dict[str, str]:
    """The input cells of ``item`` that are missing or unreadable, with what they hold:
    ``{"table3/new/commercial": "~"}`` (a prior-year cell as ``"2021:table3/…"``). ``holds`` caches a
    :class:`CellHolds` per year."""
    out = {}
    for which, t, r, c in rule.inputs(item):
        figures = ctx.figures if which == "current" else ctx.prior
        if figures is not None and figures.values.get(t, {}).get((r, c)) is not None:
            continue
        table = ctx.form.table(t)
        row = table.row(r)
        if which not in holds:
            holds[which] = CellHolds(figures)
        name = f"{t}/{r}/{c}" if which == "current" else f"{ctx.year - 1}:{t}/{r}/{c}"
        out[name] = holds[which](table, row, row.column(c))
    return out


def cell_items(index: int, ctx: CheckContext) -> list[CellItem]:
    figures = ctx.figures
    by_cell, by_row, by_table = _problem_index(figures.problems)
    items = []
    for table in figures.form.tables:
        values = figures.values.get(table.key, {})
        for row, col in table.cells():
            key = (row.key, col.key)
            value = values.get(key)
            if value is not None:
                text = str(value)
                items.append(CellItem(index, table, row, col, text, text, None))
                continue
            p = (by_cell.get((table.name, row.label, col.label)) or by_row.get((table.name, row.label))
                 or by_table.get(table.name))
            if key in values and p is not None and p.kind in CELL_VALUE_KINDS and p.kind != "missing_value":
                if isinstance(p.value, str):
                    text = p.value.strip()
                else:  # a list or mapping where one number was due
                    text = "（不是单个数值）"
                items.append(CellItem(index, table, row, col, text, text, p))
            else:
                items.append(CellItem(index, table, row, col, None, _shown_missing(p), p))
    return items


def _cells_frame(form: Form, contexts: list[CheckContext]) -> tuple[pd.DataFrame, list[CellItem]]:
    items: list[CellItem] = []
    for i, ctx in enumerate(contexts):
        items.extend(cell_items(i, ctx))
    rows = []
    for n, it in enumerate(items):
        number = count_dec = amount_dec = None
        if it.text is not None and _NUMBER.match(it.text):
            # a signed count (an increase/decrease) may be negative: TYPE-NEGATIVE does not see it
            number = float(it.text) if it.column.type != "signed" else None
            if it.column.type in ("count", "signed"):
                count_dec = len(it.text.split(".", 1)[1]) if "." in it.text else 0
            else:
                amount_dec = decimals_of(it.text)
        rows.append({"item": n, "ctx": it.ctx, "text": it.text, "number": number, "count_decimals": count_dec,
                     "amount_decimals": amount_dec, "max_decimals": it.column.decimals})
    cols = ["item", "ctx", "text", "number", "count_decimals", "amount_decimals", "max_decimals"]
    df = _frame(rows, cols)
    df["text"] = df["text"].astype("object")
    return df, items


_TYPES_CACHE: dict[int, tuple[list, object]] = {}


def _cell_types(items: list):
    """The cell type of every item of a cells frame, computed once per frame (shared by the type rules)."""
    import numpy as np

    hit = _TYPES_CACHE.get(id(items))
    if hit is None or hit[0] is not items:
        _TYPES_CACHE.clear()
        hit = (items, np.array([it.column.type for it in items], dtype=object))
        _TYPES_CACHE[id(items)] = hit
    return hit[1]


class CellRule(Rule):
    """Base for the type/range rules: all share the cells frame.

    Instances: the cells of the types in ``cell_types`` that hold something. A cell left blank is an
    instance of TYPE-MISSING only (which reports it); a cell whose text is not a number cannot be
    assessed by the rules that read its number (TYPE-INTEGER, TYPE-NEGATIVE …): not assessable.
    """

    cell_types: tuple[str, ...] = ("count", "amount")
    counts_blank = False  # TYPE-MISSING: a blank cell is exactly what it checks

    def frame(self, batch: Batch):
        return batch.cells()

    def instance_of(self, item: CellItem) -> bool:
        return item.column.type in self.cell_types and (self.counts_blank or item.text is not None)

    def instance_ref(self, item: CellItem) -> dict:
        return {"table": item.table.key, "row": item.row.key, "column": item.column.key}

    def instance_mask(self, frame: pd.DataFrame, items: list):
        import numpy as np

        types = _cell_types(items)
        mask = np.isin(types, self.cell_types)
        return mask if self.counts_blank else mask & frame["text"].notna().to_numpy()

    def inputs(self, item: CellItem):
        return [("current", item.table.key, item.row.key, item.column.key)]

    def finding(self, item: CellItem, ctx: CheckContext) -> Finding:
        p = item.problem
        if p is not None and (CELL_VALUE_KINDS.get(p.kind) == self.kind
                              or (self.counts_blank and p.kind in ABSENT_KINDS)):
            message = p.message  # the loader's message says what to write instead
        else:
            message = f"{item.shown!r} 不符合要求：{self.description}。"
        expected = str(self.spec.get("expected", "")).format(decimals=item.column.decimals) or None
        return self._finding(
            ctx, self.expectation_type, message=message, table=item.table.key, table_name=item.table.name,
            row=item.row.key, row_label=item.row.label, column=item.column.key, column_label=item.column.label,
            expected=expected, actual=item.shown, line=p.line if p is not None else None,
        )


@register_kind
class CellPresent(CellRule):
    kind = "cell_present"
    expectation_type = "expect_column_values_to_not_be_null"
    counts_blank = True

    def expectations(self):
        import great_expectations as gx

        return [gx.expectations.ExpectColumnValuesToNotBeNull(column="text", **self._gx_kwargs())]


@register_kind
class CellNumber(CellRule):
    kind = "cell_number"
    expectation_type = "expect_column_values_to_match_regex"

    def expectations(self):
        import great_expectations as gx

        return [gx.expectations.ExpectColumnValuesToMatchRegex(column="text", regex=NUMBER_PATTERN, **self._gx_kwargs())]


@register_kind
class CellInteger(CellRule):
    kind = "cell_integer"
    expectation_type = "expect_column_values_to_be_between"
    cell_types = ("count",)

    def expectations(self):
        import great_expectations as gx

        # count_decimals: digits written after the point in a count cell ("3.0" has 1)
        return [gx.expectations.ExpectColumnValuesToBeBetween(column="count_decimals", min_value=0, max_value=0,
                                                              **self._gx_kwargs())]


@register_kind
class CellNonNegative(CellRule):
    kind = "cell_non_negative"
    expectation_type = "expect_column_values_to_be_between"

    def expectations(self):
        import great_expectations as gx

        return [gx.expectations.ExpectColumnValuesToBeBetween(column="number", min_value=0, **self._gx_kwargs())]


@register_kind
class CellDecimals(CellRule):
    kind = "cell_decimals"
    expectation_type = "expect_column_pair_values_a_to_be_greater_than_b"
    cell_types = ("amount",)

    def expectations(self):
        import great_expectations as gx

        # max_decimals: the form's limit for the column; amount_decimals: places written (3197.19190 has 4)
        return [gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="max_decimals", column_B="amount_decimals", or_equal=True,
            ignore_row_if="either_value_is_missing", **self._gx_kwargs())]


# ---------------------------------------------------------------------------------------------------
# Comparisons: one row per checked item with the two sides ("actual", "expected").


@dataclass(frozen=True)
class PairItem:
    ctx: int
    fields: dict  # Finding fields: table…, row…, column…, expected, actual, difference, message
    inputs: tuple = ()  # the cells both sides are computed from: (current | prior, table, row, column)


def _sum(values: list) -> int | Decimal | None:
    if any(v is None for v in values):
        return None
    return sum(values, start=0)


class PairRule(Rule):
    expectation_type = "expect_column_pair_values_to_be_equal"

    def expectations(self):
        import great_expectations as gx

        return [gx.expectations.ExpectColumnPairValuesToBeEqual(
            column_A="actual", column_B="expected", ignore_row_if="either_value_is_missing", **self._gx_kwargs())]

    def items_for(self, index: int, ctx: CheckContext) -> list[tuple[Any, Any, dict]]:  # pragma: no cover
        """(actual, expected, finding fields) per checked item; a side is None when a cell is missing."""
        raise NotImplementedError

    def frame(self, batch: Batch):
        rows, items = [], []
        for i, ctx in enumerate(batch.contexts):
            if self.not_applicable(ctx):
                continue
            for actual, expected, fields in self.items_for(i, ctx):
                rows.append({"item": len(items), "ctx": i, "actual": _num(actual), "expected": _num(expected)})
                diff = actual - expected if actual is not None and expected is not None else None
                inputs = tuple(fields.pop("inputs", ()))
                items.append(PairItem(i, dict(fields, actual=actual, expected=expected, difference=diff), inputs))
        return _frame(rows, ["item", "ctx", "actual", "expected"]), items

    def instance_ref(self, item: PairItem) -> dict:
        return {k: item.fields[k] for k in ("table", "row", "column") if item.fields.get(k) is not None}

    def inputs(self, item: PairItem):
        return list(item.inputs)

    def finding(self, item: PairItem, ctx: CheckContext) -> Finding:
        f = dict(item.fields)
        message = f.pop("message")
        if callable(message):
            message = message(f["actual"], f["expected"], f["difference"])
        return self._finding(ctx, self.expectation_type, message=message, **f)


def _cell(figures, table: Table, row: str, col: str):
    return figures.values.get(table.key, {}).get((row, col))


@register_kind
class SumRule(PairRule):
    """For each column (or row), Σ left == Σ right; actual = Σ left, expected = Σ right."""

    kind = "sum"

    def __init__(self, form, spec):
        super().__init__(form, spec)
        if self.table is None:
            raise ValueError(f"rule {self.id}: a sum rule needs `table`")
        self.per = spec.get("per")
        if self.per not in ("column", "row"):
            raise ValueError(f"rule {self.id}: per must be column or row, not {self.per!r}")
        self.left = self._expand(spec["left"])
        self.right = self._expand(spec["right"])
        self.left_label = spec.get("left_label") or "＋".join(self._label(k) for k in self.left)
        self.right_label = spec.get("right_label") or "＋".join(self._label(k) for k in self.right)

    @property
    def instances_per(self) -> str:
        return self.per

    def _label(self, key: str) -> str:
        if self.per == "column":
            return self.table.row(key).label
        return next(c.label for c in self.table.columns if c.key == key)

    def _expand(self, entries) -> tuple[str, ...]:
        keys: list[str] = []
        for e in entries:
            if isinstance(e, dict) and "rows_in_group" in e:
                if self.per != "column":
                    raise ValueError(f"rule {self.id}: rows_in_group only makes sense with per: column")
                keys += [r.key for r in self.table.rows_in_group(e["rows_in_group"])]
            elif isinstance(e, str):
                keys.append(e)
            else:
                raise ValueError(f"rule {self.id}: cannot read {e!r}")
        known = {r.key for r in self.table.rows} if self.per == "column" else {c.key for c in self.table.columns}
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise ValueError(f"rule {self.id}: {self.table.name} has no {'row' if self.per == 'column' else 'column'} {unknown}")
        return tuple(keys)

    def _side(self, keys):
        if len(keys) == 1:
            return keys[0], self._label(keys[0])
        return "+".join(keys), None

    def items_for(self, index, ctx):
        t, fig = self.table, ctx.figures
        out = []
        if self.per == "column":
            row_key, row_label = self._side(self.left)
            row_label = row_label or self.left_label
            for col in t.columns:
                actual = _sum([_cell(fig, t, r, col.key) for r in self.left])
                expected = _sum([_cell(fig, t, r, col.key) for r in self.right])
                out.append((actual, expected, dict(
                    table=t.key, table_name=t.name, row=row_key, row_label=row_label, column=col.key,
                    column_label=col.label, message=self._message(f"列「{col.label}」"))))
        else:
            col_key, col_label = self._side(self.left)
            col_label = col_label or self.left_label
            for row in t.rows:
                actual = _sum([_cell(fig, t, row.key, c) for c in self.left])
                expected = _sum([_cell(fig, t, row.key, c) for c in self.right])
                out.append((actual, expected, dict(
                    table=t.key, table_name=t.name, row=row.key, row_label=row.label, column=col_key,
                    column_label=col_label, message=self._message(f"第{row.number}行「{row_title(row)}」"))))
        return out

    def inputs(self, item: PairItem):
        t, f = self.table.key, item.fields
        if self.per == "column":
            return [("current", t, r, f["column"]) for r in self.left + self.right]
        return [("current", t, f["row"], c) for c in self.left + self.right]

    def _message(self, where: str) -> Callable:
        left, right, name = self.left_label, self.right_label, self.table.name

        def message(actual, expected, diff):
            return (f"{name}{where}：{left} 为 {actual}，{right} 为 {expected}，相差 {fmt_diff(diff)}。"
                    f"请核对原始统计并更正有误的单元格；本工具不会改动或推算任何数字。")
        return message


@register_kind
class PreviousYearRule(PairRule):
    """Per column: this year's ``current`` row == last year's ``previous`` row."""

    kind = "previous_year"
    instances_per = "column"

    def __init__(self, form, spec):
        super().__init__(form, spec)
        if self.table is None or spec.get("per", "column") != "column":
            raise ValueError(f"rule {self.id}: previous_year needs `table` and per: column")
        self.current = self.table.row(spec["current"])
        self.previous = self.table.row(spec["previous"])

    def not_applicable(self, ctx):
        return _prior_reason(ctx) or _across_formats(ctx, self.table, [self.previous.key])

    def items_for(self, index, ctx):
        t, out = self.table, []
        for col in t.columns:
            if not comparable(ctx.form, ctx.prior.form, t.key, self.previous.key, col.key):
                continue
            actual = _cell(ctx.figures, t, self.current.key, col.key)
            expected = _cell(ctx.prior, t, self.previous.key, col.key)
            out.append((actual, expected, dict(
                table=t.key, table_name=t.name, row=self.current.key, row_label=self.current.label,
                column=col.key, column_label=col.label, message=self._message(ctx, col))))
        return out

    def inputs(self, item: PairItem):
        t, c = self.table.key, item.fields["column"]
        return [("current", t, self.current.key, c), ("prior", t, self.previous.key, c)]

    def _message(self, ctx, col):
        cur, prev, prior_year = self.current.label, self.previous.label, ctx.year - 1

        def message(actual, expected, diff):
            return (f"本年“{cur}”列「{col.label}」为 {actual}，{prior_year}年报告“{prev}”为 {expected}，相差 "
                    f"{fmt_diff(diff)}。两者应当一致；请核对两年的数据，已发布的上年报告如有误应另行说明。")
        return message


@register_kind
class StockFlowRule(PairRule):
    """Per row: stock(Y) == stock(Y−1) + inflow(Y) − outflow(Y)."""

    kind = "stock_flow"
    instances_per = "row"

    def __init__(self, form, spec):
        super().__init__(form, spec)
        if self.table is None:
            raise ValueError(f"rule {self.id}: stock_flow needs `table`")
        self.rows = tuple(self.table.row(k) for k in spec["rows"])
        self.stock, self.inflow, self.outflow = (self.rows[0].column(spec[k]) for k in ("stock", "inflow", "outflow"))

    def not_applicable(self, ctx):
        return _prior_reason(ctx) or _across_formats(ctx, self.table, [r.key for r in self.rows], self.stock.key)

    def items_for(self, index, ctx):
        t, out = self.table, []
        for row in self.rows:
            actual = _cell(ctx.figures, t, row.key, self.stock.key)
            before = _cell(ctx.prior, t, row.key, self.stock.key)
            inflow = _cell(ctx.figures, t, row.key, self.inflow.key)
            outflow = _cell(ctx.figures, t, row.key, self.outflow.key)
            expected = None if None in (before, inflow, outflow) else before + inflow - outflow
            out.append((actual, expected, dict(
                table=t.key, table_name=t.name, row=row.key, row_label=row.label, column=self.stock.key,
                column_label=self.stock.label, message=self._message(ctx, row, before, inflow, outflow))))
        return out

    def inputs(self, item: PairItem):
        t, r = self.table.key, item.fields["row"]
        return [("current", t, r, self.stock.key), ("prior", t, r, self.stock.key),
                ("current", t, r, self.inflow.key), ("current", t, r, self.outflow.key)]

    def _message(self, ctx, row, before, inflow, outflow):
        s, i, o, py = self.stock.label, self.inflow.label, self.outflow.label, ctx.year - 1

        def message(actual, expected, diff):
            return (f"“{row.label}”{s}为 {actual}；{py}年{s} {before} ＋ {i} {inflow} − {o} {outflow} = "
                    f"{expected}，相差 {fmt_diff(diff)}。"
                    f"如因修订、清理等原因不一致，请在报告中说明；否则请核对。")
        return message


def _across_formats(ctx: CheckContext, table: Table, rows, column: str | None = None) -> str | None:
    """Why last year's report, in another format version, cannot be compared for these cells (its
    pack declares what continues across formats; nothing else is compared), or None."""
    if ctx.prior.form.id == ctx.form.id:
        return None
    from ..formpack import continuity, other_format_note

    cont = continuity(ctx.form, ctx.prior.form)
    cols = [column] if column else [c.key for c in table.columns]
    if cont is not None and any(cont.comparable(table.key, r, c) for r in rows for c in cols):
        return None
    why = cont.why_not(table.key, rows[0]) if cont is not None else None
    return other_format_note(ctx.year - 1, ctx.prior.form, why)


def _prior_reason(ctx: CheckContext) -> str | None:
    if ctx.prior is not None:
        return None
    if ctx.prior_error:
        return "上年数据文件无法读取"
    if ctx.prior_note:
        return ctx.prior_note
    return f"无{ctx.year - 1}年数据"


# ---------------------------------------------------------------------------------------------------
# Plausibility: 规章 reported by a unit that cannot make rules.


@dataclass(frozen=True)
class ValueItem:
    ctx: int
    column: Column
    value: Any


def can_make_rules(unit: Unit, rulemakers) -> bool:
    if unit.rulemaking is not None:
        return bool(unit.rulemaking)
    return any(all(getattr(unit, k) == v for k, v in spec.items()) for spec in rulemakers)


@register_kind
class RulemakingRule(Rule):
    kind = "rulemaking"
    instances_per = "column"
    expectation_type = "expect_column_values_to_be_in_set"

    def __init__(self, form, spec):
        super().__init__(form, spec)
        if self.table is None:
            raise ValueError(f"rule {self.id}: rulemaking needs `table`")
        self.row = self.table.row(spec["row"])
        self.rulemakers = tuple(spec["rulemakers"])

    def expectations(self):
        import great_expectations as gx

        return [gx.expectations.ExpectColumnValuesToBeInSet(column="actual", value_set=[0], **self._gx_kwargs())]

    def not_applicable(self, ctx):
        if can_make_rules(ctx.unit, self.rulemakers):
            return "本单位可以制定规章"
        return None

    def frame(self, batch):
        rows, items = [], []
        for i, ctx in enumerate(batch.contexts):
            if self.not_applicable(ctx):
                continue
            for col in self.row.columns:
                v = _cell(ctx.figures, self.table, self.row.key, col.key)
                rows.append({"item": len(items), "ctx": i, "actual": _num(v)})
                items.append(ValueItem(i, col, v))
        return _frame(rows, ["item", "ctx", "actual"]), items

    def instance_ref(self, item: ValueItem) -> dict:
        return {"table": self.table.key, "row": self.row.key, "column": item.column.key}

    def inputs(self, item: ValueItem):
        return [("current", self.table.key, self.row.key, item.column.key)]

    def finding(self, item, ctx):
        col, v = item.column, item.value
        u = ctx.unit
        who = f"{u.level_label}{KINDS.get(u.kind, '')}"
        message = (f"本单位（{who}）不能制定规章，但“{self.row.label}”一行“{col.label}”为 {v}。"
                   f"请核对是否误填（例如把其他文件的数字填入“{self.row.label}”一行）；如本单位确有规章制定权，"
                   f"请在 params/units.yaml 中为本单位写 rulemaking: true。")
        return self._finding(ctx, self.expectation_type, message=message, table=self.table.key,
                             table_name=self.table.name, row=self.row.key, row_label=self.row.label, column=col.key,
                             column_label=col.label, expected=0, actual=v, difference=v)


