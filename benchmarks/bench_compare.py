"""Dashboard and comparison pages for 1,000 synthetic units × 5 years.

    .venv/bin/python benchmarks/bench_compare.py [--units 1000] [--years 2021-2025] [--out DIR]

Writes a synthetic project (``nianbao.synthetic``, one year after another with a different seed per
year) and measures, each step done for real (HTML written, XLSX written):

- dashboard: ``outputs/<year>/index.html`` + ``index.xlsx`` for every one of the years (units × years
  unit-years);
- compare units: every unit side by side in the last year;
- compare years: the roll-up county (compiled from its townships) over all the years, and one
  department over all the years.

Run twice: "cold" with no figures cache (every figures file parsed: the first run after a change of
every file), and "warm" with the cache that the cold run left (``outputs/.cache/figures``). The
target (≤ 5 s for the whole) is for the warm run; the cold run's parse time is printed beside it as
the baseline. The benchmark checks that both runs give the same pages — a fast wrong answer is not a
result.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lib"))

from nianbao.compare import compare_units, compare_years, parse_years, render  # noqa: E402
from nianbao.dashboard import build_dashboard, render_dashboard, xlsx_bytes  # noqa: E402
from nianbao.project import Project  # noqa: E402
from nianbao.synthetic import COUNTY, generate  # noqa: E402


class Clock:
    """Wall-clock and CPU seconds of a step (the machine is shared: CPU time is what the step itself costs)."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        w, c = time.perf_counter(), time.process_time()
        out = (w - self.wall, c - self.cpu)
        self.wall, self.cpu = w, c
        return out


def run(project: Project, years: list[int]) -> tuple[dict, dict]:
    times: dict[str, tuple[float, float]] = {}
    digests: dict[str, str] = {}
    registry = project.units()
    clock = Clock()
    for y in years:
        dash = build_dashboard(project, y, registry=registry)
        html = render_dashboard(project, y, dashboard=dash)
        xlsx = xlsx_bytes(dash)
        out = project.outputs_dir / str(y)
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(html, encoding="utf-8")
        (out / "index.xlsx").write_bytes(xlsx)
        digests[f"dashboard {y}"] = hashlib.sha256(html.encode() + xlsx).hexdigest()
    times["dashboard"] = clock.lap()
    cmp = compare_units(project, [u.id for u in registry], years[-1], registry=registry)
    page = render(cmp)
    digests["units"] = hashlib.sha256(page.encode()).hexdigest()
    times["compare units"] = clock.lap()
    for uid in (COUNTY, "demo-dept-001"):
        page = render(compare_years(project, uid, years, registry=registry))
        digests[f"years {uid}"] = hashlib.sha256(page.encode()).hexdigest()
    times["compare years"] = clock.lap()
    times["total"] = (sum(w for w, _ in times.values()), sum(c for _, c in times.values()))
    return times, digests


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--years", default="2021-2025")
    ap.add_argument("--out", help="project folder to write (default: a temporary one, removed after)")
    args = ap.parse_args()
    years = parse_years(args.years)
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="nianbao-bench-compare-"))
    t = time.perf_counter()
    for y in years:
        generate(root, args.units, y, seed=y)
    print(f"synthetic project: {args.units} units × {len(years)} years in {time.perf_counter() - t:.1f} s ({root})")
    project = Project(root)
    shutil.rmtree(project.outputs_dir / ".cache", ignore_errors=True)
    cold, d1 = run(project, years)
    warm, d2 = run(project, years)
    assert d1 == d2, "cold and warm runs gave different pages"
    print(f"{'step':<16}{'cold wall':>11}{'cold CPU':>10}{'warm wall':>11}{'warm CPU':>10}")
    for k in cold:
        print(f"{k:<16}{cold[k][0]:>10.2f}s{cold[k][1]:>9.2f}s{warm[k][0]:>10.2f}s{warm[k][1]:>9.2f}s")
    wall, cpu = warm["total"]
    print(f"warm total {wall:.2f} s wall, {cpu:.2f} s CPU (target ≤ 5 s): {'OK' if wall <= 5 else 'OVER'}; "
          f"cold/warm {cold['total'][1] / cpu:.1f}× in CPU time; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    if not args.out:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
