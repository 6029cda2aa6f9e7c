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
- NARR-TOPICS (warning): section 一 does not touch one of the form's overview topics;
- NARR-COPIED, NARR-COPIED-PROBLEMS (warnings): a section largely the same as last year's
  (:mod:`nianbao.copied`, run by :func:`narrative_check` on the source text).
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
    """The form's narrative checks (``narrative.yaml`` of its pack) with the pack's ``real_wording`` (the
    wording of real published reports) merged in; ``(\\d+)`` in a statement pattern also matches Chinese
    numerals, any measure word of ``real_wording`` and the approximate forms (20余件)."""
    from . import forms

    data = copy.deepcopy(forms.pack(form_id).narrative_spec)
    extra = data.pop("real_wording", None) or {}
    data["sections"] = dict(data.get("sections") or {})  # check → section key (overview, problems, fee)
    by_id = {st["id"]: st for st in data.get("figure_statements", ())}
    for sid, how in extra.get("statement_verbs", {}).items():
        st = by_id.get(sid)
        verb = next((v for v in how["verbs"] if st and st["pattern"].startswith(v)), None)
        if verb is None:
            continue  # the pack words this statement differently: leave it as the pack has it
        rest = st["pattern"][len(verb):]
        verbs = "(?:" + "|".join(how["verbs"]) + ")"
        pattern = verbs + how.get("after_verb", "") + rest
        if how.get("number_first"):
            noun = rest[: rest.index("[")]  # the pack's noun, up to its first character class
            pattern += "|" + verbs + r"了?(\d+)\s*件" + noun
        st["pattern"] = pattern
    statements = list(by_id.values())
    for st in extra.get("figure_statements", ()):
        st = dict(st)
        like = by_id.get(st.pop("like", None))
        if like is None:
            continue
        st.setdefault("description", like["description"])
        st.setdefault("figure", like["figure"])
        statements.append(st)
    data["figure_statements"] = statements
    measure = extra.get("measure_words", "件")
    before = "|".join(extra.get("approx_before", ())) or "(?!)"
    after = "|".join(extra.get("approx_after", ())) or "(?!)"
    zeros = list(data.get("zero_statements", ()))
    for st in extra.get("zero_statements", ()):
        st = dict(st)
        source = st.pop("figure_from", None)
        if source and source in data:
            st["figure"] = data[source]
        if "figure" in st:
            zeros.append(st)
    data["zero_statements"] = zeros
    for stmt in statements + zeros:
        p = stmt["pattern"]
        if stmt in statements:
            p = p.replace(r"(\d+)\s*件", rf"(?:{before})?(\d+)(?:{after})?\s*[{measure}]")
        stmt["pattern"] = p.replace(r"(\d+)", NUMBER)
    if "all_done_pattern" in extra:
        data["all_done_pattern"] = extra["all_done_pattern"]
    data["all_done_context"] = extra.get("all_done_context")
    data["all_done_unless"] = extra.get("all_done_unless")
    if extra.get("fee_none_patterns"):
        data["fee_none_pattern"] = "|".join([data["fee_none_pattern"]] + extra["fee_none_patterns"])
    data["stale_year_window"] = extra.get("stale_year_window", 14)
    data["stale_opening_sections"] = extra.get("stale_opening_sections", [])
    data["topic_words"] = extra.get("topic_words", {})
    data["approx_before"] = tuple(extra.get("approx_before", ()))
    data["approx_after"] = tuple(extra.get("approx_after", ()))
    return data


def _approx(m, s) -> str | None:
    """How the number of a statement is qualified: "more" (20余件), "less" (近20件), "about" (约20件)."""
    g = next(i for i, v in enumerate(m.groups(), 1) if v is not None)
    before = m.string[max(0, m.start(g) - 2): m.start(g)]
    after = m.string[m.end(g): m.end(g) + 1]
    if after and after in s.get("approx_after", ()):
        return "more"
    for w in s.get("approx_before", ()):
        if before.endswith(w):
            return "about" if w in ("约", "大约") else "less"
    return None


