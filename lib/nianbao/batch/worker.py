"""What a batch worker process does: run one unit's report and describe the outcome as plain data.

A worker keeps one warm kernel (:mod:`nianbao.engines`) for all the units it runs, unless the batch
asked for fresh kernels (``--strict-kernels``). Whatever happens to a unit — bad figures, a failing
cell, a crash of the kernel — becomes an outcome record; nothing is raised to the scheduler, so one
unit never stops the others.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

_CONFIG: dict | None = None
_LOG = None
# papermill changes the process's working directory: one unit at a time per process, even on a Dask
# worker started with several threads.
_RUN_LOCK = threading.Lock()


def init_worker(config: dict) -> None:
    """Once per worker process: send its (and its kernels') output to a log file; maybe prewarm.

    ``config``: {"log_dir": str | None, "redirect": bool, "prewarm": {"kernel_name", "cwd"} | None}.
    """
    global _CONFIG, _LOG
    if _CONFIG is not None:
        return
    _CONFIG = dict(config)
    if config.get("print_service"):  # the batch's one browser prints this worker's PDFs
        from ..exporters import printpool

        printpool.connect(config["print_service"])
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bars from libraries inside the worker
    if config.get("redirect"):
        # A multiprocessing worker leaves through os._exit(), which skips atexit: run the atexit
        # handlers (kept kernels, a PDF exporter's browser, …) through multiprocessing's finalizers.
        import atexit
        from multiprocessing import util

        util.Finalize(None, atexit._run_exitfuncs, exitpriority=0)
    log_dir = config.get("log_dir")
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        _LOG = open(Path(log_dir) / f"worker-{os.getpid()}.log", "a", buffering=1, encoding="utf-8")
        if config.get("redirect"):
            # Local worker processes share the terminal with the progress display: keep them off it.
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(_LOG.fileno(), 1)
            os.dup2(_LOG.fileno(), 2)
    if not config.get("strict"):
        from .. import engines

        from .kernelside import VALIDATION_IMPORTS

        engines.configure(stdout=_LOG, stderr=_LOG,
                          without=VALIDATION_IMPORTS if config.get("handed_validation") else ())
        warm = config.get("prewarm")
        if warm:
            # Start the kernel (5+ s of imports in its own process) and meanwhile import what this
            # process needs for every unit: papermill, nbconvert and the exporters.
            pending = engines.prewarm(warm["kernel_name"], warm["cwd"], wait=False)
            _import_worker_side(config.get("formats") or ())
            try:
                pending.result()
            except Exception:  # the first unit will try again and report the problem
                traceback.print_exc()


def _import_worker_side(formats) -> None:
    if "pdf" in formats:
        try:  # start the exporter's browser while the kernel imports (see nianbao.exporters.pdf.prewarm)
            from ..exporters import pdf

            pdf.prewarm()
        except Exception:
            traceback.print_exc()
    try:
        import nbconvert.exporters  # noqa: F401
        import papermill  # noqa: F401

        from .. import runner  # noqa: F401
        from nbconvert.exporters import get_exporter

        for name in runner.FORMAT_EXPORTERS.values():
            try:
                get_exporter(name)
            except Exception:  # e.g. the PDF exporter is not installed: only matters if asked for
                pass
    except Exception:
        traceback.print_exc()


def _validation(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    counts = data.get("counts") or {}
    return {"status_code": data.get("status_code"), "status": data.get("status"),
            "errors": int(counts.get("error", 0)), "warnings": int(counts.get("warning", 0)),
            "not_assessable_rules": int((data.get("assessment") or {}).get("not_assessable_rules", 0))}


def run_unit(job: dict) -> dict:
    """Run one unit. ``job``: root, unit, year, formats, strict, key, config. Returns the outcome record."""
    init_worker(job.get("config") or {})
    with _RUN_LOCK:
        return _run_unit(job)


def _run_unit(job: dict) -> dict:
    from ..errors import ExecutionError, InputError, NianbaoError
    from ..project import Project

    started = time.perf_counter()
    project = Project(Path(job["root"]))
    unit, year = job["unit"], int(job["year"])
    mode = "fresh" if job.get("strict") else "warm"
    rec: dict = {"key": job.get("key"), "kernel_mode": mode, "pid": os.getpid(), "files": {}}
    out_dir = project.output_dir(unit, year)
    try:
        from ..runner import run_report

        if job.get("strict"):
            result = run_report(project, unit, year, job["formats"], kernel_mode="fresh")
        else:
            from ..engines import WARM, hand_validation

            hand_validation(job.get("validation"))
            result = run_report(project, unit, year, job["formats"], engine_name=WARM, kernel_mode="warm")
        rec["outcome"] = "ok"
        rec["files"] = {kind: project.rel(path) for kind, path in result.files.items()}
        rec["validation"] = _validation(out_dir / "validation.json")
    except InputError as exc:
        rec.update(outcome="failed", error_kind="input", error=str(exc))
    except ExecutionError as exc:
        rec.update(outcome="failed", error_kind="execution", error=str(exc))
    except NianbaoError as exc:  # e.g. SetupError: no Chromium for the PDF
        rec.update(outcome="failed", error_kind=type(exc).__name__, error=str(exc))
    except BaseException as exc:  # a crashed kernel, a bug: still only this unit's failure
        if isinstance(exc, KeyboardInterrupt):
            raise
        tail = "".join(traceback.format_exception(exc)[-3:]).strip()
        rec.update(outcome="failed", error_kind="internal", error=f"{type(exc).__name__}: {exc}\n{tail}")
    failed_nb = out_dir / "report.failed.ipynb"
    if rec.get("error_kind") == "execution" and failed_nb.is_file():
        rec["failed_notebook"] = project.rel(failed_nb)
    if mode == "warm" and "nianbao.engines" in sys.modules:
        engines = sys.modules["nianbao.engines"]
        rec["kernel_starts"] = engines.POOL.started
        if engines.LAST_RUN.get("unit") == unit:
            rec["timings"] = {k: v for k, v in engines.LAST_RUN.items() if k != "unit"}
    rec["seconds"] = round(time.perf_counter() - started, 3)
    rec["finished"] = finished_now()
    return rec


def finished_now() -> str:
    """An outcome record's ``finished``: local time to the millisecond, with its UTC offset."""
    now = time.time()
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
            + time.strftime("%z", time.localtime(now)))
