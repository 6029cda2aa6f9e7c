"""The Dask worker plugin that configures batch workers and stops their warm kernels on close."""
from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin


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
