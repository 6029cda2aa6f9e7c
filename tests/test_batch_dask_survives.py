"""The Dask executor survives its workers and bounds every unit's time (issue 16, item 3), as the local
one does (tests/test_batch_survives.py).

One batch of 4 synthetic units on the batch's own LocalCluster of 2 Dask workers, where one unit's
notebook kills the Dask worker process running it (``kill -9`` of its kernel's parent) and another
sleeps past ``--unit-timeout``: only those two fail, each saying why; the killed unit's previous report
stays byte for byte; the others pass; the state, the dashboard and the year manifest are current,
``nianbao verify outputs/<year>`` passes, and no process of the batch outlives it. Then Ctrl-C (SIGINT
to the process group, as a terminal sends it) in the middle of a Dask batch: exit 130, what finished is
recorded, no traceback, no process left.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from conftest import REPO
from nianbao.cli import main
from nianbao.project import Project
from nianbao.synthetic import generate

YEAR = 2022
NOTEBOOK = REPO / "notebooks" / "annual_report.ipynb"

# Inserted after the parameters: acts only when a marker file names this unit. Each adds a line
# "<kernel pid> <pid of the kernel's parent>": on a Dask worker the kernel's parent is the worker process.
HOSTILE_CELL = """\
import os, pathlib, time
_root = pathlib.Path(project_dir)
if (_root / ('KILL-' + unit)).exists():
    with open(_root / ('KILLED-' + unit), 'a') as _f:
        _f.write(f'{os.getpid()} {os.getppid()}\\n')
    os.kill(os.getppid(), 9)
    time.sleep(120)
if (_root / ('SLOW-' + unit)).exists():
    (_root / ('SLOW-PID-' + unit)).write_text(f'{os.getpid()} {os.getppid()}')
    time.sleep(120)
