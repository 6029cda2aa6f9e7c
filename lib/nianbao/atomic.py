"""Writing outputs so that a reader never sees a half-written file and a good file is never lost.

Everything is written to a temporary file in the target's folder and moved into place with
``os.replace`` (atomic on POSIX within one file system).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import WriteError

PARTIAL = ".partial"  # in the name of every temporary file; what a killed run leaves behind


def make_dirs(folder: Path) -> Path:
    """``mkdir -p``; a read-only or full file system is a :class:`WriteError` naming the folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError.of(folder, exc) from None
    return folder


def temp_path(target: Path) -> Path:
    """A fresh temporary path beside ``target`` (same folder, so the final rename is atomic)."""
    make_dirs(target.parent)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f"{PARTIAL}{target.suffix}", dir=target.parent)
    except OSError as exc:
        raise WriteError.of(target, exc) from None
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    return Path(name)


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files killed runs left in ``folder``; call only while holding the
    folder's lock (:mod:`nianbao.outlock`), when no other writer can have temporaries there."""
    removed = []
    if folder.is_dir():
        for p in folder.iterdir():
            if p.name.startswith(".") and PARTIAL in p.name and p.is_file():
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _removed_on_failure(temps: list[Path], target: Path | None):
    """On failure of the block remove ``temps``; an OSError (a full disk, a read-only folder) becomes a
    :class:`WriteError` naming the file it names, else ``target``."""
    try:
        yield
    except BaseException as exc:
        for t in temps:
            t.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError.of(target, exc) from None
        raise


def write_bytes(target: Path, data: bytes) -> None:
    tmp = temp_path(target)
    with _removed_on_failure([tmp], target):
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


@contextmanager
def staged(targets: list[Path]):
    """Yield temp paths for ``targets``; on success move them all into place, on failure remove them."""
    temps: list[Path] = []
    with _removed_on_failure(temps, targets[0] if targets else None):
        for t in targets:
            temps.append(temp_path(t))
        yield temps
    for tmp, target in zip(temps, targets):
        try:
            os.replace(tmp, target)
        except OSError as exc:  # pragma: no cover - a rename within one folder needs no space
            raise WriteError.of(target, exc) from None
