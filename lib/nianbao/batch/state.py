"""``outputs/<year>/.batch-state.json``: what the last batch runs did for every unit.

One record per unit: its outcome (``ok`` or ``failed``), the content key it ran with, the files it
produced (project-relative), its validation status and counts, the error when it failed, its time
and kernel mode. ``--retry-failed`` reads it to run only the failed units; the incremental skip reads
it to know a unit's last good key; the dashboard reads it for units not run this time.

Written atomically (temp file + rename), and during a long batch every few seconds, so an
interrupted batch still remembers what finished.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import atomic
from ..project import Project

FILENAME = ".batch-state.json"
SCHEMA = 1


def state_path(project: Project, year: int) -> Path:
    return project.outputs_dir / str(year) / FILENAME


@dataclass
class BatchState:
    path: Path
    year: int
    units: dict[str, dict] = field(default_factory=dict)
    last_run: dict = field(default_factory=dict)
    _saved_at: float = 0.0

    @classmethod
    def load(cls, project: Project, year: int) -> "BatchState":
        path = state_path(project, year)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return cls(path=path, year=int(year))
        if data.get("schema") != SCHEMA or data.get("year") != int(year):
            return cls(path=path, year=int(year))
        return cls(path=path, year=int(year), units=dict(data.get("units", {})), last_run=data.get("last_run", {}))

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    def failed(self) -> list[str]:
        return [u for u, rec in self.units.items() if rec.get("outcome") != "ok"]

    def record(self, unit: str, rec: dict) -> None:
        self.units[unit] = rec

    def save(self, *, every: float = 0.0) -> None:
        """Write the file; with ``every`` > 0, only if the last write is older than that many seconds."""
        now = time.monotonic()
        if every and now - self._saved_at < every:
            return
        data = {"schema": SCHEMA, "year": self.year, "last_run": self.last_run,
                "units": dict(sorted(self.units.items()))}
        atomic.write_text(self.path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        self._saved_at = now
