"""Provenance: what a report was made from, recorded inside the executed notebook.

The record is built in the kernel by :func:`appendix_block` (the notebook's last cell,
``report.appendix()``), shown there as the visible appendix “附：报告来源记录”, and carried in the
cell's output as machine-readable JSON; the runner copies that same record into the notebook's
metadata (``nianbao.provenance``) with :func:`stamp`. So the appendix and the metadata cannot disagree.

The record holds no timestamps: two runs on the same inputs with the same software give the same
record. Its parts:

- ``parameters``: the notebook's parameters as the run saw them;
- ``inputs``: role → {path (project-relative), sha256} of every input file the report reads;
- ``kit``, ``project``, ``python``, ``packages``, ``kernel_mode``: the software environment
  (:data:`ENVIRONMENT_KEYS`). These describe the machine, not the report: a re-run elsewhere may
  differ there and still reproduce the report.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import platform
import re
import subprocess
from pathlib import Path

from . import __version__
from .inputs import input_hashes, sha256_file
from .project import Project

SCHEMA = 1
PROVENANCE_KEY = "provenance"  # under notebook metadata "nianbao"
MIME = "application/vnd.nianbao.provenance+json"
KERNEL_MODE_ENV = "NIANBAO_KERNEL_MODE"  # set to "warm" by an engine that reuses kernels
KERNEL_MODES = {"fresh": "全新内核", "warm": "预热内核（复用）"}
KEY_PACKAGES = ("papermill", "nbconvert", "nbclient", "nbformat", "great_expectations", "pandas",
                "ipykernel", "jupyter_client")
ENVIRONMENT_KEYS = ("kit", "project", "python", "packages", "kernel_mode")
VOLATILE: list[str] = []  # nothing in the record changes between identical runs
ENV_START, ENV_END = "<!-- nianbao:environment -->", "<!-- /nianbao:environment -->"
ENV_HEADING = "软件环境"  # the appendix's last part; PDF text comparisons mask from here on
MASK = "<environment>"

ROLE_LABELS = {
    "figures": "本年度数据",
    "narrative": "本年度叙述",
    "publication": "落款（发布机关、日期）",
    "prior_figures": "上年度数据",
    "prior_narrative": "上年度叙述",
    "units": "单位名录",
    "notebook": "报告笔记本模板",
}


# ---------------------------------------------------------------------------------------------------
# Pieces of the record


def git_state(path: Path) -> dict:
    """{"commit", "dirty"} of the git work tree holding ``path``; both None when it is not one
    (or git is not installed)."""
    def git(*args):
        return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=20,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})

    try:
        head = git("rev-parse", "--verify", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = git("status", "--porcelain")
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return {"commit": head.stdout.strip() or None, "dirty": dirty}


# What this process runs, looked up once per process: the kit's source (hash and git state) and the
# versions of the key packages. A process runs the code it imported, so the first look-up describes
# every later report of the process — in a warm kernel that serves a whole batch, each unit would
# otherwise pay ~25 ms for four `git` calls, hashing the kit's files and parsing package metadata.
# Deliberately a plain dict: a warm kernel's reset (nianbao.batch.kernelside) clears nianbao's
# functools caches and per-unit state, not this.
_PROCESS_FACTS: dict[str, dict] = {}


def _once(key: str, compute, cached: bool = True) -> dict:
    if not cached or key not in _PROCESS_FACTS:
        _PROCESS_FACTS[key] = compute()
    return copy.deepcopy(_PROCESS_FACTS[key])


def kit_info(*, cached: bool = True) -> dict:
    """The kit's version, the git state of the source it runs from (editable install: the kit repo) and
    a hash of that source, which pins the code even when the work tree is dirty (looked up once per
    process; ``cached=False``: look again now, e.g. to notice the source changing under a test run)."""
    def compute():
        here = Path(__file__).resolve().parent
        return {"version": __version__, **{f"git_{k}": v for k, v in git_state(here).items()},
                "source_sha256": source_sha256(here)}

    return _once("kit", compute, cached)


def source_sha256(package_dir: Path) -> str:
    """One sha256 over every file of the kit's package (path and content), bytecode caches excluded."""
    h = hashlib.sha256()
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")):
        rel = path.relative_to(package_dir).as_posix()
        h.update(f"{rel}\0{sha256_file(path)}\n".encode("utf-8"))
    return h.hexdigest()


