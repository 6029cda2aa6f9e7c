"""Text copied from last year's report: how much of each section is the same as the year before.

Works on plain text, so a narrative source (``narrative.md`` with its placeholders) and the text of
an imported published report are compared the same way. Figures do not count as rewriting: before
comparing, every placeholder (``{{ … }}``, ``{% … %}``, ``{# … #}``) and every number (Arabic digits,
full-width digits, Chinese numerals, with their decimal points and per cent signs) becomes one
token, Markdown heading lines (the form's sub-topic headings) and markup are dropped, and width
variants are unified (NFKC). Whitespace does not count.

The measure (:func:`compare`): a character of this year's text counts as copied when it lies inside
a run of at least :data:`SHINGLE` normalised characters that also occurs, anywhere, in last year's
text (a k-shingle; the order of paragraphs does not matter). The share is copied characters over all
characters of this year's section; the longest copied passage is the longest run of copied characters,
shown as written this year. Deterministic, linear in the text's length, standard library only
(``benchmarks/bench_copied.py`` measures it against :mod:`difflib`).

Findings (:func:`findings`), both warnings:

- NARR-COPIED: a section of at least :data:`MIN_CHARS` characters whose share is at least
  :data:`THRESHOLD`; the message names the section, the share and the longest copied passage;
- NARR-COPIED-PROBLEMS: section 五 (problems and improvements) the same as last year's — share
  at least :data:`UNCHANGED`. It must say how last year's problems were fixed, so an unchanged copy
  cannot be right; it replaces NARR-COPIED for that section.

Which section is 五 is the form pack's: ``sections: {problems: <section key>}`` in its
``narrative.yaml``. The thresholds here are defaults; a pack may set its own under ``copied:`` in the
same file (``threshold``, ``min_chars``, ``unchanged``) — see :func:`settings_for`.

The preface (the report's basis and statistics period, the same every year by nature) is not compared.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Mapping

from .findings import Finding
from .numbers_cn import CHINESE_NUMERAL_CHARS

SHINGLE = 12  # characters after normalisation: about six Chinese words
MIN_CHARS = 20  # shorter sections (one standard sentence, a placeholder) are not judged
THRESHOLD = 0.5  # NARR-COPIED from this share on
UNCHANGED = 0.95  # section 五 "copied unchanged" from this share on (a figure or two may differ)
PASSAGE_SHOWN = 60  # characters of the longest passage quoted in a message

TOKEN = "0"  # stands for a figure or a placeholder; never occurs otherwise (every digit becomes it)
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_HEADING_LINE = re.compile(r"^[ \t]*#{1,6}[ \t].*$", re.M)
_NUMBER = re.compile(r"[0-9０-９" + CHINESE_NUMERAL_CHARS + r"]+(?:[.．,，][0-9０-９]+)*[%％]?")
_DROP = set(" \t\r\n\u3000*_`>|~\\")


@dataclass(frozen=True)
class Settings:
    """The copied-text thresholds of one form, and which of its sections is 五 (None: the pack names none)."""

    threshold: float = THRESHOLD
    min_chars: int = MIN_CHARS
    unchanged: float = UNCHANGED
    problems_section: str | None = None


def settings_for(form) -> Settings:
    """The settings of ``form``'s pack: ``narrative.yaml`` ``sections.problems`` and ``copied:`` overrides."""
    from . import forms

    spec = forms.pack(form.id).narrative_spec if form.id in forms.PACKS else {}
    return settings_from(spec, form)


def settings_from(spec: Mapping, form) -> Settings:
    """:class:`Settings` from a pack's narrative spec (``narrative.yaml`` as written) for ``form``."""
    over = dict(spec.get("copied") or {})
    unknown = sorted(set(over) - {"threshold", "min_chars", "unchanged"})
    if unknown:
        raise ValueError(f"{form.id}: narrative.yaml copied: unknown setting(s) {', '.join(unknown)}")
    key = (spec.get("sections") or {}).get("problems")
    if key is not None:
        form.section(key)  # a KeyError here is a defect in the pack
    return Settings(threshold=float(over.get("threshold", THRESHOLD)), min_chars=int(over.get("min_chars", MIN_CHARS)),
                    unchanged=float(over.get("unchanged", UNCHANGED)), problems_section=key)


