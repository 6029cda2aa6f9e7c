"""The year-over-year charts in the Word file: each chart a PNG picture in place (its title as the
caption before it, its figures table after it), drawn by the kit's Chromium at 2 device pixels per px,
the same bytes from two processes, opened by LibreOffice with every picture; no Chromium → exit 6
and the old file kept, and a report without charts needs no Chromium at all.

The block comes from test_yoy's project (a 2021 year for zhungeer, ``year_over_year: true``), put in
a notebook as the report notebook displays it, so most tests need no papermill run; one CLI run checks
the missing-browser path end to end."""
from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import nbformat
import pytest
from docx.shared import Mm

from conftest import REPO
from nianbao.errors import SetupError
from nianbao.exporters import browser as browser_mod
from nianbao.exporters import chartpng
from nianbao.exporters.docx import TEXT_WIDTH_MM, ReportDocxExporter
from nianbao.keyfigures import views
from nianbao.report import open_report
from test_yoy import opt_in, write_prior_year

FONTCONF = REPO / "lib/nianbao/exporters/fontconfig/nianbao-fonts.conf"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
R_EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


@pytest.fixture(scope="module")
def yoy(tmp_path_factory):
    """(project, report, block HTML, notebook path, 2021 values): the block displayed in a notebook, as the
    report shows it."""
    root = tmp_path_factory.mktemp("docx-charts") / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    (root / "outputs").mkdir()
    prior = write_prior_year(root)
    opt_in(root)
    report = open_report("zhungeer", 2022, root)
    block = report.year_over_year()
    cell = nbformat.v4.new_code_cell("report.year_over_year()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": block.html, "text/plain": block.text})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["nianbao"] = {"title": "准格尔旗人民政府2022年政府信息公开工作年度报告"}
    path = root.parent / "yoy.ipynb"
    nbformat.write(nb, path)
    return root, report, block.html, path, prior


@pytest.fixture(scope="module")
def exported(yoy, tmp_path_factory):
    nb_path = yoy[3]
    data, _ = ReportDocxExporter().from_filename(str(nb_path))
    path = tmp_path_factory.mktemp("docx-out") / "yoy.docx"
    path.write_bytes(data)
    return path


def svg_boxes(html: str) -> list[tuple[str, float, float]]:
    """(id, width, height) of every <svg> of the block, in order, read from the markup."""
    return [(m.group(1), float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r'<svg [^>]*id="([\w-]+)"[^>]*width="([\d.]+)" height="([\d.]+)"', html)]


def png_chunks(png: bytes) -> list[bytes]:
    import struct

    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        out.append(png[pos + 4:pos + 8])
        pos += 12 + length
    return out


def body_items(d):
    """The document body in order: ("picture", inline element, paragraph) | ("p", text) | ("table", table)."""
    tables = iter(d.tables)
    paragraphs = iter(d.paragraphs)
    out = []
    for el in d.element.body.iterchildren():
        if el.tag == f"{W}p":
            p = next(paragraphs)
            inline = el.find(f".//{WP}inline")
            out.append(("picture", inline, p) if inline is not None else ("p", p.text))
        elif el.tag == f"{W}tbl":
            out.append(("table", next(tables)))
    return out


def test_each_chart_is_a_picture_between_its_title_and_its_figures(yoy, exported):
    _, report, html, _, _ = yoy
    spec = views(report.form)
    d = docx.Document(str(exported))
    items = body_items(d)
    pictures = [i for i, item in enumerate(items) if item[0] == "picture"]
    assert len(pictures) == len(svg_boxes(html)) == len(spec.charts) == 5
    for n, (at, chart) in enumerate(zip(pictures, spec.charts)):
        assert items[at - 1] == ("p", chart.title)  # the caption: the chart's title
        _, inline, _ = items[at]
        doc_pr = inline.find(f"{WP}docPr")
        assert doc_pr.get("descr") == chart.title and doc_pr.get("name") == f"图表 {n + 1}"
        kind, table = items[at + 1]
        assert kind == "table"  # the chart's figures, its text equivalent
        assert [c.text for c in table.rows[0].cells] == ["项目", "2021年", "2022年"]
        assert [r.cells[0].text for r in table.rows[1:]] == list(chart.labels)
        cur = [r.cells[2].text for r in table.rows[1:]]
        assert cur == [str(b.value(report.figures.values)) for b in chart.bars]
        keep = [all(p.paragraph_format.keep_with_next for c in r.cells for p in c.paragraphs) for r in table.rows]
        assert keep == [True] * (len(table.rows) - 1) + [False]  # on the page of its picture
    texts = [item[1] for item in items if item[0] == "p"]
    for chart in spec.charts:
        assert texts.count(chart.title) == 1  # the hidden caption of the HTML is not repeated


