"""The batch's validator process: the year's units validated once, results handed to the kernels.

Started beside the workers; it validates the units to run in a few Great Expectations calls (one run
per rule per call: :func:`nianbao.validation.handed.chunk_sizes` — a small first call so the workers
start at once, then doubling) and reports each call's results as they are written. The scheduler
gives a unit to a worker once its result is there (or the validator is done or gone); a unit without
a result validates in its own kernel, as ``nianbao run`` does. The process exits when done, so the
memory Great Expectations takes is given back for the rest of the batch.
"""
from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

from ..validation.handed import SPOOL_DIR, chunk_sizes, validator_main


class Validator:
    def __init__(self, project, year: int, units: list[str], jobs: int):
        self.spool = project.outputs_dir / str(year) / SPOOL_DIR
        shutil.rmtree(self.spool, ignore_errors=True)
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        self.conn = parent
        self.results: dict[str, str | None] = {}
        self.error: str | None = None
        self.done = False
        self.process = ctx.Process(target=validator_main, name="nianbao-batch-validator", daemon=True,
                                   args=(child, str(project.root), int(year), list(units), str(self.spool),
                                         chunk_sizes(len(units), jobs)))
        self.process.start()
        child.close()

    def has(self, unit: str) -> bool:
        return self.done or unit in self.results

    def path(self, unit: str) -> str | None:
        return self.results.get(unit)

    def poll(self, timeout: float = 0.0) -> None:
        """Read what the validator reported (waiting up to ``timeout`` seconds for the first message)."""
        if self.done:
            return
        try:
            while self.conn.poll(timeout):
                timeout = 0.0
                kind, data = self.conn.recv()
                if kind == "done":
                    self.results.update(data)
                else:
                    self.error = data
                    self._end()
                    return
        except (EOFError, OSError):
            self.error = self.error or "validator process ended without reporting"
            self._end()
            return
        if not self.process.is_alive() and not self.conn.poll(0):
            self.error = self.error or f"validator process exited ({self.process.exitcode})"
            self._end()

    def _end(self) -> None:
        self.done = True
        self.process.join(10)
        try:
            self.conn.close()
        except OSError:
            pass

    def close(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)
        self.done = True
        shutil.rmtree(self.spool, ignore_errors=True)
