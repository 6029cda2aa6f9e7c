"""The PDF exporter's parts, without executing the report notebook: setup errors that say the fix,
the glyph check, reproducible fields, page breaks in a long table, and the shared browser.
"""
from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import threading
from datetime import datetime, timezone

import nbformat
import pytest
from nbconvert.exporters import get_exporter

from nianbao.errors import SetupError
from nianbao.exporters import browser as browser_mod
from nianbao.exporters.pdf import ReportPDFExporter, document_date, prewarm, print_html
from nianbao.exporters.pdfinspect import dates, missing_glyphs, normalise_struct_ids, pdf_date, set_dates

INSTALL = "sudo apt-get install chromium fonts-noto-cjk"


def page(body: str, title: str = "测试") -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body style="font-family:\'Noto Serif CJK SC\',serif">{body}</body></html>')


def html_notebook(html: str, title: str = "测试报告") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("report.section('x')")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "x"})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["nianbao"] = {"title": title}
    return nb


# --- setup errors ---------------------------------------------------------------------------------

def test_exporters_registered_under_their_names():
    assert get_exporter("nianbao_pdf") is ReportPDFExporter
    assert get_exporter("nianbao_html").__name__ == "ReportHTMLExporter"
    e = ReportPDFExporter()
    assert e.file_extension == ".pdf" and e.output_mimetype == "application/pdf"


def test_missing_browser_named_by_setting_says_how_to_install():
    nb = html_notebook("<p>测试</p>")
    with pytest.raises(SetupError, match=re.escape(INSTALL)) as info:
        ReportPDFExporter(chromium_executable="/nonexistent/chromium").from_notebook_node(nb)
    assert info.value.exit_code == 6 and "/nonexistent/chromium" in str(info.value)


