"""Validation of a unit-year's figures: every consistency rule of the national form, as Great
Expectations suites derived from the form definition, plus any other registered check.

Public API (importing this package is cheap; pandas and Great Expectations load on first use):

- :func:`validate_report(report) <nianbao.validation.core.validate_report>` — validate a Report
  once (cached on it); shown by :mod:`nianbao.present.validation` (banner and section).
- :func:`validate_units(contexts) <nianbao.validation.core.validate_units>` → ``{unit id: result}``
  for one year's units in one call (one GX run per rule, not per unit);
  :func:`validate_contexts(contexts)` → results in order, for any mix of years.
- :func:`load_context(project, unit, year)` → ``(CheckContext, input_errors)``.
- :mod:`nianbao.validation.checks` — the check registry (``checks.register(name, fn)``) and the
  :class:`~nianbao.validation.checks.CheckContext` given to every check.
- :class:`~nianbao.validation.result.ValidationResult` — status (通过 / 警告 / 不通过), counts,
  sorted findings, evidence; ``to_bytes()`` is ``validation.json``.

The kit reports; it never repairs, rounds or re-derives a figure.
"""
from __future__ import annotations

from .evidence import FILENAME, MIME


def validate_report(report):
    from .core import validate_report as run

    return run(report)


def validate_units(contexts):
    from .core import validate_units as run

    return run(contexts)


def validate_contexts(contexts):
    from .core import validate_contexts as run

    return run(contexts)


def load_context(project, unit, year):
    from .core import load_context as load

    return load(project, unit, year)


__all__ = ["FILENAME", "MIME", "load_context", "validate_contexts",
           "validate_report", "validate_units"]
