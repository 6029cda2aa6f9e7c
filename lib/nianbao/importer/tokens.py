"""Cells of a published report's text: the located pieces a table is read from.

A line is split at its cell separators — ``|`` (markdown and CMS tables), tabs, runs of spaces (PDF
"layout" text) — into cells. A cell keeps its text and where it was (line, page, position in the
line). An empty cell is kept only where a separator shows there was one (``| |``, a line holding a
lone tab); a blank line is not a cell.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..cells import MISSING_MARKERS
from .readers import Document

_VALUE = re.compile(r"^[+\-－−]?[0-9０-９][0-9０-９.,，．]*(?:元|万元)?$")  # 251000元: a cell, refused as printed
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# label text with digits glued to its end (a row label followed by 6233440), but not an item
# number opening a label (1.…, 3.…)
_GLUED = re.compile(r"^(.*[^\d.．、,，\s])([0-9]+)$")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009]+")


@dataclass(frozen=True)
class Cell:
    text: str
    line: int  # index into the document's lines (1-based)
    where: str  # the reader's location of that line
    pos: int  # 1-based position of the cell in its line
    glued: bool = False  # digits that were written against the label before them

    @property
    def is_value(self) -> bool:
        return is_value(self.text)

    def location(self) -> str:
        return f"{self.where}第{self.pos}格"


def is_value(text: str) -> bool:
    t = text.strip()
    return t == "" or t in MISSING_MARKERS or bool(_VALUE.match(t))


def norm(text: str) -> str:
    """Text compared for labels: NFKC (full-width → half-width), no spaces, quotes or colons, and
    the item numbers 1、/1． written as 1."""
    t = unicodedata.normalize("NFKC", text)
    t = re.sub(r"[\s\u00a0\u3000“”\"'‘’:：]", "", t)
    t = re.sub(r"(?<![0-9])([0-9]{1,2})[、.]", r"\1.", t)
    return t


def _split_words(line: str) -> list[str]:
    """Whitespace-separated words, with neighbouring words of label text joined back (自 然 人)."""
    words = [w for w in _SPACES.split(line.strip()) if w]
    out: list[str] = []
    for w in words:
        if out and not is_value(w) and not is_value(out[-1]):
            out[-1] += w
        else:
            out.append(w)
    return out


def _lone_bar_is_cell(lines, k: int) -> bool:
    """A line that is only "|" in pages that print one cell per line ("规章 |", "0 |"): it opens the
    next row when a label follows, and is an empty cell when a number (or the end of a row) follows."""
    for ln in lines[k + 1:]:
        t = ln.text.strip()
        if not t:
            continue
        if t == "|":
            return True  # an empty cell, then the next row's opening bar
        return is_value(t.rstrip("|").strip())
    return False


def cells(doc: Document) -> list[Cell]:
    out: list[Cell] = []
    for k, ln in enumerate(doc.lines):
        raw = ln.text
        if not raw.strip() and "\t" not in raw:
            continue
        if raw.strip() == "|":
            if _lone_bar_is_cell(doc.lines, k):
                out.append(Cell("", ln.number, ln.where, 1))
            continue
        if _MD_RULE.match(raw) and "-" in raw:
            continue
        if "|" in raw:
            parts = [p.strip() for p in raw.split("|")]
            if raw.lstrip().startswith("|"):
                parts = parts[1:]
            if parts and parts[-1] == "" and raw.rstrip().endswith("|"):
                parts = parts[:-1]
            pieces = [_SPACES.sub(" ", p) for p in parts]
        elif "\t" in raw:
            parts = raw.split("\t")
            if parts[0].strip() == "":
                parts = parts[1:]
            pieces = [p.strip() for p in parts]
            if all(p == "" for p in pieces):
                pieces = [""]
        else:
            pieces = _split_words(raw) or []
        pos = 0
        for w in pieces:
            m = _GLUED.match(w) if not is_value(w) else None
            if m and len(m.group(2)) >= 2 and not re.search(r"(年|月|日|号|第|〔|\[)$", m.group(1)):
                out.append(Cell(m.group(1), ln.number, ln.where, pos + 1))
                out.append(Cell(m.group(2), ln.number, ln.where, pos + 2, glued=True))
                pos += 2
                continue
            pos += 1
            out.append(Cell(w, ln.number, ln.where, pos))
    return out
