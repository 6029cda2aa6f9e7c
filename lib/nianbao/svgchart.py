"""Bar charts as inline SVG: offline, byte-deterministic, Chinese labels in the page's own fonts.

One chart shape serves the year-over-year block, the comparison pages and the dashboard: horizontal
bars, one category per line (its label on the left, so long printed labels stay readable), one bar
per series (years, or units) in each category, the value written at the bar's end. Text is real
``<text>`` in the font the page uses (``font-family``), so it prints as text in the PDF. Ids come
from the caller's ``chart_id`` only; there is no date, random id or metadata, so the same data give
the same bytes. A missing value (``None``) draws no bar and is written as 缺失 — never as 0.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html import escape

SERIF = "Noto Serif CJK SC, Source Han Serif SC, serif"  # the report's font (report.css)
SANS = "Noto Sans CJK SC, Source Han Sans SC, sans-serif"  # the dashboard's
PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5")
MISSING = "缺失"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple  # one per category: int, Decimal, float or None


def _text_width(text: str, size: float) -> float:
    """Approximate rendered width: CJK and full-width characters one em, others about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.55 for ch in text)


def _num(x: float) -> str:
    """Coordinates with at most one decimal, no trailing zeros: stable text for stable bytes."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _fmt(value) -> str:
    from .numbers_cn import plain

    return MISSING if value is None else plain(value)


def bar_chart(chart_id: str, title: str, categories, series, *, font: str = SERIF, bar_area: float = 320,
              fmt=_fmt, font_size: float = 12) -> str:
    """An SVG ``<svg>`` element (a string) with horizontal grouped bars.

    ``categories``: labels; ``series``: :class:`Series` (a single series draws no legend).
    ``fmt``: value → the text written at a bar's end.
    """
    categories = list(categories)
    series = list(series)
    bar_h, gap, pad = font_size + 2, font_size * 0.8, 8.0
    label_w = max([_text_width(c, font_size) for c in categories] + [font_size * 4]) + pad
    values = [v for s in series for v in s.values if v is not None]
    top = max([float(v) for v in values] + [0.0])
    value_w = max([_text_width(fmt(v), font_size) for s in series for v in s.values] + [font_size * 2]) + pad
    legend_h = (font_size + 10) if len(series) > 1 else 0
    title_h = font_size * 1.4 + 8
    group_h = len(series) * bar_h + gap
    width = pad + label_w + bar_area + value_w + pad
    height = title_h + legend_h + len(categories) * group_h + pad
    x0 = pad + label_w
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="nb-chart" id="{escape(chart_id)}" role="img" '
           f'aria-labelledby="{escape(chart_id)}-title" width="{_num(width)}" height="{_num(height)}" '
           f'viewBox="0 0 {_num(width)} {_num(height)}" font-family="{escape(font)}" font-size="{_num(font_size)}">',
           f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
           f'<text x="{_num(pad)}" y="{_num(font_size * 1.4)}" font-size="{_num(font_size * 1.15)}" '
           f'font-weight="bold" fill="#1f2328">{escape(title)}</text>']
    y = title_h
    if legend_h:
        lx = x0
        for i, s in enumerate(series):
            color = PALETTE[i % len(PALETTE)]
            out.append(f'<rect x="{_num(lx)}" y="{_num(y)}" width="{_num(font_size)}" height="{_num(font_size)}" '
                       f'fill="{color}"/>')
            out.append(f'<text x="{_num(lx + font_size + 4)}" y="{_num(y + font_size - 1)}" fill="#1f2328">'
                       f'{escape(s.name)}</text>')
            lx += font_size + 4 + _text_width(s.name, font_size) + 14
        y += legend_h
    out.append(f'<line x1="{_num(x0)}" y1="{_num(y - 2)}" x2="{_num(x0)}" '
               f'y2="{_num(y + len(categories) * group_h - gap + 2)}" stroke="#57606a" stroke-width="1"/>')
    for ci, label in enumerate(categories):
        gy = y + ci * group_h
        mid = gy + len(series) * bar_h / 2
        out.append(f'<text x="{_num(x0 - pad)}" y="{_num(mid + font_size * 0.35)}" text-anchor="end" '
                   f'fill="#1f2328">{escape(label)}</text>')
        for si, s in enumerate(series):
            v = s.values[ci]
            by = gy + si * bar_h
            length = 0.0 if v is None or top == 0 else float(v) / top * bar_area
            if length > 0:
                out.append(f'<rect x="{_num(x0)}" y="{_num(by + 1)}" width="{_num(length)}" height="{_num(bar_h - 2)}" '
                           f'fill="{PALETTE[si % len(PALETTE)]}"/>')
            color = "#cf222e" if v is None else "#1f2328"
            out.append(f'<text x="{_num(x0 + length + 4)}" y="{_num(by + bar_h - 3)}" fill="{color}" '
                       f'font-size="{_num(font_size * 0.9)}">{escape(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)
