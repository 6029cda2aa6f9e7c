"""Validation time: one unit, and 1,000 synthetic units in one call.

    .venv/bin/python benchmarks/bench_validation.py [--units 1000] [--repeat 5]

Every number is printed next to a baseline measured in the same run (the machine may be shared, so
absolute seconds drift; the ratios are what to compare between runs). The synthetic units are made
from the bundled seed unit's figures with small perturbations: most stay consistent (the same number
added on both sides of every identity), a known share is broken on purpose, and the benchmark checks
that exactly those units fail — a fast wrong answer is not a result.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lib"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from nianbao.errors import Problem  # noqa: E402
from nianbao.figures import load_figures  # noqa: E402
from nianbao.units import Unit  # noqa: E402
from nianbao.validation.checks import CheckContext  # noqa: E402

SEED = REPO / "data" / "2022" / "zhungeer" / "figures.yaml"


def synthetic_contexts(n: int) -> tuple[list[CheckContext], set[str]]:
    """n units from the seed; every 20th has 自然人 −1 / 其他 +1 on row 一, every 50th a "/" cell."""
    seed = load_figures(SEED, strict=False, display="data/2022/zhungeer/figures.yaml")
    t3 = seed.form.table("table3")
    contexts, broken = [], set()
    for i in range(n):
        uid = f"u{i:04d}"
        values = {k: dict(v) for k, v in seed.values.items()}
        problems: list[Problem] = []
        d = i % 7  # consistent perturbation: d more requests received and disclosed
        for row in ("new", "disclosed", "results_total"):
            values["table3"][(row, "natural_person")] += d
            values["table3"][(row, "total")] += d
        values["table2"][("licensing", "decisions")] += i
        if i % 20 == 3:
            values["table3"][("new", "natural_person")] -= 1
            values["table3"][("new", "other_org")] += 1
            broken.add(uid)
        if i % 50 == 7:
            values["table3"][("withheld_inquiry", "research")] = None
            row = t3.row("withheld_inquiry")
            problems.append(Problem(file=f"data/2022/{uid}/figures.yaml", message="'/' 是缺失值，不是 0。",
                                    table=t3.name, row_number=row.number, row_label=row.label,
                                    column_label="科研机构", kind="missing_value", value="/"))
            broken.add(uid)
        figures = replace(seed, unit=uid, values=values, problems=problems, display_path=f"data/2022/{uid}/figures.yaml")
        unit = Unit(id=uid, name=f"合成单位{i}", level="county")
        contexts.append(CheckContext(unit=unit, year=2022, figures=figures))
    return contexts, broken


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5, help="repetitions of the one-unit baseline (median)")
    ap.add_argument("--separate", type=int, default=20,
                    help="units validated one call each, to extrapolate the cost of not batching")
    args = ap.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    startup, _ = timed(lambda: __import__("nianbao.validation.engine", fromlist=["engine"]).engine())
    from nianbao.validation import validate_contexts, validate_units
    from nianbao.validation.engine import engine

    eng = engine()
    print(f"nianbao validation benchmark — great_expectations {eng.version}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at start")
    contexts, broken = synthetic_contexts(args.units)
    one = contexts[0]
    validate_contexts([one])  # first run builds the suites
    singles = [timed(lambda: validate_contexts([one]))[0] for _ in range(args.repeat)]
    base = statistics.median(singles)

    sep_n = min(args.separate, len(contexts))
    sep, _ = timed(lambda: [validate_contexts([c]) for c in contexts[:sep_n]])
    sep_per_unit = sep / sep_n

    runs_before = eng.runs
    total, results = timed(lambda: validate_units(contexts))
    gx_runs = eng.runs - runs_before
    failed = {u for u, r in results.items() if r.status_code == "failed"}
    if failed != broken:
        print(f"WRONG RESULT: {len(failed)} units failed, {len(broken)} were broken on purpose", file=sys.stderr)
        return 1
    errors = sum(r.counts["error"] for r in results.values())
    per_unit = total / len(contexts)

    rows = [
        ("startup: import GX + ephemeral context (once per process)", f"{startup:8.2f} s", ""),
        (f"one unit, one call (baseline; median of {args.repeat})", f"{base * 1000:8.1f} ms", "1.00 × baseline"),
        (f"{sep_n} units, one call each (per unit)", f"{sep_per_unit * 1000:8.1f} ms",
         f"{sep_per_unit / base:.2f} × baseline"),
        (f"{len(contexts):,} units in one call (total)", f"{total:8.2f} s",
         f"{total / base:.1f} × baseline; {gx_runs} GX runs in all"),
        (f"{len(contexts):,} units in one call (per unit)", f"{per_unit * 1000:8.2f} ms",
         f"{per_unit / base:.3f} × baseline"),
        (f"speed-up over {len(contexts):,} separate calls (extrapolated)", f"{sep_per_unit / per_unit:8.1f} ×", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value, ratio in rows:
        print(f"  {label:<{width}}  {value}  {ratio}".rstrip())
    print(f"  check: {len(failed)} of {len(contexts):,} synthetic units failed ({errors} errors), exactly the "
          f"{len(broken)} broken on purpose")
    return 0


if __name__ == "__main__":
    sys.exit(main())
