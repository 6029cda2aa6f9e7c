"""A form pack: everything the kit knows about one national format version, in one folder.

A pack folder (``lib/nianbao/forms/gov2021/`` for the kit's own, or any package's folder) holds

- ``form.yaml`` — tables, rows, columns, printed labels, cell types, rules, which cells a roll-up
  sums (``rollup: own`` on a column the roll-up unit declares itself), how a report continues one
  in another format (``continues:``), and the public sources the definition was checked against;
- ``narrative.yaml`` — the narrative checks' vocabulary (figure statements, words, patterns, the
  wording of real published reports, which section is 五 and the copied-text thresholds);
- ``indicators.yaml`` — the key figures and charts of a unit-year (dashboard, comparison pages,
  year-over-year block), cells by key; a pack without it has statuses and cells only;
- ``narrative_default.md`` — the default narrative;
- a Python module with the standard sentences (``std.requests()`` …) and, optionally, the
  synthetic-data recipe used by ``nianbao synth``.

The pack is registered under the entry-point group ``nianbao.forms`` by its package's
``pyproject.toml`` (``gov2021 = "nianbao.forms.gov2021:pack"``), exactly as an outside package
registers its own; :mod:`nianbao.forms` finds packs only that way.

Code outside a pack speaks of cells by key and role, never by a printed label or a row key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .form import Form, load_form, read_pack_yaml

FORM_FILE = "form.yaml"
NARRATIVE_FILE = "narrative.yaml"
INDICATORS_FILE = "indicators.yaml"
DEFAULT_NARRATIVE_FILE = "narrative_default.md"


@dataclass(frozen=True)
class FormPack:
    form: Form
    folder: Path
    narrative_spec: dict = field(repr=False)  # narrative.yaml as written
    indicators_spec: dict | None = field(default=None, repr=False)  # indicators.yaml as written; None: none
    default_narrative: Path | None = None
    # The standard sentences (a class taking a placeholders.Namespace) and the synthetic-data recipe (a
    # module): the object, or "package.module:attr" resolved on first use (loading a pack stays light).
    standard_text_ref: Any = None
    synthetic_ref: Any = None

    @property
    def id(self) -> str:
        return self.form.id

    def section_key(self, check: str) -> str | None:
        """The key of the section a narrative check reads (``sections:`` in narrative.yaml: ``overview``,
        ``problems`` — section 五 —, ``fee``); None when the pack names none."""
        return (self.narrative_spec.get("sections") or {}).get(check)

    @cached_property
    def standard_text(self) -> type | None:
        return _resolve(self.standard_text_ref)

    @cached_property
    def synthetic(self) -> Any:
        return _resolve(self.synthetic_ref)


def _resolve(ref):
    if not isinstance(ref, str):
        return ref
    from .registry import _resolve as resolve

    return resolve(ref)


def load_pack(folder: str | Path, *, standard_text: Any = None, synthetic: Any = None) -> FormPack:
    """Read the pack in ``folder`` (``form.yaml`` required, the rest optional). ``standard_text`` and
    ``synthetic`` may be given as ``"package.module:attr"`` / ``"package.module"`` strings."""
    folder = Path(folder)
    form = load_form(folder / FORM_FILE)
    spec = _read_yaml(folder / NARRATIVE_FILE, form.id) or {}
    indicators = _read_yaml(folder / INDICATORS_FILE, form.id)
    default = folder / DEFAULT_NARRATIVE_FILE
    return FormPack(form=form, folder=folder, narrative_spec=spec, indicators_spec=indicators,
                    default_narrative=default if default.is_file() else None,
                    standard_text_ref=standard_text, synthetic_ref=synthetic)


def _read_yaml(path: Path, form_id: str) -> dict | None:
    """An optional data file of the pack (None when absent); its ``form:``, if written, must be the pack's."""
    if not path.is_file():
        return None
    data = read_pack_yaml(path) or {}
    if data.get("form", form_id) != form_id:
        raise ValueError(f"{path}: form {data.get('form')!r} does not match {form_id!r}")
    return data


# ---------------------------------------------------------------------------------------------------
# Years across formats: which cells of a report in one format mean the same as a cell of the year
# before in another. Declared by the newer pack (``continues:`` in form.yaml); nothing is guessed.


@dataclass(frozen=True)
class Continuity:
    """How ``form`` continues ``previous`` (another format version, the year before)."""

    form: str
    previous: str
    cells: frozenset  # (table, row, column) keys, the same in both formats, that mean the same
    not_comparable: tuple[dict, ...] = ()  # declared differences, each with `why`

    def comparable(self, table: str, row: str, column: str) -> bool:
        return (table, row, column) in self.cells

    def why_not(self, table: str, row: str | None = None) -> str | None:
        for entry in self.not_comparable:
            if entry.get("table") == table and (row is None or not entry.get("rows") or row in entry["rows"]):
                return str(entry["why"])
        return None


def continuity(form: Form, previous: Form) -> Continuity | None:
    """The declared continuity of ``form`` after ``previous``; None when undeclared (nothing compares)."""
    spec = (form.raw.get("continues") or {}).get(previous.id)
    if spec is None:
        return None
    cells: set = set()
    for entry in spec.get("comparable", ()):
        table, other = form.table(entry["table"]), previous.table(entry["table"])
        rows = [r.key for r in table.rows] if entry.get("rows", "all") == "all" else list(entry["rows"])
        for key in rows:
            row, prow = table.row(key), other.row(key)  # a KeyError here is a defect in the pack
            for col in row.columns:
                if any(c.key == col.key for c in prow.columns):
                    cells.add((table.key, key, col.key))
    return Continuity(form=form.id, previous=previous.id, cells=frozenset(cells),
                      not_comparable=tuple(spec.get("not_comparable", ())))


def other_format_note(previous_year: int, previous: Form, why: str | None = None) -> str:
    """Why last year's report, in another format version, is not compared cell by cell (``why``: the
    difference the newer pack declares, if any)."""
    return f"{previous_year}年使用另一报告格式（{previous.document}）" + (f"：{why}" if why else "，两种格式不能逐格对应")


def comparable(form: Form, previous: Form, table: str, row: str, column: str) -> bool:
    """Whether cell (table, row, column) of ``form`` may be compared with the same cell of ``previous``."""
    if form.id == previous.id:
        return True
    cont = continuity(form, previous)
    return cont is not None and cont.comparable(table, row, column)


__all__ = ["Continuity", "FormPack", "comparable", "continuity", "load_pack", "other_format_note"]
