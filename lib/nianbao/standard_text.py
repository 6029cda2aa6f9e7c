"""Standard sentences written from the figures, available in narrative as ``std.requests()`` etc.

They are what the default narrative says for a unit with no hand-written text, and what an analyst
can drop into their own text so the figures never drift from the tables. The sentences that name
cells belong to each form pack (``forms/<id>/standard_text.py``); this module holds what they share.

A figure the tables leave blank is :class:`~nianbao.placeholders.Missing` (so is anything computed
from it); a sentence never turns it into 0. The helpers here word it as an office would print it:
``_count("上年结转", x)`` gives 上年结转0件, or 上年结转的件数未填报.
"""
from __future__ import annotations

import re

from .numbers_cn import plain
from .placeholders import Namespace, add, is_missing

TODO = "【待填写"  # marks text an analyst still has to write; the narrative lint reports it
NOT_REPORTED = "未填报"  # what a sentence says of a figure the tables leave blank
TOTAL_COLUMN = "total"  # 总计: the sum of a row's other columns


def _short(label: str) -> str:
    """（二）部分公开（区分处理的，…） → 部分公开."""
    m = re.match(r"^（.）([^（]+)", label)
    return m.group(1) if m else label


def _n(x) -> str:
    if is_missing(x):
        str(x)  # raises: a missing figure never prints (the error names its cells)
    return plain(x.value if hasattr(x, "value") else x)


def _count(phrase: str, x, unit: str = "件") -> str:
    """``phrase`` with its figure: 上年结转0件, or 上年结转的件数未填报 when the figure is missing."""
    if is_missing(x):
        return f"{phrase}的{'件数' if unit == '件' else '数量'}{NOT_REPORTED}"
    return f"{phrase}{_n(x)}{unit}"


def _value(x):
    return x.value if hasattr(x, "value") else x


def _nonzero(x) -> bool:
    """Worth a sentence: a figure other than 0, or one that is not reported (said as such)."""
    return is_missing(x) or bool(_value(x))


class BaseStandardText:
    """What every format's standard sentences share; a pack subclasses it with its own sentences
    (``forms/<id>/standard_text.py``) and lists in ``SANDBOX_PUBLIC`` what the narrative may call."""

    SANDBOX_PUBLIC = frozenset({"fees"})

    def __init__(self, ns: Namespace):
        self._ns = ns
        self._y = ns.current

    @staticmethod
    def _proactive(documents, regulations, decisions) -> str:
        """The 表二 sentence every format words the same way: (phrase, figure) pairs of the normative
        documents, then of the regulations (said only when one of them is not 0), then of the decisions."""
        parts = ["，".join(_count(phrase, x) for phrase, x in documents)]
        if any(_nonzero(x) for _, x in regulations):
            parts.append("，".join(_count(phrase, x) for phrase, x in regulations))
        parts.append("、".join(_count(phrase, x) for phrase, x in decisions))
        return "；".join(parts) + "。"

    def _applicants(self, table_key: str, row) -> list[tuple[str, object]]:
        """(printed label, figure) of each applicant column of a row, from the form: a column printed
        alone, or the columns under one spanning header summed (missing if any of them is)."""
        table = self._ns.figures.form.table(table_key)
        out: dict[str, list] = {}
        for col in table.columns:
            if col.key == TOTAL_COLUMN:
                continue
            out.setdefault(col.group or col.label, []).append(getattr(row, col.key))
        return [(label, xs[0] if len(xs) == 1 else add(*xs)) for label, xs in out.items()]

    def fees(self) -> str:
        facts = self._y.fact
        if not facts.has("processing_fee"):
            return f"{TODO}：本年度是否收取政府信息公开信息处理费及金额（在数据文件 facts.processing_fee 中填写，单位：元）。】"
        fee = facts.processing_fee
        if is_missing(fee):
            return f"{TODO}：本年度是否收取政府信息公开信息处理费及金额（数据文件中 facts.processing_fee {NOT_REPORTED}，单位：元）。】"
        if not fee.value:
            return "本年度未收取政府信息公开信息处理费。"
        return f"本年度收取政府信息公开信息处理费{_n(fee)}{fee.unit or '元'}。"


def for_form(form):
    """The standard-sentences class of a form's pack (the shared base when the pack has none)."""
    from . import forms

    return forms.pack(form.id).standard_text or BaseStandardText


def StandardText(ns: Namespace):
    """The standard sentences for the namespace's form (kept for callers of the earlier API)."""
    return for_form(ns.figures.form)(ns)
