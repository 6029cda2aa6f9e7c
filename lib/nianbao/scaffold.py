"""Writing figures files: an empty template for a unit-year, with the printed labels as comments.

The labels come from the form definition, so a figures file never has to be typed from the form by
hand. Tables of one column set (表三, 表四) are written one row per line, in column order.
"""
from __future__ import annotations

from .form import Form, Table


BLANK = "~"  # a cell not yet filled: loads as a missing value, so an unfilled file never passes as zeros


def _fmt(value) -> str:
    if value is None:
        return BLANK
    return str(value)


def _table_lines(table: Table, values: dict | None) -> list[str]:
    out = [f"{table.key}:  # {table.name} {table.title}"]
    get = (lambda r, c: values.get((r, c))) if values else (lambda r, c: None)
    if table.layout == "blocks":
        for block in table.blocks:
            out.append(f"  # {block.label}：{'、'.join(f'{c.key}＝{c.label}' for c in block.columns)}")
            for row in block.rows:
                cells = ", ".join(f"{c.key}: {_fmt(get(row.key, c.key))}" for c in row.columns)
                out.append(f"  {row.key}: {{{cells}}}  # {row.label}")
        return out
    out.append(f"  # 列顺序：{'、'.join(c.label for c in table.columns)}")
    width = max(len(r.key) for r in table.rows)
    for row in table.rows:
        cells = ", ".join(_fmt(get(row.key, c.key)) for c in row.columns)
        label = " / ".join(row.groups + (row.label,))
        out.append(f"  {row.key + ':':<{width + 1}} [{cells}]  # {row.number}. {label}")
    return out


def figures_yaml(form: Form, unit: str, year: int, unit_name: str, values: dict | None = None,
                 facts_text: str | None = None) -> str:
    """The text of a figures file. ``values``: {table key: {(row, col): value}}; a cell without a
    value is written as ``~`` (to be filled in)."""
    lines = [
        f"# {unit_name} {year}年{form.title} — 表格数据",
        "# 格式说明见 data/README.md。~ 表示尚未填写。件数填非负整数；没有发生的填 0；不要填“/”或留空。",
        f"unit: {unit}",
        f"year: {year}",
        f"form: {form.id}  # {form.document}",
        "",
    ]
    signed = list(dict.fromkeys(c.label for t in form.tables for c in t.columns if c.type == "signed"))
    if signed:  # e.g. the 2019 format's yearly increase/decrease
        lines.insert(2, f"# {'、'.join(signed)}可以为负数：减少写 -3 或照印制的写法“减3”（增加写 3 或“增3”）。")
    for table in form.tables:
        lines += _table_lines(table, (values or {}).get(table.key))
        lines.append("")
    lines.append("# 叙述部分引用的数字：名称: {value: 数值, unit: 单位, label: 说明}")
    lines.append(facts_text.rstrip() if facts_text else "facts: {}")
    return "\n".join(lines) + "\n"
