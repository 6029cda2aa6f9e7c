"""The national form as a typed model, read from its declaration in its form pack (``forms/<id>/form.yaml``).

Everything that knows about tables, rows, columns, labels or cell types asks a :class:`Form`
instead of spelling them out again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterator

import yaml

from .yamlsource import LOADER as PACK_LOADER


DEFAULT_AMOUNT_UNIT = "万元"  # the unit of the forms' amount columns unless a column declares its own
CELL_TYPES = ("count", "amount", "signed")  # signed: an integer that may be negative (a yearly increase/decrease)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "count"
    decimals: int = 0
    group: str | None = None  # printed spanning header above this column, if any
    summed: bool = True  # a roll-up unit's cell is its children's sum (``rollup: own``: declared by itself)
    unit: str | None = None  # an amount's unit as printed (万元 unless the form says otherwise)

    @property
    def amount_unit(self) -> str:
        """The unit an amount of this column is written in: the form's, else 万元."""
        return self.unit or DEFAULT_AMOUNT_UNIT


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    number: int  # 1-based position among the table's data rows, as printed
    columns: tuple[Column, ...]
    groups: tuple[str, ...] = ()  # enclosing printed group labels, outermost first
    block: str | None = None  # table 2: the key of the 第二十条 block

    @property
    def group(self) -> str | None:
        """The innermost printed group label above the row (None for a row in no group)."""
        return self.groups[-1] if self.groups else None

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


@dataclass(frozen=True)
class Block:
    key: str
    label: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    pad: str = "span"  # a block narrower than the table: its last column spans (span) or empty cells follow (empty)


@dataclass(frozen=True)
class Table:
    key: str
    number: str  # 二 / 三 / 四
    title: str
    layout: str  # blocks | matrix | flat
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]  # for blocks layout: every distinct column, in order of appearance
    blocks: tuple[Block, ...] = ()
    note: str | None = None
    column_header: str | None = None
    item_header: str | None = None

    @property
    def name(self) -> str:
        """Short Chinese name used in messages, e.g. 表三."""
        return f"表{self.number}"

    def row(self, key: str) -> Row:
        try:
            return self._rows_by_key[key]
        except KeyError:
            raise KeyError(f"{self.name} has no row {key!r}") from None

    @cached_property
    def _rows_by_key(self) -> dict[str, Row]:
        return {r.key: r for r in self.rows}

    def group_span(self, index: int, level: int) -> int:
        """How many consecutive rows from ``index`` share the row-group path up to ``level`` (a merged
        group label's height, in the HTML table and the workbook alike)."""
        path = self.rows[index].groups[: level + 1]
        n = 0
        for row in self.rows[index:]:
            if row.groups[: level + 1] != path:
                break
            n += 1
        return n

    def starts_group(self, index: int, level: int) -> bool:
        """Whether row ``index`` opens a new row group at ``level`` (where a merged group label goes)."""
        return index == 0 or self.rows[index - 1].groups[: level + 1] != self.rows[index].groups[: level + 1]

    @property
    def header_rows(self) -> int:
        """Rows of a matrix table's printed column header: the spanning header, if any, then one row
        of column labels, or two when some columns sit under a group label."""
        return (1 if self.column_header else 0) + (2 if any(c.group for c in self.columns) else 1)

    def column_runs(self) -> list[tuple[int, str | None, tuple[Column, ...]]]:
        """The column header's runs, left to right: (index of the run's first column, the group label
        spanning it or None, its columns). Consecutive columns of one group are one run; a column
        without a group is a run of its own (in the HTML table and the workbook alike)."""
        runs: list[tuple[int, str | None, tuple[Column, ...]]] = []
        for i, col in enumerate(self.columns):
            if col.group and runs and runs[-1][1] == col.group and runs[-1][0] + len(runs[-1][2]) == i:
                start, group, cols = runs[-1]
                runs[-1] = (start, group, cols + (col,))
            else:
                runs.append((i, col.group, (col,)))
        return runs

    def cells(self) -> Iterator[tuple[Row, Column]]:
        for row in self.rows:
            for col in row.columns:
                yield row, col

    def rows_in_group(self, label: str) -> tuple[Row, ...]:
        found = tuple(r for r in self.rows if label in r.groups)
        if not found:
            raise KeyError(f"{self.name} has no row group {label!r}")
        return found


