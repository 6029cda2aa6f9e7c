"""``nianbao_docx``: the publication as a Word document (python-docx), for offices that edit, get
approval and post in Word or WPS.

Usable outside the kit: ``jupyter nbconvert --to nianbao_docx report.ipynb``.

The document is built from the same publication HTML the ``nianbao_html`` exporter writes (so the
three formats cannot drift apart): the title, preface, the six sections with their tables, 落款 —
and, for a report that failed validation, the 未通过校验 banner.

- A4, the GB/T 9704 type area (margins 37/35/28/26 mm, as the PDF), page numbers 「第 N 页 共 M 页」
  in the footer (PAGE and NUMPAGES fields).
- Official-document typography: title in 方正小标宋简体 二号, 一、 headings in 黑体 三号, （一） headings in
  楷体_GB2312 三号, body in 仿宋_GB2312 三号 with a fixed 28 pt line, tables in 仿宋_GB2312 五号. Where those
  fonts are not installed (Linux), :data:`FALLBACK_FONTS` names the stand-ins (Noto Serif/Sans CJK
  SC); ``fontconfig/nianbao-fonts.conf`` beside this module maps the names for LibreOffice.
- Tables are real Word tables, merged header cells as printed (from the HTML's rowspan/colspan,
  which come from the form definition), header rows repeated on every page, no row split.
- Charts (inline SVG, e.g. the year-over-year block) are pictures in place: the chart's title as a
  caption, then the chart as a PNG drawn by the kit's headless Chromium (:mod:`.chartpng`) at its
  natural size (1 px = 1/96 in, at most the text width), then the chart's figures as a table (its text
  equivalent). Only a document with charts needs Chromium; without it that export is a SetupError.
- Deterministic: fixed core properties and zip timestamps, so the same notebook gives the same bytes.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone

from traitlets import Unicode, default

from .html import ReportHTMLExporter
from .pdf import PAGE_MARGINS

# Font names offices use (Windows/WPS) → the Linux stand-in (fonts-noto-cjk).
TITLE_FONT = "方正小标宋简体"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
LATIN_FONT = "Times New Roman"
FALLBACK_FONTS = {TITLE_FONT: "Noto Serif CJK SC", HEADING1_FONT: "Noto Sans CJK SC",
                  HEADING2_FONT: "Noto Serif CJK SC", BODY_FONT: "Noto Serif CJK SC"}
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FIXED_TIME = datetime(1980, 1, 1, tzinfo=timezone.utc)
MARGINS_MM = {side: int(mm.removesuffix("mm")) for side, mm in PAGE_MARGINS.items()}  # the PDF's type area
TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
BODY_PT, TABLE_PT, TITLE_PT, STAMP_PT = 16, 10.5, 22, 18
LINE_PT = 28
RED = "B42318"
BLOCK_TAGS = {"p", "div", "section", "header", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
              "table", "blockquote", "pre", "hr", "style", "script", "figure", "article", "aside", "footer"}


class ReportDocxExporter(ReportHTMLExporter):
    export_from_notebook = "nianbao report (Word)"
    output_mimetype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    chromium_executable = Unicode(
        "", help="Chromium that draws the charts; empty: $NIANBAO_CHROMIUM, else chromium on PATH."
    ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self):
        return ".docx"

    @default("template_extension")
    def _template_extension_default(self):
        return ".html.j2"  # the publication HTML, converted

    def finish_html(self, html, nb, resources):
        """Convert the report's HTML page (see ReportHTMLExporter.report_html) to Word."""
        title = (nb.metadata.get("nianbao") or {}).get("title") or ""
        data = html_to_docx(html, title=title, executable=self.chromium_executable or None)
        resources["output_extension"] = ".docx"
        return data, resources


# ---------------------------------------------------------------------------------------------------
# Document set-up


def _qn(tag):
    from docx.oxml.ns import qn

    return qn(tag)


def _el(tag, **attrs):
    from docx.oxml import OxmlElement

    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(_qn(k), str(v))
    return e


