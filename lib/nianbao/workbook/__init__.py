"""Excel/WPS workbooks: the form as offices fill it in, send it out and collect it back.

- :mod:`.layout` — where each label and input cell of a table sits (from the form model);
- :mod:`.formulas` — the check sheet's formulas, one builder per rule kind;
- :mod:`.writer` — a unit-year's workbook; :mod:`.summary` — the supervising office's overview;
- :mod:`.reader` — a returned workbook → entries with their cell addresses;
- :mod:`.csvio` — the same figures as one long CSV table, both ways;
- :mod:`.intake` — entries from any reader → checked figures file (the YAML loader's own parsing),
  written atomically, with what changed.
"""
from __future__ import annotations

from ..errors import InputError
from ..project import Project
from ..units import Unit


def workbook_input(project: Project, unit: Unit, year: int, registry=None):
    """What a unit's workbook for ``year`` shows: its current figures (if any), facts, and last year's
    carried-over rows pre-filled where this year's are still empty (from the form's previous_year rules)."""
    from .. import forms
    from ..figures import load_figures
    from ..prior import load_prior
    from ..validation.rules import PreviousYearRule, compile_rules
    from .writer import WorkbookInput, check_context

    form = forms.for_year(year)
    values: dict = {t.key: {} for t in form.tables}
    facts = {}
    path = project.figures_file(unit.id, year)
    if path.is_file():
        if unit.rollup:
            from ..rollup import load_unit_figures

            current = load_unit_figures(project, unit.id, year, registry=registry, strict=False)
        else:
            current = load_figures(path, unit=unit.id, year=year, strict=False, display=project.rel(path))
        if current.form.id != form.id:
            raise InputError(f"{project.rel(path)}: 使用格式 {current.form.id}，但 {year} 年适用 {form.id}。")
        values = {k: {c: v for c, v in cells.items() if v is not None} for k, cells in current.values.items()}
        facts = dict(current.facts)
    prior = load_prior(project, unit.id, year, form, rollup=unit.rollup, registry=registry)
    if prior.figures is not None and not facts:
        facts = {k: type(f)(key=f.key, value=None, unit=f.unit, label=f.label, approx=f.approx)
                 for k, f in prior.figures.facts.items()}
    data = WorkbookInput(form=form, unit=unit, year=year, values=values, facts=facts, prior=prior)
    if prior.figures is None:
        return data
    ctx = check_context(data)
    for rule in compile_rules(form):
        if not isinstance(rule, PreviousYearRule) or rule.not_applicable(ctx) is not None:
            continue
        filled = False
        for _actual, before, f in rule.items_for(0, ctx):  # the columns the rule compares, with last year's figure
            cells = values.setdefault(f["table"], {})
            if (f["row"], f["column"]) not in cells and before is not None:
                cells[(f["row"], f["column"])] = before
                filled = True
        if filled:
            data.notes.append(f"{rule.table.name}「{rule.current.label}」已按 {year - 1} 年「{rule.previous.label}」预填。")
    return data
