"""HTML for the form's tables in the official printed layout, derived from the form definition.

Every data cell carries ``data-table``, ``data-row`` and ``data-col`` (machine keys) so readers and
tests can address it; the printed layout itself (merged headers, spanning row groups) follows the
national form.
"""
from __future__ import annotations

from decimal import Decimal
from html import escape

from .form import Row, Table

MISSING_MARK = "缺"


def format_value(value) -> str:
    """Text of a table cell as printed: integers plainly, amounts with the decimals as written."""
    if value is None:
        return MISSING_MARK
    if isinstance(value, bool):
        raise TypeError("a table cell cannot be a boolean")
    if isinstance(value, (int, Decimal)):
        return str(value)
    raise TypeError(f"unexpected cell value {value!r}")


def _th(label: str, colspan: int = 1, rowspan: int = 1, cls: str = "") -> str:
    attrs = ""
    if colspan > 1:
        attrs += f' colspan="{colspan}"'
    if rowspan > 1:
        attrs += f' rowspan="{rowspan}"'
    if cls:
        attrs += f' class="{cls}"'
    return f"<th{attrs}>{escape(label)}</th>"


def _td(table: Table, row: Row, col_key: str, value, colspan: int = 1) -> str:
    cls = "num missing" if value is None else "num"
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    return (f'<td class="{cls}"{span} data-table="{table.key}" data-row="{row.key}" data-col="{col_key}">'
            f"{escape(format_value(value))}</td>")


def _blocks(table: Table, values: dict) -> list[str]:
    width = max(len(b.columns) for b in table.blocks)
    out = ["<tbody>"]
    for block in table.blocks:
        out.append(f"<tr class=\"block\">{_th(block.label, colspan=width + 1, cls='block-label')}</tr>")
        spare = width - len(block.columns)  # columns this block leaves over: spanned, or printed empty
        span = 1 if block.pad == "empty" else spare + 1
        heads = [_th(table.item_header or "")]
        for i, col in enumerate(block.columns):
            last = i == len(block.columns) - 1
            heads.append(_th(col.label, colspan=span if last else 1))
        if block.pad == "empty":
            heads += ['<th class="empty"></th>'] * spare
        out.append("<tr>" + "".join(heads) + "</tr>")
        for row in block.rows:
            tds = [f'<th class="row-label" scope="row">{escape(row.label)}</th>']
            for i, col in enumerate(block.columns):
                last = i == len(block.columns) - 1
                tds.append(_td(table, row, col.key, values.get((row.key, col.key)), colspan=span if last else 1))
            if block.pad == "empty":
                tds += ['<td class="empty"></td>'] * spare
            out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody>")
    return out


def _column_header(table: Table, corner: str | None, corner_cols: int) -> list[str]:
    """Header rows for a matrix table: optional spanning header, then grouped column labels."""
    depth = table.header_rows
    rows: list[list[str]] = [[] for _ in range(depth)]
    level = 0
    rows[0].append(_th(corner or "", colspan=corner_cols, rowspan=depth, cls="corner"))
    if table.column_header:
        rows[0].append(_th(table.column_header, colspan=len(table.columns)))
        level = 1
    for _, group, run in table.column_runs():
        if group:
            rows[level + 1].extend(_th(col.label) for col in run)
            rows[level].append(_th(group, colspan=len(run)))
        else:
            rows[level].append(_th(run[0].label, rowspan=depth - level))
    return ["<thead>"] + ["<tr>" + "".join(r) + "</tr>" for r in rows] + ["</thead>"]


def _matrix(table: Table, values: dict) -> list[str]:
    depth = max(len(r.groups) for r in table.rows) + 1
    out = _column_header(table, table.note, depth)
    out.append("<tbody>")
    for i, row in enumerate(table.rows):
        cells = []
        for level, group in enumerate(row.groups):
            if table.starts_group(i, level):
                cells.append(_th(group, rowspan=table.group_span(i, level), cls="row-group"))
        cells.append(f'<th class="row-label" scope="row"'
                     f'{f" colspan={chr(34)}{depth - len(row.groups)}{chr(34)}" if depth - len(row.groups) > 1 else ""}>'
                     f"{escape(row.label)}</th>")
        cells += [_td(table, row, col.key, values.get((row.key, col.key))) for col in row.columns]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    return out


def _flat(table: Table, values: dict) -> list[str]:
    """Rows become column groups of a single printed data row (表四)."""
    ncols = len(table.columns)
    depth = max(len(r.groups) for r in table.rows) + 2
    heads: list[list[str]] = [[] for _ in range(depth)]
    for i, row in enumerate(table.rows):
        for level, group in enumerate(row.groups):
            if table.starts_group(i, level):
                heads[level].append(_th(group, colspan=ncols * table.group_span(i, level)))
        heads[len(row.groups)].append(_th(row.label, colspan=ncols))
        for col in row.columns:
            heads[len(row.groups) + 1].append(_th(col.label, rowspan=depth - len(row.groups) - 1))
    out = ["<thead>"] + ["<tr>" + "".join(h) + "</tr>" for h in heads if h] + ["</thead>", "<tbody><tr>"]
    out += [_td(table, row, col.key, values.get((row.key, col.key))) for row in table.rows for col in row.columns]
    out.append("</tr></tbody>")
    return out


LAYOUTS = {"blocks": _blocks, "matrix": _matrix, "flat": _flat}


def table_html(table: Table, values: dict) -> str:
    """The table as an HTML ``<table>``; ``values`` maps (row key, column key) to the cell value."""
    body = LAYOUTS[table.layout](table, values)
    return (f'<table class="nb-table nb-{table.layout}" id="{table.key}" data-table="{table.key}">'
            + "".join(body) + "</table>")
