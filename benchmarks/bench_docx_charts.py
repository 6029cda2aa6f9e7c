"""The charts in the Word file: what drawing them with the kit's Chromium costs a ``nianbao_docx`` export,
and the other real SVG rasteriser on this machine (LibreOffice headless, ``soffice --convert-to png``),
measured in the same run.

    .venv/bin/python benchmarks/bench_docx_charts.py --notebook outputs/2022/zhungeer/report.ipynb [--repeat 5]

The notebook must be a report of a unit with ``year_over_year: true`` and a previous year (its
publication has the charts). Prints, with the load average:

- the export of the same notebook with its ``<svg>`` charts removed (the charts' tables only, as before
  the charts were drawn): the baseline, warm;
- the export with the charts, warm (browser started), and the first one (browser start included);
- the charts drawn alone at 1×, 2× (the kit's) and 3× device pixels per px: time and PNG bytes;
- LibreOffice converting the charts' SVG files to PNG (one soffice process for all of them).

Nothing here is a test: timings depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def _median(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notebook", required=True, type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import nbformat

    from nianbao.exporters import chartpng
    from nianbao.exporters.docx import ReportDocxExporter

    nb = nbformat.read(args.notebook, as_version=4)
    svgs = []
    plain = copy.deepcopy(nb)
    for cell in plain.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html:
                text = "".join(html) if isinstance(html, list) else html
                svgs += re.findall(r"<svg\b.*?</svg>", text, flags=re.S)
                out["data"]["text/html"] = re.sub(r"<svg\b.*?</svg>", "", text, flags=re.S)
    if not svgs:
        raise SystemExit(f"{args.notebook} has no chart: run a unit with year_over_year: true and a previous year")
    exporter = ReportDocxExporter()
    t0 = time.perf_counter()
    first, _ = exporter.from_notebook_node(nb)
    cold = time.perf_counter() - t0
    base, _ = _median(lambda: exporter.from_notebook_node(plain), args.repeat)
    warm, (data, _) = _median(lambda: exporter.from_notebook_node(nb), args.repeat)
    def attr(svg, name):
        m = re.search(rf'\s{name}="([^"]*)"', svg[:svg.index(">")])  # in the opening tag only
        return m.group(1) if m else None

    boxes = [chartpng.svg_box(attr(s, "width"), attr(s, "height"), attr(s, "viewBox")) for s in svgs]
    scales = {}
    for scale in (1, 2, 3):
        t, pngs = _median(lambda: chartpng.draw(zip(svgs, boxes), scale=scale), args.repeat)
        scales[scale] = (t, sum(len(p) for p in pngs), pngs)
    print(f"load average: {tuple(round(x, 2) for x in os.getloadavg())}; {len(svgs)} charts")
    print(f"docx without the charts' pictures (baseline, warm): {base:.3f} s")
    print(f"docx with the charts (warm):                       {warm:.3f} s  ({warm / base:.2f}× the baseline, "
          f"+{warm - base:.3f} s); {len(data)} bytes vs {len(exporter.from_notebook_node(plain)[0])}; "
          f"same bytes each time: {first == data}")
    print(f"docx with the charts, first export (browser start): {cold:.2f} s")
    for scale, (t, size, pngs) in scales.items():
        dims = ", ".join(f"{w}×{h}" for w, h in map(chartpng.png_size, pngs))
        print(f"draw {len(svgs)} charts at {scale}×: {t * 1000:.0f} ms ({t * 1000 / len(svgs):.0f} ms each); "
              f"{size / 1024:.0f} KiB of PNG; {dims}")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        tmp = Path(tempfile.mkdtemp(prefix="bench-charts-"))
        for i, s in enumerate(svgs):
            fixed = s.replace("viewbox=", "viewBox=")
            (tmp / f"c{i}.svg").write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + fixed, encoding="utf-8")

        def lo():  # one soffice process for every chart (its start-up paid once)
            subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                            "--convert-to", "png", "--outdir", str(tmp / "out"),
                            *(str(tmp / f"c{i}.svg") for i in range(len(svgs)))],
                           check=True, capture_output=True, timeout=300)
        t, _ = _median(lo, max(1, min(args.repeat, 2)))
        made = sorted((tmp / "out").glob("*.png"))
        if not made:  # soffice exits 0 with "no export filter" when Draw is missing
            print(f"LibreOffice SVG→PNG: no PNG written, {t:.2f} s for its start (the PNG export filter is "
                  f"LibreOffice Draw's: libreoffice-draw is not installed), {t / scales[2][0]:.0f}× Chromium at 2×")
        else:
            dims = ", ".join(f"{w}×{h}" for w, h in (chartpng.png_size(p.read_bytes()) for p in made))
            print(f"LibreOffice SVG→PNG, {len(svgs)} charts: {t:.2f} s ({t / len(svgs):.2f} s each, "
                  f"{t / scales[2][0]:.0f}× Chromium at 2×); {dims}")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
