"""Importing a published report: its figures and narrative in the project's formats.

``import_report(path)`` reads a web page, PDF, Word file or text (:mod:`.readers`), cuts it into
located cells (:mod:`.tokens`), detects the format from the labels and the notice cited
(:func:`detect_form`), reads every table cell by the form's labels (:mod:`.tables`) and splits the
text into the form's sections (:mod:`.sections`). Deterministic: no network, no model, no guess — a
cell is read exactly, or it is missing with the reason and the place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .. import forms
from ..errors import InputError, Problem
from ..form import Form
from . import readers
from .readers import Document
from .sections import SectionText, split_sections
from .tables import STATUSES, CellResult, TableRead, read_tables
from .tokens import Cell, cells as cut_cells, norm

_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?\s*[^，。；\n《》]{0,40}?政府信息公开(?:工作)?(?:年度?)?(?:情况)?报告")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|期间|时间|期)[^。；\n]{0,20}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")


@dataclass
class FormGuess:
    form: Form
    scores: dict[str, int]
    cited: list[str]
    reason: str


@dataclass
class ImportResult:
    path: Path
    document: Document
    form: Form
    guess: FormGuess
    year: int
    year_source: str
    unit_name: str | None
    tables: dict[str, TableRead]
    preface: SectionText | None
    sections: dict[str, SectionText]
    notes: list[str] = field(default_factory=list)
    stated_year: int | None = None  # the year the report itself states, when it states one

    @property
    def cut_short(self) -> str | None:
        """The key of the section the text stops in, when it stops mid-sentence before the form's
        last section (a page or an extraction cut short); else None."""
        last = next((ln.text.strip() for ln in reversed(self.document.lines) if ln.text.strip()), "")
        found = [s.key for s in self.form.sections if s.key in self.sections]
        if not found or found[-1] == self.form.sections[-1].key or last.endswith(("。", "！", "？", "”", "）", ")")):
            return None
        return found[-1]

    @property
    def cells(self) -> list[CellResult]:
        return [c for t in self.tables.values() for c in t.cells]

    def values(self) -> dict[str, dict[tuple[str, str], int | Decimal | None]]:
        return {k: {(c.row, c.column): c.value for c in t.cells} for k, t in self.tables.items()}

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for c in self.cells:
            out[c.status] += 1
        return out

    @property
    def completeness(self) -> str:
        """full: every cell of the form read; partial: some; none: no cell read."""
        c = self.counts()
        got = c["read"] + c["split"]
        total = sum(c.values())
        return "full" if got == total else ("none" if got == 0 else "partial")

    def figures(self, unit: str, display: str):
        """The imported tables as :class:`~nianbao.figures.Figures` — what the YAML loader gives for the
        written figures.yaml (loaded with ``strict=False``): unread cells ``None``, their problems kept."""
        from ..figures import Figures

        return Figures(unit=unit, year=self.year, form=self.form, path=self.path, display_path=display,
                       values=self.values(), facts={}, problems=self.problems(display))

    def problems(self, display: str) -> list[Problem]:
        """The cells that were not read, as the YAML loader's problems (missing values)."""
        out = []
        for c in self.cells:
            if c.status in ("read", "split"):
                continue
            t = self.form.table(c.table)
            row = t.row(c.row)
            col = row.column(c.column)
            out.append(Problem(file=display, message=f"{c.where + '：' if c.where else ''}{c.reason}", table=t.name,
                               row_number=row.number, row_label=row.label, column_label=col.label,
                               kind="missing_value", value=c.text, line=c.line if self.document.kind == "txt" else None))
        return out


def _labels(form: Form) -> set[str]:
    out = {norm(r.label) for t in form.tables for r in t.rows}
    out |= {norm(c.label) for t in form.tables for c in t.columns}
    return out | {norm(b.label) for t in form.tables for b in t.blocks}


