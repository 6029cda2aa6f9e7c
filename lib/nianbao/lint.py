"""Narrative lint: the classic mistakes evaluators find in section 一, 五 and 六.

Runs on the rendered narrative (placeholders replaced) against the figures; returns Findings:

- NARR-FIGURE (error): a number written in the prose differs from the table cell it describes, or
  the prose says something did not happen (e.g. that no appeal happened) while its cell is not 0;
- NARR-YEAR (warning): a year other than the report year or the year before (the year after is
  accepted in section 五, where plans are written); NARR-YEAR-STALE (warning): last year's
  工作要点/计划 named in this year's report, usually copied text;
- NARR-PROBLEMS (error): section 五 empty, "无", or lacking the problems or the improvements;
- NARR-FEE (error): section 六 does not say whether 信息处理费 was charged, or says the opposite of
  facts.processing_fee, or a different amount;
- NARR-ALL-DONE (error): "全部办结" while applications were carried forward;
- NARR-TODO (error): 【待填写…】 markers still in the text;
- NARR-TOPICS (warning): section 一 does not touch one of the form's overview topics.
"""
from __future__ import annotations

import copy
import re
from decimal import Decimal
from functools import lru_cache

from .findings import Finding
from .numbers_cn import CHINESE_NUMERAL_CHARS, parse_number
from .standard_text import TODO

SENTENCE_BREAK = re.compile(r"[。；\n]")
YEAR = re.compile(r"(?<![\d〔\[（(])((?:19|20)\d{2})\s*年")


# The number a statement captures may be written in Arabic digits or Chinese numerals (五十七件).
NUMBER = r"(\d+|[" + CHINESE_NUMERAL_CHARS + r"]+)"


@lru_cache(maxsize=None)
def spec(form_id: str) -> dict:
    """The form's narrative checks (``narrative.yaml`` of its pack); ``(\\d+)`` in a statement pattern
    also matches Chinese numerals."""
    from . import forms

    data = copy.deepcopy(forms.pack(form_id).narrative_spec)
    for stmt in data.get("figure_statements", ()):
        stmt["pattern"] = stmt["pattern"].replace(r"(\d+)", NUMBER)
    return data


def _line(part, offset: int) -> int:
    return part.line + part.text[:offset].count("\n")


def _cells(figure) -> list[tuple[str, str, str]]:
    return [tuple(c) for c in figure] if isinstance(figure[0], list) else [tuple(figure)]


def _finding(rule, severity, message, part, offset, figures, **kw) -> Finding:
    return Finding(rule_id=rule, severity=severity, message=message, file=part.display,
                   line=_line(part, offset), unit=figures.unit, year=figures.year, **kw)


def _statements(part, figures, statements, written_of):
    """NARR-FIGURE findings for sentences whose number (``written_of(match)``; 0 for statements that
    something did not happen) differs from the cell, or sum of cells, the statement describes."""
    out = []
    form = figures.form
    for stmt in statements:
        for m in re.finditer(stmt["pattern"], part.text):
            cells = _cells(stmt["figure"])
            values = [figures.values[t].get((r, c)) for t, r, c in cells]
            if any(v is None for v in values):
                continue  # a missing cell is reported by validation, not here
            expected, written = sum(values), written_of(m)
            if written == expected:
                continue
            table = form.table(cells[0][0])
            row = table.row(cells[0][1])
            col = row.column(cells[0][2])
            where = "、".join(f"{form.table(t).name}「{form.table(t).row(r).label}」" for t, r, _ in cells)
            out.append(_finding(
                "NARR-FIGURE", "error",
                f"叙述写“{m.group(0)}”，但{stmt['description']}在{where}（{col.label}）中为 {expected}。"
                f"请改用占位符引用表格数字，或更正其中之一。",
                part, m.start(), figures, table=table.key, table_name=table.name, row=row.key,
                row_label=row.label if len(cells) == 1 else where, column=col.key, column_label=col.label,
                expected=expected, actual=written, difference=written - expected))
    return out


def _check_figures(part, figures, s) -> list[Finding]:
    return _statements(part, figures, s["figure_statements"],
                       lambda m: parse_number(next(g for g in m.groups() if g is not None)))


def _check_zero_statements(part, figures, s) -> list[Finding]:
    return _statements(part, figures, s.get("zero_statements", ()), lambda m: 0)


def _check_years(key, part, figures, s) -> list[Finding]:
    out = []
    y = figures.year
    allowed = {y, y - 1} | ({y + 1} if key == "problems" else set())
    for m in YEAR.finditer(part.text):
        year = int(m.group(1))
        if year not in allowed:
            out.append(_finding("NARR-YEAR", "warning",
                                f"叙述提到 {year} 年，而本报告是 {y} 年度的。请确认不是沿用往年的文字。",
                                part, m.start(), figures, expected=str(y), actual=str(year)))
        elif year == y - 1:
            after = part.text[m.end(): m.end() + 14]
            after = SENTENCE_BREAK.split(after)[0]
            for word in s["stale_year_words"]:
                if word in after:
                    out.append(_finding("NARR-YEAR-STALE", "warning",
                                        f"{y} 年度报告中写的是“{m.group(0)}…{word}”：上年的{word}，常是沿用上年报告的文字。"
                                        f"请确认应为 {y} 年。", part, m.start(), figures,
                                        expected=str(y), actual=str(year)))
                    break
    return out


