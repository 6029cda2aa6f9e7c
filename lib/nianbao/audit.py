"""Auditing published reports by the hundred: import each one, validate its tables, lint its text.

:func:`audit_folder` imports every report in a folder (mixed types), validates all of them in one
call (Great Expectations starts once) and lints each narrative as printed; one report's failure is
recorded and never stops the rest. :func:`write_outputs` writes the findings dashboard (HTML,
offline, no script), the tables as CSV and XLSX, and each report's imported files.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, atomic
from .errors import InputError
from .findings import SEVERITY_LABELS, Finding
from .importer import ImportResult, import_report, readers
from .importer.output import COMPLETENESS_LABELS
from .narrative import Narrative, Part, RenderedNarrative, RenderedPart
from .units import Unit

TEMPLATE = Path(__file__).resolve().parent / "templates" / "audit.html.j2"

# Which column of the report table a finding counts in, by rule id prefix.
CATEGORIES = {
    "table_errors": ("T2-", "T3-", "T4-", "X-", "P-"),
    "missing_cells": ("TYPE-",),
    "contradictions": ("NARR-FIGURE", "NARR-ALL-DONE", "NARR-FEE"),
    "stale_years": ("NARR-YEAR", "AUDIT-YEAR"),
    "missing_sections": ("AUDIT-SECTION", "AUDIT-FORMAT"),
    "narrative_other": ("NARR-PROBLEMS", "NARR-TOPICS", "NARR-TODO", "NARR-PLACEHOLDER"),
}
# Level from the body's own name, only where the name says it (otherwise: not known).
LEVEL_WORDS = (("township", ("镇", "乡", "街道", "苏木")), ("county", ("县", "旗", "区")),
               ("city", ("市",)), ("province", ("省", "自治区")))


def category(rule_id: str) -> str:
    for cat, prefixes in CATEGORIES.items():
        if any(rule_id.startswith(p) for p in prefixes):
            return cat
    return "narrative_other"


@dataclass
class AuditEntry:
    path: Path
    id: str
    imported: ImportResult | None = None
    error: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "failed" if self.imported is None else self.imported.completeness

    def count(self, cat: str, severity: str | None = None) -> int:
        return sum(1 for f in self.findings if category(f.rule_id) == cat and (severity is None or f.severity == severity))

    def missing_sections(self) -> list[str]:
        if self.imported is None:
            return []
        return [s.heading for s in self.imported.form.sections if s.key not in self.imported.sections]


def report_files(folder: Path, exclude: Path | None = None) -> list[Path]:
    """The reports in ``folder`` (and below), not counting an earlier audit's outputs in ``exclude``."""
    exts = set(readers.suffixes()) - {".md"}
    skip = exclude.resolve() if exclude is not None else None
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in exts and not p.name.startswith(".")
                  and not (skip is not None and p.resolve().is_relative_to(skip)))


def _unit_for(entry_id: str, r: ImportResult) -> Unit:
    name = r.unit_name or entry_id
    level = next((lv for lv, words in LEVEL_WORDS if any(w in name for w in words)), None)
    # an unknown level: the rule-making rule has nothing to go on, so it is not applied
    return Unit(id=entry_id, name=name, level=level or "county", kind="government" if "人民政府" in name else "department",
                rulemaking=None if level else True)


def _rendered(r: ImportResult, display: str) -> RenderedNarrative:
    parts = {k: RenderedPart(s.text, s.line, display) for k, s in r.sections.items()}
    pre = RenderedPart(r.preface.text, r.preface.line, display) if r.preface else None
    return RenderedNarrative(preface=pre, sections=parts)


def _entry_id(path: Path, root: Path, seen: set[str]) -> str:
    rel = path.relative_to(root).with_suffix("").as_posix()
    base = re.sub(r"[^a-z0-9_-]+", "-", rel.lower()).strip("-_") or "report"
    out, n = base, 2
    while out in seen:
        out, n = f"{base}-{n}", n + 1
    seen.add(out)
    return out


