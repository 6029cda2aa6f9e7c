"""Where a project's inputs and outputs live. Runs read ``params/`` and ``data/`` and write only
under ``outputs/``."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import InputError

MARKER = Path("params") / "units.yaml"
# The last parsed unit registry: ((path, display, sha256 of its bytes), UnitRegistry); see Project.units.
_UNITS_CACHE: dict = {}


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def find(cls, start: str | Path | None = None) -> "Project":
        """The nearest folder at or above ``start`` (default: the working directory) with params/units.yaml."""
        here = Path(start or os.getcwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / MARKER).is_file():
                return cls(candidate)
        raise InputError(
            f"在 {here} 及其上级目录中找不到 {MARKER}。请在 nianbao 项目目录中运行，或用 --project 指定项目目录。"
        )

    @property
    def params_dir(self) -> Path:
        return self.root / "params"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def units_file(self) -> Path:
        return self.root / MARKER

    @property
    def report_notebook(self) -> Path:
        return self.notebooks_dir / "annual_report.ipynb"

    def unit_dir(self, unit: str, year: int) -> Path:
        return self.data_dir / str(year) / unit

    def figures_file(self, unit: str, year: int) -> Path:
        return self.unit_dir(unit, year) / "figures.yaml"

    def narrative_file(self, unit: str, year: int) -> Path:
        return self.unit_dir(unit, year) / "narrative.md"

    def output_dir(self, unit: str, year: int) -> Path:
        return self.outputs_dir / str(year) / unit

    def units(self):
        """The unit registry, ``params/units.yaml`` (read anew on every call: runs see the file as it is).

        The file's bytes are read and hashed on every call; they are parsed again only when they differ
        from the last parse (a province's registry of thousands of units costs tens of milliseconds to
        parse, and a batch's every unit reads it several times)."""
        import hashlib

        from .units import UnitRegistry, load_units

        display = self.rel(self.units_file)
        try:
            digest = hashlib.sha256(self.units_file.read_bytes()).hexdigest()
        except OSError:
            digest = None  # let the loader report it
        key = (str(self.units_file), display, digest)
        cached = _UNITS_CACHE.get("last")
        if digest is not None and cached is not None and cached[0] == key:
            return UnitRegistry(dict(cached[1]._units), cached[1].path)
        registry = load_units(self.units_file, display=display)
        try:
            unchanged = digest is not None and hashlib.sha256(self.units_file.read_bytes()).hexdigest() == digest
        except OSError:
            unchanged = False
        if unchanged:  # parsed from the bytes hashed above: safe to reuse while they stay the same
            _UNITS_CACHE["last"] = (key, registry)
        return UnitRegistry(dict(registry._units), registry.path)

    @cached_property
    def _resolved_root(self) -> Path:
        return self.root.resolve()

    def rel(self, path: Path) -> str:
        """A path as shown in messages and recorded in evidence: relative to the project root."""
        try:
            return Path(path).resolve().relative_to(self._resolved_root).as_posix()
        except ValueError:
            return str(path)
