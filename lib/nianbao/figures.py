"""One unit's figures for one year: loaded from ``data/<year>/<unit>/figures.yaml`` and checked
against the form definition.

The file holds the three tables (rows by key, or by the printed label) and ``facts``: the figures
the narrative cites. See ``data/README.md`` for the format.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from . import forms
from .cells import parse_cell
from .errors import FiguresError, InputError, Problem
from .form import Column, Form, Row, Table
from .yamlsource import compose, line, mapping_items, plain, shape

Value = int | Decimal | None
TOP_LEVEL_KEYS = ("unit", "year", "form", "facts")


@dataclass(frozen=True)
class Fact:
    key: str
    value: int | Decimal | None
    unit: str = ""
    label: str = ""
    approx: bool = False  # written as "7000余条"


@dataclass
class Figures:
    unit: str
    year: int
    form: Form
    path: Path
    display_path: str
    values: dict[str, dict[tuple[str, str], Value]]
    facts: dict[str, Fact] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, table: str, row: str, column: str) -> Value:
        return self.values[table][(row, column)]

    def frame(self, table: str):
        """The table as a pandas DataFrame: index = row keys, columns = column keys (missing → NA)."""
        import pandas as pd

        t = self.form.table(table)
        data = {c.key: [self.values[table].get((r.key, c.key)) if c in r.columns else None for r in t.rows]
                for c in t.columns}
        return pd.DataFrame(data, index=[r.key for r in t.rows], dtype="object")


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    return f"是否应为 {close[0]!r}？" if close else ""


class _Reader:
    """Walks the YAML node tree of one figures file, collecting every problem found."""

    def __init__(self, form: Form, display: str):
        self.form = form
        self.display = display
        self.problems: list[Problem] = []

    def problem(self, message: str, node=None, *, table: Table | None = None, row: Row | None = None,
                column: Column | None = None, kind: str = "invalid", value=None) -> None:
        self.problems.append(Problem(
            file=self.display, message=message, table=table.name if table else None,
            row_number=row.number if row else None, row_label=row.label if row else None,
            column_label=column.label if column else None, kind=kind, value=value,
            line=line(node) if node is not None else None,
            row_group=row.group if row is not None else None,
        ))

    def table(self, table: Table, node) -> dict[tuple[str, str], Value]:
        values: dict[tuple[str, str], Value] = {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(f"{table.name}应是“行键: 数值”的映射。", node, table=table, kind="shape")
            return values
        aliases = {r.key: r for r in table.rows} | {r.label: r for r in table.rows}
        seen: set[str] = set()
        for name, key_node, row_node in mapping_items(node):
            row = aliases.get(name)
            if row is None:
                self.problem(f"未知的行 {name!r}。{_suggest(name, [r.key for r in table.rows])}"
                             f"{table.name}的行键见 data/README.md 或运行 nianbao template。",
                             key_node, table=table, kind="unknown_row", value=name)
                continue
            if row.key in seen:
                self.problem("该行重复出现。", key_node, table=table, row=row, kind="duplicate_row")
                continue
            seen.add(row.key)
            values.update(self.row(table, row, row_node))
        for row in table.rows:
            if row.key not in seen:
                self.problem(f"缺少此行（行键 {row.key}）。没有发生的事项请整行填 0。", node, table=table, row=row,
                             kind="missing_row")
        return values

    def row(self, table: Table, row: Row, node) -> dict[tuple[str, str], Value]:
        cols = row.columns
        pairs: list[tuple[Column, yaml.Node]] = []
        if isinstance(node, yaml.SequenceNode):
            if len(node.value) != len(cols):
                self.problem(f"应有 {len(cols)} 个数，实际 {len(node.value)} 个。列顺序：{'、'.join(c.label for c in cols)}。",
                             node, table=table, row=row, kind="row_length")
                return {}
            pairs = list(zip(cols, node.value))
        elif isinstance(node, yaml.MappingNode):
            aliases = {c.key: c for c in cols} | {c.label: c for c in cols}
            given: dict[str, yaml.Node] = {}
            for name, key_node, value_node in mapping_items(node):
                col = aliases.get(name)
                if col is None:
                    self.problem(f"未知的列 {name!r}。{_suggest(name, [c.key for c in cols])}"
                                 f"本行的列：{', '.join(f'{c.key}（{c.label}）' for c in cols)}。",
                                 key_node, table=table, row=row, kind="unknown_column", value=name)
                    continue
                if col.key in given:
                    self.problem("该列重复出现。", key_node, table=table, row=row, column=col, kind="duplicate_column")
                    continue
                given[col.key] = value_node
                pairs.append((col, value_node))
            for col in cols:
                if col.key not in given:
                    self.problem(f"缺少此列（列键 {col.key}）。没有则填 0。", node, table=table, row=row, column=col,
                                 kind="missing_column")
        else:
            self.problem("应是数值列表或“列键: 数值”映射。", node, table=table, row=row, kind="shape")
            return {}
        out: dict[tuple[str, str], Value] = {}
        for col, value_node in pairs:
            out[(row.key, col.key)] = self.cell(table, row, col, value_node)
        return out

    def cell(self, table: Table, row: Row, col: Column, node) -> Value:
        if not isinstance(node, yaml.ScalarNode):
            self.problem("应是一个数。", node, table=table, row=row, column=col, kind="not_a_number")
            return None
        value, issue = parse_cell(plain(node), node.value, col)
        if issue:
            self.problem(issue.message, node, table=table, row=row, column=col, kind=issue.kind, value=node.value)
        return value

    def facts(self, node) -> dict[str, Fact]:
        out: dict[str, Fact] = {}
        if node is None:
            return out
        if not isinstance(node, yaml.MappingNode):
            self.problem("facts 应是“名称: 数值”或“名称: {value: 数值, unit: 单位, label: 说明}”的映射。", node, kind="shape")
            return out
        amount = Column(key="value", label="value", type="amount", decimals=4)
        first_line: dict[str, int] = {}
        for name, key_node, value_node in mapping_items(node):
            if name in first_line:
                self.problem(f"facts.{name} 重复出现（第一次在第 {first_line[name]} 行）。每个名称只能写一次："
                             f"删去多余的一处；这里的值未被读取。", key_node, kind="duplicate_fact", value=name)
                continue
            first_line[name] = line(key_node)
            spec = {"value": value_node}
            meta: dict = {}
            if isinstance(value_node, yaml.MappingNode):
                spec = {}
                for k, kn, v in mapping_items(value_node):
                    if k in spec:
                        self.problem(f"facts.{name}: {k} 重复出现。每项只能写一次；这里的值未被读取。", kn,
                                     kind="duplicate_fact", value=k)
                        continue
                    spec[k] = v
                meta = {k: plain(v) for k, v in spec.items() if k != "value"}
                unknown = set(meta) - {"unit", "label", "approx"}
                if unknown or "value" not in spec:
                    self.problem(f"facts.{name}: 需要 value，可选 unit、label、approx；不认识 {sorted(unknown)}。",
                                 value_node, kind="shape")
                    continue
            bad_meta = False
            for k, want in (("unit", "单位的文字，如 条"), ("label", "说明文字")):
                if k in meta and not isinstance(meta[k], str):
                    self.problem(f"facts.{name}: {k} 应是{want}，实际是{shape(spec[k])}。", spec[k], kind="shape")
                    bad_meta = True
            if "approx" in meta and not isinstance(meta["approx"], bool):
                self.problem(f"facts.{name}: approx 应写 true 或 false（是否为约数，印作“余”），不加引号；"
                             f"实际是{shape(spec['approx'])}。", spec["approx"], kind="shape")
                bad_meta = True
            if bad_meta:
                continue
            vnode = spec["value"]
            if not isinstance(vnode, yaml.ScalarNode):
                self.problem(f"facts.{name}: value 应是一个数。", vnode, kind="not_a_number")
                continue
            value, issue = parse_cell(plain(vnode), vnode.value, amount)
            if issue:
                self.problem(f"facts.{name}: {issue.message}", vnode, kind=issue.kind, value=vnode.value)
            out[name] = Fact(key=name, value=value, unit=str(meta.get("unit", "")), label=str(meta.get("label", "")),
                             approx=bool(meta.get("approx", False)))
        return out


def load_figures(path: str | Path, *, unit: str | None = None, year: int | None = None,
                 strict: bool = True, display: str | None = None) -> Figures:
    """Load and check a figures file.

    With ``strict`` (the default) any problem raises :class:`FiguresError` listing all of them.
    With ``strict=False`` defective cells load as ``None`` and the problems are kept on the result,
    so validation can report them beside the rule failures.
    """
    path = Path(path)
    display = display or str(path)
    root = compose(path, display)
    if not isinstance(root, yaml.MappingNode):
        raise FiguresError([Problem(file=display, message="文件应是一个 YAML 映射（unit、year、table2、table3、table4、facts）。",
                                    kind="shape")])
    top: dict[str, tuple] = {}
    repeated: list[tuple[str, yaml.Node]] = []
    for k, kn, v in mapping_items(root):
        if k in top and k in TOP_LEVEL_KEYS:
            repeated.append((k, kn))  # the first one counts; reported once the form is known
            continue
        top.setdefault(k, (kn, v))
    head = {k: plain(top[k][1]) for k in ("unit", "year", "form") if k in top}
    if "unit" in top and isinstance(top["unit"][1], yaml.ScalarNode):
        head["unit"] = top["unit"][1].value  # an id is text as written: `unit: off` is the unit "off", not False
    file_year = head.get("year")
    if not isinstance(file_year, int) or isinstance(file_year, bool):
        raise FiguresError([Problem(file=display, message="缺少或无法识别 year（报告年度，如 year: 2022）。", kind="header")])
    if "form" in head and not isinstance(head["form"], str):
        raise FiguresError([Problem(file=display, message=f"form 应是报告格式的编号（如 form: {forms.for_year(file_year).id}），"
                                    f"实际是{shape(top['form'][1])}。", kind="header", line=line(top["form"][1]))])
    form = forms.get(head["form"]) if "form" in head else forms.for_year(file_year)
    reader = _Reader(form, display)
    if unit is not None and head.get("unit") != unit:
        reader.problem(f"文件中的 unit 是 {head.get('unit')!r}，但要求的单位是 {unit!r}。请核对文件位置或 unit 字段。",
                       top.get("unit", (root,))[0], kind="header")
    for k, kn in repeated:
        reader.problem(f"{k} 重复出现（第一次在第 {line(top[k][0])} 行）。每项只能写一次：删去多余的一处；"
                       f"两处内容不同时请核对哪一处正确。", kn, kind="duplicate_key", value=k)
    if year is not None and file_year != year:
        reader.problem(f"文件中的 year 是 {file_year}，但要求的年度是 {year}。", top["year"][0], kind="header")
    if not form.covers(file_year):
        reader.problem(f"{file_year} 年的报告不适用格式 {form.id}（{form.document}）。", top["year"][0], kind="header")
    table_names = {t.key: t for t in form.tables} | {t.name: t for t in form.tables}
    values: dict[str, dict] = {t.key: {} for t in form.tables}
    seen_tables: dict[str, yaml.Node] = {}  # table key -> the key node that gave it first
    for name, key_node, node in mapping_items(root):
        if name in TOP_LEVEL_KEYS:
            continue
        table = table_names.get(name)
        if table is None:
            reader.problem(f"未知的项 {name!r}。文件顶层只能有：unit、year、form、"
                           f"{'、'.join(t.key for t in form.tables)}、facts。{_suggest(name, list(table_names) + list(TOP_LEVEL_KEYS))}",
                           key_node, kind="unknown_table", value=name)
            continue
        if table.key in seen_tables:
            first = seen_tables[table.key]
            reader.problem(f"{table.name}重复出现：{name!r} 与第 {line(first)} 行的 {str(first.value)!r} 是同一张表"
                           f"（{table.key}，{table.name}）。只保留一处；这里的数据未被读取。",
                           key_node, table=table, kind="duplicate_table", value=name)
            continue
        seen_tables[table.key] = key_node
        values[table.key] = reader.table(table, node)
    for table in form.tables:
        if table.key not in seen_tables:
            reader.problem(f"缺少{table.name}（{table.key}）。", root, table=table, kind="missing_table")
    facts = reader.facts(top["facts"][1] if "facts" in top else None)
    if strict and reader.problems:
        from .validation.grouping import problem_lines

        raise FiguresError(reader.problems, lines=problem_lines(reader.problems, form))
    return Figures(unit=str(head.get("unit")), year=file_year, form=form, path=path, display_path=display,
                   values=values, facts=facts, problems=reader.problems)


__all__ = ["Fact", "Figures", "load_figures", "InputError"]
