"""Comparison pages: one unit over several years, or several units in one year.

:func:`compare_years` and :func:`compare_units` collect the unit-years (:mod:`nianbao.collect`) and
return a :class:`Comparison`: the key figures per column (a year or a unit) with, across years, the
change from the column before; the declared charts (:mod:`nianbao.keyfigures`) with one series per
column; and every compared cell. ``nianbao compare`` writes it as one self-contained HTML page
(``templates/compare.html.j2``); ``notebooks/compare.ipynb`` shows the same parts as notebook blocks.

Which cells are compared: the form of the newest column is the reference. A column in the same form
is compared on every cell. A column in another form is compared only on the cells the newer form pack
declares comparable (``continues:`` in its form.yaml, :func:`nianbao.formpack.continuity`) and shows
不可比 for the rest; with no declaration the column is left out, and the page says so and why. A unit-year
without data is 未报送, one whose file cannot be read says why; neither is ever shown as 0.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .collect import ABSENT, OK, UnitYear, collect, unit_year
from .errors import InputError
from .keyfigures import Views, value_text, views
from .project import Project
from .svgchart import SANS, Series, bar_chart

TEMPLATE = Path(__file__).resolve().parent / "templates" / "compare.html.j2"
MAX_SERIES = 6  # charts with one series per column up to this many columns; more: one ranking chart
MAX_CELL_COLUMNS = 12  # the every-cell table is shown up to this many columns
RANKED = 30  # units shown in a ranking chart
NOT_COMPARABLE = "不可比"
_COMPARABLE: dict[tuple[str, str], dict] = {}


def register_comparable(reference: str, other: str, cells) -> None:
    """Declare cells of form ``other`` comparable with cells of form ``reference``:
    ``cells`` = iterable of ((table, row, column) in reference, (table, row, column) in other)."""
    _COMPARABLE[(reference, other)] = {tuple(a): tuple(b) for a, b in cells}


def comparable_cells(reference, other) -> dict | None:
    """Reference cell → the other form's cell, for every comparable cell; None when none are declared.

    Across form versions the newer pack's ``continues:`` declaration decides
    (:func:`nianbao.formpack.continuity`): the cells it names compare with the same cell of the other
    format; :func:`register_comparable` can add a mapping between cells of different keys."""
    from .formpack import continuity

    if reference.id == other.id:
        return {(t.key, r.key, c.key): (t.key, r.key, c.key) for t in reference.tables for r, c in t.cells()}
    if (reference.id, other.id) in _COMPARABLE:
        return _COMPARABLE[(reference.id, other.id)]
    cont = continuity(reference, other) or continuity(other, reference)
    return {cell: cell for cell in sorted(cont.cells)} if cont is not None and cont.cells else None


def parse_years(text: str) -> list[int]:
    """2021-2024 → [2021, 2022, 2023, 2024]; 2021,2023 → [2021, 2023]."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-–—~至]\s*(\d{4})\s*", text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if b < a:
            raise ValueError(f"年度范围 {text!r} 的终止年早于起始年")
        return list(range(a, b + 1))
    parts = [p.strip() for p in re.split(r"[,，、]", text) if p.strip()]
    if not parts or not all(re.fullmatch(r"\d{4}", p) for p in parts):
        raise ValueError(f"无法识别的年度 {text!r}：请写 2021-2024 或 2021,2023")
    return sorted({int(p) for p in parts})


@dataclass
class Column:
    key: str  # year or unit id
    title: str
    data: UnitYear
    cells: dict | None = None  # reference cell -> this column's cell (None: not compared)
    values: dict = field(default_factory=dict)  # in reference cell keys; only comparable cells

    @property
    def compared(self) -> bool:
        return self.cells is not None


@dataclass
class Comparison:
    kind: str  # years | units
    title: str
    subject: str  # the unit's name (years) or the year (units)
    views: Views
    columns: list[Column]  # compared columns, in order
    left_out: list[tuple[str, str]]  # (column title, why) not compared
    cells_note: str
    figure_rows: list = field(default_factory=list)  # (KeyFigure, [shown value per column], [change per column])
    charts: list[str] = field(default_factory=list)  # inline SVG
    cell_tables: list = field(default_factory=list)  # (table name + title, [(label, [shown per column])])
    keys: list = field(default_factory=list)  # what was asked for: years or unit ids

    @property
    def form(self):
        return self.views.form


