"""Which units a batch runs, in which order, and which it may skip.

Order: a roll-up unit runs after the children it is compiled from (its "dependencies" in this batch);
otherwise registry order.

Skip key: a unit is skipped when nothing that determines its outputs changed since its last good run
and those outputs are still there. The key is a SHA-256 over

- the report notebook, the notebook parameters, the output formats and the kernel mode;
- the unit's figures and narrative, and the prior year's (cross-year checks read them);
- for a roll-up unit, the figures of every unit it is compiled from (recursively), this year's and
  the prior year's;
- the registry entries it reads: its own and those of the units it is compiled from — not the whole
  ``params/units.yaml``, so registering an unrelated unit reruns nothing;
- ``nianbao.__version__``.

Nothing here imports papermill, nbconvert, pandas or Great Expectations: a batch where every unit is
unchanged must finish in seconds.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..inputs import input_files, sha256_file
from ..project import Project
from ..rollup import figure_sources
from ..units import UnitRegistry

KEY_SCHEMA = 1


@dataclass(frozen=True)
class Job:
    unit: str
    name: str
    deps: tuple[str, ...]  # roll-up children in this batch: run first
    key: str


def load_registry(project: Project) -> UnitRegistry:
    return project.units()


def select(registry: UnitRegistry, wanted: list[str] | None) -> list[str]:
    """Unit ids to consider, in registry order; unknown ids are an input error naming them."""
    ids = [u.id for u in registry]
    if not wanted:
        return ids
    unknown = [w for w in wanted if w not in registry]
    if unknown:
        registry.get(unknown[0])  # raises the registry's own message (lists known units)
    keep = set(wanted)
    return [i for i in ids if i in keep]


def ordered(registry: UnitRegistry, ids: list[str]) -> list[str]:
    """Children before the roll-up units compiled from them; otherwise registry order."""
    height: dict[str, int] = {}

    def h(uid: str, path: tuple[str, ...] = ()) -> int:
        if uid in height:
            return height[uid]
        if uid in path:
            raise InputError(f"params/units.yaml: 上下级关系成环：{' → '.join(path + (uid,))}。")
        unit = registry.get(uid)
        kids = registry.children(uid) if unit.rollup else []
        height[uid] = 1 + max((h(k.id, path + (uid,)) for k in kids), default=-1)
        return height[uid]

    position = {uid: i for i, uid in enumerate(ids)}
    return sorted(ids, key=lambda uid: (h(uid), position[uid]))


class KeyMaker:
    """Content keys for units of one project-year (file hashes are computed once per batch)."""

    def __init__(self, project: Project, registry: UnitRegistry, year: int, formats: tuple[str, ...],
                 kernel_mode: str):
        self.project = project
        self.registry = registry
        self.year = int(year)
        self.formats = tuple(sorted(formats))
        self.kernel_mode = kernel_mode
        self._hashes: dict[Path, str] = {}

    def _sha(self, path: Path) -> str:
        digest = self._hashes.get(path)
        if digest is None:
            digest = self._hashes[path] = sha256_file(path)
        return digest

    def material(self, unit: str) -> dict:
        """Everything the key of ``unit`` is made from (JSON-serialisable; shown by tests and --explain)."""
        sources = figure_sources(self.registry, unit)
        files = input_files(self.project, unit, self.year, sources)
        files.pop("units", None)  # the registry counts through the entries actually read, below
        for src in sources:  # a roll-up's prior year is its children's prior years, summed
            prior = self.project.figures_file(src, self.year - 1)
            if prior.is_file():
                files[f"prior_child:{src}"] = prior
        return {
            "schema": KEY_SCHEMA,
            "kit": __version__,
            "unit": unit,
            "year": self.year,
            "formats": list(self.formats),
            "kernel_mode": self.kernel_mode,
            "parameters": {"unit": unit, "year": self.year,
                           "project_dir": os.path.relpath(self.project.root, self.project.notebooks_dir)},
            "files": {role: [self.project.rel(path), self._sha(path)] for role, path in sorted(files.items())},
            "registry": [asdict(self.registry.get(uid)) for uid in (unit, *sources)],
        }

    def key(self, unit: str) -> str:
        text = json.dumps(self.material(unit), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def jobs_for(project: Project, registry: UnitRegistry, ids: list[str], keys: KeyMaker) -> list[Job]:
    chosen = set(ids)
    out = []
    for uid in ordered(registry, ids):
        unit = registry.get(uid)
        deps = tuple(c.id for c in registry.children(uid) if c.id in chosen) if unit.rollup else ()
        out.append(Job(unit=uid, name=unit.name, deps=deps, key=keys.key(uid)))
    return out
