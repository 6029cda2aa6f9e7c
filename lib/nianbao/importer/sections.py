"""The report's own text, split into the form's sections (一、… to 六、…, as the form declares them).

A heading is a short line opening with the section's number (一、, 二、 …) that shares most of the
section title's characters; the form's row labels that open with the same numbers (表三's 一、… and
四、… rows) are never taken for headings. The text is kept as printed: figures in it stay literal.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..form import Form
from .readers import Document
from .tokens import norm


@dataclass(frozen=True)
class SectionText:
    key: str
    heading: str  # as printed
    text: str
    line: int  # document line of the first text line
    where: str


def _is_heading(line: str, number: str, title: str, row_labels: set[str]) -> bool:
    n = norm(line)
    if not n.startswith(number + "、") or len(n) > 50 or n in row_labels or n.endswith("。"):
        return False
    body = set(n[len(number) + 1:])
    want = set(norm(title))
    return len(want & body) >= 0.6 * len(want)


def split_sections(doc: Document, form: Form, skip_lines: set[int] = frozenset()) -> tuple[SectionText | None, dict[str, SectionText]]:
    """(preface, {section key: text}); lines in ``skip_lines`` (the tables' cells) are left out."""
    row_labels = {norm(r.label) for t in form.tables for r in t.rows}
    heads: list[tuple[int, object]] = []
    k = 0
    secs = list(form.sections)
    for idx, ln in enumerate(doc.lines):
        for j in range(k, len(secs)):
            if _is_heading(ln.text, secs[j].number, secs[j].title, row_labels):
                heads.append((idx, secs[j]))
                k = j + 1
                break

    def body(a: int, b: int) -> tuple[str, int, str]:
        chunk = [ln for ln in doc.lines[a:b] if ln.number not in skip_lines and "|" not in ln.text]
        paras = [ln.text.strip() for ln in chunk if ln.text.strip()]
        first = next((ln for ln in chunk if ln.text.strip()), None)
        return "\n\n".join(paras), first.number if first else (a + 1), first.where if first else ""

    preface = None
    end0 = heads[0][0] if heads else len(doc.lines)
    text, line, where = body(0, end0)
    if text:
        preface = SectionText("", "", text, line, where)
    out: dict[str, SectionText] = {}
    for n, (idx, sec) in enumerate(heads):
        stop = heads[n + 1][0] if n + 1 < len(heads) else len(doc.lines)
        text, line, where = body(idx + 1, stop)
        if sec.table:
            # keep the section's own sentences, not the table printed in it
            text = "\n\n".join(p for p in text.split("\n\n") if not _looks_tabular(p))
        out[sec.key] = SectionText(sec.key, doc.lines[idx].text.strip(), text, line, where)
    return preface, out


def _looks_tabular(paragraph: str) -> bool:
    from .tokens import is_value

    p = paragraph.strip()
    return len(p) < 40 and ("。" not in p) or is_value(p)
