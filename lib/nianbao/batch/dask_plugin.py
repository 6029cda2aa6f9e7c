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
    """The Dask task of one unit: say that it starts, then run it (:func:`.worker.run_unit`)."""
    import os

    from distributed import get_worker

    from .worker import run_unit

    try:
        worker = get_worker()
        worker.log_event(START_TOPIC, {"unit": job["unit"], "key": job.get("key"), "pid": os.getpid(),
                                       "worker": worker.address})
    except ValueError:  # not on a Dask worker (called directly): nobody is waiting for the event
        pass
    return run_unit(job)


def dask_setup(worker) -> None:
    """Preload of the batch's LocalCluster workers (``preload=[__name__]``): Ctrl-C reaches the whole
    process group; the batch handles it and closes its cluster, so the workers ignore it (as local
    workers do) instead of each printing a traceback."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
