"""nianbao synth: write a synthetic project (invented units, consistent figures) for tests and benchmarks."""
from __future__ import annotations

from pathlib import Path

NAME = "synth"
HELP = "写出一个含 N 个合成单位的项目（合成数据：虚构的名称和数字），用于测试批量运行"


def add_arguments(parser) -> None:
    parser.add_argument("--units", "-n", type=int, required=True, metavar="N", help="单位数（N >= 3 时含一个汇总的县）")
    parser.add_argument("--year", type=int, required=True, metavar="YEAR", help="报告年度，如 2022")
    parser.add_argument("--out", required=True, metavar="DIR", help="要写出的项目目录（params/、data/、notebooks/）")
    parser.add_argument("--errors", type=int, default=0, metavar="K",
                        help="注入 K 处会使单位失败的缺陷（单元格中的“/”、错误的章节标题）")
    parser.add_argument("--seed", type=int, default=0, help="随机种子（种子相同，项目相同）")
    parser.add_argument("--notebook", metavar="PATH",
                        help="要复制的报告笔记本（默认：当前项目的 notebooks/annual_report.ipynb）")


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
