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


class WriteError(SetupError, OSError):
    """An output could not be written (read-only folder, no permission, disk or quota full). Nothing
    half-written was left in place of a good file. Exit code 6, like any other problem of the machine;
    still an OSError for callers that handle those."""

    REASONS = {"EACCES": "没有写入权限", "EPERM": "没有写入权限", "EROFS": "文件系统是只读的",
               "ENOSPC": "磁盘空间已满", "EDQUOT": "超出磁盘配额", "ENAMETOOLONG": "路径过长"}

    def __str__(self) -> str:  # the message, not OSError's "[Errno n] …" form
        return str(self.args[0]) if self.args else ""

    @classmethod
    def of(cls, path, exc: OSError) -> "WriteError":
        import errno

        name = errno.errorcode.get(exc.errno or 0, "")
        reason = cls.REASONS.get(name, exc.strerror or str(exc))
        todo = {"ENOSPC": "请清理磁盘空间后重新运行", "EDQUOT": "请清理磁盘空间后重新运行",
                "EROFS": "请把项目放在可写的位置，或用 --project 指定可写的项目副本"}.get(
            name, "请检查该文件夹的权限（如 ls -ld、chmod u+w）后重新运行")
        err = cls(f"无法写入 {exc.filename or path}：{reason}（{name or exc.errno}）。已有的报告文件未被改动；{todo}。")
        err.errno, err.filename = exc.errno, exc.filename or str(path)
        return err


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
    row_group: str | None = None  # the innermost group label printed above the row, if any

    def location(self) -> str:
        parts = [self.file + (f":{self.line}" if self.line else "")]
        if self.table:
            where = self.table
            if self.row_number is not None:
                where += f" 第{self.row_number}行"
            if self.row_label:
                where += f"「{self.row_group} / {self.row_label}」" if self.row_group else f"「{self.row_label}」"
            if self.column_label:
                where += f" 列「{self.column_label}」"
            parts.append(where)
        return ": ".join(parts)

    def __str__(self) -> str:
        return f"{self.location()}: {self.message}"


class FiguresError(InputError):
    """A figures file failed to load; ``problems`` lists every defect found."""

    def __init__(self, problems: list[Problem], lines: list[str] | None = None):
        """``lines``: the problems as shown, when the caller groups them (missing cells of a whole
        table, column or row as one line: :func:`nianbao.validation.grouping.problem_lines`)."""
        self.problems = list(problems)
        n = len(self.problems)
        head = "数据文件有 1 处错误：" if n == 1 else f"数据文件有 {n} 处错误："
        if lines is None:
            lines = [str(p) for p in self.problems]
        super().__init__("\n".join([head] + [f"  - {line}" for line in lines]))