def test_missing_browser_on_path_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv(browser_mod.CHROMIUM_ENV, raising=False)
    monkeypatch.setattr(browser_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(browser_mod, "DEBIAN_CHROMIUM_BINARY", tmp_path / "no-chromium")
    with pytest.raises(SetupError, match=re.escape(INSTALL)) as info:
        browser_mod.find_chromium()
    assert "make setup" in str(info.value) and browser_mod.CHROMIUM_ENV in str(info.value)


def test_browser_from_environment_variable(monkeypatch):
    monkeypatch.setenv(browser_mod.CHROMIUM_ENV, "/nonexistent/chrome")
    with pytest.raises(SetupError, match=browser_mod.CHROMIUM_ENV):
        browser_mod.find_chromium()


def test_debian_wrapper_resolves_to_the_browser_binary(monkeypatch):
    monkeypatch.delenv(browser_mod.CHROMIUM_ENV, raising=False)
    wrapper = shutil.which("chromium")
    if not wrapper or not browser_mod._is_script(wrapper) or not browser_mod.DEBIAN_CHROMIUM_BINARY.exists():
        pytest.skip("not Debian's chromium package")
    assert browser_mod.find_chromium() == str(browser_mod.DEBIAN_CHROMIUM_BINARY)


def test_a_program_that_is_not_a_browser_is_a_setup_error():
    with pytest.raises(SetupError, match="无法启动 Chromium"):
        print_html(page("<p>测试</p>"), executable="/bin/false", timeout=30)


@pytest.fixture
def no_fonts(monkeypatch, tmp_path):
    """fontconfig pointed at an empty font directory: as on a machine without fonts-noto-cjk."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f"<dir>{tmp_path / 'fonts'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    return conf


def test_missing_cjk_font_says_how_to_install(no_fonts):
    assert browser_mod.find_cjk_fonts() == []
    with pytest.raises(SetupError, match="sudo apt-get install fonts-noto-cjk") as info:
        ReportPDFExporter().from_notebook_node(html_notebook("<p>测试</p>"))
    assert "make setup" in str(info.value) and info.value.exit_code == 6


def test_missing_cjk_font_without_fontconfig_tools(monkeypatch, tmp_path):
    monkeypatch.setattr(browser_mod.shutil, "which", lambda name: None if name == "fc-list" else shutil.which(name))
    monkeypatch.setattr(browser_mod, "FONT_DIRS", (str(tmp_path),))
    monkeypatch.setenv("FONTCONFIG_FILE", str(tmp_path / "other.conf"))  # not the cached success
    with pytest.raises(SetupError, match="fonts-noto-cjk"):
        browser_mod.require_cjk_font()
    (tmp_path / "NotoSerifCJK-Regular.ttc").write_bytes(b"")
    assert browser_mod.require_cjk_font()


def test_prewarm_is_quiet_when_setup_is_missing(no_fonts):
    assert prewarm() is None  # the export that follows raises the SetupError


def test_cjk_font_is_installed_here():
    fonts = browser_mod.find_cjk_fonts()
    assert any("Noto Serif CJK SC" in f for f in fonts), "run `make setup` (installs fonts-noto-cjk)"


# --- glyph check ----------------------------------------------------------------------------------

def test_missing_glyph_is_found_and_named():
    tofu = print_html(page("<p>准格尔旗\ue000测试</p>"))
    found = missing_glyphs(tofu)
    assert len(found) == 1 and found[0].page == 1
    assert browser_mod.uncovered_chars("准格尔旗\ue000测试") == "\ue000"
    assert missing_glyphs(print_html(page("<p>准格尔旗测试 3197.1919</p>"))) == []


# --- reproducible fields --------------------------------------------------------------------------

@pytest.mark.parametrize("when, expected", [
    (datetime(2023, 3, 31, 8, 5, 9, tzinfo=timezone.utc), b"D:20230331080509+00'00'"),
    (datetime(2023, 3, 31, 16, 5, 9), b"D:20230331160509+00'00'"),  # naive: taken as UTC
    (datetime.fromisoformat("2023-04-01T00:05:09+08:00"), b"D:20230331160509+00'00'"),
])
def test_pdf_date(when, expected):
    assert pdf_date(when) == expected


def test_set_dates_keeps_length_and_offsets():
    pdf = b"%PDF-1.4\n1 0 obj\n<</Title (t)\n/CreationDate (D:20261128072814+00'00')\n" \
          b"/ModDate (D:20261128072814+00'00')>>\nendobj\n"
    out = set_dates(pdf, datetime(2023, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert len(out) == len(pdf)
    assert dates(out) == {"CreationDate": "D:20230102030405+00'00'", "ModDate": "D:20230102030405+00'00'"}


def test_struct_ids_renumbered_in_order():
    pdf = b"/ID (node00000937) /ID (node00000036) /Names [(node00000036) 1 0 R (node00000937) 2 0 R]"
    out = normalise_struct_ids(pdf)
    assert out == b"/ID (node00000001) /ID (node00000000) /Names [(node00000000) 1 0 R (node00000001) 2 0 R]"
    assert normalise_struct_ids(out) == out


@pytest.mark.parametrize("env, papermill, expected", [
    ({"SOURCE_DATE_EPOCH": "1680000000"}, {"end_time": "2023-04-01T00:00:00Z"}, datetime(2023, 3, 28, 10, 40, tzinfo=timezone.utc)),
    ({}, {"end_time": "2023-04-01T00:00:00.5+00:00"}, datetime(2023, 4, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)),
    ({}, {}, None),
    ({"SOURCE_DATE_EPOCH": "soon"}, {}, None),
])
def test_document_date(env, papermill, expected):
    nb = nbformat.v4.new_notebook()
    if papermill:
        nb.metadata["papermill"] = papermill
    assert document_date(nb, env) == expected


# --- page breaks ----------------------------------------------------------------------------------

def long_table(rows: int) -> str:
    head = ("<thead><tr><th class=\"corner\" rowspan=\"2\">项目</th><th colspan=\"3\">长表表头甲</th></tr>"
            "<tr><th>列一</th><th>列二</th><th>列三</th></tr></thead>")
    body = "".join(
        f'<tr><th class="row-label" scope="row">第{i}行{"（说明文字较长，需要换行显示）" * (4 * (i % 3))}</th>'
        + "".join(f'<td class="num">R{i}C{j}</td>' for j in range(1, 4)) + "</tr>"
        for i in range(1, rows + 1)
    )
    return f'<div class="nb-table-wrap"><table class="nb-table nb-matrix" id="long">{head}<tbody>{body}</tbody></table></div>'


def test_long_table_repeats_header_and_keeps_rows_whole(tmp_path):
    nb = html_notebook('<section class="nb-section"><h2>三、长表</h2>' + long_table(70) + "</section>")
    pdf, _ = ReportPDFExporter().from_notebook_node(nb)
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                                                         check=True).stdout).group(1))
    assert n >= 3
    pages = [re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", "-f", str(i), "-l", str(i), str(path), "-"],
                                               capture_output=True, text=True, check=True).stdout)
             for i in range(1, n + 1)]
    for i, text in enumerate(pages, start=1):
        assert "长表表头甲" in text and "列三" in text, f"page {i} has no header"
        assert f"第{i}页共{n}页" in text
    for r in range(1, 71):
        label = f"第{r}行" + "（说明文字较长，需要换行显示）" * (4 * (r % 3))
        cells = [f"R{r}C{j}" for j in range(1, 4)]
        holders = [i for i, text in enumerate(pages) if label + "".join(cells) in text]
        assert len(holders) == 1, f"row {r} is not whole on one page"


# --- the shared browser ---------------------------------------------------------------------------

def test_works_inside_a_running_event_loop():
    """Jupyter and papermill call exporters with an asyncio loop running; Playwright's sync API
    would refuse there, so the browser lives on its own thread."""
    async def inside():
        return print_html(page("<p>事件循环</p>"))

    assert asyncio.run(inside())[:5] == b"%PDF-"


def test_concurrent_exports_share_one_browser():
    b = browser_mod.shared_browser()
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda i=i: results.append(print_html(page(f"<p>线程{i}</p>"))))
               for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 3 and all(r[:5] == b"%PDF-" for r in results)
    assert browser_mod.shared_browser() is b and b.launches == 1


def test_prewarm_starts_the_shared_browser_in_the_background():
    future = prewarm()
    assert future is not None
    assert future.result(120)[:5] == b"%PDF-"
    assert browser_mod.shared_browser().state.get("print_page") is not None  # the page the reports reuse
