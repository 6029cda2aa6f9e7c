"""Writing outputs so that a reader never sees a half-written file and a good file is never lost.

Everything is written to a temporary file in the target's folder and moved into place with
``os.replace`` (atomic on POSIX within one file system).
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def temp_path(target: Path) -> Path:
    """A fresh temporary path beside ``target`` (same folder, so the final rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent)
    os.close(fd)
    os.chmod(name, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(target: Path, data: bytes) -> None:
    tmp = temp_path(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


@contextmanager
def staged(targets: list[Path]):
    """Yield temp paths for ``targets``; on success move them all into place, on failure remove them."""
    temps = [temp_path(t) for t in targets]
    try:
        yield temps
    except BaseException:
        for t in temps:
            t.unlink(missing_ok=True)
        raise
    for tmp, target in zip(temps, targets):
        os.replace(tmp, target)