"""


def _hostile_project(tmp_path, seed):
    synth = generate(tmp_path / "p", 4, YEAR, seed=seed, notebook=NOTEBOOK)
    project = Project(synth.root)
    node = nbformat.read(project.report_notebook, as_version=4)
    node.cells.insert(2, nbformat.v4.new_code_cell(HOSTILE_CELL))
    nbformat.write(node, project.report_notebook)
    return synth, project, [u.id for u in synth.units if not u.rollup]


def _dashboard_rows(project):
    html = (project.outputs_dir / str(YEAR) / "index.html").read_text(encoding="utf-8")
    return dict(re.findall(r'<tr class="row-\w+" id="unit-([\w-]+)">.*?<span class="st st-\w+">(\w+)</span>', html, re.S))


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _live(procs) -> list:
    """``(pid, command line)`` of those of ``procs`` still running after a grace of 5 s for those already
    exiting (zombies are dead), other than multiprocessing's resource tracker (one per process that
    spawned, ending with it)."""
    named = {}
    for p in procs:
        try:
            named[p] = " ".join(p.cmdline())
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs([p for p, cmd in named.items() if "multiprocessing.resource_tracker" not in cmd],
                                 timeout=5)
    out = []
    for p in alive:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                out.append((p.pid, named[p]))
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.slow
def test_dask_killed_worker_and_overrunning_unit_fail_alone(tmp_path, capsys):
    from nianbao.runner import run_report
    from nianbao.verify import verify

    synth, project, leaves = _hostile_project(tmp_path, seed=5)
    killed, slow = leaves[0], leaves[1]
    # the killed unit has a good report from before: the failed run must leave it as it was
    run_report(project, killed, YEAR, ("html",))
    kept = project.output_dir(killed, YEAR)
    before = {p.name: p.read_bytes() for p in kept.iterdir()}
    assert {"report.html", "report.ipynb", "validation.json", "manifest.json"} <= set(before)
    (project.root / f"KILL-{killed}").touch()
    (project.root / f"SLOW-{slow}").touch()
    ours_before = {p.pid for p in psutil.Process().children(recursive=True)}

    code = main(["batch", "--project", str(project.root), "--year", str(YEAR), "--executor", "dask", "--jobs", "2",
                 "--unit-timeout", "8", "-q"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 5, out
    assert "合计 4 个单位：通过 2，警告 0，不通过 0，失败 2，跳过 0" in out and "2 个Dask 工作进程" in out, out
    listed = next(line for line in out.splitlines() if line.startswith("失败的单位（2）："))
    assert sorted(listed.split("：", 1)[1].split(", ")) == sorted([killed, slow])
    assert "Traceback" not in captured.err and "KilledWorker" not in captured.err + out, captured.err

    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    assert {u: r["outcome"] for u, r in state["units"].items()} == \
        {u.id: "failed" if u.id in (killed, slow) else "ok" for u in synth.units}
    assert state["last_run"]["executor"] == "dask" and state["last_run"]["unit_timeout"] == 8
    import dask

    # no retry on another worker was the batch's own scheduler's setting, not this process's
    assert dask.config.get("distributed.scheduler.allowed-failures") == 3
    kernel_pid, worker_pid = map(int, (project.root / f"KILLED-{killed}").read_text().split())
    dead = state["units"][killed]
    assert dead["error_kind"] == "worker" and dead["pid"] == worker_pid
    assert dead["error"].startswith(f"运行本单位的 Dask 工作进程（PID {worker_pid}，tcp://127.0.0.1:"), dead["error"]
    assert dead["error"].endswith("）意外退出，本单位未完成，原有报告保持不变；Dask 已启动新的工作进程，其余单位继续运行。"
                                  f"可用 nianbao batch --year {YEAR} --retry-failed 重试。"), dead["error"]
    slow_kernel, slow_worker = map(int, (project.root / f"SLOW-PID-{slow}").read_text().split())
    over = state["units"][slow]
    assert over["error_kind"] == "timeout" and over["pid"] == slow_worker
    assert over["error"] == ("本单位运行超过时间限制 8 秒（--unit-timeout），已终止；原有报告保持不变。"
                             f"已重启运行它的 Dask 工作进程（PID {slow_worker}），其余单位继续运行。"
                             "请检查该单位的叙述文字或数据是否导致计算过长；确需更长时间时可调大 --unit-timeout。")
    assert 8 <= over["seconds"] < 30
    # the good units ran on live workers: never on the killed one nor on the restarted one
    good_pids = {r["pid"] for u, r in state["units"].items() if r["outcome"] == "ok"}
    assert worker_pid not in good_pids and slow_worker not in good_pids

    # nothing half-written: the killed unit's previous report is byte for byte what it was (only the
    # interrupted run's temp files were added); no temp file where a unit passed; none written for the slow one
    after = {p.name: p.read_bytes() for p in kept.iterdir()}
    assert {n: after.get(n) for n in before} == before
    assert all(".partial" in n for n in set(after) - set(before)), sorted(after)
    assert not (project.output_dir(slow, YEAR) / "report.html").exists()
    for u in synth.units:
        if u.id not in (killed, slow):
            folder = project.output_dir(u.id, YEAR)
            assert (folder / "report.html").is_file()
            assert [p.name for p in folder.iterdir() if ".partial" in p.name] == [], u.id

    assert _dashboard_rows(project) == {u.id: "失败" if u.id in (killed, slow) else "通过" for u in synth.units}
    year_manifest = json.loads((project.outputs_dir / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(year_manifest["units"]) == sorted(u.id for u in synth.units if u.id != slow)  # killed: its old report
    assert year_manifest["missing"] == [slow]
    verdict = verify(project.outputs_dir / str(YEAR))
    assert verdict.failures == [], [f.__dict__ for f in verdict.failures]

    # no process of the batch is left: workers, their kernels (each in a session of its own), nannies
    for pid in (kernel_pid, worker_pid, slow_kernel, slow_worker):
        assert _gone(pid), pid
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in ours_before]
    assert _live(left) == []


@pytest.mark.slow
def test_dask_shared_cluster_runs_a_unit_that_killed_its_worker_only_once(tmp_path, capsys):
    """On a shared cluster the scheduler's own allowed-failures (default 3) would run a unit whose worker
    died on another worker, and another: the unit's task sees that it began before and fails at once."""
    import logging

    from distributed import Client, LocalCluster

    synth, project, leaves = _hostile_project(tmp_path, seed=7)
    killed = leaves[0]
    (project.root / f"KILL-{killed}").touch()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        assert cluster.scheduler.allowed_failures == 3
        code = main(["batch", "--project", str(project.root), "--year", str(YEAR), "--scheduler",
                     cluster.scheduler_address, "-q"])
        with Client(cluster.scheduler_address) as client:  # the shared cluster still has its two workers
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
    out = capsys.readouterr().out
    assert code == 5, out
    assert "合计 4 个单位：通过 3，警告 0，不通过 0，失败 1，跳过 0" in out, out
    (run,) = (project.root / f"KILLED-{killed}").read_text().splitlines()  # one worker killed, not four
    worker_pid = int(run.split()[1])
    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    assert {u: r["outcome"] for u, r in state["units"].items()} == \
        {u.id: "failed" if u.id == killed else "ok" for u in synth.units}
    dead = state["units"][killed]
    assert dead["error_kind"] == "worker" and dead["pid"] == worker_pid
    assert dead["error"].startswith(f"运行本单位的 Dask 工作进程（PID {worker_pid}，tcp://127.0.0.1:"), dead["error"]
    assert dead["error"].endswith("）意外退出，本单位未完成，原有报告保持不变；Dask 已启动新的工作进程，其余单位继续运行。"
                                  f"可用 nianbao batch --year {YEAR} --retry-failed 重试。"), dead["error"]
    assert worker_pid not in {r["pid"] for r in state["units"].values() if r["outcome"] == "ok"}
    assert list((project.outputs_dir / str(YEAR) / ".batch-logs").glob("started-*")) == []


