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
import os
import pickle
import shutil
from pathlib import Path

from ..validation.handed import PICKLE_SCHEMA, SPOOL_DIR, chunk_sizes, current_inputs


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


def validate_into(project, year: int, units: list[str], spool: Path, *, chunks=None, report=None) -> None:
    """Validate ``units`` and write one pickle per unit into ``spool``.

    ``chunks``: sizes of successive validation calls (default: all at once); ``report(done)`` is
    called after each call with {unit: path or None} (None: the unit's inputs did not load — its run
    reports why).
    """
    from ..errors import NianbaoError
    from ..report import load_report
    from ..validation.core import context_from_report, validate_contexts

    registry = project.units()
    spool.mkdir(parents=True, exist_ok=True)
    sizes = list(chunks or [len(units)])
    start = 0
    while start < len(units):
        size = sizes.pop(0) if sizes else len(units) - start
        part = units[start:start + size]
        start += len(part)
        done: dict[str, str | None] = {}
        loaded = []
        for uid in part:
            try:
                before = current_inputs(project, registry, uid, year)
                rep = load_report(project, uid, year, registry=registry)
                ctx = context_from_report(rep)
            except NianbaoError:
                done[uid] = None
                continue
            loaded.append((uid, before, ctx))
        results = validate_contexts([c for _, _, c in loaded]) if loaded else []
        for (uid, before, ctx), result in zip(loaded, results):
            if current_inputs(project, registry, uid, year) != before:  # changed while we read it
                done[uid] = None
                continue
            volatile = {**result.volatile, "validated_by": "batch", "units_in_call": len(loaded)}
            from dataclasses import replace

            payload = {"schema": PICKLE_SCHEMA, "unit": uid, "year": int(year), "inputs": before,
                       "result": replace(result, volatile=volatile)}
            path = spool / f"{uid}.pickle"
            tmp = path.with_name(path.name + f".{os.getpid()}.partial")
            tmp.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
            done[uid] = str(path)
        if report is not None:
            report(done)


def validator_main(conn, root: str, year: int, units: list[str], spool: str, chunks) -> None:
    """Entry point of the batch's validator process: messages ("done", {unit: path|None}) then ("end",)."""
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch handles Ctrl-C and stops this process
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    from ..project import Project

    try:
        validate_into(Project(Path(root)), year, units, Path(spool), chunks=chunks,
                      report=lambda done: conn.send(("done", done)))
        conn.send(("end", None))
    except BaseException:  # the units then validate in their kernels, as in a single run
        conn.send(("end", traceback.format_exc(limit=5)))
    finally:
        conn.close()
