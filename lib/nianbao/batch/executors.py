"""Where a batch's units run: local worker processes, or Dask distributed.

Both offer the same three operations to the scheduler in :mod:`.run`: ``submit(job)`` → a future,
``wait_any(futures)`` → the finished ones, ``close()``. Parallelism is by processes, never threads:
papermill changes the process's working directory for each notebook.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..registry import Registry
from .worker import init_worker, run_unit


class LocalExecutor:
    """``jobs`` spawned worker processes, each keeping one warm kernel for all its units."""

    name = "local"

    def __init__(self, jobs: int, config: dict):
        self.jobs = jobs
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=init_worker, initargs=({**config, "redirect": True},))

    def submit(self, job: dict):
        return self.pool.submit(run_unit, job)

    def wait_any(self, futures, timeout: float | None = None):
        done, _ = wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return done

    def close(self, cancel: bool = False) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskExecutor:
    """Dask distributed: a LocalCluster of ``jobs`` single-threaded worker processes on 127.0.0.1, or
    the cluster whose scheduler listens at ``scheduler`` (tcp://host:port).

    Every worker must have nianbao installed and see the project folder at the same path (a shared
    file system); each keeps one warm kernel, stopped by a worker plugin when the worker closes.
    """

    name = "dask"

    def __init__(self, jobs: int, config: dict, scheduler: str | None = None):
        import logging

        from distributed import Client, LocalCluster

        from .dask_plugin import KernelPlugin

        self.cluster = None
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
        return self.client.submit(run_unit, job, key=f"nianbao-{job['year']}-{job['unit']}-{job['key'][:12]}",
                                  pure=False, retries=0)

    def wait_any(self, futures, timeout: float | None = None):
        from distributed import wait as dwait
        from distributed.utils import TimeoutError as DaskTimeout

        try:
            done, _ = dwait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except (DaskTimeout, TimeoutError):
            return set()
        return set(done)

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
# group ``nianbao.executors`` (a class taking ``(jobs, config)``, and ``scheduler`` when given).
EXECUTORS = Registry("执行方式", "nianbao.executors", order=("local", "dask"))
EXECUTORS.register("local", LocalExecutor)
EXECUTORS.register("dask", DaskExecutor)


def make_executor(kind: str, jobs: int, config: dict, scheduler: str | None = None):
    cls = EXECUTORS.get(kind)
    return cls(jobs, config, scheduler) if scheduler is not None else cls(jobs, config)
