"""Findings grouped for people: missing cells of a whole table, of consecutive columns or rows, or of
consecutive cells of one row, as one line each — worded from the form's labels and groups.

``validation.json`` keeps every finding; the report and ``nianbao validate`` show the groups. Light on
purpose (no pandas, no Great Expectations): the CLI and the report import it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..cells import CHILD_MISSING, MISSING_MEANINGS
from ..findings import Finding
from ..form import Form, Row, Table

PRESENCE_EXPECTATION = "expect_column_values_to_not_be_null"  # the rule kind that reports missing cells
BLANK = "（空白）"
MEANINGS = {**MISSING_MEANINGS, BLANK: "未填", CHILD_MISSING: "未填"}


def row_title(row: Row) -> str:
    """A row label with the (innermost) group printed above it: ``<group> / <row label>``."""
    return f"{row.group} / {row.label}" if row.groups else row.label


def holds_text(holds: str) -> str:
    """What a missing cell holds, as a person reads it: “~”（未填）, “/”（不适用）, 空白, “—”."""
    if holds == BLANK:
        return "空白"
    if holds.startswith("（"):
        return holds.strip("（）")
    meaning = MEANINGS.get(holds)
    return f"“{holds}”（{meaning}）" if meaning else f"“{holds}”"


@dataclass(frozen=True)
class FindingGroup:
    """One line for people: a single finding, or several missing cells described together."""

    findings: tuple[int, ...]  # indices into the result's findings
    first: Finding
    rows: str = ""  # 行 column of the tables: 第1至25行 / 第15行「…」
    columns: str = ""  # 列 column: 「<column group>」5列 / 列「<column>」
    text: str = ""  # the whole line: 表三「<column group>」5列全部缺失（125个单元格：…）
    holds: tuple[tuple[str, int], ...] = ()  # (what the cells hold, how many)

    @property
    def grouped(self) -> bool:
        return len(self.findings) > 1

    line_numbers: tuple[int, ...] = ()  # the source lines of the cells (0: none)

    @property
    def lines(self) -> str:
        """The file lines of the grouped cells: 21–45."""
        ls = sorted({n for n in self.line_numbers if n})
        if not ls:
            return ""
        return str(ls[0]) if len(ls) == 1 else f"{ls[0]}–{ls[-1]}"

    def to_json(self) -> dict:
        f = self.first
        out = {"rule_id": f.rule_id, "severity": f.severity, "table": f.table, "text": self.text,
               "cells": len(self.findings), "findings": list(self.findings),
               "holds": {h: n for h, n in self.holds}}
        if f.file:
            out["file"] = f.file
        if self.lines:
            out["lines"] = self.lines
        return out


def _holds_summary(holds: Counter) -> tuple[str, str]:
    """(verb, detail) for a set of missing cells: 全部未填 / 全部为“/”（不适用） / 全部缺失（…）."""
    kinds = list(holds)
    if len(kinds) == 1:
        h = kinds[0]
        if MEANINGS.get(h) == "未填":
            return "全部未填", ""
        return f"全部为{holds_text(h)}", ""
    detail = "，".join(f"{holds_text(h)}{n}个" for h, n in sorted(holds.items(), key=lambda kv: (-kv[1], kv[0])))
    return "全部缺失", f"：{detail}"


def _runs(items: list, key) -> list[list]:
    """Split ``items`` (in form order) into runs of consecutive positions sharing ``key``."""
    out: list[list] = []
    for pos, it in items:
        if out and out[-1][-1][0] == pos - 1 and key(out[-1][-1][1]) == key(it):
            out[-1].append((pos, it))
        else:
            out.append([(pos, it)])
    return [[it for _, it in run] for run in out]


def _columns_text(table: Table, cols: list) -> str:
    group = cols[0].group
    if group and len(cols) > 1 and [c.key for c in table.columns if c.group == group] == [c.key for c in cols]:
        return f"「{group}」{len(cols)}列"
    if len(cols) == 1:
        return f"列「{cols[0].label}」"
    return f"列「{cols[0].label}」至「{cols[-1].label}」（{len(cols)}列）"


def _rows_text(rows: list[Row]) -> str:
    if len(rows) == 1:
        return f"第{rows[0].number}行「{row_title(rows[0])}」"
    return f"第{rows[0].number}至{rows[-1].number}行（「{row_title(rows[0])}」至「{row_title(rows[-1])}」）"


def group_findings(findings, form: Form) -> list[FindingGroup]:
    """The findings as lines for people, in the findings' order (a group sits where its first cell was)."""
    findings = list(findings)
    tables = {t.key: t for t in form.tables}
    missing: dict[tuple, dict[tuple[str, str], int]] = {}  # (unit, year, rule, table) -> cell -> finding index
    for i, f in enumerate(findings):
        if (f.expectation == PRESENCE_EXPECTATION and f.table in tables and f.row and f.column
                and "+" not in f.row and "+" not in f.column):
            missing.setdefault((f.unit, f.year, f.rule_id, f.table), {})[(f.row, f.column)] = i
    grouped: dict[int, FindingGroup] = {}  # index of a group's first finding -> group
    covered: set[int] = set()
    for (_, _, _, tkey), cells in missing.items():
        for g in _group_table(tables[tkey], cells, findings):
            grouped[min(g.findings)] = g
            covered.update(g.findings)
    out = []
    for i, f in enumerate(findings):
        if i in grouped:
            out.append(grouped[i])
        elif i not in covered:
            out.append(_single(i, f, form))
    return out


