"""The synthetic-data recipe of the 2019 format (``nianbao synth`` for report years 2019–2020)."""
from __future__ import annotations

from decimal import Decimal

from ..gov2021 import synthetic as _tables  # 表三 and 表四 share their row keys with the 2021 format

# 表三 result rows of this format: the 2021 weights with （六）其他处理 as one row.
RESULT_WEIGHTS = {k: v for k, v in _tables.RESULT_WEIGHTS.items() if not k.startswith("other_")} | {"other_processing": 6}
MISSING_VALUE_ROW = _tables.MISSING_VALUE_ROW


def unit_values(form, rng) -> dict:
    v3 = _tables.table3_values(form, rng, RESULT_WEIGHTS)
    v4 = _tables.table4_values(rng)
    made = rng.randint(0, 4)
    v2 = {
        ("regulations", "made"): 0, ("regulations", "published"): 0, ("regulations", "published_total"): 0,
        ("normative_documents", "made"): made,
        ("normative_documents", "published"): made,
        ("normative_documents", "published_total"): made + rng.randint(5, 40),
    }
    for row, top in (("licensing", 3000), ("other_services", 500), ("penalties", 400), ("enforcement", 60)):
        v2[(row, "items_last_year")] = rng.randint(0, 80)
        v2[(row, "change")] = rng.randint(-5, 5)
        v2[(row, "decisions")] = rng.randint(0, top)
    v2[("fees", "items_last_year")] = rng.randint(0, 20)
    v2[("fees", "change")] = rng.randint(-3, 1)
    v2[("procurement", "procurement_items")] = rng.randint(0, 30)
    v2[("procurement", "procurement_amount")] = Decimal(rng.randint(0, 50_000_000)) / 100
    return {"table2": v2, "table3": v3, "table4": v4}


def county_own_values(form, rng, out: dict) -> None:
    t2 = out["table2"]
    t2[("regulations", "published_total")] = 0
    t2[("normative_documents", "published_total")] = t2[("normative_documents", "made")] + rng.randint(20, 80)
    for row in ("licensing", "other_services", "penalties", "enforcement", "fees"):
        t2[(row, "items_last_year")] = rng.randint(0, 120)
        t2[(row, "change")] = rng.randint(-5, 5)


def proactive_sentence(values: dict) -> str:
    return f"全年通过门户网站和政务新媒体主动公开政府信息，本年新制作规范性文件{values['table2'][('normative_documents', 'made')]}件。"


def narrative(mark: str, unit_name: str, year: int, values: dict, children=()) -> str:
    return _tables.narrative(mark, unit_name, year, values, children, proactive=proactive_sentence)
