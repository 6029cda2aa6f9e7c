"""Reading a returned workbook: its embedded identity, its layout checked cell by cell, and every
input cell with its address (表三!D12), ready for :mod:`.intake`.

Nothing is parsed here: cell values are handed on as the spreadsheet holds them, and
:mod:`.intake` reads them exactly as the YAML loader reads a figures file.
"""
from __future__ import annotations

import datetime
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import forms
from ..errors import InputError
from ..form import Column, Form, Row, Table
from openpyxl.utils import get_column_letter

from .layout import Grid, fingerprint, grids
from .writer import FACTS_FIRST_ROW, FACTS_HEADER, FACTS_SHEET, MARK, META_SHEET

MAX_LAYOUT_MESSAGES = 3  # per sheet: the first misplaced labels say enough


@dataclass
class Entry:
    """One input cell (or CSV line) as received."""

    table: Table
    row: Row
    column: Column
    value: object  # int, float, str, bool, datetime … or None (blank)
    where: str  # 表三!D12, or figures.csv:第12行
    problem: str | None = None  # refused before parsing (a formula without its value, an error value)
    formula: str | None = None


@dataclass
class FactEntry:
    key: str
    value: object
    unit: str
    label: str
    approx: bool
    where: str


@dataclass
class Submission:
    """What one source says about one unit-year."""

    source: str  # the file, as shown in messages
    unit: str | None
    year: int | None
    form: Form | None
    entries: dict[tuple[str, str, str], Entry] = field(default_factory=dict)
    facts: list[FactEntry] | None = None  # None: the source has no facts (the existing ones are kept)
    problems: list[str] = field(default_factory=list)  # reasons to refuse found while reading
    fatal: bool = False  # the problems leave the cells unknown (layout, form): nothing more is read
    issues: int = 0  # cells and other defects found (a line may stand for many cells)
    notes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


def _text(v) -> str:
    return "" if v is None else str(v).strip()


class Sheet:
    """One worksheet's non-empty cells, read in one streaming pass (openpyxl's read-only mode: binding
    merged ranges and styles, which a reader does not need, took most of the time of a full load)."""

    def __init__(self, ws):
        self.cells: dict[tuple[int, int], tuple[object, str]] = {}
        self.max_row = self.max_column = 0
        for row in ws.iter_rows():
            for cell in row:
                value = getattr(cell, "value", None)
                if value is None:
                    continue
                self.cells[(cell.row, cell.column)] = (value, cell.data_type)
                self.max_row = max(self.max_row, cell.row)
                self.max_column = max(self.max_column, cell.column)

    def value(self, r: int, c: int):
        return self.cells.get((r, c), (None, "n"))[0]

    def type(self, r: int, c: int) -> str:
        return self.cells.get((r, c), (None, "n"))[1]


class Book:
    def __init__(self, wb):
        self.sheetnames = list(wb.sheetnames)
        self._wb = wb
        self._sheets: dict[str, Sheet] = {}

    def __getitem__(self, name: str) -> Sheet:
        if name not in self._sheets:
            self._sheets[name] = Sheet(self._wb[name])
        return self._sheets[name]

    def close(self) -> None:
        self._wb.close()


def _load(path: Path, display: str):
    from openpyxl import load_workbook

    try:
        values = Book(load_workbook(path, data_only=True, read_only=True))
        formulas = Book(load_workbook(path, data_only=False, read_only=True))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{display}: 无法作为 .xlsx 工作簿打开（{type(exc).__name__}: {exc}）。"
                         f"请用 Excel 或 WPS 另存为“Excel 工作簿 (*.xlsx)”后重试。") from None
    except Exception as exc:  # openpyxl raises its own classes for malformed parts
        raise InputError(f"{display}: 工作簿内容无法读取（{type(exc).__name__}: {exc}）。"
                         f"请用 Excel 或 WPS 打开并另存为 .xlsx 后重试。") from None
    return values, formulas


def read_meta(wb, display: str) -> dict:
    if META_SHEET not in wb.sheetnames:
        raise InputError(f"{display}: 不是 nianbao workbook 生成的工作簿（没有隐藏的 {META_SHEET} 工作表，无法确认单位、年度和格式）。"
                         f"请用 nianbao workbook 生成的表格填写后交回。")
    ws = wb[META_SHEET]
    meta = {}
    for r in range(2, ws.max_row + 1):
        if ws.value(r, 1) is not None:
            meta[str(ws.value(r, 1))] = _text(ws.value(r, 2))
    if meta.get("mark") != MARK:
        raise InputError(f"{display}: {META_SHEET} 工作表的内容不是 nianbao 写入的（标记 {meta.get('mark')!r}）。")
    return meta


def _check_layout(ws, g: Grid, name: str, display: str) -> list[str]:
    wrong = []
    for s in g.spans:
        got = _text(ws.value(s.row, s.col))
        if got != s.text.strip():
            wrong.append((s, got))
    out = []
    for s, got in wrong[:MAX_LAYOUT_MESSAGES]:
        out.append(f"{display}: {name}!{s.address} 应为「{s.text}」，实际为「{got or '（空白）'}」。")
    extra = []
    last_col = g.width
    for (r, c), (v, _) in sorted(ws.cells.items()):
        if (r > g.last_row or c > last_col) and _text(v):
            extra.append(f"{get_column_letter(c)}{r}")
    if extra:
        out.append(f"{display}: {name} 在表格之外有内容（{'、'.join(f'{name}!{a}' for a in extra[:5])}"
                   f"{'等' if len(extra) > 5 else ''}）。")
    if wrong or extra:
        more = f"（共 {len(wrong)} 处标签位置不符）" if len(wrong) > MAX_LAYOUT_MESSAGES else ""
        out.append(f"{display}: {name} 的行或列被插入、删除或移动过{more}，无法确定数字属于哪一格，整份工作簿未读入。"
                   f"请撤销改动，或把数字填入新生成的表格（nianbao workbook）后重新交回。")
    return out


