"""nianbao validate: check figures against every rule of the form, without rendering anything.

One unit (``--unit``), every unit with data for a year (``--year`` alone), or every year under
``data/`` (``--all``). All the unit-years are validated in one call: Great Expectations starts once.
Prints a table of failures. Exit 0 when there are no errors (warnings allowed), 4 when any unit has
errors, 3 when an input file cannot be read (the others are still validated and printed).
"""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

from ..errors import InputError, ValidationFailed
from ..findings import SEVERITY_LABELS
from .common import add_project, project_of

NAME = "validate"
HELP = "按报告格式的勾稽规则校验数据（不生成报告）；有错误时以 4 退出"


def add_arguments(parser) -> None:
    parser.add_argument("--unit", metavar="ID", help="params/units.yaml 中的单位编号（默认：所有有数据的单位）")
    parser.add_argument("--year", type=int, metavar="YEAR", help="报告年度，如 2022")
    parser.add_argument("--all", action="store_true", help="data/ 下的所有年度（与 --unit 同用：该单位的所有年度）")
    parser.add_argument("--json", metavar="FILE", help="另把完整结果（JSON 列表）写入 FILE；- 表示标准输出")
    add_project(parser)


def _years(project) -> list[int]:
    if not project.data_dir.is_dir():
        return []
    return sorted(int(p.name) for p in project.data_dir.iterdir() if p.is_dir() and p.name.isdigit())


def _targets(project, registry, args) -> tuple[list[tuple[str, int]], list[str]]:
    """(unit id, year) pairs to validate, and input errors found while listing them."""
    errors: list[str] = []
    if args.all:
        years = _years(project)
    elif args.year is not None:
        years = [args.year]
    else:
        raise InputError("请用 --year 指定年度（如 --year 2022），或用 --all 校验 data/ 下的所有年度。")
    pairs = []
    if args.unit:
        registry.get(args.unit)  # unknown unit: InputError naming the registered ones
        for y in years:
            if args.all and not project.figures_file(args.unit, y).is_file():
                continue
            pairs.append((args.unit, y))
        if not pairs:
            raise InputError(f"data/ 下没有单位 {args.unit} 的数据。")
        return pairs, errors
    for y in years:
        ydir = project.data_dir / str(y)
        found = sorted(p.name for p in ydir.iterdir() if p.is_dir()) if ydir.is_dir() else []
        for uid in found:
            if uid not in registry:
                errors.append(f"{project.rel(ydir / uid)}: 单位 {uid!r} 未在 params/units.yaml 中登记。")
            elif project.figures_file(uid, y).is_file():
                pairs.append((uid, y))
            else:
                errors.append(f"{project.rel(project.figures_file(uid, y))}: 文件不存在。")
    if not pairs and not errors:
        where = f"data/{args.year}/" if not args.all else "data/"
        raise InputError(f"{where} 下没有任何单位的数据（data/<年度>/<单位编号>/figures.yaml）。")
    return pairs, errors


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def format_table(rows: list[list[str]], head: list[str]) -> list[str]:
    """Rows aligned for a terminal (CJK characters count double); the last column is not padded."""
    widths = [max(_width(r[i]) for r in rows + [head]) for i in range(len(head) - 1)]
    out = []
    for r in [head] + rows:
        out.append("  ".join(_pad(c, w) for c, w in zip(r, widths)) + "  " + r[-1])
    return [line.rstrip() for line in out]


def print_result(result, out, form=None) -> None:
    from ..validation.grouping import MISSING_ADVICE, group_findings, not_assessable_lines
    from ..validation.result import STATUS_LABELS, fmt_diff, not_assessable_text

    c = result.counts
    na = result.not_assessable_rules
    print(f"{result.unit_name}（{result.unit}）{result.year}年：{STATUS_LABELS[result.status_code]}"
          f"（{c['error']} 个错误，{c['warning']} 个警告{'；' + not_assessable_text(na) if na else ''}）", file=out)
    if result.findings:
        head = ["级别", "规则", "表", "行", "列", "应为", "实际", "差额", "说明"]
        rows = []
        for g in group_findings(result.findings, form) if form is not None else ():
            f = g.first
            lines = g.lines if g.grouped else (str(f.line) if f.line else "")
            where = f"{f.file}:{lines}: " if f.file and lines else ""
            message = f"{g.text}。{MISSING_ADVICE}" if g.grouped else f.message
            rows.append([SEVERITY_LABELS[f.severity], f.rule_id, f.table_name or "", g.rows, g.columns,
                         "" if f.expected is None else str(f.expected),
                         "" if g.grouped or f.actual is None else str(f.actual),
                         "" if g.grouped else fmt_diff(f.difference), where + message])
        for line in format_table(rows, head):
            print("  " + line, file=out)
    if na and form is not None:
        print(f"  {not_assessable_text(na)}（每项所缺的单元格见 --json 输出的 checks.form-rules）：", file=out)
        for rule_id, line in not_assessable_lines(result, form):
            print(f"    {rule_id}：{line}", file=out)


def main(args) -> int:
    from ..validation import load_context, validate_contexts
    from ..validation.evidence import dumps

    project = project_of(args)
    registry = project.units()
    pairs, input_errors = _targets(project, registry, args)
    contexts = []
    for uid, year in pairs:
        try:
            ctx, problems = load_context(project, registry.get(uid), year)
        except InputError as exc:
            input_errors.append(str(exc))
            continue
        input_errors.extend(problems)
        contexts.append(ctx)
    results = validate_contexts(contexts)
    out = sys.stderr if args.json == "-" else sys.stdout  # keep stdout pure JSON with --json -
    forms_of = {id(c.figures): c.form for c in contexts}
    for ctx, r in zip(contexts, results):
        print_result(r, out, forms_of.get(id(ctx.figures), ctx.form))
    if len(results) > 1:
        n = {code: sum(1 for r in results if r.status_code == code) for code in ("passed", "warning", "failed")}
        partial = sum(1 for r in results if r.not_assessable_rules)
        also = f"；其中 {partial} 份有规则因缺失值未能完全校验" if partial else ""
        print(f"共 {len(results)} 份报告：通过 {n['passed']}，警告 {n['warning']}，不通过 {n['failed']}{also}。", file=out)
    if args.json:
        data = [r.to_json() for r in results]
        if args.json == "-":
            sys.stdout.write(dumps({"results": data}).decode("utf-8"))
        else:
            Path(args.json).write_bytes(dumps({"results": data}))
    if input_errors:
        raise InputError("以下输入文件无法读取，未能完成校验：\n" + "\n".join(f"  - {e}" for e in input_errors))
    failed = [r for r in results if r.status_code == "failed"]
    if failed:
        errors = sum(r.counts["error"] for r in failed)
        raise ValidationFailed(f"{len(failed)} 份报告未通过校验，共 {errors} 个错误（见上表）。")
    return 0
