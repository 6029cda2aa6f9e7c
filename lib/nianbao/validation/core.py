"""Building check contexts from a project and validating them, one unit or many at once."""
from __future__ import annotations

import time
from datetime import datetime, timezone

from ..errors import InputError
from ..figures import load_figures
from ..narrative import load_narrative
from ..prior import load_prior
from ..project import Project
from ..units import Unit
from .checks import CheckContext, run_checks
from .result import ValidationResult, complete, sort_key


def load_context(project: Project, unit: Unit, year: int) -> tuple[CheckContext, list[str]]:
    """The context for ``unit`` in ``year``, figures loaded with ``strict=False``.

    Raises :class:`InputError` when the figures file cannot be read at all (missing, invalid YAML,
    no year). Returns the context and the input errors that did not stop validation (an unreadable
    narrative: the context then has ``narrative=None``).

    A roll-up unit's figures are compiled from its children's as ``nianbao run`` compiles them
    (:func:`nianbao.rollup.load_unit_figures`): its own file may leave out the summed cells, and a
    summed cell it declares differently from the children's sum is an X-ROLLUP finding (check
    ``rollup``). A child that cannot be read raises :class:`InputError` naming it.
    """
    fig_path = project.figures_file(unit.id, year)
    if not fig_path.exists():  # a folder in its place: the loader says so
        raise InputError(f"{project.rel(fig_path)}: 找不到 {unit.name} {year} 年的数据文件。"
                         f"可用 `nianbao template --unit {unit.id} --year {year} > {project.rel(fig_path)}` 生成空白模板后填写。")
    registry = None
    if unit.rollup:
        from ..rollup import load_unit_figures

        registry = project.units()
        figures = load_unit_figures(project, unit.id, int(year), registry=registry, strict=False)
    else:
        figures = load_figures(fig_path, unit=unit.id, year=int(year), strict=False, display=project.rel(fig_path))
    problems = []
    nar_path = project.narrative_file(unit.id, year)
    try:
        narrative = load_narrative(nar_path, figures.form, display=project.rel(nar_path))
    except InputError as exc:
        narrative = None
        problems.append(str(exc))
    prior = load_prior(project, unit.id, int(year), figures.form, rollup=unit.rollup, registry=registry)
    ctx = CheckContext(unit=unit, year=int(year), figures=figures, prior=prior.figures, narrative=narrative,
                       project=project, prior_error=prior.error, prior_note=prior.note)
    return ctx, problems


def context_from_report(report) -> CheckContext:
    """The context of an opened report: its figures, narrative (already rendered) and prior year."""
    return CheckContext(unit=report.unit, year=report.year, figures=report.figures, prior=report.prior,
                        narrative=report.narrative, rendered=report.rendered, project=report.project,
                        prior_error=report.prior_year.error, prior_note=report.prior_year.note)


def _inputs(ctx: CheckContext) -> dict:
    out = {"figures": ctx.figures.display_path}
    if ctx.prior is not None:
        out["prior_figures"] = ctx.prior.display_path
    elif ctx.project is not None and ctx.project.figures_file(ctx.unit.id, ctx.year - 1).is_file():
        out["prior_figures"] = ctx.project.rel(ctx.project.figures_file(ctx.unit.id, ctx.year - 1))
    if ctx.narrative is not None and ctx.narrative.path is not None:
        out["narrative"] = ctx.narrative.display_path
    return out


def validate_contexts(contexts: list[CheckContext]) -> list[ValidationResult]:
    """Validate many unit-years in one pass (one GX run per rule, not per unit); results in order."""
    contexts = list(contexts)
    if not contexts:
        return []
    started = time.perf_counter()
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    runs = run_checks(contexts)
    seconds = round(time.perf_counter() - started, 3)
    results = []
    for ctx, run in zip(contexts, runs):
        findings = sorted((complete(f, ctx.form, ctx.unit.id, ctx.year) for f in run.findings), key=sort_key(ctx.form))
        results.append(ValidationResult(
            unit=ctx.unit.id, unit_name=ctx.unit.name, year=ctx.year, form=ctx.form.id, findings=tuple(findings),
            checks=run.checks, inputs=_inputs(ctx),
            volatile={"validated_at": at, "seconds": seconds, "units_in_call": len(contexts)},
        ))
    return results


def validate_units(contexts: list[CheckContext]) -> dict[str, ValidationResult]:
    """Validate one year's units in one call: {unit id: result}. Contexts must name distinct units."""
    contexts = list(contexts)
    ids = [c.unit.id for c in contexts]
    dupes = sorted({u for u in ids if ids.count(u) > 1})
    if dupes:
        raise ValueError(f"validate_units: units given more than once: {dupes} (use validate_contexts for several years)")
    return {r.unit: r for r in validate_contexts(contexts)}


_CACHE_ATTR = "_nianbao_validation"


def validate_report(report) -> ValidationResult:
    """Validate a :class:`~nianbao.report.Report` once; later calls return the cached result."""
    cached = report.__dict__.get(_CACHE_ATTR)
    if cached is None:
        from .handed import take_handed

        cached = take_handed(report)  # the batch's result for this unit, when it handed one that still holds
        if cached is None:
            from dataclasses import replace

            cached = validate_contexts([context_from_report(report)])[0]
            cached = replace(cached, volatile={**cached.volatile, "validated_by": "kernel"})
        report.__dict__[_CACHE_ATTR] = cached
    return cached
