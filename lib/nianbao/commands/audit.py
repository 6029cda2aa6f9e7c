"""nianbao audit: import every published report in a folder, validate and lint each, and write the
findings dashboard (audit.html, offline) with the tables as CSV and XLSX.

Exit 0 when the audit was written (its findings are the result), 2 on usage errors, 3 when the
folder holds no report that could be read.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError

NAME = "audit"
HELP = "审查一个目录中已发布的年度报告：逐份导入、校验表格、检查叙述，写出审查总表（HTML、CSV、XLSX）"


def add_arguments(parser) -> None:
    parser.add_argument("folder", metavar="DIR", help="存放已发布报告的目录（.html .pdf .docx .txt，可混合，含子目录）")
    parser.add_argument("--year", type=int, metavar="YEAR", help="报告年度（默认取各报告标题或统计期限中的年度）")
    parser.add_argument("--out", metavar="DIR", help="输出目录（默认 DIR/../<DIR 名>-audit）")
    parser.add_argument("--quiet", action="store_true", help="不显示进度")


def main(args) -> int:
    from ..audit import audit_folder, print_progress, write_outputs

    folder = Path(args.folder)
    out = Path(args.out) if args.out else folder.resolve().parent / f"{folder.resolve().name}-audit"
    entries = audit_folder(folder, args.year, progress=None if args.quiet else print_progress, exclude=out)
    written = write_outputs(entries, folder, out, args.year)
    n = {k: sum(1 for e in entries if e.status == k) for k in ("full", "partial", "none", "failed")}
    print(f"审查了 {len(entries)} 份报告：完整读取 {n['full']}，部分读取 {n['partial']}，未读到 {n['none']}，未能导入 {n['failed']}。")
    print("写出：" + "、".join(str(p) for p in written))
    if n["failed"] == len(entries):
        raise InputError("没有一份报告能够导入（原因见审查总表）。")
    return 0
