"""Great Expectations: one ephemeral context per process, one suite per form rule, one run per rule per batch.

Validating a year of many units is one GX run per rule over a frame holding every unit's items, not
one run (or one context) per unit. The context has no project directory, sends no analytics
(``GX_ANALYTICS_ENABLED=false``, set by ``nianbao/__init__``) and shows no progress bars.
"""
from __future__ import annotations

import os
from collections import defaultdict

from ..findings import Finding
from .checks import CheckContext, CheckOutput
from .outcomes import RuleOutcomes
from .rules import CELL_VALUE_KINDS, Batch, Rule, compile_rules

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

RESULT_FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["item"],
                 "return_unexpected_index_query": False, "partial_unexpected_count": 0}

_ENGINE: "Engine | None" = None


class Engine:
    """The process's GX context with its pandas data source and the suites built so far."""

    def __init__(self):
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.version = gx.__version__
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = self.context.data_sources.add_pandas("nianbao")
        asset = source.add_dataframe_asset("frames")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        self._definitions: dict[str, tuple[object, object]] = {}  # suite name -> (spec key, definition)
        self._rules: dict[int, tuple] = {}
        self.runs = 0  # GX validation runs so far (for tests and benchmarks)

    def rules(self, form) -> tuple[Rule, ...]:
        key = id(form)
        if key not in self._rules or self._rules[key][0] is not form:
            self._rules[key] = (form, compile_rules(form))
        return self._rules[key][1]

    def definition(self, rule: Rule):
        gx = self._gx
        spec_key = repr(sorted(rule.spec.items(), key=lambda kv: kv[0]))
        known = self._definitions.get(rule.suite_name)
        if known is not None and known[0] == spec_key:
            return known[1]
        if known is not None:  # the same rule id was redefined in this process: rebuild its suite
            self.context.validation_definitions.delete(rule.suite_name)
            self.context.suites.delete(rule.suite_name)
        suite = self.context.suites.add(gx.ExpectationSuite(name=rule.suite_name, meta=rule.suite_meta()))
        for expectation in rule.expectations():
            suite.add_expectation(expectation)
        vd = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=rule.suite_name, data=self.batch_definition, suite=suite))
        self._definitions[rule.suite_name] = (spec_key, vd)
        return vd

    def run(self, rule: Rule, frame):
        self.runs += 1
        return self.definition(rule).run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)


def engine() -> Engine:
    """The process's engine, created on first use (imports Great Expectations: ~5 s)."""
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def _config(expectation) -> dict:
    cfg = expectation.configuration.to_json_dict()
    kwargs = {k: v for k, v in cfg.get("kwargs", {}).items() if k != "batch_id"}
    return {"type": cfg["type"], "kwargs": kwargs, "severity": cfg.get("severity"), "meta": cfg.get("meta") or {}}


def validate_batch(contexts: list[CheckContext]) -> list[CheckOutput]:
    """The form's rules over every context, as one GX run per rule per form. Batch check ``form-rules``."""
    eng = engine()
    findings: list[list[Finding]] = [[] for _ in contexts]
    suites: list[list[dict]] = [[] for _ in contexts]
    groups: dict[str, list[int]] = defaultdict(list)
    forms = {}
    for i, ctx in enumerate(contexts):
        groups[ctx.form.id].append(i)
        forms[ctx.form.id] = ctx.form
    for form_id, idxs in groups.items():
        batch = Batch(forms[form_id], [contexts[i] for i in idxs])
        for rule in eng.rules(forms[form_id]):
            vd = eng.definition(rule)
            configs = [_config(e) for e in vd.suite.expectations]
            frame, items = rule.frame(batch)
            per_ctx_rows = frame["ctx"].value_counts().to_dict() if len(frame) else {}
            results = []
            if len(frame):
                run = eng.run(rule, frame)
                for res in run.results:
                    info = res.exception_info or {}
                    if info.get("raised_exception"):
                        raise RuntimeError(f"Great Expectations could not evaluate {rule.suite_name} "
                                           f"({res.expectation_config.type}): {info.get('exception_message')}")
                    unexpected = [int(row["item"]) for row in res.result.get("unexpected_index_list") or []]
                    if len(unexpected) != res.result.get("unexpected_count", 0):
                        raise RuntimeError(f"{rule.suite_name}: GX reported {res.result.get('unexpected_count')} "
                                           f"unexpected rows but listed {len(unexpected)}")
                    results.append((res, unexpected))
            outcomes = RuleOutcomes(rule, frame, items, {n for _, u in results for n in u}, configs)
            for local, ctx in enumerate(batch.contexts):
                g = idxs[local]
                reason = rule.not_applicable(ctx)
                entry = {"suite": rule.suite_name, "rule_id": rule.id, "severity": rule.severity,
                         "description": rule.description, "applicable": reason is None and local in per_ctx_rows}
                if not entry["applicable"]:
                    entry["reason"] = reason or "无可检查的项目"
                    entry["expectations"] = [{"type": c["type"], "kwargs": c["kwargs"], "severity": c["severity"]}
                                             for c in configs]
                    suites[g].append(entry)
                    continue
                assessed = outcomes.for_unit(local, ctx)
                not_assessable = assessed["instances"]["not_assessable"]
                exps = []
                for (res, unexpected), cfg in zip(results, configs):
                    mine = [n for n in unexpected if items[n].ctx == local]
                    for n in mine:
                        findings[g].append(rule.finding(items[n], ctx))
                    r = res.result
                    exps.append({
                        "type": res.expectation_config.type, "kwargs": cfg["kwargs"], "severity": cfg["severity"],
                        # a row GX skipped because a cell is missing was not checked: not a success
                        "success": not mine and not not_assessable, "element_count": int(per_ctx_rows[local]),
                        "unexpected_count": len(mine), "not_assessable_count": not_assessable,
                        "gx_batch_result": {"success": bool(res.success), "element_count": r.get("element_count"),
                                            "unexpected_count": r.get("unexpected_count"),
                                            "missing_count": r.get("missing_count", 0)},
                    })
                entry["success"] = all(e["success"] for e in exps)
                entry.update(assessed)
                entry["expectations"] = exps
                suites[g].append(entry)
        for local, ctx in enumerate(batch.contexts):
            findings[idxs[local]].extend(_unmatched_cell_problems(ctx, findings[idxs[local]]))
    batch_units = len(contexts)
    return [CheckOutput(findings[i], {"tool": "great_expectations", "version": eng.version,
                                      "batch_units": batch_units, "suites": suites[i]})
            for i in range(len(contexts))]


def _unmatched_cell_problems(ctx: CheckContext, found: list[Finding]) -> list[Finding]:
    """A loader cell problem no suite reported (should not happen): never let it pass silently."""
    located = {(f.table_name, f.row_label, f.column_label) for f in found}
    out = []
    for p in ctx.figures.problems:
        if p.kind in CELL_VALUE_KINDS and p.table and (p.table, p.row_label, p.column_label) not in located:
            table = next(t for t in ctx.form.tables if t.name == p.table)
            row = next(r for r in table.rows if r.label == p.row_label)
            col = next(c for c in row.columns if c.label == p.column_label)
            out.append(Finding(rule_id="INPUT-CELL", severity="error", message=p.message, table=table.key,
                               table_name=table.name, row=row.key, row_label=row.label, column=col.key,
                               column_label=col.label, actual=None if p.value is None else str(p.value),
                               file=p.file, line=p.line, unit=ctx.unit.id, year=ctx.year,
                               description="数据文件中的单元格无法读取"))
    return out
