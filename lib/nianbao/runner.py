"""Executing the report notebook for one unit-year with papermill and exporting it with nbconvert.

Inputs are checked before any kernel starts, so bad figures fail fast and write nothing. Outputs are
staged beside their targets and moved into place only when every format succeeded; a failed run
leaves the previous good report untouched and keeps its partial notebook as ``report.failed.ipynb``.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import atomic, manifest, outlock, outputs, provenance
from .errors import ExecutionError, InputError
from .project import Project

# The registry of output formats (nianbao.outputs.FORMATS: name → file name, nbconvert exporter,
# audience); outside packages add one with an entry point in the group ``nianbao.formats``.
FORMATS = outputs.FORMATS
FORMAT_EXPORTERS = {name: f.exporter for name, f in FORMATS.items()}
DEFAULT_FORMATS = outputs.FALLBACK_FORMATS  # a project's own default: params/project.yaml (outputs.default_formats)
KERNEL_NAME = "python3"
# The kernel listens on loopback only; its start-up warnings (e.g. "running over TCP without
# encryption") are not for the people writing reports. Errors still show.
KERNEL_ARGS = ("--IPKernelApp.log_level=ERROR",)

# Side outputs extracted from the executed notebook and written beside the report:
# file name → function(notebook node) -> bytes, or None when the notebook has nothing for it.
SIDE_OUTPUTS: dict = {}


def register_side_output(filename: str, extract) -> None:
    SIDE_OUTPUTS[filename] = extract


# validation.json: the validation result the report shows (light import: no Great Expectations here).
from .validation.evidence import FILENAME as _VALIDATION_JSON, extract_validation_json  # noqa: E402

register_side_output(_VALIDATION_JSON, extract_validation_json)


@dataclass
class RunResult:
    unit: str
    year: int
    output_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    stale: dict[str, Path] = field(default_factory=dict)  # file name → where the old file was moved


def preflight(project: Project, unit: str, year: int):
    """Load the unit registry and figures strictly; raises InputError before anything runs."""
    registry = project.units()
    unit_obj = registry.get(unit)
    fig = project.figures_file(unit, year)
    if not fig.exists() and not unit_obj.rollup:
        raise InputError(
            f"{project.rel(fig)}: 找不到 {unit_obj.name} {year} 年的数据文件。"
            f"可用 `nianbao template --unit {unit} --year {year} > {project.rel(fig)}` 生成空白模板后填写。"
        )
    # Everything the notebook will read, checked here so a defect stops the run before a kernel starts:
    # figures (a roll-up unit's are its children's sums), the narrative and its placeholders, prior year.
    from .report import load_report

    report = load_report(project, unit, year, registry=registry)
    if not project.report_notebook.is_file():
        raise InputError(f"{project.rel(project.report_notebook)}: 项目中没有报告笔记本。"
                         "请从 nianbao 仓库复制 notebooks/annual_report.ipynb 到项目的 notebooks/ 下。")
    return unit_obj, report.figures


def parameters_for(project: Project, unit: str, year: int) -> dict:
    """Notebook parameters: ASCII only and relative paths, so executed notebooks stay readable and portable."""
    return {"unit": unit, "year": int(year),
            "project_dir": os.path.relpath(project.root, project.notebooks_dir)}


def execute(project: Project, unit: str, year: int, output_nb: Path, *, kernel_name: str = KERNEL_NAME,
            engine_name: str | None = None, extra_metadata: dict | None = None) -> None:
    """Run the report notebook into ``output_nb`` (papermill)."""
    from .kernelcheck import check_loopback, kernel_start_error

    check_loopback()  # milliseconds, before papermill's imports: a kernel that cannot start is said at once
    import nbformat
    import papermill as pm
    from contextlib import nullcontext

    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    # a fresh kernel's connection file goes to a folder of its own, removed afterwards (a kept, warm
    # kernel outlives one report: its engine owns its files)
    runtime = outlock.kernel_runtime() if engine_name in (None, "nbclient") else nullcontext()
    try:
        with runtime:
            pm.execute_notebook(
                str(project.report_notebook), str(output_nb),
                parameters=parameters_for(project, unit, year),
                kernel_name=kernel_name, engine_name=engine_name, cwd=str(project.notebooks_dir),
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                extra_arguments=list(KERNEL_ARGS),
            )
        failure = None
    except PapermillExecutionError as exc:
        failure = exc
    except DeadKernelError as exc:
        raise ExecutionError(f"报告内核在执行中意外退出（{exc}）。请重试；若反复出现，请检查本机内存。") from None
    except OSError:
        raise  # writing the notebook (a full disk …): atomic.staged turns it into a WriteError
    except (NoSuchKernel, RuntimeError, TimeoutError) as exc:  # no such kernel; died or silent at start
        raise kernel_start_error(exc, kernel_name) from None
    nb = nbformat.read(output_nb, as_version=4)
    meta = nb.metadata.setdefault("papermill", {})
    meta["input_path"] = project.rel(project.report_notebook)
    meta["output_path"] = project.rel(project.output_dir(unit, year) / "report.ipynb")
    if extra_metadata:
        nb.metadata.setdefault("nianbao", {}).update(extra_metadata)
    nb = provenance.stamp(manifest.strip_run_timings(nb), project, unit, year)  # drop per-cell timings, record provenance
    nbformat.write(nb, output_nb)
    if failure is not None:
        raise ExecutionError(
            f"报告笔记本第 {failure.exec_count} 个单元执行失败：{failure.ename}: {failure.evalue}"
        ) from failure


_EXPORTERS = threading.local()  # per thread: exporter name → instance (its template compiled once)


def _exporter(name: str):
    """The process's (thread's) instance of nbconvert exporter ``name``. An exporter is reusable: what
    varies per notebook lives in the notebook and the resources of each call; building one costs
    ~40 ms (traitlets configuration, preprocessors) and compiling its Jinja template ~60 ms more, paid
    once per worker instead of once per report."""
    cache = getattr(_EXPORTERS, "by_name", None)
    if cache is None:
        cache = _EXPORTERS.by_name = {}
    exporter = cache.get(name)
    if exporter is None:
        from nbconvert.exporters import get_exporter

        exporter = cache[name] = get_exporter(name)()
    return exporter


def _report_html_split(exporter):
    """(report_html, finish_html) when ``exporter`` makes its output from the report's HTML page."""
    from .exporters.html import ReportHTMLExporter

    if (isinstance(exporter, ReportHTMLExporter) and exporter.renders_report_html
            and type(exporter).from_notebook_node is ReportHTMLExporter.from_notebook_node):
        return exporter.report_html, exporter.finish_html
    return None