@dataclass(frozen=True)
class Section:
    key: str
    number: str
    title: str
    table: str | None = None
    aliases: tuple[str, ...] = ()  # other titles the section is printed with (a narrative may use them)

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


@dataclass(frozen=True)
class Form:
    id: str
    document: str
    title: str
    first_year: int
    last_year: int | None
    sections: tuple[Section, ...]
    tables: tuple[Table, ...]
    rules: tuple[dict, ...] = ()
    overview_topics: tuple[dict, ...] = ()
    source: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(f"form {self.id} has no table {key!r}; tables: {', '.join(t.key for t in self.tables)}")

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"form {self.id} has no section {key!r}; sections: {', '.join(s.key for s in self.sections)}")

    def covers(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year is None or year <= self.last_year)

    def report_title(self, unit_name: str, year: int) -> str:
        return f"{unit_name}{year}年{self.title}"


def _column(spec: dict) -> Column:
    col = Column(
        key=spec["key"],
        label=spec["label"],
        type=spec.get("type", "count"),
        decimals=int(spec.get("decimals", 0)),
        group=spec.get("group"),
        summed=spec.get("rollup", "sum") != "own",
        unit=spec.get("unit"),
    )
    if spec.get("rollup", "sum") not in ("sum", "own"):
        raise ValueError(f"column {col.key}: rollup must be sum or own, not {spec['rollup']!r}")
    if col.type not in CELL_TYPES:
        raise ValueError(f"column {col.key}: unknown cell type {col.type!r} (use one of {CELL_TYPES})")
    return col


def _flatten_rows(specs: list, columns: tuple[Column, ...], groups: tuple[str, ...], out: list, block=None) -> None:
    for spec in specs:
        if "group" in spec:
            _flatten_rows(spec["rows"], columns, groups + (spec["group"],), out, block)
        else:
            out.append(Row(key=spec["key"], label=spec["label"], number=len(out) + 1,
                           columns=columns, groups=groups, block=block))


def _table(spec: dict, titles: dict[str, str]) -> Table:
    layout = spec["layout"]
    rows: list[Row] = []
    blocks: list[Block] = []
    if layout == "blocks":
        seen: dict[str, Column] = {}
        for b in spec["blocks"]:
            cols = tuple(_column(c) for c in b["columns"])
            for c in cols:
                seen.setdefault(c.key, c)
            start = len(rows)
            _flatten_rows(b["rows"], cols, (), rows, block=b["key"])
            pad = b.get("pad", "span")
            if pad not in ("span", "empty"):
                raise ValueError(f"block {b['key']}: pad must be span or empty, not {pad!r}")
            blocks.append(Block(key=b["key"], label=b["label"], columns=cols, rows=tuple(rows[start:]), pad=pad))
        columns = tuple(seen.values())
    elif layout in ("matrix", "flat"):
        columns = tuple(_column(c) for c in spec["columns"])
        _flatten_rows(spec["rows"], columns, (), rows)
    else:
        raise ValueError(f"table {spec['key']}: unknown layout {layout!r}")
    keys = [r.key for r in rows]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise ValueError(f"table {spec['key']}: duplicate row keys {sorted(dupes)}")
    return Table(
        key=spec["key"], number=spec["number"], title=titles[spec["key"]], layout=layout,
        rows=tuple(rows), columns=columns, blocks=tuple(blocks), note=spec.get("note"),
        column_header=spec.get("column_header"), item_header=spec.get("item_header"),
    )


def read_pack_yaml(path: str | Path):
    """A YAML file of a form pack (the kit's own data). Read in every process of a batch, so with
    libyaml's parser when available: the same data ~7x faster than the pure-Python one."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=PACK_LOADER)


def load_form(path: str | Path) -> Form:
    path = Path(path)
    raw = read_pack_yaml(path)
    sections = tuple(Section(**{**s, "aliases": tuple(s.get("aliases", ()))}) for s in raw["sections"])
    titles = {s.table: s.title for s in sections if s.table}
    return Form(
        id=raw["id"], document=raw["document"], title=raw["title"],
        first_year=int(raw["first_year"]),
        last_year=None if raw.get("last_year") is None else int(raw["last_year"]),
        sections=sections,
        tables=tuple(_table(t, titles) for t in raw["tables"]),
        rules=tuple(raw.get("rules", ())),
        overview_topics=tuple(raw.get("overview_topics", ())),
        source=str(path), raw=raw,
    )
