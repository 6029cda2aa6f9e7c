"""The same unit's figures for the year before: used by the cross-year rules and by ``change()`` in
the narrative. One loader for the report, the runner's preflight and ``nianbao validate``."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .figures import Figures, load_figures
from .project import Project


@dataclass(frozen=True)
class PriorYear:
    figures: Figures | None = None  # None: no prior year to compare with
    error: str | None = None  # a prior-year file exists but could not be read (its loader message)
    note: str | None = None  # it was read but is not comparable (another form version, no declared continuity)


def load_prior(project: Project, unit: str, year: int, form, *, rollup: bool = False, registry=None) -> PriorYear:
    """The prior year of ``unit``, defective cells loaded as None.

    For a roll-up unit the prior year is compiled from the children's files
    (:func:`nianbao.rollup.load_prior_figures`); when that is impossible (a child without last
    year's data) there is simply no prior-year comparison.
    """
    if rollup:
        from .rollup import load_prior_figures

        prior = load_prior_figures(project, unit, year, registry=registry)
        if prior is None:
            return PriorYear()
    else:
        path = project.figures_file(unit, year - 1)
        if not path.exists() and not path.is_symlink():
            return PriorYear()
        try:
            prior = load_figures(path, unit=unit, year=year - 1, strict=False, display=project.rel(path))
        except InputError as exc:  # also a folder, a dangling link or an unreadable file in its place
            return PriorYear(error=str(exc))
    if prior.form.id != form.id:
        from .formpack import continuity, other_format_note

        if continuity(form, prior.form) is None:
            return PriorYear(note=other_format_note(year - 1, prior.form))
        # The pack declares which cells continue across the two formats; only those are compared
        # (cross-year rules and change() check it cell by cell).
    return PriorYear(figures=prior)
