"""The seed report exported to HTML and PDF through the nbconvert exporters, read back as a reader
(and an auditor's tools) would: Chromium with the network cut, pdftotext, pdffonts, pypdf.

One `nianbao run --formats html,pdf` per module; every test reads its outputs. One headless
Chromium per process serves all of them.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from nianbao.cli import main
from nianbao.errors import SetupError
from nianbao.exporters.browser import shared_browser
from nianbao.exporters.pdfinspect import dates, missing_glyphs
from nianbao.figures import load_figures
from nianbao.forms import get
from nianbao.tables_html import format_value

pytestmark = pytest.mark.slow
FORM = get("gov2021")
TITLE = "准格尔旗人民政府2022年政府信息公开工作年度报告"
A4_PT = (595.28, 841.89)
ORIGIN = "http://report.nianbao.invalid"  # never resolved: every request is answered by the test


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run `make setup` (installs poppler-utils)"
    return path


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run([_tool("pdftotext"), *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from conftest import REPO

    root = tmp_path_factory.mktemp("export") / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--formats", "html,pdf", "--project", str(root)]) == 0
    out = root / "outputs" / "2022" / "zhungeer"
    return out


@pytest.fixture(scope="module")
def pdf_text(exported) -> str:
    return pdftotext(exported / "report.pdf", "-raw")


def seed_values() -> dict:
    from conftest import REPO

    return load_figures(REPO / "data/2022/zhungeer/figures.yaml").values


# --- PDF ------------------------------------------------------------------------------------------

def test_pdf_pages_are_a4_and_title_is_in_metadata(exported):
    reader = PdfReader(exported / "report.pdf")
    assert len(reader.pages) >= 3
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - A4_PT[0]) < 1 and abs(float(box.height) - A4_PT[1]) < 1
    nb = nbformat.read(exported / "report.ipynb", as_version=4)
    assert nb.metadata.nianbao.title == TITLE
    assert reader.metadata.title == TITLE


def _outline_titles(items) -> list[str]:
    out = []
    for item in items:
        out += _outline_titles(item) if isinstance(item, list) else [item.title]
    return out


def _section_pages(reader) -> dict[str, int]:
    """Outline title → 0-based page index, for every bookmark."""
    out = {}

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                out[item.title] = reader.get_destination_page_number(item)

    walk(reader.outline)
    return out


def test_pdf_outline_has_the_six_sections_in_order(exported):
    titles = _outline_titles(PdfReader(exported / "report.pdf").outline)
    headings = [s.heading for s in FORM.sections]
    assert len(headings) == 6
    assert [t for t in titles if t in headings] == headings
    pages = _section_pages(PdfReader(exported / "report.pdf"))
    assert [pages[h] for h in headings] == sorted(pages[h] for h in headings)  # each points at its page


def test_pdf_text_has_every_table_figure(exported, pdf_text):
    for figure in ("78395", "3197.1919", "2072", "415", "57", "55", "24", "18", "9", "33"):
        assert re.search(rf"(?<![\d.]){re.escape(figure)}(?![\d.])", pdf_text), figure
    # every cell value of every table, as printed
    numbers = re.findall(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])", pdf_text)
    for table, cells in seed_values().items():
        for (row, col), value in cells.items():
            assert format_value(value) in numbers, (table, row, col, value)


def test_pdf_text_has_every_printed_label_exactly(pdf_text):
    """No tofu in disguise: the headings and every label of the three tables, character for character."""
    text = squash(pdf_text)
    for s in FORM.sections:
        assert s.heading in text
    for label in ("准格尔旗人民政府", "2022年政府信息公开工作年度报告", "行政规范性文件", "申请人情况",
                  "法人或其他组织", "社会公益组织", "结转下年度继续办理", "未经复议直接起诉"):
        assert label in text, label
    for table in FORM.tables:
        for row in table.rows:
            assert squash(row.label) in text, (table.key, row.label)
            for col in row.columns:
                assert squash(col.label) in text, (table.key, col.label)


def test_pdf_fonts_all_embedded_and_no_glyph_missing(exported):
    out = subprocess.run([_tool("pdffonts"), str(exported / "report.pdf")], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    rows = [line for line in out[2:] if line.strip()]
    assert rows, "the PDF has no fonts"
    for line in rows:
        # columns: name type encoding emb sub uni object-id gen — read from the right (names may have spaces)
        emb, sub, uni = line.split()[-5:-2]
        assert emb == "yes", line
        assert uni == "yes", line  # every font maps its glyphs back to Unicode (text is searchable)
    assert missing_glyphs((exported / "report.pdf").read_bytes()) == []


def test_pdf_every_page_is_numbered(exported):
    n = len(PdfReader(exported / "report.pdf").pages)
    for i in range(1, n + 1):
        page = squash(pdftotext(exported / "report.pdf", "-f", str(i), "-l", str(i)))
        assert f"第{i}页共{n}页" in page, (i, page[-40:])


def test_pdf_long_table_repeats_its_header_and_keeps_rows_whole(exported):
    """表三 runs over pages: each page it touches starts with its header; every row sits on one page."""
    pdf = exported / "report.pdf"
    reader = PdfReader(pdf)
    starts = _section_pages(reader)
    first, last = starts[FORM.section("requests").heading], starts[FORM.section("appeals").heading]
    pages = [squash(pdftotext(pdf, "-raw", "-f", str(i + 1), "-l", str(i + 1))) for i in range(first, last + 1)]
    t3 = FORM.table("table3")
    labels = [squash(r.label) for r in t3.rows]
    touched = [i for i, p in enumerate(pages) if any(label in p for label in labels)]
    assert len(touched) >= 2, "表三 fits one page here; test_export_units covers page breaks with a long table"
    for i in touched:
        assert "申请人情况" in pages[i] and "法人或其他组织" in pages[i], f"page {i + 1} lacks the header"
    for label in labels:
        assert sum(label in p for p in pages) >= 1, label


def test_pdf_is_reproducible(exported):
    """Same executed notebook → same bytes; the dates are the notebook's execution time."""
    from nbconvert.exporters import get_exporter

    nb = nbformat.read(exported / "report.ipynb", as_version=4)
    exporter = get_exporter("nianbao_pdf")()
    first, resources = exporter.from_notebook_node(nb)
    second, _ = exporter.from_notebook_node(nb)
    assert first == second
    assert resources["output_extension"] == ".pdf"
    end = nb.metadata.papermill.end_time  # e.g. 2026-11-28T07:34:07.038607+00:00
    stamp = "D:" + re.sub(r"\D", "", end[:19]) + "+00'00'"
    assert dates(first) == {"CreationDate": stamp, "ModDate": stamp}
    assert (exported / "report.pdf").read_bytes() == first


