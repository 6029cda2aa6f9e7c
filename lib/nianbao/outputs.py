"""The files a run writes, declared once: each output format's file name, nbconvert exporter, audience
and dashboard label. The runner, ``verify``, ``bundle`` and the dashboard all read this table.

Two audiences come from one executed notebook:

- the **publication** (``report.html``, ``report.pdf``, ``report.docx``): title, preface, the six
  sections with their tables, 落款 — what an office posts;
- the **evidence** (``evidence.html``, the executed ``report.ipynb``, ``validation.json``):
  validation results, sources, provenance — what an auditor reads. ``evidence.html`` is written on
  every run.

Default formats (``nianbao run`` and ``nianbao batch`` alike) come from the project's
``params/project.yaml``::

    formats: [html, pdf]     # default output formats of this project (default: [html])

Every format a unit has is rendered in the same run or moved aside (see :func:`stale_dir`): a folder
never holds an old ``report.pdf`` beside a new ``report.html``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .registry import Registry

PROJECT_FILE = Path("params") / "project.yaml"
# Tag of the evidence cells and outputs (cell.metadata.tags or output.metadata.tags, as nbconvert's
# TagRemovePreprocessor reads them): left out of the publication, the whole of evidence.html.
EVIDENCE_TAG = "evidence"
FALLBACK_FORMATS = ("html",)


@dataclass(frozen=True)
class OutputFormat:
    name: str  # as given to --formats
    filename: str  # written beside the executed notebook
    exporter: str  # nbconvert exporter (entry point nbconvert.exporters)
    audience: str  # "publication" | "evidence"
    label: str  # link text on the dashboard
    selectable: bool = True  # False: written on every run, not named in --formats
    browser: bool = False  # printed by Chromium (the runner starts it early)
    draws_charts: bool = False  # draws a report's charts with Chromium (only when it has any)


def _from_entry_point(name: str, obj) -> OutputFormat:
    """An entry point in ``nianbao.formats`` names an OutputFormat, or just an nbconvert exporter name
    (then the file is ``report.<name>``, for the publication)."""
    if isinstance(obj, OutputFormat):
        return obj
    return OutputFormat(name, f"report.{name}", str(obj), "publication", name.upper())


# The one registry of output formats (nianbao.registry's shape); outside packages add one with an
# entry point in the group ``nianbao.formats``.
FORMATS = Registry("输出格式", "nianbao.formats", order=("html", "pdf", "docx", "evidence"), load=_from_entry_point)


def register(fmt: OutputFormat) -> None:
    FORMATS.register(fmt.name, fmt)


register(OutputFormat("html", "report.html", "nianbao_html", "publication", "HTML"))
register(OutputFormat("pdf", "report.pdf", "nianbao_pdf", "publication", "PDF", browser=True))
register(OutputFormat("docx", "report.docx", "nianbao_docx", "publication", "Word", draws_charts=True))
register(OutputFormat("evidence", "evidence.html", "nianbao_evidence", "evidence", "校验与来源", selectable=False))


def selectable() -> dict[str, OutputFormat]:
    return {n: f for n, f in FORMATS.items() if f.selectable}


def always() -> tuple[str, ...]:
    return tuple(n for n, f in FORMATS.items() if not f.selectable)


def filenames() -> set[str]:
    """Every file name a format can write (a file of that name beside a manifest must be listed in it)."""
    return {f.filename for f in FORMATS.values()}


def check_formats(formats) -> tuple[str, ...]:
    """The selected formats, in order, without repeats; InputError naming any unknown one."""
    if isinstance(formats, str):
        formats = formats.split(",")
    formats = tuple(dict.fromkeys(str(f).strip().lower() for f in formats if str(f).strip()))
    unknown = [f for f in formats if f not in selectable()]
    if unknown:
        raise InputError(f"未知的输出格式 {', '.join(unknown)}；可用: {', '.join(selectable())}。")
    if not formats:
        raise InputError(f"没有指定输出格式；可用: {', '.join(selectable())}。")
    return formats


def default_formats(project) -> tuple[str, ...]:
    """The project's default formats: ``formats`` in params/project.yaml, else html."""
    path = Path(project.root) / PROJECT_FILE
    if not path.is_file():
        return FALLBACK_FORMATS
    import yaml

    display = project.rel(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{display}: 无法读取项目设置：{str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InputError(f"{display}: 应是“键: 值”的映射，例如 formats: [html, pdf]。")
    unknown = sorted(set(data) - {"formats"})
    if unknown:
        raise InputError(f"{display}: 不认识的设置 {', '.join(map(str, unknown))}；可用: formats。")
    value = data.get("formats")
    if value is None:
        return FALLBACK_FORMATS
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{display}: formats 应是格式名的列表，例如 formats: [html, pdf]；实际是 {value!r}。")
    try:
        return check_formats(value)
    except InputError as exc:
        raise InputError(f"{display}: formats: {exc}") from None


def resolve_formats(project, formats=None) -> tuple[str, ...]:
    """``formats`` as given on the command line, or the project's default when None."""
    return default_formats(project) if formats is None else check_formats(formats)


def stale_dir(project, unit: str, year: int) -> Path:
    """Where an output that no longer matches its folder's reports is moved: outside the folder an
    office uploads, under ``outputs/stale/<year>/<unit>/``."""
    return project.outputs_dir / "stale" / str(year) / unit