def test_each_png_is_the_chart_box_at_twice_the_pixels_and_fits_the_text_width(yoy, exported):
    html = yoy[2]
    d = docx.Document(str(exported))
    pictures = [item for item in body_items(d) if item[0] == "picture"]
    boxes = svg_boxes(html)
    for (chart_id, w, h), (_, inline, p) in zip(boxes, pictures):
        blip = inline.find(f".//{A}blip")
        png = p.part.related_parts[blip.get(R_EMBED)].blob
        assert chartpng.png_size(png) == (math.ceil(w) * 2, math.ceil(h) * 2), chart_id
        assert png[25] == 2  # colour type RGB: opaque, no alpha channel
        assert set(png_chunks(png)) == {b"IHDR", b"IDAT", b"IEND"}, chart_id  # no text, time or size chunk
        extent = inline.find(f"{WP}extent")
        width_mm = min(math.ceil(w) * 25.4 / 96, TEXT_WIDTH_MM)  # natural size: 1 px = 1/96 inch
        assert int(extent.get("cx")) == Mm(width_mm)
        assert abs(int(extent.get("cy")) / int(extent.get("cx")) - math.ceil(h) / math.ceil(w)) < 1e-3
    assert max(w for _, w, _ in boxes) * 25.4 / 96 < TEXT_WIDTH_MM  # every chart fits at its natural size


PROBE = """
import hashlib, sys
from nianbao.runner import export
print(hashlib.sha256(export(__import__("pathlib").Path(sys.argv[1]), "docx")).hexdigest())
"""


def test_two_exports_in_two_processes_are_the_same_bytes(yoy, exported):
    """This process's export (the fixture) and another process's, with another hash seed and its own Chromium."""
    nb_path = yoy[3]
    env = dict(os.environ, PYTHONHASHSEED="12345")
    done = subprocess.run([sys.executable, "-c", PROBE, str(nb_path)], capture_output=True, text=True,
                          env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == hashlib.sha256(exported.read_bytes()).hexdigest()


def test_normalise_png_keeps_only_the_picture():
    png = chartpng.PNG_SIGNATURE
    ihdr = b"IHDR" + bytes.fromhex("00000001000000010802000000")
    text = b"tEXt" + b"Software\x00chromium"

    def chunk(body):
        import struct
        import zlib

        return struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))

    import zlib

    idat = b"IDAT" + zlib.compress(b"\x00\xff\xff\xff")
    src = png + chunk(ihdr) + chunk(text) + chunk(b"tIME" + bytes(7)) + chunk(idat) + chunk(b"IEND")
    assert chartpng.normalise_png(src) == png + chunk(ihdr) + chunk(idat) + chunk(b"IEND")
    assert chartpng.png_size(src) == (1, 1)


@pytest.mark.parametrize("width, height, viewbox, box", [
    ("478", "318.8", "0 0 478 318.8", (478.0, 318.8)),
    ("200px", None, "0 0 400 100", (200.0, 50.0)),
    (None, None, "0 0 640 480", (640.0, 480.0)),
    ("50%", "10cm", None, (300.0, 150.0)),  # not px: CSS's default box of a replaced element
])
def test_svg_box(width, height, viewbox, box):
    assert chartpng.svg_box(width, height, viewbox) == box
    assert chartpng.pixel_size(box) == (math.ceil(box[0]) * 2, math.ceil(box[1]) * 2)


