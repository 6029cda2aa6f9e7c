"""The supervising office's overview: every unit's figures side by side, with its validation status.

Sheet 校验状态: one line per unit (status, error and warning counts, the first findings). Then one
sheet per table of the form: one line per cell (row and column as printed), one column per unit.
"""
from __future__ import annotations

from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter

from ..form import Form
from .writer import BORDER, GREEN_FILL, HEAD_FILL, RED_FILL, _fit, _font, sheet_name

STATUS_SHEET = "校验状态"
YELLOW_FILL = PatternFill("solid", fgColor="FFF2CC")
FIRST_FINDINGS = 3


def build(form: Form, year: int, results: list, figures: dict, units: dict, unreadable: dict[str, str]) -> Workbook:
    """``results``: ValidationResult per unit; ``figures``: unit id → Figures; ``units``: unit id → Unit;
    ``unreadable``: unit id → why its figures could not be read."""
    wb = Workbook()
    ws = wb.active
    ws.title = STATUS_SHEET
    ws["A1"] = f"{year}年{form.title}数据汇总（{len(results) + len(unreadable)} 个单位）"
    ws["A1"].font = _font(bold=True, size=13)
    head = ("单位编号", "单位名称", "校验结论", "错误", "警告", "主要问题")
    for c, (text, width) in enumerate(zip(head, (18, 30, 10, 6, 6, 90)), start=1):
        cell = ws.cell(3, c, text)
        cell.font, cell.fill, cell.border = _font(bold=True), HEAD_FILL, BORDER
        ws.column_dimensions[get_column_letter(c)].width = width
    r = 4
    status = {}
    for res in results:
        issues = [f for f in res.findings if f.severity == "error"] or list(res.findings)
        text = "；".join(f"{f.rule_id} {f.table_name or ''}{f.row_label or ''}{('「' + f.column_label + '」') if f.column_label else ''}"
                        for f in issues[:FIRST_FINDINGS]) + ("等" if len(issues) > FIRST_FINDINGS else "")
        row = (res.unit, res.unit_name, res.status, res.counts["error"], res.counts["warning"], text)
        status[res.unit] = res.status
        _line(ws, r, row, RED_FILL if res.status_code == "failed" else YELLOW_FILL if res.status_code == "warning"
              else GREEN_FILL)
        r += 1
    for uid, why in unreadable.items():
        status[uid] = "无法读取"
        _line(ws, r, (uid, units[uid].name if uid in units else "", "无法读取", "", "", why), RED_FILL)
        r += 1
    _fit(ws, landscape=True)
    ws.freeze_panes = "A4"
    order = [res.unit for res in results]
    for table in form.tables:
        _table(wb.create_sheet(sheet_name(table)), table, order, figures, units, status)
    stamp = datetime(year + 1, 1, 1)
    wb.properties.creator = "nianbao"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    return wb


def _line(ws, r, values, fill) -> None:
    for c, v in enumerate(values, start=1):
        cell = ws.cell(r, c, v)
        cell.font, cell.border = _font(), BORDER
        if c == 3:
            cell.fill = fill
        if c == 6:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _table(ws, table, order, figures, units, status) -> None:
    ws["A1"] = f"{table.name} {table.title}"
    ws["A1"].font = _font(bold=True, size=13)
    for c, text in enumerate(("序号", "行", "列"), start=1):
        cell = ws.cell(3, c, text)
        cell.font, cell.fill, cell.border = _font(bold=True), HEAD_FILL, BORDER
        ws.cell(4, c).border = BORDER
    ws.cell(4, 2, "校验结论").font = _font(bold=True)
    ws.column_dimensions["A"].width = 5
    ws.column_dimensions["B"].width = 46
    ws.column_dimensions["C"].width = 18
    for j, uid in enumerate(order):
        c = 4 + j
        cell = ws.cell(3, c, units[uid].name)
        cell.font, cell.fill, cell.border = _font(bold=True), HEAD_FILL, BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        s = ws.cell(4, c, status.get(uid, ""))
        s.font, s.border = _font(), BORDER
        s.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(c)].width = 12
    ws.row_dimensions[3].height = 45
    r = 5
    for row, col in table.cells():
        ws.cell(r, 1, row.number)
        ws.cell(r, 2, " / ".join(row.groups + (row.label,)))
        ws.cell(r, 3, col.label)
        for j, uid in enumerate(order):
            value = figures[uid].values.get(table.key, {}).get((row.key, col.key))
            ws.cell(r, 4 + j, value)
        for c in range(1, 4 + len(order)):
            ws.cell(r, c).border = BORDER
            ws.cell(r, c).font = _font()
        r += 1
    ws.freeze_panes = "D5"