def _set_fonts(rpr_owner, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Set the run fonts of a style or run (ascii/hAnsi Latin, eastAsia Chinese)."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(_qn("w:rFonts"))
    if fonts is None:
        fonts = _el("w:rFonts")
        rpr.insert(0, fonts)
    for k in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(_qn(k), None)
    fonts.set(_qn("w:ascii"), latin)
    fonts.set(_qn("w:hAnsi"), latin)
    fonts.set(_qn("w:eastAsia"), east_asia)
    fonts.set(_qn("w:hint"), "eastAsia")


def _paragraph_style(doc, name, *, font, size, bold=False, align=None, indent_chars=0.0, line=LINE_PT,
                     before=0, after=0, keep_next=False, color=None, base="Normal"):
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Pt, RGBColor

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.font.size = Pt(size)
    style.font.bold = bold
    if color:
        style.font.color.rgb = RGBColor.from_string(color)
    _set_fonts(style.element, font)
    pf = style.paragraph_format
    if align is not None:
        pf.alignment = align
    if line:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line)
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.keep_with_next = keep_next
    if indent_chars:
        pf.first_line_indent = Pt(size * indent_chars)
    return style


def new_document():
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH as AL
    from docx.shared import Mm, Pt

    doc = docx.Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    sec.left_margin, sec.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    sec.header_distance, sec.footer_distance = Mm(15), Mm(20)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element, BODY_FONT)
    # Declared East-Asian language, so Word and WPS apply Chinese line breaking and punctuation rules.
    lang = normal.element.get_or_add_rPr().find(_qn("w:lang"))
    if lang is None:
        lang = _el("w:lang")
        normal.element.get_or_add_rPr().append(lang)
    lang.set(_qn("w:eastAsia"), "zh-CN")
    _paragraph_style(doc, "NB Title", font=TITLE_FONT, size=TITLE_PT, align=AL.CENTER, line=36, keep_next=True)
    _paragraph_style(doc, "NB Body", font=BODY_FONT, size=BODY_PT, align=AL.JUSTIFY, indent_chars=2)
    _paragraph_style(doc, "NB Heading 1", font=HEADING1_FONT, size=BODY_PT, indent_chars=2, keep_next=True)
    _paragraph_style(doc, "NB Heading 2", font=HEADING2_FONT, size=BODY_PT, indent_chars=2, keep_next=True)
    _paragraph_style(doc, "NB Heading 3", font=BODY_FONT, size=BODY_PT, bold=True, indent_chars=2, keep_next=True)
    _paragraph_style(doc, "NB Signature", font=BODY_FONT, size=BODY_PT, align=AL.RIGHT).paragraph_format.right_indent = Pt(2 * BODY_PT)
    _paragraph_style(doc, "NB Table Text", font=BODY_FONT, size=TABLE_PT, align=AL.CENTER, line=None)
    _paragraph_style(doc, "NB Banner", font=HEADING1_FONT, size=BODY_PT, color=RED, line=None, after=4)
    _paragraph_style(doc, "NB Stamp", font=HEADING1_FONT, size=STAMP_PT, bold=True, color=RED, align=AL.CENTER,
                     line=None, after=4)
    _paragraph_style(doc, "NB Footer", font=BODY_FONT, size=14, align=AL.CENTER, line=None)
    _paragraph_style(doc, "NB Caption", font=HEADING1_FONT, size=TABLE_PT, align=AL.CENTER, line=None, before=6,
                     after=2, keep_next=True)
    _paragraph_style(doc, "NB Figure", font=BODY_FONT, size=TABLE_PT, align=AL.CENTER, line=None, after=4,
                     keep_next=True)  # not an exact line height: that would cut the picture
    _declare_fallbacks(doc)
    _footer_page_numbers(doc, sec)
    return doc