def package_versions() -> dict:
    """Versions of :data:`KEY_PACKAGES` installed for this process (once per process)."""
    def compute():
        from importlib import metadata

        out = {}
        for name in KEY_PACKAGES:
            try:
                out[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                out[name] = None
        return out

    return _once("packages", compute)


def python_info() -> dict:
    return {"version": platform.python_version(), "implementation": platform.python_implementation()}


def kernel_mode() -> str:
    mode = os.environ.get(KERNEL_MODE_ENV, "fresh").strip().lower() or "fresh"
    return mode


def rollup_children(project: Project, unit: str) -> list[str]:
    """Ids of the units a roll-up unit is compiled from (empty for an ordinary unit)."""

    registry = project.units()
    if not registry.get(unit).rollup:
        return []
    return sorted(c.id for c in registry.children(unit))


def notebook_parameters(project: Project, namespace: dict | None = None) -> dict | None:
    """Values of the template's parameters (the names assigned in its ``parameters`` cell) as they
    stand in ``namespace`` (default: the running IPython kernel's). None outside a kernel."""
    if namespace is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return None
        shell = get_ipython()
        if shell is None:
            return None
        namespace = shell.user_ns
    names = parameter_names(project.report_notebook)
    return {n: namespace[n] for n in names if n in namespace and _jsonable(namespace[n])}


def parameter_names(notebook: Path) -> list[str]:
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return []
    names: list[str] = []
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            try:
                tree = ast.parse(src)
            except SyntaxError:
                continue
            for node in tree.body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names += [t.id for t in targets if isinstance(t, ast.Name) and t.id not in names]
    return names


def _jsonable(value) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def collect(project: Project, unit: str, year: int, *, parameters: dict | None = None,
            mode: str | None = None, children=None) -> dict:
    """The provenance record of a unit-year's report, computed from the project as it is now."""
    if children is None:
        children = rollup_children(project, unit)
    if parameters is None:
        parameters = {"unit": unit, "year": int(year)}
    project_git = git_state(project.root)
    return {
        "schema": SCHEMA,
        "parameters": dict(sorted(parameters.items())),
        "inputs": input_hashes(project, unit, int(year), list(children)),
        "kit": kit_info(),
        "project": {"git_commit": project_git["commit"], "git_dirty": project_git["dirty"]},
        "python": python_info(),
        "packages": package_versions(),
        "kernel_mode": mode or kernel_mode(),
        "volatile": list(VOLATILE),
    }


def role_label(role: str) -> str:
    if role.startswith("child:"):
        return f"下级单位数据（{role.split(':', 1)[1]}）"
    return ROLE_LABELS.get(role, role)


# ---------------------------------------------------------------------------------------------------
# In the runner: put the record into the notebook's metadata


def record_in_outputs(nb: dict) -> dict | None:
    """The record the appendix cell put in its output, or None when the notebook has none."""
    for cell in reversed(nb.get("cells", [])):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if MIME in data:
                value = data[MIME]
                return json.loads(value) if isinstance(value, str) else dict(value)
    return None


def stamp(nb, project: Project, unit: str, year: int):
    """A copy of executed notebook ``nb`` with the provenance record in ``metadata.nianbao.provenance``
    (from the appendix output; computed here when the notebook did not get that far). The runner drops
    per-cell timings before (:func:`nianbao.manifest.strip_run_timings`)."""
    out = copy.deepcopy(nb)
    meta = out.metadata.setdefault("nianbao", {})
    record = record_in_outputs(out)
    if record is None:
        params = out.metadata.get("papermill", {}).get("parameters") or None
        record = collect(project, unit, year, parameters=params, mode=meta.get("kernel_mode"))
    elif meta.get("kernel_mode") and record.get("kernel_mode") != meta["kernel_mode"]:
        # The engine's word wins; an engine that reuses kernels should also set NIANBAO_KERNEL_MODE in
        # the kernel so that the visible appendix says the same.
        record["kernel_mode"] = meta["kernel_mode"]
    meta[PROVENANCE_KEY] = record
    return out


def of_notebook(nb: dict) -> dict | None:
    return (nb.get("metadata", {}).get("nianbao") or {}).get(PROVENANCE_KEY)


# ---------------------------------------------------------------------------------------------------
# Comparing runs made in different environments


def environment_of(record: dict | None) -> dict:
    return {k: (record or {}).get(k) for k in ENVIRONMENT_KEYS}


def environment_differences(a: dict | None, b: dict | None) -> list[str]:
    """Human-readable differences between two records' environments ("packages.pandas: 2.2 → 2.3")."""
    out = []

    def walk(x, y, where):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                walk(x.get(k), y.get(k), f"{where}.{k}" if where else k)
        elif x != y:
            out.append(f"{where}: {x} → {y}")

    walk(environment_of(a), environment_of(b), "")
    return out


def _mask_record(record: dict) -> dict:
    return {k: (MASK if k in ENVIRONMENT_KEYS else v) for k, v in record.items()}


_ENV_BLOCK = re.compile(re.escape(ENV_START) + ".*?" + re.escape(ENV_END), re.S)


def mask_environment_in_html(html: str) -> str:
    return _ENV_BLOCK.sub(ENV_START + MASK + ENV_END, html)


def mask_environment_in_notebook(nb: dict) -> dict:
    """``nb`` (already a private copy) with the environment parts of the record masked everywhere."""
    meta = nb.get("metadata", {}).get("nianbao")
    if isinstance(meta, dict):
        meta.pop("kernel_mode", None)
        if isinstance(meta.get(PROVENANCE_KEY), dict):
            meta[PROVENANCE_KEY] = _mask_record(meta[PROVENANCE_KEY])
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if MIME in data and isinstance(data[MIME], dict):
                data[MIME] = _mask_record(data[MIME])
            html = data.get("text/html")
            if isinstance(html, list):
                html = "".join(html)
            if isinstance(html, str) and ENV_START in html:
                data["text/html"] = mask_environment_in_html(html)
    return nb
