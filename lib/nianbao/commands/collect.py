"""nianbao collect: read returned workbooks (.xlsx) or a long CSV into data/<year>/<unit>/figures.yaml.

A source is refused whole (nothing written) when it belongs to another unit or year than asked, uses
another form, has a changed layout, or any cell the figures loader refuses; every error names the
file, sheet and cell (表三!D12) with its row and column labels. An accepted source is written
atomically and what changed is printed (cell, old, new). A summary per unit ends the output.
Exit 0 when everything received was accepted (or unchanged), 3 when anything was refused.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError

NAME = "collect"
HELP = "把交回的填报表（.xlsx）或长表 CSV 读入 data/<年度>/<单位>/figures.yaml（逐格检查；有错的整份拒收）"

STATUS = {"accepted": "已接收", "unchanged": "已接收（无变化）", "refused": "拒收"}


def readers() -> dict:
    """Input readers by file suffix: each returns a list of Submissions."""
    from ..workbook.csvio import read_csv
    from ..workbook.reader import read_workbook

    return {".xlsx": read_workbook, ".csv": read_csv}


def add_arguments(parser) -> None:
    from .common import add_project

    parser.add_argument("paths", nargs="+", metavar="FILE|DIR", help="交回的 .xlsx 填报表或 .csv 文件，或存放它们的文件夹")
    parser.add_argument("--year", type=int, metavar="YEAR", help="只接收这一报告年度的表格，其他年度的拒收")
    parser.add_argument("--unit", metavar="ID", help="只接收这一单位的表格，其他单位的拒收")
    parser.add_argument("--dry-run", action="store_true", help="只检查并列出改动，不写入任何文件")
    add_project(parser)


def _sources(paths: list[str], known: dict) -> tuple[list[Path], list[str]]:
    files, errors = [], []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in known
                           and not f.name.startswith(("~$", ".~lock")))
            if not found:
                errors.append(f"{p}: 文件夹中没有 {'、'.join(known)} 文件。")
            files += found
        elif p.is_file():
            if p.suffix.lower() not in known:
                errors.append(f"{p}: 不认识的文件类型 {p.suffix or '（无扩展名）'}；可读入 {'、'.join(known)}。"
                              f"旧版 .xls 请先用 Excel 或 WPS 另存为 .xlsx。")
            else:
                files.append(p)
        else:
            errors.append(f"{p}: 文件不存在。")
    return files, errors


def _identity(sub, registry, args) -> list[str]:
    from .. import forms

    out = []
    if sub.unit is None or sub.unit not in registry:
        out.append(f"{sub.source}: 单位 {sub.unit!r} 未在 params/units.yaml 中登记。")
        return out
    unit = registry.get(sub.unit)
    if args.unit and sub.unit != args.unit:
        out.append(f"{sub.source}: 这是 {unit.name}（{sub.unit}）的表格，不是要求的单位 {args.unit}。"
                   f"请核对文件是否交错，或去掉 --unit。")
    if args.year and sub.year != args.year:
        out.append(f"{sub.source}: 这是 {sub.year} 年的表格，不是要求的 {args.year} 年。")
    try:
        expected = forms.for_year(sub.year)
    except InputError as exc:
        out.append(f"{sub.source}: {exc}")
        return out
    if sub.form is not None and sub.form.id != expected.id:
        out.append(f"{sub.source}: 表格使用报告格式 {sub.form.id}（{sub.form.document}），但 {sub.year} 年适用 "
                   f"{expected.id}（{expected.document}）。请用 nianbao workbook 生成 {sub.year} 年的表格。")
    name = sub.meta.get("unit_name")
    if name and name != unit.name:
        out.append(f"{sub.source}: 表格记录的单位名称「{name}」与 params/units.yaml 中 {sub.unit} 的「{unit.name}」不一致。"
                   f"请核对是否交错了单位。")
    return out


def main(args) -> int:
    from ..workbook.intake import Outcome, accept
    from .common import project_of
    from .validate import format_table

    project = project_of(args)
    registry = project.units()
    known = readers()
    files, errors = _sources(args.paths, known)
    outcomes: list[Outcome] = []
    subs = []
    for f in files:
        display = str(f)
        try:
            got = known[f.suffix.lower()](f, display)
        except InputError as exc:
            outcomes.append(Outcome(display, None, None, "refused", problems=[str(exc)]))
            continue
        subs += got
    by_key: dict[tuple, list] = {}
    for sub in subs:
        by_key.setdefault((sub.unit, sub.year), []).append(sub)
    for (uid, year), group in by_key.items():
        if len(group) > 1:
            names = "、".join(s.source for s in group)
            for s in group:
                outcomes.append(Outcome(s.source, uid, year, "refused", problems=[
                    f"{s.source}: 同一单位同一年度（{uid}，{year}年）收到 {len(group)} 份：{names}。"
                    f"无法判断以哪一份为准：请只保留一份后重新收集。"]))
            continue
        sub = group[0]
        problems = _identity(sub, registry, args)
        if problems:
            outcomes.append(Outcome(sub.source, sub.unit, sub.year, "refused", problems=problems + sub.problems))
            continue
        outcomes.append(accept(project, sub, registry.get(sub.unit), dry_run=args.dry_run))
    for o in outcomes:
        _print(o, args.dry_run)
    for e in errors:
        print(f"  {e}")
    rows = []
    for o in outcomes:
        unit = registry.get(o.unit).name if o.unit in registry else (o.unit or "（未知）")
        detail = (f"{max(o.issues, len(o.problems))} 处问题" if o.status == "refused" else
                  f"{len(o.changes)} 处改动" + ("（未写入：--dry-run）" if args.dry_run and o.changes else ""))
        rows.append([unit, str(o.year or ""), STATUS[o.status], detail, o.source])
    if rows:
        print()
        print(f"收到 {len(outcomes)} 份，接收 {sum(o.status != 'refused' for o in outcomes)}，"
              f"拒收 {sum(o.status == 'refused' for o in outcomes)}：")
        for line in format_table(rows, ["单位", "年度", "结果", "说明", "文件"]):
            print("  " + line)
    refused = [o for o in outcomes if o.status == "refused"]
    if refused or errors or not outcomes:
        if not outcomes and not errors:
            errors = ["没有可读入的文件。"]
        raise InputError(f"{len(refused)} 份被拒收{'，' + str(len(errors)) + ' 个路径无法读取' if errors else ''}；"
                         f"被拒收的单位数据未改动。请按上面的提示改正后重新交回。")
    for year in sorted({o.year for o in outcomes if o.year}):
        print(f"请运行 nianbao validate --year {year} 检查读入的数据。")
    return 0


def _print(o, dry_run: bool) -> None:
    from ..workbook.intake import shown

    head = f"{o.source} → {o.target or '（未写入）'}"
    if o.status == "refused":
        print(f"拒收 {o.source}（未写入任何文件）：")
        for p in o.problems:
            for i, line in enumerate(str(p).splitlines()):
                print(("  - " if i == 0 else "    ") + line)
        return
    for n in o.notes:
        print(f"  注意：{n}")
    if o.status == "unchanged":
        print(f"已接收 {head}：与原有数据相同，未改写。")
        return
    verb = "将写入" if dry_run else "已写入"
    print(f"{verb} {head}（{len(o.changes)} 处改动）：")
    for c in o.changes:
        what = f" {c.what}" if c.what else ""
        print(f"  {c.where}{what}: {shown(c.old)} → {shown(c.new)}")