@dataclass(frozen=True)
class Normalised:
    text: str  # normalised characters
    starts: tuple[int, ...]  # for each normalised character, where it starts in the source text
    ends: tuple[int, ...]  # … and where it ends (exclusive)


def normalise(text: str) -> Normalised:
    """The text as compared: placeholders and numbers as one token each, no headings, markup or spaces."""
    masked = _HEADING_LINE.sub(lambda m: " " * len(m.group(0)), text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    tokens = sorted([(m.start(), m.end()) for m in _PLACEHOLDER.finditer(masked)])
    ti = 0
    n = len(masked)
    while pos < n:
        if ti < len(tokens) and tokens[ti][0] == pos:
            chars.append(TOKEN)
            starts.append(pos)
            ends.append(tokens[ti][1])
            pos = tokens[ti][1]
            ti += 1
            continue
        m = _NUMBER.match(masked, pos)
        if m and (ti >= len(tokens) or m.end() <= tokens[ti][0]):
            chars.append(TOKEN)
            starts.append(pos)
            ends.append(m.end())
            pos = m.end()
            continue
        ch = masked[pos]
        if ch not in _DROP:
            for c in unicodedata.normalize("NFKC", ch):
                if c not in _DROP:
                    chars.append(c)
                    starts.append(pos)
                    ends.append(pos + 1)
        pos += 1
    return Normalised("".join(chars), tuple(starts), tuple(ends))


@dataclass(frozen=True)
class Copy:
    """How much of one text is the same as another's."""

    chars: int  # normalised characters of this year's text
    copied: int  # of which copied
    longest: str  # the longest copied passage, as written in this year's text ("" when none)
    longest_chars: int  # its length in normalised characters
    longest_at: int  # its offset in this year's text (-1 when none)

    @property
    def share(self) -> float:
        return self.copied / self.chars if self.chars else 0.0

    @property
    def percent(self) -> int:
        """The share in whole per cent, rounded down (99 % copied never shows as 100 %)."""
        return self.copied * 100 // self.chars if self.chars else 0


def _shingles(text: str, k: int) -> set[str]:
    return {text[i:i + k] for i in range(len(text) - k + 1)}


def compare(current: str, previous: str, *, k: int = SHINGLE) -> Copy:
    """The share of ``current`` (plain text or narrative source) copied from ``previous``."""
    cur = normalise(current)
    prev = normalise(previous).text
    n = len(cur.text)
    covered = bytearray(n)
    if n and prev:
        if n < k:  # too short for a shingle: copied only if it occurs whole
            if cur.text in prev:
                covered[:] = b"\x01" * n
        else:
            seen = _shingles(prev, k)
            t = cur.text
            for i in range(n - k + 1):
                if t[i:i + k] in seen:
                    covered[i:i + k] = b"\x01" * k
    copied = sum(covered)
    best_start = best_len = 0
    i = 0
    while i < n:
        if covered[i]:
            j = i
            while j < n and covered[j]:
                j += 1
            if j - i > best_len:
                best_start, best_len = i, j - i
            i = j
        else:
            i += 1
    if not best_len:
        return Copy(n, copied, "", 0, -1)
    a, b = cur.starts[best_start], cur.ends[best_start + best_len - 1]
    return Copy(n, copied, current[a:b].strip(), best_len, a)


def compare_sections(current: Mapping[str, str], previous: Mapping[str, str], *, k: int = SHINGLE) -> dict[str, Copy]:
    """Section key → :class:`Copy`, for every section present (non-empty) in both years, in ``current``'s order."""
    return {key: compare(text, previous[key], k=k) for key, text in current.items()
            if text and text.strip() and previous.get(key, "").strip()}


def _passage(text: str) -> str:
    flat = re.sub(r"\s+", " ", text)
    return flat if len(flat) <= PASSAGE_SHOWN else flat[:PASSAGE_SHOWN] + "……"


def findings(copies: Mapping[str, Copy], form, *, previous_year: int, file: str | None = None,
             lines: Mapping[str, int] | None = None, texts: Mapping[str, str] | None = None,
             unit: str | None = None, year: int | None = None, settings: Settings | None = None) -> list[Finding]:
    """NARR-COPIED / NARR-COPIED-PROBLEMS warnings for the sections of ``copies`` (see the module).

    ``lines``: section key → source line of the section's first text line, and ``texts``: section key
    → the compared text, so a finding points at the line of the longest copied passage. ``settings``:
    the form pack's (:func:`settings_for`) unless given.
    """
    st = settings if settings is not None else settings_for(form)
    out = []
    for key, c in copies.items():
        if c.chars < st.min_chars or c.share < st.threshold:
            continue
        heading = form.section(key).heading
        line = None
        if lines and key in lines:
            line = lines[key] + (texts[key][:c.longest_at].count("\n") if texts and key in texts else 0)
        unchanged = key == st.problems_section and c.share >= st.unchanged
        if unchanged:
            rule = "NARR-COPIED-PROBLEMS"
            message = (f"第{form.section(key).number}部分“{form.section(key).title}”与{previous_year}年报告的这一部分相同"
                       f"（{c.percent}%，不计数字和占位符）。这一部分应写本年度的问题和上年度问题的改进情况，"
                       f"照抄上年不能反映整改。请按本年度实际重写。")
        else:
            rule = "NARR-COPIED"
            message = (f"“{heading}”有 {c.percent}% 的文字与{previous_year}年报告相同（不计数字和占位符），"
                       f"最长的一段相同文字：“{_passage(c.longest)}”。请按本年度情况更新这一部分。")
        out.append(Finding(rule_id=rule, severity="warning", message=message, file=file, line=line,
                           unit=unit, year=year, expected=f"< {round(st.threshold * 100)}%" if not unchanged
                           else f"< {round(st.unchanged * 100)}%", actual=f"{c.percent}%"))
    return out


def narrative_findings(current, previous, form, *, previous_year: int, unit: str | None = None,
                       year: int | None = None) -> list[Finding]:
    """Findings for two parsed narratives (:class:`nianbao.narrative.Narrative`), by section key."""
    cur = {k: p.text for k, p in current.sections.items()}
    prev = {k: p.text for k, p in previous.sections.items()}
    copies = compare_sections(cur, prev)
    return findings(copies, form, previous_year=previous_year, file=current.display_path,
                    lines={k: p.line for k, p in current.sections.items()}, texts=cur, unit=unit, year=year)


def check(ctx) -> list[Finding]:
    """The copied-text findings of a validation context: this year's narrative source against last year's
    ``narrative.md`` of the same unit (nothing when either is missing or last year's cannot be read)."""
    from . import forms
    from .errors import InputError
    from .narrative import load_narrative

    if ctx.narrative is None or ctx.narrative.path is None or ctx.project is None:
        return []
    path = ctx.project.narrative_file(ctx.unit.id, ctx.year - 1)
    if not path.is_file():
        return []
    try:
        try:
            prior_form = forms.for_year(ctx.year - 1)
        except InputError:
            prior_form = ctx.form
        previous = load_narrative(path, prior_form, display=ctx.project.rel(path))
    except InputError:
        return []  # last year's narrative is judged by last year's validation
    return narrative_findings(ctx.narrative, previous, ctx.form, previous_year=ctx.year - 1,
                              unit=ctx.unit.id, year=ctx.year)
