"""The input files a unit-year's report is made from, and their content hashes.

Used for provenance (what a report was made from), manifests, verification and incremental batches
(skip a unit when none of its inputs changed). Paths are project-relative POSIX strings.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .project import Project


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_files(project: Project, unit: str, year: int, children: list[str] | tuple[str, ...] = ()) -> dict[str, Path]:
    """Role → path of every input that exists (figures, narrative, prior year, registry, notebook).

    ``children``: for a roll-up unit, the ids of the units its tables are compiled from.
    """
    files = {
        "figures": project.figures_file(unit, year),
        "narrative": project.narrative_file(unit, year),
        "publication": project.unit_dir(unit, year) / "publication.yaml",  # 落款 (nianbao.publication)
        "prior_figures": project.figures_file(unit, year - 1),
        "prior_narrative": project.narrative_file(unit, year - 1),
        "units": project.units_file,
        "notebook": project.report_notebook,
    }
    for child in children:
        files[f"child:{child}"] = project.figures_file(child, year)
    return {role: path for role, path in files.items() if path.is_file()}


def input_hashes(project: Project, unit: str, year: int, children=()) -> dict[str, dict[str, str]]:
    """Role → {"path": project-relative path, "sha256": hex digest}."""
    return {role: {"path": project.rel(path), "sha256": sha256_file(path)}
            for role, path in input_files(project, unit, year, children).items()}
