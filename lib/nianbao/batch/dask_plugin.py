"""What runs on the Dask workers of a batch: the worker plugin that configures them and stops their
warm kernels on close, the task that announces when a unit really starts, and the preload that keeps
Ctrl-C at the terminal from reaching the workers of the batch's own LocalCluster."""
from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

# Event topic: a worker tells the batch that it began a unit (its clock starts then) and which
# process runs it. The message: {"unit", "key", "pid", "worker"}.
START_TOPIC = "nianbao-unit-start"


class KernelPlugin(WorkerPlugin):
    idempotent = True

    def __init__(self, config: dict):
        self.config = config

    def setup(self, worker):
        from .worker import init_worker

        init_worker(self.config)

    def teardown(self, worker):
        import sys

        engines = sys.modules.get("nianbao.engines")
        if engines is not None:
            engines.shutdown_all()
        browser = sys.modules.get("nianbao.exporters.browser")
        if browser is not None:  # the PDF exporter's Chromium
            browser.close_shared()


def run_unit_on_worker(job: dict) -> dict:
    """The Dask task of one unit: say that it starts, then run it (:func:`.worker.run_unit`).

    A task that began once already (a file ``started-<task>`` in the batch's log folder says so) was
    re-run by the scheduler because its first worker died while running it: it fails at once, as the
    unit would with local workers, instead of killing one worker after another of a shared cluster
    (whose scheduler may allow several such retries). The batch's own LocalCluster allows none.
    """
    import json
    import os
    from pathlib import Path

    from distributed import get_worker

    from .pool import failure_record
    from .worker import run_unit

    try:
        worker = get_worker()
        where = {"pid": os.getpid(), "worker": worker.address}
        worker.log_event(START_TOPIC, {"unit": job["unit"], "key": job.get("key"), **where})
    except ValueError:  # not on a Dask worker (called directly): nobody is waiting for the event
        return run_unit(job)
    marker = None
    log_dir = (job.get("config") or {}).get("log_dir")
    if log_dir and job.get("task"):
        marker = Path(log_dir) / f"started-{job['task']}"
        try:
            first = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            first = None
        if first is not None:
            return failure_record(job, "worker", worker_lost_message(first.get("pid"), first.get("worker"),
                                                                     job.get("year")), pid=first.get("pid"))
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(where), encoding="utf-8")
        except OSError:
            marker = None
    try:
        return run_unit(job)
    finally:
        if marker is not None:
            marker.unlink(missing_ok=True)


def worker_lost_message(pid: int | None, worker: str | None, year) -> str:
    return (f"运行本单位的 Dask 工作进程（{f'PID {pid}，' if pid else ''}{worker or '?'}）意外退出，"
            f"本单位未完成，原有报告保持不变；Dask 已启动新的工作进程，其余单位继续运行。"
            f"可用 nianbao batch --year {year} --retry-failed 重试。")


def dask_setup(worker) -> None:
    """Preload of the batch's LocalCluster workers (``preload=[__name__]``): Ctrl-C reaches the whole
    process group; the batch handles it and closes its cluster, so the workers ignore it (as local
    workers do) instead of each printing a traceback."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
