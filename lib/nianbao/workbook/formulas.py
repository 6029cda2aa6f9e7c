"""The check sheet: every rule of the form as spreadsheet formulas, so a clerk sees 平衡 / 不平衡 while typing.

Built from the compiled rules (:func:`nianbao.validation.rules.compile_rules`), never from a list
typed here: for each rule kind a builder in :data:`BUILDERS` turns the rule's declaration (its table,
``left``/``right`` rows or columns, the carried-over rows, the stock and flows …) into check items
whose formulas reference the input cells of the table sheets. A rule kind without a builder still
gets a row saying it is checked by ``nianbao validate`` only, so no rule silently disappears.

The verdicts follow the validation exactly: an item with an unfilled cell is not compared (未填完),
as Great Expectations ignores a pair with a missing side; a rule that does not apply (no prior year,
a unit allowed to make rules) says 未适用 with the validation's own reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from ..cells import MISSING_MARKERS
from ..form import Form
from .layout import Grid

# Column types whose cells are integers, and those that may be negative (a yearly increase/decrease),
# as the validation's cell rules treat them.
INTEGER_TYPES = ("count", "signed")
SIGNED_TYPES = ("signed",)

BALANCED, UNBALANCED = "平衡", "不平衡"
PASSED, FAILED = "通过", "不通过"
UNFILLED, NOT_APPLICABLE, NOT_IN_SHEET = "未填完", "未适用", "仅由 nianbao validate 检查"


@dataclass(frozen=True)
class Expr:
    """Σ plus − Σ minus + constant; ``constant`` None: a figure it needs (last year's) is missing."""

    plus: tuple[str, ...] = ()
    minus: tuple[str, ...] = ()
    constant: int | Decimal | None = 0

    @property
    def refs(self) -> tuple[str, ...]:
        return self.plus + self.minus

    def formula(self) -> str:
        parts = []
        if self.plus:
            parts.append(f"SUM({','.join(compress(self.plus))})")
        if self.minus:
            parts.append(f"-SUM({','.join(compress(self.minus))})")
        if self.constant:
            parts.append(f"+{self.constant}" if parts else str(self.constant))
        return "".join(parts) if parts else "0"


@dataclass(frozen=True)
class Item:
    where: str  # the column or row the item checks, as printed
    left: Expr | None = None
    right: Expr | None = None
    decimals: int = 0
    count: str | None = None  # for cell rules: a formula counting offending cells
    words: tuple[str, str] = (BALANCED, UNBALANCED)


@dataclass
class Block:
    rule_id: str
    severity: str
    description: str
    items: list[Item] = field(default_factory=list)
    reason: str | None = None  # 未适用: why (the validation's own reason)
    supported: bool = True


class Refs:
    """Cell references of a workbook's table sheets: ``'表三'!D12`` for (table, row, column)."""

    def __init__(self, form: Form, grids: dict[str, Grid], sheet_names: dict[str, str]):
        self.form, self.grids, self.sheet_names = form, grids, sheet_names

    def ref(self, table: str, row: str, col: str) -> str | None:
        cell = self.grids[table].inputs.get((row, col))
        return None if cell is None else f"'{self.sheet_names[table]}'!{cell.address}"

    def ranges(self, predicate) -> list[str]:
        """Contiguous column ranges of the input cells whose Column satisfies ``predicate``."""
        out = []
        for table in self.form.tables:
            runs: dict[int, list[int]] = {}
            for (rk, ck), cell in self.grids[table.key].inputs.items():
                if predicate(table.row(rk).column(ck)):
                    runs.setdefault(cell.col, []).append(cell.row)
            for col, rows in sorted(runs.items()):
                letter = _letter(col)
                for a, b in _runs(sorted(rows)):
                    rng = f"{letter}{a}" if a == b else f"{letter}{a}:{letter}{b}"
                    out.append(f"'{self.sheet_names[table.key]}'!{rng}")
        return out


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def compress(refs) -> list[str]:
    """``'表三'!D5, '表三'!D6, '表三'!D7`` → ``'表三'!D5:D7`` (order kept per run)."""
    import re

    out: list[str] = []
    last = None  # (sheet, letter, first row, last row)
    pat = re.compile(r"^('.*'!)([A-Z]+)([0-9]+)$")
    for ref in refs:
        m = pat.match(ref)
        if m and last and last[0] == m.group(1) and last[1] == m.group(2) and int(m.group(3)) == last[3] + 1:
            last = (last[0], last[1], last[2], int(m.group(3)))
            out[-1] = f"{last[0]}{last[1]}{last[2]}:{last[1]}{last[3]}"
            continue
        out.append(ref)
        last = (m.group(1), m.group(2), int(m.group(3)), int(m.group(3))) if m else None
    return out


BUILDERS: dict[str, Callable] = {}


def register_builder(kind: str, fn: Callable) -> None:
    """``fn(rule, refs, ctx) -> list[Item]`` for rules of ``kind``."""
    BUILDERS[kind] = fn


def blocks(form: Form, refs: Refs, ctx) -> list[Block]:
    """One block per rule of the form, in declaration order. ``ctx``: a CheckContext with unit, year, prior."""
    from ..validation.rules import compile_rules

    out = []
    for rule in compile_rules(form):
        block = Block(rule.id, rule.severity, rule.description)
        builder = BUILDERS.get(rule.kind)
        if builder is None:
            block.supported = False
        else:
            block.reason = rule.not_applicable(ctx)
            if block.reason is None:
                block.items = builder(rule, refs, ctx)
        out.append(block)
    return out


# --- comparisons ------------------------------------------------------------------------------------


def _sum(rule, refs: Refs, ctx) -> list[Item]:
    t = rule.table
    items = []
    if rule.per == "column":
        for col in t.columns:
            left = [refs.ref(t.key, r, col.key) for r in rule.left]
            right = [refs.ref(t.key, r, col.key) for r in rule.right]
            if None in left or None in right:
                continue  # a row without this column: validate compares nothing here either
            items.append(Item(f"列「{col.label}」", Expr(tuple(left)), Expr(tuple(right)), col.decimals))
    else:
        for row in t.rows:
            left = [refs.ref(t.key, row.key, c) for c in rule.left]
            right = [refs.ref(t.key, row.key, c) for c in rule.right]
            if None in left or None in right:
                continue
            decimals = max(row.column(c).decimals for c in rule.left + rule.right)
            items.append(Item(f"第{row.number}行「{row.label}」", Expr(tuple(left)), Expr(tuple(right)), decimals))
    return items


def _prior_value(ctx, table, row, col):
    return None if ctx.prior is None else ctx.prior.values.get(table, {}).get((row, col))


def _previous_year(rule, refs: Refs, ctx) -> list[Item]:
    """The rule's own items (so only the columns it compares, e.g. across format versions), with last
    year's figure as a constant and this year's cell as a reference."""
    items = []
    for _actual, before, f in rule.items_for(0, ctx):
        ref = refs.ref(f["table"], f["row"], f["column"])
        if ref is None:
            continue
        col = rule.table.row(f["row"]).column(f["column"])
        items.append(Item(f"列「{col.label}」（{ctx.year - 1}年「{rule.previous.label}」）", Expr((ref,)),
                          Expr(constant=before), col.decimals))
    return items


def _stock_flow(rule, refs: Refs, ctx) -> list[Item]:
    t = rule.table
    items = []
    for row in rule.rows:
        stock = refs.ref(t.key, row.key, rule.stock.key)
        inflow = refs.ref(t.key, row.key, rule.inflow.key)
        outflow = refs.ref(t.key, row.key, rule.outflow.key)
        before = _prior_value(ctx, t.key, row.key, rule.stock.key)
        items.append(Item(f"「{row.label}」{rule.stock.label}", Expr((stock,)),
                          Expr((inflow,), (outflow,), before), rule.stock.decimals))
    return items


def _rulemaking(rule, refs: Refs, ctx) -> list[Item]:
    t = rule.table
    return [Item(f"「{rule.row.label}」{col.label}", Expr((refs.ref(t.key, rule.row.key, col.key),)), Expr(constant=0),
                 col.decimals, words=(PASSED, FAILED))
            for col in rule.row.columns]


register_builder("sum", _sum)
register_builder("previous_year", _previous_year)
register_builder("stock_flow", _stock_flow)
register_builder("rulemaking", _rulemaking)


# --- types and ranges: one item per rule counting the offending input cells --------------------------


def _q(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _missing(r: str) -> str:
    """1 where the cell is blank or a missing-value marker (the loader's MISSING_MARKERS), else 0."""
    return "(" + "+".join(f"(TRIM({r})={_q(m)})" for m in sorted(MISSING_MARKERS)) + ")"


def _count(ranges: list[str], term: Callable[[str], str]) -> str:
    return "+".join(term(r) for r in ranges) if ranges else "0"


def _cell_rule(term: Callable[[str], str], predicate=lambda col: True, where: str = "全部填报单元格"):
    def build(rule, refs: Refs, ctx) -> list[Item]:
        return [Item(where, count=_count(refs.ranges(predicate), term), words=(PASSED, FAILED))]
    return build


def _decimals(rule, refs: Refs, ctx) -> list[Item]:
    """One item per decimal limit of the amount columns (the 2021 form has one: 4 places)."""
    limits: dict[int, list[str]] = {}
    for t in refs.form.tables:
        for col in t.columns:
            if col.type == "amount":
                limits.setdefault(col.decimals, [])
                if col.label not in limits[col.decimals]:
                    limits[col.decimals].append(col.label)
    items = []
    for d, labels in sorted(limits.items()):
        ranges = refs.ranges(lambda c, d=d: c.type == "amount" and c.decimals == d)
        term = lambda r, d=d: f"SUMPRODUCT(ISNUMBER({r})*IFERROR(ROUND({r},{d})<>{r},FALSE))"
        items.append(Item(f"{'、'.join(f'「{x}」' for x in labels)}（最多 {d} 位小数）", count=_count(ranges, term),
                          words=(PASSED, FAILED)))
    return items


register_builder("cell_present", _cell_rule(lambda r: f"SUMPRODUCT({_missing(r)})"))
register_builder("cell_number", _cell_rule(lambda r: f"SUMPRODUCT(ISTEXT({r})*({_missing(r)}=0))"))
register_builder("cell_integer", _cell_rule(
    lambda r: f"SUMPRODUCT(ISNUMBER({r})*(IFERROR({r}-INT({r}),0)<>0))",
    predicate=lambda col: col.type in INTEGER_TYPES, where="件数、数量单元格"))
register_builder("cell_non_negative", _cell_rule(lambda r: f'COUNTIF({r},"<0")',
                                                 predicate=lambda col: col.type not in SIGNED_TYPES,
                                                 where="不能为负数的单元格"))
register_builder("cell_decimals", _decimals)
