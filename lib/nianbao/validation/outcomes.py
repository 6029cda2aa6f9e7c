"""Three outcomes per rule instance: passed, failed, or not assessable (with the cells that prevented it).

Great Expectations skips a row whose column is null (``ignore_row_if="either_value_is_missing"``, and
every column-map expectation but ``expect_column_values_to_not_be_null``) and still counts the
expectation a success. Read honestly, such a row is *not assessable*: nothing was checked. This module
turns a rule's GX result into per-instance outcomes for one unit:

- **failed**: GX listed the instance as unexpected;
- **not assessable**: a column the expectation reads is null in the instance's row — a cell it is
  computed from is missing or unreadable; the entry lists those cells and what they hold;
- **passed**: evaluated and true.

A rule instance is one row of the rule's frame that :meth:`Rule.instance_of` accepts (a cell of the
right type for the type rules; a column, a row or a cell for the others).
"""
from __future__ import annotations

OUTCOMES = ("passed", "failed", "not_assessable")
NULL_EXPECTATIONS = frozenset({"expect_column_values_to_not_be_null", "expect_column_values_to_be_null"})


def read_columns(config: dict) -> tuple[str, ...]:
    """The frame columns one expectation reads (its ``column``, ``column_A``/``column_B``, ``column_list``)."""
    kw = config.get("kwargs", {})
    cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
    cols += list(kw.get("column_list") or ())
    return tuple(cols)


class RuleOutcomes:
    """One rule's GX run over a batch, read per instance. Built once per rule (vectorised over every
    unit's rows); :meth:`for_unit` gives one unit's suite-entry additions."""

    def __init__(self, rule, frame, items, unexpected: set[int], configs: list[dict]):
        import numpy as np

        self.rule, self.items = rule, items
        n = len(items)
        reads = [c for c in dict.fromkeys(c for cfg in configs if cfg["type"] not in NULL_EXPECTATIONS
                                          for c in read_columns(cfg)) if c in frame.columns]
        # frames number their rows 0..n-1 in the order of ``items`` (column ``item``)
        self.null = frame[reads].isna().any(axis=1).to_numpy() if reads and n else np.zeros(n, dtype=bool)
        self.instance = rule.instance_mask(frame, items) if n else np.zeros(0, dtype=bool)
        self.failed = np.zeros(n, dtype=bool)
        if unexpected:
            self.failed[list(unexpected)] = True
        self.by_ctx = {int(k): v for k, v in frame.groupby("ctx").indices.items()} if n else {}

    def for_unit(self, local: int, ctx) -> dict:
        from .rules import missing_inputs

        import numpy as np

        rows = self.by_ctx.get(local, np.zeros(0, dtype=int))
        inst = self.instance[rows] | self.failed[rows]  # a reported failure always counts
        failed = inst & self.failed[rows]
        na = inst & ~self.failed[rows] & self.null[rows]
        counts = {"passed": int(inst.sum() - failed.sum() - na.sum()), "failed": int(failed.sum()),
                  "not_assessable": int(na.sum())}
        outcome = "failed" if counts["failed"] else "not_assessable" if counts["not_assessable"] else "passed"
        out = {"outcome": outcome, "instances": counts}
        if counts["not_assessable"]:
            out["per"] = self.rule.instances_per
            holds: dict = {}
            out["not_assessable"] = [
                dict(self.rule.instance_ref(self.items[n]), missing=missing_inputs(self.rule, self.items[n], ctx, holds))
                for n in (int(x) for x in rows[na])]
        excluded = int(len(rows) - inst.sum())
        if excluded:
            out["excluded"] = excluded
        return out
