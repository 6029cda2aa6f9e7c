"""The supervising office's dashboard: ``outputs/<year>/index.html`` and the same table as ``index.xlsx``.

One line per registered unit with its **current verdict** — 通过 (no errors; warnings counted
beside), 未通过 (the report has validation errors), 失败 (its last run failed), 未报送 (no figures file
for the year), 未生成 (figures are there but no report was made yet) — not what this run did: a unit
skipped because nothing changed shows the verdict of the report it kept. Then its key figures (which
cells: the form pack's ``indicators.yaml``, read through :mod:`nianbao.keyfigures`), for a roll-up unit the
figure its own file declares beside the children's sum it is compiled from, and links to its outputs.

Totals: 合计 over every unit with figures, each counted once — a unit compiled into a roll-up unit's
tables is counted through that roll-up unit — and one line per level. Counts are summed; rates are
recomputed from the summed numerators and divisors, never averaged. A unit whose figure is missing
is left out of that figure's total and the line says how many were left out (a missing value is
never 0).

Self-contained like the reports (inline CSS and SVG, no external request); the page carries one small
inline script for sorting by a column and filtering by level and parent (without it the full table
shows); every name is escaped (Jinja autoescape); links are relative to ``outputs/<year>/``.
:func:`render_dashboard` and :func:`write_dashboard` take the batch's rows (statuses of this run and
of the reports kept) or, without rows, read ``outputs/<year>/.batch-state.json`` and each unit's
``validation.json``.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from . import __version__, atomic
from .collect import ABSENT, OK, UnitYear, collect
from .errors import InputError
from .keyfigures import value_text, views
from .outputs import FORMATS
from .project import Project
from .svgchart import SANS, Series, bar_chart

TEMPLATE = Path(__file__).resolve().parent / "templates" / "dashboard.html.j2"
FILENAME = "index.html"
XLSX_NAME = "index.xlsx"
# Every output format (nianbao.outputs), then the notebook and the evidence files.
LINK_KINDS = tuple((name, f.label) for name, f in FORMATS.items()) + (
    ("ipynb", "笔记本"), ("failed_ipynb", "失败的笔记本"), ("validation", "校验结果"))
STATUS_LABELS = {"passed": "通过", "failed": "未通过", "error": "失败", "absent": "未报送", "not_run": "未生成"}
CHART_UNITS = 30  # units shown in the chart (the largest by the chart's figure)
_VERDICT = {"passed": "passed", "warning": "passed", "failed": "failed", "error": "error"}
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # zip entry and document dates of index.xlsx: same table, same bytes


@dataclass
class UnitLine:
    unit: object  # nianbao.units.Unit
    parent_name: str
    status: str  # key of STATUS_LABELS
    errors: int | None = None
    warnings: int | None = None
    message: str = ""
    links: dict = field(default_factory=dict)
    data: UnitYear | None = None
    values: dict = field(default_factory=dict)  # key figure id -> value (None: missing or undefined)
    parts: dict = field(default_factory=dict)  # rate id -> (numerator, divisor) or None
    declared: dict = field(default_factory=dict)  # roll-up: count figure id -> what its own file declares
    counted_in: str | None = None  # id of the roll-up unit whose tables already include this unit's
    counted_in_name: str = ""

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class TotalLine:
    label: str
    units: int  # units summed
    values: dict  # figure id -> value
    left_out: dict  # figure id -> units left out because the figure is missing


@dataclass
class Dashboard:
    year: int
    lines: list[UnitLine]
    totals: list[TotalLine]
    figures: tuple  # the KeyFigure declarations shown
    counts: dict  # status -> units
    chart: str  # inline SVG
    chart_note: str
    levels: list  # (level key, label) present
    parents: list  # (unit id, name) of units that are someone's parent


def _verdict_from_record(rec: dict | None) -> tuple[str | None, dict]:
    if not rec:
        return None, {}
    if rec.get("outcome") == "ok":
        v = rec.get("validation") or {}
        return _VERDICT.get(v.get("status_code"), "passed"), {"errors": v.get("errors"), "warnings": v.get("warnings"),
                                                              "files": rec.get("files") or {}}
    return "error", {"message": rec.get("error", ""), "failed_notebook": rec.get("failed_notebook"),
                     "files": rec.get("files") or {}}


def _verdicts(project: Project, year: int, registry, rows) -> dict[str, tuple[str | None, dict]]:
    if rows is not None:
        out = {}
        for r in rows:
            code = r.report_status if r.status == "skipped" else r.status
            out[r.unit] = (_VERDICT.get(code), {"errors": r.errors, "warnings": r.warnings, "message": r.message,
                                                "files": dict(r.files or {}), "failed_notebook": r.failed_notebook})
        return out
    from .batch.state import BatchState

    state = BatchState.load(project, year)
    out = {}
    for u in registry:
        verdict, info = _verdict_from_record(state.units.get(u.id))
        if verdict is None:  # made by `nianbao run` rather than a batch: its validation.json
            out_dir = project.output_dir(u.id, year)
            try:
                data = json.loads((out_dir / "validation.json").read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                data = None
            if data:
                c = data.get("counts") or {}
                names = [(name, f.filename) for name, f in FORMATS.items()]
                names += [("ipynb", "report.ipynb"), ("validation.json", "validation.json")]
                files = {k: project.rel(out_dir / n) for k, n in names}
                verdict, info = _VERDICT.get(data.get("status_code"), "passed"), {
                    "errors": c.get("error", 0), "warnings": c.get("warning", 0), "files": files}
        out[u.id] = (verdict, info)
    return out


def _links(project: Project, base: Path, info: dict) -> dict[str, str]:
    files = info.get("files") or {}
    mapping = {name: files.get(name) for name in FORMATS} | {
        "ipynb": files.get("ipynb"), "validation": files.get("validation.json"), "failed_ipynb": info.get("failed_notebook")}
    links = {}
    for kind, rel in mapping.items():
        if rel and (project.root / rel).is_file():
            links[kind] = Path(os.path.relpath(project.root / rel, base)).as_posix()
    return links


def _counted_in(registry, data: dict[str, UnitYear]) -> dict[str, str]:
    """Unit id → the outermost roll-up unit (with figures) whose tables include it."""
    from .rollup import figure_sources

    out: dict[str, str] = {}
    for u in registry:
        if u.rollup and data.get(u.id) is not None and data[u.id].ok:
            try:
                for src in figure_sources(registry, u.id):
                    out.setdefault(src, u.id)
            except InputError:
                continue
    # the outermost: a roll-up that is itself counted in another passes its children up
    for src, r in list(out.items()):
        while r in out:
            r = out[r]
        out[src] = r
    return out


def _total(label: str, lines: list[UnitLine], figures) -> TotalLine:
    values, left_out = {}, {}
    for f in figures:
        if f.kind == "count":
            known = [ln.values[f.id] for ln in lines if ln.values.get(f.id) is not None]
            values[f.id] = sum(known) if known else None
            left_out[f.id] = len(lines) - len(known)
        else:
            parts = [ln.parts[f.id] for ln in lines if ln.parts.get(f.id) is not None]
            num, den = sum(p[0] for p in parts), sum(p[1] for p in parts)
            values[f.id] = Decimal(num) / Decimal(den) if parts and den else None
            left_out[f.id] = len(lines) - len(parts)
    return TotalLine(label, len(lines), values, left_out)


def build_dashboard(project: Project, year: int, rows=None, *, registry=None, data=None) -> Dashboard:
    """The dashboard's content (no HTML): lines, totals, chart. ``data``: unit → UnitYear, if already collected."""
    from . import forms
    from .units import LEVELS

    year = int(year)
    registry = registry if registry is not None else project.units()
    data = data if data is not None else collect(project, registry, year)
    verdicts = _verdicts(project, year, registry, rows)
    base = project.outputs_dir / str(year)
    try:
        form = forms.for_year(year)  # the year's form; units whose file names another are listed without figures
    except InputError:
        form_ids = sorted({d.form_id for d in data.values() if d.ok})
        if not form_ids:
            raise
        form = forms.get(form_ids[0])
    spec = views(form)
    counted = _counted_in(registry, data)
    names = {u.id: u.name for u in registry}
    lines: list[UnitLine] = []
    for u in registry:
        d = data.get(u.id)
        verdict, info = verdicts.get(u.id, (None, {}))
        if d is None or d.state == ABSENT:
            status = "absent"
        else:
            status = verdict or "not_run"
        if d is not None and d.state != OK and d.state != ABSENT and status == "not_run":
            status = "error"  # figures that cannot be read: no report can be made
        line = UnitLine(unit=u, parent_name=names.get(u.parent, "") if u.parent else "", status=status,
                        errors=info.get("errors"), warnings=info.get("warnings"),
                        message=info.get("message") or (d.message if d is not None and d.state not in (OK, ABSENT) else ""),
                        links=_links(project, base, info), data=d, counted_in=counted.get(u.id),
                        counted_in_name=names.get(counted.get(u.id), ""))
        if status == "absent" and verdict is not None:
            line.message = "数据文件已不存在；此前的报告结果不再适用。"
        if d is not None and d.ok and d.form_id == form.id:
            for f in spec.key_figures:
                line.values[f.id] = f.value(d.values)
                if f.kind == "rate":
                    line.parts[f.id] = f.parts(d.values)
                elif u.rollup and f.cells[0] in d.declared:
                    line.declared[f.id] = d.declared[f.cells[0]]
        lines.append(line)
    with_data = [ln for ln in lines if ln.data is not None and ln.data.ok and ln.data.form_id == form.id]
    totals = [_total("合计", [ln for ln in with_data if ln.counted_in is None], spec.key_figures)]
    levels = [(k, v) for k, v in LEVELS.items() if any(ln.unit.level == k for ln in lines)]
    for key, label in levels:
        at = [ln for ln in with_data if ln.unit.level == key]
        at = [ln for ln in at if not (ln.counted_in and registry.get(ln.counted_in).level == key)]
        if at:
            totals.append(_total(label, at, spec.key_figures))
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for ln in lines:
        counts[ln.status] += 1
    cf = spec.chart_figure
    chart, note = "", f"{form.document}格式尚未声明主要数字，不作图。"
    if cf is not None:
        ranked = sorted((ln for ln in with_data if ln.values.get(cf.id) is not None),
                        key=lambda ln: -ln.values[cf.id])[:CHART_UNITS]
        chart = bar_chart("dashboard-chart", f"各单位{cf.label}", [ln.unit.name for ln in ranked],
                          [Series(str(year), tuple(ln.values[cf.id] for ln in ranked))], font=SANS)
        shown = len([ln for ln in with_data if ln.values.get(cf.id) is not None])
        note = (f"按“{cf.label}”从多到少，显示前 {len(ranked)} 个单位（共 {shown} 个单位有此数字）。"
                if shown > len(ranked) else f"按“{cf.label}”从多到少排列，共 {shown} 个单位。")
    parents = [(pid, names[pid]) for pid in dict.fromkeys(u.parent for u in registry if u.parent) if pid in names]
    return Dashboard(year=year, lines=lines, totals=totals, figures=spec.key_figures, counts=counts, chart=chart,
                     chart_note=note, levels=levels, parents=parents)


