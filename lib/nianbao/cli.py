"""The ``nianbao`` command. Exit codes: 0 ok, 2 usage, 3 bad input, 4 validation errors,
5 notebook execution failed, 6 missing system component, 7 verification failed (a report does not
match its manifest, recorded inputs or re-run), 130 interrupted.

Help, usage errors and progress are in Chinese (argparse's own messages are translated through its
gettext hook, :data:`ARGPARSE_ZH`); a closed pipe (``nianbao … | head``) ends the command quietly.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .commands import commands
from .errors import NianbaoError, WriteError

# argparse's gettext message ids → Chinese (argparse looks its messages up through gettext at call time).
ARGPARSE_ZH = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "不认识的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的 %(type)s 值",
    "expected one argument": "需要一个参数值",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 有歧义，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "%(prog)s: error: %(message)s\n": "%(prog)s：用法错误：%(message)s\n",
    "one of the arguments %s is required": "参数 %s 中必须给出一个",
}


def _zh(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：用法错误：{message}\n（用 {self.prog} --help 查看说明）\n")


def build_parser() -> argparse.ArgumentParser:
    argparse._ = _zh  # argparse's messages in Chinese (it calls its module-level gettext alias)
    parser = ChineseArgumentParser(prog="nianbao", description="政府信息公开工作年度报告：可复现的生成、校验与核验")
    parser.add_argument("--version", action="version", version=f"nianbao {__version__}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", metavar="命令", required=True, title="命令",
                                parser_class=ChineseArgumentParser)
    for name, module in commands().items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_main=module.main)
    return parser


def _quiet_broken_pipe() -> None:
    """The reader went away (``| head``): point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit:  # --help, --version or a usage error (exit 2): flush here, where a closed pipe is caught
            sys.stdout.flush()
            raise
        code = int(args._main(args) or 0)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0
    except NianbaoError as exc:
        print(f"nianbao {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a write that no module wrapped: still a clear message and exit 6, no traceback
        err = WriteError.of(exc.filename or "", exc)
        print(f"nianbao {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("nianbao：已中断；已经写好的输出保持原样。", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
