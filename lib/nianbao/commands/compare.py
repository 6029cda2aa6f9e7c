"""nianbao compare: one unit over several years, or several units in one year, as one HTML page."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_project, project_of

NAME = "compare"
HELP = "比较：一个单位的多个年度（--unit ID --years 2021-2024），或同一年度的多个单位（--units A,B,C --year Y），写出 HTML 对比页"


def _years(text: str) -> list[int]:
    from ..compare import parse_years

    try:
        return parse_years(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser) -> None:
    parser.add_argument("--unit", metavar="ID", help="单位编号（与 --years 一起用）")
    parser.add_argument("--years", type=_years, metavar="Y1-Y2", help="年度范围，如 2021-2024，或 2021,2023")
    parser.add_argument("--units", metavar="A,B,C", help="逗号分隔的单位编号（与 --year 一起用）")
    parser.add_argument("--year", type=int, metavar="YEAR", help="报告年度（与 --units 一起用）")
    parser.add_argument("--out", metavar="FILE", help="写出的 HTML 文件（默认 outputs/compare/ 下按单位和年度命名）")
    add_project(parser)


def main(args) -> int:
    from .. import atomic
    from ..compare import compare_units, compare_years, default_output, render

    by_years = args.unit is not None or args.years is not None
    by_units = args.units is not None or args.year is not None
    if by_years == by_units or (by_years and not (args.unit and args.years)) or (by_units and not (args.units and args.year)):
        print("nianbao compare: 请给出 --unit 和 --years（一个单位的多个年度），或 --units 和 --year（同一年度的多个单位），"
              "二者选一。", file=sys.stderr)
        return 2
    project = project_of(args)
    if by_years:
        cmp = compare_years(project, args.unit, args.years)
    else:
        ids = [u.strip() for u in args.units.split(",") if u.strip()]
        cmp = compare_units(project, ids, args.year)
    target = Path(args.out) if args.out else default_output(project, cmp)
    atomic.write_text(target, render(cmp))
    print(f"已写出 {project.rel(target)}：{cmp.title}")
    print(f"  {cmp.cells_note}")
    for title, why in cmp.left_out:
        print(f"  未比较 {title}：{why}")
    return 0
