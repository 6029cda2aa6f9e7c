"""The figures of many unit-years at once, for the dashboard and the comparison pages.

Each unit-year is loaded the way a report loads it (:func:`nianbao.rollup.load_unit_figures`, defective
cells as missing), and the result is kept in ``outputs/.cache/figures/<year>.json`` (one file per year) under a key
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
import os
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from . import __version__, atomic
from .errors import InputError
from .project import Project

CACHE_SCHEMA = 3
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


def _sha(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except FileNotFoundError:
        return None


def _encode(v):
    return str(v) if isinstance(v, Decimal) else v


@lru_cache(maxsize=None)
def _layout(form_id: str) -> tuple[tuple, frozenset]:
    """Every cell of the form in a fixed order (values are cached as one flat list in this order), and the
    amount cells (cached as text, read back as Decimal, exactly)."""
    from . import forms

    form = forms.get(form_id)
    order = tuple((t.key, r.key, c.key) for t in form.tables for r, c in t.cells())
    amounts = frozenset((t.key, r.key, c.key) for t in form.tables for r, c in t.cells() if c.type == "amount")
    return order, amounts


def _to_json(uy: UnitYear, key: str) -> dict:
    entry = {"key": key, "state": uy.state, "form": uy.form_id, "problems": uy.problems, "message": uy.message,
             "rollup": uy.rollup}
    if uy.form_id:
        order, _ = _layout(uy.form_id)
        entry["values"] = [_encode(uy.values.get(t, {}).get((r, c))) for t, r, c in order]
        entry["declared"] = [[t, r, c, _encode(v)] for (t, r, c), v in uy.declared.items()]
    return entry


def _from_json(data: dict, unit: str, year: int) -> UnitYear:
    uy = UnitYear(unit=unit, year=year, state=data["state"], form_id=data["form"], problems=data["problems"],
                  message=data["message"], rollup=data["rollup"])
    if uy.form_id:
        order, amounts = _layout(uy.form_id)
        values: dict = {}
        for (t, r, c), v in zip(order, data["values"]):
            if v is not None and (t, r, c) in amounts:
                v = Decimal(v)
            values.setdefault(t, {})[(r, c)] = v
        uy.values = values
        uy.declared = {(t, r, c): Decimal(v) if v is not None and (t, r, c) in amounts else v
                       for t, r, c, v in data["declared"]}
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


class _Store:
    """``outputs/.cache/figures/<year>.json``: every cached unit of a year in one file (one read per call)."""

    def __init__(self, project: Project, year: int):
        self.path = project.outputs_dir / ".cache" / "figures" / f"{year}.json"
        self.units: dict = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("schema") == CACHE_SCHEMA and isinstance(data.get("units"), dict):
                self.units = data["units"]
        except (FileNotFoundError, ValueError, OSError):
            pass  # no cache, or a damaged one: rebuilt

    def get(self, unit: str, key: str) -> dict | None:
        entry = self.units.get(unit)
        return entry if isinstance(entry, dict) and entry.get("key") == key else None

    def put(self, unit: str, entry: dict) -> None:
        self.units[unit] = entry
        self.dirty = True

    def save(self) -> None:
        try:
            atomic.write_text(self.path, json.dumps({"schema": CACHE_SCHEMA, "units": self.units},
                                                    ensure_ascii=False, separators=(",", ":"), sort_keys=True))
        except OSError:
            pass  # the cache is an optimisation only


def collect(project: Project, registry, year: int, units=None, *, cache: bool = True) -> dict[str, UnitYear]:
    """Unit id → :class:`UnitYear` for ``units`` (default: every registered unit), in the order given."""
    from .rollup import figure_sources

    year = int(year)
    ids = [u.id for u in registry] if units is None else list(units)
    store = _Store(project, year) if cache else None
    data_dir = str(project.data_dir)
    shas: dict[str, str | None] = {}

    def sha(uid: str) -> str | None:
        if uid not in shas:
            shas[uid] = _sha(os.path.join(data_dir, str(year), uid, "figures.yaml"))
        return shas[uid]

    base = f"{__version__}\n{_forms_digest()}\n{year}\n"
    out: dict[str, UnitYear] = {}
    for uid in ids:
        unit = registry.get(uid)
        own = sha(uid)
        if own is None:
            out[uid] = UnitYear(unit=uid, year=year, state=ABSENT, rollup=unit.rollup)
            continue
        try:
            sources = figure_sources(registry, uid) if unit.rollup else []
        except InputError as exc:
            out[uid] = UnitYear(unit=uid, year=year, state=UNREADABLE, message=str(exc), rollup=unit.rollup)
            continue
        h = hashlib.sha256(f"{base}{uid}:{own}:{unit.rollup}\n".encode())
        for src in sources:
            s = registry.get(src)
            h.update(f"{src}:{sha(src) or '-'}:{s.parent}:{s.rollup}\n".encode())
        key = h.hexdigest()
        entry = store.get(uid, key) if store is not None else None
        if entry is not None:
            out[uid] = _from_json(entry, uid, year)
            continue
        uy = out[uid] = _load(project, registry, unit, year)
        if store is not None:
            store.put(uid, _to_json(uy, key))
    if store is not None and store.dirty:
        store.save()
    return out


def unit_year(project: Project, registry, unit_id: str, year: int, *, cache: bool = True) -> UnitYear:
    """One unit-year's figures (see the module)."""
    registry.get(unit_id)
    return collect(project, registry, year, [unit_id], cache=cache)[unit_id]