@pytest.mark.slow
def test_dask_batch_interrupted_by_ctrl_c(tmp_path):
    synth, project, leaves = _hostile_project(tmp_path, seed=6)
    slow = leaves[1]
    others = [u for u in leaves if u != slow]
    (project.root / f"SLOW-{slow}").touch()
    marker = project.root / f"SLOW-PID-{slow}"
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "w", encoding="utf-8") as err:
        batch = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "batch", "--project", str(project.root),
                                  "--year", str(YEAR), "--executor", "dask", "--jobs", "2"],
                                 stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
                                 env={**os.environ, "PYTHONPATH": str(REPO / "lib")})
        try:
            deadline = time.monotonic() + 90
            # the slow unit is running and both other leaves finished (the roll-up county waits for it)
            while not (marker.exists() and marker.read_text() and "[2/4]" in err_path.read_text(encoding="utf-8")):
                assert batch.poll() is None and time.monotonic() < deadline, err_path.read_text(encoding="utf-8")
                time.sleep(0.2)
            kernel_pid, worker_pid = map(int, marker.read_text().split())
            tree = psutil.Process(batch.pid).children(recursive=True)
            assert worker_pid in {p.pid for p in tree}
            os.killpg(batch.pid, signal.SIGINT)  # what Ctrl-C at the terminal does
            out, _ = batch.communicate(timeout=60)
        finally:
            if batch.poll() is None:  # pragma: no cover - only if the batch hangs
                os.killpg(batch.pid, signal.SIGKILL)
    err = err_path.read_text(encoding="utf-8")
    assert batch.returncode == 130, (out, err)
    # the workers ignored the terminal's SIGINT and wrote their own output to the batch's logs: on the
    # terminal only the progress lines of the two units that finished, no traceback, no warning
    progress = [re.fullmatch(r"\[(\d)/4\] ([\w-]+) 通过 [\d.]+s", line) for line in err.splitlines()]
    assert all(progress) and [(m[1], m[2]) for m in progress] in ([("1", others[0]), ("2", others[1])],
                                                                  [("1", others[1]), ("2", others[0])]), err
    assert "批量运行被中断：已完成的单位已记录，未运行的 2 个单位保持原状" in out, out

    year_dir = project.outputs_dir / str(YEAR)
    state = json.loads((year_dir / ".batch-state.json").read_text(encoding="utf-8"))
    assert state["last_run"]["interrupted"] is True and state["last_run"]["executor"] == "dask"
    assert {u: r["outcome"] for u, r in state["units"].items()} == dict.fromkeys(others, "ok")
    county = next(u.id for u in synth.units if u.rollup)
    rows = _dashboard_rows(project)
    assert rows == {**dict.fromkeys(others, "通过"), slow: "未生成", county: "未生成"}, rows
    assert (year_dir / "index.html").read_text(encoding="utf-8").count("批量运行被中断，本单位未运行") == 2
    year_manifest = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(year_manifest["units"]) == sorted(others) and sorted(year_manifest["missing"]) == sorted([slow, county])

    # nothing of the batch is left: not its workers, not the running unit's kernel (a session of its own)
    assert _gone(kernel_pid) and _gone(worker_pid)
    assert _live(tree) == []
    session = [p for p in psutil.process_iter() if _sid(p.pid) == batch.pid]
    assert _live(session) == []


