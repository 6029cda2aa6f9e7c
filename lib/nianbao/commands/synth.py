"""nianbao synth: write a synthetic project (invented units, consistent figures) for tests and benchmarks."""
from __future__ import annotations

from pathlib import Path

NAME = "synth"
HELP = "write a project of N synthetic units (合成数据: invented names and figures) for testing batches"


def add_arguments(parser) -> None:
    parser.add_argument("--units", "-n", type=int, required=True, metavar="N", help="number of units (one roll-up county when N >= 3)")
    parser.add_argument("--year", type=int, required=True, metavar="YEAR", help="report year, e.g. 2022")
    parser.add_argument("--out", required=True, metavar="DIR", help="project folder to write (params/, data/, notebooks/)")
    parser.add_argument("--errors", type=int, default=0, metavar="K",
                        help="inject K defects that make units fail (\"/\" in a cell, a bad narrative heading)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same project)")
    parser.add_argument("--notebook", metavar="PATH",
                        help="report notebook to copy (default: the current project's notebooks/annual_report.ipynb)")


def main(args) -> int:
    from ..errors import InputError
    from ..synthetic import MARK, generate

    out = Path(args.out)
    if (out / "params" / "units.yaml").exists() and not (out / "synthetic.json").exists():
        raise InputError(f"{out} 已是一个真实项目（有 params/units.yaml 但不是 nianbao synth 生成的）；请换一个目录。")
    try:
        result = generate(out, args.units, args.year, seed=args.seed, errors=args.errors, notebook=args.notebook)
    except (ValueError, FileNotFoundError) as exc:
        raise InputError(str(exc)) from None
    print(f"{MARK}：{len(result.units)} 个虚构单位，{args.year} 年，写入 {out}")
    for uid, kind in result.errors.items():
        print(f"  注入错误 {uid}: {kind}")
    print(f"运行：nianbao batch --project {out} --year {args.year}")
    return 0
