"""Roll-up units: a unit declared ``rollup: true`` in ``params/units.yaml`` has its tables compiled
from its children's (the units whose ``parent`` it is), as a county compiles its report from its
townships' and departments'.

What is summed (:func:`is_summed`) is declared by the form pack: every column is, except those
marked ``rollup: own`` in ``form.yaml`` (in the 2021 format the stock of documents in force and the
fees collected), which the roll-up unit declares itself in its own ``figures.yaml``.

The roll-up unit's own figures file may leave out any summed cell, row or table. A summed cell it
does declare must equal the children's sum; a difference is a problem naming the table, row, column,
the expected (children's) and the actual (declared) value. Children that are roll-ups themselves are
compiled first, recursively.

:func:`load_unit_figures` is the single entry point for a unit's figures used by the runner's preflight
and by :func:`nianbao.report.open_report`; the notebook block listing the children a report was
compiled from is :func:`nianbao.present.rollup.sources_block`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from . import forms
from .cells import CHILD_MISSING  # what a roll-up's summed cell holds when a child left it blank
from .errors import FiguresError, InputError, Problem
from .figures import Figures, load_figures
from .findings import Finding
from .project import Project
from .units import Unit, UnitRegistry

RULE_ID = "X-ROLLUP"
RULE_DESCRIPTION = "汇总单位填报的汇总各格须等于下级单位之和"
_ABSENT_KINDS = {"missing_table", "missing_row", "missing_column"}


def is_summed(table: str, column: str, form=None) -> bool:
    """Whether a roll-up unit's cell (table key, column key) is the sum of its children's, as the
    form pack declares it (``form`` defaults to the current format)."""
    form = form if form is not None else forms.current()
    return next(c for c in form.table(table).columns if c.key == column).summed


def own_column_labels(form) -> list[str]:
    """Printed labels of the columns a roll-up unit declares itself (``rollup: own``), in form order."""
    return list(dict.fromkeys(c.label for t in form.tables for c in t.columns if not c.summed))


@dataclass(frozen=True)
class Mismatch:
    """A summed cell the roll-up unit declared with a value different from its children's sum."""

    table: str
    table_name: str
    row: str
    row_number: int
    row_label: str
    column: str
    column_label: str
    expected: int | Decimal  # the children's sum
    actual: int | Decimal  # what the roll-up unit declared
    parts: tuple[tuple[str, int | Decimal], ...]  # (child id, child value) for children with a non-zero value

    def message(self) -> str:
        shown = "、".join(f"{c} {v}" for c, v in self.parts[:8]) + ("……" if len(self.parts) > 8 else "")
        return (f"汇总单位填报 {self.actual}，下级单位合计应为 {self.expected}（{shown or '均为 0'}）。"
                f"请改为 {self.expected}，或删去这一格，由下级单位的数据汇总。")


@dataclass
class RollupFigures(Figures):
    """Figures of a roll-up unit: summed cells from ``children``, the rest from the unit's own file."""

    children: tuple[str, ...] = ()
    declared: frozenset = frozenset()  # (table, row, column) cells the unit's own file declares
    mismatches: list[Mismatch] = field(default_factory=list)

    def findings(self) -> list[Finding]:
        """The mismatches as validation findings (rule X-ROLLUP, severity error)."""
        return [Finding(rule_id=RULE_ID, severity="error", message=m.message(), table=m.table,
                        table_name=m.table_name, row=m.row, row_label=m.row_label, column=m.column,
                        column_label=m.column_label, expected=m.expected, actual=m.actual,
                        difference=m.actual - m.expected, file=self.display_path, unit=self.unit,
                        year=self.year, description=RULE_DESCRIPTION)
                for m in self.mismatches]


def figure_sources(registry: UnitRegistry, unit_id: str) -> list[str]:
    """Ids of every unit whose figures file a unit's figures are compiled from (children first, recursively)."""
    out: list[str] = []
    _walk(registry, unit_id, out, (unit_id,))
    return out


def _walk(registry: UnitRegistry, unit_id: str, out: list[str], path: tuple[str, ...]) -> None:
    if not registry.get(unit_id).rollup:
        return
    for child in registry.children(unit_id):
        if child.id in path:
            raise InputError(f"params/units.yaml: 上下级关系成环：{' → '.join(path + (child.id,))}。")
        _walk(registry, child.id, out, path + (child.id,))
        out.append(child.id)


def load_unit_figures(project: Project, unit: str, year: int, *, registry: UnitRegistry | None = None,
                      strict: bool = True) -> Figures:
    """A unit's figures for a year: its own file, or for a roll-up unit the children's sums.

    With ``strict`` any problem raises :class:`FiguresError`; otherwise problems stay on the result.
    """
    if registry is None:
        registry = project.units()
    return _load(project, registry, registry.get(unit), int(year), strict, (unit,))


