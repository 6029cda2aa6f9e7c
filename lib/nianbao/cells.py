"""Reading one table cell: a count or an amount, from the text an analyst typed.

Nothing here repairs a value. Text that is not exactly a number of the cell's type is refused with
a message saying what to write instead; a blank, "/", "—" or "无" is a *missing* value, never 0.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .form import Column

MISSING_MARKERS = frozenset({"", "/", "／", "-", "—", "——", "–", "－", "无", "空", "null", "~", "n/a", "N/A"})
# What a missing cell says, where the marker has a meaning: ~ is YAML's "not filled in" (a blank
# workbook cell arrives as ~ too); "/" is how the printed form marks a cell that does not apply.
MISSING_MEANINGS = {"~": "未填", "null": "未填", "/": "不适用", "／": "不适用"}
_SHOWN_AS_BLANK = frozenset({"", "~", "null"})  # messages call these 空白: the cell holds nothing
CHILD_MISSING = "（下级单位未填）"  # what a roll-up's summed cell holds when a child left it blank (nianbao.rollup)
_COUNT = re.compile(r"^[+-]?[0-9]+$")
_AMOUNT = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")
_FULLWIDTH = re.compile(r"[０-９．，]")
# A signed count (a yearly increase or decrease) as printed: -3, +3, 3, or 减3 / 增3.
_SIGNED = re.compile(r"^(增|减|[+-])?\s*([0-9]+)$")
MAX_DIGITS = 15  # integer digits of any cell: far above every real figure, far below a slow number


@dataclass(frozen=True)
class CellIssue:
    kind: str  # missing_value | not_a_number | not_integer | negative | too_many_decimals | too_large
    message: str


def decimals_of(text: str) -> int:
    """Decimal places written, not counting trailing zeros (3197.19190 has 4)."""
    if "." not in text:
        return 0
    return len(text.split(".", 1)[1].rstrip("0"))


def parse_cell(raw: object, text: str, column: Column) -> tuple[int | Decimal | None, CellIssue | None]:
    """Return (value, None) or (None, issue). ``raw`` is the YAML value, ``text`` its source text."""
    if raw is None or isinstance(raw, bool) or text.strip() in MISSING_MARKERS:
        if isinstance(raw, bool):
            return None, CellIssue("not_a_number", f"{text!r} 不是数字（YAML 把它读成了是/否）。请填写数字。")
        written = text.strip()
        meaning = MISSING_MEANINGS.get(written)
        shown = "空白 " if written in _SHOWN_AS_BLANK else f"{written!r}（{meaning}）" if meaning else f"{written!r} "
        return None, CellIssue(
            "missing_value",
            f"{shown}是缺失值，不是 0。没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。",
        )
    s = text.strip()
    if _FULLWIDTH.search(s):
        return None, CellIssue("not_a_number", f"{s!r} 含全角数字或全角标点。请改用半角数字（如 57、3197.1919）。")
    if "," in s:
        return None, CellIssue("not_a_number", f"{s!r} 含千分位逗号。请直接写数字，不加逗号。")
    digits = len(s.lstrip("+-").split(".", 1)[0].lstrip("0"))
    if digits > MAX_DIGITS and _AMOUNT.match(s):
        return None, CellIssue("too_large", f"数字有 {digits} 位整数，超过 {MAX_DIGITS} 位的上限，不是一个可能的数据。请核对该格。")
    if column.type == "signed":
        return _signed(s, column)
    if column.type == "count":
        if _COUNT.match(s):
            value = int(s)
        elif _AMOUNT.match(s):
            return None, CellIssue("not_integer", f"{s!r} 不是整数。件数、数量只能填写非负整数。")
        else:
            return None, CellIssue("not_a_number", f"{s!r} 不是件数。请填写非负整数；没有则填 0。")
    else:
        if not _AMOUNT.match(s):
            return None, CellIssue("not_a_number", f"{s!r} 不是金额。请填写以{column.amount_unit}为单位的数字，如 3197.1919；没有则填 0。")
        places = decimals_of(s)
        if places > column.decimals:
            return None, CellIssue(
                "too_many_decimals",
                f"{s!r} 有 {places} 位小数，本栏最多 {column.decimals} 位（单位：{column.amount_unit}）。请按原始统计填写，工具不会替您四舍五入。",
            )
        value = Decimal(s)
        if value.as_tuple().exponent < -column.decimals:  # only trailing zeros go: 3197.191900000 → 3197.1919
            value = value.quantize(Decimal(1).scaleb(-column.decimals))
    if value < 0:
        return None, CellIssue("negative", f"{s!r} 是负数。本栏只能填写非负数。")
    return value, None


def _signed(s: str, column: Column) -> tuple[int | None, CellIssue | None]:
    """A signed count: 减3 and -3 are −3, 增3, +3 and 3 are 3. Nothing else is read."""
    m = _SIGNED.match(s)
    if m:
        n = int(m.group(2))
        return (-n if m.group(1) in ("减", "-") else n), None
    if _AMOUNT.match(s.lstrip("增减")):
        return None, CellIssue("not_integer", f"{s!r} 不是整数。{column.label}只能填写整数。")
    return None, CellIssue("not_a_number", f"{s!r} 不是增减数。请填写整数，减少写负数（如 -3）或“减3”；没有变化填 0。")