def _declare_fallbacks(doc) -> None:
    """Font table entries with the Linux stand-in as w:altName (Word and WPS use the named font)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    try:
        font_part = doc.part.part_related_by(RT.FONT_TABLE)
    except KeyError:  # pragma: no cover - the default template has one
        return
    from lxml import etree

    root = etree.fromstring(font_part.blob)
    ns = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    w = "{%s}" % ns
    for name, alt in FALLBACK_FONTS.items():
        font = etree.SubElement(root, f"{w}font", {f"{w}name": name})
        etree.SubElement(font, f"{w}altName", {f"{w}val": alt})
        etree.SubElement(font, f"{w}charset", {f"{w}val": "86"})  # GB2312
        etree.SubElement(font, f"{w}family", {f"{w}val": "modern" if name == HEADING1_FONT else "roman"})
    if hasattr(font_part, "_element"):  # pragma: no cover - an XmlPart in some python-docx versions
        return
    font_part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _field(paragraph, instr: str, placeholder: str = "1") -> None:
    run = paragraph.add_run()
    run._r.append(_el("w:fldChar", **{"w:fldCharType": "begin"}))
    run = paragraph.add_run()
    text = _el("w:instrText")
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    text.text = f" {instr} "
    run._r.append(text)
    run = paragraph.add_run()
    run._r.append(_el("w:fldChar", **{"w:fldCharType": "separate"}))
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    run._r.append(_el("w:fldChar", **{"w:fldCharType": "end"}))


def _footer_page_numbers(doc, section) -> None:
    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.style = doc.styles["NB Footer"]
    p.add_run("第 ")
    _field(p, "PAGE")
    p.add_run(" 页 共 ")
    _field(p, "NUMPAGES")
    p.add_run(" 页")


# ---------------------------------------------------------------------------------------------------
# HTML → document


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def _inline(paragraph, el, *, bold=None, italic=None, skip_blocks=False) -> None:
    """Runs for the inline content of ``el`` (text, strong/b, em/i, code, a, span, br, img alt)."""
    def add(text, b, i):
        text = re.sub(r"\s+", " ", text)
        if text:
            run = paragraph.add_run(text)
            if b is not None:
                run.bold = b
            if i is not None:
                run.italic = i

    add(el.text or "", bold, italic)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in ("style", "script", "svg") or (skip_blocks and tag in BLOCK_TAGS):
            pass  # a chart is a block of its own (:func:`_picture`), never its labels run together
        elif tag == "br":
            paragraph.add_run().add_break()
        elif tag == "img":
            add(child.get("alt") or "", bold, italic)
        else:
            _inline(paragraph, child, bold=True if tag in ("strong", "b") else bold,
                    italic=True if tag in ("em", "i") else italic)
        add(child.tail or "", bold, italic)


def _strip_leading(paragraph) -> None:
    runs = paragraph.runs
    if runs:
        runs[0].text = runs[0].text.lstrip()
        runs[-1].text = runs[-1].text.rstrip()


def _style_id(name: str) -> str:
    return name.replace(" ", "")  # python-docx names a new style's id after its name, without spaces


def _set_style(paragraph, name: str) -> None:
    """Set a paragraph's style by id (python-docx's style lookup by name scans every style per call)."""
    paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = _style_id(name)


def _add(doc, name: str):
    p = doc.add_paragraph()
    _set_style(p, name)
    return p


def _para(doc, style, el=None, text=None, **kw):
    p = _add(doc, style)
    if el is not None:
        _inline(p, el, **kw)
    if text is not None:
        p.add_run(text)
    _strip_leading(p)
    return p


def _border(paragraph, color=RED) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = _el("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        bdr.append(_el(f"w:{side}", **{"w:val": "single", "w:sz": 12, "w:space": 4, "w:color": color}))
    ppr.append(bdr)


def _blocks(doc, el, pictures=()) -> None:
    """Add the block content of ``el`` to the document (``pictures``: the drawn charts, see :func:`_charts`)."""
    def loose(text):
        if text and text.strip():
            _para(doc, "NB Body", text=text.strip())

    loose(el.text)
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        cls = _classes(child)
        if tag == "svg":
            _picture(doc, child, pictures)
        elif tag in ("style", "script", "hr") or not tag:
            pass
        elif "nb-chart-caption" in cls and _drawn_in_figure(child):
            pass  # the chart's title is its picture's caption already
        elif "nb-title" in cls:
            for part in child:
                if isinstance(part.tag, str) and _text(part):
                    _para(doc, "NB Title", part)
            doc.paragraphs[-1].paragraph_format.space_after = _pt(LINE_PT)
        elif "nb-v-banner" in cls:
            for stamp in child.iter("p"):
                if "nb-v-stamp" in _classes(stamp):
                    _border(_para(doc, "NB Stamp", stamp))
            p = _para(doc, "NB Banner", child, skip_blocks=True)
            _border(p)
        elif "nb-signature" in cls:
            if doc.paragraphs:  # the 落款 never stands alone on a page: keep the last line of text with it
                doc.paragraphs[-1].paragraph_format.keep_with_next = True
            first = True
            for part in child:
                if isinstance(part.tag, str):
                    p = _para(doc, "NB Signature", part)
                    if first:
                        p.paragraph_format.space_before = _pt(LINE_PT)
                        p.paragraph_format.keep_with_next = True
                        first = False
                    if "nb-pending" in _classes(part):
                        for r in p.runs:
                            r.bold = True
                            r.font.color.rgb = _rgb(RED)
        elif tag == "h1":
            _para(doc, "NB Title", child)
        elif tag == "h2":
            _para(doc, "NB Heading 1", child)
        elif tag == "h3":
            _para(doc, "NB Heading 2", child)
        elif tag in ("h4", "h5", "h6"):
            _para(doc, "NB Heading 3", child)
        elif tag == "p":
            p = _para(doc, "NB Body", child)
            if "nb-missing" in cls:
                for r in p.runs:
                    r.font.color.rgb = _rgb("555555")
        elif tag in ("ul", "ol"):
            for n, li in enumerate((c for c in child if c.tag == "li"), start=1):
                p = _add(doc, "NB Body")
                p.add_run(f"{n}. " if tag == "ol" else "· ")
                _inline(p, li, skip_blocks=True)
                _strip_leading(p)
                for sub in li:
                    if sub.tag in ("ul", "ol", "p", "table"):
                        _blocks(doc, _wrap(sub), pictures)
        elif tag == "table":
            _table(doc, child)
        elif tag == "pre":
            _para(doc, "NB Body", text=child.text_content())
        elif tag in BLOCK_TAGS or tag == "blockquote":
            if "nb-error" in cls:
                p = _para(doc, "NB Banner", text=_text(child))
                _border(p)
            else:
                _blocks(doc, child, pictures)
        else:  # inline element directly in a block container
            p = _add(doc, "NB Body")
            _inline(p, _wrap(child))
            _strip_leading(p)
            if not p.text.strip():
                p._p.getparent().remove(p._p)
            continue
        loose(child.tail)


# ---------------------------------------------------------------------------------------------------
# Charts

CHART_INDEX = "data-nb-chart"  # set on each <svg> of the parsed page: its place in the drawn pictures


@dataclass(frozen=True)
class Picture:
    png: bytes
    width_mm: float  # as placed in the document
    title: str  # caption and alternative text


def _svg_title(svg) -> str:
    for child in svg:
        if isinstance(child.tag, str) and child.tag.lower() == "title":
            return _text(child)
    return (svg.get("aria-label") or "").strip()


def _charts(root, executable: str | None = None) -> list[Picture]:
    """Draw every <svg> of the page (one browser call; none without an SVG) and number them."""
    from lxml import html as lhtml

    from . import chartpng

    svgs = [el for el in root.iter() if isinstance(el.tag, str) and el.tag.lower() == "svg"
            and not any(isinstance(a.tag, str) and a.tag.lower() == "svg" for a in el.iterancestors())]
    if not svgs:
        return []
    boxes = [chartpng.svg_box(s.get("width"), s.get("height"), s.get("viewBox") or s.get("viewbox")) for s in svgs]
    markup = []
    for s in svgs:
        c = _copy(s)
        markup.append(lhtml.tostring(c, encoding="unicode"))
    labels = "".join(t.text_content() for s in svgs for t in s.iter() if isinstance(t.tag, str)
                     and t.tag.lower() in ("text", "tspan", "textpath"))
    pngs = chartpng.draw(zip(markup, boxes), text=labels, executable=executable)
    out = []
    for i, (s, png) in enumerate(zip(svgs, pngs)):
        s.set(CHART_INDEX, str(i))
        px_w = chartpng.png_size(png)[0] / chartpng.SCALE
        out.append(Picture(png, min(px_w * 25.4 / 96, TEXT_WIDTH_MM), _svg_title(s)))
    return out


def _picture(doc, svg, pictures) -> None:
    """The chart's caption, then its picture, where the <svg> is."""
    from docx.shared import Mm

    index = svg.get(CHART_INDEX)
    if index is None or int(index) >= len(pictures):
        return
    pic = pictures[int(index)]
    if pic.title:
        _para(doc, "NB Caption", text=pic.title)
    p = _add(doc, "NB Figure")
    shape = p.add_run().add_picture(io.BytesIO(pic.png), width=Mm(pic.width_mm))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", pic.title)
    doc_pr.set("name", f"图表 {int(index) + 1}")