def audit_folder(folder: str | Path, year: int | None = None, progress=None, exclude: Path | None = None) -> list[AuditEntry]:
    from .validation import validate_contexts
    from .validation.checks import CheckContext

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: 不是目录。")
    files = report_files(folder, exclude)
    if not files:
        raise InputError(f"{folder}: 没有可导入的报告（{'、'.join(s for s in readers.suffixes() if s != '.md')}）。")
    entries, contexts, seen = [], [], set()
    for i, path in enumerate(files, 1):
        e = AuditEntry(path=path, id=_entry_id(path, folder, seen))
        entries.append(e)
        try:
            r = import_report(path, year=year)
            display = path.relative_to(folder).as_posix()
            figures = r.figures(e.id, display)
            unit = _unit_for(e.id, r)
            narrative = Narrative(path=path, display_path=display,
                                  sections={k: Part(s.text, s.line) for k, s in r.sections.items()})
            contexts.append((e, CheckContext(unit=unit, year=r.year, figures=figures, narrative=narrative,
                                             rendered=_rendered(r, display))))
            e.imported = r
        except InputError as exc:
            e.error = str(exc)
        except Exception as exc:  # one report's failure never stops the rest
            e.error = f"导入时出错：{type(exc).__name__}: {exc}"
        if progress:
            progress(i, len(files), e)
    if contexts:
        try:
            results = validate_contexts([c for _, c in contexts])
        except Exception:
            results = []
            for e, c in contexts:
                try:
                    results.append(validate_contexts([c])[0])
                except Exception as exc:
                    e.error = f"校验时出错：{type(exc).__name__}: {exc}"
                    results.append(None)
        copied = _copied_findings(contexts)
        for (e, c), res in zip(contexts, results):
            if res is not None:
                e.findings = _sections_found(e, list(res.findings)) + copied.get(e.id, [])
    return entries


def _copied_findings(contexts) -> dict[str, list[Finding]]:
    """Text copied from last year, across the audit: a report whose issuing body also has a report of the
    year before in the folder is compared with it section by section (NARR-COPIED, NARR-COPIED-PROBLEMS)."""
    from . import copied

    by_body = {}
    for e, c in contexts:
        body = e.imported.unit_name
        if body:
            by_body.setdefault((body, c.year), []).append((e, c))
    out: dict[str, list[Finding]] = {}
    for (body, year), current in by_body.items():
        previous = by_body.get((body, year - 1))
        if not previous or len(previous) > 1:  # two reports of one body and year: which one is last year's is not guessed
            continue
        prev_c = previous[0][1]
        for e, c in current:
            out[e.id] = copied.narrative_findings(c.narrative, prev_c.narrative, c.form, previous_year=year - 1,
                                                  unit=e.id, year=year)
    return out


# A section the text does not hold at all is one finding (AUDIT-SECTION), not also "section 五 is
# empty" and "section 六 says nothing about fees". By narrative check; which section each check reads
# is the form pack's (FormPack.section_key).
_SECTION_RULES = {"problems": "NARR-PROBLEMS", "fee": "NARR-FEE"}
_WHOLE_SECTION_RULES = {"overview": ("NARR-TOPICS",), "problems": ("NARR-PROBLEMS",), "fee": ("NARR-FEE",)}


def _by_section(form, rules: dict) -> dict:
    """``rules`` (check → rule ids) keyed by the form's section key of each check."""
    from . import forms

    pack = forms.pack(form.id)
    return {pack.section_key(check): rule for check, rule in rules.items() if pack.section_key(check)}


