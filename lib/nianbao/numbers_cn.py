"""Numbers as Chinese reports write them: counts, 万-units, Chinese numerals, shares, changes."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零一二三四五六七八九"
SMALL_UNITS = ["", "十", "百", "千"]
BIG_UNITS = ["", "万", "亿", "万亿"]


def plain(value) -> str:
    """A figure as printed in a table or sentence: integers plainly, decimals as written."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"not a figure: {value!r}")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not used for figures; use int or Decimal")
    raise TypeError(f"not a figure: {value!r}")


def _section(n: int) -> str:
    """0 < n < 10000 in Chinese numerals."""
    out = ""
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10 ** pos) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[d] + SMALL_UNITS[pos]
    return out


def chinese(n: int) -> str:
    """Non-negative integer in Chinese numerals: 57 → 五十七, 110 → 一百一十, 10 → 十, 2072 → 二千零七十二."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0 or n >= 10 ** 16:
        raise ValueError(f"chinese() takes a non-negative integer below 10^16, not {n!r}")
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            if out and not out.endswith("零"):
                out += "零"
            continue
        if out and g < 1000 and not out.endswith("零"):
            out += "零"
        out += _section(g) + BIG_UNITS[i]
    out = out.rstrip("零")
    if out.startswith("一十"):
        out = out[1:]
    return out


def wan(value, places: int = 2) -> str:
    """A count in 万: 78395 → 7.84万; below 10000 the plain number."""
    v = Decimal(value)
    if v < 10000:
        return plain(value)
    q = (v / 10000).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{format(q.normalize(), 'f')}万"


def percent(part, whole, places: int = 1) -> str:
    """part / whole as a percentage: (18, 55) → 32.7%. A zero whole has no share: raises."""
    if Decimal(whole) == 0:
        raise ZeroDivisionError("share of a zero total")
    q = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{format(q, 'f')}%"


def change(current, previous, unit: str = "件") -> str:
    """Year-over-year sentence: 较上年增加5件，增长9.6% / 较上年减少3件，下降5.0% / 与上年持平."""
    cur, prev = Decimal(current), Decimal(previous)
    diff = cur - prev
    if diff == 0:
        return "与上年持平"
    word, rate_word = ("增加", "增长") if diff > 0 else ("减少", "下降")
    amount = plain(abs(diff) if isinstance(current, Decimal) or isinstance(previous, Decimal) else int(abs(diff)))
    if prev == 0:
        return f"较上年{word}{amount}{unit}"
    return f"较上年{word}{amount}{unit}，{rate_word}{percent(abs(diff), prev)}"


_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
CHINESE_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL) + "".join(_CN_BIG)


def parse_number(text: str) -> int:
    """An integer written with Arabic digits or Chinese numerals: 57, 五十七, 十二, 两千零七十二, 7万."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    total = section = digit = 0
    seen = False
    for ch in text:
        if ch.isdigit():
            digit = digit * 10 + int(ch)
        elif ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (digit or 1) * _CN_SMALL[ch]
            digit = 0
        elif ch in _CN_BIG:
            total = (total + section + digit) * _CN_BIG[ch]
            section = digit = 0
        else:
            raise ValueError(f"not a number: {text!r}")
        seen = True
    if not seen:
        raise ValueError(f"not a number: {text!r}")
    return total + section + digit
