"""The batch: plan → skip what is unchanged → run the rest in workers (children before roll-ups) →
record state → dashboard → summary.

Only when at least one unit must run are worker processes (and so papermill, nbconvert, kernels)
started; a batch where every unit is unchanged reads inputs, hashes them and rewrites the dashboard.
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..project import Project
from .plan import Job, KeyMaker, jobs_for, load_registry, select
from .state import BatchState

# Row statuses: of a report (passed, warning, failed = validation), of a run (error), or skipped.
STATUS_LABELS = {"passed": "通过", "warning": "警告", "failed": "不通过", "error": "失败", "skipped": "跳过",
                 "absent": "未报送"}
STATE_SAVE_EVERY = 5.0  # seconds between state writes during a batch


@dataclass
class Row:
    """One unit's line in the summary and the dashboard."""

    unit: str
    name: str
    status: str  # key of STATUS_LABELS
    report_status: str | None = None  # for a skipped unit: the status of the report it kept
    errors: int | None = None
    warnings: int | None = None
    seconds: float | None = None
    message: str = ""
    files: dict = field(default_factory=dict)  # kind -> project-relative path
    failed_notebook: str | None = None
    error_kind: str | None = None  # input | execution | internal
    ran: bool = False

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class BatchResult:
    project: Project
    year: int
    rows: list[Row]
    ran: list[str]
    failed: list[str]
    skipped: list[str]
    seconds: float
    executor: str
    jobs: int
    kernel_mode: str
    dashboard: Path | None = None
    manifest: Path | None = None  # outputs/<year>/manifest.json
    interrupted: bool = False  # Ctrl-C: what finished is recorded, the rest did not run
    not_run: list[str] = field(default_factory=list)  # units to run that an interruption left out

    @property
    def exit_code(self) -> int:
        """0 when every unit run this time produced its report; 3 when the failures are all bad inputs
        (InputError's code), else 5 (a notebook or the machinery failed: ExecutionError's code);
        130 when the batch was interrupted."""
        if self.interrupted:
            return 130
        if not self.failed:
            return 0
        kinds = {r.error_kind for r in self.rows if r.unit in self.failed}
        return 3 if kinds == {"input"} else 5

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUS_LABELS, 0)
        for r in self.rows:
            out[r.status] += 1
        return out


def _validation_status(v: dict | None) -> str:
    code = (v or {}).get("status_code")
    return code if code in ("passed", "warning", "failed") else "passed"


def _row_from_record(unit: str, name: str, rec: dict | None, *, ran: bool) -> Row:
    if rec is None:
        return Row(unit=unit, name=name, status="skipped", message="尚未运行")
    v = rec.get("validation") or {}
    if rec.get("outcome") == "ok":
        status = _validation_status(v)
        row = Row(unit=unit, name=name, status=status if ran else "skipped", report_status=status,
                  errors=v.get("errors"), warnings=v.get("warnings"), seconds=rec.get("seconds"),
                  files=dict(rec.get("files", {})), ran=ran)
        if not ran:
            row.message = "输入未变更，沿用已有报告"
        if not v:
            row.message = (row.message + "；" if row.message else "") + "没有 validation.json"
        if v.get("not_assessable_rules"):  # never a plain 通过 when rules could not be checked
            from ..validation.result import not_assessable_text

            row.message = (row.message + "；" if row.message else "") + not_assessable_text(v["not_assessable_rules"])
        return row
    return Row(unit=unit, name=name, status="error" if ran else "skipped", report_status="error",
               seconds=rec.get("seconds"), message=rec.get("error", ""), failed_notebook=rec.get("failed_notebook"),
               error_kind=rec.get("error_kind"), ran=ran)


def _outputs_present(project: Project, rec: dict) -> bool:
    files = rec.get("files") or {}
    return bool(files) and all((project.root / rel).is_file() for rel in files.values())