def _sections_found(e: AuditEntry, findings: list[Finding]) -> list[Finding]:
    r = e.imported
    out = list(findings)
    if not r.form.covers(r.year):
        # read with the only pack whose labels it shares; that format's narrative requirements
        # (the five topics of section 一) are not this report's
        out = [f for f in out if f.rule_id != "NARR-TOPICS"]
        out.append(Finding(rule_id="AUDIT-FORMAT", severity="warning", unit=e.id, year=r.year, check="audit",
                           message=f"{r.year} 年度的报告不属于 {r.form.id}（{r.form.document}）的适用年度，而已登记的格式中没有"
                                   f"适用于该年度的；表格按所印标签读取（列标题不符的表不读），未检查该格式对叙述的要求。"))
    if r.stated_year is not None and r.stated_year != r.year:
        out.append(Finding(rule_id="AUDIT-YEAR", severity="warning", unit=e.id, year=r.year, check="audit",
                           expected=str(r.year), actual=str(r.stated_year),
                           message=f"报告本身写的是 {r.stated_year} 年度，按 --year 作为 {r.year} 年度审查；"
                                   f"年份检查的结果以 {r.year} 年为准。"))
    cut = r.cut_short
    if cut:
        sec = r.form.section(cut)
        # the checks that need the whole section cannot judge a section the text stops in
        out = [f for f in out if not (f.rule_id in _by_section(r.form, _WHOLE_SECTION_RULES).get(cut, ()))]
        out.append(Finding(rule_id="AUDIT-SECTION", severity="warning", unit=e.id, year=r.year, check="audit",
                           message=f"文本在第{sec.number}部分“{sec.title}”中途结束（最后一句没有写完）；"
                                   f"需要整段才能判断的检查未做。请检查导入的文件是否完整。"))
    section_rules = _by_section(r.form, _SECTION_RULES)
    for s in r.form.sections:
        if s.key in r.sections:
            continue
        rule = section_rules.get(s.key)
        if rule:
            out = [f for f in out if not (f.rule_id == rule and f.file is None)]
        out.append(Finding(rule_id="AUDIT-SECTION", severity="warning", unit=e.id, year=r.year,
                           message=f"文本中没有第{s.number}部分“{s.title}”（未找到以“{s.number}、”开头的标题）。"
                                   f"若原报告有此部分，请检查导入的文件是否完整。", check="audit"))
    return out


# --- outputs --------------------------------------------------------------------------------------

SUMMARY_HEAD = ["报告", "文件", "格式", "年度", "单位", "读取", "读出格数", "空白格数", "拒读格数", "文本中没有",
                "表格错误", "缺失单元格", "叙述与表格矛盾", "往年年份", "其他叙述问题", "缺少的章节", "未能导入的原因"]
FINDINGS_HEAD = ["报告", "文件", "级别", "规则", "类别", "表", "行", "列", "应为", "实际", "位置", "说明"]
CATEGORY_LABELS = {"table_errors": "表格错误", "missing_cells": "缺失单元格", "contradictions": "叙述与表格矛盾",
                   "stale_years": "往年年份", "missing_sections": "缺少的章节", "narrative_other": "其他叙述问题"}
STATUS_LABELS = dict(COMPLETENESS_LABELS, failed="未能导入")


def summary_rows(entries: list[AuditEntry], root: Path) -> list[list]:
    rows = []
    for e in entries:
        r = e.imported
        c = r.counts() if r else {}
        rows.append([e.id, e.path.relative_to(root).as_posix(), r.form.id if r else "", r.year if r else "",
                     (r.unit_name or "") if r else "", STATUS_LABELS[e.status],
                     c.get("read", 0) + c.get("split", 0) if r else "", c.get("blank", "") if r else "",
                     c.get("refused", "") if r else "", c.get("absent", "") if r else "",
                     e.count("table_errors", "error"), e.count("missing_cells"), e.count("contradictions"),
                     e.count("stale_years"), e.count("narrative_other"), "、".join(e.missing_sections()), e.error or ""])
    return rows


def finding_rows(entries: list[AuditEntry], root: Path) -> list[list]:
    rows = []
    for e in entries:
        for f in e.findings:
            rows.append([e.id, e.path.relative_to(root).as_posix(), SEVERITY_LABELS[f.severity], f.rule_id,
                         CATEGORY_LABELS[category(f.rule_id)], f.table_name or "", f.row_label or "", f.column_label or "",
                         "" if f.expected is None else str(f.expected), "" if f.actual is None else str(f.actual),
                         f"{f.file}:{f.line}" if f.file and f.line else (f.file or ""), f.message])
    return rows


