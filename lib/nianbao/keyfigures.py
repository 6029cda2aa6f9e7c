"""Key figures and charts of a unit-year, declared by each form pack in its ``indicators.yaml``.

The dashboard, the comparison pages and the year-over-year block speak of cells only through this
declaration: which cells are the key figures (new applications, 公开率, 纠错率, carried forward) and
which bars make up each chart. Every printed label comes from the form model; a missing cell makes
the figure missing (``None``), never 0. A pack without ``indicators.yaml`` (or a bare registered
form) has no key figures or charts: its units show statuses and cells only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from .form import Form

_TRAILING_NOTE = re.compile(r"（[^（）]*）$")

Cell = tuple[str, str, str]


def short_label(label: str) -> str:
    """A printed row label without its trailing bracketed note: （二）部分公开（区分处理的…） → （二）部分公开."""
    short = _TRAILING_NOTE.sub("", label)
    return short or label


def _sum(values: dict, cells) -> int | Decimal | None:
    total = 0
    for t, r, c in cells:
        v = values.get(t, {}).get((r, c))
        if v is None:
            return None
        total += v
    return total


@dataclass(frozen=True)
class KeyFigure:
    id: str
    label: str
    kind: str  # count | rate
    cells: tuple[Cell, ...] = ()  # count: the cell
    numerator: tuple[Cell, ...] = ()
    denominator: tuple[Cell, ...] = ()
    minus: tuple[Cell, ...] = ()
    description: str = ""  # how it is computed, in the form's labels

    def parts(self, values: dict) -> tuple | None:
        """(numerator, divisor) of a rate, or None when a cell is missing."""
        num, den, minus = _sum(values, self.numerator), _sum(values, self.denominator), _sum(values, self.minus)
        if num is None or den is None or minus is None:
            return None
        return num, den - minus

    def value(self, values: dict):
        """A count (int/Decimal) or a rate (Decimal in 0..1); None when missing or undefined (divisor 0)."""
        if self.kind == "count":
            return _sum(values, self.cells)
        parts = self.parts(values)
        if parts is None or not parts[1]:
            return None
        return Decimal(parts[0]) / Decimal(parts[1])


@dataclass(frozen=True)
class Bar:
    label: str
    cells: tuple[Cell, ...]

    def value(self, values: dict):
        return _sum(values, self.cells)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    bars: tuple[Bar, ...]

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.bars]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(c for b in self.bars for c in b.cells)


@dataclass(frozen=True)
class Views:
    form: Form
    key_figures: tuple[KeyFigure, ...]
    chart_figure: KeyFigure | None  # None when the form declares no key figures
    charts: tuple[Chart, ...]

    def figure(self, fid: str) -> KeyFigure:
        for f in self.key_figures:
            if f.id == fid:
                return f
        raise KeyError(f"{self.form.id}: no key figure {fid!r}")

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Every cell the key figures and charts read."""
        seen: dict = {}
        for f in self.key_figures:
            for c in f.cells + f.numerator + f.denominator + f.minus:
                seen[c] = None
        for ch in self.charts:
            for c in ch.cells:
                seen[c] = None
        return tuple(seen)


def _cells(spec) -> tuple[Cell, ...]:
    return tuple(tuple(c) for c in spec)


def _describe(form: Form, cells) -> str:
    return "＋".join(f"{form.table(t).name}「{short_label(form.table(t).row(r).label)}」{form.table(t).row(r).column(c).label}"
                     for t, r, c in cells)


def _innermost_group(form: Form, t: str, r: str) -> tuple[str, tuple]:
    table = form.table(t)
    row = table.row(r)
    if not row.groups:
        raise ValueError(f"{form.id}: {t}.{r} is in no printed group")
    label = row.groups[-1]
    return label, tuple(x for x in table.rows if x.groups[: len(row.groups)] == row.groups)


def _bar(form: Form, spec: dict) -> Bar:
    if "group" in spec:
        t, r, c = spec["group"]
        label, rows = _innermost_group(form, t, r)
        return Bar(label, tuple((t, x.key, c) for x in rows))
    cells = _cells(spec["cells"]) if "cells" in spec else (tuple(spec["cell"]),)
    t, r, c = cells[0]
    table = form.table(t)
    row = table.row(r)
    how = spec.get("label_from", "group" if "cells" in spec else "row")
    if how == "row":
        label = short_label(row.label)
    elif how == "column":
        label = row.column(c).label
    elif how == "row_column":
        label = f"{short_label(row.label)}·{row.column(c).label}"
    elif how == "group":
        label = _innermost_group(form, t, r)[0]
    else:
        raise ValueError(f"{form.id}: unknown label_from {how!r}")
    for tt, rr, cc in cells:  # every key must exist in the form
        form.table(tt).row(rr).column(cc)
    return Bar(label, cells)


def _title(form: Form, spec: dict) -> str:
    table = form.table(spec["table"])
    if "group_of" in spec:
        part = _innermost_group(form, table.key, spec["group_of"])[0]
    elif "block" in spec:
        part = next(b.label for b in table.blocks if b.key == spec["block"])
    elif "blocks" in spec:
        part = "、".join(b.label for b in table.blocks if b.key in spec["blocks"])
    elif "row" in spec:
        part = table.row(spec["row"]).label
    else:
        part = table.title
    return f"{table.name} · {part}"


def _figure(form: Form, spec: dict) -> KeyFigure:
    kind = spec.get("kind", "count")
    if kind == "count":
        cells = (tuple(spec["cell"]),)
        t, r, c = cells[0]
        row = form.table(t).row(r)
        row.column(c)
        return KeyFigure(spec["id"], spec.get("label") or short_label(row.label), "count", cells=cells,
                         description=_describe(form, cells))
    if kind != "rate":
        raise ValueError(f"{form.id}: key figure {spec['id']}: unknown kind {kind!r}")
    num, den, minus = _cells(spec["numerator"]), _cells(spec["denominator"]), _cells(spec.get("minus", ()))
    sub = _describe(form, minus) if len(minus) < 2 else f"（{_describe(form, minus)}）"
    desc = f"（{_describe(form, num)}）÷（{_describe(form, den)}" + (f"－{sub}）" if minus else "）")
    return KeyFigure(spec["id"], spec["label"], "rate", numerator=num, denominator=den, minus=minus, description=desc)


@lru_cache(maxsize=None)
def _views(form_id: str) -> Views:
    from . import forms

    pack = forms.pack(form_id)
    form, raw = pack.form, pack.indicators_spec
    if not raw:  # a pack without the declaration: statuses and cells only, no key figures or charts
        return Views(form, (), None, ())
    figures = tuple(_figure(form, s) for s in raw["key_figures"])
    charts = tuple(Chart(c["id"], _title(form, c["title"]), tuple(_bar(form, b) for b in c["bars"])) for c in raw["charts"])
    chart_figure = next(f for f in figures if f.id == raw["chart_figure"])
    return Views(form, figures, chart_figure, charts)


def views(form: Form | str) -> Views:
    """The key figures and charts declared for a form (by :class:`Form` or id)."""
    return _views(form if isinstance(form, str) else form.id)


def percent_text(rate) -> str:
    """A rate (0..1) as 32.7%; — when undefined."""
    if rate is None:
        return "—"
    from .numbers_cn import percent

    return percent(rate, 1, 1)


def value_text(kind: str, value) -> str:
    """A key figure's value as shown: a rate as :func:`percent_text`; a count as written, 缺失 when missing."""
    if kind == "rate":
        return percent_text(value)
    from .numbers_cn import plain

    return "缺失" if value is None else plain(value)