def _translate(data: UnitYear, mapping: dict) -> dict:
    out: dict = {}
    for (t, r, c), (ot, orow, oc) in mapping.items():
        if (orow, oc) in data.values.get(ot, {}):
            out.setdefault(t, {})[(r, c)] = data.values[ot][(orow, oc)]
    return out


def _column_state(col: Column) -> str | None:
    """What a column shows instead of figures, or None when it has figures."""
    if col.data.state == ABSENT:
        return "未报送"
    if col.data.state != OK:
        return "无法读取"
    return None


def _build(kind: str, title: str, subject: str, columns: list[Column]) -> Comparison:
    keys = [c.key for c in columns]
    from . import forms

    with_data = [c for c in columns if c.data.ok]
    if not with_data:
        raise InputError(f"{title}：所选单位和年度都没有可读取的数据，无从比较。"
                         + "".join(f"\n  {c.title}：{_column_state(c)}" for c in columns))
    reference = forms.get(with_data[-1].data.form_id)
    spec = views(reference)
    left_out, compared = [], []
    partial = []
    for col in columns:
        if not col.data.ok:
            compared.append(col)  # shown, as 未报送 / 无法读取
            continue
        other = forms.get(col.data.form_id)
        mapping = comparable_cells(reference, other)
        if mapping is None:
            left_out.append((col.title, f"使用另一报告格式（{other.document}），与{reference.document}之间尚未声明可比的单元格"))
            continue
        col.cells = mapping
        col.values = col.data.values if other.id == reference.id else _translate(col.data, mapping)
        if other.id != reference.id:
            partial.append(f"{col.title}（{other.document}）只比较声明可比的 {len(mapping)} 个单元格")
        compared.append(col)
    total = sum(1 for t in reference.tables for _ in t.cells())
    note = f"比较的单元格：{reference.document}格式的全部 {total} 个单元格（{'、'.join(t.name for t in reference.tables)}）"
    if partial:
        note += "；" + "；".join(partial)
    cmp = Comparison(kind=kind, title=title, subject=subject, views=spec, columns=compared, left_out=left_out,
                     cells_note=note + "。", keys=keys)
    _fill(cmp)
    return cmp


def _figure_value(f, col: Column):
    cells = f.cells + f.numerator + f.denominator + f.minus
    if any(c not in col.cells for c in cells):
        return NOT_COMPARABLE
    return f.value(col.values)


def _fill(cmp: Comparison) -> None:
    from .yoy import change_text

    cols = cmp.columns
    for f in cmp.views.key_figures:
        shown, changes, prev = [], [], NOT_COMPARABLE  # no column before the first
        for col in cols:
            state = _column_state(col)
            if state:
                shown.append(state)
                changes.append("")
                prev = NOT_COMPARABLE
                continue
            v = _figure_value(f, col)
            shown.append(v if v == NOT_COMPARABLE else value_text(f.kind, v))
            ok = v != NOT_COMPARABLE and prev != NOT_COMPARABLE
            changes.append(change_text(f.kind, v, prev) if cmp.kind == "years" and ok else "")
            prev = v
        cmp.figure_rows.append((f, shown, changes))
    data_cols = [c for c in cols if c.data.ok]
    if len(data_cols) <= MAX_SERIES:
        for ch in cmp.views.charts:
            series = [Series(c.title, tuple(b.value(c.values) if all(x in c.cells for x in b.cells) else None
                                            for b in ch.bars)) for c in data_cols]
            cmp.charts.append(bar_chart(f"compare-{ch.id}", ch.title, ch.labels, series, font=SANS))
    elif cmp.views.chart_figure is not None:
        f = cmp.views.chart_figure
        ranked = sorted((c for c in data_cols if f.cells[0] in c.cells and f.value(c.values) is not None),
                        key=lambda c: -f.value(c.values))[:RANKED]
        head = f"前 {len(ranked)} 个" if len(ranked) < len(data_cols) else "各"
        cmp.charts.append(bar_chart("compare-ranking", f"{f.label}（{head}单位）", [c.title for c in ranked],
                                    [Series(cmp.subject, tuple(f.value(c.values) for c in ranked))], font=SANS))
    if len(cols) <= MAX_CELL_COLUMNS:
        for table in cmp.form.tables:
            lines = []
            for row, col in table.cells():
                cell = (table.key, row.key, col.key)
                label = " / ".join(row.groups + (row.label,)) + f" · {col.label}"
                shown = []
                for c in cols:
                    state = _column_state(c)
                    if state:
                        shown.append(state)
                    elif cell not in c.cells:
                        shown.append(NOT_COMPARABLE)
                    else:
                        shown.append(value_text("count", c.values.get(table.key, {}).get((row.key, col.key))))
                lines.append((label, shown))
            cmp.cell_tables.append((f"{table.name} {table.title}", lines))


