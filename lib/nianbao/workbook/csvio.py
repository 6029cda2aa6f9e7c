"""Bulk CSV: every unit's figures as one long table (unit, year, table, row, column, value).

For offices with their own systems. Export writes keys (the import also accepts printed table
names, row and column labels); facts go in rows whose table is ``facts`` (row = the fact's name,
column = value, unit, label or approx). Import groups lines by unit and year and hands each group
to :mod:`.intake` with the same checks as a workbook: every line's location is ``file.csv:第N行``.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .. import forms
from ..errors import InputError
from ..yamlsource import read_text
from .reader import Entry, FactEntry, Submission

HEADER = ("unit", "year", "table", "row", "column", "value")
FACTS = "facts"
FACT_FIELDS = ("value", "unit", "label", "approx")


def _text(value) -> str:
    return "" if value is None else str(value)


def export_rows(items) -> list[tuple]:
    """Rows for ``items``: (unit id, year, Figures) triples."""
    rows = []
    for unit, year, fig in items:
        for t in fig.form.tables:
            for r, c in t.cells():
                rows.append((unit, year, t.key, r.key, c.key, _text(fig.values[t.key].get((r.key, c.key)))))
        for f in fig.facts.values():
            rows += [(unit, year, FACTS, f.key, "value", _text(f.value)), (unit, year, FACTS, f.key, "unit", f.unit),
                     (unit, year, FACTS, f.key, "label", f.label)]
            if f.approx:
                rows.append((unit, year, FACTS, f.key, "approx", "true"))
    return rows


def to_bytes(rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # with a BOM, so Excel and WPS open it as UTF-8


def read_csv(path: str | Path, display: str | None = None) -> list[Submission]:
    path = Path(path)
    display = display or str(path)
    text = read_text(path, display)  # UTF-8 (BOM accepted); GBK explained
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        head = next(reader)
    except StopIteration:
        raise InputError(f"{display}: 文件是空的。第一行应为表头 {','.join(HEADER)}。") from None
    if tuple(h.strip() for h in head) != HEADER:
        raise InputError(f"{display}:第1行: 表头应为 {','.join(HEADER)}，实际为 {','.join(head)}。")
    subs: dict[tuple[str, int], Submission] = {}
    general: list[str] = []
    seen: dict[tuple, int] = {}
    for n, line in enumerate(reader, start=2):
        where = f"{display}:第{n}行"
        if not any(x.strip() for x in line):
            continue
        if len(line) != len(HEADER):
            general.append(f"{where}: 应有 {len(HEADER)} 列（{','.join(HEADER)}），实际 {len(line)} 列。"
                           f"含逗号的值请用英文双引号括起来。")
            continue
        unit, year_text, table_name, row_name, col_name, value = line
        unit = unit.strip()
        try:
            year = int(year_text.strip())
        except ValueError:
            general.append(f"{where}: 年度 {year_text!r} 不是整数年份（如 2022）。")
            continue
        key = (unit, year)
        if key not in subs:
            try:
                form = forms.for_year(year)
            except InputError as exc:
                general.append(f"{where}: {exc}")
                continue
            subs[key] = Submission(source=display, unit=unit, year=year, form=form, facts=None)
        sub = subs[key]
        ident = (unit, year, table_name.strip(), row_name.strip(), col_name.strip())
        if ident in seen:
            sub.problems.append(f"{where}: 与第{seen[ident]}行重复（{unit} {year} {table_name} {row_name} {col_name}）。"
                                f"每个单元格只能有一行。")
            continue
        seen[ident] = n
        if table_name.strip() == FACTS:
            _fact(sub, row_name.strip(), col_name.strip(), value, where)
            continue
        entry = _entry(sub, table_name.strip(), row_name.strip(), col_name.strip(), value, where)
        if entry is not None:
            k = (entry.table.key, entry.row.key, entry.column.key)
            if k in sub.entries:
                sub.problems.append(f"{where}: 与 {sub.entries[k].where} 是同一个单元格"
                                    f"（{entry.table.name}「{entry.row.label}」「{entry.column.label}」）。")
                continue
            sub.entries[k] = entry
    if general:
        raise InputError("\n".join(general))
    for sub in subs.values():
        if sub.facts is not None:
            for f in sub.facts:
                if f.value == "" or f.value is None:
                    f.value = None
    return list(subs.values())


def _entry(sub: Submission, table_name: str, row_name: str, col_name: str, value: str, where: str) -> Entry | None:
    form = sub.form
    table = next((t for t in form.tables if table_name in (t.key, t.name)), None)
    if table is None:
        sub.problems.append(f"{where}: 未知的表 {table_name!r}。可用：{'、'.join(f'{t.key}（{t.name}）' for t in form.tables)}、{FACTS}。")
        return None
    row = next((r for r in table.rows if row_name in (r.key, r.label)), None)
    if row is None:
        sub.problems.append(f"{where}: {table.name}没有行 {row_name!r}（行键见 nianbao template 或导出的 CSV）。")
        return None
    col = next((c for c in row.columns if col_name in (c.key, c.label)), None)
    if col is None:
        sub.problems.append(f"{where}: {table.name}「{row.label}」没有列 {col_name!r}；"
                            f"本行的列：{'、'.join(f'{c.key}（{c.label}）' for c in row.columns)}。")
        return None
    # every CSV value is text: it reaches the loader as quoted text, as "57" would in a figures file
    return Entry(table, row, col, value, where)


def _fact(sub: Submission, name: str, field: str, value: str, where: str) -> None:
    if field not in FACT_FIELDS:
        sub.problems.append(f"{where}: facts 的列应为 {'、'.join(FACT_FIELDS)} 之一，实际为 {field!r}。")
        return
    if sub.facts is None:
        sub.facts = []
    fact = next((f for f in sub.facts if f.key == name), None)
    if fact is None:
        fact = FactEntry(name, None, "", "", False, where)
        sub.facts.append(fact)
    if field == "value":
        fact.value, fact.where = value, where
    elif field == "approx":
        if value.strip().lower() not in ("true", "false", "是", "否", ""):
            sub.problems.append(f"{where}: approx 应为 true 或 false，实际为 {value!r}。")
        fact.approx = value.strip().lower() in ("true", "是")
    else:
        setattr(fact, field, value.strip())
