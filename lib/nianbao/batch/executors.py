"""Where a batch's units run: local worker processes, or Dask distributed.

Both offer the same three operations to the scheduler in :mod:`.run`: ``submit(job)`` → a future,
``wait_any(futures)`` → the finished ones, ``close()``. Parallelism is by processes, never threads:
papermill changes the process's working directory for each notebook.
"""
from __future__ import annotations

import time

from ..registry import Registry
from .pool import DEFAULT_UNIT_TIMEOUT, SurvivingPool, failure_record
from .worker import run_unit


class LocalExecutor:
    """``jobs`` spawned worker processes, each keeping one warm kernel for all its units. A worker that
    dies or exceeds the unit time limit fails only the unit it held and is replaced (:mod:`.pool`)."""

    name = "local"

    def __init__(self, jobs: int, config: dict, scheduler: str | None = None,
                 unit_timeout: float | None = DEFAULT_UNIT_TIMEOUT):
        self.jobs = jobs
        self.pool = SurvivingPool(jobs, config, unit_timeout=unit_timeout)

    def submit(self, job: dict):
        return self.pool.submit(job)

    def wait_any(self, futures, timeout: float | None = None):
        return self.pool.wait_any(futures, timeout=timeout)

    def close(self, cancel: bool = False) -> None:
        self.pool.close(cancel=cancel)


class DaskExecutor:
    """Dask distributed: a LocalCluster of ``jobs`` single-threaded worker processes on 127.0.0.1, or
    the cluster whose scheduler listens at ``scheduler`` (tcp://host:port).

    Every worker must have nianbao installed and see the project folder at the same path (a shared
    file system); each keeps one warm kernel, stopped by a worker plugin when the worker closes.
    """

    name = "dask"

    def __init__(self, jobs: int, config: dict, scheduler: str | None = None,
                 unit_timeout: float | None = DEFAULT_UNIT_TIMEOUT):
        import logging

        import dask
        from distributed import Client, LocalCluster

        from .dask_plugin import KernelPlugin

        self.unit_timeout = unit_timeout if unit_timeout and unit_timeout > 0 else None
        self.started: dict = {}  # future -> (job, time it was handed to the cluster)
        self.waiting: list = []  # (job, local future) not yet handed to the cluster: at most `jobs` run at once
        self.cluster = None
        # A worker that dies fails the task it held (KilledWorker) instead of running it again elsewhere:
        # only that unit fails, as with local workers. Applies to the LocalCluster's in-process scheduler.
        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        self.jobs = jobs if not scheduler else max(1, len(self.client.scheduler_info().get("workers", {})))
        self.client.register_plugin(KernelPlugin({**config, "redirect": False, "prewarm": None}),
                                    name="nianbao-kernels")

    def submit(self, job: dict):
        from concurrent.futures import Future

        fut: Future = Future()
        fut.set_running_or_notify_cancel()
        self.waiting.append((job, fut))
        self._hand_out()
        return fut

    def _hand_out(self) -> None:
        # Units go to the cluster only as fast as it has workers, so a unit's clock starts when it starts.
        while self.waiting and len(self.started) < self.jobs:
            job, local = self.waiting.pop(0)
            remote = self.client.submit(run_unit, job, key=f"nianbao-{job['year']}-{job['unit']}-{job['key'][:12]}",
                                        pure=False, retries=0)
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
                    local.set_result(failure_record(job, "worker", (
                        f"运行本单位的 Dask 工作进程异常退出或失联（{type(exc).__name__}: {exc}），本单位未完成，"
                        f"原有报告保持不变；其余单位继续运行。")))
            if self.unit_timeout:
                now = time.monotonic()
                for remote, (job, local, began) in list(self.started.items()):
                    if now - began > self.unit_timeout:
                        self.started.pop(remote)
                        self._stop(remote)
                        local.set_result(failure_record(job, "timeout", (
                            f"本单位运行超过时间限制 {self.unit_timeout:g} 秒（--unit-timeout），已终止；原有报告保持不变。"
                            f"已重启其 Dask 工作进程，其余单位继续运行。"), seconds=now - began))
            if end is not None and time.monotonic() >= end:
                return {f for f in futures if f.done()}

    def _stop(self, remote) -> None:
        """Cancel a task that overran and restart the worker running it (its kernel may still be busy)."""
        try:
            key = remote.key
            where = [w for w, keys in self.client.processing().items() if key in keys]
            self.client.cancel(remote, force=True)
            if where:
                self.client.restart_workers(where, timeout=60, raise_for_error=False)
        except Exception:
            pass

    def close(self, cancel: bool = False) -> None:
        try:
            if self.cluster is not None:
                self.client.close()
                self.cluster.close()
            else:
                # A shared cluster outlives the batch: only stop our kernels, keep the workers.
                self.client.unregister_worker_plugin("nianbao-kernels")
                self.client.close()
        except Exception:
            pass


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
