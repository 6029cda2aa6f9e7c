"""Validation handed to a report by its batch: the year validated once, each kernel given its unit's result.

``nianbao batch`` validates the units it is about to run in a validator process of its own
(:mod:`nianbao.batch.validator`) — every
unit in few Great Expectations runs per rule (:func:`validate_contexts`), exactly as ``nianbao
validate --year`` does — and writes each unit's :class:`~nianbao.validation.result.ValidationResult`
to ``outputs/<year>/.batch-validation/<unit>.pickle`` together with the sha256 of every input it was
computed from. The worker hands that file to its warm kernel (``nianbao.batch.kernelside``) before the
notebook runs; :func:`nianbao.validation.validate_report` takes it instead of validating again — but
only when it is for the same unit and year and every input still has the recorded hash. Otherwise (or
when nothing was handed: ``nianbao run``, ``verify --rerun``, ``batch --strict-kernels``) the kernel
validates the report itself.

The report is built from the same context either way (the validator opens each unit's report as the
notebook does, :func:`nianbao.report.load_report`, and validates its :func:`context_from_report`),
so the report shows the same findings byte for byte. Which run produced the result is evidence: the
validation section's output carries it under :data:`RUN_MIME` (``validated_by``: ``batch`` or
``report``, ``units_in_call``, ``validated_at``, ``seconds``) — declared volatile in
:data:`nianbao.manifest.VOLATILE_FIELDS`, since a batch and a single run on the same inputs differ
there and nowhere else.
"""
from __future__ import annotations

import pickle
import sys
from pathlib import Path

RUN_MIME = "application/vnd.nianbao.validation-run+json"
SPOOL_DIR = ".batch-validation"
PICKLE_SCHEMA = 1
KERNELSIDE = "nianbao.batch.kernelside"


def current_inputs(project, registry, unit: str, year: int) -> dict:
    """Role → {path, sha256} of every input the unit's report reads (as its provenance records them)."""
    from ..inputs import input_hashes

    unit_obj = registry.get(unit)
    children = sorted(c.id for c in registry.children(unit)) if unit_obj.rollup else []
    return input_hashes(project, unit, int(year), children)


# ---------------------------------------------------------------------------------------------------
# Batch side (the validator process itself is nianbao.batch.validator)


def chunk_sizes(n: int, jobs: int) -> list[int]:
    """Sizes of the validator's calls: a small first one so the workers start at once, then doubling
    (few calls; each call is one Great Expectations run per rule over all its units)."""
    sizes, size, left = [], max(2, 2 * jobs), n
    while left > 0:
        sizes.append(min(size, left))
        left -= sizes[-1]
        size *= 2
    return sizes


# ---------------------------------------------------------------------------------------------------
# Kernel side


def take_handed(report):
    """The result the batch handed this kernel for ``report``, or None (then the kernel validates).

    Used once: the hand-over is cleared whether or not it matched.
    """
    ks = sys.modules.get(KERNELSIDE)
    path = getattr(ks, "handed_validation", None) if ks is not None else None
    if not path:
        return None
    ks.handed_validation = None
    try:
        payload = pickle.loads(Path(path).read_bytes())
    except Exception:
        return None
    if (not isinstance(payload, dict) or payload.get("schema") != PICKLE_SCHEMA
            or payload.get("unit") != report.unit.id or payload.get("year") != report.year):
        return None
    registry = report.registry if report.registry is not None else report.project.units()
    try:
        if current_inputs(report.project, registry, report.unit.id, report.year) != payload.get("inputs"):
            return None
    except Exception:
        return None
    return payload["result"]
