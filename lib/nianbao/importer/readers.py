"""Readers: one per input type, each turning a published report into located lines of text.

A reader is ``fn(path) -> Document``; :func:`register` adds one for a set of file suffixes (the same
registry shape as commands and checks). Every line keeps where it came from — the line of a text
file, the page of a PDF, the paragraph or table cell of a Word file, the source line of an HTML
element — so the importer can say, for every cell, where it was read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import InputError, SetupError


@dataclass(frozen=True)
class Line:
    text: str
    where: str  # e.g. "第12行", "第2页第7行", "表格1第3行第2格"
    number: int  # 1-based position in the document's line sequence


@dataclass
class Document:
    path: Path
    kind: str  # txt | html | pdf | docx
    lines: list[Line]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)  # what the reader did (encoding found, chrome removed)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


_READERS: dict[str, tuple[str, Callable[[Path], Document]]] = {}


def register(suffixes: tuple[str, ...], kind: str, fn: Callable[[Path], Document]) -> None:
    for s in suffixes:
        _READERS[s.lower()] = (kind, fn)


def suffixes() -> tuple[str, ...]:
    return tuple(sorted(_READERS))


def read(path: Path) -> Document:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: 文件不存在。")
    entry = _READERS.get(path.suffix.lower())
    if entry is None:
        raise InputError(f"{path}: 不支持的文件类型 {path.suffix or '（无扩展名）'}。可导入：{'、'.join(suffixes())}。")
    return entry[1](path)


# --- text -----------------------------------------------------------------------------------------

def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Bytes to text: a BOM or a declared charset first, then detection; never silently lossy."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    tried = []
    for enc in ([declared] if declared else []) + ["utf-8"]:
        try:
            return data.decode(_codec(enc)), _codec(enc)
        except (UnicodeDecodeError, LookupError):
            tried.append(enc)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"无法识别文本编码（试过 {', '.join(tried)} 和自动检测）。请另存为 UTF-8 后再导入。")
    enc = _codec(best.encoding)
    try:
        return data.decode(enc), enc
    except UnicodeDecodeError as exc:
        raise InputError(f"按检测到的编码 {enc} 解码失败（第 {exc.start} 字节）。请另存为 UTF-8 后再导入。") from None


def _codec(name: str) -> str:
    name = name.lower().replace("_", "-")
    # GB2312 and GBK pages routinely hold GB18030 characters; GB18030 is their superset.
    return "gb18030" if name in ("gb2312", "gbk", "gb-2312", "cp936", "x-gbk", "euc-cn") else name


def read_txt(path: Path) -> Document:
    try:
        text, enc = decode(path.read_bytes())
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    lines = [Line(t, f"第{i}行", i) for i, t in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1)]
    return Document(path, "txt", lines, encoding=enc, notes=[f"文本编码 {enc}"])


register((".txt", ".text", ".md"), "txt", read_txt)


# --- HTML -----------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
# Page chrome of government CMS pages: navigation, headers, footers, share bars, scripts.
_CHROME_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "select", "button")
_CHROME_HINT = re.compile(r"(^|[-_ ])(nav|menu|header|footer|banner|crumb|breadcrumb|share|sidebar|toolbar|"
                          r"top|bottom|copyright|search|link|related|print)([-_ ]|$)", re.I)
_CONTENT_HINT = re.compile(r"(zoom|content|article|ccontent|TRS_Editor|main-txt|text|detail|con)", re.I)
_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "center"}


def read_html(path: Path) -> Document:
    from bs4 import BeautifulSoup, NavigableString, Tag

    data = path.read_bytes()
    m = _META_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii") if m else None
    try:
        text, enc = decode(data, declared)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    soup = BeautifulSoup(text, "html.parser")
    notes = [f"网页编码 {enc}" + (f"（页面声明 {declared}）" if declared else "（页面未声明，自动检测）")]
    removed = 0
    for tag in soup.find_all(_CHROME_TAGS):
        tag.decompose()
        removed += 1
    for tag in list(soup.find_all(True)):
        if getattr(tag, "decomposed", False) or tag.attrs is None:
            continue
        names = " ".join(filter(None, [tag.get("id") or ""] + list(tag.get("class") or [])))
        if names and _CHROME_HINT.search(names) and not _CONTENT_HINT.search(names) and not tag.find("table"):
            tag.decompose()
            removed += 1
    root = soup.body or soup
    from .. import forms

    firsts = {forms.get(f).sections[0].title for f in forms.available()}
    # Prefer the article container when the page has one holding the report's first section.
    for tag in root.find_all(True):
        names = " ".join(filter(None, [tag.get("id") or ""] + list(tag.get("class") or [])))
        if names and _CONTENT_HINT.search(names) and any(t in tag.get_text() for t in firsts):
            root = tag
            notes.append(f"正文取自页面元素 {tag.name}#{tag.get('id') or '.'.join(tag.get('class') or [])}")
            break
    if removed:
        notes.append(f"去除页面框架元素 {removed} 个（导航、页眉页脚、脚本等）")
    lines: list[Line] = []
    buf: list[str] = []
    src_line = [1]

    def flush():
        s = "".join(buf).replace("\xa0", " ")
        buf.clear()
        if s.strip():
            lines.append(Line(s.strip(), f"源码第{src_line[0]}行", len(lines) + 1))

    def walk(node):
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction"):
                    continue
                buf.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            if child.name == "tr":
                flush()
                src_line[0] = child.sourceline or src_line[0]
                # a cell spanning several columns is one printed cell: its number (or label) once
                cells = [re.sub(r"\s+", "", td.get_text("")).replace("\xa0", "")
                         for td in child.find_all(["td", "th"], recursive=False)]
                lines.append(Line("| " + " | ".join(cells) + " |", f"源码第{src_line[0]}行（表格行）", len(lines) + 1))
                continue
            if child.name in _BLOCK:
                flush()
                src_line[0] = child.sourceline or src_line[0]
            walk(child)
            if child.name in _BLOCK:
                flush()

    walk(root)
    flush()
    return Document(path, "html", lines, encoding=enc, notes=notes)


register((".html", ".htm", ".shtml", ".xhtml"), "html", read_html)


# --- PDF ------------------------------------------------------------------------------------------

def read_pdf(path: Path) -> Document:
    """The PDF's text layer, page by page, with pypdfium2 (PDFium; chosen by measurement, see
    benchmarks/bench_import.py). A scanned PDF without a text layer is refused, never OCR-guessed."""
    try:
        import pypdfium2
    except ImportError:  # pragma: no cover
        raise SetupError("读取 PDF 需要 pypdfium2：.venv/bin/pip install -r requirements.lock") from None
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except Exception as exc:  # pypdfium2 raises PdfiumError for damaged or encrypted files
        raise InputError(f"{path}: 无法打开 PDF（{exc}）。文件可能已损坏或加密。") from None
    lines: list[Line] = []
    pages = len(pdf)
    try:
        for p in range(pages):
            page = pdf[p]
            text = page.get_textpage().get_text_range()
            for i, t in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
                lines.append(Line(t, f"第{p + 1}页第{i}行", len(lines) + 1))
    finally:
        pdf.close()
    if not any(line.text.strip() for line in lines):
        raise InputError(f"{path}: PDF 没有文字层（可能是扫描件）。本工具不做文字识别；请取得带文字层的 PDF 或网页版。")
    return Document(path, "pdf", lines, notes=[f"PDF 文字层（pypdfium2），共 {pages} 页"])


register((".pdf",), "pdf", read_pdf)


# --- Word -----------------------------------------------------------------------------------------

def read_docx(path: Path) -> Document:
    import zipfile

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        d = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path}: 不是有效的 Word（.docx）文件（{exc}）。.doc 请先另存为 .docx。") from None
    lines: list[Line] = []
    para = tables = 0
    for child in d.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para += 1
            for t in Paragraph(child, d).text.split("\n"):
                lines.append(Line(t, f"第{para}段", len(lines) + 1))
        elif tag == "tbl":
            tables += 1
            for r, row in enumerate(Table(child, d).rows, 1):
                cells, last = [], None
                for cell in row.cells:
                    # python-docx repeats a merged cell once per grid column it spans: one printed
                    # cell, kept once
                    if last is None or cell._tc is not last:
                        cells.append(re.sub(r"\s+", "", cell.text))
                    last = cell._tc
                lines.append(Line("| " + " | ".join(cells) + " |", f"表格{tables}第{r}行", len(lines) + 1))
    return Document(path, "docx", lines, notes=[f"Word 文档：{para} 段，{tables} 个表格"])


register((".docx",), "docx", read_docx)
