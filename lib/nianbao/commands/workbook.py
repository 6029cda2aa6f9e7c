"""nianbao workbook: Excel/WPS workbooks in the official layout, for offices to fill in and return.

One unit (``--unit``), every registered unit (``--all``), the supervising office's overview of every
unit with its validation status (``--summary``), or every unit's figures as one long CSV (``--csv``).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError

NAME = "workbook"
HELP = "生成 Excel/WPS 填报表（--unit 单位 | --all 全部单位）、各单位汇总表（--summary）或长表 CSV（--csv 文件）"


def add_arguments(parser) -> None:
    from .common import add_project

    parser.add_argument("--year", required=True, type=int, metavar="YEAR", help="报告年度，如 2022")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--unit", metavar="ID", help="一个单位的填报表（params/units.yaml 中的单位编号）")
    what.add_argument("--all", action="store_true", help="每个已登记单位一份填报表")
    what.add_argument("--summary", action="store_true", help="一份汇总表：各单位数据并列，附校验结论")
    what.add_argument("--csv", metavar="FILE", help="全部单位的数据写成一张长表 CSV（unit, year, table, row, column, value）")
    parser.add_argument("--out", metavar="PATH",
                        help="输出文件（--unit、--summary）或文件夹（--all）；默认 outputs/<年度>/workbooks/")
    add_project(parser)


def _default_dir(project, year: int) -> Path:
    return project.outputs_dir / str(year) / "workbooks"


def main(args) -> int:
    from .. import forms
    from ..workbook import workbook_input
    from ..workbook.writer import file_name, write
    from .common import project_of

    project = project_of(args)
    registry = project.units()
    form = forms.for_year(args.year)
    if args.csv:
        return _csv(project, registry, args)
    if args.summary:
        return _summary(project, registry, form, args)
    units = [registry.get(args.unit)] if args.unit else list(registry)
    if args.unit:
        out = Path(args.out) if args.out else _default_dir(project, args.year) / file_name(form, units[0], args.year)
        targets = [(units[0], out)]
    else:
        folder = Path(args.out) if args.out else _default_dir(project, args.year)
        if folder.suffix.lower() == ".xlsx":
            raise InputError(f"--all 写入一个文件夹（每个单位一份），不是一个文件：{args.out}")
        targets = [(u, folder / file_name(form, u, args.year)) for u in units]
    failed = []
    for unit, out in targets:
        try:
            data = workbook_input(project, unit, args.year, registry)
        except InputError as exc:
            if args.unit:
                raise
            failed.append(f"{unit.name}（{unit.id}）: {exc}")
            continue
        write(out, data)
        filled = sum(len(v) for v in data.values.values())
        total = sum(1 for t in form.tables for _ in t.cells())
        print(f"{unit.name}（{unit.id}）{args.year}年：{project.rel(out)}（已填 {filled}/{total} 格"
              f"{'，' + '；'.join(data.notes) if data.notes else ''}）")
    if len(targets) > 1:
        print(f"共 {len(targets) - len(failed)} 份工作簿。填好后交回，用 nianbao collect 读入。")
    if failed:
        raise InputError(f"{len(failed)} 个单位的工作簿未生成（数据文件无法读取）：\n" + "\n".join(f"  - {f}" for f in failed))
    return 0


def _figures_of(project, registry, year: int):
    """(unit id, Figures) for every registered unit with a figures file for ``year``; and read errors."""
    from ..figures import load_figures

    found, errors = [], {}
    for unit in registry:
        path = project.figures_file(unit.id, year)
        if not path.is_file():
            continue
        try:
            found.append((unit.id, load_figures(path, unit=unit.id, year=year, strict=False, display=project.rel(path))))
        except InputError as exc:
            errors[unit.id] = str(exc)
    return found, errors


def _csv(project, registry, args) -> int:
    from .. import atomic
    from ..workbook.csvio import export_rows, to_bytes

    found, errors = _figures_of(project, registry, args.year)
    if args.unit:
        found = [(u, f) for u, f in found if u == args.unit]
    if errors:
        raise InputError("以下数据文件无法读取，CSV 未写出：\n" + "\n".join(f"  - {e}" for e in errors.values()))
    if not found:
        raise InputError(f"data/{args.year}/ 下没有任何单位的数据，CSV 未写出。")
    rows = export_rows([(u, args.year, f) for u, f in found])
    atomic.write_bytes(Path(args.csv), to_bytes(rows))
    print(f"{len(found)} 个单位、{len(rows)} 行写入 {args.csv}（UTF-8，列：unit, year, table, row, column, value）")
    return 0


def _summary(project, registry, form, args) -> int:
    from .. import atomic
    from ..validation import load_context, validate_contexts
    from ..workbook.summary import build
    from ..workbook.writer import to_bytes

    contexts, unreadable = [], {}
    for unit in registry:
        if not project.figures_file(unit.id, args.year).is_file():
            continue
        try:
            ctx, _ = load_context(project, unit, args.year)
        except InputError as exc:
            unreadable[unit.id] = str(exc)
            continue
        contexts.append(ctx)
    if not contexts and not unreadable:
        raise InputError(f"data/{args.year}/ 下没有任何单位的数据，汇总表未写出。")
    results = validate_contexts(contexts)
    figures = {c.unit.id: c.figures for c in contexts}
    units = {u.id: u for u in registry}
    wb = build(form, args.year, results, figures, units, unreadable)
    out = Path(args.out) if args.out else _default_dir(project, args.year) / f"{args.year}年{form.title}数据汇总.xlsx"
    atomic.write_bytes(out, to_bytes(wb))
    n = {code: sum(1 for r in results if r.status_code == code) for code in ("passed", "warning", "failed")}
    print(f"{len(results) + len(unreadable)} 个单位的汇总写入 {project.rel(out)}：通过 {n['passed']}，警告 {n['warning']}，"
          f"不通过 {n['failed']}，无法读取 {len(unreadable)}。")
    return 0