def _sid(pid: int):
    try:
        return os.getsid(pid)
    except OSError:
        return None


class _Client:
    """Stands in for distributed.Client in the unit tests of the executor's own bookkeeping."""

    def __init__(self):
        self.submitted = []

    def submit(self, fn, job, **kwargs):
        self.submitted.append((fn.__name__, job, kwargs["key"]))
        return object()


def _bare_executor():
    import threading

    from nianbao.batch.executors import DaskExecutor

    ex = object.__new__(DaskExecutor)
    ex.started, ex.waiting, ex.began, ex.trees = {}, [], {}, {}
    ex.lock, ex.cluster, ex.client, ex.jobs, ex.unit_timeout = threading.Lock(), None, _Client(), 2, 8
    ex.log_dir = None
    return ex


def test_dask_unit_lost_before_it_began_is_handed_out_again_once():
    """A worker that dies before it begins a unit (no start event) costs the unit nothing: it is handed
    out again — once; dying again before it begins fails it, naming the last worker."""
    from concurrent.futures import Future
    from types import SimpleNamespace

    from distributed import KilledWorker

    ex = _bare_executor()
    job = {"unit": "demo-town-001", "year": YEAR, "key": "ab" * 32}
    local = Future()
    died = KilledWorker("t", SimpleNamespace(address="tcp://127.0.0.1:4711"), 0)
    ex._lost(job, local, died)
    assert not local.done()
    ((fn, again, key),) = ex.client.submitted
    assert fn == "run_unit_on_worker" and again == {**job, "_handed_again": True, "task": key}
    assert re.fullmatch(f"nianbao-{YEAR}-demo-town-001-abababababab-\\d+", key)
    ex.started.clear()
    ex._lost(again, local, died)
    rec = local.result()
    assert rec["outcome"] == "failed" and rec["error_kind"] == "worker" and rec["key"] == job["key"]
    assert rec["error"] == ("运行本单位的 Dask 工作进程（tcp://127.0.0.1:4711）意外退出，本单位未完成，原有报告保持不变；"
                            f"Dask 已启动新的工作进程，其余单位继续运行。可用 nianbao batch --year {YEAR} --retry-failed 重试。")
    assert len(ex.client.submitted) == 1


def test_dask_unit_lost_otherwise_is_an_internal_failure():
    from concurrent.futures import Future

    ex = _bare_executor()
    job = {"unit": "demo-dept-001", "year": YEAR, "key": "cd" * 32}
    ex._began((0.0, {"unit": "demo-dept-001", "key": job["key"], "pid": 42, "worker": "tcp://127.0.0.1:9"}))
    local = Future()
    ex._lost(job, local, OSError("连接已断开"))
    rec = local.result()
    assert rec["error_kind"] == "internal" and ex.client.submitted == []
    assert rec["error"] == ("Dask 未能运行本单位（OSError: 连接已断开），本单位未完成，原有报告保持不变；其余单位继续运行。"
                            f"可用 nianbao batch --year {YEAR} --retry-failed 重试。")
