"""The year-over-year block of a report: key figures against last year with the change, and charts.

Optional, chosen by the unit: ``year_over_year: true`` in its ``params/units.yaml`` entry. The block
compares the report's figures with the same unit's previous year (:mod:`nianbao.prior`, the same
loader the cross-year rules use), only when both years use the same form, so every cell compared
is the same cell; otherwise it says why there is no comparison. The key figures and the charts
(applications by outcome, proactive disclosure counts, 复议/诉讼 outcomes) are those declared for the
form (:mod:`nianbao.keyfigures`). Charts are inline SVG (:mod:`nianbao.svgchart`) in the report's
serif, with fixed ids: the same figures give the same bytes, in the HTML and in the printed PDF.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from .keyfigures import value_text, views
from .numbers_cn import percent, plain
from .svgchart import SERIF, Series, bar_chart

CHART_FONT_PX = 14  # printed at 10.5 pt (五号), the size of the report's tables


def change_text(kind: str, current, previous) -> str:
    """增加5（增长9.6%） / 减少3（下降5.0%） / 持平 for counts; 上升2.1个百分点 for rates; — if either is missing."""
    if current is None or previous is None:
        return "—"
    if kind == "rate":
        # from the per cents as shown (one decimal), so the column agrees with the two figures beside it
        shown = [(Decimal(v) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) for v in (current, previous)]
        points = shown[0] - shown[1]
        if points == 0:
            return "持平"
        return f"{'上升' if points > 0 else '下降'}{format(abs(points), 'f')}个百分点"
    diff = current - previous
    if diff == 0:
        return "持平"
    word, rate = ("增加", "增长") if diff > 0 else ("减少", "下降")
    text = f"{word}{plain(abs(diff))}"
    return text + (f"（{rate}{percent(abs(diff), previous)}）" if previous else "")


def block_html(form, year: int, current: dict, previous: dict) -> str:
    """The block for two years' values (table key → {(row, column): value}) of the same form."""
    spec = views(form)
    rows = []
    for f in spec.key_figures:
        cur, prev = f.value(current), f.value(previous)
        rows.append(f'<tr><th class="row-label" title="{escape(f.description)}">{escape(f.label)}</th>'
                    f'<td class="num">{escape(value_text(f.kind, prev))}</td><td class="num">{escape(value_text(f.kind, cur))}</td>'
                    f'<td class="num">{escape(change_text(f.kind, cur, prev))}</td></tr>')
    table = ('<div class="nb-table-wrap"><table class="nb-table nb-yoy-table">'
             f'<thead><tr><th>项目</th><th>{year - 1}年</th><th>{year}年</th><th>较上年变化</th></tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    charts = []
    for ch in spec.charts:
        series = [Series(f"{year - 1}年", tuple(b.value(previous) for b in ch.bars)),
                  Series(f"{year}年", tuple(b.value(current) for b in ch.bars))]
        svg = bar_chart(f"yoy-{ch.id}", ch.title, ch.labels, series, font=SERIF, font_size=CHART_FONT_PX)
        charts.append(f'<figure class="nb-chart-figure">{svg}{_chart_data(ch, series)}</figure>')
    return table + "".join(charts)


def _chart_data(chart, series) -> str:
    """The chart's figures as a table: the chart's text equivalent in the Word file (which shows the chart
    as a picture, then this table); hidden in the HTML page and the PDF (report.css), where the chart shows them."""
    head = "".join(f"<th>{escape(s.name)}</th>" for s in series)
    rows = "".join(f'<tr><th class="row-label">{escape(label)}</th>'
                   + "".join(f'<td class="num">{escape(value_text("count", s.values[i]))}</td>' for s in series) + "</tr>"
                   for i, label in enumerate(chart.labels))
    return (f'<div class="nb-chart-data"><p class="nb-chart-caption">{escape(chart.title)}</p>'
            f'<table class="nb-table"><thead><tr><th>项目</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>')


def title(year: int) -> str:
    return f"附：{year}年与{year - 1}年主要数字对比"


def yoy_block(report):
    """Notebook block: empty unless the unit chose ``year_over_year: true``."""
    from .present.blocks import HTMLBlock

    if not getattr(report.unit, "year_over_year", False):
        return HTMLBlock("", "")
    head = f'<section class="nb-section nb-yoy" id="section-yoy"><h2>{escape(title(report.year))}</h2>'
    prior = report.prior_year
    if prior.figures is None:
        why = prior.note or ("上年数据无法读取" if prior.error else f"没有{report.year - 1}年的数据")
        return HTMLBlock(head + f'<p class="nb-missing">{escape(why)}，本报告不作与上年的对比。</p></section>',
                         f"{title(report.year)}：{why}")
    html = head + block_html(report.form, report.year, report.figures.values, prior.figures.values) + "</section>"
    return HTMLBlock(html, title(report.year))