def _load(project: Project, registry: UnitRegistry, unit: Unit, year: int, strict: bool,
          path: tuple[str, ...]) -> Figures:
    fig_path = project.figures_file(unit.id, year)
    display = project.rel(fig_path)
    if not unit.rollup:
        return load_figures(fig_path, unit=unit.id, year=year, strict=strict, display=display)
    children = registry.children(unit.id)
    if not children:
        raise InputError(f"params/units.yaml: {unit.name}（{unit.id}）声明为汇总单位（rollup: true），"
                         f"但没有单位的 parent 是 {unit.id}。请登记其下级单位，或去掉 rollup: true。")
    own = None
    if fig_path.is_file():
        own = load_figures(fig_path, unit=unit.id, year=year, strict=False, display=display)
    form = own.form if own is not None else forms.for_year(year)
    kids: list[tuple[Unit, Figures]] = []
    for child in children:
        if child.id in path:
            raise InputError(f"params/units.yaml: 上下级关系成环：{' → '.join(path + (child.id,))}。")
        child_path = project.figures_file(child.id, year)
        if not child_path.is_file() and not child.rollup:
            raise InputError(f"无法汇总 {unit.name}（{unit.id}）{year} 年的数据：下级单位 {child.name}（{child.id}）"
                             f"缺少数据文件 {project.rel(child_path)}。")
        try:
            figures = _load(project, registry, child, year, strict, path + (child.id,))
        except InputError as exc:  # bad cells, bad YAML, a defective grandchild
            raise InputError(f"无法汇总 {unit.name}（{unit.id}）{year} 年的数据：下级单位 {child.name}"
                             f"（{child.id}）的数据有误。\n{exc}") from None
        if figures.form.id != form.id:
            raise InputError(f"无法汇总 {unit.name}（{unit.id}）：下级单位 {child.id} 使用格式 {figures.form.id}，"
                             f"本单位使用 {form.id}。同一年度的报告应使用同一格式。")
        kids.append((child, figures))

    problems: list[Problem] = [p for p in (own.problems if own else []) if p.kind not in _ABSENT_KINDS]
    own_values = own.values if own is not None else {t.key: {} for t in form.tables}
    values: dict[str, dict] = {}
    declared: set = set()
    mismatches: list[Mismatch] = []
    for table in form.tables:
        out = values[table.key] = {}
        for row, col in table.cells():
            cell = (row.key, col.key)
            if cell in own_values.get(table.key, {}):
                declared.add((table.key, row.key, col.key))
            mine = own_values.get(table.key, {}).get(cell)
            if not col.summed:
                if cell not in own_values.get(table.key, {}):
                    problems.append(Problem(
                        file=display, kind="missing_column", table=table.name, row_number=row.number,
                        row_label=row.label, column_label=col.label,
                        message=(f"汇总单位须自行填写此格（列键 {col.key}）：{col.label}不由下级单位汇总。"
                                 f"在 {display} 的 {table.key}.{row.key} 中填写。")))
                out[cell] = mine
                continue
            parts = [(child.id, f.values[table.key].get(cell)) for child, f in kids]
            total = None if any(v is None for _, v in parts) else sum((v for _, v in parts), 0)
            out[cell] = total
            if total is None:  # a child's missing cell leaves the sum missing: never a partial sum
                lacking = "、".join(c.name for c, f in kids if f.values[table.key].get(cell) is None)
                problems.append(Problem(
                    file=display, kind="missing_value", table=table.name, row_number=row.number, row_label=row.label,
                    column_label=col.label, value=CHILD_MISSING, row_group=row.group,
                    message=(f"下级单位 {lacking} 的此格缺失，汇总数无法计算（缺失值不是 0）。"
                             f"请先补齐下级单位的数据。")))
            if mine is not None and total is not None and mine != total:
                m = Mismatch(table=table.key, table_name=table.name, row=row.key, row_number=row.number,
                             row_label=row.label, column=col.key, column_label=col.label, expected=total,
                             actual=mine, parts=tuple((c, v) for c, v in parts if v))
                mismatches.append(m)
                problems.append(Problem(file=display, kind="rollup_mismatch", table=table.name,
                                        row_number=row.number, row_label=row.label, column_label=col.label,
                                        value=mine, message=m.message(),
                                        row_group=row.group))
    if own is None:
        problems.insert(0, Problem(
            file=display, kind="missing_table",
            message=(f"汇总单位 {unit.name}（{unit.id}）缺少数据文件。{'和'.join(own_column_labels(form))}不由下级汇总，"
                     f"须在该文件中填写（汇总的各格可以省略）；可用 `nianbao template --unit {unit.id} --year {year}` "
                     f"生成模板。")))
    if strict and problems:
        from .validation.grouping import problem_lines

        raise FiguresError(problems, lines=problem_lines(problems, form))
    return RollupFigures(unit=unit.id, year=year, form=form, path=fig_path, display_path=display, values=values,
                         facts=dict(own.facts) if own is not None else {}, problems=problems,
                         children=tuple(c.id for c, _ in kids), declared=frozenset(declared),
                         mismatches=mismatches)


def load_prior_figures(project: Project, unit: str, year: int, *, registry: UnitRegistry | None = None):
    """A unit's figures for ``year - 1`` (defective cells load as None), or None when it has none."""
    if registry is None:
        registry = project.units()
    unit_obj = registry.get(unit)
    prior = int(year) - 1
    if not project.figures_file(unit, prior).is_file() and not unit_obj.rollup:
        return None
    try:
        return load_unit_figures(project, unit, prior, registry=registry, strict=False)
    except InputError:
        return None  # e.g. a child without last year's data: no prior-year comparison for the roll-up
