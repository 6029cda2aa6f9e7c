"""Export speed of the seed report: HTML and PDF, cold and warm, against baselines from the same run.

    .venv/bin/python benchmarks/bench_export.py [--notebook outputs/2022/zhungeer/report.ipynb] [--repeat 7]

- cold: a new Python process exports once (imports, exporter, and for PDF a new Chromium, are all
  paid); measured inside the child ("first export") and as the child's whole wall time.
- warm: one process, the same exporter object (and the same Chromium) exporting again and again;
  the median of ``--repeat`` runs after one warm-up.
- baselines measured in the same run: nbconvert's stock ``HTMLExporter`` (cold and warm), and for
  the PDF the print step alone and the glyph check alone. WeasyPrint is timed too when it can be
  imported (it is not a dependency: ``pip install weasyprint`` in a scratch venv and pass
  ``--weasyprint-python /path/to/python``).

Targets (issue 5, 2-core machine): HTML ≤ 0.3 s and PDF ≤ 1.5 s per report, warm.
Nothing here is a test: timings depend on the machine and on whatever else it is running, so the
load average is printed with the numbers.
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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_NOTEBOOK = REPO / "outputs" / "2022" / "zhungeer" / "report.ipynb"
TARGETS = {"html": 0.3, "pdf": 1.5}


def _exporter(kind: str):
    if kind == "stock_html":
        from nbconvert.exporters import HTMLExporter

        return HTMLExporter()
    from nbconvert.exporters import get_exporter

    return get_exporter({"html": "nianbao_html", "pdf": "nianbao_pdf"}[kind])()


def child(kind: str, notebook: str) -> None:
    """One cold export in this fresh process; prints JSON timings."""
    t0 = time.perf_counter()
    import nbformat
    from nbconvert.exporters import get_exporter  # noqa: F401 - part of the import cost

    nb = nbformat.read(notebook, as_version=4)
    t1 = time.perf_counter()
    body, _ = _exporter(kind).from_notebook_node(nb)
    t2 = time.perf_counter()
    print(json.dumps({"import": t1 - t0, "first": t2 - t1, "bytes": len(body)}))


def cold(kind: str, notebook: Path, times: int) -> dict:
    firsts, walls, imports = [], [], []
    for _ in range(times):
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--child", kind, "--notebook", str(notebook)],
                              capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - t)
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        firsts.append(data["first"])
        imports.append(data["import"])
    return {"first": statistics.median(firsts), "wall": statistics.median(walls), "import": statistics.median(imports)}


def warm(fn, repeat: int) -> dict:
    fn()  # warm-up: imports, templates, browser start, font loading
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return {"median": statistics.median(runs), "min": min(runs), "max": max(runs)}


def ensure_notebook(path: Path | None) -> tuple[Path, tempfile.TemporaryDirectory | None]:
    if path is not None:
        return path, None
    if DEFAULT_NOTEBOOK.is_file():
        return DEFAULT_NOTEBOOK, None
    tmp = tempfile.TemporaryDirectory(prefix="nianbao-bench-")
    root = Path(tmp.name) / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    from nianbao.cli import main

    print("executing the seed report once (no executed notebook found) …", file=sys.stderr)
    if main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(root)]) != 0:
        raise SystemExit("could not execute the seed report")
    return root / "outputs" / "2022" / "zhungeer" / "report.ipynb", tmp


def weasyprint_times(python: str | None, html: str, repeat: int) -> dict | None:
    code = ("import sys,time,statistics,json\nt=time.perf_counter()\nimport weasyprint\ni=time.perf_counter()-t\n"
            "h=sys.stdin.read()\nruns=[]\n"
            f"for _ in range({repeat} + 1):\n t=time.perf_counter(); weasyprint.HTML(string=h).write_pdf(); "
            "runs.append(time.perf_counter()-t)\n"
            "print(json.dumps({'import': i, 'first': runs[0], 'median': statistics.median(runs[1:])}))")
    exe = python or sys.executable
    proc = subprocess.run([exe, "-c", code], input=html, capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notebook", type=Path, help="executed report notebook (default: the seed report's)")
    ap.add_argument("--repeat", type=int, default=7, help="warm runs per measurement (median reported)")
    ap.add_argument("--cold", type=int, default=2, help="fresh processes per cold measurement (median)")
    ap.add_argument("--weasyprint-python", help="a Python with weasyprint installed, for the comparison")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too")
    ap.add_argument("--child", choices=["stock_html", "html", "pdf"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, str(args.notebook))
        return 0

    notebook, tmp = ensure_notebook(args.notebook)
    import nbformat

    from nianbao.exporters.pdf import print_html
    from nianbao.exporters.pdfinspect import missing_glyphs

    nb = nbformat.read(notebook, as_version=4)
    res: dict = {"notebook": str(notebook), "cpus": os.cpu_count(), "load_before": os.getloadavg()}

    res["cold"] = {kind: cold(kind, notebook, args.cold) for kind in ("stock_html", "html", "pdf")}

    stock, html_exp, pdf_exp = _exporter("stock_html"), _exporter("html"), _exporter("pdf")
    res["warm"] = {
        "stock_html": warm(lambda: stock.from_notebook_node(nb), args.repeat),
        "html": warm(lambda: html_exp.from_notebook_node(nb), args.repeat),
        "pdf": warm(lambda: pdf_exp.from_notebook_node(nb), args.repeat),
    }
    html, _ = html_exp.from_notebook_node(nb)
    pdf = print_html(html)
    res["warm"]["pdf_print_only"] = warm(lambda: print_html(html), args.repeat)
    res["warm"]["pdf_glyph_check"] = warm(lambda: missing_glyphs(pdf), args.repeat)
    pdf_bytes, _ = pdf_exp.from_notebook_node(nb)
    res["pdf_bytes"], res["html_bytes"] = len(pdf_bytes), len(html.encode("utf-8"))
    res["weasyprint"] = weasyprint_times(args.weasyprint_python, html, max(3, args.repeat // 2))
    res["load_after"] = os.getloadavg()

    c, w = res["cold"], res["warm"]
    print(f"nianbao export benchmark — {notebook}")
    print(f"machine: {res['cpus']} CPUs, load average {res['load_before'][0]:.2f} before, "
          f"{res['load_after'][0]:.2f} after (shared machines make these numbers noisy)")
    print(f"{'':24}{'cold first':>11}{'cold wall':>11}{'warm median':>13}{'warm min':>10}{'target':>8}")
    for kind, label in (("stock_html", "nbconvert HTMLExporter"), ("html", "nianbao_html"), ("pdf", "nianbao_pdf")):
        target = TARGETS.get(kind)
        ok = "" if target is None else f"{'≤' if w[kind]['median'] <= target else '>'}{target:g}s"
        print(f"{label:24}{c[kind]['first']:>10.3f}s{c[kind]['wall']:>10.2f}s{w[kind]['median']:>12.3f}s"
              f"{w[kind]['min']:>9.3f}s{ok:>8}")
    print(f"{'  print only (Chromium)':24}{'':22}{w['pdf_print_only']['median']:>12.3f}s{w['pdf_print_only']['min']:>9.3f}s")
    print(f"{'  glyph check (pypdf)':24}{'':22}{w['pdf_glyph_check']['median']:>12.3f}s{w['pdf_glyph_check']['min']:>9.3f}s")
    wp = res["weasyprint"]
    if wp:
        print(f"{'WeasyPrint (same HTML)':24}{wp['first']:>10.3f}s{'':>11}{wp['median']:>12.3f}s")
    else:
        print("WeasyPrint: not importable here (pass --weasyprint-python to compare)")
    print("ratios:")
    print(f"  nianbao_html warm / nbconvert HTMLExporter warm = {w['html']['median'] / w['stock_html']['median']:.2f}")
    print(f"  nianbao_html warm / cold first                  = {w['html']['median'] / c['html']['first']:.2f}")
    print(f"  nianbao_pdf  warm / cold first (new browser)    = {w['pdf']['median'] / c['pdf']['first']:.2f}")
    print(f"  nianbao_pdf  warm / nianbao_html warm           = {w['pdf']['median'] / w['html']['median']:.1f}")
    if wp:
        print(f"  nianbao_pdf  warm / WeasyPrint warm             = {w['pdf']['median'] / wp['median']:.2f}")
    print(f"sizes: HTML {res['html_bytes'] / 1024:.0f} KiB, PDF {res['pdf_bytes'] / 1024:.0f} KiB")
    if args.json:
        print(json.dumps(res, indent=2, default=str))
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
