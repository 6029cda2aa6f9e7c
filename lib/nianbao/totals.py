"""Totals the form declares as sums of other cells — its ``sum`` rules with a single cell on the left
(a row's total column = its other columns; a results-total row = the outcome rows, per column …).

The narrative's value layer uses them so that a difference such as "总计 − one of its parts" is known
to be the sum of the remaining parts, and is *missing*, never 0, when any of those cells is missing
(:class:`nianbao.placeholders.Count`). Read from the form model; nothing here names a cell.
"""
from __future__ import annotations

Cell = tuple[str, str, str]  # (table key, row key, column key)

_CACHE: dict[int, tuple[object, dict]] = {}


def _expand(table, entries) -> list[str]:
    keys: list[str] = []
    for e in entries:
        if isinstance(e, dict) and "rows_in_group" in e:
            keys += [r.key for r in table.rows_in_group(e["rows_in_group"])]
        elif isinstance(e, str):
            keys.append(e)
    return keys


def decompositions(form) -> dict[Cell, tuple[tuple[Cell, ...], ...]]:
    """Every declared total cell of ``form`` → the tuples of cells it is the sum of (one per rule)."""
    hit = _CACHE.get(id(form))
    if hit is not None and hit[0] is form:
        return hit[1]
    out: dict[Cell, list[tuple[Cell, ...]]] = {}
    for spec in form.rules:
        left = spec.get("left") or ()
        if spec.get("kind") != "sum" or len(left) != 1 or "table" not in spec:
            continue
        table = form.table(spec["table"])
        right = _expand(table, spec.get("right") or ())
        total = left[0]
        if spec.get("per") == "row":
            for row in table.rows:
                keys = {c.key for c in row.columns}
                if total in keys and all(k in keys for k in right):
                    out.setdefault((table.key, row.key, total), []).append(tuple((table.key, row.key, k) for k in right))
        elif spec.get("per") == "column":
            for col in table.columns:
                out.setdefault((table.key, total, col.key), []).append(tuple((table.key, r, col.key) for r in right))
    result = {k: tuple(v) for k, v in out.items()}
    _CACHE[id(form)] = (form, result)
    return result
