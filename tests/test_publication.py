"""What an office publishes: the publication (report.html/.pdf/.docx) against the evidence
(evidence.html), the 落款, the Word document read back by LibreOffice, and one consistent set of files
per folder (an HTML-only run after an HTML+PDF run leaves no old PDF beside the new HTML).

One `nianbao run --formats html,pdf,docx` on a copy of the seed project serves the module; the last
test changes a figure and runs again with HTML only.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

from htmltable import grids
from nianbao.cli import main
from nianbao.errors import InputError
from nianbao.figures import load_figures
from nianbao.forms import get
from nianbao.project import Project
from nianbao.publication import DATE_PENDING, load_publication
from nianbao.tables_html import format_value

pytestmark = pytest.mark.slow
FORM = get("gov2021")
ISSUER = "准格尔旗人民政府"
DATE = "2023年1月31日"
FONTCONF = Path(__file__).resolve().parent.parent / "lib/nianbao/exporters/fontconfig/nianbao-fonts.conf"


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def visible(html: str) -> str:
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return squash(re.sub(r"<[^>]+>", " ", body))


def docx_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return squash("".join(parts))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    from conftest import REPO

    root = tmp_path_factory.mktemp("publication") / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--formats", "html,pdf,docx",
                 "--project", str(root)]) == 0
    return root, root / "outputs" / "2022" / "zhungeer"


@pytest.fixture(scope="module")
def texts(published):
    _, out = published
    pdf = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    return {"report.html": visible((out / "report.html").read_text(encoding="utf-8")),
            "report.pdf": squash(pdf), "report.docx": docx_text(out / "report.docx"),
            "evidence.html": visible((out / "evidence.html").read_text(encoding="utf-8"))}


def evidence_markers(out: Path) -> list[str]:
    """Strings only the evidence may show: expectation names, input hashes, package versions."""
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    nb = json.loads((out / "report.ipynb").read_text(encoding="utf-8"))
    prov = nb["metadata"]["nianbao"]["provenance"]
    packages = prov["packages"]
    return (["expect_column_pair_values_to_be_equal", "GreatExpectations", "T3-IDENTITY", "SHA-256",
             "project_dir", "数据校验"]
            + [man["inputs"]["figures"]["sha256"], man["inputs"]["notebook"]["sha256"]]
            + [f"{name}" for name in ("papermill", "nbconvert")] + [str(packages["papermill"])])


def test_every_format_in_the_manifest_and_on_the_dashboard_kinds(published):
    from nianbao.dashboard import LINK_KINDS

    _, out = published
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(man["outputs"]) == ["evidence.html", "report.docx", "report.html", "report.ipynb", "report.pdf",
                                      "validation.json"]
    assert {k for k, _ in LINK_KINDS} >= {"html", "pdf", "docx", "evidence", "ipynb", "validation"}


@pytest.mark.parametrize("name", ["report.html", "report.pdf", "report.docx"])
def test_publication_has_the_report_and_its_signature_and_no_evidence(published, texts, name):
    _, out = published
    text = texts[name]
    for marker in evidence_markers(out):
        assert squash(marker) not in text, f"{name} shows evidence: {marker}"
    for section in FORM.sections:
        assert squash(section.heading) in text, f"{name} lacks section {section.heading}"
    # the 落款 closes the report: issuing body, then the date, after section 六
    last = squash(FORM.sections[-1].heading)
    tail = text[text.rindex(last):]
    assert tail.rindex(ISSUER) < tail.rindex(DATE), f"{name}: 落款 not at the end"
    assert "未通过校验" not in text


def test_evidence_has_validation_hashes_and_versions(published, texts):
    _, out = published
    text = texts["evidence.html"]
    for marker in evidence_markers(out):
        assert squash(marker) in text, f"evidence.html lacks {marker}"
    assert "数据校验结果" in text and "本页供审核使用" in text
    # and none of the report's sections: the two audiences are separate pages
    assert squash(FORM.sections[1].heading) not in text


def test_docx_is_a4_with_page_numbers_fonts_and_repeated_headers(published):
    _, out = published
    d = docx.Document(str(out / "report.docx"))
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert (round(sec.top_margin.mm), round(sec.bottom_margin.mm), round(sec.left_margin.mm),
            round(sec.right_margin.mm)) == (37, 35, 28, 26)
    footer = sec.footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    fonts = {st.name: st.element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") for st in d.styles
        if st.name.startswith("NB ") and st.element.rPr is not None and st.element.rPr.rFonts is not None}
    assert fonts["NB Title"] == "方正小标宋简体" and fonts["NB Heading 1"] == "黑体"
    assert fonts["NB Heading 2"] == "楷体_GB2312" and fonts["NB Body"] == "仿宋_GB2312"
    assert len(d.tables) == 3
    t3 = d.tables[1]._tbl
    header_rows = [tr for tr in t3.tr_lst if tr.trPr is not None and tr.trPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None]
    assert len(header_rows) == 3  # the three header rows of 表三 repeat on every page


def test_docx_tables_hold_every_figure_in_its_cell_with_merged_headers(published):
    """Every cell of the Word tables sits where the HTML (from the form) prints it, merged cells alike."""
    from nianbao.exporters.docx import html_grid
    from lxml import html as lhtml

    root, out = published
    values = load_figures(root / "data/2022/zhungeer/figures.yaml").values
    page = lhtml.document_fromstring((out / "report.html").read_text(encoding="utf-8"))
    d = docx.Document(str(out / "report.docx"))
    checked = 0
    for table_el, wt in zip(page.xpath("//table[contains(@class,'nb-table')]"), d.tables):
        placed, _, ncols, _ = html_grid(table_el)
        assert len(wt.columns) == ncols
        for r, c, rs, cs, cell, _ in placed:
            got = wt.cell(r, c)
            assert got.text.strip() == squash(cell.text_content()) or squash(got.text) == squash(cell.text_content())
            if rs > 1 or cs > 1:  # a merged cell: its far corner is the same Word cell
                assert wt.cell(r + rs - 1, c + cs - 1)._tc is got._tc
            if cell.tag == "td":
                key = (cell.get("data-row"), cell.get("data-col"))
                assert got.text == format_value(values[cell.get("data-table")][key])
                checked += 1
    assert checked == sum(len(v) for v in values.values())


def test_docx_is_deterministic(published):
    from nianbao.runner import export

    _, out = published
    data = (out / "report.docx").read_bytes()
    assert export(out / "report.ipynb", "docx") == data
    with zipfile.ZipFile(out / "report.docx") as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = docx.Document(str(out / "report.docx")).core_properties
    assert core.created == core.modified == dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
    assert core.title == f"{ISSUER}2022年政府信息公开工作年度报告"


def test_libreoffice_prints_every_figure_in_its_row(published, tmp_path):
    """LibreOffice headless converts the .docx to PDF; each table row's figures are on one line of that
    PDF, in column order (pdftotext -layout), rows in the form's order."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: run `make setup` (installs libreoffice-writer)"
    root, out = published
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd"><fontconfig>'
                    f"<include>{FONTCONF}</include><include>/etc/fonts/fonts.conf</include></fontconfig>")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "FONTCONFIG_FILE": str(conf)}
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out / "report.docx")],
                   check=True, capture_output=True, timeout=180, env=env)
    pdf = tmp_path / "report.pdf"
    layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                            check=True).stdout
    lines = [re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", line) for line in layout.splitlines()]
    values = load_figures(root / "data/2022/zhungeer/figures.yaml").values
    at = 0
    for table in FORM.tables:
        for row in table.rows:
            want = [format_value(values[table.key][(row.key, col.key)]) for col in row.columns]
            if table.layout == "flat":
                continue  # one printed row for the whole table, checked below
            found = next((i for i in range(at, len(lines)) if lines[i][-len(want):] == want), None)
            assert found is not None, f"{table.name} {row.label}: {want} not on one line after line {at}"
            at = found + 1
        if table.layout == "flat":
            want = [format_value(values[table.key][(r.key, c.key)]) for r in table.rows for c in r.columns]
            assert any(line[-len(want):] == want for line in lines[at:]), f"{table.name}: {want}"
    text = squash(layout)
    assert ISSUER + DATE in text and "第1页共" in text


def test_one_consistent_set_of_files_after_an_html_only_run(published, capfd):
    """The done-when scenario: HTML+PDF(+Word) run, a figure changed, an HTML-only run → no file with
    the old figure beside the new HTML, and verify passes only on a consistent folder."""
    root, out = published
    old_pdf = (out / "report.pdf").read_bytes()
    fig = root / "data/2022/zhungeer/figures.yaml"
    fig.write_text(fig.read_text(encoding="utf-8").replace("licensing: {decisions: 78395}",
                                                           "licensing: {decisions: 78396}"), encoding="utf-8")
    assert main(["verify", str(out)]) == 7  # the inputs changed: the old set no longer verifies
    capfd.readouterr()
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(root)]) == 0
    err = capfd.readouterr().err
    assert "without encryption" not in err and "WARNING" not in err  # the kernel's start-up noise is not shown
    stale = root / "outputs/stale/2022/zhungeer"
    assert "旧的 report.pdf" in err and "outputs/stale/2022/zhungeer/report.pdf" in err
    assert sorted(p.name for p in out.iterdir()) == ["evidence.html", "manifest.json", "report.html",
                                                     "report.ipynb", "validation.json"]
    assert sorted(p.name for p in stale.iterdir()) == ["report.docx", "report.pdf"]
    assert (stale / "report.pdf").read_bytes() == old_pdf  # moved aside, not lost
    html = (out / "report.html").read_text(encoding="utf-8")
    assert ">78396<" in html and "78395" not in html
    assert main(["verify", str(out)]) == 0
    capfd.readouterr()
    # an old file put back beside the new ones: verification fails and names it
    shutil.copy(stale / "report.pdf", out / "report.pdf")
    assert main(["verify", str(out)]) == 7
    assert "report.pdf 不在 manifest 中" in capfd.readouterr().out
    (out / "report.pdf").unlink()
    shutil.copy(stale / "report.pdf", out / "旧报告.pdf")
    assert main(["verify", str(out)]) == 7
    (out / "旧报告.pdf").unlink()
    assert main(["verify", str(out)]) == 0