def export(notebook, fmt: str, *, shared: dict | None = None) -> bytes:
    """``notebook`` (a path or a read notebook) in format ``fmt``. ``shared``: a dict kept across the
    formats of one notebook, in which the report's HTML page is rendered once for every format made
    from it (HTML, PDF)."""
    import nbformat

    exporter = _exporter(FORMATS.get(fmt).exporter)
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(str(notebook), as_version=4)
    split = _report_html_split(exporter)
    if split is None:
        body, _ = exporter.from_notebook_node(nb)
    else:
        report_html, finish = split
        if shared is not None and "report_html" in shared:
            html, resources = shared["report_html"]
            resources = dict(resources)
        else:
            html, resources = report_html(nb)
            if shared is not None:
                shared["report_html"] = (html, dict(resources))
        body, _ = finish(html, nb, resources)
    return body if isinstance(body, bytes) else body.encode("utf-8")


def move_stale(project: Project, unit: str, year: int, keep) -> dict[str, Path]:
    """Move every output file of the unit-year's folder that this run does not write (e.g. the PDF of
    an earlier HTML+PDF run) to :func:`nianbao.outputs.stale_dir`, so that no report beside the new
    ones shows old figures. Returns file name → new place."""
    out_dir = project.output_dir(unit, year)
    moved = {}
    for name in sorted(outputs.filenames() - set(keep)):
        old = out_dir / name
        if old.is_file():
            dest = outputs.stale_dir(project, unit, year) / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, dest)
            moved[name] = dest
    return moved


def run_report(project: Project, unit: str, year: int, formats=None, *,
               kernel_name: str = KERNEL_NAME, engine_name: str | None = None,
               kernel_mode: str | None = None) -> RunResult:
    """``kernel_mode`` ("fresh" | "warm") is recorded as notebook metadata ``nianbao.kernel_mode``;
    by default "fresh" with papermill's own engine, else whatever the engine records."""
    formats = outputs.resolve_formats(project, formats) + outputs.always()
    unit_obj, figures = preflight(project, unit, year)
    out_dir = atomic.make_dirs(project.output_dir(unit, year))
    with outlock.unit_lock(out_dir):  # one writer per report; leftovers of killed runs removed
        return _run_locked(project, unit, year, formats, unit_obj, figures, out_dir, kernel_name=kernel_name,
                           engine_name=engine_name, kernel_mode=kernel_mode)


def _run_locked(project, unit, year, formats, unit_obj, figures, out_dir, *, kernel_name, engine_name,
                kernel_mode) -> RunResult:
    result = RunResult(unit=unit, year=year, output_dir=out_dir)
    nb_target = out_dir / "report.ipynb"
    failed_nb = out_dir / "report.failed.ipynb"
    side = list(SIDE_OUTPUTS.items())
    targets = ([nb_target] + [out_dir / outputs.FORMATS[fmt].filename for fmt in formats]
               + [out_dir / name for name, _ in side])
    targets.append(out_dir / manifest.MANIFEST_NAME)  # last: it describes the files moved before it
    meta = {"unit": unit, "year": int(year), "form": figures.form.id,
            "title": figures.form.report_title(unit_obj.name, year)}
    if kernel_mode or engine_name in (None, "nbclient"):
        meta["kernel_mode"] = kernel_mode or "fresh"
    if any(outputs.FORMATS[f].browser for f in formats):  # start the browser while the kernel runs: the first PDF then costs a warm one
        from .exporters.pdf import prewarm

        prewarm()
    with atomic.staged(targets) as temps:
        try:
            execute(project, unit, year, temps[0], kernel_name=kernel_name, engine_name=engine_name,
                    extra_metadata=meta)
        except ExecutionError:
            os.replace(temps[0], failed_nb)
            temps[0].touch()  # staged() removes its temps on failure
            raise
        import nbformat

        executed = nbformat.read(temps[0], as_version=4)  # read once: every format and side output from it
        shared: dict = {}
        for fmt, tmp in zip(formats, temps[1:]):
            tmp.write_bytes(export(executed, fmt, shared=shared))
        if side:
            for (name, extract), tmp in zip(side, temps[1 + len(formats):]):
                data = extract(executed)
                if data is None:
                    raise ExecutionError(f"报告笔记本没有产生 {name} 所需的内容；请确认笔记本未被删减。")
                tmp.write_bytes(data)
        manifest.seal(project, unit, year, dict(zip(targets, temps)))
        # The old manifest is gone; before the new files move in, move out any old one they do not replace.
        result.stale = move_stale(project, unit, year, {t.name for t in targets})
    failed_nb.unlink(missing_ok=True)
    result.files = ({"ipynb": nb_target} | {fmt: out_dir / outputs.FORMATS[fmt].filename for fmt in formats}
                    | {name: out_dir / name for name, _ in side} | {"manifest": targets[-1]})
    return result
