"""Benchmark: `nianbao batch` against a loop of the papermill and nbconvert command lines.

Run on demand (not part of the tests):

    .venv/bin/python benchmarks/bench_batch.py                    # 60 units, scaling at 60, 300, 1000
    .venv/bin/python benchmarks/bench_batch.py --units 60 --sample 6 --scale 60,300,1000 --scale-pdf 60,300 --jobs 2

Over the same synthetic units (``nianbao synth``, seed fixed) and the same notebook it measures

(a) baseline: per unit, ``papermill`` CLI then ``jupyter nbconvert --to nianbao_html`` (and
    ``--to nianbao_pdf``) — on a sample of ``--sample`` units, scaled to ``--units``;
(b) ``nianbao batch`` on all ``--units`` units (HTML, then HTML+PDF);
(c) a no-change rerun of the largest ``--scale`` project (every unit is skipped);
(d) peak memory of the batch's process tree (batch process, validator, workers, kernels, the one
    browser), sampled every 0.25 s: summed RSS (counts shared pages once per process) and summed PSS
    (the footprint);
(e) where a warm unit's time goes (batch state, per worker);
(f) the scaling line: seconds per unit and peak memory of a first run at each ``--scale`` size (HTML)
    and each ``--scale-pdf`` size (HTML+PDF), so cost growth with the batch size is visible.

It prints the ratios against the targets of issue 16 (HTML ≥ 60×, with PDF ≥ 30×, 1,000 units HTML
≤ 200 s, rerun ≤ 1.5 s, memory ≤ 2 GB summed RSS with PDF) and what else used the machine's CPUs while
it ran (load average, and the CPU share of processes outside the benchmark), since the machine may be
shared.
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


CPU: dict[str, float] = {"last": 0.0}  # CPU seconds of the last finished child process tree


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished, waited-for descendant of this process so far:
    a measure of work that the machine's other load does not inflate much (unlike wall time)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd, **kw) -> float:
    c0 = children_cpu()
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    CPU["last"] = children_cpu() - c0
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


class OtherLoad:
    """CPU used by processes outside this benchmark's tree while it runs (other users of the machine)."""

    def __init__(self, every: float = 2.0):
        import psutil

        self.me = psutil.Process()
        self.samples: list[float] = []
        self.top: dict[str, float] = {}
        self._stop = threading.Event()
        self.every = every
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        import psutil

        last: dict[int, tuple[float, str]] = {}
        t_last = time.monotonic()
        while not self._stop.wait(self.every):
            mine = {self.me.pid, *(p.pid for p in self.me.children(recursive=True))}
            now = {}
            for p in psutil.process_iter(["pid", "name", "cmdline", "cpu_times"]):
                try:
                    ct = p.info["cpu_times"]
                    if ct is None or p.info["pid"] in mine:
                        continue
                    cmd = " ".join((p.info["cmdline"] or [])[:3])[-60:] or p.info["name"]
                    now[p.info["pid"]] = (ct.user + ct.system, cmd)
                except psutil.Error:
                    continue
            t = time.monotonic()
            used = 0.0
            for pid, (cpu, cmd) in now.items():
                if pid in last:
                    d = max(0.0, cpu - last[pid][0])
                    used += d
                    self.top[cmd] = self.top.get(cmd, 0.0) + d
            if last:
                self.samples.append(used / (t - t_last))
            last, t_last = now, t

    def stop(self) -> tuple[float, list[tuple[str, float]]]:
        self._stop.set()
        self.thread.join()
        mean = statistics.mean(self.samples) if self.samples else 0.0
        return mean, sorted(self.top.items(), key=lambda kv: -kv[1])[:6]


def batch(root: Path, *args) -> tuple[float, tuple[int, int], str]:
    cmd = [str(BIN / "nianbao"), "batch", "--project", str(root), "--year", str(YEAR), "-q", *args]
    c0 = children_cpu()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem = PeakRSS(proc.pid)
    out, err = proc.communicate()
    CPU["last"] = children_cpu() - c0
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
    times: dict[str, list[float]] = {"papermill": [], "html": [], "pdf": [], "cpu_html": [], "cpu_pdf": []}
    out = root / "baseline"
    out.mkdir(exist_ok=True)
    for unit in units:
        nb = out / f"{unit}.ipynb"
        times["papermill"].append(run([str(BIN / "papermill"), str(root / "notebooks" / "annual_report.ipynb"),
                                       str(nb), "-p", "unit", unit, "-p", "year", str(YEAR), "-p", "project_dir",
                                       "..", "--cwd", str(root / "notebooks"), "--no-progress-bar"]))
        cpu = CPU["last"]
        times["html"].append(run([str(BIN / "jupyter"), "nbconvert", "--to", "nianbao_html", str(nb)]))
        times["cpu_html"].append(cpu + CPU["last"])
        if pdf:
            times["pdf"].append(run([str(BIN / "jupyter"), "nbconvert", "--to", "nianbao_pdf", str(nb)]))
            times["cpu_pdf"].append(CPU["last"])
        print(f"  baseline {unit}: papermill {times['papermill'][-1]:.1f}s, html {times['html'][-1]:.1f}s"
              + (f", pdf {times['pdf'][-1]:.1f}s" if pdf else ""), flush=True)
    return times


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


