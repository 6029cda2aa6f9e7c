"""nianbao batch: every unit of a year in one command — parallel, incremental, with a dashboard."""
from __future__ import annotations

import sys
import unicodedata

from .common import add_project, project_of

NAME = "batch"
HELP = "并行生成某一年度所有单位的报告（输入未变的单位跳过），并写出看板"
FULL_TABLE_MAX = 60  # longer batches list only the units that need attention


def add_arguments(parser) -> None:
    parser.add_argument("--year", required=True, type=int, metavar="YEAR", help="报告年度，如 2022")
    parser.add_argument("--units", metavar="A,B,…", help="只运行这些单位编号（默认：params/units.yaml 中的全部单位）")
    parser.add_argument("--jobs", "-j", type=int, metavar="N", help="工作进程数（默认：CPU 核数）")
    parser.add_argument("--formats", default=None,
                        help="输出格式，逗号分隔：html、pdf、docx（默认：params/project.yaml 中的 formats，未设置则为 html）")
    parser.add_argument("--force", action="store_true", help="输入未变的单位也重新运行")
    parser.add_argument("--retry-failed", action="store_true",
                        help="只重试本年度上一次批量运行中失败的单位")
    parser.add_argument("--strict-kernels", action="store_true",
                        help="每个单位使用新内核（较慢；笔记本记录 kernel_mode=fresh）")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="本机工作进程（默认）或 Dask 分布式")
    parser.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                        help="配合 --executor dask：已有的 Dask 调度器地址（默认：在 127.0.0.1 上启动 LocalCluster）")
    parser.add_argument("--unit-timeout", type=float, metavar="SECONDS", default=None,
                        help="每个单位最长运行秒数，超时即停止并记为失败，其工作进程被替换，批量运行继续"
                             "（默认：600；0：不限时）")
    parser.add_argument("--print-pages", type=int, metavar="N", default=None,
                        help="生成 PDF 时，批量共用的浏览器同时打印的报告数（默认：2，不超过 --jobs；各报告在同一个渲染进程中打印，内存几乎不随之增加）")
    parser.add_argument("--quiet", "-q", action="store_true", help="不显示进度")
    add_project(parser)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _clip(text: str, width: int) -> str:
    out, used = "", 0
    for ch in text:
        w = _width(ch)
        if used + w > width:
            return out + "…"
        out, used = out + ch, used + w
    return out


def format_summary(result) -> str:
    rel = result.project.rel
    rows = result.rows
    shown = rows if len(rows) <= FULL_TABLE_MAX else [r for r in rows if r.status in ("error", "failed", "warning", "absent")]
    lines = []
    if shown:
        name_w = min(40, max(_width("单位"), *(_width(f"{r.unit} {r.name}") for r in shown)))
        statuses = [_status(r) for r in shown]
        status_w = max(_width("状态"), *(_width(s) for s in statuses))
        head = f"{_pad('单位', name_w)}  {_pad('状态', status_w)}  {_rpad('错误', 4)}  {_rpad('警告', 4)}  {_rpad('用时', 6)}  说明"
        lines += [head, "-" * _width(head)]
        for r, status in zip(shown, statuses):
            who = _clip(f"{r.unit} {r.name}", name_w)
            num = lambda v: "—" if v is None else str(v)  # noqa: E731
            secs = "" if r.seconds is None or not r.ran else f"{r.seconds:.1f}s"
            lines.append(f"{_pad(who, name_w)}  {_pad(status, status_w)}  {_rpad(num(r.errors), 4)}  "
                         f"{_rpad(num(r.warnings), 4)}  {secs:>6}  {_clip(_note(r.message), 70)}")
        if len(shown) < len(rows):
            lines.append(f"（共 {len(rows)} 个单位，上表只列出需要关注的 {len(shown)} 个；全部见看板。）")
        lines.append("")
    c = result.counts()
    absent = f"，未报送 {c['absent']}" if c["absent"] else ""  # registered units without figures for the year
    lines.append(f"合计 {len(rows)} 个单位：通过 {c['passed']}，警告 {c['warning']}，不通过 {c['failed']}，"
                 f"失败 {c['error']}，跳过 {c['skipped']}{absent}。本次运行 {len(result.ran)} 个"
                 f"（{result.jobs} 个{'Dask ' if result.executor == 'dask' else ''}工作进程，"
                 f"{'每单位新内核' if result.kernel_mode == 'fresh' else '常驻内核'}），用时 {result.seconds:.1f} 秒。")
    if result.interrupted:
        lines.append(f"批量运行被中断：已完成的单位已记录，未运行的 {len(result.not_run)} 个单位保持原状；"
                     f"再次运行同一命令即可继续（已完成且输入未变的单位会被跳过）。")
    if result.failed:
        lines.append(f"失败的单位（{len(result.failed)}）：{', '.join(result.failed)}")
        for r in rows:
            if r.unit in result.failed and r.failed_notebook:
                lines.append(f"  {r.unit}: 保留了执行到出错处的笔记本 {r.failed_notebook}")
        lines.append(f"修正后重试失败的单位：nianbao batch --year {result.year} --retry-failed")
    if result.dashboard:
        lines.append(f"看板：{rel(result.dashboard)}")
    return "\n".join(lines)


def _rpad(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


def _status(r) -> str:
    if r.status == "skipped" and r.report_status:
        return f"{r.label}·{'上次' if r.report_status == 'error' else ''}{_label(r.report_status)}"
    return r.label


def _note(message: str) -> str:
    """The first line of a message; when that line only introduces a list (…：), the first item too."""
    lines = [l.strip(" -") for l in message.splitlines() if l.strip()]
    if not lines:
        return ""
    return f"{lines[0]}{lines[1]}" if len(lines) > 1 and lines[0].endswith("：") else lines[0]


def _label(code):
    from ..batch.run import STATUS_LABELS

    return STATUS_LABELS.get(code, "")


def main(args) -> int:
    from ..batch.run import run_batch

    project = project_of(args)
    units = [u.strip() for u in args.units.split(",") if u.strip()] if args.units else None
    if args.scheduler and args.executor != "dask":
        args.executor = "dask"
    result = run_batch(project, args.year, units=units, jobs=args.jobs, formats=args.formats.split(",") if args.formats is not None else None,
                       force=args.force, retry_failed=args.retry_failed, strict_kernels=args.strict_kernels,
                       executor=args.executor, scheduler=args.scheduler, progress=not args.quiet, stream=sys.stderr,
                       unit_timeout=args.unit_timeout, print_pages=args.print_pages)
    print(format_summary(result))
    return result.exit_code
