"""``outputs/<year>/index.html``: every unit of a batch with its status, counts and report links.

Self-contained like the reports (inline CSS, no script, no external request); every name is escaped
(Jinja autoescape); links are relative to ``outputs/<year>/`` so the folder can be copied or served as
is. Statuses: 通过 / 警告 / 不通过 (the report's validation), 失败 (the run failed), 跳过 (not run this
time: its existing report, whose status is shown beside, was kept).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from . import __version__, atomic
from .outputs import FORMATS
from .project import Project

TEMPLATE = Path(__file__).resolve().parent / "templates" / "dashboard.html.j2"
FILENAME = "index.html"
# Every output format (nianbao.outputs), then the notebook and the evidence files.
LINK_KINDS = tuple((name, f.label) for name, f in FORMATS.items()) + (
    ("ipynb", "笔记本"), ("failed_ipynb", "失败的笔记本"), ("validation", "校验结果"))


def _links(project: Project, base: Path, row) -> dict[str, str]:
    files = dict(row.files or {})
    links = {}
    mapping = {name: files.get(name) for name in FORMATS} | {
        "ipynb": files.get("ipynb"), "validation": files.get("validation.json"), "failed_ipynb": row.failed_notebook}
    for kind, rel in mapping.items():
        if rel and (project.root / rel).is_file():
            links[kind] = Path(os.path.relpath(project.root / rel, base)).as_posix()
    return links


def render_dashboard(project: Project, year: int, rows, summary=None) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from .batch.run import STATUS_LABELS

    base = project.outputs_dir / str(year)
    env = Environment(loader=FileSystemLoader(str(TEMPLATE.parent)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=False, lstrip_blocks=False)
    view = []
    for r in rows:
        r.links = _links(project, base, r)
        view.append(r)
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for r in rows:
        counts[r.status] += 1
    return env.get_template(TEMPLATE.name).render(
        year=year, rows=view, labels=STATUS_LABELS, counts=counts, link_kinds=LINK_KINDS, version=__version__,
        ran=len(summary.ran) if summary else 0, skipped=len(summary.skipped) if summary else 0,
        executor=("Dask" if summary and summary.executor == "dask" else "本机"),
        jobs=summary.jobs if summary else 1,
        kernel_label=("每个单位新内核" if summary and summary.kernel_mode == "fresh" else "常驻内核"),
        seconds=summary.seconds if summary else 0.0, generated=time.strftime("%Y-%m-%d %H:%M:%S"),
    )


def write_dashboard(project: Project, year: int, rows, summary=None) -> Path:
    target = project.outputs_dir / str(year) / FILENAME
    atomic.write_text(target, render_dashboard(project, year, rows, summary))
    return target
