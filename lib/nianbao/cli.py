"""The ``nianbao`` command. Exit codes: 0 ok, 2 usage, 3 bad input, 4 validation errors,
5 notebook execution failed, 6 missing system component, 7 verification failed (a report does not
match its manifest, recorded inputs or re-run), 130 interrupted."""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .commands import commands
from .errors import NianbaoError, WriteError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description="政府信息公开工作年度报告 — reproducible reports")
    parser.add_argument("--version", action="version", version=f"nianbao {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in commands().items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._main(args) or 0)
    except NianbaoError as exc:
        print(f"nianbao {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a write that no module wrapped: still a clear message and exit 6, no traceback
        err = WriteError.of(exc.filename or "", exc)
        print(f"nianbao {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("nianbao: interrupted; outputs already in place were left as they were.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
