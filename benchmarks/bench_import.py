"""Import and audit speed, and the PDF text extractor chosen by measurement.

    .venv/bin/python benchmarks/bench_import.py [--reports 200] [--repeat 5]

1. One import of the bundled published report (text, and the PDF and Word files generated from it),
   each checked to read all 200 cells exactly — a fast wrong answer is not a result.
2. PDF extractors on the same PDF: time per extraction and cells read exactly by the importer
   (pypdfium2 is the kit's; pdfplumber/pdfminer.six and pypdf are measured if installed).
3. ``nianbao audit`` of N reports (the corpus and the seed repeated under other names) in one process,
   validation and lint included: Great Expectations starts once; reports per second with and
   without that start-up, against the baseline of importing the same files alone.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lib"))
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from nianbao.figures import load_figures  # noqa: E402
from nianbao.importer import import_report, readers  # noqa: E402

SEED = Path("/work/shared/seeds/000_d894ce981fcc32ce.txt")
if not SEED.is_file():
    SEED = REPO.parent.parent / "shared" / "seeds" / "000_d894ce981fcc32ce.txt"
CORPUS = REPO / "tests" / "fixtures" / "reports"
GENERATED = CORPUS / "generated"


def exact_cells(values) -> int:
    want = load_figures(REPO / "data/2022/zhungeer/figures.yaml").values
    return sum(1 for t, cells in want.items() for k, v in cells.items() if values[t].get(k) == v)


def timed(fn, repeat):
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def pdf_extractors(pdf: Path, repeat: int):
    def pdfium():
        import pypdfium2
        d = pypdfium2.PdfDocument(str(pdf))
        return "\n".join(d[i].get_textpage().get_text_range() for i in range(len(d)))

    def plumber():
        import pdfplumber
        with pdfplumber.open(pdf) as p:
            return "\n".join(pg.extract_text() or "" for pg in p.pages)

    def pypdf_():
        import pypdf
        return "\n".join(pg.extract_text() for pg in pypdf.PdfReader(str(pdf)).pages)

    rows = []
    for name, fn in (("pypdfium2 (kit)", pdfium), ("pdfplumber", plumber), ("pypdf", pypdf_)):
        try:
            text, secs = timed(fn, repeat)
        except ImportError:
            rows.append((name, None, None))
            continue
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "x.txt"
            p.write_text(text, encoding="utf-8")
            cells = exact_cells(import_report(p, year=2022).values())
        rows.append((name, secs, cells))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")

    print("\n1. one import (median of", args.repeat, "runs)")
    for path in (SEED, GENERATED / "zhungeer_2022.pdf", GENERATED / "zhungeer_2022.docx",
                 GENERATED / "zhungeer_2022_tables.docx", GENERATED / "zhungeer_2022_tables.pdf"):
        r, secs = timed(lambda: import_report(path, year=2022), args.repeat)
        print(f"   {path.name:28} {secs * 1000:7.1f} ms   exact cells {exact_cells(r.values())}/200")

    for pdf in ("zhungeer_2022.pdf", "zhungeer_2022_tables.pdf"):
        print("\n2. PDF text extractors on", GENERATED.name + "/" + pdf)
        for name, secs, cells in pdf_extractors(GENERATED / pdf, args.repeat):
            print(f"   {name:16} " + ("not installed" if secs is None else f"{secs * 1000:7.1f} ms   exact cells {cells}/200"))

    print(f"\n3. audit of {args.reports} reports, validation and lint included")
    sources = sorted(CORPUS.glob("*.txt")) + [SEED] + sorted(GENERATED.glob("zhungeer_2022.*"))
    sources = [p for p in sources if p.suffix.lower() in readers.suffixes()]
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "reports"
        folder.mkdir()
        for i in range(args.reports):
            src = sources[i % len(sources)]
            shutil.copy(src, folder / f"r{i:04d}_{src.stem[:20]}{src.suffix}")
        from nianbao.errors import InputError

        t = time.perf_counter()
        unreadable = 0
        for p in sorted(folder.iterdir()):
            try:
                import_report(p)
            except InputError:  # nppa_2022: its excerpt names its year only in prose (needs --year)
                unreadable += 1
        import_only = time.perf_counter() - t

        from nianbao.audit import audit_folder, write_outputs

        t0 = time.perf_counter()
        from nianbao.validation import checks
        checks.load_builtin()
        import great_expectations  # noqa: F401  (the start-up the audit pays once)
        startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        entries = audit_folder(folder)
        audit = time.perf_counter() - t1
        t2 = time.perf_counter()
        write_outputs(entries, folder, Path(d) / "out", None)
        write = time.perf_counter() - t2
        full = sum(1 for e in entries if e.status == "full")
        seed_like = sum(1 for e in entries if e.path.stem.split("_", 1)[1].startswith(("000_d894", "zhungeer")))
        assert full == seed_like, (full, seed_like)  # every copy of the seed read completely
        assert sum(1 for e in entries if e.error) == unreadable  # the same reports, for the same reason
        n = len(entries)
        print(f"   import only (baseline)     {import_only:6.2f} s  {n / import_only:6.1f} reports/s")
        print(f"   start-up (GX, checks)      {startup:6.2f} s  (paid once)")
        print(f"   audit (import+validate+lint) {audit:6.2f} s  {n / audit:6.1f} reports/s  "
              f"({audit / import_only:.2f}× the import-only time); with start-up {n / (audit + startup):.1f} reports/s")
        print(f"   write dashboard, CSV, XLSX, {n} imports  {write:6.2f} s")
        print(f"   reports read completely: {full}/{n} (every copy of the seed); not imported (no year): {unreadable}; "
              f"target ≥ 5 reports/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
