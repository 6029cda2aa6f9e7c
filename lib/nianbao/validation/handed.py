"""Validation handed to a report by its batch: the year validated once, each kernel given its unit's result.

``nianbao batch`` validates the units it is about to run in a validator process of its own — every
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

import os
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
# Batch side (the validator process)


def validate_into(project, year: int, units: list[str], spool: Path, *, chunks=None, report=None) -> None:
    """Validate ``units`` and write one pickle per unit into ``spool``.

    ``chunks``: sizes of successive validation calls (default: all at once); ``report(done)`` is
    called after each call with {unit: path or None} (None: the unit's inputs did not load — its run
    reports why).
    """
    from ..errors import NianbaoError
    from ..report import load_report
    from .core import context_from_report, validate_contexts

    registry = project.units()
    spool.mkdir(parents=True, exist_ok=True)
    sizes = list(chunks or [len(units)])
    start = 0
    while start < len(units):
        size = sizes.pop(0) if sizes else len(units) - start
        part = units[start:start + size]
        start += len(part)
        done: dict[str, str | None] = {}
        loaded = []
        for uid in part:
            try:
                before = current_inputs(project, registry, uid, year)
                rep = load_report(project, uid, year, registry=registry)
                ctx = context_from_report(rep)
            except NianbaoError:
                done[uid] = None
                continue
            loaded.append((uid, before, ctx))
        results = validate_contexts([c for _, _, c in loaded]) if loaded else []
        for (uid, before, ctx), result in zip(loaded, results):
            if current_inputs(project, registry, uid, year) != before:  # changed while we read it
                done[uid] = None
                continue
            volatile = {**result.volatile, "validated_by": "batch", "units_in_call": len(loaded)}
            from dataclasses import replace

            payload = {"schema": PICKLE_SCHEMA, "unit": uid, "year": int(year), "inputs": before,
                       "result": replace(result, volatile=volatile)}
            path = spool / f"{uid}.pickle"
            tmp = path.with_name(path.name + f".{os.getpid()}.partial")
            tmp.write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
            done[uid] = str(path)
        if report is not None:
            report(done)


def validator_main(conn, root: str, year: int, units: list[str], spool: str, chunks) -> None:
    """Entry point of the batch's validator process: messages ("done", {unit: path|None}) then ("end",)."""
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch handles Ctrl-C and stops this process
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    from ..project import Project

    try:
        validate_into(Project(Path(root)), year, units, Path(spool), chunks=chunks,
                      report=lambda done: conn.send(("done", done)))
        conn.send(("end", None))
    except BaseException:  # the units then validate in their kernels, as in a single run
        conn.send(("end", traceback.format_exc(limit=5)))
    finally:
        conn.close()


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
