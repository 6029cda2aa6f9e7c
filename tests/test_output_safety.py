"""One writer per report, leftovers of killed runs, kernel files, and outputs that cannot be written
(read-only folder, full disk): exit 6 with the file named, the previous report untouched (issue #14)."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from nianbao import atomic, outlock
from nianbao.errors import WriteError

# --------------------------------------------------------------------------------------------------
# Atomic writes on a full disk (simulated: the unit test of our own code)


def test_full_disk_while_writing_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_bytes(b"OLD GOOD REPORT")

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError) as exc:
        atomic.write_bytes(target, b"NEW" * 1000)
    assert str(exc.value) == (f"无法写入 {target}：磁盘空间已满（ENOSPC）。已有的报告文件未被改动；请清理磁盘空间后重新运行。")
    assert exc.value.exit_code == 6
    assert target.read_bytes() == b"OLD GOOD REPORT"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_full_disk_inside_a_staged_set_removes_every_temp(tmp_path):
    targets = [tmp_path / "report.ipynb", tmp_path / "report.html", tmp_path / "manifest.json"]
    for t in targets:
        t.write_text("old " + t.name)
    with pytest.raises(WriteError) as exc:
        with atomic.staged(targets) as temps:
            temps[0].write_text("new")
            raise OSError(errno.ENOSPC, "No space left on device", str(temps[1]))
    assert "磁盘空间已满（ENOSPC）" in str(exc.value) and ".partial.html" in str(exc.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "report.html", "report.ipynb"]
    assert all(t.read_text() == "old " + t.name for t in targets)


def test_read_only_folder_is_named(tmp_path, monkeypatch):
    def ro(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "out"))

    monkeypatch.setattr(Path, "mkdir", ro)
    with pytest.raises(WriteError) as exc:
        atomic.write_text(tmp_path / "out" / "x.html", "x")
    assert str(exc.value).startswith(f"无法写入 {tmp_path / 'out'}：文件系统是只读的（EROFS）。")


# --------------------------------------------------------------------------------------------------
# The same on real file systems: a tiny tmpfs, full or read-only, mounted in a private mount namespace


def _can_mount() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"],
                          capture_output=True).returncode == 0


needs_mount = pytest.mark.skipif(not _can_mount(), reason="needs root and mount namespaces (unshare -m)")


def _run_on_tmpfs(project_dir: Path, setup: str) -> subprocess.CompletedProcess:
    out = project_dir / "outputs"
    script = textwrap.dedent(f"""
        set -e
        mount -t tmpfs -o size=256k tmpfs '{out}'
        mkdir -p '{out}/2022/zhungeer'
        printf 'OLD REPORT' > '{out}/2022/zhungeer/report.html'
        printf 'OLD MANIFEST' > '{out}/2022/zhungeer/manifest.json'
        {setup}
        set +e
        '{sys.executable}' -m nianbao.cli run --unit zhungeer --year 2022 --project '{project_dir}'
        echo "rc=$?"
        ls -a '{out}/2022/zhungeer' '{out}/2022'
        cat '{out}/2022/zhungeer/report.html' '{out}/2022/zhungeer/manifest.json'
    """)
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)


@needs_mount
def test_full_disk_exits_6_and_keeps_the_previous_report(project_dir):
    # the disk is full before the run: refused at once, before any kernel starts
    p = _run_on_tmpfs(project_dir, f"dd if=/dev/zero of='{project_dir}/outputs/filler' bs=1k count=400 2>/dev/null || true")
    assert "rc=6" in p.stdout, p.stderr
    lock = project_dir / "outputs/2022/.zhungeer.lock"
    assert p.stderr.strip().splitlines()[-1] == (f"nianbao run: 无法写入 {lock}：磁盘空间已满（ENOSPC）。已有的报告文件未被改动；"
                                                 "请清理磁盘空间后重新运行。")
    assert "Traceback" not in p.stderr
    assert p.stdout.endswith("OLD REPORTOLD MANIFEST")  # untouched
    assert ".partial" not in p.stdout


@needs_mount
def test_read_only_outputs_exits_6_and_keeps_the_previous_report(project_dir):
    p = _run_on_tmpfs(project_dir, f"mount -o remount,ro '{project_dir}/outputs'")
    assert "rc=6" in p.stdout, p.stderr
    assert f"无法写入 {project_dir}/outputs/2022/.zhungeer.lock：文件系统是只读的（EROFS）。已有的报告文件未被改动" in p.stderr
    assert "Traceback" not in p.stderr
    assert p.stdout.endswith("OLD REPORTOLD MANIFEST")


@needs_mount
def test_loopback_down_exits_6_at_once(project_dir):
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs network namespaces (unshare -n)")
    start = time.monotonic()
    p = subprocess.run(["unshare", "-n", sys.executable, "-m", "nianbao.cli", "run", "--unit", "zhungeer", "--year",
                        "2022", "--project", str(project_dir)], capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - start
    assert p.returncode == 6, p.stderr
    assert p.stderr.startswith("nianbao run: 报告内核无法启动：本机回环网络 127.0.0.1 不可用（Network is unreachable）")
    assert elapsed < 30  # not the kernel's 60 s start-up timeout (the bound is generous on a shared machine)


# --------------------------------------------------------------------------------------------------
# One writer per report


HOLDER = """
import fcntl, sys, time
fh = open(sys.argv[1], "a+b", buffering=0)
fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
fh.seek(0); fh.truncate(); fh.write(b"4242")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold(lock: Path, seconds: float) -> subprocess.Popen:
    lock.parent.mkdir(parents=True, exist_ok=True)
    p = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def test_second_writer_waits_for_the_first_with_a_message(tmp_path):
    out = tmp_path / "outputs/2022/zhungeer"
    holder = _hold(outlock.lock_path(out), 1.0)
    said = []
    start = time.monotonic()
    with outlock.unit_lock(out, wait=30, say=said.append):
        waited = time.monotonic() - start
    holder.wait()
    assert waited >= 0.5
    assert said == [f"nianbao: 另一个 nianbao 进程（进程 4242）正在写入 {out}，等待它完成后再生成（最多 30 秒）… "
                    "/ another run is writing this report; waiting"]


