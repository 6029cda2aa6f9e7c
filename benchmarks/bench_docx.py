"""Word output of the seed report: the ``nianbao_docx`` exporter (python-docx) against the other real
way to make a .docx on this machine, LibreOffice headless importing the publication HTML
(``soffice --convert-to docx``), both measured in the same run.

    .venv/bin/python benchmarks/bench_docx.py --notebook outputs/2022/zhungeer/report.ipynb [--repeat 5]

Prints the median seconds per report of each, their ratio, and whether each result keeps the form's
merged header cells and header-row repetition (what an office needs from the tables). Nothing here
is a test: timings depend on the machine and its load (printed with the numbers).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path


def _structure(data_path: Path) -> dict:
    with zipfile.ZipFile(data_path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    return {"merged": ("w:vMerge" in xml) and ("w:gridSpan" in xml), "header_rows": "w:tblHeader" in xml,
            "tables": xml.count("<w:tbl>")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notebook", required=True, type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from nbconvert.exporters import get_exporter

    from nianbao.runner import export

    tmp = Path(tempfile.mkdtemp(prefix="bench-docx-"))
    t0 = time.perf_counter()
    first = export(args.notebook, "docx")
    cold = time.perf_counter() - t0
    exporter = get_exporter("nianbao_docx")()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        data, _ = exporter.from_filename(str(args.notebook))
        times.append(time.perf_counter() - t0)
    ours = tmp / "ours.docx"
    ours.write_bytes(data)
    html = tmp / "report.html"
    html.write_bytes(export(args.notebook, "html"))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    lo_times = []
    lo_struct = None
    if soffice:
        for i in range(args.repeat):
            out = tmp / f"lo{i}"
            t0 = time.perf_counter()
            subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(html)],
                           check=True, capture_output=True, timeout=300)
            lo_times.append(time.perf_counter() - t0)
        lo_struct = _structure(tmp / f"lo{args.repeat - 1}" / "report.docx")
    print(f"load average: {os.getloadavg()}")
    print(f"nianbao_docx (python-docx): first export {cold:.2f} s (imports included); "
          f"warm median {statistics.median(times):.3f} s over {len(times)}; same bytes each time: {first == data}; "
          f"{_structure(ours)}")
    if lo_times:
        print(f"LibreOffice HTML→DOCX:      median {statistics.median(lo_times):.2f} s over {len(lo_times)} "
              f"(a new soffice process each); {lo_struct}")
        print(f"ratio LibreOffice / python-docx (warm): {statistics.median(lo_times) / statistics.median(times):.1f}×")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
