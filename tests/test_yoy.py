"""The year-over-year block: opt-in per unit, key figures with their change, charts as deterministic SVG
that print in the PDF with their Chinese labels."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from nianbao.figures import load_figures
from nianbao.keyfigures import views
from nianbao.report import open_report
from nianbao.scaffold import figures_yaml
from nianbao.yoy import change_text


def write_prior_year(project_dir) -> dict:
    """data/2021/zhungeer/figures.yaml consistent with the seed's 2022 (carry-over, in-force stock), and
    with different outcomes so every chart has two different bars. Returns the 2021 values."""
    path22 = project_dir / "data/2022/zhungeer/figures.yaml"
    fig = load_figures(path22)
    v = {t: dict(cells) for t, cells in fig.values.items()}
    t3 = fig.form.table("table3")
    for col in t3.columns:  # 2021 carried nothing forward (2022 carried nothing over)
        v["table3"][("new", col.key)] -= v["table3"][("carried_forward", col.key)]
        v["table3"][("carried_forward", col.key)] = 0
        moved = min(3, v["table3"][("disclosed", col.key)])
        v["table3"][("disclosed", col.key)] -= moved
        v["table3"][("unavailable_not_held", col.key)] += moved
    for row in ("regulations", "normative_documents"):
        v["table2"][(row, "in_force")] += v["table2"][(row, "repealed")] - v["table2"][(row, "issued")]
    v["table2"][("licensing", "decisions")] -= 1000
    v["table4"][("review", "upheld")] = 1
    v["table4"][("review", "total")] = 1
    facts = path22.read_text(encoding="utf-8").split("\nfacts:", 1)[1]
    text = figures_yaml(fig.form, "zhungeer", 2021, "准格尔旗人民政府", v, "facts:" + facts)
    (project_dir / "data/2021/zhungeer").mkdir(parents=True)
    (project_dir / "data/2021/zhungeer/figures.yaml").write_text(text, encoding="utf-8")
    return v


def opt_in(project_dir) -> None:
    units = project_dir / "params/units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("    parent: null\n", "    parent: null\n    year_over_year: true\n", 1),
                     encoding="utf-8")


@pytest.mark.parametrize("kind, current, previous, text", [
    ("count", 57, 52, "增加5（增长9.6%）"),
    ("count", 52, 57, "减少5（下降8.8%）"),
    ("count", 5, 0, "增加5"),
    ("count", 5, 5, "持平"),
    ("count", None, 5, "—"),
    ("count", Decimal("3197.1919"), Decimal("3000"), "增加197.1919（增长6.6%）"),
    ("rate", Decimal("0.345"), Decimal("0.3"), "上升4.5个百分点"),
    ("rate", Decimal(19) / 55, Decimal(16) / 55, "上升5.4个百分点"),
    ("rate", Decimal("0.3"), Decimal("0.345"), "下降4.5个百分点"),
    ("rate", Decimal("0.3"), Decimal("0.3"), "持平"),
    ("rate", None, Decimal("0.3"), "—"),
])
def test_change_text(kind, current, previous, text):
    assert change_text(kind, current, previous) == text


def test_block_is_empty_unless_the_unit_chose_it(project_dir):
    write_prior_year(project_dir)
    report = open_report("zhungeer", 2022, project_dir)
    assert report.unit.year_over_year is False and report.year_over_year().html == ""


def test_block_without_prior_year_says_why(project_dir):
    opt_in(project_dir)
    block = open_report("zhungeer", 2022, project_dir).year_over_year()
    assert "没有2021年的数据，本报告不作与上年的对比。" in block.html and "<svg" not in block.html


def test_block_shows_key_figures_with_change_and_charts(project_dir):
    prior = write_prior_year(project_dir)
    opt_in(project_dir)
    report = open_report("zhungeer", 2022, project_dir)
    html = report.year_over_year().html
    assert "附：2022年与2021年主要数字对比" in html
    spec = views(report.form)
    new = spec.figure("new")
    assert prior["table3"][("new", "total")] == 55
    assert (f'<th class="row-label" title="{new.description}">{new.label}</th><td class="num">55</td>'
            f'<td class="num">57</td><td class="num">增加2（增长3.6%）</td>') in html
    # rates: 16/55 = 29.09% → 29.1%, 19/55 = 34.55% → 34.5%: the change is between the figures shown
    assert '<td class="num">29.1%</td><td class="num">34.5%</td><td class="num">上升5.4个百分点</td>' in html
    # one SVG per declared chart, fixed ids, both years as series, labels from the form
    ids = re.findall(r'<svg [^>]*id="([\w-]+)"', html)
    assert ids == [f"yoy-{c.id}" for c in spec.charts]
    outcomes = spec.charts[0]
    assert all(f">{label}</text>" in html for label in outcomes.labels)
    assert 'font-family="Noto Serif CJK SC, Source Han Serif SC, serif"' in html
    disclosed = re.search(r'<svg [^>]*id="yoy-outcomes".*?</svg>', html, re.S).group(0)
    assert ">2021年</text>" in disclosed and ">2022年</text>" in disclosed
    bars = re.findall(r'font-size="12.6">([^<]+)</text>', disclosed)  # value labels: 0.9 × the 14 px chart font
    want = [str(b.value(v)) for b in outcomes.bars for v in (prior, report.figures.values)]
    assert bars == want


PROBE = """
import hashlib, sys
from nianbao.report import open_report
print(hashlib.sha256(open_report("zhungeer", 2022, sys.argv[1]).year_over_year().html.encode()).hexdigest())
"""


def test_block_bytes_are_the_same_in_two_processes(project_dir):
    write_prior_year(project_dir)
    opt_in(project_dir)
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", PROBE, str(project_dir)], capture_output=True, text=True, env=env,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1
    here = hashlib.sha256(open_report("zhungeer", 2022, project_dir).year_over_year().html.encode()).hexdigest()
    assert digests == {here}


def test_charts_print_in_the_pdf_with_chinese_labels(project_dir):
    """The block as the report's exporters print it (the real nbconvert HTML and PDF exporters, Chromium,
    the glyph check): the block is in both, its labels are text in the PDF. The whole report path
    (papermill + exporters) was checked by hand: see the issue's note."""
    import nbformat

    from nianbao.exporters.html import ReportHTMLExporter
    from nianbao.exporters.pdf import ReportPDFExporter

    write_prior_year(project_dir)
    opt_in(project_dir)
    block = open_report("zhungeer", 2022, project_dir).year_over_year()
    cell = nbformat.v4.new_code_cell("report.year_over_year()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": block.html, "text/plain": block.text})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    html, _ = ReportHTMLExporter().from_notebook_node(nb)
    assert block.html in html
    pdf, _ = ReportPDFExporter().from_notebook_node(nb)
    path = project_dir / "yoy.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    for expected in ("附：2022年与2021年主要数字对比", "表三·三、本年度办理结果", "（一）予以公开", "表四·行政复议",
                     "结果维持", "2021年", "增加2（增长3.6%）", "上升5.4个百分点"):
        assert expected in flat, expected


def test_charts_reach_the_word_file_with_their_tables(project_dir, tmp_path):
    """The Word file has each chart's figures as a table after its picture (pictures: test_docx_charts.py)."""
    import docx

    from nianbao.exporters.docx import html_to_docx

    prior = write_prior_year(project_dir)
    opt_in(project_dir)
    report = open_report("zhungeer", 2022, project_dir)
    block = report.year_over_year()
    path = tmp_path / "yoy.docx"
    path.write_bytes(html_to_docx(f"<html><body><main>{block.html}</main></body></html>"))
    d = docx.Document(str(path))
    spec = views(report.form)
    assert len(d.tables) == 1 + len(spec.charts)
    texts = [p.text for p in d.paragraphs]
    assert [t for t in texts if t in {c.title for c in spec.charts}] == [c.title for c in spec.charts]
    assert not any("2021年2022年" in t for t in texts)  # no SVG text run together
    outcomes = d.tables[1]
    assert [c.text for c in outcomes.rows[0].cells] == ["项目", "2021年", "2022年"]
    first = spec.charts[0].bars[0]
    assert [c.text for c in outcomes.rows[1].cells] == [first.label, str(first.value(prior)),
                                                         str(first.value(report.figures.values))]
