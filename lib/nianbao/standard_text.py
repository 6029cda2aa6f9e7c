"""Standard sentences written from the figures, available in narrative as ``std.requests()`` etc.

They are what the default narrative says for a unit with no hand-written text, and what an analyst
can drop into their own text so the figures never drift from the tables. The sentences that name
cells belong to each form pack (``forms/<id>/standard_text.py``); this module holds what they share.
"""
from __future__ import annotations

import re

from .numbers_cn import plain
from .placeholders import Namespace

TODO = "【待填写"  # marks text an analyst still has to write; the narrative lint reports it


def _short(label: str) -> str:
    """（二）部分公开（区分处理的，…） → 部分公开."""
    m = re.match(r"^（.）([^（]+)", label)
    return m.group(1) if m else label


def _n(x) -> str:
    return plain(x.value if hasattr(x, "value") else x)


class BaseStandardText:
    """What every format's standard sentences share; a pack subclasses it with its own sentences
    (``forms/<id>/standard_text.py``) and lists in ``SANDBOX_PUBLIC`` what the narrative may call."""

    SANDBOX_PUBLIC = frozenset({"fees"})

    def __init__(self, ns: Namespace):
        self._ns = ns
        self._y = ns.current

    def fees(self) -> str:
        facts = self._y.fact
        if not facts.has("processing_fee"):
            return f"{TODO}：本年度是否收取政府信息公开信息处理费及金额（在数据文件 facts.processing_fee 中填写，单位：元）。】"
        fee = facts.processing_fee
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