def test_pdf_page1_renders(exported, tmp_path):
    """Page 1 rasterises (pdftoppm) with ink on it: title block, body text, footer."""
    subprocess.run([_tool("pdftoppm"), "-r", "30", "-f", "1", "-l", "1", "-gray", str(exported / "report.pdf"),
                    str(tmp_path / "p")], check=True)
    (png,) = tmp_path.glob("p*.pgm") or tmp_path.glob("p*")
    data = png.read_bytes()
    header_end = [m.end() for m in re.finditer(rb"\s", data)][3]  # P5 w h maxval
    pixels = data[header_end:]
    dark = sum(1 for b in pixels if b < 128)
    assert 0.005 < dark / len(pixels) < 0.5


def test_nbconvert_cli_exports_pdf_outside_the_kit(exported, tmp_path):
    """`jupyter nbconvert --to nianbao_pdf` finds the exporter through its entry point."""
    nb = tmp_path / "report.ipynb"
    shutil.copy(exported / "report.ipynb", nb)
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.run([str(jupyter), "nbconvert", "--to", "nianbao_pdf", str(nb)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=180)
    assert proc.returncode == 0, proc.stderr
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert PdfReader(pdf).metadata.title == TITLE
    assert pdf.read_bytes() == (exported / "report.pdf").read_bytes()  # same bytes as the kit's run


# --- HTML -----------------------------------------------------------------------------------------

def _open_offline(html: str, *, viewport=None, probe: str):
    """Open ``html`` as ORIGIN/report.html in headless Chromium; every other request is refused.

    Returns (requests other than the page itself, result of evaluating ``probe``).
    """
    page_url = ORIGIN + "/report.html"

    def job(browser):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900},
                                      is_mobile=bool(viewport), has_touch=bool(viewport), service_workers="block")
        requests: list[str] = []
        try:
            def handle(route):
                if route.request.url == page_url:
                    route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html.encode("utf-8"))
                else:
                    route.abort()

            context.route("**/*", handle)
            page = context.new_page()
            page.on("request", lambda r: r.url != page_url and requests.append(r.url))
            page.on("websocket", lambda ws: requests.append(ws.url))
            page.goto(page_url, wait_until="networkidle")
            return requests, page.evaluate(probe)
        finally:
            context.close()

    return shared_browser().call(job)


