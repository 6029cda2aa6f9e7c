"""``manifest.json``: what a run produced and what it was made from, by content hash.

One manifest sits beside each unit-year's outputs (``outputs/<year>/<unit>/manifest.json``) and is
written as part of the same atomic output set as the files it describes; the batch adds one per year
(:func:`write_year_manifest`). ``nianbao verify`` checks files against them.

Fields that legitimately change from run to run are declared once, in :data:`VOLATILE_FIELDS`; the
runner strips the ones it can (per-cell timings) and the verifier ignores the rest. Nothing else in an
executed notebook or its HTML may differ between two runs on the same inputs.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path

from . import __version__, atomic
from .errors import InputError
from .inputs import sha256_file
from .project import Project

MANIFEST_NAME = "manifest.json"
UNIT_KIND = "nianbao-report-manifest"
YEAR_KIND = "nianbao-year-manifest"
SCHEMA = 1

# Volatile fields are JSON Pointers (RFC 6901: "/" separates keys, "~1" stands for "/" in a key) where
# "*" means "every item of this list"; for the PDF they are keys of its document information and trailer.
VALIDATION_MIME = "application/vnd.nianbao.validation+json"
VALIDATION_RUN_MIME = "application/vnd.nianbao.validation-run+json"  # nianbao.validation.handed.RUN_MIME
# What the Great Expectations run a unit was validated in looked like as a whole: how many units it
# held and its totals over all of them (the unit's own counts sit beside them and are not volatile).
GX_RUN_FIELDS = ("/checks/form-rules/evidence/batch_units",
                 "/checks/form-rules/evidence/suites/*/expectations/*/gx_batch_result")
NOTEBOOK_VOLATILE = (
    # When the run started and ended: kept in the executed notebook as evidence, ignored when comparing.
    "/metadata/papermill/start_time",
    "/metadata/papermill/end_time",
    "/metadata/papermill/duration",
    # Per-cell timings (kernel message timestamps, papermill's per-cell clock): removed by the runner.
    "/cells/*/metadata/execution",
    "/cells/*/metadata/papermill/start_time",
    "/cells/*/metadata/papermill/end_time",
    "/cells/*/metadata/papermill/duration",
    # Execution counters: 1..n in a fresh kernel, but a warm kernel may keep counting across reports.
    "/cells/*/execution_count",
    "/cells/*/outputs/*/execution_count",
    # The validation record's own timing (when, how long), shown in the notebook as in validation.json.
    "/cells/*/outputs/*/data/" + VALIDATION_MIME.replace("~", "~0").replace("/", "~1") + "/volatile",
    # Which validation run produced the result the report shows: the batch's run over the whole year or
    # the report kernel's own (with when and how long). The findings are the same either way; only this
    # record of where they were computed differs between a batch and `nianbao run` on the same inputs.
    "/cells/*/outputs/*/data/" + VALIDATION_RUN_MIME.replace("~", "~0").replace("/", "~1"),
    # … and, in the result itself, the size and totals of the Great Expectations run it shared (1 unit
    # in a single run, the validator's call in a batch).
    *("/cells/*/outputs/*/data/" + VALIDATION_MIME.replace("~", "~0").replace("/", "~1") + f for f in GX_RUN_FIELDS),
)
VOLATILE_FIELDS: dict[str, tuple[str, ...]] = {
    "report.ipynb": NOTEBOOK_VOLATILE,
    "validation.json": ("/volatile", *GX_RUN_FIELDS),
    # Stamped by the browser at print time; the PDF's text is compared instead of its bytes.
    "report.pdf": ("/Info/CreationDate", "/Info/ModDate", "/ID"),
}
# Volatile notebook fields the runner removes outright, so executed notebooks do not carry them at all.
STRIPPED_AT_RUN = tuple(f for f in NOTEBOOK_VOLATILE if f.startswith("/cells/*/metadata/"))


# ---------------------------------------------------------------------------------------------------
# Hashing


def file_record(path: Path) -> dict:
    """{"sha256", "size"} of a file, read once."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return {"sha256": h.hexdigest(), "size": size}


def dumps(data: dict) -> bytes:
    """Canonical JSON bytes (sorted keys, UTF-8, trailing newline): equal data, equal bytes."""
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# Normalisation (shared by the runner, which strips, and the verifier, which compares)