def read_workbook(path: str | Path, display: str | None = None) -> list[Submission]:
    path = Path(path)
    display = display or str(path)
    values, formulas = _load(path, display)
    try:
        return _read(values, formulas, display)
    finally:
        values.close()
        formulas.close()


def _read(values: Book, formulas: Book, display: str) -> list[Submission]:
    meta = read_meta(values, display)
    try:
        form = forms.get(meta.get("form", ""))
    except InputError as exc:
        raise InputError(f"{display}: {exc}") from None
    try:
        year = int(meta.get("year", ""))
    except ValueError:
        raise InputError(f"{display}: {META_SHEET} 中的年度 {meta.get('year')!r} 无法识别。") from None
    sub = Submission(source=display, unit=meta.get("unit") or None, year=year, form=form, meta=meta)
    if meta.get("layout") != fingerprint(form):
        sub.problems.append(f"{display}: 工作簿按另一版本的格式定义生成（布局 {meta.get('layout')}，"
                            f"现在的 {form.id} 是 {fingerprint(form)}），逐格位置可能不同。请用 nianbao workbook 重新生成表格后填写。")
        sub.fatal = True
        return [sub]
    for table in form.tables:
        name = meta.get(f"sheet.{table.key}", table.name)
        if name not in values.sheetnames:
            sub.problems.append(f"{display}: 缺少工作表「{name}」（{table.name}）。工作表不能删除或改名。")
            sub.fatal = True
            continue
        g = grids(form)[table.key]
        ws, wf = values[name], formulas[name]
        layout = _check_layout(ws, g, name, display)
        if layout:
            sub.problems.extend(layout)
            sub.fatal = True
            continue
        for (rk, ck), inp in g.inputs.items():
            row = table.row(rk)
            col = row.column(ck)
            value = ws.value(inp.row, inp.col)
            where = f"{name}!{inp.address}"
            entry = Entry(table, row, col, value, where)
            formula = wf.value(inp.row, inp.col)
            if wf.type(inp.row, inp.col) == "f" or type(formula).__name__ in ("ArrayFormula", "DataTableFormula"):
                entry.formula = str(getattr(formula, "text", formula))
                if value is None:
                    entry.problem = (f"单元格是公式（{entry.formula}），但文件中没有保存它的计算结果，无法读取数值。"
                                     f"请在 Excel 或 WPS 中打开后保存再交回，或直接填写数字。")
            if ws.type(inp.row, inp.col) == "e":
                entry.problem = f"单元格是错误值 {value}（公式无法计算）。请改正公式或直接填写数字。"
            elif isinstance(value, bool):
                entry.problem = f"单元格是逻辑值 {'TRUE' if value else 'FALSE'}，不是数字。请填写数字；没有发生的填 0。"
            elif isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
                entry.problem = (f"单元格是日期或时间（{value}），不是数字：Excel/WPS 可能把输入的“1-5”“3/4”之类自动转成了日期。"
                                 f"请把单元格格式设为“常规”后重新填写数字。")
            sub.entries[(table.key, rk, ck)] = entry
    formulas_used = [e.where for e in sub.entries.values() if e.formula and not e.problem]
    if formulas_used:
        sub.notes.append(f"{len(formulas_used)} 个单元格是公式，按其计算结果读入："
                         f"{'、'.join(formulas_used[:5])}{'等' if len(formulas_used) > 5 else ''}")
    if FACTS_SHEET in values.sheetnames:
        sub.facts = _facts(values[FACTS_SHEET], display, sub.problems)
    return [sub]


def _facts(ws, display: str, problems: list[str]) -> list[FactEntry]:
    head = tuple(_text(ws.value(FACTS_FIRST_ROW - 1, c)) for c in range(1, len(FACTS_HEADER) + 1))
    if head != FACTS_HEADER:
        problems.append(f"{display}: {FACTS_SHEET} 第{FACTS_FIRST_ROW - 1}行的表头应为「{'、'.join(FACTS_HEADER)}」，"
                        f"实际为「{'、'.join(head)}」。请不要插入、删除或移动该表的行和列。")
        return []
    out = []
    for r in range(FACTS_FIRST_ROW, ws.max_row + 1):
        key, label, value, unit, approx = (ws.value(r, c) for c in range(1, 6))
        where = f"{FACTS_SHEET}!A{r}"
        if all(_text(v) == "" for v in (key, label, value, unit, approx)):
            continue
        k = _text(key)
        if not k:
            problems.append(f"{display}: {where}: 这一行填了内容但没有名称。请填写名称（英文字母、数字和下划线），或清空整行。")
            continue
        if not (k.replace("_", "a").isascii() and k.replace("_", "a").isalnum() and not k[0].isdigit()):
            problems.append(f"{display}: {where}: 名称 {k!r} 只能用英文字母、数字和下划线，且不以数字开头"
                            f"（正文中写作 {{{{ fact.名称 }}}}）。")
            continue
        a = _text(approx)
        if a not in ("", "是", "否"):
            problems.append(f"{display}: {FACTS_SHEET}!E{r}: 约数应填“是”或留空，实际为 {a!r}。")
            continue
        out.append(FactEntry(k, value, _text(unit), _text(label), a == "是", f"{FACTS_SHEET}!C{r}"))
    return out
