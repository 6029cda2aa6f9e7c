"""Workbooks for N synthetic units: writing them, reading them back, collecting them.

    .venv/bin/python benchmarks/bench_workbook.py [--units 50]

Baselines measured in the same run (the machine may be shared: compare ratios, not seconds):
writing is compared with writing the same unit's figures.yaml (the scaffold text), reading with
openpyxl's default full load of the same files (twice, for values and formulas, as a naive reader
would). The round trip must give back every unit's figures exactly — a fast wrong answer is not a
result.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lib"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from nianbao.cli import main as cli  # noqa: E402
from nianbao.figures import load_figures  # noqa: E402
from nianbao.project import Project  # noqa: E402
from nianbao.scaffold import figures_yaml  # noqa: E402
from nianbao.synthetic import generate  # noqa: E402
from nianbao.workbook.reader import read_workbook  # noqa: E402

YEAR = 2022


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=50)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-workbook-"))
    try:
        synth = generate(tmp / "p", args.units, YEAR, seed=11, notebook=REPO / "notebooks" / "annual_report.ipynb")
        project = Project(synth.root)
        registry = project.units()
        ids = [u.id for u in synth.units]
        original = {u: load_figures(project.figures_file(u, YEAR), unit=u, year=YEAR) for u in ids}
        quiet = contextlib.redirect_stdout(io.StringIO())
        with Clock() as yaml_write:
            for u in ids:
                f = original[u]
                (tmp / f"{u}.yaml").write_text(figures_yaml(f.form, u, YEAR, registry.get(u).name, f.values), encoding="utf-8")
        with quiet, Clock() as write:
            assert cli(["workbook", "--project", str(synth.root), "--year", str(YEAR), "--all", "--out", str(tmp / "wb")]) == 0
        files = sorted((tmp / "wb").glob("*.xlsx"))
        from openpyxl import load_workbook

        with Clock() as full_load:
            for f in files:
                load_workbook(f, data_only=True)
                load_workbook(f, data_only=False)
        with Clock() as read:
            for f in files:
                read_workbook(f)
        for u in ids:
            project.figures_file(u, YEAR).unlink()
        with quiet, Clock() as collect:
            assert cli(["collect", "--project", str(synth.root), str(tmp / "wb")]) == 0
        for u in ids:
            back = load_figures(project.figures_file(u, YEAR), unit=u, year=YEAR)
            assert back.values == original[u].values and back.facts == original[u].facts, u
        n = len(ids)
        size = sum(f.stat().st_size for f in files) / n
        print(f"{n} units, {platform.python_implementation()} {platform.python_version()}, "
              f"load {os.getloadavg()[0]:.1f}, workbook {size / 1024:.0f} KB on average")
        print("| measurement | per unit, wall | per unit, CPU | ratio (CPU) |")
        print("|---|---|---|---|")
        rows = [("write figures.yaml (baseline for writing)", yaml_write, None),
                ("write workbook (`workbook --all`)", write, yaml_write),
                ("openpyxl full load ×2 (baseline for reading)", full_load, None),
                ("read workbook (streaming reader)", read, full_load),
                ("collect (read, check, write figures.yaml)", collect, full_load)]
        for name, c, base in rows:
            ratio = f"{c.cpu / base.cpu:.2f} ×" if base and base.cpu else ""
            print(f"| {name} | {1000 * c.wall / n:.1f} ms | {1000 * c.cpu / n:.1f} ms | {ratio} |")
        print("round trip: every unit's figures and facts read back unchanged")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