def pointer_parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def _drop(node, parts: list[str]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = node if isinstance(node, list) else []
    elif isinstance(node, dict) and head in node:
        if not rest:
            del node[head]
            return
        items = [node[head]]
    else:
        return
    for item in items:
        if rest:
            _drop(item, rest)


def without_fields(nb: dict, fields) -> dict:
    """A copy of ``nb`` (JSON data: a notebook, a dict or NotebookNode) without the given fields."""
    out = copy.deepcopy(nb)
    for f in fields:
        _drop(out, pointer_parts(f))
    return out


INJECTED_CELL_ID = "injected-parameters"


def strip_run_timings(nb: dict) -> dict:
    """What the runner applies to every executed notebook: drop per-cell timing metadata, and give the
    cell papermill inserts (which it names with a random id) a fixed id."""
    out = without_fields(nb, STRIPPED_AT_RUN)
    for cell in out.get("cells", []):
        if INJECTED_CELL_ID in (cell.get("metadata", {}).get("tags") or []) and "id" in cell:
            cell["id"] = INJECTED_CELL_ID
    return out


def normalise_notebook(nb: dict, *, environment: bool = False) -> dict:
    """``nb`` without its volatile fields, ready to compare. ``environment=True`` also masks the
    software-environment part of the provenance (for comparing runs made on different machines)."""
    out = without_fields(nb, NOTEBOOK_VOLATILE)
    if environment:
        from .provenance import mask_environment_in_notebook

        out = mask_environment_in_notebook(out)
    return out


def normalise_html(html: str, *, environment: bool = False) -> str:
    if environment:
        from .provenance import mask_environment_in_html

        return mask_environment_in_html(html)
    return html


_PDF_STAMPS = re.compile(rb"/(CreationDate|ModDate)\s*\((?:[^()\\]|\\.)*\)|/ID\s*\[[^\]]*\]")


def normalise_pdf_bytes(data: bytes) -> bytes:
    """PDF bytes with print-time stamps blanked (same length is not kept; for comparison only)."""
    return _PDF_STAMPS.sub(lambda m: b"/" + (m.group(1) or b"ID") + b" <volatile>", data)


def normalise_json(name: str, data):
    """JSON output ``name`` (e.g. validation.json) without its declared volatile fields."""
    return without_fields(data, VOLATILE_FIELDS.get(name, ()))


def normalise_pdf_text(text: str, *, environment: bool = False) -> str:
    """Extracted PDF text, NFKC-normalised (PDF fonts map some CJK characters to radicals); with
    ``environment=True`` everything from the appendix's software-environment heading on is masked."""
    import unicodedata

    from .provenance import ENV_HEADING, MASK

    text = unicodedata.normalize("NFKC", text)
    if environment and ENV_HEADING in text:
        text = text[: text.rindex(ENV_HEADING)] + MASK
        # a longer or shorter environment table can change the page count printed in every footer
        text = re.sub(r"共\s*\d+\s*[页⻚]", "共 ? 页", text)
    return text


def pdf_text(path: Path) -> str | None:
    """The text of a PDF, page by page (pypdf when installed, else poppler's pdftotext); None if neither."""
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - depends on the machine
        PdfReader = None
    if PdfReader is not None:
        reader = PdfReader(str(path))
        return "\f".join(page.extract_text() or "" for page in reader.pages)
    import shutil
    import subprocess

    tool = shutil.which("pdftotext")
    if tool is None:  # pragma: no cover
        return None
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, check=True).stdout.decode("utf-8")


# ---------------------------------------------------------------------------------------------------
# Unit-year manifest


def declared() -> dict:
    from .provenance import ENVIRONMENT_KEYS

    return {
        "volatile": {name: list(fields) for name, fields in VOLATILE_FIELDS.items()},
        # In report.ipynb; masked, and reported, when a re-run is compared with a run made elsewhere.
        "environment": [f"/metadata/nianbao/provenance/{k}" for k in ENVIRONMENT_KEYS] + ["/metadata/nianbao/kernel_mode"],
    }


def inputs_record(project: Project, recorded: dict) -> dict:
    """Role → {path, sha256, size} of the inputs a notebook says it read, checked against the files now.

    Raises InputError when one changed after the notebook read it (edited during the run).
    """
    out = {}
    changed = []
    for role, rec in sorted(recorded.items()):
        path = project.root / rec["path"]
        if not path.is_file():
            changed.append(f"{rec['path']}（已不存在 / missing）")
            continue
        now = file_record(path)
        if now["sha256"] != rec["sha256"]:
            changed.append(rec["path"])
        out[role] = {"path": rec["path"], **now}
    if changed:
        raise InputError(
            "以下输入文件在报告运行期间被修改，报告未写出；请在修改完成后重新运行 / inputs changed during the run: "
            + "、".join(changed)
        )
    return out