def _drawn_in_figure(el) -> bool:
    """Whether ``el`` is in a <figure> whose chart was drawn as a picture."""
    for a in el.iterancestors():
        if a.tag == "figure":
            return any(s.get(CHART_INDEX) is not None for s in a.iter("svg"))
    return False


def _wrap(el):
    from lxml import html as lhtml

    holder = lhtml.Element("div")
    holder.append(_copy(el))
    return holder


def _copy(el):
    import copy

    c = copy.deepcopy(el)
    c.tail = None
    return c


def _pt(v):
    from docx.shared import Pt

    return Pt(v)


def _rgb(hexa):
    from docx.shared import RGBColor

    return RGBColor.from_string(hexa)


# ---------------------------------------------------------------------------------------------------
# Tables


def html_grid(table_el):
    """The HTML table as grid placements: list of (row index, col index, rowspan, colspan, cell, in_head)
    and the grid size. Cells covered by a span are skipped, as a browser lays them out."""
    rows = []
    for part in table_el:
        if not isinstance(part.tag, str):
            continue
        if part.tag in ("thead", "tbody", "tfoot"):
            rows += [(tr, part.tag == "thead") for tr in part if tr.tag == "tr"]
        elif part.tag == "tr":
            rows.append((part, False))
    taken: set[tuple[int, int]] = set()
    placed = []
    width = 0
    for r, (tr, head) in enumerate(rows):
        c = 0
        for cell in tr:
            if cell.tag not in ("th", "td"):
                continue
            while (r, c) in taken:
                c += 1
            rs, cs = int(cell.get("rowspan") or 1), int(cell.get("colspan") or 1)
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            placed.append((r, c, rs, cs, cell, head))
            c += cs
            width = max(width, c)
    height = max((r + rs for r, _, rs, _, _, _ in placed), default=0)
    return placed, len(rows), max(width, max((c + cs for _, c, _, cs, _, _ in placed), default=0)), height