def test_second_writer_gives_up_after_the_wait_with_exit_6(tmp_path):
    out = tmp_path / "outputs/2022/zhungeer"
    holder = _hold(outlock.lock_path(out), 30)
    try:
        with pytest.raises(outlock.LockTimeout) as exc:
            with outlock.unit_lock(out, wait=0.3, say=lambda m: None):
                pass
        assert str(exc.value) == (f"{out}: 另一个 nianbao 进程（进程 4242）已占用此报告 0.3 秒仍未完成；"
                                  "请确认该进程是否仍在运行，结束后重试。")
        assert exc.value.exit_code == 6
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_never_blocks_the_next_run(tmp_path):
    out = tmp_path / "outputs/2022/zhungeer"
    holder = _hold(outlock.lock_path(out), 60)
    holder.kill()  # kill -9: the kernel releases its lock
    holder.wait()
    with outlock.unit_lock(out, wait=0, say=pytest.fail):
        assert outlock.lock_path(out).read_text() == str(os.getpid())


def test_a_run_waits_for_another_run_of_the_same_unit(project_dir, capsys, monkeypatch):
    from nianbao.cli import main

    monkeypatch.setattr(outlock, "LOCK_WAIT_SECONDS", 0.3)
    holder = _hold(project_dir / "outputs/2022/.zhungeer.lock", 30)
    try:
        code = main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir)])
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert code == 6
    assert "另一个 nianbao 进程（进程 4242）正在写入" in err and "已占用此报告 0.3 秒仍未完成" in err


def test_leftovers_of_killed_runs_are_removed_under_the_lock(tmp_path):
    out = tmp_path / "outputs/2022/zhungeer"
    out.mkdir(parents=True)
    (out / "report.html").write_text("good")
    (out / ".report.k3j2.partial.html").write_text("half")
    (out / ".manifest.x.partial.json").write_text("half")
    with outlock.unit_lock(out, wait=0):
        assert sorted(p.name for p in out.iterdir()) == ["report.html"]


def test_kernel_files_live_in_a_folder_removed_after_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{outlock.KERNEL_DIR_PREFIX}{dead.pid}-abc"
    stale.mkdir()
    (stale / "kernel-1.json").write_text("{}")
    alive = tmp_path / f"{outlock.KERNEL_DIR_PREFIX}{os.getppid()}-def"  # a live process's folder stays
    alive.mkdir()
    monkeypatch.delenv("JUPYTER_RUNTIME_DIR", raising=False)
    with outlock.kernel_runtime() as folder:
        assert os.environ["JUPYTER_RUNTIME_DIR"] == str(folder)
        assert folder.parent == tmp_path and folder.name.startswith(f"{outlock.KERNEL_DIR_PREFIX}{os.getpid()}-")
        (folder / "kernel-2.json").write_text("{}")
        assert not stale.exists() and alive.exists()
    assert not folder.exists() and "JUPYTER_RUNTIME_DIR" not in os.environ
