"""Findings: what checks report about a unit-year (rule failures, missing values, narrative lint).

Every producer — the Great Expectations suites, the loader's cell problems, the narrative lint —
returns :class:`Finding` objects, so the report, ``nianbao validate`` and ``validation.json`` show
them the same way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

SEVERITIES = ("error", "warning")
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}


@dataclass(frozen=True)
class Finding:
    rule_id: str  # stable id, e.g. T3-IDENTITY, TYPE-MISSING, NARR-FIGURE
    severity: str  # error | warning
    message: str  # Chinese, says what is wrong and what to do
    table: str | None = None  # table key, e.g. table3
    table_name: str | None = None  # e.g. 表三
    row: str | None = None  # row key
    row_label: str | None = None  # printed row label
    column: str | None = None  # column key
    column_label: str | None = None  # printed column label
    expected: int | Decimal | str | None = None
    actual: int | Decimal | str | None = None
    difference: int | Decimal | None = None
    file: str | None = None
    line: int | None = None
    unit: str | None = None
    year: int | None = None
    description: str | None = None  # the rule's Chinese description, e.g. 表三各列：第一项加第二项之和…
    expectation: str | None = None  # the Great Expectations expectation type that found it, if any
    check: str | None = None  # the registered check that produced it, e.g. form-rules, narrative

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    def to_json(self) -> dict:
        out = {}
        for k, v in asdict(self).items():
            if v is None:
                continue
            out[k] = str(v) if isinstance(v, Decimal) else v
        return out


def counts(findings) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