MISSING_HEAD = ["报告", "文件", "表", "空白格数", "拒读格数", "文本中没有", "拒读原因（第一处）"]


def missing_rows(entries: list[AuditEntry], root: Path) -> list[list]:
    """Cells not read, per report and table (one row each; cell by cell they are in the findings CSV)."""
    rows = []
    for e in entries:
        r = e.imported
        if r is None:
            continue
        for t in r.form.tables:
            cells = [c for c in r.cells if c.table == t.key]
            n = {k: sum(1 for c in cells if c.status == k) for k in ("blank", "refused", "absent")}
            if not any(n.values()):
                continue
            first = next((c for c in cells if c.status == "refused"), None)
            rows.append([e.id, e.path.relative_to(root).as_posix(), t.name, n["blank"], n["refused"], n["absent"],
                         (first.reason or "") if first else ""])
    return rows


def _csv(head, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel and WPS open it as UTF-8


def _xlsx(sheets: list[tuple[str, list, list]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    import datetime as dt

    from openpyxl.cell import WriteOnlyCell

    from .workbook.writer import to_bytes

    wb = Workbook(write_only=True)  # streamed: thousands of finding rows in a fraction of the time
    for title, head, rows in sheets:
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        bold = []
        for h in head:
            c = WriteOnlyCell(ws, value=h)
            c.font = Font(bold=True)
            bold.append(c)
        ws.append(bold)
        for row in rows:
            ws.append(row)
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
    return to_bytes(wb, date_time=(1980, 1, 1, 0, 0, 0))  # same findings → same bytes


def render_html(entries: list[AuditEntry], root: Path, year: int | None) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATE.parent)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    rules: dict[tuple[str, str], int] = {}
    for e in entries:
        for f in e.findings:
            rules[(f.rule_id, f.severity)] = rules.get((f.rule_id, f.severity), 0) + 1
    status = {k: sum(1 for e in entries if e.status == k) for k in STATUS_LABELS}
    return env.get_template(TEMPLATE.name).render(
        version=__version__, year=year, root=root.name, entries=entries, summary=summary_rows(entries, root),
        head=SUMMARY_HEAD, status=status, status_labels=STATUS_LABELS, severity_labels=SEVERITY_LABELS,
        rules=sorted(rules.items()), category=category, category_labels=CATEGORY_LABELS,
        shown=[f for e in entries for f in e.findings if category(f.rule_id) != "missing_cells"])


def write_outputs(entries: list[AuditEntry], root: Path, out: Path, year: int | None) -> list[Path]:
    from .importer.output import write

    out.mkdir(parents=True, exist_ok=True)
    for e in entries:
        if e.imported is not None:
            write(e.imported, out / "reports" / e.id, e.id)
    summary, findings = summary_rows(entries, root), finding_rows(entries, root)
    files = {
        "audit.html": render_html(entries, root, year).encode("utf-8"),
        "audit-reports.csv": _csv(SUMMARY_HEAD, summary),
        "audit-findings.csv": _csv(FINDINGS_HEAD, findings),
        # the workbook lists missing cells per table, not one row per cell (that is the CSV's job)
        "audit.xlsx": _xlsx([("报告", SUMMARY_HEAD, summary),
                             ("发现", FINDINGS_HEAD, [f for f in findings if f[3] != "TYPE-MISSING"]),
                             ("缺失单元格", MISSING_HEAD, missing_rows(entries, root))]),
    }
    targets = [out / name for name in files]
    with atomic.staged(targets) as temps:
        for tmp, data in zip(temps, files.values()):
            tmp.write_bytes(data)
    return targets


def print_progress(i: int, n: int, e: AuditEntry, stream=None) -> None:
    stream = stream or sys.stderr
    width = 24
    done = int(width * i / n)
    what = STATUS_LABELS[e.status] if e.error is None else f"未能导入：{e.error.splitlines()[0][:60]}"
    print(f"[{'#' * done}{'.' * (width - done)}] {i}/{n} {e.path.name}：{what}", file=stream, flush=True)


__all__ = ["AuditEntry", "audit_folder", "write_outputs"]