class Progress:
    """A tqdm bar on a terminal; otherwise one plain line per finished unit (log-friendly)."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.bar = None
        self.enabled = enabled and total > 0
        if self.enabled and getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=self.stream, unit="单位", dynamic_ncols=True, leave=True)

    def update(self, row: Row) -> None:
        self.done += 1
        if not self.enabled:
            return
        text = f"{row.unit} {row.label}"
        if self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)
            if row.status == "error":
                self.bar.write(f"失败 {row.unit}: {row.message.splitlines()[0] if row.message else ''}", file=self.stream)
        else:
            width = len(str(self.total))
            secs = f" {row.seconds:.1f}s" if row.seconds is not None else ""
            print(f"[{self.done:>{width}}/{self.total}] {text}{secs}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_batch(project: Project, year: int, *, units: list[str] | None = None, jobs: int | None = None,
              formats=None, force: bool = False, retry_failed: bool = False, strict_kernels: bool = False,
              executor: str = "local", scheduler: str | None = None, progress: bool = True,
              stream=None, dashboard: bool = True, unit_timeout: float | None = None,
              print_pages: int | None = None) -> BatchResult:
    """Run the batch. ``unit_timeout``: seconds one unit may take (default :data:`.pool.DEFAULT_UNIT_TIMEOUT`;
    0 or a negative number: no limit). ``print_pages``: reports the batch's one browser prints at once
    (default :data:`nianbao.exporters.printpool.DEFAULT_PAGES`, at most ``jobs``; the pages share one
    renderer process, so memory hardly grows with them).

    The state file, the dashboard and the year manifest are written at the end of every batch — also
    when it is interrupted (Ctrl-C: the result's ``interrupted`` is set, exit code 130) and when the
    scheduler itself fails (they are written, then the error propagates)."""
    started = time.perf_counter()
    year = int(year)
    from ..outputs import resolve_formats

    formats = resolve_formats(project, formats)  # None: the project's default, as for `nianbao run`
    registry = load_registry(project)
    names = {u.id: u.name for u in registry}
    state = BatchState.load(project, year)
    ids = select(registry, units)
    if retry_failed:
        if not state.exists:
            raise InputError(f"{project.rel(state.path)} 不存在：还没有 {year} 年的批量运行记录，无从重试。"
                             f"请先运行 nianbao batch --year {year}。")
        failed_before = set(state.failed())
        ids = [u for u in ids if u in failed_before]
    mode = "fresh" if strict_kernels else "warm"
    keys = KeyMaker(project, registry, year, formats, mode)
    # A unit with no figures file for the year (and not compiled from its children) has not reported:
    # 未报送 — listed, never run, never a failure.
    absent = [u for u in ids if not registry.get(u).rollup and not project.figures_file(u, year).exists()]
    ids = [u for u in ids if u not in absent]
    planned = jobs_for(project, registry, ids, keys)
    to_run: list[Job] = []
    skipped: list[str] = []
    for job in planned:
        prev = state.units.get(job.unit)
        if (not force and not retry_failed and prev and prev.get("outcome") == "ok" and prev.get("key") == job.key
                and _outputs_present(project, prev)):
            skipped.append(job.unit)
        else:
            to_run.append(job)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(to_run) or 1))
    state.last_run = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "formats": list(formats),
                      "kernel_mode": mode, "executor": executor, "jobs": jobs, "units": len(planned),
                      "to_run": len(to_run)}
    if unit_timeout is None:
        from .pool import DEFAULT_UNIT_TIMEOUT

        unit_timeout = DEFAULT_UNIT_TIMEOUT
    state.last_run["unit_timeout"] = unit_timeout if unit_timeout and unit_timeout > 0 else None
    ran_rows: dict[str, Row] = {}
    interrupted = False
    try:
        if to_run:
            _execute(project, year, to_run, state, names, ran_rows, jobs=jobs, formats=formats,
                     strict=strict_kernels, executor=executor, scheduler=scheduler, progress=progress,
                     stream=stream, unit_timeout=unit_timeout, print_pages=print_pages)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        # Whatever happened above (finished, Ctrl-C, a failure of the scheduler itself): record what
        # finished and rewrite the dashboard and the year manifest from it.
        result = _finish(project, year, registry, planned, to_run, skipped, state, ran_rows, started,
                         executor=executor, jobs=jobs, mode=mode, dashboard=dashboard, interrupted=interrupted,
                         absent=absent)
    return result


def _finish(project: Project, year: int, registry, planned, to_run, skipped, state: BatchState, ran_rows,
            started: float, *, executor: str, jobs: int, mode: str, dashboard: bool, interrupted: bool,
            absent: list[str] = ()) -> BatchResult:
    state.last_run["seconds"] = round(time.perf_counter() - started, 3)
    if interrupted:
        state.last_run["interrupted"] = True
    state.save()
    selected = {j.unit for j in planned}
    not_run = [j.unit for j in to_run if j.unit not in ran_rows]
    rows = []
    for u in registry:
        if u.id in ran_rows:
            rows.append(ran_rows[u.id])
        elif u.id in absent:
            rows.append(Row(unit=u.id, name=u.name, status="absent",
                            message=f"没有 {project.rel(project.figures_file(u.id, year))}（未报送）"))
        else:
            row = _row_from_record(u.id, u.name, state.units.get(u.id), ran=False)
            if u.id in not_run:
                row.message = "批量运行被中断，本单位未运行" + ("，沿用已有报告" if row.report_status not in (None, "error")
                                                            else "")
            elif u.id not in selected and row.message == "输入未变更，沿用已有报告":
                row.message = "本次未选择，沿用已有报告"
            rows.append(row)
    failed = [r.unit for r in rows if r.ran and r.status == "error"]
    result = BatchResult(project=project, year=year, rows=rows, ran=[j.unit for j in to_run if j.unit in ran_rows],
                         failed=failed, skipped=skipped, seconds=time.perf_counter() - started, executor=executor,
                         jobs=jobs, kernel_mode=mode, interrupted=interrupted, not_run=not_run)
    if dashboard:
        from ..dashboard import write_dashboard

        result.dashboard = write_dashboard(project, year, rows, summary=result)
    from ..manifest import write_year_manifest  # after the index page: the year manifest lists it too

    result.manifest = write_year_manifest(project, year, [r.unit for r in rows])
    result.seconds = time.perf_counter() - started
    return result


def _execute(project: Project, year: int, to_run: list[Job], state: BatchState, names: dict, rows: dict[str, Row], *,
             jobs: int, formats, strict: bool, executor: str, scheduler: str | None, progress: bool, stream,
             unit_timeout: float | None, print_pages: int | None = None) -> None:
    """Run ``to_run``, filling ``rows`` (and the state) as units finish — so that an interruption
    leaves both holding everything that finished."""
    from .executors import make_executor

    log_dir = project.outputs_dir / str(year) / ".batch-logs"
    if log_dir.is_dir():
        for old in log_dir.glob("worker-*.log"):
            old.unlink(missing_ok=True)
    config = {"log_dir": str(log_dir), "strict": strict, "formats": list(formats),
              "prewarm": None if strict else {"kernel_name": "python3", "cwd": str(project.notebooks_dir)},
              # warm kernels get their unit's validation from the batch's validator (see .validator)
              "handed_validation": not strict}
    base = {"root": str(project.root), "year": year, "formats": list(formats), "strict": strict, "config": config}
    waiting = {j.unit: j for j in to_run}
    in_batch = set(waiting)
    finished: set[str] = set()
    bar = Progress(len(to_run), stream=stream, enabled=progress)
    _prepare_finish_in_background(project)
    ex = None
    validator = None
    printer = None
    running: dict = {}
    try:
        if not strict:
            from .validator import Validator

            validator = Validator(project, year, [j.unit for j in to_run], jobs)
        from ..outputs import FORMATS

        if executor == "local" and any(FORMATS[f].browser or FORMATS[f].draws_charts for f in formats):
            from ..exporters.printpool import DEFAULT_PAGES

            printer = _print_service(max(1, min(jobs, print_pages or DEFAULT_PAGES)))
            if printer is not None:
                config["print_service"] = printer.config
        ex = make_executor(executor, jobs, config, scheduler, unit_timeout)
        while waiting or running:
            if validator is not None:
                validator.poll(0.0 if running else 0.5)
            for uid in [u for u, j in waiting.items() if all(d in finished or d not in in_batch for d in j.deps)
                        and (validator is None or validator.has(u))]:
                job = waiting.pop(uid)
                handed = {"validation": validator.path(uid)} if validator is not None else {}
                running[ex.submit({**base, "unit": uid, "key": job.key, **handed})] = job
            if not running:
                if validator is not None and not validator.done:
                    continue  # waiting for the first validation results
                raise InputError("批量运行无法继续：剩余单位互相依赖。")  # pragma: no cover - refused by the plan
            pending = validator is not None and not validator.done
            for fut in ex.wait_any(list(running), timeout=0.2 if pending else None):
                job = running.pop(fut)
                try:
                    rec = fut.result()
                except Exception as exc:  # pragma: no cover - the executors turn a lost worker into a record
                    rec = {"key": job.key, "outcome": "failed", "error_kind": "internal",
                           "error": f"工作进程异常退出：{type(exc).__name__}: {exc}", "files": {}}
                state.record(job.unit, rec)
                state.save(every=STATE_SAVE_EVERY)
                finished.add(job.unit)
                row = _row_from_record(job.unit, names.get(job.unit, job.unit), rec, ran=True)
                rows[job.unit] = row
                bar.update(row)
    except BaseException:
        if ex is not None:
            ex.close(cancel=True)
        raise
    finally:
        bar.close()
        if validator is not None:
            validator.close()
        if printer is not None:
            printer.close()
            state.last_run["print_service"] = {"browsers": printer.launches, "pages": printer.size,
                                               "printed": printer.printed, "charts_drawn": printer.drawn}
    ex.close()


def _prepare_finish_in_background(project: Project) -> None:
    """While the workers run, import what the batch's last step needs — the dashboard and its workbook
    writer, the form packs — so that less is left to do after the last unit (at 60 units the step
    after the last unit was ~0.5 s, most of it imports). Best effort: any problem shows up, with its
    message, when the step itself runs."""
    import threading

    def warm():
        try:
            from .. import dashboard  # noqa: F401
            from ..forms import available

            available()
            import openpyxl  # noqa: F401
        except Exception:  # noqa: BLE001
            pass

    threading.Thread(target=warm, name="nianbao-batch-prepare-finish", daemon=True).start()


def _print_service(pages: int):
    """One Chromium with ``pages`` pages for the whole batch, or None when it cannot start (each
    worker then reports the missing browser or font itself, with the command to install it)."""
    from ..errors import SetupError
    from ..exporters.printpool import PrintService

    try:
        return PrintService(pages=pages)
    except SetupError:
        return None
