"""The outcome of validating one unit-year: status, counts, sorted findings and the evidence.

``ValidationResult.to_bytes()`` is the content of ``validation.json``: sorted keys, UTF-8 and no
timestamps or timings, so two runs over the same inputs give the same bytes (the executed notebook
carries the same JSON, and ``nianbao verify`` compares re-runs byte for byte).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..findings import SEVERITIES, Finding, counts
from ..form import Form

from .evidence import dumps  # noqa: F401  (dumps is part of this module's API)

SCHEMA = "nianbao.validation/1"
STATUS_LABELS = {"passed": "通过", "warning": "警告", "failed": "不通过"}


def not_assessable_text(n: int) -> str:
    return f"{n} 条规则因缺失值未能完全校验"


def fmt_diff(d) -> str:
    """A difference as shown: signed (+1, -1), empty when there is none."""
    return f"{d:+}" if d is not None else ""


def status_code(c: dict[str, int]) -> str:
    if c.get("error"):
        return "failed"
    if c.get("warning"):
        return "warning"
    return "passed"


def complete(f: Finding, form: Form, unit: str, year: int) -> Finding:
    """Fill unit, year and the printed labels a producer left out (never changes what it said)."""
    changes: dict = {}
    if f.unit is None:
        changes["unit"] = unit
    if f.year is None:
        changes["year"] = year
    table = None
    if f.table is not None or f.table_name is not None:
        table = next((t for t in form.tables if t.key == f.table or t.name == f.table_name), None)
    if table is not None:
        if f.table is None:
            changes["table"] = table.key
        if f.table_name is None:
            changes["table_name"] = table.name
        if f.row is not None and f.row_label is None:
            row = next((r for r in table.rows if r.key == f.row), None)
            if row is not None:
                changes["row_label"] = row.label
        if f.row is None and f.row_label is not None:
            row = next((r for r in table.rows if r.label == f.row_label), None)
            if row is not None:
                changes["row"] = row.key
        if f.column is not None and f.column_label is None:
            col = next((c for c in table.columns if c.key == f.column), None)
            if col is not None:
                changes["column_label"] = col.label
    return replace(f, **changes) if changes else f


def sort_key(form: Form):
    tables = {t.key: i for i, t in enumerate(form.tables)}
    rows = {t.key: {r.key: r.number for r in t.rows} for t in form.tables}
    cols = {t.key: {c.key: i for i, c in enumerate(t.columns)} for t in form.tables}

    def first(key: str | None, index: dict) -> int:
        if key is None:
            return -1
        return index.get(key.split("+", 1)[0], len(index))

    def key(f: Finding):
        t = f.table
        return (SEVERITIES.index(f.severity), tables.get(t, len(tables)) if t else len(tables) + 1,
                first(f.row, rows.get(t, {})), first(f.column, cols.get(t, {})), f.rule_id, f.line or 0,
                f.row_label or "", f.column_label or "", f.message)
    return key


def _jsonable(v):
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


@dataclass(frozen=True)
class ValidationResult:
    unit: str
    unit_name: str
    year: int
    form: str
    findings: tuple[Finding, ...]
    checks: dict = field(default_factory=dict)  # check name -> {"findings": n, "evidence": {...}?}
    inputs: dict = field(default_factory=dict)  # role -> project-relative path
    volatile: dict = field(default_factory=dict)  # timings: never serialised (reports must re-run byte-identical)

    @property
    def counts(self) -> dict[str, int]:
        return counts(self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def status_code(self) -> str:
        """passed | warning | failed."""
        return status_code(self.counts)

    @property
    def status(self) -> str:
        """通过 | 警告 | 不通过, qualified when rules could not be checked: 通过（3 条规则因缺失值未能完全校验）."""
        label = STATUS_LABELS[self.status_code]
        n = self.not_assessable_rules
        return f"{label}（{not_assessable_text(n)}）" if n else label

    @property
    def assessment(self) -> dict:
        """Outcomes of the form's rules for this unit: rules by outcome (passed, failed, not_assessable,
        not_applicable) and rule instances by outcome (see :mod:`nianbao.validation.outcomes`)."""
        rules = {"passed": 0, "failed": 0, "not_assessable": 0, "not_applicable": 0}
        instances = {"passed": 0, "failed": 0, "not_assessable": 0}
        for s in self.suites:
            if not s.get("applicable"):
                rules["not_applicable"] += 1
                continue
            rules[s.get("outcome", "passed" if s.get("success") else "failed")] += 1
            for k, v in s.get("instances", {}).items():
                instances[k] += v
        return {"rules": rules, "instances": instances}

    @property
    def not_assessable_rules(self) -> int:
        """Rules with at least one instance that could not be checked because a cell is missing."""
        return sum(1 for s in self.suites if s.get("applicable") and s.get("instances", {}).get("not_assessable"))

    @property
    def passed(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    @property
    def suites(self) -> list[dict]:
        """The Great Expectations suites run for this unit (from the ``form-rules`` check)."""
        return self.checks.get("form-rules", {}).get("evidence", {}).get("suites", [])

    def finding_groups(self):
        """Missing cells reported together (:mod:`nianbao.validation.grouping`): only the groups of more
        than one finding; ``findings`` lists each of them."""
        if not self.findings:
            return []
        from ..forms import get
        from .grouping import group_findings

        return [g for g in group_findings(self.findings, get(self.form)) if g.grouped]

    def to_json(self) -> dict:
        return _jsonable({
            "schema": SCHEMA,
            "unit": self.unit,
            "unit_name": self.unit_name,
            "year": self.year,
            "form": self.form,
            "status": self.status,
            "status_code": self.status_code,
            "counts": self.counts,
            "assessment": dict(self.assessment, not_assessable_rules=self.not_assessable_rules),
            "findings": [f.to_json() for f in self.findings],
            "finding_groups": [g.to_json() for g in self.finding_groups()],
            "checks": self.checks,
            "inputs": self.inputs,
        })

    def to_bytes(self) -> bytes:
        return dumps(self.to_json())

