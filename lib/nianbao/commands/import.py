"""nianbao import: read published reports (web page, PDF, Word, text) into figures.yaml, narrative.md
and import.log, in the project's formats. Deterministic; no network; no figure is guessed or repaired.

Exit 0 when every file was imported (fully or partly — import.log says which cells were not read),
2 on usage errors, 3 when a file cannot be read at all (the others are still imported).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from ..errors import InputError
from ..units import ID_PATTERN

NAME = "import"
HELP = "导入已发布的年度报告（网页、PDF、Word、文本）：写出 figures.yaml、narrative.md 和逐格记录 import.log"


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="已发布的报告：.html .htm .pdf .docx .txt")
    parser.add_argument("--unit", metavar="ID", help="单位编号（只导入一个文件时可用；默认取文件名）")
    parser.add_argument("--year", type=int, metavar="YEAR", help="报告年度（默认从报告标题或统计期限读取）")
    parser.add_argument("--form", metavar="FORM", help="报告格式，如 gov2021（默认按标签判断）")
    parser.add_argument("--out", metavar="DIR", default="imported",
                        help="输出目录（默认 imported/）；每份报告写到 DIR/<年度>/<单位编号>/")


def unit_id_for(path: Path) -> str:
    s = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-_")
    return s if s and ID_PATTERN.match(s) else "report"


def main(args) -> int:
    from ..importer import import_report
    from ..importer.output import COMPLETENESS_LABELS, write

    if args.unit and len(args.files) > 1:
        print("nianbao import: --unit 只能用于一个文件；多个文件时单位编号取各自的文件名。", file=sys.stderr)
        return 2
    if args.unit and not ID_PATTERN.match(args.unit):
        print(f"nianbao import: 单位编号 {args.unit!r} 须为小写字母、数字、- 或 _。", file=sys.stderr)
        return 2
    failed = []
    for name in args.files:
        path = Path(name)
        unit = args.unit or unit_id_for(path)
        try:
            r = import_report(path, year=args.year, form_id=args.form)
        except InputError as exc:
            failed.append(str(exc))
            print(f"{path}: 未导入 — {exc}", file=sys.stderr)
            continue
        out = Path(args.out) / str(r.year) / unit
        try:
            write(r, out, unit)
        except InputError as exc:
            failed.append(str(exc))
            print(f"{path}: 未写出 — {exc}", file=sys.stderr)
            continue
        c = r.counts()
        print(f"{path} → {out}/：{r.form.id}，{r.year} 年，{COMPLETENESS_LABELS[r.completeness]}"
              f"（读出 {c['read'] + c['split']} 格，空白 {c['blank']}，拒读 {c['refused']}，文本中没有 {c['absent']}；"
              f"章节 {len(r.sections)}/{len(r.form.sections)}）")
    if failed:
        raise InputError(f"{len(failed)} 个文件未能导入（见上）。")
    return 0
