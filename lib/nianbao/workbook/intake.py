"""From what a reader received (a workbook, a CSV) to a checked figures file, or a refusal.

Cell values are not parsed here: each is written as the YAML scalar it is (a number as a number,
text as quoted text) into a figures file, which the kit's own loader (:func:`nianbao.figures.load_figures`,
hence :func:`nianbao.cells.parse_cell`) reads exactly as it reads a file typed by hand. Its problems
are mapped back to the cell they came from (表三!D12). Only a source with no problem is written, to a
temporary file beside the target that is loaded again before it replaces the old one.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .. import atomic
from ..errors import InputError
from ..figures import Fact, load_figures
from ..project import Project
from ..scaffold import BLANK, figures_yaml
from .reader import Entry, FactEntry, Submission
from .writer import FACTS_SHEET


def scalar(value) -> str:
    """A cell's value as the YAML scalar that means the same: numbers plain, text quoted."""
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return json.dumps(str(value))
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # a spreadsheet has one number type: 57.0 is 57
        return format(Decimal(repr(value)), "f")  # the shortest decimal that reads back as this float
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(str(value), ensure_ascii=False)


@dataclass
class Change:
    where: str
    what: str  # 表三 第1行「…」列「…」, or 叙述数字 name
    old: object
    new: object


@dataclass
class Outcome:
    source: str
    unit: str | None
    year: int | None
    status: str  # accepted | unchanged | refused
    problems: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    target: str | None = None
    issues: int = 0  # defects found, counting every cell of a grouped line


def _facts_text(facts: list[FactEntry] | None, kept: dict[str, Fact], value_text) -> tuple[str, list]:
    """The ``facts:`` block and, per line after ``facts:``, the FactEntry written there (None if kept)."""
    lines, order = ["facts:"], []
    items = [(f.key, value_text(f.value), f.unit, f.label, f.approx, f) for f in facts] if facts is not None else \
        [(f.key, value_text(f.value), f.unit, f.label, f.approx, None) for f in kept.values()]
    if not items:
        return "facts: {}", []
    for key, value, unit, label, approx, src in items:
        extra = ", approx: true" if approx else ""
        lines.append(f"  {json.dumps(key)}: {{value: {value}, unit: {json.dumps(unit, ensure_ascii=False)}, "
                     f"label: {json.dumps(label, ensure_ascii=False)}{extra}}}")
        order.append(src)
    return "\n".join(lines), order


def _cell(table, row, column) -> str:
    """A cell named by its printed labels: 表三 第1行「…」列「…」."""
    return f"{table.name} 第{row.number}行「{row.label}」列「{column.label}」"


def _where(e: Entry) -> str:
    return f"{e.where}（{_cell(e.table, e.row, e.column)}）"


def _load_text(text: str, unit: str, year: int, display: str):
    with tempfile.TemporaryDirectory(prefix="nianbao-intake-") as tmp:
        p = Path(tmp) / "figures.yaml"
        p.write_text(text, encoding="utf-8")
        return load_figures(p, unit=unit, year=year, strict=False, display=display)


def parse(sub: Submission, unit_name: str, kept_facts: dict[str, Fact]):
    """(figures, problems): the submission read by the YAML loader; problems name the source cells."""
    form = sub.form
    problems = list(sub.problems)
    if sub.fatal:
        return None, problems
    by_label = {}
    values: dict = {t.key: {} for t in form.tables}
    for (tk, rk, ck), e in sub.entries.items():
        by_label[(e.table.name, e.row.label, e.column.label)] = e
        values[tk][(rk, ck)] = BLANK if e.problem else scalar(e.value)
    # (address, address with its labels, message) of each refused cell or fact
    cell_problems: list[tuple[str, str, str]] = [(e.where, _where(e), e.problem) for e in sub.entries.values() if e.problem]
    missing = [_cell(t, r, c) for t in form.tables for r, c in t.cells()
               if (t.key, r.key, c.key) not in sub.entries]
    if missing:
        problems.append(f"{sub.source}: 缺少 {len(missing)} 个单元格：{'；'.join(missing[:5])}{'等' if len(missing) > 5 else ''}。"
                        f"每个单元格都须有一项（没有发生的填 0）。")
        return None, problems
    facts_text, fact_lines = _facts_text(sub.facts, kept_facts, scalar)
    text = figures_yaml(form, sub.unit, sub.year, unit_name, values, facts_text)
    first_fact_line = text.splitlines().index(facts_text.splitlines()[0]) + 2  # 1-based line of the first fact
    figures = _load_text(text, sub.unit, sub.year, sub.source)
    refused = {(e.table.name, e.row.label, e.column.label) for e in sub.entries.values() if e.problem}
    for p in figures.problems:
        key = (p.table, p.row_label, p.column_label)
        if key in refused:
            continue  # already explained (a formula without its value, an error value)
        e = by_label.get(key)
        if e is not None:
            cell_problems.append((e.where, _where(e), p.message))
            continue
        i = (p.line or 0) - first_fact_line
        src = fact_lines[i] if 0 <= i < len(fact_lines) else None
        if src is not None:
            message = p.message.removeprefix(f"facts.{src.key}: ")  # the location names the fact already
            cell_problems.append((src.where, f"{src.where}（{FACTS_SHEET}「{src.key}」）", message))
        else:
            problems.append(f"{sub.source}: {p.message}")
    sub.issues = len(cell_problems) + len(problems)
    return figures, _grouped(sub.source, cell_problems) + problems