def unit_manifest(unit: str, year: int, outputs: dict[str, Path], inputs: dict) -> dict:
    """The manifest of one run. ``outputs``: file name → path holding its final content."""
    return {
        "kind": UNIT_KIND,
        "schema": SCHEMA,
        "unit": unit,
        "year": int(year),
        "kit_version": __version__,
        "outputs": {name: file_record(path) for name, path in sorted(outputs.items())},
        "inputs": inputs,
        **declared(),
    }


def seal(project: Project, unit: str, year: int, staged: dict[Path, Path]) -> None:
    """Write the manifest for a staged output set; call last inside ``atomic.staged``.

    ``staged``: final target → its temp file, one of the targets being ``manifest.json``. The manifest
    hashes the temp files (their content is final), the inputs come from the executed notebook's
    provenance. Every temp is flushed to disk, then any previous manifest is removed, so that while
    the files move into place no manifest describes a mix of two runs (``atomic.staged`` moves the
    manifest, listed last, after all the others).
    """
    import nbformat

    from .provenance import PROVENANCE_KEY

    by_name = {target.name: tmp for target, tmp in staged.items()}
    manifest_target = next(t for t in staged if t.name == MANIFEST_NAME)
    if list(staged)[-1] != manifest_target:
        raise ValueError("manifest.json must be the last staged target")
    nb = nbformat.read(by_name["report.ipynb"], as_version=4)
    recorded = nb.metadata.get("nianbao", {}).get(PROVENANCE_KEY, {}).get("inputs", {})
    outputs = {name: tmp for name, tmp in by_name.items() if name != MANIFEST_NAME}
    data = unit_manifest(unit, year, outputs, inputs_record(project, recorded))
    by_name[MANIFEST_NAME].write_bytes(dumps(data))
    for tmp in staged.values():
        _fsync(tmp)
    _fsync(manifest_target.parent)
    manifest_target.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def load(path: Path) -> dict:
    """Read a manifest; raises InputError naming the file when it is not one."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: 不是可读的 manifest.json / not a readable manifest: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") not in (UNIT_KIND, YEAR_KIND):
        raise InputError(f"{path}: 不是 nianbao 生成的 manifest / not a nianbao manifest")
    return data


# ---------------------------------------------------------------------------------------------------
# Per-year manifest (written by the batch)


def year_manifest(project: Project, year: int, units) -> dict:
    """The year's manifest: each unit's manifest by hash (with its outputs), plus the year-level files.

    ``units``: unit ids (or objects with ``.id``) the batch reported on; a unit without a manifest is
    listed under ``missing``.
    """
    year_dir = project.outputs_dir / str(year)
    entries, missing = {}, []
    for u in sorted({getattr(u, "id", u) for u in units}):
        path = year_dir / u / MANIFEST_NAME
        if not path.is_file():
            missing.append(u)
            continue
        unit_data = load(path)
        entries[u] = {
            "manifest": {"path": f"{u}/{MANIFEST_NAME}", **file_record(path)},
            "outputs": {f"{u}/{name}": rec for name, rec in unit_data.get("outputs", {}).items()},
        }
    files = {}
    if year_dir.is_dir():
        for p in sorted(year_dir.iterdir()):
            if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".") and ".partial" not in p.name:
                files[p.name] = file_record(p)
    return {"kind": YEAR_KIND, "schema": SCHEMA, "year": int(year), "kit_version": __version__,
            "units": entries, "missing": missing, "files": files}


def write_year_manifest(project: Project, year: int, units) -> Path:
    """Write ``outputs/<year>/manifest.json`` atomically and return its path. Call it after the
    year's unit runs and year-level files (index page) are in place."""
    target = project.outputs_dir / str(year) / MANIFEST_NAME
    atomic.write_bytes(target, dumps(year_manifest(project, year, units)))
    return target


__all__ = [
    "MANIFEST_NAME", "VOLATILE_FIELDS", "file_record", "normalise_notebook", "normalise_html",
    "seal", "load", "write_year_manifest", "year_manifest", "sha256_file",
]
