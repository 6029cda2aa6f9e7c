"""Chinese number formatting, table-driven."""
from decimal import Decimal

import pytest

from nianbao.numbers_cn import change, chinese, parse_number, percent, plain, wan


@pytest.mark.parametrize("value, text", [
    (0, "0"), (57, "57"), (78395, "78395"), (Decimal("3197.1919"), "3197.1919"), (Decimal("0.50"), "0.50"),
])
def test_plain(value, text):
    assert plain(value) == text


@pytest.mark.parametrize("bad", [None, True, 1.5, "57"])
def test_plain_refuses_non_figures(bad):
    with pytest.raises(TypeError):
        plain(bad)


@pytest.mark.parametrize("n, text", [
    (0, "零"), (1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (57, "五十七"), (101, "一百零一"),
    (110, "一百一十"), (1001, "一千零一"), (2072, "二千零七十二"), (10000, "一万"), (10010, "一万零一十"),
    (78395, "七万八千三百九十五"), (100000000, "一亿"), (120003, "十二万零三"),
])
def test_chinese(n, text):
    assert chinese(n) == text


@pytest.mark.parametrize("value, text", [(9999, "9999"), (10000, "1万"), (78395, "7.84万"), (1234567, "123.46万")])
def test_wan(value, text):
    assert wan(value) == text


@pytest.mark.parametrize("part, whole, text", [(18, 55, "32.7%"), (1, 3, "33.3%"), (55, 55, "100.0%"), (0, 7, "0.0%")])
def test_percent(part, whole, text):
    assert percent(part, whole) == text


def test_percent_of_zero_total_raises():
    with pytest.raises(ZeroDivisionError):
        percent(1, 0)


@pytest.mark.parametrize("cur, prev, text", [
    (57, 52, "较上年增加5件，增长9.6%"), (49, 52, "较上年减少3件，下降5.8%"), (52, 52, "与上年持平"),
    (4, 0, "较上年增加4件"), (Decimal("3197.1919"), Decimal("3000.1"), "较上年增加197.0919件，增长6.6%"),
])
def test_change(cur, prev, text):
    assert change(cur, prev) == text


@pytest.mark.parametrize("n", [0, 1, 10, 11, 20, 57, 101, 110, 1001, 2072, 10000, 10010, 78395, 120003, 100000000])
def test_parse_number_reads_what_chinese_writes(n):
    assert parse_number(chinese(n)) == n and parse_number(str(n)) == n


@pytest.mark.parametrize("text, n", [("两千零七十二", 2072), ("7万", 70000), ("五十八", 58), ("〇", 0)])
def test_parse_number_variants(text, n):
    assert parse_number(text) == n


def test_parse_number_refuses_other_text():
    with pytest.raises(ValueError):
        parse_number("若干")
