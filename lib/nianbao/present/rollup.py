"""For a roll-up unit: which children its tables were compiled from (a notebook block)."""
from __future__ import annotations

from html import escape

from ..rollup import RollupFigures
from .blocks import HTMLBlock


def sources_block(report) -> HTMLBlock:
    """Notebook block: for a roll-up unit, the children its tables were compiled from (else empty).

    Which cells were summed and which the unit declared itself comes from the form pack
    (``rollup: own`` columns): tables with own columns are named with their summed and own columns,
    fully summed tables by name."""
    figures = report.figures
    if not isinstance(figures, RollupFigures):
        return HTMLBlock("", "")
    registry = report.registry if report.registry is not None else report.project.units()
    names = {u.id: u.name for u in registry}
    form = report.form
    partial = [t for t in form.tables if any(not c.summed for _, c in t.cells())]
    whole = "、".join(t.name for t in form.tables if t not in partial)
    summed = "；".join(f"{t.name}的" + "、".join(dict.fromkeys(c.label for _, c in t.cells() if c.summed))
                      for t in partial)
    own = "；".join(f"{t.name}的" + "、".join(dict.fromkeys(c.label for _, c in t.cells() if not c.summed))
                   for t in partial)
    items = "".join(f"<li>{escape(names.get(c, c))}<span class=\"nb-unit-id\">（{escape(c)}）</span></li>"
                    for c in figures.children)
    html = (
        '<section class="nb-rollup-sources">'
        f"<p>本报告{escape(summed)}，以及{escape(whole)}，由以下 "
        f"{len(figures.children)} 个单位{report.year}年的数据汇总而成；{escape(own)}"
        f"由本单位填报。</p>"
        f"<ol>{items}</ol></section>"
    )
    text = (f"汇总自 {len(figures.children)} 个单位：" + "、".join(names.get(c, c) for c in figures.children))
    return HTMLBlock(html, text, {"application/vnd.nianbao.rollup+json": {"children": list(figures.children)}})
