"""Registry of checks: everything that turns a unit-year's inputs into :class:`~nianbao.findings.Finding`.

A check is a function ``fn(ctx) -> list[Finding]`` taking one :class:`CheckContext`, found by name
in :data:`CHECKS` (a :class:`nianbao.registry.Registry`). The kit declares its own in
:data:`BUILTIN_CHECKS` as ``"module:function"``; an outside package declares an entry point in the
group ``nianbao.checks`` the same way; :func:`register` adds one at run time (tests, notebooks)::

    from nianbao.validation import checks

    def lint(ctx: checks.CheckContext) -> list[Finding]:
        if ctx.narrative is None:
            return []
        ...
        return [Finding(rule_id="NARR-FIGURE", severity="error", message="…", ...)]

    checks.register("my-lint", lint)

Lookups resolve lazily and in a fixed order (built-ins first, then by name), so every validation —
the report, ``nianbao validate``, a worker, a kept kernel — runs the same checks whatever it
imported before. Importing this module is cheap: it does not import pandas or Great Expectations.

A check that is far cheaper over many units at once (the Great Expectations suites) registers with
``batch=True``: it then gets the whole list of contexts and returns one result per context, in the
same order. A result is a list of findings, or a :class:`CheckOutput` (findings plus JSON evidence
kept in ``validation.json``).

Fields of :class:`CheckContext`:

``unit``
    :class:`nianbao.units.Unit` — id, name, level (ministry/province/city/county/township), kind,
    parent, rollup, rulemaking.
``year``
    The report year (int).
``figures``
    :class:`nianbao.figures.Figures` of that year, loaded with ``strict=False``: defective cells
    are ``None`` and ``figures.problems`` holds the loader's problems (kind, raw text, line).
    ``figures.form`` is the form definition (also available as ``ctx.form``).
``prior``
    The prior year's :class:`~nianbao.figures.Figures` (loaded with ``strict=False``), or ``None``
    when the prior year has no figures file, it could not be read (see ``prior_error``) or it uses
    another form version (see ``prior_note``).
``prior_error``
    Why a prior-year figures file that exists could not be loaded (its loader message), else None.
``prior_note``
    Why existing prior-year figures were not compared (e.g. another form version), else None.
``narrative``
    :class:`nianbao.narrative.Narrative` (``report.narrative``), or ``None`` when it could not be
    loaded. A unit without ``narrative.md`` has an empty Narrative (``path is None``).
``rendered``
    :class:`nianbao.narrative.RenderedNarrative` when the caller already rendered the narrative (a
    report), else ``None``: a check that needs it renders ``narrative`` itself.
``project``
    :class:`nianbao.project.Project`, or ``None`` for contexts built outside a project (tests,
    benchmarks).

Findings a check returns need not carry ``unit``/``year``/labels: the validation fills ``unit``,
``year``, ``check`` and, from the form, ``table_name``/``row_label``/``column_label`` when only the
keys were given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..figures import Figures
from ..findings import Finding
from ..form import Form
from ..narrative import Narrative
from ..project import Project
from ..registry import Registry
from ..units import Unit

# The kit's own checks, found like an outside package's (entry-point group ``nianbao.checks``): by
# name and "module:function", resolved on first use. Nothing registers as a side effect of an import.
BUILTIN_CHECKS = (
    ("form-rules", "nianbao.validation.builtin:form_rules"),
    ("input-file", "nianbao.validation.builtin:input_file"),
    ("rollup", "nianbao.validation.builtin:rollup"),
    ("narrative", "nianbao.lint:narrative_check"),  # the narrative lint
    ("publication", "nianbao.publication:check"),  # the 落款's publication date (rule PUB-DATE)
)


@dataclass(frozen=True)
class CheckContext:
    unit: Unit
    year: int
    figures: Figures
    prior: Figures | None = None
    narrative: Narrative | None = None
    rendered: object | None = None  # the narrative with placeholders rendered, when the caller has it
    project: Project | None = None
    prior_error: str | None = None
    prior_note: str | None = None

    @property
    def form(self) -> Form:
        return self.figures.form


@dataclass(frozen=True)
class CheckOutput:
    """What a check may return instead of a plain list: its findings plus JSON-safe evidence, kept in
    ``validation.json`` under ``evidence.<check name>``."""

    findings: list
    evidence: dict | None = None


@dataclass(frozen=True)
class Check:
    name: str
    fn: Callable
    batch: bool = False


def _as_check(name: str, fn) -> "Check":
    if isinstance(fn, Check):
        return fn
    if not callable(fn):
        raise TypeError(f"check {name!r}: {fn!r} is not callable")
    return Check(name, fn, bool(getattr(fn, "batch", False)))


# Checks run in this order: the built-ins, then any other by name (never by import order, so every
# process — parent, worker, kept kernel — runs the same checks in the same order).
CHECKS = Registry("校验", "nianbao.checks", order=[n for n, _ in BUILTIN_CHECKS], load=_as_check,
                  builtin=BUILTIN_CHECKS)


def register(name: str, fn: Callable, *, batch: bool = False, replace: bool = False) -> None:
    """Add a check. ``fn(ctx) -> list[Finding]``; with ``batch=True``, ``fn(contexts) -> list[list[Finding]]``."""
    if not callable(fn):
        raise TypeError(f"check {name!r}: {fn!r} is not callable")
    known = CHECKS._items.get(name)
    if known is not None and not replace and known.fn is not fn:
        raise ValueError(f"check {name!r} is already registered (pass replace=True to replace it)")
    CHECKS.register(name, Check(name, fn, batch), replace=True)


def unregister(name: str) -> None:
    CHECKS.unregister(name)


def registered() -> dict[str, Check]:
    """Every check, built-ins first, then the others by name."""
    return dict(CHECKS.items())


@dataclass
class CheckRun:
    """Everything the registered checks produced for one context."""

    findings: list[Finding]
    checks: dict[str, dict]  # check name -> {"findings": n, "evidence": {...}?}


def run_checks(contexts: list[CheckContext]) -> list[CheckRun]:
    """Run every registered check over ``contexts``; one :class:`CheckRun` per context, same order."""
    out = [CheckRun([], {}) for _ in contexts]
    for check in registered().values():
        if check.batch:
            per = list(check.fn(contexts))
            if len(per) != len(contexts):
                raise RuntimeError(f"batch check {check.name!r} returned {len(per)} results for {len(contexts)} contexts")
        else:
            per = [check.fn(ctx) for ctx in contexts]
        for i, got in enumerate(per):
            evidence = None
            if isinstance(got, CheckOutput):
                got, evidence = got.findings, got.evidence
            found = []
            for f in got or ():
                if not isinstance(f, Finding):
                    raise TypeError(f"check {check.name!r} returned {f!r}, not a Finding")
                found.append(f if f.check else _with_check(f, check.name))
            out[i].findings.extend(found)
            out[i].checks[check.name] = {"findings": len(found)} | ({"evidence": evidence} if evidence else {})
    return out


def _with_check(f: Finding, name: str) -> Finding:
    from dataclasses import replace

    return replace(f, check=name)


__all__ = ["BUILTIN_CHECKS", "CHECKS", "Check", "CheckContext", "CheckOutput", "CheckRun", "register", "registered", "run_checks",
           "unregister"]