def _single(i: int, f: Finding, form: Form) -> FindingGroup:
    rows = f.row_label or ""
    if f.table and f.row:
        table = next((t for t in form.tables if t.key == f.table), None)
        row = table and next((r for r in table.rows if r.key == f.row), None)
        if row is not None:
            rows = row_title(row)
    return FindingGroup((i,), f, rows=rows, columns=f.column_label or "", line_numbers=(f.line or 0,))


def _group_table(table: Table, cells: dict, findings) -> list[FindingGroup]:
    def make(keys: list[tuple[str, str]], rows: str, columns: str, where: str) -> FindingGroup:
        idx = tuple(sorted(cells[k] for k in keys))
        holds = Counter(str(findings[i].actual) if findings[i].actual is not None else BLANK for i in idx)
        verb, detail = _holds_summary(holds)
        text = f"{where}{verb}（{len(idx)}个单元格{detail}）"
        return FindingGroup(idx, findings[idx[0]], rows=rows, columns=columns, text=text,
                            holds=tuple(sorted(holds.items(), key=lambda kv: (-kv[1], kv[0]))),
                            line_numbers=tuple(findings[i].line or 0 for i in idx))

    all_cells = [(r.key, c.key) for r, c in table.cells()]
    left = {k for k in all_cells if k in cells}
    if len(left) < 2:
        return []
    if left == set(all_cells):
        return [make(all_cells, f"全部{len(table.rows)}行", "全部列", f"{table.name}")]
    out = []
    if table.layout != "blocks":  # whole columns (a blocks table has different columns per block)
        full = [(i, c) for i, c in enumerate(table.columns)
                if all((r.key, c.key) in left for r in table.rows)]
        for run in _runs(full, key=lambda c: c.group):
            keys = [(r.key, c.key) for c in run for r in table.rows]
            if len(keys) < 2:
                continue
            cols = _columns_text(table, run)
            out.append(make(keys, f"全部{len(table.rows)}行", cols, f"{table.name}{cols}"))
            left -= set(keys)
    full_rows = [(r.number, r) for r in table.rows if len(r.columns) > 1 and all((r.key, c.key) in left for c in r.columns)]
    for run in _runs(full_rows, key=lambda r: r.block):
        keys = [(r.key, c.key) for r in run for c in r.columns]
        rows = _rows_text(run)
        out.append(make(keys, rows, "整行", f"{table.name}{rows}整行"))
        left -= set(keys)
    for r in table.rows:  # consecutive cells of one row
        mine = [(i, c) for i, c in enumerate(r.columns) if (r.key, c.key) in left]
        for run in _runs(mine, key=lambda c: 0):
            if len(run) < 2:
                continue
            keys = [(r.key, c.key) for c in run]
            cols = _columns_text(table, run)
            rows = _rows_text([r])
            out.append(make(keys, rows, cols, f"{table.name}{rows}{cols}"))
            left -= set(keys)
    return out


