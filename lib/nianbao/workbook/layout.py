"""Where every label and input cell of a form table sits on its worksheet, in the official layout.

Computed from the form model only (:class:`~nianbao.form.Table`): the printed labels, spanning
headers, row groups and blocks. The writer draws this grid and the reader checks it cell by cell, so
a returned workbook whose rows or columns were inserted, deleted or moved is recognised.

One builder per table layout (``blocks``, ``matrix``, ``flat``), in :data:`LAYOUTS`; a form pack with
a new layout registers its builder with :func:`register_layout`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable

from openpyxl.utils import get_column_letter

from ..form import Form, Table

TOP = 4  # first worksheet row of the grid (rows 1–3: title, unit and year, blank)


@dataclass(frozen=True)
class Span:
    """A label drawn on the sheet: ``text`` at (row, col), merged over ``height`` × ``width`` cells."""

    row: int
    col: int
    height: int
    width: int
    text: str
    role: str  # corner | header | block | group | label

    @property
    def address(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"


@dataclass(frozen=True)
class Input:
    """The cell where one figure is typed (merged over ``width`` columns when its block is narrower)."""

    table: str
    row_key: str
    col_key: str
    row: int
    col: int
    width: int = 1

    @property
    def address(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"


@dataclass
class Grid:
    table: Table
    spans: list[Span] = field(default_factory=list)
    inputs: dict[tuple[str, str], Input] = field(default_factory=dict)
    label_cols: int = 1  # leading columns that hold row labels (narrow group columns, then the label)
    height: int = 0
    width: int = 0

    def label(self, r: int, c: int, h: int, w: int, text: str, role: str) -> None:
        self.spans.append(Span(TOP + r, 1 + c, h, w, text, role))
        self.height = max(self.height, r + h)
        self.width = max(self.width, c + w)

    def cell(self, row_key: str, col_key: str, r: int, c: int, w: int = 1) -> None:
        self.inputs[(row_key, col_key)] = Input(self.table.key, row_key, col_key, TOP + r, 1 + c, w)
        self.height = max(self.height, r + 1)
        self.width = max(self.width, c + w)

    @property
    def last_row(self) -> int:
        return TOP + self.height - 1


LAYOUTS: dict[str, Callable[[Table], Grid]] = {}


def register_layout(name: str, builder: Callable[[Table], Grid]) -> None:
    LAYOUTS[name] = builder


def grid(table: Table) -> Grid:
    try:
        builder = LAYOUTS[table.layout]
    except KeyError:
        raise ValueError(f"{table.name}: no worksheet layout for table layout {table.layout!r}; "
                         f"known: {', '.join(sorted(LAYOUTS))}") from None
    return builder(table)


def _blocks(table: Table) -> Grid:
    g = Grid(table, label_cols=1)
    width = max(len(b.columns) for b in table.blocks)
    r = 0
    for block in table.blocks:
        g.label(r, 0, 1, width + 1, block.label, "block")
        r += 1
        g.label(r, 0, 1, 1, table.item_header or "", "header")
        # a block narrower than the table: its last column spans the rest, or (pad: empty) empty cells follow
        spans = block.pad == "span"
        for i, col in enumerate(block.columns):
            span = width - len(block.columns) + 1 if spans and i == len(block.columns) - 1 else 1
            g.label(r, 1 + i, 1, span, col.label, "header")
        for i in range(len(block.columns), width if not spans else 0):
            g.label(r, 1 + i, 1, 1, "", "header")
        r += 1
        for row in block.rows:
            g.label(r, 0, 1, 1, row.label, "label")
            for i, col in enumerate(row.columns):
                span = width - len(row.columns) + 1 if spans and i == len(row.columns) - 1 else 1
                g.cell(row.key, col.key, r, 1 + i, span)
            for i in range(len(row.columns), width if not spans else 0):
                g.label(r, 1 + i, 1, 1, "", "label")
            r += 1
    return g


def _matrix(table: Table) -> Grid:
    depth = max(len(r.groups) for r in table.rows) + 1
    g = Grid(table, label_cols=depth)
    cols = table.columns
    head = table.header_rows
    g.label(0, 0, head, depth, table.note or "", "corner")
    level = 0
    if table.column_header:
        g.label(0, depth, 1, len(cols), table.column_header, "header")
        level = 1
    for i, group, run in table.column_runs():
        if group:
            for j, col in enumerate(run, start=i):
                g.label(level + 1, depth + j, 1, 1, col.label, "header")
            g.label(level, depth + i, 1, len(run), group, "header")
        else:
            g.label(level, depth + i, head - level, 1, run[0].label, "header")
    for n, row in enumerate(table.rows):
        r = head + n
        for lv, group in enumerate(row.groups):
            if table.starts_group(n, lv):
                g.label(r, lv, table.group_span(n, lv), 1, group, "group")
        g.label(r, len(row.groups), 1, depth - len(row.groups), row.label, "label")
        for c, col in enumerate(row.columns):
            g.cell(row.key, col.key, r, depth + cols.index(col))
    return g


def _flat(table: Table) -> Grid:
    """Rows become column groups of one printed data row (表四)."""
    g = Grid(table, label_cols=0)
    ncols = len(table.columns)
    depth = max(len(r.groups) for r in table.rows) + 2
    for n, row in enumerate(table.rows):
        c0 = n * ncols
        for lv, group in enumerate(row.groups):
            if table.starts_group(n, lv):
                g.label(lv, c0, 1, ncols * table.group_span(n, lv), group, "group")
        g.label(len(row.groups), c0, depth - 1 - len(row.groups), ncols, row.label, "header")
        for i, col in enumerate(row.columns):
            g.label(depth - 1, c0 + i, 1, 1, col.label, "header")
            g.cell(row.key, col.key, depth, c0 + i)
    return g


register_layout("blocks", _blocks)
register_layout("matrix", _matrix)
register_layout("flat", _flat)


def grids(form: Form) -> dict[str, Grid]:
    return {t.key: grid(t) for t in form.tables}


def fingerprint(form: Form) -> str:
    """A short hash of every table's sheet layout: labels, positions and input cells.

    Embedded in each workbook; a workbook whose form definition has changed since it was issued no
    longer matches and is refused instead of being read into the wrong cells."""
    spec = []
    for key, g in grids(form).items():
        spec.append([key, [[s.row, s.col, s.height, s.width, s.text] for s in g.spans],
                     [[k[0], k[1], i.row, i.col, i.width] for k, i in g.inputs.items()]])
    blob = json.dumps([form.id, spec], ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]
