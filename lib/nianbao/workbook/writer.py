"""Writing a unit-year's workbook (.xlsx) in the official layout, for an office to fill in and return.

Sheets: 填表说明 (instructions), one sheet per table of the form (named as printed: 表二 …), 叙述数字
(the figures the narrative cites), 校验 (every rule of the form as live formulas) and a hidden,
protected sheet holding the unit, year, form and layout fingerprint, so that a returned workbook
cannot be filed under another unit, year or form.

Label cells are locked, input cells unlocked, with data validation from each column's type. Bytes are
deterministic: same inputs, same file.
"""
from __future__ import annotations

import io
import re
from copy import copy
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.properties import PageSetupProperties

from .. import __version__, atomic
from ..figures import Fact
from ..findings import SEVERITY_LABELS
from ..form import Column, Form, Table
from ..units import Unit
from . import formulas
from .layout import Grid, fingerprint, grids

MARK = "nianbao-workbook"
META_SHEET = "_nianbao"
INSTRUCTIONS_SHEET = "填表说明"
FACTS_SHEET = "叙述数字"
CHECK_SHEET = "校验"
FACTS_HEADER = ("名称", "说明", "数值", "单位", "约数")
FACTS_FIRST_ROW = 4
FACTS_BLANK_ROWS = 20
FONT = "宋体"  # the font of the printed national form; LibreOffice substitutes a CJK font where it is absent

_thin = Side(style="thin", color="000000")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
RED_FILL = PatternFill("solid", fgColor="F4CCCC")
GREEN_FILL = PatternFill("solid", fgColor="D9EAD3")


def sheet_name(table: Table) -> str:
    return table.name


def file_name(form: Form, unit: Unit, year: int) -> str:
    """The name a clerk recognises: "<year>年<unit name><form title>数据.xlsx"."""
    return f"{year}年{unit.name}{form.title}数据.xlsx"


@dataclass
class WorkbookInput:
    form: Form
    unit: Unit
    year: int
    values: dict = field(default_factory=dict)  # {table key: {(row, col): value}}; absent → blank
    facts: dict[str, Fact] = field(default_factory=dict)
    prior: object = None  # nianbao.prior.PriorYear
    notes: list[str] = field(default_factory=list)  # what was pre-filled, for the instructions


def _font(bold=False, size=11, color=None) -> Font:
    return Font(name=FONT, size=size, bold=bold, color=color, charset=134, family=3)


def _presets() -> dict[str, dict]:
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    return {
        "title": dict(font=_font(bold=True, size=14), alignment=Alignment(horizontal="center", vertical="center")),
        "heading": dict(font=_font(bold=True, size=13)),
        "text": dict(font=_font(), alignment=Alignment(horizontal="left", vertical="center")),
        "text_bold": dict(font=_font(bold=True), alignment=Alignment(vertical="center")),
        "text_wrap": dict(font=_font(), alignment=Alignment(wrap_text=True, vertical="center")),
        "note": dict(font=_font(size=10), alignment=Alignment(wrap_text=True, vertical="center")),
        "head": dict(font=_font(bold=True), fill=HEAD_FILL, border=BORDER, alignment=center),
        "corner": dict(font=_font(size=10), fill=HEAD_FILL, border=BORDER, alignment=center),
        "header": dict(font=_font(), fill=HEAD_FILL, border=BORDER, alignment=center),
        "block": dict(font=_font(bold=True), fill=HEAD_FILL, border=BORDER, alignment=left),
        "group": dict(font=_font(), border=BORDER, alignment=center),
        "label": dict(font=_font(), border=BORDER, alignment=left),
        "shaded": dict(fill=HEAD_FILL, border=BORDER),
        "framed": dict(border=BORDER),
        "input": dict(font=_font(), fill=INPUT_FILL, border=BORDER, protection=Protection(locked=False),
                      alignment=Alignment(horizontal="right", vertical="center")),
        "cell": dict(font=_font(), border=BORDER, alignment=Alignment(vertical="center")),
        "cell_wrap": dict(font=_font(), border=BORDER, alignment=Alignment(wrap_text=True, vertical="center")),
        "open": dict(font=_font(), border=BORDER, protection=Protection(locked=False)),
        "open_input": dict(font=_font(), border=BORDER, fill=INPUT_FILL, protection=Protection(locked=False)),
    }


PRESETS = _presets()


