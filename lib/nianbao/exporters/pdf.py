"""``nianbao_pdf``: the ``nianbao_html`` page printed to an A4 PDF by headless Chromium.

Usable outside the kit: ``jupyter nbconvert --to nianbao_pdf report.ipynb``.

- A4, the page layout of the template's print CSS (``@page``); footer 「第 N 页 共 M 页」.
- Table header rows repeat on every page a table spans; no row is cut in half (print CSS).
- Bookmarks (PDF outline) from the headings — the six sections of the form — and a tagged PDF.
- Document title in the PDF metadata, from the page's ``<title>`` (the report title).
- Chinese drawn from the system's CJK fonts, embedded (as Type 3 fonts by Chromium). A missing
  browser or font is a :class:`~nianbao.errors.SetupError` that says how to install it, and a PDF
  that would show an empty box for any character is refused (``check_glyphs``).
- Reproducible: CreationDate and ModDate are set to ``SOURCE_DATE_EPOCH`` when that is set, else to
  the time the notebook finished executing (papermill's ``end_time``), and the tagged-PDF element
  IDs (DOM node numbers) are renumbered, so the same executed notebook prints to the same bytes on
  the same Chromium and fonts. Without either date source the dates are the print time.

One browser per process (:mod:`nianbao.exporters.browser`) serves every export, on any thread; in a
batch, one browser serves every worker (:mod:`nianbao.exporters.printpool`).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

from traitlets import Bool, Float, Unicode, default

from ..errors import SetupError
from . import browser as _browser
from .html import ReportHTMLExporter
from .pdfinspect import missing_glyphs, normalise_struct_ids, set_dates

FOOTER_TEMPLATE = (
    '<div style="width:100%;text-align:center;font-size:10.5pt;line-height:1;color:#000;'
    "font-family:'Noto Serif CJK SC','Source Han Serif SC','Noto Sans CJK SC',serif;"
    '-webkit-print-color-adjust:exact;">'
    '第 <span class="pageNumber"></span> 页 共 <span class="totalPages"></span> 页</div>'
)
HEADER_TEMPLATE = "<span></span>"
# Kept equal to the @page margins in templates/nianbao_report/report.css (GB/T 9704 type area); the
# Word exporter (.docx) takes its page margins from here.
PAGE_MARGINS = {"top": "37mm", "right": "26mm", "bottom": "35mm", "left": "28mm"}


def pdf_options(*, footer_template: str = FOOTER_TEMPLATE, header_template: str = HEADER_TEMPLATE) -> dict:
    """Playwright ``page.pdf`` options of a report (the same in-process and in the batch's print service)."""
    return dict(format="A4", prefer_css_page_size=True, print_background=True, margin=PAGE_MARGINS,
                display_header_footer=True, header_template=header_template, footer_template=footer_template,
                outline=True, tagged=True)


def _print_job(browser: _browser.Browser, html: str, *, footer_template: str, header_template: str,
               timeout: float):
    def work(page):
        page.set_content(html, wait_until="load")
        return page.pdf(**pdf_options(footer_template=footer_template, header_template=header_template))

    return browser.page_job("print_page", work, timeout)  # one page, reused for every report


def print_html(html: str, *, executable: str | None = None, footer_template: str = FOOTER_TEMPLATE,
               header_template: str = HEADER_TEMPLATE, timeout: float = 120.0) -> bytes:
    """Print a self-contained HTML page to PDF bytes with the process's shared Chromium.

    Scripts are off and every network request is refused: the page is printed from what it holds.
    In a batch worker connected to the batch's print service, the service's browser prints it.
    """
    from . import printpool

    service = printpool.client()
    if service is not None:
        return service.print(html, pdf_options(footer_template=footer_template, header_template=header_template),
                             timeout)
    _browser.require_cjk_font()
    browser = _browser.shared_browser(executable)
    job = _print_job(browser, html, footer_template=footer_template, header_template=header_template,
                     timeout=timeout)
    return browser.call(job, timeout=timeout + 30)


WARMUP_HTML = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>预热</title></head><body>'
    "<p style=\"font-family:'Noto Serif CJK SC',serif\">政府信息公开<b>年度报告</b></p>"
    "<h2 style=\"font-family:'Noto Sans CJK SC',sans-serif\">一、概况<b>表</b></h2></body></html>"
)


def prewarm(executable: str | None = None):
    """Start Chromium and load the report fonts in the background; returns a Future, or None.

    A run that will print PDFs can call this before executing its notebook: the browser start and
    the first font loading (~2 s cold) then overlap the kernel's work. Problems are not raised here:
    the export that follows reports them. Nothing to do in a process that prints through a service.
    """
    from . import printpool

    if printpool.client() is not None:
        return None
    try:
        _browser.require_cjk_font()
        browser = _browser.shared_browser(executable)
    except SetupError:
        return None
    job = _print_job(browser, WARMUP_HTML, footer_template=FOOTER_TEMPLATE, header_template=HEADER_TEMPLATE,
                     timeout=120.0)
    return browser.submit(job)


def _visible_text(html: str) -> str:
    import re
    from html import unescape

    body = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return unescape(re.sub(r"<[^>]+>", " ", body))


def document_date(nb, environ=os.environ) -> datetime | None:
    """The date written into the PDF: SOURCE_DATE_EPOCH, else the notebook's execution end time."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
        except ValueError:
            pass
    end = (nb.get("metadata", {}).get("papermill") or {}).get("end_time") if nb is not None else None
    if end:
        try:
            return datetime.fromisoformat(str(end).replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


class ReportPDFExporter(ReportHTMLExporter):
    export_from_notebook = "nianbao report (PDF)"
    output_mimetype = "application/pdf"

    chromium_executable = Unicode(
        "", help=f"Chromium to print with; empty: ${_browser.CHROMIUM_ENV}, else chromium on PATH."
    ).tag(config=True)
    check_glyphs = Bool(
        True, help="Refuse a PDF in which any character is drawn as an empty box (.notdef)."
    ).tag(config=True)
    print_timeout = Float(120.0, help="Seconds allowed for printing one report.").tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"  # the HTML template, printed

    def finish_html(self, html, nb, resources):
        """Print the report's HTML page (see ReportHTMLExporter.report_html)."""
        pdf = print_html(html, executable=self.chromium_executable or None, timeout=self.print_timeout)
        if self.check_glyphs:
            missing = missing_glyphs(pdf)
            if missing:
                chars = ("".join(dict.fromkeys(m.text for m in missing if m.text))
                         or _browser.uncovered_chars(_visible_text(html)) or "（无法确定是哪些字符）")
                pages = ", ".join(str(p) for p in sorted({m.page for m in missing}))
                raise SetupError(
                    f"PDF 第 {pages} 页有 {len(missing)} 个字符没有可用字形，会印成空白方框：{chars}。{_browser.GLYPH_HINT}")
        pdf = normalise_struct_ids(pdf)
        when = document_date(nb)
        if when is not None:
            pdf = set_dates(pdf, when)
        resources["output_extension"] = ".pdf"
        return pdf, resources
