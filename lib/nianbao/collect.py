"""The figures of many unit-years at once, for the dashboard and the comparison pages.

Each unit-year is loaded the way a report loads it (:func:`nianbao.rollup.load_unit_figures`, defective
cells as missing), and the result is kept in ``outputs/.cache/figures/<year>/<unit>.json`` under a key
made of the kit version, the form definitions and the SHA-256 of every file the figures come from (a
roll-up unit's: its own and each child's, recursively). A later call whose files are unchanged reads
the JSON (~0.1 ms) instead of parsing the YAML again (~2 ms); any change of a file, the registry
entries read or the kit gives a new key, so the cache can never show stale figures. The cache is an
optimisation only: if it cannot be written, figures are still returned.

A unit-year is ``absent`` (no figures file: 未报送), ``unreadable`` (the file cannot be read at all;
the loader's message is kept) or ``ok`` (cells that could not be read are None and counted in
``problems``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from . import __version__, atomic
from .errors import InputError
from .project import Project

CACHE_SCHEMA = 1
ABSENT, UNREADABLE, OK = "absent", "unreadable", "ok"


@dataclass
class UnitYear:
    unit: str
    year: int
    state: str  # absent | unreadable | ok
    form_id: str | None = None
    values: dict = field(default_factory=dict)  # table key -> {(row, column): value or None}
    problems: int = 0  # cells or parts the loader could not read
    message: str = ""  # unreadable: the loader's message
    rollup: bool = False
    declared: dict = field(default_factory=dict)  # roll-up: (table, row, column) -> value its own file declares

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def form(self):
        from . import forms

        return forms.get(self.form_id) if self.form_id else None


def _forms_digest() -> str:
    from . import forms

    return _digest_of(tuple((fid, id(forms.get(fid))) for fid in forms.available()))


@lru_cache(maxsize=8)
def _digest_of(registered: tuple) -> str:
    """The registered form definitions' digest (recomputed when the set of registered forms changes)."""
    from . import forms

    h = hashlib.sha256()
    for fid, _ in registered:
        h.update(json.dumps(forms.get(fid).raw, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _encode(v):
    return str(v) if isinstance(v, Decimal) else v


def _to_json(uy: UnitYear, key: str) -> dict:
    return {"schema": CACHE_SCHEMA, "key": key, "state": uy.state, "form": uy.form_id, "problems": uy.problems,
            "message": uy.message, "rollup": uy.rollup,
            "values": {t: [[r, c, _encode(v)] for (r, c), v in cells.items()] for t, cells in uy.values.items()},
            "declared": [[t, r, c, _encode(v)] for (t, r, c), v in uy.declared.items()]}


def _from_json(data: dict, unit: str, year: int) -> UnitYear:
    uy = UnitYear(unit=unit, year=year, state=data["state"], form_id=data["form"], problems=data["problems"],
                  message=data["message"], rollup=data["rollup"])
    if uy.form_id:
        form = uy.form
        amount = {(t.key, r.key, c.key) for t in form.tables for r, c in t.cells() if c.type == "amount"}
        dec = lambda t, r, c, v: Decimal(v) if v is not None and (t, r, c) in amount else v  # noqa: E731
        uy.values = {t: {(r, c): dec(t, r, c, v) for r, c, v in cells} for t, cells in data["values"].items()}
        uy.declared = {(t, r, c): dec(t, r, c, v) for t, r, c, v in data["declared"]}
    return uy


def _load(project: Project, registry, unit, year: int) -> UnitYear:
    from .rollup import RollupFigures, load_unit_figures

    try:
        figures = load_unit_figures(project, unit.id, year, registry=registry, strict=False)
    except InputError as exc:
        return UnitYear(unit=unit.id, year=year, state=UNREADABLE, message=str(exc), rollup=unit.rollup)
    uy = UnitYear(unit=unit.id, year=year, state=OK, form_id=figures.form.id, rollup=unit.rollup,
                  values={t: dict(cells) for t, cells in figures.values.items()}, problems=len(figures.problems))
    if isinstance(figures, RollupFigures):
        wrong = {(m.table, m.row, m.column): m.actual for m in figures.mismatches}
        uy.declared = {cell: wrong.get(cell, figures.values[cell[0]].get(cell[1:])) for cell in sorted(figures.declared)}
    return uy


def unit_year(project: Project, registry, unit_id: str, year: int, *, cache: bool = True) -> UnitYear:
    """One unit-year's figures (see the module)."""
    from .rollup import figure_sources

    unit = registry.get(unit_id)
    own = project.figures_file(unit.id, year)
    if not own.is_file():
        return UnitYear(unit=unit.id, year=year, state=ABSENT, rollup=unit.rollup)
    try:
        sources = figure_sources(registry, unit.id) if unit.rollup else []
    except InputError as exc:
        return UnitYear(unit=unit.id, year=year, state=UNREADABLE, message=str(exc), rollup=unit.rollup)
    h = hashlib.sha256(f"{__version__}\n{_forms_digest()}\n{unit.id}\n{year}\n{unit.rollup}\n".encode())
    for src in [unit.id, *sources]:
        path = project.figures_file(src, year)
        h.update(f"{src}:{_sha(path) if path.is_file() else '-'}\n".encode())
        if src != unit.id:
            h.update(f"{registry.get(src).parent}:{registry.get(src).rollup}\n".encode())
    key = h.hexdigest()
    target = project.outputs_dir / ".cache" / "figures" / str(year) / f"{unit.id}.json"
    if cache and target.is_file():
        try:
            data = json.loads(target.read_text(encoding="utf-8"))
            if data.get("schema") == CACHE_SCHEMA and data.get("key") == key:
                return _from_json(data, unit.id, year)
        except (ValueError, KeyError, TypeError):
            pass  # a damaged cache entry is simply rebuilt
    uy = _load(project, registry, unit, year)
    if cache:
        try:
            atomic.write_text(target, json.dumps(_to_json(uy, key), ensure_ascii=False, separators=(",", ":")))
        except OSError:
            pass
    return uy


def collect(project: Project, registry, year: int, units=None, *, cache: bool = True) -> dict[str, UnitYear]:
    """Unit id → :class:`UnitYear` for ``units`` (default: every registered unit), in registry order."""
    ids = [u.id for u in registry] if units is None else list(units)
    return {uid: unit_year(project, registry, uid, int(year), cache=cache) for uid in ids}