def detect_form(doc: Document, cells: list[Cell], year: int | None, form_id: str | None = None) -> FormGuess:
    """The registered form whose own labels (those no other registered form prints) the report
    prints most; by year when the labels cannot tell."""
    text_norm = norm(doc.text)
    cited = [f.document for f in (forms.get(i) for i in forms.available()) if norm(f.document) in text_norm]
    if form_id:
        f = forms.get(form_id)
        return FormGuess(f, {}, cited, f"按 --form 指定：{f.id}（{f.document}）")
    norms = {norm(c.text) for c in cells}
    seen = lambda lab: lab in norms or (len(lab) >= 5 and lab in text_norm)
    labels = {fid: _labels(forms.get(fid)) for fid in forms.available()}
    shared = set.intersection(*labels.values()) if labels else set()
    scores = {fid: sum(1 for lab in labs if seen(lab)) for fid, labs in labels.items()}
    distinct = {fid: sum(1 for lab in labs - shared if seen(lab)) for fid, labs in labels.items()}
    ranked = sorted(labels, key=lambda fid: (-distinct[fid], -scores[fid]))
    best = ranked[0]
    tie = len(ranked) > 1 and (distinct[best], scores[best]) == (distinct[ranked[1]], scores[ranked[1]])
    if tie or scores[best] == 0:
        if year is None:
            raise InputError("无法从标签判断报告格式，也不知道报告年度。请用 --year 指定年度（或 --form 指定格式）。")
        f = forms.for_year(year)
        return FormGuess(f, scores, cited, f"标签不足以区分格式，按年度 {year} 用 {f.id}（{f.document}）")
    f = forms.get(best)
    why = f"按标签判断为 {f.id}（{f.document}）：本格式独有标签见到 {distinct[best]} 个，全部标签见到 {scores[best]} 个"
    return FormGuess(f, scores, cited, why)


def _cited(text: str, at: int) -> bool:
    """Inside 《…》: the title of another document (last year's report), not this report's."""
    before = text[:at]
    return before.rfind("《") > before.rfind("》")


def find_year(doc: Document) -> tuple[int | None, str]:
    """The report's own year: from its title (or the sentence naming the report), else its
    statistical period. A year in a cited title (《…2021年…年度报告》) is not the report's."""
    head = "\n".join(ln.text for ln in doc.lines[:80])
    for rx, what in ((_TITLE_YEAR, "标题"), (_PERIOD_YEAR, "统计期限")):
        for m in rx.finditer(head):
            if not _cited(head, m.start()):
                return int(m.group(1)), f"{what}“{m.group(0).strip()[:40]}”"
    return None, ""


def find_unit_name(doc: Document, year: int) -> str | None:
    """The body's name from the title: 「X2022年政府信息公开工作年度报告」, or X on the line above."""
    title = re.compile(r"^\s*(.{0,40}?)\s*" + str(year) + r"\s*年度?\s*(?:度)?政府信息公开工作年度报告")
    prev = None
    for ln in doc.lines[:20]:
        t = ln.text.strip()
        if not t:
            continue
        after = re.search(r"^\s*" + str(year) + r"\s*年度?\s*(.{2,30}?)政府信息公开工作年度报告\s*$", t)
        if after and "根据" not in t:
            return after.group(1).strip()  # 2019年上海市人民政府办公厅政府信息公开工作年度报告
        m = title.search(t)
        if m and "根据" not in m.group(1) and len(t) <= 60 and not _cited(t, m.end(1)):
            if m.group(1).strip():
                return m.group(1).strip()
            if prev and len(prev) <= 30 and "。" not in prev:
                return prev
        prev = t
    return None


def import_report(path: str | Path, *, year: int | None = None, form_id: str | None = None) -> ImportResult:
    path = Path(path)
    doc = readers.read(path)
    cells = cut_cells(doc)
    found_year, year_src = find_year(doc)
    notes = list(doc.notes)
    if year is None:
        if found_year is None:
            raise InputError(f"{path}: 报告中找不到年度（标题或统计期限）。请用 --year 指定。")
        year, year_source = found_year, f"报告{year_src}"
    else:
        year_source = "--year"
        if found_year is not None and found_year != year:
            notes.append(f"注意：报告{year_src}写的是 {found_year} 年，按 --year 用 {year} 年")
    guess = detect_form(doc, cells, year, form_id)
    form = guess.form
    if not form.covers(year):
        notes.append(f"注意：{year} 年度的报告本应使用其他格式，但标签是 {form.id}（{form.document}）的；按所印标签读取")
    clean_end = doc.kind != "txt" or not doc.text or doc.text[-1] in " \n\t|" or doc.lines[-1].text.strip().endswith(("。", "|"))
    tables = read_tables(form, cells, clean_end)
    skip = set().union(*(t.lines for t in tables.values()))
    preface, sections = split_sections(doc, form, skip)
    return ImportResult(path=path, document=doc, form=form, guess=guess, year=year, year_source=year_source,
                        unit_name=find_unit_name(doc, year), tables=tables, preface=preface, sections=sections,
                        notes=notes, stated_year=found_year)


__all__ = ["ImportResult", "detect_form", "import_report", "readers"]