def scaled(work: Path, n: int, seed: int, jobs: int, formats: str) -> dict:
    from nianbao.synthetic import generate

    proj = work / f"scale{n}-{formats.replace(',', '+')}"
    shutil.rmtree(proj, ignore_errors=True)
    generate(proj, n, YEAR, seed=seed, notebook=REPO / "notebooks" / "annual_report.ipynb")
    secs, (rss, pss), out = batch(proj, "--jobs", str(jobs), "--formats", formats)
    cpu = CPU["last"]
    assert f"跳过 0。本次运行 {n} 个" in out and "失败 0" in out, out[-400:]
    return {"units": n, "formats": formats, "seconds": secs, "per_unit": secs / n, "rss": rss, "pss": pss,
            "cpu_per_unit": cpu / n, "project": proj}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, default=60)
    ap.add_argument("--sample", type=int, default=6, help="units for the papermill+nbconvert CLI baseline")
    ap.add_argument("--scale", default="60,300,1000", help="batch sizes of the scaling line, HTML (the largest "
                                                           "is also the no-change rerun)")
    ap.add_argument("--scale-pdf", default="60,300", help="batch sizes of the scaling line, HTML+PDF")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--no-pdf", action="store_true")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = ap.parse_args()

    sys.path.insert(0, str(REPO / "lib"))
    from nianbao.synthetic import generate

    pdf = not args.no_pdf and pdf_available()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    other = OtherLoad()
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
    results["cpu_batch_html"] = CPU["last"]
    results["warm_breakdown"] = state_timings(proj)
    if pdf:
        print(f"(b) nianbao batch on {args.units} units, HTML + PDF …", flush=True)
        secs, peak, _ = batch(proj, "--jobs", str(args.jobs), "--formats", "html,pdf", "--force")
        results["batch_pdf"], results["peak_rss_pdf"] = secs, peak
        results["cpu_batch_pdf"] = CPU["last"]
        results["warm_breakdown_pdf"] = state_timings(proj)
        if args.jobs >= 2:
            print(f"(b) nianbao batch on {args.units} units, HTML + PDF, one report printed at a time (--print-pages 1) …", flush=True)
            secs, peak, _ = batch(proj, "--jobs", str(args.jobs), "--formats", "html,pdf", "--force",
                                  "--print-pages", "1")
            results["batch_pdf2"], results["peak_rss_pdf2"] = secs, peak

    line = []
    sizes = [int(x) for x in args.scale.split(",") if x.strip()]
    for n in sizes:
        print(f"(f) scaling: first run of {n} units, HTML …", flush=True)
        line.append(scaled(work, n, 2023 + n, args.jobs, "html"))
    if pdf:
        for n in [int(x) for x in args.scale_pdf.split(",") if x.strip()]:
            print(f"(f) scaling: first run of {n} units, HTML+PDF …", flush=True)
            line.append(scaled(work, n, 3023 + n, args.jobs, "html,pdf"))
    biggest = max(line[: len(sizes)], key=lambda r: r["units"]) if sizes else None
    if biggest is not None:
        print(f"(c) no-change rerun of {biggest['units']} units …", flush=True)
        rerun, _, out = batch(biggest["project"], "--jobs", str(args.jobs))
        results["rerun"] = rerun
        assert f"跳过 {biggest['units']}。本次运行 0 个" in out, out[-400:]
    other_cpu, top = other.stop()

    gb = 2**30
    print("\n=== results ===")
    print(f"machine load average at end: {os.getloadavg()}; CPUs used by other processes while this ran: "
          f"{other_cpu:.2f} of {os.cpu_count()} on average; the busiest others: "
          + "; ".join(f"{cmd} {secs:.0f} s" for cmd, secs in top))
    print(f"(a) baseline per unit (papermill CLI + nbconvert --to nianbao_html): {per_html:.1f} s "
          f"(papermill {statistics.mean(base['papermill']):.1f} s, nbconvert {statistics.mean(base['html']):.1f} s)"
          + (f", nbconvert --to nianbao_pdf {statistics.mean(base['pdf']):.1f} s" if pdf else "")
          + f" → {results['baseline_html_total'] / 60:.1f} min for {args.units} units")
    cpu_base_html = statistics.mean(base["cpu_html"])
    print(f"    CPU seconds per unit (all processes, load-independent): baseline {cpu_base_html:.2f}"
          + (f" (+ {statistics.mean(base['cpu_pdf']):.2f} for the PDF)" if pdf else "")
          + f"; batch HTML {results['cpu_batch_html'] / args.units:.3f} → {cpu_base_html * args.units / results['cpu_batch_html']:.1f}× less CPU"
          + (f"; batch HTML+PDF {results['cpu_batch_pdf'] / args.units:.3f} → "
             f"{(cpu_base_html + statistics.mean(base['cpu_pdf'])) * args.units / results['cpu_batch_pdf']:.1f}× less CPU"
             if pdf else ""))
    ratio = results["baseline_html_total"] / results["batch_html"]
    print(f"(b) nianbao batch, {args.units} units, HTML: {results['batch_html']:.1f} s → {ratio:.1f}× faster "
          f"(target ≥ 60×) {'OK' if ratio >= 60 else 'BELOW TARGET'}")
    if pdf:
        ratio_pdf = results["baseline_pdf_total"] / results["batch_pdf"]
        print(f"    baseline with PDF: {results['baseline_pdf_total'] / 60:.1f} min; nianbao batch HTML+PDF: "
              f"{results['batch_pdf']:.1f} s → {ratio_pdf:.1f}× faster (target ≥ 30×) "
              f"{'OK' if ratio_pdf >= 30 else 'BELOW TARGET'}")
        if "batch_pdf2" in results:
            r2 = results["baseline_pdf_total"] / results["batch_pdf2"]
            print(f"    HTML+PDF with --print-pages 1 (one report printed at a time): {results['batch_pdf2']:.1f} s → "
                  f"{r2:.1f}× (target ≥ 30×) {'OK' if r2 >= 30 else 'BELOW TARGET'}")
    else:
        print("    PDF: pending (nianbao_pdf exporter or Chromium/CJK font not available)")
    if biggest is not None:
        first = biggest["seconds"]
        print(f"(c) no-change rerun of {biggest['units']} units: {results['rerun']:.2f} s (target ≤ 1.5 s) "
              f"{'OK' if results['rerun'] <= 1.5 else 'ABOVE TARGET'}; first run of those units (HTML) "
              f"{first:.0f} s" + (f" (target ≤ 200 s for 1,000: {'OK' if first <= 200 else 'ABOVE TARGET'})"
                                  if biggest["units"] == 1000 else ""))
    runs = [("html", f"{args.units} units HTML"), ("pdf", f"{args.units} units HTML+PDF"),
            ("pdf2", f"{args.units} units PDF, 1 page")]
    print("(d) peak memory of the batch process tree (target ≤ 2 GB summed RSS with PDF):")
    for key, label in runs:
        if f"peak_rss_{key}" in results:
            rss, pss = results[f"peak_rss_{key}"]
            print(f"      {label:22s} summed RSS {rss / gb:.2f} GB {'OK' if rss <= 2 * gb else 'ABOVE'}; "
                  f"summed PSS {pss / gb:.2f} GB {'OK' if pss <= 2 * gb else 'ABOVE'}")
    for key in ("warm_breakdown", "warm_breakdown_pdf"):
        if results.get(key):
            print(f"(e) a warm unit, seconds (batch state, per worker){' with PDF' if key.endswith('pdf') else ''}:")
            for k, v in results[key].items():
                print(f"      {k:50s} {v:.3f}")
    print("(f) scaling line (first run, every unit runs):")
    print("      units  formats    seconds  s/unit  × baseline  CPU s/unit  peak RSS  peak PSS")
    base_pdf_unit = per_html + (statistics.mean(base["pdf"]) if pdf else 0.0)
    for r in line:
        x = (per_html if r["formats"] == "html" else base_pdf_unit) / r["per_unit"]
        print(f"      {r['units']:5d}  {r['formats']:9s} {r['seconds']:8.1f}  {r['per_unit']:6.3f}  {x:9.1f}×  "
              f"{r['cpu_per_unit']:10.3f}  {r['rss'] / gb:6.2f} GB {r['pss'] / gb:6.2f} GB"
              + ("  ABOVE 2 GB" if r["formats"] != "html" and r["rss"] > 2 * gb else ""))
    for r in line:
        r.pop("project", None)
    results["scaling"] = line
    results["other_cpu"] = other_cpu
    (work / "bench-results.json").write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