GROUP_AT = 6  # this many cells with the same message are listed on one line, not one line each


def _grouped(source: str, cell_problems: list[tuple[str, str, str]]) -> list[str]:
    """One line per cell, except that a message shared by many cells (a blank workbook) is one line
    naming how many cells of which sheet, and the first of them."""
    by_message: dict[str, list[tuple[str, str]]] = {}
    for where, full, message in cell_problems:
        by_message.setdefault(message, []).append((where, full))
    out = []
    for message, entries in by_message.items():
        if len(entries) < GROUP_AT:
            out += [f"{source}: {full}: {message}" for _, full in entries]
            continue
        per_sheet: dict[str, int] = {}
        for where, _ in entries:
            sheet = where.split("!", 1)[0] if "!" in where else source
            per_sheet[sheet] = per_sheet.get(sheet, 0) + 1
        first = "、".join(where for where, _ in entries[:3])
        counts = "、".join(f"{k} {v} 格" for k, v in per_sheet.items())
        out.append(f"{source}: {len(entries)} 个单元格（{counts}；{first} 等）: {message}")
    return out


def shown(v) -> str:
    """A received or replaced value as printed in the list of changes (None: （空白）)."""
    return "（空白）" if v is None else str(v)


def changes(form, old, new, where_of) -> list[Change]:
    out = []
    for t in form.tables:
        for r, c in t.cells():
            a = None if old is None else old.values.get(t.key, {}).get((r.key, c.key))
            b = new.values[t.key].get((r.key, c.key))
            if a != b:
                out.append(Change(where_of(t.key, r.key, c.key), _cell(t, r, c), a, b))
    old_facts = {} if old is None else old.facts
    for k in sorted(set(old_facts) | set(new.facts)):
        a, b = old_facts.get(k), new.facts.get(k)
        fa = None if a is None else (a.value, a.unit, a.label, a.approx)
        fb = None if b is None else (b.value, b.unit, b.label, b.approx)
        if fa != fb:
            show = lambda f: "（无）" if f is None else f"{shown(f.value)}{f.unit}{'余' if f.approx else ''}（{f.label}）"
            out.append(Change(f"叙述数字「{k}」", "", show(a), show(b)))
    return out


def accept(project: Project, sub: Submission, unit, *, dry_run: bool = False) -> Outcome:
    """Check one submission and, when it has no problem, write ``data/<year>/<unit>/figures.yaml``."""
    target = project.figures_file(sub.unit, sub.year)
    display = project.rel(target)
    outcome = Outcome(sub.source, sub.unit, sub.year, "refused", notes=list(sub.notes), target=display)
    old = None
    if target.is_file():
        try:
            old = load_figures(target, unit=sub.unit, year=sub.year, strict=False, display=display)
        except InputError as exc:
            outcome.notes.append(f"原有的 {display} 无法读取，将被替换：{str(exc).splitlines()[0]}")
    kept = old.facts if old is not None else {}
    if sub.facts is None and old is not None:
        outcome.notes.append(f"来源中没有叙述数字，保留 {display} 中原有的 {len(kept)} 项。")
    figures, problems = parse(sub, unit.name, kept)
    if problems:
        outcome.problems = problems
        outcome.issues = max(sub.issues, len(problems))
        return outcome
    facts_text, _ = _facts_text(None, figures.facts, scalar)
    text = figures_yaml(sub.form, sub.unit, sub.year, unit.name, figures.values, facts_text)
    text = text.replace("# 格式说明见 data/README.md。", f"# 由 nianbao collect 从 {Path(sub.source).name} 读入。格式说明见 data/README.md。", 1)
    where = {(e.table.key, e.row.key, e.column.key): e.where for e in sub.entries.values()}
    outcome.changes = changes(sub.form, old, figures, lambda t, r, c: where[(t, r, c)])
    if old is not None and not outcome.changes:
        outcome.status = "unchanged"
        return outcome
    outcome.status = "accepted"
    if not project.narrative_file(sub.unit, sub.year).is_file():
        outcome.notes.append(f"{project.rel(project.narrative_file(sub.unit, sub.year))} 尚不存在：报告正文将使用默认模板，"
                             f"请另行补写（表格数据已读入）。")
    if dry_run:
        return outcome
    tmp = atomic.temp_path(target)
    try:
        tmp.write_text(text, encoding="utf-8")
        check = load_figures(tmp, unit=sub.unit, year=sub.year, strict=True, display=display)
        if check.values != figures.values or check.facts != figures.facts:
            raise RuntimeError(f"{display}: the file written does not read back as the figures received")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return outcome