def _line(part, offset: int) -> int:
    return part.line + part.text[:offset].count("\n")


def _cells(figure) -> list[tuple[str, str, str]]:
    return [tuple(c) for c in figure] if isinstance(figure[0], list) else [tuple(figure)]


def _finding(rule, severity, message, part, offset, figures, **kw) -> Finding:
    return Finding(rule_id=rule, severity=severity, message=message, file=part.display,
                   line=_line(part, offset), unit=figures.unit, year=figures.year, **kw)


def _statements(part, figures, statements, written_of, s=None):
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
            approx = _approx(m, s) if s is not None else None
            if approx == "about" or (approx == "more" and expected > written) or (approx == "less" and expected < written):
                continue  # 约20件 says nothing exact; 20余件 is more than 20, 近20件 a little less
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
                       lambda m: parse_number(next(g for g in m.groups() if g is not None)), s)


def _check_zero_statements(part, figures, s) -> list[Finding]:
    return _statements(part, figures, s.get("zero_statements", ()), lambda m: 0)


def _check_years(key, part, figures, s) -> list[Finding]:
    out = []
    y = figures.year
    allowed = {y, y - 1} | ({y + 1} if key == s["sections"].get("problems") else set())
    for m in YEAR.finditer(part.text):
        year = int(m.group(1))
        if year not in allowed:
            out.append(_finding("NARR-YEAR", "warning",
                                f"叙述提到 {year} 年，而本报告是 {y} 年度的。请确认不是沿用往年的文字。",
                                part, m.start(), figures, expected=str(y), actual=str(year)))
        elif year == y - 1:
            after = part.text[m.end(): m.end() + s.get("stale_year_window", 14)]
            after = SENTENCE_BREAK.split(after)[0]
            for word in s["stale_year_words"]:
                if word in after:
                    out.append(_finding("NARR-YEAR-STALE", "warning",
                                        f"{y} 年度报告中写的是“{m.group(0)}…{word}”：上年的{word}，常是沿用上年报告的文字。"
                                        f"请确认应为 {y} 年。", part, m.start(), figures,
                                        expected=str(y), actual=str(year)))
                    break
    if key in s.get("stale_opening_sections", ()):
        opening = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[）)][^。；\n]{0,12}?[。：:]?|[一二三四五六七八九十]+、[^。；\n]{0,12}?[。：:])?\s*"
                             + str(y - 1) + r"\s*年(?!度?(?:以来|至|到|—|-))", re.M)
        for m in opening.finditer(part.text):
            out.append(_finding("NARR-YEAR-STALE", "warning",
                                f"{y} 年度报告“{figures.form.section(key).title}”中有一段以“{m.group(0).strip()}”开头：写的是上一年的工作，常是沿用上年报告的文字。"
                                f"请确认应为 {y} 年。", part, m.start(), figures, expected=str(y), actual=str(y - 1)))
    return out


def _check_problems(part, figures, s) -> list[Finding]:
    text = re.sub(r"\s", "", part.text if part else "")
    section = figures.form.section(s["sections"]["problems"])
    if not text or text in ("无", "无。", "暂无", "暂无。"):
        return [Finding(rule_id="NARR-PROBLEMS", severity="error",
                        message=f"第{section.number}部分“{section.title}”为空或只写“无”。必须写明存在的主要问题和改进情况。",
                        file=part.display if part else None, line=part.line if part else None,
                        unit=figures.unit, year=figures.year)]
    out = []
    if not any(w in text for w in s["problems_words"]):
        out.append(_finding("NARR-PROBLEMS", "error", f"第{section.number}部分没有写存在的主要问题。", part, 0, figures))
    if not any(w in text for w in s["improvement_words"]):
        out.append(_finding("NARR-PROBLEMS", "error", f"第{section.number}部分没有写改进情况（含上年问题的整改）。", part, 0, figures))
    return out


