"""One exceptions module for the kit. Every error carries the exit code the CLI returns for it."""
from __future__ import annotations

from dataclasses import dataclass


class NianbaoError(Exception):
    """Root of every error the kit raises on purpose."""

    exit_code = 1


class InputError(NianbaoError):
    """Figures, narrative, parameters or the unit registry are malformed. Nothing was written."""

    exit_code = 3


class ValidationFailed(NianbaoError):
    """The figures loaded, but consistency rules with severity 'error' failed."""

    exit_code = 4


class ExecutionError(NianbaoError):
    """The report notebook failed while executing. The failed notebook is kept beside the report."""

    exit_code = 5


class SetupError(NianbaoError):
    """Something the kit needs on this machine is missing (font, browser, kernel)."""

    exit_code = 6


class VerificationFailed(NianbaoError):
    """A report does not match its evidence: an output was changed, an input differs from the one
    recorded, or a re-run gave a different result (``nianbao verify``, ``nianbao bundle``)."""

    exit_code = 7


@dataclass(frozen=True)
class Problem:
    """One defect found in an input file, located as precisely as possible."""

    file: str
    message: str
    table: str | None = None  # e.g. 表三
    row_number: int | None = None
    row_label: str | None = None
    column_label: str | None = None
    kind: str = "invalid"  # see loader.PROBLEM_KINDS
    value: object = None
    line: int | None = None

    def location(self) -> str:
        parts = [self.file + (f":{self.line}" if self.line else "")]
        if self.table:
            where = self.table
            if self.row_number is not None:
                where += f" 第{self.row_number}行"
            if self.row_label:
                where += f"「{self.row_label}」"
            if self.column_label:
                where += f" 列「{self.column_label}」"
            parts.append(where)
        return ": ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


class FiguresError(InputError):
    """A figures file failed to load; ``problems`` lists every defect found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = "数据文件有 1 处错误：" if n == 1 else f"数据文件有 {n} 处错误："
        super().__init__("\n".join([head] + [f"  - {p}" for p in self.problems]))