def _column_widths(placed, ncols, cls) -> list[float]:
    """Column widths in mm: number columns narrow, label columns share the rest (as the print CSS)."""
    if "nb-blocks" in cls or "nb-flat" in cls:
        return [TEXT_WIDTH_MM / ncols] * ncols
    numeric = [False] * ncols
    group = [False] * ncols
    for r, c, rs, cs, cell, head in placed:
        if head:
            continue
        if cell.tag == "td" and cs == 1:
            numeric[c] = True
        if "row-group" in _classes(cell) and cs == 1:
            group[c] = True
    n_num = sum(numeric)
    if not n_num or n_num == ncols:
        return [TEXT_WIDTH_MM / ncols] * ncols
    num_w = _number_widths(placed, numeric, min(12.0, 0.62 * TEXT_WIDTH_MM / n_num))
    grp_w = 13.5  # fits “（三）” on one line at 五号
    n_grp = sum(1 for i in range(ncols) if group[i] and not numeric[i])
    rest = [i for i in range(ncols) if not numeric[i] and not group[i]]
    left = TEXT_WIDTH_MM - sum(num_w.values()) - grp_w * n_grp
    if not rest:
        rest = [i for i in range(ncols) if not numeric[i]]
        left += grp_w * n_grp
        n_grp = 0
    out = []
    for i in range(ncols):
        if numeric[i]:
            out.append(num_w[i])
        elif group[i] and i not in rest:
            out.append(grp_w)
        else:
            out.append(left / len(rest))
    return out


def _cell_mm(text: str) -> float:
    """Width of a cell's text on one line at 五号 (CJK and full-width one em, others 0.62 em), with the
    cell's 1 mm margins and a little room for bold."""
    em = TABLE_PT * 25.4 / 72
    return sum(em if unicodedata.east_asian_width(ch) in "WF" else em * 0.62 for ch in text) + 3.5


def _number_widths(placed, numeric, base: float) -> dict[int, float]:
    """Width of each number column: ``base``, wider where a figure would not fit on one line (a number is
    never broken), and where its one-column headings would not either if the number columns still take
    at most 62% of the text width (small tables, e.g. a chart's figures; the form's tables keep ``base``)."""
    cols = [i for i, n in enumerate(numeric) if n]
    body = {i: base for i in cols}
    head = dict(body)
    for r, c, rs, cs, cell, is_head in placed:
        if cs == 1 and c in body:
            need = _cell_mm(_text(cell))
            if is_head:
                head[c] = max(head[c], need)
            else:
                body[c] = max(body[c], need)
                head[c] = max(head[c], need)
    limit = 0.62 * TEXT_WIDTH_MM
    if sum(head.values()) <= limit:
        return head
    total = sum(body.values())
    if total <= limit:
        return body
    shrink = (limit - base * len(cols)) / (total - base * len(cols))
    return {i: base + (w - base) * shrink for i, w in body.items()}