TABLE_PROBE = """() => {
  const boxes = [...document.querySelectorAll('table.nb-table[data-table]')].map(t => {
    const r = t.getBoundingClientRect();
    return {id: t.id, w: r.width, h: r.height, cells: t.querySelectorAll('td.num').length};
  });
  const wrap = document.querySelector('#table3').parentElement;
  return {
    tables: boxes,
    h2: [...document.querySelectorAll('h2')].map(h => h.textContent),
    title: document.title,
    pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
    wrapScrolls: wrap.scrollWidth > wrap.clientWidth,
    wrapOverflowX: getComputedStyle(wrap).overflowX,
    fontFamily: getComputedStyle(document.body).fontFamily,
  };
}"""


def test_html_renders_offline_with_zero_requests(exported):
    html = (exported / "report.html").read_text(encoding="utf-8")
    requests, seen = _open_offline(html, probe=TABLE_PROBE)
    assert requests == []
    assert [t["id"] for t in seen["tables"]] == ["table2", "table3", "table4"]
    for t in seen["tables"]:
        assert t["w"] > 100 and t["h"] > 50, t
    assert [t["cells"] for t in seen["tables"]] == [10, 175, 15]
    assert seen["title"] == TITLE
    for s in FORM.sections:
        assert s.heading in seen["h2"]
    assert "Noto Serif CJK SC" in seen["fontFamily"]


def test_html_is_self_contained_and_shows_no_code(exported):
    html = (exported / "report.html").read_text(encoding="utf-8")
    assert "<style" in html and "<script" not in html and "<link" not in html and "<iframe" not in html
    assert not re.search(r"@import|url\(|@font-face|\bsrc=\"(?!data:)", html)
    assert "from nianbao" not in html and "open_report(" not in html and "jp-InputPrompt" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media print" in html and "display: table-header-group" in html


def test_html_is_readable_on_a_phone(exported):
    """At 390 px the page does not scroll sideways; the wide 表三 scrolls inside its own box."""
    html = (exported / "report.html").read_text(encoding="utf-8")
    requests, seen = _open_offline(html, viewport={"width": 390, "height": 844}, probe=TABLE_PROBE)
    assert requests == []
    assert seen["pageOverflow"] <= 0
    assert seen["wrapOverflowX"] == "auto" and seen["wrapScrolls"]


def test_one_browser_serves_every_export(exported):
    assert shared_browser().launches == 1


def test_tofu_is_refused_with_the_characters_named():
    """A character no installed font has would print as an empty box: the exporter refuses."""
    from nbconvert.exporters import get_exporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("准格尔旗\ue000测试")])
    nb.metadata["nianbao"] = {"title": "测试"}
    with pytest.raises(SetupError, match="\ue000") as info:
        get_exporter("nianbao_pdf")().from_notebook_node(nb)
    assert "fonts-noto-cjk" in str(info.value) and info.value.exit_code == 6