def _check_fee(part, figures, s) -> list[Finding]:
    fact = figures.facts.get("processing_fee")
    fee = fact.value if fact else None
    text = part.text if part else ""
    n = figures.form.section(s["sections"]["fee"]).number
    none = re.search(s["fee_none_pattern"], text)
    amount = re.search(s["fee_amount_pattern"], text)
    mk = lambda msg, m=None, **kw: (_finding("NARR-FEE", "error", msg, part, m.start() if m else 0, figures, **kw)
                                    if part else Finding(rule_id="NARR-FEE", severity="error", message=msg,
                                                         unit=figures.unit, year=figures.year, **kw))
    if not none and not amount:
        return [mk(f"第{n}部分没有说明是否收取政府信息公开信息处理费（收取的请写明金额）。")]
    if fee is None:
        return []
    if none and fee > 0:
        return [mk(f"第{n}部分写未收取信息处理费，但数据中 facts.processing_fee 为 {fee}{fact.unit or '元'}。", none,
                   expected=fee, actual=0)]
    if amount:
        written = Decimal(amount.group(1)) * (10000 if amount.group(2) == "万元" else 1)
        recorded = Decimal(fee) * (10000 if fact.unit == "万元" else 1)
        if written != recorded:
            return [mk(f"第{n}部分写收取信息处理费 {amount.group(1)}{amount.group(2)}，但数据中为 {fee}{fact.unit or '元'}。",
                       amount, expected=recorded, actual=written, difference=written - recorded)]
    return []


def _check_all_done(part, figures, s) -> list[Finding]:
    """``all_done_figure`` (the cell of applications carried forward) must be 0 when the text says all were done."""
    table_key, row_key, col_key = s["all_done_figure"]
    fwd = figures.values[table_key].get((row_key, col_key))
    if not fwd:
        return []
    m = None
    for found in re.finditer(s["all_done_pattern"], part.text):
        sentence = SENTENCE_BREAK.split(part.text[:found.start()])[-1]
        whole = sentence + SENTENCE_BREAK.split(part.text[found.start():])[0]
        if s.get("all_done_unless") and re.search(s["all_done_unless"], whole):
            continue
        if s.get("all_done_context") is None or s["all_done_context"] in sentence:
            m = found
            break
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
    sections = s["sections"]  # a check whose section the pack does not name is not run
    if "problems" in sections:
        out += _check_problems(rendered.sections.get(sections["problems"]), figures, s)
    if "fee" in sections:
        out += _check_fee(rendered.sections.get(sections["fee"]), figures, s)
    overview = rendered.sections.get(sections["overview"]) if "overview" in sections else None
    overview_section = figures.form.section(sections["overview"]) if "overview" in sections else None
    for topic in figures.form.overview_topics if "overview" in sections else ():
        words = [topic["title"]] + list(s.get("topic_words", {}).get(topic["title"], ()))
        if overview is None or not any(w in overview.text for w in words):
            out.append(Finding(rule_id="NARR-TOPICS", severity="warning",
                               message=f"第{overview_section.number}部分“{overview_section.title}”没有写到“{topic['title']}”（{s['topics_note']}）。",
                               file=overview.display if overview else None, line=overview.line if overview else None,
                               unit=figures.unit, year=figures.year))
    return out


def narrative_check(ctx) -> list[Finding]:
    """The lint as a validation check (registered under ``narrative``): renders the narrative, then lints it.

    A narrative that cannot be rendered (unknown placeholder, sandbox violation) is itself an error
    finding here, so ``nianbao validate`` reports it beside the table rules instead of stopping.
    """
    from .copied import check as copied_check
    from .errors import InputError
    from .narrative import render_narrative

    if ctx.narrative is None:
        return []
    copied = copied_check(ctx)  # NARR-COPIED*: on the source text, so even an unrenderable narrative gets it
    if ctx.rendered is not None:  # the report rendered it already
        return lint(ctx.rendered, ctx.figures) + copied
    try:
        rendered = render_narrative(ctx.narrative, ctx.figures, ctx.unit.name, ctx.prior)
    except InputError as exc:
        return [Finding(rule_id="NARR-PLACEHOLDER", severity="error", message=str(exc),
                        file=ctx.narrative.display_path, unit=ctx.unit.id, year=ctx.year)] + copied
    return lint(rendered, ctx.figures) + copied
