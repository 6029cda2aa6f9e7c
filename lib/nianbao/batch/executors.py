"""Where a batch's units run: local worker processes, or Dask distributed.

Both offer the same three operations to the scheduler in :mod:`.run`: ``submit(job)`` → a future,
``wait_any(futures)`` → the finished ones, ``close()``. Parallelism is by processes, never threads:
papermill changes the process's working directory for each notebook.
"""
from __future__ import annotations

import time

from ..registry import Registry
from .pool import DEFAULT_UNIT_TIMEOUT, SurvivingPool, failure_record, timeout_message


class LocalExecutor(SurvivingPool):
    """``jobs`` spawned worker processes, each keeping one warm kernel for all its units. A worker that
    dies or exceeds the unit time limit fails only the unit it held and is replaced (:mod:`.pool`, whose
    ``submit``, ``wait_any`` and ``close`` are the executor's)."""

    name = "local"

    def __init__(self, jobs: int, config: dict, scheduler: str | None = None,
                 unit_timeout: float | None = DEFAULT_UNIT_TIMEOUT):
        super().__init__(jobs, config, unit_timeout=unit_timeout)


class DaskExecutor:
    """Dask distributed: a LocalCluster of ``jobs`` single-threaded worker processes on 127.0.0.1, or
    the cluster whose scheduler listens at ``scheduler`` (tcp://host:port).

    Every worker must have nianbao installed and see the project folder at the same path (a shared
    file system); each keeps one warm kernel, stopped by a worker plugin when the worker closes.

    As with local workers, a unit's clock starts when a worker begins it (the task says so, see
    :data:`.dask_plugin.START_TOPIC`); a unit over ``unit_timeout`` is cancelled and the worker
    running it restarted; a worker that dies fails only the unit it was running (a unit it had not
    begun is handed out again). With the batch's own LocalCluster the worker processes are on this
    machine: what they leave behind (a kernel in a session of its own, a browser) is stopped when
    their worker is restarted or dies, and when the batch ends.
    """

    name = "dask"

    def __init__(self, jobs: int, config: dict, scheduler: str | None = None,
                 unit_timeout: float | None = DEFAULT_UNIT_TIMEOUT):
        import logging
        import threading

        from distributed import Client, LocalCluster

        from .dask_plugin import START_TOPIC, KernelPlugin

        self.unit_timeout = unit_timeout if unit_timeout and unit_timeout > 0 else None
        self.started: dict = {}  # remote future -> (job, local future, time it was handed to the cluster)
        self.waiting: list = []  # (job, local future) not yet handed to the cluster: at most `jobs` run at once
        self.began: dict = {}  # (unit, key) -> (time.monotonic() when its worker began it, event message)
        self.lock = threading.Lock()  # `began` is filled on the client's event-loop thread
        self.trees: dict[int, dict] = {}  # LocalCluster: worker pid -> {pid: psutil.Process} (worker, kernel, …)
        self.snapshot_at = 0.0
        self.log_dir = config.get("log_dir")  # where tasks mark that they began (see .dask_plugin)
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, silence_logs=logging.ERROR,
                                        preload=["nianbao.batch.dask_plugin"],
                                        # A worker that dies fails the task it held (KilledWorker) instead of
                                        # running it again elsewhere: only that unit fails, as with local
                                        # workers. No dashboard; its health page on a free loopback port, not
                                        # 8787 (another batch on this machine may hold that one).
                                        scheduler_kwargs={"allowed_failures": 0, "dashboard_address": "127.0.0.1:0"})
            self.client = Client(self.cluster)
            # each lost unit is reported in Chinese with the batch's own words: not also in the scheduler's
            logging.getLogger("distributed.scheduler").addFilter(_without_killed_worker_errors)
        self.jobs = jobs if not scheduler else max(1, len(self.client.scheduler_info().get("workers", {})))
        self.client.subscribe_topic(START_TOPIC, self._began)
        # The LocalCluster's workers share the terminal with the progress display: their output (and
        # their kernels') goes to the batch's worker-<pid>.log files, as local workers' does; a shared
        # cluster's workers keep theirs.
        self.client.register_plugin(KernelPlugin({**config, "redirect": self.cluster is not None, "prewarm": None}),
                                    name="nianbao-kernels")

    def _began(self, event) -> None:
        _, msg = event
        with self.lock:
            self.began[(msg.get("unit"), msg.get("key"))] = (time.monotonic(), msg)

    def _start_of(self, job: dict):
        with self.lock:
            return self.began.get((job["unit"], job.get("key")))

    def submit(self, job: dict):
        from concurrent.futures import Future

        fut: Future = Future()
        fut.set_running_or_notify_cancel()
        self.waiting.append((job, fut))
        self._hand_out()
        return fut

    def _hand_out(self) -> None:
        # Units go to the cluster only as fast as it has workers.
        from .dask_plugin import run_unit_on_worker

        while self.waiting and len(self.started) < self.jobs:
            job, local = self.waiting.pop(0)
            with self.lock:
                self.began.pop((job["unit"], job.get("key")), None)
            task = f"nianbao-{job['year']}-{job['unit']}-{job['key'][:12]}-{time.time_ns()}"
            remote = self.client.submit(run_unit_on_worker, {**job, "task": task}, key=task, pure=False, retries=0)
            self.started[remote] = (job, local, time.monotonic())

    def wait_any(self, futures, timeout: float | None = None):
        from distributed import wait as dwait
        from distributed.utils import TimeoutError as DaskTimeout

        futures = list(futures)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            done = {f for f in futures if f.done()}
            if done:
                return done
            self._hand_out()
            self._snapshot()
            step = 1.0 if end is None else max(0.0, min(1.0, end - time.monotonic()))
            try:
                finished, _ = dwait(list(self.started), timeout=step, return_when="FIRST_COMPLETED")
            except (DaskTimeout, TimeoutError):
                finished = set()
            for remote in finished:
                job, local, _ = self.started.pop(remote)
                try:
                    local.set_result(remote.result())
                except Exception as exc:  # the task's worker died (KilledWorker) or the task was lost
                    self._lost(job, local, exc)
            if self.unit_timeout:
                now = time.monotonic()
                for remote, (job, local, _) in list(self.started.items()):
                    start = self._start_of(job)
                    if start is not None and now - start[0] > self.unit_timeout:
                        self.started.pop(remote)
                        pid = start[1].get("pid")
                        self._stop(remote, start[1].get("worker"), pid)
                        local.set_result(failure_record(job, "timeout", timeout_message(
                            self.unit_timeout, f"已重启运行它的 Dask 工作进程{f'（PID {pid}）' if pid else ''}"),
                            seconds=now - start[0], pid=pid))
            if end is not None and time.monotonic() >= end:
                return {f for f in futures if f.done()}

    def _lost(self, job: dict, local, exc: BaseException) -> None:
        from distributed import KilledWorker

        start = self._start_of(job)
        self._kill_orphans()
        if start is None and isinstance(exc, KilledWorker) and not job.get("_handed_again"):
            # its worker died before it began the unit: not the unit's doing, hand it out again (once)
            self.waiting.insert(0, ({**job, "_handed_again": True}, local))
            self._hand_out()
            return
        if not isinstance(exc, KilledWorker):
            local.set_result(failure_record(job, "internal", (
                f"Dask 未能运行本单位（{type(exc).__name__}: {exc}），本单位未完成，原有报告保持不变；"
                f"其余单位继续运行。可用 nianbao batch --year {job.get('year')} --retry-failed 重试。")))
            return
        from .dask_plugin import worker_lost_message

        msg = start[1] if start is not None else {"worker": getattr(getattr(exc, "last_worker", None), "address", "?")}
        pid = msg.get("pid")
        local.set_result(failure_record(job, "worker", worker_lost_message(pid, msg.get("worker"), job.get("year")),
                                        seconds=time.monotonic() - start[0] if start is not None else None, pid=pid))

    # -- the LocalCluster's processes --------------------------------------------------------------
    def _snapshot(self, force: bool = False) -> None:
        """Remember each local worker's process tree, to stop what it leaves behind if it dies."""
        if self.cluster is None or (not force and time.monotonic() - self.snapshot_at < SNAPSHOT_EVERY):
            return
        self.snapshot_at = time.monotonic()
        import psutil

        try:  # the LocalCluster's nannies live in this process: each knows its worker process
            pids = [getattr(getattr(n, "process", None), "pid", None) for n in list(self.cluster.workers.values())]
        except Exception:
            return
        for pid in pids:
            if not pid:
                continue
            try:
                root = psutil.Process(pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            known = self.trees.setdefault(pid, {})
            for p in procs:
                known.setdefault(p.pid, p)

    def _kill_orphans(self, only_dead: bool = True) -> None:
        """Kill what dead workers left behind (with ``only_dead=False``: every remembered process)."""
        import psutil

        for pid, procs in list(self.trees.items()):
            root = procs.get(pid)
            try:
                alive = root is not None and root.is_running() and root.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                alive = False
            if not (only_dead and alive):
                self._kill_tree(pid)

    def _kill_tree(self, pid: int) -> None:
        import psutil

        for p in self.trees.pop(pid, {}).values():
            try:  # psutil refuses to signal a pid that was reused by another process
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    p.kill()
            except psutil.Error:
                pass

    def _kill_kernels(self, only: int | None = None) -> None:
        """Kill what the local workers (or the worker ``only``) started — kernels, browsers —, not the
        workers themselves."""
        import psutil

        for pid, procs in self.trees.items():
            if only is not None and pid != only:
                continue
            for p in procs.values():
                if p.pid != pid:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass

    def _stop(self, remote, worker: str | None, pid: int | None) -> None:
        """Cancel a task that overran and restart the worker running it (its kernel may still be busy).
        A worker of the batch's own LocalCluster is killed with its kernel — its nanny starts a new one
        while the batch goes on; a shared cluster's worker is restarted through its nanny."""
        try:
            self._snapshot(force=True)
            self.client.cancel(remote, force=True)
            if self.cluster is not None and pid in self.trees:
                self._kill_tree(pid)
            else:
                where = [worker] if worker else [w for w, keys in self.client.processing().items()
                                                 if remote.key in keys]
                if where:
                    self.client.restart_workers(where, timeout=60, raise_for_error=False)
        except Exception:
            pass
        self._kill_orphans()

    def close(self, cancel: bool = False) -> None:
        try:
            if self.cluster is not None:
                self._snapshot(force=True)
                if cancel:  # Ctrl-C or a failure of the batch: stop the running units' kernels now, so
                    self._kill_kernels()  # that the workers close at once instead of waiting for them
                self.client.close()
                self.cluster.close()
            else:
                # A shared cluster outlives the batch: only stop our kernels, keep the workers.
                self.client.unregister_worker_plugin("nianbao-kernels")
                self.client.close()
        except Exception:
            pass
        if self.log_dir:  # marks of tasks whose worker died while running them
            from pathlib import Path

            for mark in Path(self.log_dir).glob("started-nianbao-*"):
                mark.unlink(missing_ok=True)
        if self.cluster is not None:
            self._kill_orphans(only_dead=False)
            import logging

            logging.getLogger("distributed.scheduler").removeFilter(_without_killed_worker_errors)


def _without_killed_worker_errors(record) -> bool:
    return "workers died while trying to run it" not in record.getMessage()


SNAPSHOT_EVERY = 0.5  # seconds between looks at the LocalCluster's process trees


# Where batches can run: ``--executor NAME``. An outside package adds one with an entry point in the
# group ``nianbao.executors`` (a class taking ``(jobs, config)``, and ``scheduler`` when given; and the
# keyword ``unit_timeout`` if it can enforce the per-unit time limit).
EXECUTORS = Registry("执行方式", "nianbao.executors", order=("local", "dask"))
EXECUTORS.register("local", LocalExecutor)
EXECUTORS.register("dask", DaskExecutor)


def make_executor(kind: str, jobs: int, config: dict, scheduler: str | None = None,
                  unit_timeout: float | None = DEFAULT_UNIT_TIMEOUT):
    import inspect

    cls = EXECUTORS.get(kind)
    extra = {}
    try:
        if "unit_timeout" in inspect.signature(cls).parameters:
            extra["unit_timeout"] = unit_timeout
    except (TypeError, ValueError):  # pragma: no cover - a callable without a signature
        pass
    return cls(jobs, config, scheduler, **extra) if scheduler is not None else cls(jobs, config, **extra)