def _table(doc, table_el) -> None:
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT as VA
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH as AL
    from docx.shared import Mm

    placed, nrows, ncols, height = html_grid(table_el)
    if not placed:
        return
    nrows = max(nrows, height)
    cls = _classes(table_el)
    table = doc.add_table(rows=nrows, cols=ncols)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _column_widths(placed, ncols, cls)
    tbl = table._tbl
    grid = tbl.tblGrid
    for gc, w in zip(grid.findall(_qn("w:gridCol")), widths):
        gc.set(_qn("w:w"), str(int(Mm(w).twips)))
    tblpr = tbl.tblPr
    layout = _el("w:tblLayout", **{"w:type": "fixed"})
    tblpr.append(layout)
    cell_mar = _el("w:tblCellMar")
    for side in ("left", "right"):
        cell_mar.append(_el(f"w:{side}", **{"w:w": 57, "w:type": "dxa"}))  # 1 mm
    tblpr.append(cell_mar)
    head_rows = {r for r, _, _, _, _, head in placed if head}
    for i, row in enumerate(table.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(_el("w:cantSplit"))  # a row is never cut across pages
        if i in head_rows:
            trpr.append(_el("w:tblHeader"))  # repeated at the top of every page the table spans
    # The unmerged grid, read once (python-docx's table.cell() re-reads the whole table every call);
    # the merges below are disjoint, so each keeps the others' cells valid.
    cells = table._cells
    for i, cell in enumerate(cells):
        cell.width = Mm(widths[i % ncols])
    for r, c, rs, cs, cell_el, head in placed:
        cell = cells[r * ncols + c]
        if rs > 1 or cs > 1:
            cell = cell.merge(cells[(min(r + rs, nrows) - 1) * ncols + min(c + cs, ncols) - 1])
        cell.vertical_alignment = VA.CENTER
        p = cell.paragraphs[0]
        _set_style(p, "NB Table Text")
        ccls = _classes(cell_el)
        bold = True if head or "block-label" in ccls else None
        _inline(p, cell_el, bold=bold)
        _strip_leading(p)
        if "row-label" in ccls and "nb-blocks" not in cls:
            p.alignment = AL.LEFT
        elif "corner" in ccls:
            p.alignment = AL.LEFT
        if "missing" in ccls:
            for run in p.runs:
                run.bold = True
                run.font.color.rgb = _rgb(RED)
    if _drawn_in_figure(table_el):  # a chart's figures stay on the page of its picture (a few rows)
        for row in table.rows[:-1]:
            for cell in row.cells:
                for par in cell.paragraphs:
                    par.paragraph_format.keep_with_next = True
    # a small gap after the table
    _add(doc, "NB Table Text").paragraph_format.space_after = _pt(6)


# ---------------------------------------------------------------------------------------------------
# Entry point


def html_to_docx(html: str, *, title: str = "", executable: str | None = None) -> bytes:
    """The publication HTML page as deterministic .docx bytes (its charts drawn by ``executable``'s Chromium)."""
    from lxml import html as lhtml

    root = lhtml.document_fromstring(html)
    main = root.find(".//main") if root.find(".//main") is not None else root.find(".//body")
    pictures = _charts(main, executable)
    doc = new_document()
    body = doc.element.body
    # the default template's empty first paragraph
    for p in list(body.iterchildren(_qn("w:p"))):
        body.remove(p)
    _blocks(doc, main, pictures)
    cp = doc.core_properties
    cp.title = title
    cp.author = cp.last_modified_by = "nianbao"
    cp.created = cp.modified = FIXED_TIME
    cp.revision = 1
    cp.comments = cp.keywords = cp.subject = cp.category = ""
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps and permissions (entry order kept)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            new = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            new.compress_type = zipfile.ZIP_DEFLATED
            new.create_system = 3
            new.external_attr = 0o100644 << 16
            dst.writestr(new, src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()
