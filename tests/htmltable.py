"""Reading HTML tables back as a grid (rowspan/colspan expanded), to check what a reader sees."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class GridCell:
    tag: str  # th | td
    text: str
    section: str  # thead | tbody
    attrs: dict = field(default_factory=dict)


class _TableParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[GridCell, int, int]]]] = {}
        self._table = None
        self._section = "tbody"
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = []
            self.tables[a.get("id") or f"#{len(self.tables)}"] = self._table
        elif self._table is None:
            return
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            self._row = []
            self._table.append(self._row)
        elif tag in ("th", "td"):
            self._cell = (GridCell(tag, "", self._section, a), int(a.get("rowspan", 1)), int(a.get("colspan", 1)))
            self._row.append(self._cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0].text += data.strip()


def grids(html: str) -> dict[str, list[list[GridCell]]]:
    """Every <table> by id, as a rectangular grid where merged cells repeat in each slot they cover."""
    parser = _TableParser()
    parser.feed(html)
    out = {}
    for name, rows in parser.tables.items():
        grid: dict[tuple[int, int], GridCell] = {}
        for r, row in enumerate(rows):
            c = 0
            for cell, rowspan, colspan in row:
                while (r, c) in grid:
                    c += 1
                for dr in range(rowspan):
                    for dc in range(colspan):
                        grid[(r + dr, c + dc)] = cell
                c += colspan
        nrows = max(r for r, _ in grid) + 1
        ncols = max(c for _, c in grid) + 1
        out[name] = [[grid.get((r, c)) for c in range(ncols)] for r in range(nrows)]
    return out


def dedupe(cells) -> list[str]:
    out: list[str] = []
    last = None
    for cell in cells:
        if cell is not None and cell is not last and cell.text:
            out.append(cell.text)
        last = cell
    return out
