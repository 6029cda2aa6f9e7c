"""Reading the form's tables out of a published report's cells, driven by the form model.

Rows are found by their printed labels (from :mod:`nianbao.form`), in the form's order; a block's or
table's column headers are checked against the form before any number is read, so a table printed
in another format is never read with this one's columns. Every cell ends as one of:

- ``read``    the printed number, exactly (parsed as the YAML loader parses a cell);
- ``split``   digits printed run together, split because the table's own identities leave exactly
              one split (logged with the number of candidates);
- ``blank``   printed blank, "/", "—" …: missing, never 0;
- ``refused`` the row (or table) could not be read without guessing — the reason and place are given;
- ``absent``  not in the text at all (e.g. a page cut short).

Nothing is repaired: a table that does not add up is imported as printed and fails validation.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from ..cells import parse_cell
from ..form import Column, Form, Row, Table
from .tokens import Cell, norm

STATUSES = ("read", "split", "blank", "refused", "absent")
MAX_LABEL_PIECES = 8  # a label broken over up to this many cells (a long label wrapped in a narrow PDF column)
MAX_SPLIT_DIGITS = 40


@dataclass
class CellResult:
    table: str
    row: str
    column: str
    status: str
    value: int | Decimal | None = None
    text: str | None = None  # the printed text the value was read from
    where: str | None = None
    line: int | None = None
    reason: str | None = None


@dataclass
class TableRead:
    cells: list[CellResult] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)  # document lines holding the table's cells
    first_line: int | None = None
    extra: set[tuple[int, int]] = field(default_factory=set)  # cells of rows the form does not have


def _variants(label: str) -> set[str]:
    """A printed label and the forms reports shorten it to: without a trailing （…） remark."""
    n = norm(label)
    out = {n}
    short = re.sub(r"\([^()]*\)$", "", n)
    if len(short) >= 4:
        out.add(short)
    return out


class _Reader:
    def __init__(self, form: Form, cells: list[Cell], text_ends_cleanly: bool):
        self.form = form
        self.cells = cells
        self.norms = [norm(c.text) for c in cells]
        self.clean_end = text_ends_cleanly
        self.all_row_labels = {v for t in form.tables for r in t.rows for v in _variants(r.label)}

    # -- finding things ------------------------------------------------------------------------

    def heading(self, section, start: int, end: int | None = None) -> int | None:
        """The cell holding the section's heading (the same test as the narrative's sections); a
        row label opening with the same number (四、…, or the first line of it) is not a heading."""
        from .sections import _is_heading

        end = len(self.cells) if end is None else end
        for i in range(start, end):
            n = self.norms[i]
            if any(v.startswith(n) or n.startswith(v) for v in self.all_row_labels if v[:2] == n[:2]):
                continue
            if _is_heading(self.cells[i].text, section.number, section.title, self.all_row_labels):
                return i
        return None

    def match(self, i: int, variants: set[str], groups: tuple[str, ...] = ()) -> int:
        """How many cells from ``i`` spell the label (0: no match)."""
        acc = ""
        group_norms = [norm(g) for g in groups]
        allowed = {"".join(group_norms[j:]) for j in range(len(group_norms))}
        longest = max(len(v) for v in variants)
        for k in range(MAX_LABEL_PIECES):
            j = i + k
            if j >= len(self.cells) or self.cells[j].is_value:
                return 0
            acc += self.norms[j]
            if acc in variants:
                return k + 1
            for v in variants:
                if acc.endswith(v) and acc[: -len(v)] in allowed:
                    return k + 1  # the row label printed after its group labels, in one cell
                if acc.startswith(v + "(") and acc.endswith(")") and len(acc) - len(v) <= 30:
                    return k + 1  # a hint a province appends to a label in brackets: 〈label〉(含…)
            if len(acc) > longest + 30:
                return 0
        return 0

    def find_row(self, row: Row, start: int, end: int) -> tuple[int, int, str | None]:
        variants = _variants(row.label)
        for i in range(start, end):
            k = self.match(i, variants, row.groups)
            if k:
                return i, k, None
        # a label with a typo: close enough, and not some other row's label
        target = norm(row.label)
        if len(target) >= 6:
            for i in range(start, end):
                n = self.norms[i]
                if self.cells[i].is_value or n in self.all_row_labels:
                    continue
                if difflib.SequenceMatcher(None, n, target).ratio() >= 0.9:
                    return i, 1, f"标签「{self.cells[i].text}」与格式标签「{row.label}」略有出入，按此行读取"
        return -1, 0, None

    def headers_ok(self, labels: list[str], start: int, end: int) -> tuple[bool, str]:
        """Every label appears in the header cells between start and end (in any order: a spanning
        header prints the last column before the columns grouped under it)."""
        text = "".join(n for c, n in zip(self.cells[start:end], self.norms[start:end]) if not c.is_value)
        for lab in labels:
            if not any(v in text for v in _variants(lab)):
                return False, lab
        return True, ""

    def values_after(self, i: int, end: int) -> tuple[list[Cell], int]:
        out = []
        j = i
        while j < end and self.cells[j].is_value:
            out.append(self.cells[j])
            j += 1
        return out, j

    # -- assigning values ----------------------------------------------------------------------

    def assign(self, table: Table, row: Row, vals: list[Cell], res: TableRead, at_end: bool) -> None:
        cols = row.columns
        n = len(cols)
        where = f"{table.name}第{row.number}行「{row.label}」"
        trimmed = list(vals)
        while len(trimmed) > n and trimmed[-1].text == "":
            trimmed.pop()  # cells a spanning (merged) cell leaves empty after the row's values
        if at_end and trimmed and not self.clean_end and trimmed[-1].text:
            self.refuse(table, row, res, f"文本在此行中途结束，最后一个数“{trimmed[-1].text}”可能不完整", trimmed[-1])
            return
        if len(trimmed) == n:
            for col, cell in zip(cols, trimmed):
                self.put(table, row, col, cell, res)
            return
        printed = [c for c in trimmed if c.text != ""]
        if not printed:
            for col in cols:
                res.cells.append(CellResult(table.key, row.key, col.key, "blank", where=vals[0].location() if vals else None,
                                            reason="此行未印数字（空白）：缺失，不是 0"))
            res.log.append(f"{where}：未印数字，{n} 格均为空白（缺失）")
            return
        if len(printed) == 1 and n > 1 and re.fullmatch(r"[0-9]+", printed[0].text):
            self.split(table, row, printed[0], res)
            return
        self.refuse(table, row, res, f"印出 {len(printed)} 个数、应有 {n} 个，无法确定各数属于哪一列", printed[0])

    def put(self, table: Table, row: Row, col: Column, cell: Cell, res: TableRead, status="read") -> None:
        value, issue = parse_cell(cell.text, cell.text, col)
        res.lines.add(cell.line)
        if issue is None:
            res.cells.append(CellResult(table.key, row.key, col.key, status, value, cell.text, cell.location(), cell.line))
        elif issue.kind == "missing_value":
            res.cells.append(CellResult(table.key, row.key, col.key, "blank", None, cell.text, cell.location(), cell.line,
                                        reason=f"原表印为{'空白' if not cell.text else '“' + cell.text + '”'}：缺失，不是 0"))
        else:
            res.cells.append(CellResult(table.key, row.key, col.key, "refused", None, cell.text, cell.location(), cell.line,
                                        reason=f"“{cell.text}”不能按本栏读取：{issue.message}"))

    def refuse(self, table: Table, row: Row, res: TableRead, reason: str, cell: Cell | None = None) -> None:
        for col in row.columns:
            res.cells.append(CellResult(table.key, row.key, col.key, "refused", where=cell.location() if cell else None,
                                        line=cell.line if cell else None, reason=reason))
        res.log.append(f"{table.name}第{row.number}行「{row.label}」拒读：{reason}"
                       + (f"（{cell.location()}）" if cell else ""))

    def split(self, table: Table, row: Row, cell: Cell, res: TableRead) -> None:
        digits = cell.text
        n = len(row.columns)
        if len(digits) < n or len(digits) > MAX_SPLIT_DIGITS:
            self.refuse(table, row, res, f"“{digits}”是连写的数字，位数与 {n} 列不符", cell)
            return
        rules = [r for r in self.form.rules if r.get("kind") == "sum" and r.get("table") == table.key
                 and r.get("per") == "row"]
        keys = [c.key for c in row.columns]
        candidates = []
        for cuts in combinations(range(1, len(digits)), n - 1):
            parts = [digits[a:b] for a, b in zip((0,) + cuts, cuts + (len(digits),))]
            if any(len(p) > 1 and p[0] == "0" for p in parts):
                continue
            vals = dict(zip(keys, (int(p) for p in parts)))
            if all(sum(vals[k] for k in r["left"] if k in vals) == sum(vals[k] for k in r["right"] if k in vals)
                   for r in rules if all(k in vals for k in list(r["left"]) + list(r["right"]))):
                candidates.append(parts)
                if len(candidates) > 1:
                    break
        if len(candidates) != 1:
            how = "没有一种" if not candidates else "不止一种"
            self.refuse(table, row, res, f"“{digits}”是连写的数字，按本表的勾稽关系{how}拆法成立，不猜测", cell)
            return
        parts = candidates[0]
        for col, p in zip(row.columns, parts):
            res.cells.append(CellResult(table.key, row.key, col.key, "split", int(p), digits, cell.location(), cell.line,
                                        reason=f"连写数字“{digits}”按勾稽关系唯一拆为 {'、'.join(parts)}"))
        res.lines.add(cell.line)
        res.log.append(f"{table.name}第{row.number}行「{row.label}」：连写数字“{digits}”（{cell.location()}）"
                       f"按本表勾稽关系只有一种拆法：{'、'.join(parts)}")
        return True

    def absent(self, table: Table, rows, res: TableRead, reason: str) -> None:
        for row in rows:
            for col in row.columns:
                res.cells.append(CellResult(table.key, row.key, col.key, "absent", reason=reason))

    # -- tables --------------------------------------------------------------------------------

    def extra_rows(self, table: Table, start: int, stop: int, res: TableRead) -> None:
        """Rows a unit added to the national table (湖北's 其他主动公开文件): logged, not imported."""
        for j in range(start, stop):
            c = self.cells[j]
            if c.is_value or j + 1 >= len(self.cells) or not self.cells[j + 1].text or not self.cells[j + 1].is_value:
                continue
            if self.norms[j] in self.all_row_labels or len(self.norms[j]) > 30 or (c.line, c.pos) in res.extra:
                continue
            res.extra.add((c.line, c.pos))
            vals, _ = self.values_after(j + 1, stop)
            res.log.append(f"{table.name}中有国家格式以外的行「{c.text}」（{c.location()}，印出 "
                           f"{'、'.join(v.text for v in vals if v.text)}）：未导入，如需保留请另行记录")

    def read_rows(self, table: Table, rows, start: int, end: int, res: TableRead) -> int:
        p = start
        for row in rows:
            i, k, note = self.find_row(row, p, end)
            if i > p:
                self.extra_rows(table, p, i, res)
            if i < 0:
                self.absent(table, [row], res, "文本中没有此行" + ("（文本在本表结束前截断）" if end >= len(self.cells) else ""))
                continue
            if note:
                res.log.append(f"{table.name}第{row.number}行：{note}（{self.cells[i].location()}）")
            res.lines.add(self.cells[i].line)
            if res.first_line is None:
                res.first_line = self.cells[i].line
            vals, j = self.values_after(i + k, end)
            self.assign(table, row, vals, res, at_end=j >= len(self.cells))
            p = j
        return p

    def read_table(self, table: Table, start: int, end: int) -> TableRead:
        res = TableRead()
        if table.layout == "blocks":
            p = start
            for bi, block in enumerate(table.blocks):
                first, _, _ = self.find_row(block.rows[0], p, end)
                self.extra_rows(table, p, first if first >= 0 else end, res)
                if first < 0:
                    self.absent(table, block.rows, res, f"文本中没有{block.label}的数据行"
                                + ("（文本在本表结束前截断）" if end >= len(self.cells) else ""))
                    continue
                head_start = p
                for i in range(p, first):
                    if self.norms[i] == norm(block.label):
                        head_start = i
                ok, missing = self.headers_ok([c.label for c in block.columns], head_start, first)
                if not ok:
                    shown = "、".join(c.text for c in self.cells[head_start:first] if c.text and not c.is_value)[:80]
                    reason = f"{block.label}的列标题不是本格式的「{missing}」（印的是：{shown}），不按本格式的列读取"
                    for row in block.rows:
                        self.refuse(table, row, res, reason, self.cells[first])
                    p = first + 1
                    continue
                p = self.read_rows(table, block.rows, first, end, res)
            return res
        if table.layout == "matrix":
            first, _, _ = self.find_row(table.rows[0], start, end)
            if first < 0:
                self.absent(table, table.rows, res, "文本中没有本表" + ("（文本在本表之前截断）" if end >= len(self.cells) else ""))
                return res
            ok, missing = self.headers_ok([c.label for c in table.columns], start, first)
            if not ok:
                for row in table.rows:
                    self.refuse(table, row, res, f"列标题中没有本格式的「{missing}」，不按本格式的列读取", self.cells[first])
                return res
            if self.column_major(table, first, end, res):
                return res
            self.read_rows(table, table.rows, first, end, res)
            return res
        return self.read_flat(table, start, end)

    def column_major(self, table: Table, first: int, end: int, res: TableRead) -> bool:
        """Every row label printed first, then all the numbers (PDF extraction often gives a table
        so). Read only when the numbers are exactly rows × columns and the table's identities leave
        one order — row by row or column by column — or both orders give the same figures."""
        p, where = first, []
        for n, row in enumerate(table.rows):
            i, k, _ = self.find_row(row, p, end)
            last = n == len(table.rows) - 1
            if i < 0 or (not last and i + k < end and self.cells[i + k].is_value):
                return False  # a row followed by its own cells (numbers or blanks): the ordinary layout
            where.append(i)
            p = i + k
        vals, j = self.values_after(p, end)
        vals = [v for v in vals if v.text]
        nrows, ncols = len(table.rows), len(table.columns)
        if not vals:
            return False
        res.first_line = self.cells[first].line
        if len(vals) != nrows * ncols:
            for row in table.rows:
                self.refuse(table, row, res, f"行标签之后集中印出 {len(vals)} 个数、应有 {nrows}×{ncols} 个，无法确定各数属于哪一格", vals[0])
            return True

        def grid(order):
            g = {}
            for n, cell in enumerate(vals):
                r, c = (n // ncols, n % ncols) if order == "rows" else (n % nrows, n // nrows)
                g[(table.rows[r].key, table.columns[c].key)] = cell
            return g

        def holds(g) -> bool:
            nums = {}
            for key, cell in g.items():
                v, issue = parse_cell(cell.text, cell.text, table.columns[0])
                if issue:
                    return False
                nums[key] = v
            for rule in (r for r in self.form.rules if r.get("kind") == "sum" and r.get("table") == table.key):
                if rule.get("per") == "row":
                    items = [(row.key, lambda k, rk=row.key: (rk, k)) for row in table.rows]
                else:
                    items = [(col.key, lambda k, ck=col.key: (k, ck)) for col in table.columns]
                for _, at in items:
                    def side(keys):
                        out = 0
                        for k in keys:
                            if isinstance(k, dict):
                                out += sum(nums[at(r.key)] for r in table.rows_in_group(k["rows_in_group"]))
                            else:
                                out += nums[at(k)]
                        return out
                    if side(rule["left"]) != side(rule["right"]):
                        return False
            return True

        by_rows, by_cols = grid("rows"), grid("cols")
        same = all(by_rows[k].text == by_cols[k].text for k in by_rows)
        ok = [o for o, g in (("rows", by_rows), ("cols", by_cols)) if holds(g)]
        if not (same or len(ok) == 1):
            why = "两种读法都符合本表的勾稽关系" if ok else "两种读法都不符合本表的勾稽关系"
            for row in table.rows:
                self.refuse(table, row, res, f"行标签之后集中印出 {len(vals)} 个数，逐行读与逐列读{why}，不猜测", vals[0])
            return True
        order = "rows" if same else ok[0]
        g = by_rows if order == "rows" else by_cols
        for row in table.rows:
            for col in row.columns:
                self.put(table, row, col, g[(row.key, col.key)], res)
        res.log.append(f"{table.name}：行标签之后集中印出 {len(vals)} 个数（{vals[0].location()}起），"
                       + ("两种读法结果相同" if same else f"只有{'逐行' if order == 'rows' else '逐列'}读法符合本表的勾稽关系")
                       + "，按此读取")
        return True

    def read_flat(self, table: Table, start: int, end: int) -> TableRead:
        """表四-style tables: the rows printed side by side as column groups, values in one printed row
        (or, in some reports, one printed row per form row)."""
        res = TableRead()
        labels = [r.label for r in table.rows]
        # one printed row per form row, each followed by exactly its values
        trial = TableRead()
        p, per_row = start, True
        for row in table.rows:
            i, k, _ = self.find_row(row, p, end)
            vals, j = self.values_after(i + k, end) if i >= 0 else ([], p)
            while len(vals) > len(row.columns) and vals[-1].text == "":
                vals.pop()
            if i < 0 or len(vals) != len(row.columns):
                per_row = False
                break
            for col, cell in zip(row.columns, vals):
                self.put(table, row, col, cell, trial)
            p = j
        if per_row:
            trial.log.append(f"{table.name}：每行标签后各印一行数字")
            return trial
        # values after the last header cell of the region
        last_label = max((i for i in range(start, end) if not self.cells[i].is_value), default=None)
        if last_label is None or not self.headers_ok(labels, start, last_label + 1)[0]:
            self.absent(table, table.rows, res, "文本中没有本表" + ("（文本在本表之前截断）" if end >= len(self.cells) else ""))
            return res
        ok, missing = self.headers_ok([c.label for c in table.columns], start, last_label + 1)
        if not ok:
            for row in table.rows:
                self.refuse(table, row, res, f"列标题中没有本格式的「{missing}」，不按本格式的列读取")
            return res
        vals = self.cells[last_label + 1:end]
        want = sum(len(r.columns) for r in table.rows)
        while len(vals) > want and vals[-1].text == "":
            vals.pop()  # empty cells beyond the table's (a spanning cell's fillers in page text)
        first_cell = vals[0] if vals else self.cells[last_label]
        res.first_line = self.cells[start].line
        if len(vals) != want or (end >= len(self.cells) and not self.clean_end and vals and vals[-1].text):
            reason = (f"表头之后印出 {len(vals)} 个数、应有 {want} 个（{'、'.join(labels)}各 {len(table.columns)} 列），"
                      f"无法确定各数属于哪一格") if len(vals) != want else "文本在本表中途结束，最后一个数可能不完整"
            for row in table.rows:
                self.refuse(table, row, res, reason, first_cell)
            return res
        it = iter(vals)
        for row in table.rows:
            for col in row.columns:
                self.put(table, row, col, next(it), res)
        res.log.append(f"{table.name}：{want} 个数印在同一行，按{'、'.join(labels)}的顺序读取（{first_cell.location()}起）")
        return res


def read_tables(form: Form, cells: list[Cell], text_ends_cleanly: bool = True) -> dict[str, TableRead]:
    reader = _Reader(form, cells, text_ends_cleanly)
    out: dict[str, TableRead] = {}
    p = 0
    sections = list(form.sections)
    for table in form.tables:
        sec = next(s for s in sections if s.table == table.key)
        later = sections[sections.index(sec) + 1:]
        h = reader.heading(sec, p)
        start = h + 1 if h is not None else p
        end = len(cells)
        for s in later:
            e = reader.heading(s, start)
            if e is not None:
                end = min(end, e)
                break
        out[table.key] = reader.read_table(table, start, end)
        if h is not None or out[table.key].lines:
            p = max([start] + [i for i in range(start, end) if cells[i].line in out[table.key].lines])
    return out