def test_libreoffice_opens_the_file_and_prints_every_picture(yoy, exported, tmp_path):
    _, report, html, _, _ = yoy
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: run `make setup` (installs libreoffice-writer)"
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd"><fontconfig>'
                    f"<include>{FONTCONF}</include><include>/etc/fonts/fonts.conf</include></fontconfig>")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FONTCONFIG_FILE": str(conf)}
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(exported)],
                   check=True, capture_output=True, timeout=180, env=env)
    pdf = tmp_path / "yoy.pdf"
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    assert [(int(r[3]), int(r[4])) for r in rows] == [(math.ceil(w) * 2, math.ceil(h) * 2)
                                                      for _, w, h in svg_boxes(html)]
    assert {(r[12], r[13]) for r in rows} == {("192", "192")}  # placed at the natural size: 2 px per 1/96 in
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    lines = [re.sub(r"\s+", "", line) for line in layout.splitlines() if line.strip()]
    at = 0
    for chart in views(report.form).charts:  # caption, then the figures table: a heading, a row per bar, each on one line
        at = lines.index(re.sub(r"\s+", "", chart.title), at)
        assert lines[at + 1] == "项目2021年2022年", chart.title
        for n, bar in enumerate(chart.bars):
            assert lines[at + 2 + n] == f"{bar.label}{bar.value(yoy[4])}{bar.value(report.figures.values)}"
    new = views(report.form).figure("new")
    assert f"{new.label}5557增加2（增长3.6%）" in lines  # the key figures: a change on one line too


def no_chromium(monkeypatch, tmp_path):
    """As on a machine without the chromium package: nothing on PATH, no Debian binary, no NIANBAO_CHROMIUM."""
    monkeypatch.delenv(browser_mod.CHROMIUM_ENV, raising=False)
    real_which = shutil.which
    monkeypatch.setattr(browser_mod.shutil, "which",
                        lambda name, *a, **k: None if name in browser_mod.CHROMIUM_NAMES else real_which(name, *a, **k))
    monkeypatch.setattr(browser_mod, "DEBIAN_CHROMIUM_BINARY", tmp_path / "no-chromium")


def test_without_chromium_a_report_with_charts_is_a_setup_error_that_says_what_to_install(
        yoy, monkeypatch, tmp_path):
    nb_path = yoy[3]
    no_chromium(monkeypatch, tmp_path)
    with pytest.raises(SetupError) as info:
        ReportDocxExporter().from_filename(str(nb_path))
    msg = str(info.value)
    assert info.value.exit_code == 6
    assert msg.startswith("在 Word 文件中绘制图表需要 Chromium 浏览器，但本机没有安装。请运行：sudo apt-get install chromium")
    assert "本报告有 5 幅图表；没有图表的报告导出 Word 不需要浏览器。" in msg


def test_without_chromium_a_report_without_charts_still_exports(monkeypatch, tmp_path):
    no_chromium(monkeypatch, tmp_path)
    cell = nbformat.v4.new_code_cell("report.section('x')")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": '<section class="nb-section"><h2>一、总体情况</h2><p>正文。</p></section>', "text/plain": "x"})]
    data, _ = ReportDocxExporter().from_notebook_node(nbformat.v4.new_notebook(cells=[cell]))
    path = tmp_path / "plain.docx"
    path.write_bytes(data)
    d = docx.Document(str(path))
    assert [p.text for p in d.paragraphs] == ["一、总体情况", "正文。"]
    assert not d.inline_shapes


def test_cli_without_chromium_exits_6_and_keeps_the_old_word_file(yoy, monkeypatch, tmp_path, capsys):
    from nianbao.cli import main

    root = tmp_path / "project"
    shutil.copytree(yoy[0], root)
    out = root / "outputs/2022/zhungeer"
    out.mkdir(parents=True)
    old = b"PK an earlier good report.docx"
    (out / "report.docx").write_bytes(old)
    no_chromium(monkeypatch, tmp_path)
    code = main(["run", "--unit", "zhungeer", "--year", "2022", "--formats", "docx", "--project", str(root)])
    err = capsys.readouterr().err
    assert code == 6, err
    assert err.startswith("nianbao run: 在 Word 文件中绘制图表需要 Chromium 浏览器，但本机没有安装。")
    assert "Traceback" not in err
    assert (out / "report.docx").read_bytes() == old
    assert sorted(p.name for p in out.iterdir()) == ["report.docx"]  # no half-written file, no partial


def test_a_label_no_font_can_draw_is_a_setup_error_naming_it():
    """U+0378 is unassigned: no font has it, Chromium would draw an empty box."""
    cell = nbformat.v4.new_code_cell("chart")
    svg = ('<figure><svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><title>图表</title>'
           '<text x="4" y="30">申请\u0378件</text></svg></figure>')
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": svg, "text/plain": "x"})]
    with pytest.raises(SetupError) as info:
        ReportDocxExporter().from_notebook_node(nbformat.v4.new_notebook(cells=[cell]))
    assert info.value.exit_code == 6
    assert str(info.value).startswith("图表中有字符在本机字体中没有字形，会画成空白方框：\u0378。")