class Looks:
    """The cell styles of one workbook, each built once and then copied onto cells: openpyxl hashes a
    style object on every assignment, which made styling most of the writing time."""

    def __init__(self):
        self._made: dict[str, object] = {}

    def __call__(self, cell, name: str):
        made = self._made.get(name)
        if made is None:
            for k, v in PRESETS[name].items():
                setattr(cell, k, v)
            self._made[name] = copy(cell._style)
        else:
            cell._style = copy(made)
        return cell


def merge(ws, r1: int, c1: int, r2: int, c2: int) -> None:
    """Merge a range, keeping each covered cell's own border (drawn from the cells' styles)."""
    ws.merged_cells.add(MergedCellRange(ws, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"))


def _width(text: str) -> int:
    """Display width of text in spreadsheet column units (a CJK character counts 2)."""
    import unicodedata

    return sum(1.65 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _section_heading(form: Form, table: Table) -> str:
    for s in form.sections:
        if s.table == table.key:
            return s.heading
    return table.title


def _column_widths(g: Grid) -> dict[int, float]:
    widths: dict[int, float] = {}
    if g.table.layout == "matrix":
        for c in range(1, g.label_cols):
            widths[c] = 6
        widths[g.label_cols] = 40
        for c in range(g.label_cols + 1, g.width + 1):
            widths[c] = 10
    elif g.table.layout == "blocks":
        widths[1] = 26
        for c in range(2, g.width + 1):
            widths[c] = 18
    else:
        for c in range(1, g.width + 1):
            widths[c] = 8.5
    return widths


def _lines(text: str, width: float) -> int:
    return max(1, int(-(-_width(text) // max(1, int(width) - 1))))


def _validation(col: Column) -> DataValidation | None:
    """Data validation for a column's cells, from its declared type (a new type gets none)."""
    common = dict(allow_blank=True, showErrorMessage=True, showInputMessage=True, errorStyle="stop")
    if col.type == "count":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                              errorTitle="只能填写非负整数", error="件数、数量只能填写非负整数（没有发生的填 0）。",
                              promptTitle="填写件数", prompt="非负整数；没有发生的填 0，不要留空或填“/”。", **common)
    if col.type in formulas.SIGNED_TYPES:
        return DataValidation(type="whole", operator="between", formula1="-1000000000", formula2="1000000000",
                              errorTitle="只能填写整数", error="本栏填写整数；减少用负数表示（如 -8），没有变化的填 0。",
                              promptTitle="填写增减数", prompt="整数；减少用负数表示（如 -8），没有变化的填 0。", **common)
    if col.type == "amount":
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              errorTitle="只能填写非负数",
                              error=f"金额只能填写非负数，最多 {col.decimals} 位小数。",
                              promptTitle="填写金额", prompt=f"非负数，最多 {col.decimals} 位小数；没有的填 0。", **common)
    return None


def _table_sheet(wb: Workbook, form: Form, table: Table, g: Grid, data: WorkbookInput, look: Looks) -> None:
    ws = wb.create_sheet(sheet_name(table))
    widths = _column_widths(g)
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = w
    last_col = get_column_letter(g.width)
    merge(ws, 1, 1, 1, g.width)
    look(ws.cell(1, 1, _section_heading(form, table)), "title")
    ws.row_dimensions[1].height = 24
    merge(ws, 2, 1, 2, g.width)
    look(ws.cell(2, 1, f"填报单位：{data.unit.name}　　报告年度：{data.year}年"), "text")
    heights: dict[int, float] = {}
    for s in g.spans:
        role = "header" if s.role == "group" and g.label_cols == 0 else s.role
        rest = "shaded" if role in ("corner", "header", "block") else "framed"
        for r in range(s.row, s.row + s.height):
            for c in range(s.col, s.col + s.width):
                if (r, c) != (s.row, s.col):
                    look(ws.cell(r, c), rest)
        if s.height > 1 or s.width > 1:
            merge(ws, s.row, s.col, s.row + s.height - 1, s.col + s.width - 1)
        look(ws.cell(s.row, s.col, s.text), role)
        span_width = sum(widths.get(c, 9) for c in range(s.col, s.col + s.width))
        need = _lines(s.text, span_width) * 14.5 / s.height + 4
        heights[s.row] = max(heights.get(s.row, 15), need)
    dvs: dict[tuple, DataValidation] = {}
    values = data.values.get(table.key, {})
    for (row_key, col_key), inp in g.inputs.items():
        col = table.row(row_key).column(col_key)
        if inp.width > 1:
            merge(ws, inp.row, inp.col, inp.row, inp.col + inp.width - 1)
            for c in range(inp.col + 1, inp.col + inp.width):
                look(ws.cell(inp.row, c), "framed")
        cell = look(ws.cell(inp.row, inp.col), "input")
        value = values.get((row_key, col_key))
        if value is not None:
            cell.value = value
        key = (col.type, col.decimals)
        if key not in dvs:
            dv = _validation(col)
            if dv is None:
                continue
            ws.add_data_validation(dv)
            dvs[key] = dv
        dvs[key].add(cell.coordinate)
        heights.setdefault(inp.row, 18)
    for r, h in heights.items():
        ws.row_dimensions[r].height = round(h, 1)
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.sheet_view.showGridLines = False
    ws.print_area = f"A1:{last_col}{g.last_row}"
    _fit(ws, landscape=g.width > 8 and table.layout == "flat")
    ws.print_options.horizontalCentered = True


def _fit(ws, landscape: bool = False) -> None:
    """Print on A4, one page wide."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _instructions(wb: Workbook, data: WorkbookInput, look: Looks) -> None:
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    form = data.form
    ws.column_dimensions["A"].width = 76
    amount_cols, signed_cols = [], []
    for t in form.tables:
        for c in t.columns:
            if c.type == "amount" and c not in amount_cols:
                amount_cols.append(c)
            if c.type in formulas.SIGNED_TYPES and c.label not in [x.label for x in signed_cols]:
                signed_cols.append(c)
    tables = "、".join(sheet_name(t) for t in form.tables)
    steps = [
        f"在工作表 {tables} 的黄色单元格中填写数字；其余单元格已锁定，无需改动。",
        "件数、数量填写非负整数；没有发生的事项填 0。",
        *[f"「{c.label}」填写非负数{f'（单位：{c.unit}）' if c.unit else ''}，最多 {c.decimals} 位小数；"
          f"工具不会替您四舍五入。" for c in amount_cols],
        *[f"「{c.label}」填写整数，减少用负数表示（如 -8），没有变化的填 0。" for c in signed_cols],
        "不要留空，也不要填写“/”“—”“无”：这些是缺失值，不是 0，收回时会被退回。",
        "数字请用半角阿拉伯数字，不加千分位逗号，不加单位。",
        f"工作表“{CHECK_SHEET}”随填写自动计算勾稽关系，每条规则显示平衡或不平衡及差额；提交前请核对。",
        f"工作表“{FACTS_SHEET}”填写正文引用的表外数字：名称、说明、数值、单位；约数填“是”。",
        "不要插入、删除或移动行列，不要改名或删除工作表：收回时逐格核对位置，改动过的表格会被拒收。",
        "填好后按原文件名交回。本表由 nianbao workbook 生成，由 nianbao collect 读入。",
    ]
    lines = [
        (f"{data.unit.name}{data.year}年{form.title}数据填报表", "title"),
        (f"报告格式：{form.document}　单位编号：{data.unit.id}", "text_wrap"),
        ("", "text_wrap"),
        ("填写方法", "text_bold"),
        *[(f"{i}. {text}", "text_wrap") for i, text in enumerate(steps, start=1)],
    ]
    if data.notes:
        lines += [("", "text_wrap"), ("已预填的内容（请核对）", "text_bold")] + [(f"· {n}", "text_wrap") for n in data.notes]
    for i, (text, name) in enumerate(lines, start=1):
        look(ws.cell(i, 1, text or None), name)
        ws.row_dimensions[i].height = (22 if name == "title" else 15) * _lines(text, 76) + 3
    ws["A1"].alignment = Alignment(horizontal="left", vertical="center")
    ws.protection.sheet = True
    ws.sheet_view.showGridLines = False
    _fit(ws)


def _facts_sheet(wb: Workbook, data: WorkbookInput, look: Looks) -> None:
    ws = wb.create_sheet(FACTS_SHEET)
    look(ws.cell(1, 1, f"报告正文引用的表外数字（{data.unit.name} {data.year}年）"), "heading")
    look(ws.cell(2, 1, "名称用英文字母、数字和下划线（正文中写作 {{ fact.名称 }}）；数值填数字；约数填“是”时正文印作“N余”。"),
         "note")
    merge(ws, 1, 1, 1, len(FACTS_HEADER))
    merge(ws, 2, 1, 2, len(FACTS_HEADER))
    ws.row_dimensions[2].height = 30
    for c, (head, width) in enumerate(zip(FACTS_HEADER, (26, 44, 14, 8, 8)), start=1):
        look(ws.cell(FACTS_FIRST_ROW - 1, c, head), "head")
        ws.column_dimensions[get_column_letter(c)].width = width
    facts = list(data.facts.values())
    for i in range(len(facts) + FACTS_BLANK_ROWS):
        r = FACTS_FIRST_ROW + i
        if i < len(facts):
            f = facts[i]
            for c, v in enumerate((f.key, f.label, f.value, f.unit, "是" if f.approx else ""), start=1):
                if v not in (None, ""):
                    ws.cell(r, c, v)
        for c in range(1, len(FACTS_HEADER) + 1):
            look(ws.cell(r, c), "open_input" if c == 3 else "open")
    ws.protection.sheet = True
    _fit(ws)


def _check_sheet(wb: Workbook, data: WorkbookInput, gs: dict[str, Grid], look: Looks) -> None:
    form = data.form
    ws = wb.create_sheet(CHECK_SHEET)
    refs = formulas.Refs(form, gs, {t.key: sheet_name(t) for t in form.tables})
    blocks = formulas.blocks(form, refs, check_context(data))
    for c, w in zip("ABCDEF", (18, 60, 14, 14, 10, 20)):
        ws.column_dimensions[c].width = w
    look(ws.cell(1, 1, f"勾稽关系与数据校验（{data.unit.name} {data.year}年，随填写自动计算）"), "heading")
    look(ws.cell(2, 1, "每条规则的结论：平衡/通过 = 符合；不平衡/不通过 = 有误，见下方明细的差额；未填完 = 有单元格尚未填写；"
                       "未适用 = 本单位本年不检查此项。最终以 nianbao validate 的结果为准。"), "note")
    merge(ws, 2, 1, 2, 6)
    ws.row_dimensions[2].height = 30
    head_row = 4
    for c, text in ((1, "规则"), (2, "说明"), (3, "级别"), (4, None), (5, None), (6, "结论")):
        look(ws.cell(head_row, c, text), "head")
    merge(ws, head_row, 3, head_row, 5)
    # summary rows first, detail rows after; summary formulas point at the detail rows
    detail_start = head_row + len(blocks) + 3
    r_detail = detail_start + 1
    for c, text in enumerate(("规则", "检查项", "左边（合计）", "右边（应等于）", "差额", "结论"), start=1):
        look(ws.cell(detail_start, c, text), "head")
    look(ws.cell(detail_start - 1, 1, "明细"), "text_bold")
    for i, block in enumerate(blocks):
        rs = head_row + 1 + i
        look(ws.cell(rs, 1, block.rule_id), "cell")
        look(ws.cell(rs, 2, block.description), "cell_wrap")
        look(ws.cell(rs, 3, SEVERITY_LABELS.get(block.severity, block.severity)), "cell")
        look(ws.cell(rs, 4), "cell")
        look(ws.cell(rs, 5), "cell")
        merge(ws, rs, 3, rs, 5)
        verdict = look(ws.cell(rs, 6), "cell_wrap")
        ws.row_dimensions[rs].height = 15 * _lines(block.description, 60) + 2
        if not block.supported:
            verdict.value = formulas.NOT_IN_SHEET
            continue
        if block.reason is not None:
            verdict.value = f"{formulas.NOT_APPLICABLE}：{block.reason}"
            continue
        first = r_detail
        for item in block.items:
            _detail(ws, r_detail, block.rule_id, item, look)
            r_detail += 1
        last = r_detail - 1
        good, bad = block.items[0].words if block.items else (formulas.PASSED, formulas.FAILED)
        rng = f"F{first}:F{last}"
        verdict.value = (f'=IF(COUNTIF({rng},"{bad}")>0,"{bad}",IF(COUNTIF({rng},"{formulas.UNFILLED}")>0,'
                         f'"{formulas.UNFILLED}","{good}"))')
    for rng in (f"F{head_row + 1}:F{head_row + len(blocks)}", f"F{detail_start + 1}:F{max(r_detail - 1, detail_start + 1)}"):
        for word in (formulas.UNBALANCED, formulas.FAILED):
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{word}"'], fill=RED_FILL))
        for word in (formulas.BALANCED, formulas.PASSED):
            ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{word}"'], fill=GREEN_FILL))
    ws.protection.sheet = True
    _fit(ws)


def _detail(ws, r: int, rule_id: str, item: formulas.Item, look: Looks) -> None:
    good, bad = item.words
    cells = [look(ws.cell(r, c), "cell_wrap" if c == 2 else "cell") for c in range(1, 7)]
    cells[0].value, cells[1].value = rule_id, item.where
    if _lines(item.where, 60) > 1:
        ws.row_dimensions[r].height = 15 * _lines(item.where, 60) + 2
    if item.count is not None:
        cells[2].value = f"={item.count}"
        cells[5].value = f'=IF(C{r}=0,"{good}","{bad}")'
        return
    refs = formulas.compress(item.left.refs + item.right.refs)
    n = len(item.left.refs + item.right.refs)
    cells[2].value = f"={item.left.formula()}"
    if item.right.constant is None:
        cells[3].value, cells[5].value = "（上年无此数）", "无法比较"
        return
    cells[3].value = f"={item.right.formula()}"
    filled = f"COUNT({','.join(refs)})<{n}" if n else "FALSE"
    diff = f"C{r}-D{r}" if item.decimals == 0 else f"ROUND(C{r}-D{r},{item.decimals})"
    cells[4].value = f'=IF({filled},"",{diff})'
    cells[5].value = f'=IF({filled},"{formulas.UNFILLED}",IF({diff}=0,"{good}","{bad}"))'


def check_context(data: WorkbookInput):
    """The validation's context for this unit-year with blank figures: rules decide from it whether they
    apply (last year's figures, the unit's level) and what last year's figures are."""
    from ..figures import Figures
    from ..validation.checks import CheckContext

    blank = Figures(unit=data.unit.id, year=data.year, form=data.form, path=Path(""), display_path="",
                    values={t.key: {} for t in data.form.tables})
    prior = data.prior
    return CheckContext(unit=data.unit, year=data.year, figures=blank, prior=getattr(prior, "figures", None),
                        prior_error=getattr(prior, "error", None), prior_note=getattr(prior, "note", None))


def meta_items(data: WorkbookInput) -> list[tuple[str, str]]:
    form = data.form
    return [
        ("mark", MARK), ("kit", __version__), ("form", form.id), ("document", form.document),
        ("unit", data.unit.id), ("unit_name", data.unit.name), ("year", str(data.year)),
        ("layout", fingerprint(form)),
        *[(f"sheet.{t.key}", sheet_name(t)) for t in form.tables],
    ]


def _meta_sheet(wb: Workbook, data: WorkbookInput) -> None:
    ws = wb.create_sheet(META_SHEET)
    ws["A1"] = "nianbao：本表记录填报单位、年度和报告格式，用于收回时核对。请勿修改。"
    for r, (k, v) in enumerate(meta_items(data), start=2):
        ws.cell(r, 1, k)
        ws.cell(r, 2, v)
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def build(data: WorkbookInput) -> Workbook:
    wb = Workbook()
    look = Looks()
    gs = grids(data.form)
    _instructions(wb, data, look)
    for table in data.form.tables:
        _table_sheet(wb, data.form, table, gs[table.key], data, look)
    _facts_sheet(wb, data, look)
    _check_sheet(wb, data, gs, look)
    _meta_sheet(wb, data)
    wb.active = 1
    stamp = datetime(data.year + 1, 1, 1)
    wb.properties.creator = "nianbao"
    wb.properties.title = f"{data.unit.name}{data.year}年{data.form.title}数据"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.calculation.fullCalcOnLoad = True  # spreadsheets compute the check formulas when the file opens
    return wb


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
_CREATED = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def to_bytes(wb: Workbook, date_time: tuple = FIXED_TIME) -> bytes:
    """The workbook as deterministic bytes (fixed zip times, ``date_time``; modified = created)."""
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                created = _CREATED.search(data)
                if created:
                    data = _MODIFIED.sub(lambda m: m.group(1) + created.group(1) + m.group(2), data)
            zi = zipfile.ZipInfo(info.filename, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def write(path: Path, data: WorkbookInput) -> None:
    atomic.write_bytes(Path(path), to_bytes(build(data)))