def _show(f, value) -> str:
    return value_text(f.kind, value)


def render_dashboard(project: Project, year: int, rows=None, summary=None, *, dashboard: Dashboard | None = None) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    dash = dashboard or build_dashboard(project, year, rows)
    env = Environment(loader=FileSystemLoader(str(TEMPLATE.parent)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=False, lstrip_blocks=False)
    run = None
    if summary is not None:
        run = {"ran": len(summary.ran), "skipped": len(summary.skipped),
               "executor": "Dask" if summary.executor == "dask" else "本机", "jobs": summary.jobs,
               "kernel": "每个单位新内核" if summary.kernel_mode == "fresh" else "常驻内核",
               "seconds": summary.seconds, "generated": time.strftime("%Y-%m-%d %H:%M:%S")}
    return env.get_template(TEMPLATE.name).render(
        d=dash, year=dash.year, labels=STATUS_LABELS, link_kinds=LINK_KINDS, version=__version__, run=run,
        show=_show, xlsx=XLSX_NAME)


def xlsx_bytes(dash: Dashboard) -> bytes:
    """The dashboard's table as an .xlsx workbook (sheets 单位 and 合计), byte-deterministic."""
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from .workbook.writer import to_bytes

    wb = Workbook(write_only=True)  # streamed: several times faster for a thousand units
    ws = wb.create_sheet("单位")
    bold = Font(bold=True)

    def styled(sheet, value, *, font=None, fmt=None):
        cell = WriteOnlyCell(sheet, value=value)
        if font is not None:
            cell.font = font
        if fmt is not None:
            cell.number_format = fmt
        return cell

    def shown(f, v):  # a rate as a number formatted as a per cent; a missing count as 缺失, never blank or 0
        if f.kind == "rate":
            return "—" if v is None else styled(ws, float(v), fmt="0.0%")
        return "缺失" if v is None else v

    rollups = [f for f in dash.figures if f.kind == "count" and any(f.id in ln.declared for ln in dash.lines)]
    head = ["单位编号", "单位名称", "级别", "上级单位", "状态", "错误", "警告"] + [f.label for f in dash.figures] \
        + [f"汇总单位自填：{f.label}" for f in rollups] + ["已计入汇总单位", "说明"]
    ws.append([styled(ws, h, font=bold) for h in head])
    for ln in dash.lines:
        vals = [shown(f, ln.values.get(f.id)) if ln.values else None for f in dash.figures]
        ws.append([ln.unit.id, ln.unit.name, ln.unit.level_label, ln.parent_name or None, ln.label, ln.errors, ln.warnings,
                   *vals, *[ln.declared.get(f.id) for f in rollups], ln.counted_in,
                   ln.message.splitlines()[0] if ln.message else None])
    wt = wb.create_sheet("合计")
    head = ["范围", "单位数"] + [f.label for f in dash.figures] + [f"缺失而未计入的单位数：{f.label}" for f in dash.figures]
    wt.append([styled(wt, h, font=bold) for h in head])
    for t in dash.totals:
        vals = [("—" if t.values[f.id] is None else styled(wt, float(t.values[f.id]), fmt="0.0%")) if f.kind == "rate"
                else t.values[f.id] for f in dash.figures]
        wt.append([t.label, t.units, *vals, *[t.left_out[f.id] for f in dash.figures]])
    wb.properties.creator = f"nianbao {__version__}"
    wb.properties.created = datetime(*_FIXED_TIME)  # to_bytes stamps "modified" with it too
    return to_bytes(wb, date_time=_FIXED_TIME)


def write_dashboard(project: Project, year: int, rows=None, summary=None) -> Path:
    """Write ``outputs/<year>/index.html`` and ``index.xlsx`` (each atomically); returns the HTML's path."""
    dash = build_dashboard(project, year, rows)
    target = project.outputs_dir / str(year) / FILENAME
    atomic.write_bytes(target.with_name(XLSX_NAME), xlsx_bytes(dash))
    atomic.write_text(target, render_dashboard(project, year, rows, summary, dashboard=dash))
    return target