# --- project default formats (shared by run and batch) and the 落款 inputs: no kernel needed --------

def test_project_default_formats(project_dir):
    from nianbao.commands.batch import add_arguments as batch_args
    from nianbao.outputs import default_formats, resolve_formats
    import argparse

    project = Project(project_dir)
    assert default_formats(project) == ("html",)
    (project_dir / "params/project.yaml").write_text("formats: [html, pdf, docx]\n", encoding="utf-8")
    assert resolve_formats(project, None) == ("html", "pdf", "docx")
    assert resolve_formats(project, ["pdf"]) == ("pdf",)
    for parser_args in (batch_args,):
        p = argparse.ArgumentParser()
        parser_args(p)
        assert p.parse_args(["--year", "2022"]).formats is None  # falls through to the project default
    (project_dir / "params/project.yaml").write_text("formats: [html, ofd]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"params/project.yaml: formats: 未知的输出格式 ofd"):
        default_formats(project)
    (project_dir / "params/project.yaml").write_text("format: [html]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"不认识的设置 format"):
        default_formats(project)


def test_publication_inputs(project_dir):
    project = Project(project_dir)
    unit = project.units().get("zhungeer")
    pub = load_publication(project, unit, 2022)
    assert (pub.issuer, pub.date, pub.date_text) == (ISSUER, dt.date(2023, 1, 31), DATE)
    path = project_dir / "data/2022/zhungeer/publication.yaml"
    path.write_text("issuer: 准格尔旗人民政府办公室\ndate:\n", encoding="utf-8")
    pub = load_publication(project, unit, 2022)
    assert (pub.issuer, pub.date, pub.date_text) == ("准格尔旗人民政府办公室", None, DATE_PENDING)
    path.unlink()
    assert load_publication(project, unit, 2022).issuer == ISSUER  # default: the unit's name
    path.write_text("issuer: 准格尔旗人民政府\ndate: 2023-02-30\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"data/2022/zhungeer/publication.yaml:2: '2023-02-30' 不是有效的日期。日期应写成 YYYY-MM-DD"):
        load_publication(project, unit, 2022)
    path.write_text("issuer: 准格尔旗人民政府\nsigned: 2023-01-31\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"publication.yaml:2: 不认识的字段 'signed'"):
        load_publication(project, unit, 2022)


def test_blank_date_prints_pending_and_validation_warns(project_dir):
    from nianbao.publication import check, signature_html
    from nianbao.validation import load_context

    (project_dir / "data/2022/zhungeer/publication.yaml").write_text("date: \n", encoding="utf-8")
    project = Project(project_dir)
    ctx, errors = load_context(project, project.units().get("zhungeer"), 2022)
    findings = check(ctx)
    assert [(f.rule_id, f.severity, f.file) for f in findings] == [
        ("PUB-DATE", "warning", "data/2022/zhungeer/publication.yaml")]
    assert "日期待填" in findings[0].message
    html = signature_html(load_publication(project, project.units().get("zhungeer"), 2022))
    assert '<p class="nb-issuer">准格尔旗人民政府</p>' in html and ">日期待填<" in html


def test_failing_report_publication_carries_the_banner_and_passing_none(project_dir):
    """Exporters choose by tags: a failing report's publication shows 未通过校验; evidence gets the rest."""
    import nbformat

    from nianbao.exporters.html import EvidenceHTMLExporter, ReportHTMLExporter
    from nianbao.report import load_report

    def notebook(report):
        nb = nbformat.v4.new_notebook()
        for block in (report.title(), report.banner(), report.section("overview"), report.signature(),
                      report.validation()):
            cell = nbformat.v4.new_code_cell("x")
            data, meta = block._repr_mimebundle_() if block.tags else (block._repr_mimebundle_(), {})
            cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
            nb.cells.append(cell)
        nb.metadata["nianbao"] = {"title": report.title_text}
        return nb

    project = Project(project_dir)
    passing = notebook(load_report(project, "zhungeer", 2022))
    pub = visible(ReportHTMLExporter().from_notebook_node(passing)[0])
    assert "校验" not in pub and ISSUER + DATE in pub
    fig = project_dir / "data/2022/zhungeer/figures.yaml"
    fig.write_text(fig.read_text(encoding="utf-8").replace("[57, 0, 0, 0, 0, 0, 57]", "[57, 0, 0, 0, 0, 0, 58]"),
                   encoding="utf-8")
    failing = notebook(load_report(project, "zhungeer", 2022))
    pub = visible(ReportHTMLExporter().from_notebook_node(failing)[0])
    assert pub.startswith(squash(f"{ISSUER}2022年政府信息公开工作年度报告")) and "未通过校验·本报告不得发布" in pub
    assert "T3-ROW-TOTAL" not in pub  # the findings themselves are evidence
    evidence = visible(EvidenceHTMLExporter().from_notebook_node(failing)[0])
    assert "T3-ROW-TOTAL" in evidence and "未通过校验" not in evidence


def test_papermill_from_the_project_root_finds_the_project(project_dir, tmp_path):
    """`papermill notebooks/annual_report.ipynb out.ipynb -p unit zhungeer -p year 2022` from the root.

    The template is cut after its first section (the validation cells would only add Great
    Expectations' import time): what is tested is that the notebook finds params/ and data/ from the
    root, with papermill's default working directory, and reads the unit's figures."""
    import sys

    import nbformat

    nb = nbformat.read(project_dir / "notebooks/annual_report.ipynb", as_version=4)
    keep = next(i for i, c in enumerate(nb.cells) if c.source.startswith("report.section("))
    nb.cells = [c for i, c in enumerate(nb.cells[: keep + 1]) if c.source != "report.banner()"]
    assert [c.source for c in nb.cells if c.cell_type == "code"][1:3] == [
        'from nianbao.report import open_report\n\nreport = open_report(unit, year, project_dir)\nreport.title()',
        "report.sources()"]
    nbformat.write(nb, project_dir / "notebooks/head.ipynb")
    papermill = Path(sys.executable).with_name("papermill")
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([str(papermill), "notebooks/head.ipynb", str(out), "-p", "unit", "zhungeer",
                           "-p", "year", "2022", "--no-progress-bar"], cwd=project_dir, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "2022年政府信息公开工作年度报告" in html and "准格尔旗人民政府" in html


def test_notebook_kernelspec_is_the_registered_kernel():
    """JupyterLab rewrites a notebook whose kernelspec differs from the kernel it starts (marks it modified)."""
    from conftest import REPO

    nb = json.loads((REPO / "notebooks/annual_report.ipynb").read_text(encoding="utf-8"))
    make = (REPO / "Makefile").read_text(encoding="utf-8")
    m = re.search(r'ipykernel install --sys-prefix --name (\S+) --display-name "([^"]+)"', make)
    assert m and nb["metadata"]["kernelspec"] == {"name": m.group(1), "display_name": m.group(2), "language": "python"}


# --- the users' language, and a closed pipe ----------------------------------------------------------

def test_help_and_usage_errors_are_in_chinese(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：nianbao") and "显示本帮助并退出" in out and "命令" in out
    assert "show this help" not in out and "usage:" not in out
    with pytest.raises(SystemExit) as exc:
        main(["run", "--unit", "zhungeer"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "nianbao run：用法错误：缺少必需的参数：--year" in err and "用 nianbao run --help 查看说明" in err
    with pytest.raises(SystemExit):
        main(["batch", "--year", "2022", "--executor", "ray"])
    assert "无效的选项 'ray'（可选：'local', 'dask'）" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "输出格式，逗号分隔" in out and "报告年度，如 2022" in out


@pytest.mark.parametrize("args", [["--help"], ["template", "--unit", "zhungeer", "--year", "2022"],
                                  ["run", "--help"]])
def test_a_closed_pipe_ends_quietly(project_dir, args):
    import sys

    nianbao = Path(sys.executable).with_name("nianbao")
    cmd = " ".join([str(nianbao), *args]) + f" --project {project_dir}" * (args[0] == "template")
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd} | head -1"], capture_output=True, text=True,
                          timeout=60)
    assert proc.stderr == "" and proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    # the worst case of `| head`: the reader is gone before the command writes its first byte
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd} | true"], capture_output=True, text=True,
                          timeout=60)
    assert proc.stderr == "" and proc.returncode == 0, proc.stderr


def test_malformed_publication_file_stops_before_any_kernel(project_dir, capsys):
    (project_dir / "data/2022/zhungeer/publication.yaml").write_text("date: 2023-13-01\n", encoding="utf-8")
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir)]) == 3
    err = capsys.readouterr().err
    assert "data/2022/zhungeer/publication.yaml:1: '2023-13-01' 不是有效的日期。日期应写成 YYYY-MM-DD" in err
    assert not (project_dir / "outputs/2022").exists()  # nothing written