def compare_years(project: Project, unit: str, years, *, registry=None) -> Comparison:
    """One unit over ``years`` (ascending)."""
    registry = registry if registry is not None else project.units()
    u = registry.get(unit)
    columns = [Column(str(y), f"{y}年", unit_year(project, registry, u.id, int(y))) for y in sorted(set(years))]
    return _build("years", f"{u.name} {columns[0].key}—{columns[-1].key}年 政府信息公开工作年度报告数字对比",
                  u.name, columns)


def compare_units(project: Project, units, year: int, *, registry=None) -> Comparison:
    """Several units (in the order given) in one year."""
    registry = registry if registry is not None else project.units()
    ids = list(dict.fromkeys(units))
    for uid in ids:
        registry.get(uid)  # an unknown id is an input error naming it
    data = collect(project, registry, int(year), ids)
    columns = [Column(uid, registry.get(uid).name, data[uid]) for uid in ids]
    return _build("units", f"{year}年 {len(ids)} 个单位政府信息公开工作年度报告数字对比", f"{year}年", columns)


def render(cmp: Comparison, part: str | None = None) -> str:
    """The whole page (``part=None``) or one part of it: summary, figures, charts, cells."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from . import __version__

    env = Environment(loader=FileSystemLoader(str(TEMPLATE.parent)), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template(TEMPLATE.name).render(c=cmp, part=part, version=__version__,
                                                      max_cell_columns=MAX_CELL_COLUMNS)


class ComparisonView:
    """The notebook's handle: one method per part, each displayed as HTML."""

    def __init__(self, cmp: Comparison):
        self.comparison = cmp

    def _block(self, part: str, text: str):
        from .present.blocks import HTMLBlock

        return HTMLBlock(render(self.comparison, part), text)

    def summary(self):
        return self._block("summary", self.comparison.title)

    def figures(self):
        return self._block("figures", "主要数字")

    def charts(self):
        return self._block("charts", f"{len(self.comparison.charts)} 张图")

    def cells(self):
        return self._block("cells", self.comparison.cells_note)


def open_comparison(project_dir: str | Path | None = None, *, unit: str | None = None, years: str | None = None,
                    units: str | None = None, year: int | None = None) -> ComparisonView:
    """For notebooks: ``units`` ("a,b,c") + ``year`` when ``units`` is given, else ``unit`` + ``years`` ("2021-2024")."""
    project = Project.find(project_dir) if project_dir is None else Project(Path(project_dir).resolve())
    if units and year:
        return ComparisonView(compare_units(project, [u.strip() for u in str(units).split(",") if u.strip()], int(year)))
    if unit and years and not units:
        try:
            wanted = parse_years(str(years))
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return ComparisonView(compare_years(project, unit, wanted))
    raise InputError("请给出 unit 和 years（一个单位的多个年度），或 units 和 year（同一年度的多个单位）。")


def default_output(project: Project, cmp: Comparison) -> Path:
    """outputs/compare/<unit>_<first>-<last>.html, or outputs/compare/<year>_<a>+<b>….html (many units: a digest)."""
    import hashlib

    if cmp.kind == "years":
        name = f"{cmp.columns[0].data.unit}_{cmp.keys[0]}-{cmp.keys[-1]}"
    else:
        year = cmp.columns[0].data.year
        name = (f"{year}_{'+'.join(cmp.keys)}" if len(cmp.keys) <= 5 else
                f"{year}_{len(cmp.keys)}units_{hashlib.sha256(','.join(cmp.keys).encode()).hexdigest()[:8]}")
    return project.outputs_dir / "compare" / f"{name}.html"


__all__ = ["Comparison", "compare_units", "compare_years", "comparable_cells", "open_comparison", "parse_years",
           "register_comparable", "render"]