def _check_problems(part, figures, s) -> list[Finding]:
    text = re.sub(r"\s", "", part.text if part else "")
    if not text or text in ("无", "无。", "暂无", "暂无。"):
        title = figures.form.section("problems").title
        return [Finding(rule_id="NARR-PROBLEMS", severity="error",
                        message=f"第五部分“{title}”为空或只写“无”。必须写明存在的主要问题和改进情况。",
                        file=part.display if part else None, line=part.line if part else None,
                        unit=figures.unit, year=figures.year)]
    out = []
    if not any(w in text for w in s["problems_words"]):
        out.append(_finding("NARR-PROBLEMS", "error", "第五部分没有写存在的主要问题。", part, 0, figures))
    if not any(w in text for w in s["improvement_words"]):
        out.append(_finding("NARR-PROBLEMS", "error", "第五部分没有写改进情况（含上年问题的整改）。", part, 0, figures))
    return out


def _check_fee(part, figures, s) -> list[Finding]:
    fact = figures.facts.get("processing_fee")
    fee = fact.value if fact else None
    text = part.text if part else ""
    none = re.search(s["fee_none_pattern"], text)
    amount = re.search(s["fee_amount_pattern"], text)
    mk = lambda msg, m=None, **kw: (_finding("NARR-FEE", "error", msg, part, m.start() if m else 0, figures, **kw)
                                    if part else Finding(rule_id="NARR-FEE", severity="error", message=msg,
                                                         unit=figures.unit, year=figures.year, **kw))
    if not none and not amount:
        return [mk("第六部分没有说明是否收取政府信息公开信息处理费（收取的请写明金额）。")]
    if fee is None:
        return []
    if none and fee > 0:
        return [mk(f"第六部分写未收取信息处理费，但数据中 facts.processing_fee 为 {fee}{fact.unit or '元'}。", none,
                   expected=fee, actual=0)]
    if amount:
        written = Decimal(amount.group(1)) * (10000 if amount.group(2) == "万元" else 1)
        recorded = Decimal(fee) * (10000 if fact.unit == "万元" else 1)
        if written != recorded:
            return [mk(f"第六部分写收取信息处理费 {amount.group(1)}{amount.group(2)}，但数据中为 {fee}{fact.unit or '元'}。",
                       amount, expected=recorded, actual=written, difference=written - recorded)]
    return []


def _check_all_done(part, figures, s) -> list[Finding]:
    """``all_done_figure`` (the cell of applications carried forward) must be 0 when the text says all were done."""
    table_key, row_key, col_key = s["all_done_figure"]
    fwd = figures.values[table_key].get((row_key, col_key))
    if not fwd:
        return []
    m = re.search(s["all_done_pattern"], part.text)
    if not m:
        return []
    table = figures.form.table(table_key)
    row = table.row(row_key)
    return [_finding("NARR-ALL-DONE", "error",
                     f"叙述写“{m.group(0)}”，但{table.name}「{row.label}」为 {fwd} 件，并非全部办结。",
                     part, m.start(), figures, table=table.key, table_name=table.name, row=row.key,
                     row_label=row.label, column=col_key, column_label=row.column(col_key).label,
                     expected=0, actual=fwd)]


def lint(rendered, figures) -> list[Finding]:
    """Every narrative finding for one unit-year. ``rendered``: a RenderedNarrative."""
    s = spec(figures.form.id)
    out: list[Finding] = []
    for key, part in rendered.parts():
        out += _check_figures(part, figures, s)
        out += _check_zero_statements(part, figures, s)
        out += _check_years(key, part, figures, s)
        out += _check_all_done(part, figures, s)
        for m in re.finditer(re.escape(TODO) + r"[^】]*】?", part.text):
            out.append(_finding("NARR-TODO", "error", f"叙述中还有待填写的内容：“{m.group(0)[:40]}”。", part, m.start(), figures))
    out += _check_problems(rendered.sections.get("problems"), figures, s)
    out += _check_fee(rendered.sections.get("other"), figures, s)
    overview = rendered.sections.get("overview")
    overview_title = figures.form.section("overview").title
    for topic in figures.form.overview_topics:
        if overview is None or topic["title"] not in overview.text:
            out.append(Finding(rule_id="NARR-TOPICS", severity="warning",
                               message=f"第一部分“{overview_title}”没有写到“{topic['title']}”（{s['topics_note']}）。",
                               file=overview.display if overview else None, line=overview.line if overview else None,
                               unit=figures.unit, year=figures.year))
    return out


def narrative_check(ctx) -> list[Finding]:
    """The lint as a validation check (registered under ``narrative``): renders the narrative, then lints it.

    A narrative that cannot be rendered (unknown placeholder, sandbox violation) is itself an error
    finding here, so ``nianbao validate`` reports it beside the table rules instead of stopping.
    """
    from .errors import InputError
    from .narrative import render_narrative

    if ctx.narrative is None:
        return []
    if ctx.rendered is not None:  # the report rendered it already
        return lint(ctx.rendered, ctx.figures)
    try:
        rendered = render_narrative(ctx.narrative, ctx.figures, ctx.unit.name, ctx.prior)
    except InputError as exc:
        return [Finding(rule_id="NARR-PLACEHOLDER", severity="error", message=str(exc),
                        file=ctx.narrative.display_path, unit=ctx.unit.id, year=ctx.year)]
    return lint(rendered, ctx.figures)