def instances_text(form: Form, refs: list[dict], per: str = "cell") -> str:
    """The rule instances ``refs`` (table, row, column keys; each a ``per``: column, row or cell) in words:
    表三「<column group>」5列, 表三全部25行."""
    if not refs:
        return ""
    try:
        table = form.table(refs[0]["table"])
    except KeyError:
        return f"{len(refs)} 项"
    rows = list(dict.fromkeys(r.get("row") for r in refs))
    cols = list(dict.fromkeys(r.get("column") for r in refs))
    by_col = {c.key: (i, c) for i, c in enumerate(table.columns)}
    by_row = {r.key: r for r in table.rows}
    if per == "cell":
        cells = [(by_row[r["row"]], r["column"]) for r in refs if r.get("row") in by_row]
        if len(refs) == 1 and cells and cells[0][1] in {c.key for c in cells[0][0].columns}:
            row, col = cells[0]
            return f"{table.name}{_rows_text([row])}列「{row.column(col).label}」"
        return f"{table.name} {len(refs)} 个单元格"
    if per == "column" and len(rows) == 1 and all(c in by_col for c in cols):
        picked = sorted((by_col[c] for c in cols), key=lambda ic: ic[0])
        if len(picked) == len(table.columns) > 1:
            return f"{table.name}全部{len(picked)}列"
        return table.name + "、".join(_columns_text(table, run) for run in _runs(picked, key=lambda c: c.group))
    if per == "row" and len(cols) == 1 and all(r in by_row for r in rows):
        if len(rows) == len(table.rows):
            return f"{table.name}全部{len(rows)}行"
        picked = sorted(((by_row[r].number, by_row[r]) for r in rows), key=lambda nr: nr[0])
        runs = [_rows_text(run) for run in _runs(picked, key=lambda r: 0)]
        shown = "、".join(runs[:3]) + (f"等 {len(rows)} 行" if len(runs) > 3 else "")
        return table.name + shown
    return f"{table.name} {len(refs)} 项"


def not_assessable_lines(result, form: Form) -> list[tuple[str, str]]:
    """(rule id, line) for each rule that could not be fully checked: 2 项通过，5 项因缺失值未能校验（…）."""
    out = []
    for s in result.suites:
        inst = s.get("instances") or {}
        if not s.get("applicable") or not inst.get("not_assessable"):
            continue
        parts = [f"{inst['passed']} 项通过"] if inst.get("passed") else []
        if inst.get("failed"):
            parts.append(f"{inst['failed']} 项不通过")
        cells = {c for i in s.get("not_assessable", ()) for c in i.get("missing", {})}
        parts.append(f"{inst['not_assessable']} 项因缺失值未能校验（{instances_text(form, s.get('not_assessable', []), s.get('per', 'cell'))}；"
                     f"缺少 {len(cells)} 个单元格的数据）")
        out.append((s["rule_id"], "，".join(parts)))
    return out


def problem_lines(problems, form: Form) -> list[str]:
    """A loader's problems as lines for people: missing cells grouped as in :func:`group_findings`
    (``file:24–48: 表三「<column group>」5列全部未填（125个单元格）。…``), every other problem as it is."""
    by_name = {t.name: t for t in form.tables}
    as_findings, origin = [], []
    for i, p in enumerate(problems):
        table = by_name.get(p.table) if p.kind == "missing_value" else None
        row = table and next((r for r in table.rows if r.label == p.row_label), None)
        col = row and next((c for c in row.columns if c.label == p.column_label), None)
        if col is None:
            continue
        text = p.value.strip() if isinstance(p.value, str) else ""
        as_findings.append(Finding(rule_id="TYPE-MISSING", severity="error", message=p.message, table=table.key,
                                   table_name=table.name, row=row.key, column=col.key, actual=text or BLANK,
                                   file=p.file, line=p.line, expectation=PRESENCE_EXPECTATION))
        origin.append(i)
    groups = [g for g in group_findings(as_findings, form) if g.grouped]
    covered = {origin[i] for g in groups for i in g.findings}
    first = {origin[min(g.findings)]: g for g in groups}
    out = []
    for i, p in enumerate(problems):
        if i in first:
            g = first[i]
            out.append(f"{g.first.file}:{g.lines}: {g.text}。{MISSING_ADVICE}")
        elif i not in covered:
            out.append(str(p))
    return out


MISSING_ADVICE = "缺失值不是 0：没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。"
