"""Benchmark: `nianbao batch` against a loop of the papermill and nbconvert command lines.

Run on demand (not part of the tests):

    .venv/bin/python benchmarks/bench_batch.py                   # HTML (and PDF when its exporter is installed)
    .venv/bin/python benchmarks/bench_batch.py --units 200 --sample 20 --rerun-units 1000 --jobs 2

Over the same synthetic units (``nianbao synth``, seed fixed) and the same notebook it measures

(a) baseline: per unit, ``papermill`` CLI then ``jupyter nbconvert --to nianbao_html`` (and
    ``--to nianbao_pdf``) — on a sample of ``--sample`` units, scaled to ``--units``;
(b) ``nianbao batch`` on all ``--units`` units (HTML, then HTML+PDF);
(c) a no-change rerun of ``--rerun-units`` units (the batch is run once to produce every report, then
    again: every unit is skipped);
(d) peak memory of the batch's process tree (batch process, workers, kernels, browsers), sampled
    every 0.25 s: summed RSS (counts shared pages once per process) and summed PSS (the footprint);
(e) where a warm unit's time goes: preflight, the notebook's steps (loading, GX validation, the rest),
    nbconvert export — measured in-process on a sample of units.

It prints the ratios against the targets of issue 6 (HTML ≥ 20×, with PDF ≥ 10×, rerun ≤ 5 s,
memory ≤ 2 GB) and the machine's load average, since the machine may be shared.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
YEAR = 2022


def run(cmd, **kw) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


class PeakRSS:
    """Peak memory of a process and all its descendants, sampled in a background thread.

    ``peak``: the largest sum of RSS — what the issue asks for, but it counts pages shared between
    processes (libraries, Chromium's zygote-forked processes) once per process. ``peak_pss``: the
    largest sum of PSS (each shared page divided among its sharers) — the tree's actual footprint.
    """

    def __init__(self, pid: int, every: float = 0.25):
        import psutil

        self.proc = psutil.Process(pid)
        self.peak = 0
        self.peak_pss = 0
        self.every = every
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        import psutil

        while not self._stop.is_set():
            rss = pss = 0
            try:
                for p in [self.proc, *self.proc.children(recursive=True)]:
                    try:
                        info = p.memory_full_info()
                        rss += info.rss
                        pss += getattr(info, "pss", info.rss)
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)
            time.sleep(self.every)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self.thread.join()
        return self.peak, self.peak_pss


def batch(root: Path, *args) -> tuple[float, tuple[int, int], str]:
    cmd = [str(BIN / "nianbao"), "batch", "--project", str(root), "--year", str(YEAR), "-q", *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem = PeakRSS(proc.pid)
    out, err = proc.communicate()
    secs = time.perf_counter() - t
    peak = mem.stop()
    if proc.returncode not in (0, 3, 5):
        raise SystemExit(f"batch failed ({proc.returncode}):\n{out}\n{err}")
    return secs, peak, out


def pdf_available() -> bool:
    try:
        from nbconvert.exporters import get_exporter

        get_exporter("nianbao_pdf")
        from nianbao.exporters import browser

        browser.find_chromium()
        browser.require_cjk_font()
        return True
    except Exception:
        return False


def baseline(root: Path, units: list[str], pdf: bool) -> dict[str, list[float]]:
    """papermill CLI + nbconvert CLI per unit, as a plain loop would do it."""
    times: dict[str, list[float]] = {"papermill": [], "html": [], "pdf": []}
    out = root / "baseline"
    out.mkdir(exist_ok=True)
    for unit in units:
        nb = out / f"{unit}.ipynb"
        times["papermill"].append(run([str(BIN / "papermill"), str(root / "notebooks" / "annual_report.ipynb"),
                                       str(nb), "-p", "unit", unit, "-p", "year", str(YEAR), "-p", "project_dir",
                                       "..", "--cwd", str(root / "notebooks"), "--no-progress-bar"]))
        times["html"].append(run([str(BIN / "jupyter"), "nbconvert", "--to", "nianbao_html", str(nb)]))
        if pdf:
            times["pdf"].append(run([str(BIN / "jupyter"), "nbconvert", "--to", "nianbao_pdf", str(nb)]))
        print(f"  baseline {unit}: papermill {times['papermill'][-1]:.1f}s, html {times['html'][-1]:.1f}s"
              + (f", pdf {times['pdf'][-1]:.1f}s" if pdf else ""), flush=True)
    return times


def profile_steps(root: Path, units: list[str], pdf: bool) -> dict[str, float]:
    """Mean seconds per unit of each step, in one warm process (what a warm kernel + worker do)."""
    code = f"""
import json, os, sys, time
os.chdir({str(root / 'notebooks')!r})
import great_expectations, pandas
from nianbao.project import Project
from nianbao.runner import preflight, export
from nianbao.report import open_report
from pathlib import Path
p = Project(Path({str(root)!r}))
units = {units!r}
acc = {{}}
def t(name, fn):
    s = time.perf_counter(); r = fn(); acc[name] = acc.get(name, 0) + time.perf_counter() - s; return r
open_report(units[0], {YEAR}, '..').banner()  # first use of GX: not counted
for u in units:
    t('preflight', lambda: preflight(p, u, {YEAR}))
    rep = t('notebook: open_report', lambda: open_report(u, {YEAR}, '..'))
    t('notebook: validation (GX)', lambda: (rep.banner(), rep.validation()))
    t('notebook: sections + appendix', lambda: ([rep.section(s) for s in ('overview', 'proactive', 'requests',
      'appeals', 'problems', 'other')], rep.appendix()))
    nb = p.output_dir(u, {YEAR}) / 'report.ipynb'
    t('export: nbconvert html', lambda: export(nb, 'html'))
    if {pdf!r}:
        t('export: nbconvert pdf', lambda: export(nb, 'pdf'))
print(json.dumps({{k: v / len(units) for k, v in acc.items()}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def state_timings(root: Path) -> dict[str, float]:
    data = json.loads((root / "outputs" / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    recs = [r for r in data["units"].values() if r.get("outcome") == "ok" and r.get("timings")
            and not r["timings"].get("started_kernel")]
    if not recs:
        return {}
    total = statistics.mean(r["seconds"] for r in recs)
    cells = statistics.mean(r["timings"]["cells"] for r in recs)
    reset = statistics.mean(r["timings"]["prepare_or_reset"] for r in recs)
    return {"unit total (worker)": total, "kernel reset": reset, "notebook cells (kernel)": cells,
            "rest: preflight, papermill, export, side outputs": total - cells - reset}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--sample", type=int, default=20, help="units for the papermill+nbconvert CLI baseline")
    ap.add_argument("--rerun-units", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = ap.parse_args()

    sys.path.insert(0, str(REPO / "lib"))
    from nianbao.synthetic import generate

    pdf = not args.no_pdf and pdf_available()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()} at start (shared machine: other "
          f"work running now slows every number below)")
    print(f"workdir {work}; jobs {args.jobs}; PDF exporter: {'yes' if pdf else 'not available — PDF pending'}")
    results: dict = {}

    proj = work / f"units{args.units}"
    shutil.rmtree(proj, ignore_errors=True)
    synth = generate(proj, args.units, YEAR, seed=2022, notebook=REPO / "notebooks" / "annual_report.ipynb")
    ids = [u.id for u in synth.units]
    sample = [u for u in ids if not u.startswith("demo-county")][: args.sample]

    print(f"(a) baseline: papermill CLI + nbconvert CLI on {len(sample)} units …", flush=True)
    base = baseline(proj, sample, pdf)
    per_html = statistics.mean(a + b for a, b in zip(base["papermill"], base["html"]))
    results["baseline_html_per_unit"] = per_html
    results["baseline_html_total"] = per_html * args.units
    if pdf:
        per_pdf = per_html + statistics.mean(base["pdf"])
        results["baseline_pdf_total"] = per_pdf * args.units

    print(f"(b) nianbao batch on {args.units} units, HTML …", flush=True)
    secs, peak, _ = batch(proj, "--jobs", str(args.jobs), "--force")
    results["batch_html"], results["peak_rss_html"] = secs, peak
    results["warm_breakdown"] = state_timings(proj)
    if pdf:
        print(f"(b) nianbao batch on {args.units} units, HTML + PDF …", flush=True)
        secs, peak, _ = batch(proj, "--jobs", str(args.jobs), "--formats", "html,pdf", "--force")
        results["batch_pdf"], results["peak_rss_pdf"] = secs, peak

    print("(e) profile of one warm unit's steps …", flush=True)
    results["steps"] = profile_steps(proj, sample[: min(10, len(sample))], pdf)

    big = work / f"units{args.rerun_units}"
    shutil.rmtree(big, ignore_errors=True)
    generate(big, args.rerun_units, YEAR, seed=2023, notebook=REPO / "notebooks" / "annual_report.ipynb")
    print(f"(c) nianbao batch on {args.rerun_units} units (first run, to produce every report) …", flush=True)
    secs, peak, _ = batch(big, "--jobs", str(args.jobs))
    results["batch_big_first"], results["peak_rss_big"] = secs, peak
    print(f"(c) no-change rerun of {args.rerun_units} units …", flush=True)
    rerun, _, out = batch(big, "--jobs", str(args.jobs))
    results["rerun"] = rerun
    assert f"跳过 {args.rerun_units}。本次运行 0 个" in out, out[-400:]

    gb = 2**30
    print("\n=== results ===")
    print(f"machine load average at end: {os.getloadavg()}")
    print(f"(a) baseline per unit (papermill CLI + nbconvert --to nianbao_html): {per_html:.1f} s "
          f"(papermill {statistics.mean(base['papermill']):.1f} s, nbconvert {statistics.mean(base['html']):.1f} s)"
          f" → {results['baseline_html_total'] / 60:.1f} min for {args.units} units")
    ratio = results["baseline_html_total"] / results["batch_html"]
    print(f"(b) nianbao batch, {args.units} units, HTML: {results['batch_html']:.1f} s → {ratio:.1f}× faster "
          f"(target ≥ 20×) {'OK' if ratio >= 20 else 'BELOW TARGET'}")
    if pdf:
        ratio_pdf = results["baseline_pdf_total"] / results["batch_pdf"]
        print(f"    baseline with PDF: {results['baseline_pdf_total'] / 60:.1f} min; nianbao batch HTML+PDF: "
              f"{results['batch_pdf']:.1f} s → {ratio_pdf:.1f}× faster (target ≥ 10×) "
              f"{'OK' if ratio_pdf >= 10 else 'BELOW TARGET'}")
    else:
        print("    PDF: pending (nianbao_pdf exporter or Chromium/CJK font not available)")
    print(f"(c) no-change rerun of {args.rerun_units} units: {results['rerun']:.2f} s (target ≤ 5 s) "
          f"{'OK' if results['rerun'] <= 5 else 'ABOVE TARGET'}; first run of those units took "
          f"{results['batch_big_first']:.0f} s")
    runs = [("html", "HTML"), ("pdf", "HTML+PDF"), ("big", f"{args.rerun_units} units HTML")]
    print("(d) peak memory of the batch process tree (target ≤ 2 GB):")
    for key, label in runs:
        if f"peak_rss_{key}" in results:
            rss, pss = results[f"peak_rss_{key}"]
            print(f"      {label:22s} summed RSS {rss / gb:.2f} GB {'OK' if rss <= 2 * gb else 'ABOVE'}; "
                  f"summed PSS {pss / gb:.2f} GB {'OK' if pss <= 2 * gb else 'ABOVE'}")
    print("(e) a warm unit, seconds (batch state, per worker):")
    for k, v in results["warm_breakdown"].items():
        print(f"      {k:50s} {v:.3f}")
    print("    steps measured in one warm process (mean over a sample):")
    for k, v in results["steps"].items():
        print(f"      {k:50s} {v:.3f}")
    (work / "bench-results.json").write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
