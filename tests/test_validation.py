"""Validation rules: for each rule a passing case and a failing case (one cell perturbed), asserting
the exact rule id, row, column, expected, actual and difference. Contexts are built from figures files
written to a temporary folder; Great Expectations starts once for the whole module."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from nianbao.figures import load_figures
from nianbao.findings import Finding
from nianbao.units import Unit
from nianbao.validation import checks, validate_contexts, validate_units
from nianbao.validation.checks import CheckContext
from nianbao.validation.evidence import MIME, extract_validation_json

ZHUNGEER = Unit(id="zhungeer", name="准格尔旗人民政府", level="county")


def set_row(text: str, row: str, values) -> str:
    """Replace one row of a figures file (list rows of tables 3/4, mapping rows of table 2)."""
    if isinstance(values, dict):
        body = "{" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}"
        new, n = re.subn(rf"(?m)^(  {re.escape(row)}: )\{{[^}}]*\}}", lambda m: m.group(1) + body, text)
    else:
        body = "[" + ", ".join(str(v) for v in values) + "]"
        new, n = re.subn(rf"(?m)^(  {re.escape(row)}:\s*)\[[^\]]*\]", lambda m: m.group(1) + body, text)
    assert n == 1, f"row {row} not found exactly once"
    return new


def figures_text(seed: str, *, year: int = 2022, **rows) -> str:
    text = seed if year == 2022 else seed.replace("year: 2022", f"year: {year}")
    for row, values in rows.items():
        text = set_row(text, row, values)
    return text


def make_ctx(tmp_path, text: str, *, prior: str | None = None, unit: Unit = ZHUNGEER, year: int = 2022,
             prior_error: str | None = None) -> CheckContext:
    folder = tmp_path / unit.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{year}.yaml"
    path.write_text(text, encoding="utf-8")
    figures = load_figures(path, strict=False, display=f"data/{year}/{unit.id}/figures.yaml")
    prior_fig = None
    if prior is not None:
        ppath = folder / f"{year - 1}.yaml"
        ppath.write_text(prior, encoding="utf-8")
        prior_fig = load_figures(ppath, strict=False, display=f"data/{year - 1}/{unit.id}/figures.yaml")
    return CheckContext(unit=unit, year=year, figures=figures, prior=prior_fig, prior_error=prior_error)


def validate(ctx):
    return validate_contexts([ctx])[0]


def only(result, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


def brief(f: Finding):
    return (f.rule_id, f.severity, f.table_name, f.row, f.column, f.expected, f.actual, f.difference)


# --------------------------------------------------------------------------------------------------
# The seed unit


def test_seed_passes_with_no_errors_and_no_warnings(tmp_path, seed_figures_text):
    result = validate(make_ctx(tmp_path, seed_figures_text))
    assert result.findings == ()
    assert (result.status, result.status_code, result.counts) == ("通过", "passed", {"error": 0, "warning": 0})
    suites = {s["rule_id"]: s for s in result.suites}
    # every rule of the form definition became a suite; cross-year rules have nothing to compare
    assert set(suites) == {"TYPE-MISSING", "TYPE-NUMBER", "TYPE-INTEGER", "TYPE-NEGATIVE", "TYPE-DECIMALS",
                           "T3-IDENTITY", "T3-RESULTS-TOTAL", "T3-ROW-TOTAL", "T4-TOTAL", "X-CARRY-OVER",
                           "X-IN-FORCE", "P-RULEMAKING"}
    assert suites["X-CARRY-OVER"]["applicable"] is False and suites["X-CARRY-OVER"]["reason"] == "无2021年数据"
    assert suites["T3-IDENTITY"]["success"] is True
    assert suites["T3-IDENTITY"]["expectations"][0]["element_count"] == 7
    assert suites["T3-ROW-TOTAL"]["expectations"][0]["element_count"] == 25
    assert suites["T4-TOTAL"]["expectations"][0]["element_count"] == 3


def test_seed_passes_through_the_project(project_dir):
    from nianbao.report import open_report
    from nianbao.validation import validate_report

    report = open_report("zhungeer", 2022, project_dir)
    result = validate_report(report)
    assert result.counts == {"error": 0, "warning": 0} and result.status == "通过"
    assert validate_report(report) is result  # cached on the report
    assert result.inputs == {"figures": "data/2022/zhungeer/figures.yaml", "narrative": "data/2022/zhungeer/narrative.md"}


# --------------------------------------------------------------------------------------------------
# Within one report: sums


def test_balanced_on_total_but_off_per_column(tmp_path, seed_figures_text):
    """The real 2025 case: 自然人 −1 and 其他 +1 on 一+二 = 三+四; the 总计 column still balances."""
    text = figures_text(seed_figures_text, new=[56, 0, 0, 0, 0, 1, 57])
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("T3-IDENTITY", "error", "表三", "new+carried_over", "natural_person", 57, 56, -1),
        ("T3-IDENTITY", "error", "表三", "new+carried_over", "other_org", 0, 1, 1),
    ]
    f = result.findings[0]
    assert f.row_label == "一、本年新收＋二、上年结转" and f.column_label == "自然人"
    assert f.expectation == "expect_column_pair_values_to_be_equal"
    assert "相差 -1" in f.message and f.description.startswith("表三各列")
    assert result.status == "不通过"


def test_t3_results_total(tmp_path, seed_figures_text):
    ok = validate(make_ctx(tmp_path, seed_figures_text))
    assert not only(ok, "T3-RESULTS-TOTAL")
    # one more 予以公开 in 自然人, row total kept consistent: (七)总计 no longer adds up
    text = figures_text(seed_figures_text, disclosed=[19, 0, 0, 0, 0, 0, 19])
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("T3-RESULTS-TOTAL", "error", "表三", "results_total", "natural_person", 56, 55, -1),
        ("T3-RESULTS-TOTAL", "error", "表三", "results_total", "total", 56, 55, -1),
    ]
    assert result.findings[0].row_label == "（七）总计"


def test_t3_row_total(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, unavailable_unclear=[9, 0, 0, 0, 0, 0, 10])
    result = validate(make_ctx(tmp_path, text))
    rows = only(result, "T3-ROW-TOTAL")
    assert [brief(f) for f in rows] == [("T3-ROW-TOTAL", "error", "表三", "unavailable_unclear", "total", 9, 10, 1)]
    assert rows[0].row_label == "3.补正后申请内容仍不明确" and rows[0].column_label == "总计"
    # the same cell also breaks the 总计 column of the results total: reported, not repaired
    assert [brief(f) for f in only(result, "T3-RESULTS-TOTAL")] == [
        ("T3-RESULTS-TOTAL", "error", "表三", "results_total", "total", 56, 55, -1)]


def test_t4_total(tmp_path, seed_figures_text):
    assert not validate(make_ctx(tmp_path, figures_text(seed_figures_text, review=[1, 0, 0, 0, 1]))).findings
    result = validate(make_ctx(tmp_path, figures_text(seed_figures_text, litigation_direct=[1, 0, 0, 1, 1])))
    assert [brief(f) for f in result.findings] == [
        ("T4-TOTAL", "error", "表四", "litigation_direct", "total", 2, 1, -1)]
    assert result.findings[0].row_label == "未经复议直接起诉" and result.findings[0].column_label == "总计"


# --------------------------------------------------------------------------------------------------
# Types and ranges; missing values are reported as missing, never as 0


@pytest.mark.parametrize("written, shown", [('"/"', "/"), ('"—"', "—"), ("无", "无"), ("", "（空白）")])
def test_missing_value_in_a_count_cell(tmp_path, seed_figures_text, written, shown):
    text = figures_text(seed_figures_text, regulations={"issued": written, "repealed": 0, "in_force": 0})
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("TYPE-MISSING", "error", "表二", "regulations", "issued", "填写数值（没有发生的填 0）", shown, None)]
    assert "不是 0" in result.findings[0].message and result.findings[0].line == 9


def test_slash_in_table3_is_missing_not_zero(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, withheld_state_secret=['"/"', 0, 0, 0, 0, 0, 0])
    ctx = make_ctx(tmp_path, text)
    assert ctx.figures.get("table3", "withheld_state_secret", "natural_person") is None
    result = validate(ctx)
    # Only the missing cell: sums that would need it are not computed (a "/" is not 0) …
    assert [brief(f) for f in result.findings] == [
        ("TYPE-MISSING", "error", "表三", "withheld_state_secret", "natural_person", "填写数值（没有发生的填 0）", "/", None)]
    assert result.findings[0].row_label == "1.属于国家秘密"
    suites = {s["rule_id"]: s for s in result.suites}
    row_total = suites["T3-ROW-TOTAL"]["expectations"][0]
    assert row_total["gx_batch_result"]["missing_count"] == 1  # … GX skipped that row: missing, not 0
    # … and the figures were not touched
    assert ctx.figures.get("table3", "withheld_state_secret", "natural_person") is None


def test_missing_row_reports_every_cell_as_missing(tmp_path, seed_figures_text):
    text = re.sub(r"(?m)^  review:.*\n", "", seed_figures_text)
    result = validate(make_ctx(tmp_path, text))
    assert [(f.rule_id, f.row, f.column, f.actual) for f in result.findings] == [
        ("TYPE-MISSING", "review", c, "（缺少此行）") for c in ("upheld", "corrected", "other", "pending", "total")]
    assert "缺少此行" in result.findings[0].message


def test_not_a_number(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, licensing={"decisions": '"78,395"'})
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("TYPE-NUMBER", "error", "表二", "licensing", "decisions", "半角阿拉伯数字", "78,395", None)]
    assert "千分位" in result.findings[0].message  # the loader's message says how to fix it
    text = figures_text(seed_figures_text, penalties={"decisions": "２０７２"})
    assert [brief(f) for f in validate(make_ctx(tmp_path, text)).findings] == [
        ("TYPE-NUMBER", "error", "表二", "penalties", "decisions", "半角阿拉伯数字", "２０７２", None)]


@pytest.mark.parametrize("written", ["2.5", "3.0"])
def test_count_must_be_an_integer(tmp_path, seed_figures_text, written):
    text = figures_text(seed_figures_text, review=[0, 0, 0, 0, written])
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("TYPE-INTEGER", "error", "表四", "review", "total", "整数", written, None)]


def test_negative_count(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, enforcement={"decisions": -415})
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("TYPE-NEGATIVE", "error", "表二", "enforcement", "decisions", "非负数", "-415", None)]


@pytest.mark.parametrize("amount, ok", [("3197.1919", True), ("3197.19190", True), ("0", True),
                                        ("3197.19191", False), ("-1.5", False)])
def test_fee_four_decimals_pass_five_fail(tmp_path, seed_figures_text, amount, ok):
    text = figures_text(seed_figures_text, fees={"amount": amount})
    result = validate(make_ctx(tmp_path, text))
    if ok:
        assert result.findings == ()
    elif amount.startswith("-"):
        assert [brief(f) for f in result.findings] == [
            ("TYPE-NEGATIVE", "error", "表二", "fees", "amount", "非负数", amount, None)]
    else:
        assert [brief(f) for f in result.findings] == [
            ("TYPE-DECIMALS", "error", "表二", "fees", "amount", "最多 4 位小数", amount, None)]
        assert result.findings[0].column_label == "本年收费金额（单位：万元）"
        assert "不会替您四舍五入" in result.findings[0].message


def test_structural_problems_are_findings(tmp_path, seed_figures_text):
    text = seed_figures_text.replace("  review:", "  reveiw:")
    result = validate(make_ctx(tmp_path, text))
    assert {f.rule_id for f in result.findings} == {"INPUT-FILE", "TYPE-MISSING"}
    unknown = only(result, "INPUT-FILE")[0]
    assert unknown.severity == "error" and unknown.actual == "reveiw" and "review" in unknown.message


# --------------------------------------------------------------------------------------------------
# Across years


def test_carry_over_matches_prior_year(tmp_path, seed_figures_text):
    prior = figures_text(seed_figures_text, year=2021,  # 结转下年度 [2, 0, …, 2]
                         normative_documents={"issued": 0, "repealed": 0, "in_force": 32})
    current = figures_text(seed_figures_text, carried_over=[2, 0, 0, 0, 0, 0, 2], new=[55, 0, 0, 0, 0, 0, 55])
    result = validate(make_ctx(tmp_path, current, prior=prior))
    assert result.findings == ()
    suite = next(s for s in result.suites if s["rule_id"] == "X-CARRY-OVER")
    assert suite["applicable"] and suite["success"]


def test_carry_over_break(tmp_path, seed_figures_text):
    prior = figures_text(seed_figures_text, year=2021, carried_forward=[3, 1, 0, 0, 0, 0, 4],
                         normative_documents={"issued": 0, "repealed": 0, "in_force": 32})
    # this year carries over 2 (自然人) — last year's report said 3 自然人 and 1 商业企业
    current = figures_text(seed_figures_text, carried_over=[2, 0, 0, 0, 0, 0, 2], new=[55, 0, 0, 0, 0, 0, 55])
    ctx = make_ctx(tmp_path, current, prior=prior)
    result = validate(ctx)
    assert [brief(f) for f in result.findings] == [
        ("X-CARRY-OVER", "error", "表三", "carried_over", "natural_person", 3, 2, -1),
        ("X-CARRY-OVER", "error", "表三", "carried_over", "commercial", 1, 0, -1),
        ("X-CARRY-OVER", "error", "表三", "carried_over", "total", 4, 2, -2),
    ]
    assert result.findings[0].row_label == "二、上年结转政府信息公开申请数量"
    assert "2021年报告" in result.findings[0].message


def test_in_force_continuity_is_a_warning(tmp_path, seed_figures_text):
    none_carried = [0] * 7  # so that 上年结转 0 (2022) continues 结转下年度 (2021)
    ok_prior = figures_text(seed_figures_text, year=2021, carried_forward=none_carried,
                            normative_documents={"issued": 2, "repealed": 0, "in_force": 32})
    assert not validate(make_ctx(tmp_path, seed_figures_text, prior=ok_prior)).findings  # 32 + 1 − 0 = 33
    prior = figures_text(seed_figures_text, year=2021, carried_forward=none_carried,
                         normative_documents={"issued": 2, "repealed": 1, "in_force": 30})
    result = validate(make_ctx(tmp_path, seed_figures_text, prior=prior))
    assert [brief(f) for f in result.findings] == [
        ("X-IN-FORCE", "warning", "表二", "normative_documents", "in_force", 31, 33, 2)]
    assert result.findings[0].column_label == "现行有效件数"
    assert (result.status, result.status_code) == ("警告", "warning") and result.passed


def test_unreadable_prior_year_is_an_error(tmp_path, seed_figures_text):
    # an unreadable prior year must not let the carry-over rule pass unchecked (issue #14)
    ctx = make_ctx(tmp_path, seed_figures_text, prior_error="data/2021/zhungeer/figures.yaml:3: YAML 格式错误")
    result = validate(ctx)
    assert [(f.rule_id, f.severity) for f in result.findings] == [("X-PRIOR-UNREADABLE", "error")]
    assert "data/2021/zhungeer/figures.yaml:3: YAML 格式错误" in result.findings[0].message
    assert not result.passed and result.status_code == "failed"
    suite = next(s for s in result.suites if s["rule_id"] == "X-CARRY-OVER")
    assert suite["reason"] == "上年数据文件无法读取"


# --------------------------------------------------------------------------------------------------
# Plausibility


def test_regulations_from_a_county_are_implausible(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, regulations={"issued": 1, "repealed": 0, "in_force": 1})
    result = validate(make_ctx(tmp_path, text))
    assert [brief(f) for f in result.findings] == [
        ("P-RULEMAKING", "warning", "表二", "regulations", "issued", 0, 1, 1),
        ("P-RULEMAKING", "warning", "表二", "regulations", "in_force", 0, 1, 1),
    ]
    assert "县级人民政府" in result.findings[0].message and result.status == "警告"


@pytest.mark.parametrize("unit", [
    Unit(id="ordos", name="鄂尔多斯市人民政府", level="city"),
    Unit(id="nmg", name="内蒙古自治区人民政府", level="province"),
    Unit(id="zhungeer", name="准格尔旗人民政府", level="county", rulemaking=True),
])
def test_regulations_from_a_rulemaking_body_pass(tmp_path, seed_figures_text, unit):
    text = figures_text(seed_figures_text, regulations={"issued": 1, "repealed": 0, "in_force": 1})
    text = text.replace("unit: zhungeer", f"unit: {unit.id}")
    result = validate(make_ctx(tmp_path, text, unit=unit))
    assert result.findings == ()
    suite = next(s for s in result.suites if s["rule_id"] == "P-RULEMAKING")
    assert suite["applicable"] is False and suite["reason"] == "本单位可以制定规章"


def test_provincial_department_cannot_make_rules(tmp_path, seed_figures_text):
    unit = Unit(id="nmgjyt", name="内蒙古自治区教育厅", level="province", kind="department")
    text = figures_text(seed_figures_text, regulations={"issued": 0, "repealed": 2, "in_force": 0})
    text = text.replace("unit: zhungeer", "unit: nmgjyt")
    result = validate(make_ctx(tmp_path, text, unit=unit))
    assert [brief(f) for f in result.findings] == [("P-RULEMAKING", "warning", "表二", "regulations", "repealed", 0, 2, 2)]


# --------------------------------------------------------------------------------------------------
# Many units, one engine; results, evidence and the registry


def test_many_units_in_one_call_run_each_suite_once(tmp_path, seed_figures_text):
    from nianbao.validation.engine import engine

    units = [Unit(id=f"u{i}", name=f"单位{i}", level="county") for i in range(5)]
    contexts = []
    for i, u in enumerate(units):
        text = seed_figures_text.replace("unit: zhungeer", f"unit: {u.id}")
        if i == 3:
            text = figures_text(text, new=[56, 0, 0, 0, 0, 1, 57])
        contexts.append(make_ctx(tmp_path, text, unit=u))
    eng = engine()
    before = eng.runs
    results = validate_units(contexts)
    assert eng.runs - before == 10  # one GX run per applicable rule, not one per unit
    assert engine() is eng
    assert [r.status_code for r in results.values()] == ["passed", "passed", "passed", "failed", "passed"]
    assert [brief(f) for f in results["u3"].findings] == [
        ("T3-IDENTITY", "error", "表三", "new+carried_over", "natural_person", 57, 56, -1),
        ("T3-IDENTITY", "error", "表三", "new+carried_over", "other_org", 0, 1, 1),
    ]
    assert all(f.unit == "u3" and f.year == 2022 for f in results["u3"].findings)
    identity = next(s for s in results["u3"].suites if s["rule_id"] == "T3-IDENTITY")["expectations"][0]
    assert (identity["success"], identity["unexpected_count"], identity["element_count"]) == (False, 2, 7)
    assert identity["gx_batch_result"]["element_count"] == 35
    with pytest.raises(ValueError):
        validate_units([contexts[0], contexts[0]])


def test_validation_json_is_deterministic_and_complete(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, new=[56, 0, 0, 0, 0, 1, 57])
    a = validate(make_ctx(tmp_path, text)).to_bytes()
    b = validate(make_ctx(tmp_path, text)).to_bytes()
    assert a == b
    data = json.loads(a)
    assert list(data) == sorted(data)
    assert data["status"] == "不通过" and data["counts"] == {"error": 2, "warning": 0}
    assert data["findings"][0] == {
        "rule_id": "T3-IDENTITY", "severity": "error", "check": "form-rules", "table": "table3", "table_name": "表三",
        "row": "new+carried_over", "row_label": "一、本年新收＋二、上年结转", "column": "natural_person",
        "column_label": "自然人", "expected": 57, "actual": 56, "difference": -1, "unit": "zhungeer", "year": 2022,
        "file": "data/2022/zhungeer/figures.yaml", "message": data["findings"][0]["message"],
        "description": "表三各列：第一项加第二项之和，等于第三项加第四项之和",
        "expectation": "expect_column_pair_values_to_be_equal",
    }
    gx = data["checks"]["form-rules"]["evidence"]
    assert gx["tool"] == "great_expectations" and gx["version"].startswith("1.")
    suite = next(s for s in gx["suites"] if s["rule_id"] == "T3-IDENTITY")
    assert suite["suite"] == "gov2021.T3-IDENTITY" and suite["success"] is False
    assert suite["expectations"][0]["type"] == "expect_column_pair_values_to_be_equal"
    assert suite["expectations"][0]["kwargs"] == {"column_A": "actual", "column_B": "expected",
                                                  "ignore_row_if": "either_value_is_missing"}
    assert not re.search(rb"[0-9a-f]{8}-[0-9a-f]{4}-", a)  # no GX ids, timestamps or run names
    assert b"validated_at" not in a and b"run_time" not in a


def test_decimal_fee_round_trips_as_text(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, fees={"amount": "3197.19191"})
    data = json.loads(validate(make_ctx(tmp_path, text)).to_bytes())
    assert data["findings"][0]["actual"] == "3197.19191"


def test_registered_check_adds_findings_with_labels_filled(tmp_path, seed_figures_text):
    seen = []

    def lint(ctx):
        seen.append((ctx.unit.id, ctx.year, ctx.narrative, ctx.prior))
        return [Finding(rule_id="NARR-FIGURE", severity="error", message="叙述说共收到申请58件，表三为57件。",
                        table="table3", row="new", column="total", expected=57, actual=58, difference=1),
                Finding(rule_id="NARR-YEAR", severity="warning", message="<b>2021</b>年政务公开工作要点")]

    checks.register("test-lint", lint)
    try:
        result = validate(make_ctx(tmp_path, seed_figures_text))
    finally:
        checks.unregister("test-lint")
    assert seen == [("zhungeer", 2022, None, None)]
    assert [(f.rule_id, f.check, f.table_name, f.row_label, f.column_label, f.unit) for f in result.findings] == [
        ("NARR-FIGURE", "test-lint", "表三", "一、本年新收政府信息公开申请数量", "总计", "zhungeer"),
        ("NARR-YEAR", "test-lint", None, None, None, "zhungeer"),
    ]
    assert result.checks["test-lint"] == {"findings": 2}
    from nianbao.present.validation import section_html

    html, _ = section_html(result)
    assert "&lt;b&gt;2021&lt;/b&gt;" in html and "<b>2021" not in html


def test_register_refuses_a_second_check_with_the_same_name():
    def one(ctx):
        return []

    checks.register("test-dup", one)
    try:
        with pytest.raises(ValueError):
            checks.register("test-dup", lambda ctx: [])
        checks.register("test-dup", one)  # the same function again is fine (module re-import)
    finally:
        checks.unregister("test-dup")


def test_no_progress_bars_or_output(tmp_path, seed_figures_text, capfd):
    validate(make_ctx(tmp_path, figures_text(seed_figures_text, new=[56, 0, 0, 0, 0, 1, 57])))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_html_blocks(tmp_path, seed_figures_text):
    from nianbao.present.validation import banner_block, section_block

    failed = validate(make_ctx(tmp_path, figures_text(seed_figures_text, new=[56, 0, 0, 0, 0, 1, 57])))
    banner = banner_block(failed)
    assert 'role="alert"' in banner.html and "数据校验未通过" in banner.html and "2 个错误" in banner.html
    section = section_block(failed)
    bundle = section._repr_mimebundle_()
    assert bundle[MIME]["status"] == "不通过"
    assert "<h2>数据校验结果</h2>" in section.html
    assert section.html.count('data-rule="T3-IDENTITY" data-table="table3"') == 2
    assert "1. [错误] T3-IDENTITY 表三" in section.text
    passed = validate(make_ctx(tmp_path, seed_figures_text))
    quiet = banner_block(passed)
    assert "role=\"alert\"" not in quiet.html and "通过" in quiet.html
    assert "未发现问题" in section_block(passed).html
    # the runner's extractor finds the JSON in an executed notebook and writes the same bytes
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data", "data": bundle}]}]}
    assert extract_validation_json(nb) == failed.to_bytes()
    assert extract_validation_json({"cells": []}) is None


def test_findings_never_change_figures(tmp_path, seed_figures_text):
    text = figures_text(seed_figures_text, new=[56, 0, 0, 0, 0, 1, 57], carried_forward=['"/"', 0, 0, 0, 0, 0, 2])
    ctx = make_ctx(tmp_path, text)
    before = {k: dict(v) for k, v in ctx.figures.values.items()}
    validate(ctx)
    assert ctx.figures.values == before
    assert ctx.figures.get("table3", "new", "total") == 57
    assert ctx.figures.get("table3", "carried_forward", "natural_person") is None
    assert isinstance(ctx.figures.get("table2", "fees", "amount"), Decimal)
