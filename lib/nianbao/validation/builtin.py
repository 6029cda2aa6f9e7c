"""The built-in checks, declared in :data:`nianbao.validation.checks.BUILTIN_CHECKS` exactly as an
outside package declares its own (entry-point group ``nianbao.checks``).

- ``form-rules`` (batch): every rule of the form definition, as Great Expectations suites.
- ``input-file``: what the loader found wrong with the files beyond single cells (unknown or
  duplicate rows, header mismatches, unreadable facts), and a prior-year file that exists but
  cannot be read (cross-year rules then cannot run: an error, so such a report never passes).
- ``rollup``: for a roll-up unit, every summed cell its own file declares differently from its
  children's sum (rule X-ROLLUP, error), as ``nianbao run`` refuses it.
"""
from __future__ import annotations

from ..findings import Finding
from .checks import CheckContext


def form_rules(contexts: list[CheckContext]):
    from .engine import validate_batch  # imports pandas and Great Expectations only when validating

    return validate_batch(contexts)


def input_file(ctx: CheckContext) -> list[Finding]:
    from .rules import ABSENT_KINDS, CELL_VALUE_KINDS

    out = []
    for p in ctx.figures.problems:
        if p.table is not None and (p.kind in CELL_VALUE_KINDS or p.kind in ABSENT_KINDS):
            continue  # a cell's value or an absent cell: reported by the TYPE-* suites
        if p.kind == ROLLUP_MISMATCH:
            continue  # reported by the check ``rollup`` (rule X-ROLLUP)
        out.append(Finding(rule_id="INPUT-FILE", severity="error", message=p.message, table_name=p.table,
                           row_label=p.row_label, column_label=p.column_label,
                           actual=None if p.value is None else str(p.value), file=p.file, line=p.line,
                           description="数据文件的结构或内容不符合格式定义"))
    if ctx.prior_error:
        # an error, not a warning: a report whose cross-year rules could not run must not pass
        out.append(Finding(rule_id="X-PRIOR-UNREADABLE", severity="error",
                           message=f"上年数据文件无法读取，跨年度校验（X-CARRY-OVER、X-IN-FORCE）无法执行：{ctx.prior_error}"
                                   "。请修正上年数据文件（或把误放的文件移出 data/）后重新校验。",
                           description="上年数据存在时须做跨年度校验"))
    return out


ROLLUP_MISMATCH = "rollup_mismatch"  # Problem.kind of a roll-up mismatch (nianbao.rollup)


def rollup(ctx: CheckContext) -> list[Finding]:
    """A roll-up unit's declared summed cells that differ from its children's sum (X-ROLLUP)."""
    from ..rollup import RollupFigures

    if not isinstance(ctx.figures, RollupFigures):
        return []
    return ctx.figures.findings()


form_rules.batch = True  # gets every context at once (one GX run per rule)
