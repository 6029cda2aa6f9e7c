"""One writer per report, and nothing left behind by killed runs.

- :func:`unit_lock`: an exclusive lock (``flock``) on ``outputs/<year>/.<unit>.lock`` held
  while a run writes that folder. A second run of the same unit *waits* for the first, saying so on
  stderr, then writes its own complete set; after :data:`LOCK_WAIT_SECONDS` it gives up (exit 6). The
  operating system releases the lock when its holder dies, so a killed run never blocks the next.
- Once the lock is held, temporary files of killed runs (``.report.*.partial.*``) are removed: no
  other writer can own them.
- :func:`kernel_runtime`: the kernels a run starts write their connection files into a folder of
  their own under the temp directory, removed when the run ends; folders of killed runs are removed
  by the next run.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from . import atomic
from .errors import SetupError, WriteError

LOCK_WAIT_SECONDS = float(os.environ.get("NIANBAO_LOCK_WAIT", "900"))
KERNEL_DIR_PREFIX = "nianbao-kernels-"


class LockTimeout(SetupError):
    """Another process held a report's lock for longer than the wait allows (exit 6)."""


def _holder(fh) -> str:
    fh.seek(0)
    text = fh.read(32).decode("ascii", "replace").strip()
    return f"（进程 {text}）" if text else ""


def lock_path(out_dir: Path) -> Path:
    """Beside the report folder, not in it: the folder holds only what its manifest lists."""
    return out_dir.parent / f".{out_dir.name}.lock"


@contextmanager
def unit_lock(out_dir: Path, *, wait: float | None = None, say=None):
    """Hold the write lock of one report folder; wait (with one message) while another run holds it."""
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    say = say or (lambda msg: print(msg, file=sys.stderr, flush=True))
    atomic.make_dirs(out_dir)
    path = lock_path(out_dir)
    try:
        fh = open(path, "a+b", buffering=0)  # unbuffered: a full disk fails the write, not a later close
    except OSError as exc:
        raise WriteError.of(path, exc) from None
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told:
                    say(f"nianbao: 另一个 nianbao 进程{_holder(fh)}正在写入 {out_dir}，等待它完成后再生成"
                        f"（最多 {wait:g} 秒）… / another run is writing this report; waiting")
                    told = True
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{out_dir}: 另一个 nianbao 进程{_holder(fh)}已占用此报告 {wait:g} 秒仍未完成；"
                                      f"请确认该进程是否仍在运行，结束后重试。") from None
                time.sleep(0.2)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(str(os.getpid()).encode())  # for the message a waiting run prints
        except OSError as exc:
            raise WriteError.of(path, exc) from None
        atomic.remove_leftovers(out_dir)
        yield path
    finally:
        fh.close()  # releases the lock


# ---------------------------------------------------------------------------------------------------
# Kernel connection files


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_kernel_dirs(base: Path | None = None) -> list[Path]:
    """Remove the kernel folders of runs whose process is gone."""
    base = Path(base or tempfile.gettempdir())
    removed = []
    for p in base.glob(f"{KERNEL_DIR_PREFIX}*"):
        pid = p.name[len(KERNEL_DIR_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


@contextmanager
def kernel_runtime():
    """Kernels started inside write their connection files to a private folder, removed afterwards."""
    sweep_kernel_dirs()
    folder = tempfile.mkdtemp(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-")
    before = os.environ.get("JUPYTER_RUNTIME_DIR")
    os.environ["JUPYTER_RUNTIME_DIR"] = folder
    try:
        yield Path(folder)
    finally:
        if before is None:
            os.environ.pop("JUPYTER_RUNTIME_DIR", None)
        else:
            os.environ["JUPYTER_RUNTIME_DIR"] = before
        shutil.rmtree(folder, ignore_errors=True)
