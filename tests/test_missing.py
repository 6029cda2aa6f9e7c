"""Missing is missing everywhere (issue 17): no sentence or helper derives a figure from a missing cell,
rules that could not be checked say so, and missing cells are reported in groups people can read.

Fixture: ``fixtures/missing/org_columns_blank.figures.yaml`` — the seed unit's figures with the five
法人或其他组织 columns of 表三 blank (~, except row 5 holding "/" and row 15 holding an empty string), as a
real county department's 2023 report printed them.
"""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import REPO
from nianbao.errors import InputError
from nianbao.report import open_report

FIXTURES = REPO / "tests/fixtures/missing"
SEED_FIGURES = REPO / "data/2022/zhungeer/figures.yaml"


def with_org_columns_blank(project_dir):
    shutil.copy(FIXTURES / "org_columns_blank.figures.yaml", project_dir / "data/2022/zhungeer/figures.yaml")
    return project_dir


def rendered(project_dir, body: str | None, section: str = "overview") -> str:
    path = project_dir / "data/2022/zhungeer/narrative.md"
    if body is None:
        path.unlink()
    else:
        path.write_text(f"## 一、总体情况\n\n{body}\n", encoding="utf-8")
    return open_report("zhungeer", 2022, project_dir, strict=False).rendered.text(section)


# -- 1. sentences and helpers never derive a figure from a missing cell --------------------------------

ORG_REFS = ("表三「一、本年新收政府信息公开申请数量」列「商业企业」、表三「一、本年新收政府信息公开申请数量」列「科研机构」、"
            "表三「一、本年新收政府信息公开申请数量」列「社会公益组织」等 5 个单元格")
NEVER_PRINTED = ("未填报，叙述中不能引用它，也不能引用由它算出的数字。请先在数据文件中填写；确实未统计的，"
                 "可用 {% if … is missing %}…{% else %}…{% endif %} 另写一句说明未填报。")


@pytest.mark.parametrize("body", ["{{ table3.new.total - table3.new.natural_person }}",
                                  "{{ table3.new.total.value - table3.new.natural_person.value }}",
                                  "{{ table3.new.total - table3.new.natural_person - 0 }}"])
def test_a_total_minus_a_part_is_missing_when_the_other_parts_are(project_dir, body):
    with pytest.raises(InputError) as exc:
        rendered(with_org_columns_blank(project_dir), body)
    assert str(exc.value) == f"data/2022/zhungeer/narrative.md:3: {ORG_REFS}{NEVER_PRINTED}"


@pytest.mark.parametrize("body, text", [
    ("{{ table3.new.total - table3.new.natural_person }}", "0"),  # every part reported: a number
    ("{{ table3.results_total.total - table3.disclosed.total }}", "37"),  # per column: the outcome rows
    ("{{ table3.new.total - table3.carried_over.total }}", "57"),  # not a part: plain arithmetic
])
def test_a_total_minus_a_part_is_a_number_when_every_part_is_reported(project_dir, body, text):
    assert rendered(project_dir, body) == text


def test_standard_sentence_with_every_figure_reported_is_unchanged(project_dir):
    text = rendered(project_dir, None)
    assert "（其中自然人提出57件，法人或其他组织提出0件），上年结转0件。" in text


def test_standard_sentence_says_not_reported_instead_of_a_computed_zero(project_dir):
    text = rendered(with_org_columns_blank(project_dir), None)
    assert ("本年度共收到政府信息公开申请57件（其中自然人提出57件，法人或其他组织提出的件数未填报），上年结转0件。"
            "本年度办结55件，其中予以公开18件、部分公开1件、无法提供33件、其他处理3件；结转下年度继续办理2件。"
            "本年度未发生因政府信息公开引起的行政复议和行政诉讼。") in text
    assert "提出0件" not in text


def test_standard_sentence_with_every_figure_reported_is_unchanged(project_dir):
    """The organisations' figure is the sum of their columns (not 总计 − 自然人): same words for the seed."""
    text = rendered(project_dir, None)
    assert "（其中自然人提出57件，法人或其他组织提出0件），上年结转0件。" in text


def test_standard_sentences_word_each_missing_figure(project_dir):
    fig = SEED_FIGURES.read_text(encoding="utf-8")
    fig = (fig.replace("carried_over:                [0, 0, 0, 0, 0, 0, 0]", "carried_over:                [0, 0, 0, 0, 0, 0, ~]")
              .replace("licensing: {decisions: 78395}", "licensing: {decisions: ~}")
              .replace("review:                  [0, 0, 0, 0, 0]", "review:                  [0, 0, 0, 0, '']")
              .replace("processing_fee: {value: 0,", "processing_fee: {value: ~,"))
    (project_dir / "data/2022/zhungeer/figures.yaml").write_text(fig, encoding="utf-8")
    (project_dir / "data/2022/zhungeer/narrative.md").unlink()
    report = open_report("zhungeer", 2022, project_dir, strict=False)
    overview, other = report.rendered.text("overview"), report.rendered.text("other")
    assert "作出行政许可决定的件数未填报、行政处罚决定2072件、行政强制决定415件。" in overview
    assert "（其中自然人提出57件，法人或其他组织提出0件），上年结转的件数未填报。" in overview
    assert "结转下年度继续办理2件。本年度因政府信息公开引起行政复议的件数未填报，行政诉讼0件。" in overview
    assert other == "【待填写：本年度是否收取政府信息公开信息处理费及金额（数据文件中 facts.processing_fee 未填报，单位：元）。】"


@pytest.mark.parametrize("placeholder, refs", [
    ("{{ table3.new.commercial }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
    ("{{ table3.group('（四）无法提供').commercial }}",
     "表三「1.本机关不掌握相关政府信息」列「商业企业」、表三「2.没有现成信息需要另行制作」列「商业企业」、"
     "表三「3.补正后申请内容仍不明确」列「商业企业」"),
    ("{{ total(table3.new.natural_person, table3.new.research) }}", "表三「一、本年新收政府信息公开申请数量」列「科研机构」"),
    ("{{ table3.new.total - table3.new.other_org }}", "表三「一、本年新收政府信息公开申请数量」列「其他」"),
    ("{{ table3.new.other_org.value + 1 }}", "表三「一、本年新收政府信息公开申请数量」列「其他」"),
    ("{{ table3.new.commercial * 2 }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
    ("{{ share(table3.new.commercial, table3.new.total) }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
    ("{{ cn(table3.new.commercial) }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
    ("{{ table3.new.commercial | wan }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
    ("{{ table3.new.commercial | abs }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
    ("{{ table3.new.commercial.with_unit }}", "表三「一、本年新收政府信息公开申请数量」列「商业企业」"),
])
def test_a_value_computed_from_a_missing_cell_is_missing_and_never_prints(project_dir, placeholder, refs):
    with pytest.raises(InputError) as exc:
        rendered(with_org_columns_blank(project_dir), f"值：{placeholder}。")
    assert str(exc.value) == (
        f"data/2022/zhungeer/narrative.md:3: {refs}未填报，叙述中不能引用它，也不能引用由它算出的数字。"
        "请先在数据文件中填写；确实未统计的，可用 {% if … is missing %}…{% else %}…{% endif %} 另写一句说明未填报。")


def test_many_missing_cells_are_named_by_the_first_three(project_dir):
    with pytest.raises(InputError) as exc:
        rendered(with_org_columns_blank(project_dir), "\n{{ table3.group('（三）不予公开').research }}")
    assert str(exc.value).startswith(
        "data/2022/zhungeer/narrative.md:4: 表三「1.属于国家秘密」列「科研机构」、表三「2.其他法律行政法规禁止公开」列「科研机构」、"
        "表三「3.危及“三安全一稳定”」列「科研机构」等 8 个单元格未填报，")


@pytest.mark.parametrize("body, doing", [
    ("{% if table3.new.commercial %}有{% endif %}", "无法据此判断（不能当作 0）"),
    ("{% if table3.new.commercial == 0 %}无{% endif %}", "不能与其他数字比较"),
    ("{% if table3.new.total > table3.new.commercial %}多{% endif %}", "不能与其他数字比较"),
    ("{% if table3.new.commercial == table3.new.research %}同{% endif %}", "不能与其他数字比较"),
    ("{% if not table3.new.commercial %}无{% endif %}", "无法据此判断（不能当作 0）"),
])
def test_a_missing_value_is_never_taken_for_zero_in_a_condition(project_dir, body, doing):
    with pytest.raises(InputError) as exc:
        rendered(with_org_columns_blank(project_dir), body)
    assert str(exc.value).startswith(
        f"data/2022/zhungeer/narrative.md:3: 表三「一、本年新收政府信息公开申请数量」列「商业企业」未填报，{doing}。")


def test_text_can_say_a_figure_was_not_reported(project_dir):
    body = ("企业{% if table3.new.commercial is missing %}申请数未填报{% else %}申请{{ table3.new.commercial }}件{% endif %}；"
            "自然人{% if table3.new.natural_person is reported %}申请{{ table3.new.natural_person }}件{% endif %}。")
    assert rendered(with_org_columns_blank(project_dir), body) == "企业申请数未填报；自然人申请57件。"


def test_change_against_a_prior_year_that_left_the_cell_blank(project_dir):
    prior = SEED_FIGURES.read_text(encoding="utf-8").replace("year: 2022", "year: 2021").replace(
        "new:                         [57, 0, 0, 0, 0, 0, 57]", "new:                         [57, 0, 0, 0, 0, 0, ~]")
    (project_dir / "data/2021/zhungeer").mkdir(parents=True)
    (project_dir / "data/2021/zhungeer/figures.yaml").write_text(prior, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        rendered(project_dir, "收到申请{{ table3.new.total }}件，{{ change(table3.new.total) }}。")
    assert str(exc.value).startswith(
        "data/2022/zhungeer/narrative.md:3: 2021年表三「一、本年新收政府信息公开申请数量」列「总计」未填报，")
    body = "{% if change(table3.new.total) is missing %}上年未填报{% endif %}"
    assert rendered(project_dir, body) == "上年未填报"


# -- 2. three outcomes per rule instance ---------------------------------------------------------------

def validated(project_dir):
    from nianbao.project import Project
    from nianbao.validation import load_context, validate_contexts

    project = Project(project_dir)
    ctx, problems = load_context(project, project.units().get("zhungeer"), 2022)
    assert problems == []
    return validate_contexts([ctx])[0]


ORG = ["commercial", "research", "nonprofit", "legal_services", "other_org"]
OUTCOME_ROWS = ["disclosed", "partially_disclosed", "withheld_state_secret", "withheld_prohibited_by_law",
                "withheld_security_stability", "withheld_third_party", "withheld_internal_affairs",
                "withheld_process_info", "withheld_enforcement_files", "withheld_inquiry", "unavailable_not_held",
                "unavailable_needs_creation", "unavailable_unclear", "unprocessed_petition", "unprocessed_duplicate",
                "unprocessed_publication", "unprocessed_excessive", "unprocessed_confirmation", "other_no_correction",
                "other_fee_unpaid", "other_other"]


def holds(row: str) -> str:
    return {"withheld_state_secret": "/", "unavailable_unclear": "（空白）"}.get(row, "~")


def test_json_lists_each_rule_instance_that_could_not_be_checked_with_its_missing_cells(project_dir):
    data = validated(with_org_columns_blank(project_dir)).to_json()
    suites = {s["rule_id"]: s for s in data["checks"]["form-rules"]["evidence"]["suites"]}
    identity = suites["T3-IDENTITY"]
    # 5 of its 7 columns could not be evaluated: not a success, and the evidence says which and why
    assert (identity["outcome"], identity["success"], identity["instances"]) == (
        "not_assessable", False, {"passed": 2, "failed": 0, "not_assessable": 5})
    assert identity["expectations"][0]["success"] is False
    assert identity["expectations"][0]["gx_batch_result"]["success"] is True  # what GX said, kept beside
    assert identity["not_assessable"] == [
        {"table": "table3", "row": "new+carried_over", "column": c,
         "missing": {f"table3/{r}/{c}": "~" for r in ("new", "carried_over", "results_total", "carried_forward")}}
        for c in ORG]
    results_total = suites["T3-RESULTS-TOTAL"]
    assert results_total["instances"] == {"passed": 2, "failed": 0, "not_assessable": 5}
    assert results_total["not_assessable"][0]["missing"] == {
        f"table3/{r}/commercial": holds(r) for r in ["results_total"] + OUTCOME_ROWS}
    row_total = suites["T3-ROW-TOTAL"]
    assert row_total["instances"] == {"passed": 0, "failed": 0, "not_assessable": 25}
    assert row_total["not_assessable"][14] == {
        "table": "table3", "row": "unavailable_unclear", "column": "total",
        "missing": {f"table3/unavailable_unclear/{c}": "（空白）" for c in ORG}}
    # the type rules check the cells that hold something; the blank ones are TYPE-MISSING's failures
    assert suites["TYPE-MISSING"]["instances"] == {"passed": 75, "failed": 125, "not_assessable": 0}
    assert (suites["TYPE-NUMBER"]["instances"], suites["TYPE-NUMBER"]["excluded"]) == (
        {"passed": 75, "failed": 0, "not_assessable": 0}, 125)
    assert {r: s["outcome"] for r, s in suites.items() if s["applicable"]} == {
        "TYPE-MISSING": "failed", "TYPE-NUMBER": "passed", "TYPE-INTEGER": "passed", "TYPE-NEGATIVE": "passed",
        "TYPE-DECIMALS": "passed", "T3-IDENTITY": "not_assessable", "T3-RESULTS-TOTAL": "not_assessable",
        "T3-ROW-TOTAL": "not_assessable", "T4-TOTAL": "passed", "P-RULEMAKING": "passed"}
    assert data["assessment"] == {
        "rules": {"passed": 6, "failed": 1, "not_assessable": 3, "not_applicable": 2},
        "instances": {"passed": 310, "failed": 125, "not_assessable": 35}, "not_assessable_rules": 3}
    assert data["status"] == "不通过（3 条规则因缺失值未能完全校验）" and data["status_code"] == "failed"


def test_the_full_list_of_findings_is_kept_beside_the_groups(project_dir):
    data = validated(with_org_columns_blank(project_dir)).to_json()
    assert len(data["findings"]) == 125 and {f["rule_id"] for f in data["findings"]} == {"TYPE-MISSING"}
    assert data["findings"][0]["actual"] == "~" and data["findings"][20]["actual"] == "/"
    assert data["finding_groups"] == [{
        "rule_id": "TYPE-MISSING", "severity": "error", "table": "table3", "cells": 125,
        "findings": list(range(125)), "file": "data/2022/zhungeer/figures.yaml", "lines": "24–48",
        "holds": {"~": 115, "/": 5, "（空白）": 5},
        "text": "表三「法人或其他组织」5列全部缺失（125个单元格：“~”（未填）115个，“/”（不适用）5个，空白5个）"}]


def test_report_section_never_says_a_plain_pass(project_dir):
    from nianbao.present.validation import banner_html, rules_table, section_html

    result = validated(with_org_columns_blank(project_dir))
    assert banner_html(result)[1] == (
        "数据校验未通过：发现125 个错误，0 个警告。表格数据不一致，本报告不应发布；请核对数据后重新生成。"
        "另有 3 条规则因缺失值未能完全校验。详见“数据校验结果”。")
    html, text = section_html(result)
    assert text.splitlines() == [
        "数据校验结果：不通过（125 个错误，0 个警告；3 条规则因缺失值未能完全校验）",
        "1. [错误] TYPE-MISSING 表三「法人或其他组织」5列全部缺失（125个单元格：“~”（未填）115个，“/”（不适用）5个，空白5个）。"
        "缺失值不是 0：没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。",
        "[未能完全校验] T3-IDENTITY：2 项通过，5 项因缺失值未能校验（表三「法人或其他组织」5列；缺少 20 个单元格的数据）",
        "[未能完全校验] T3-RESULTS-TOTAL：2 项通过，5 项因缺失值未能校验（表三「法人或其他组织」5列；缺少 110 个单元格的数据）",
        "[未能完全校验] T3-ROW-TOTAL：25 项因缺失值未能校验（表三全部25行；缺少 125 个单元格的数据）",
    ]
    assert html.count("<tr class=\"sev-error\"") == 1 and 'data-cells="125"' in html
    rules = rules_table(result)
    assert ('<tr data-rule="T3-IDENTITY">' in rules
            and "未能完全校验（2 项通过，5 项因缺失值未能校验）</td></tr>" in rules.split('<tr data-rule="T3-IDENTITY">')[1])


def test_a_passing_report_with_a_prior_year_left_blank_says_what_was_not_checked(project_dir):
    from nianbao.present.validation import banner_html

    prior = (SEED_FIGURES.read_text(encoding="utf-8").replace("year: 2022", "year: 2021")
             .replace("carried_forward:             [2, 0, 0, 0, 0, 0, 2]", "carried_forward:             [0, ~, ~, ~, ~, ~, 0]")
             .replace("in_force: 33}", "in_force: 32}"))
    (project_dir / "data/2021/zhungeer").mkdir(parents=True)
    (project_dir / "data/2021/zhungeer/figures.yaml").write_text(prior, encoding="utf-8")
    result = validated(project_dir)
    assert (result.status_code, result.counts, result.status) == (
        "passed", {"error": 0, "warning": 0}, "通过（1 条规则因缺失值未能完全校验）")
    carry = next(s for s in result.suites if s["rule_id"] == "X-CARRY-OVER")
    assert carry["instances"] == {"passed": 2, "failed": 0, "not_assessable": 5}
    assert carry["not_assessable"][0] == {"table": "table3", "row": "carried_over", "column": "commercial",
                                          "missing": {"2021:table3/carried_forward/commercial": "~"}}
    html, text = banner_html(result)
    assert text == "数据校验：通过，但有 1 条规则因缺失值未能完全校验（见“数据校验结果”）。"
    assert 'data-status="passed" data-not-assessable="1"' in html


# -- 3. findings grouped for people --------------------------------------------------------------------

def test_validate_prints_a_handful_of_grouped_lines_not_125(project_dir, capsys):
    from nianbao.cli import main

    with_org_columns_blank(project_dir)
    assert main(["validate", "--year", "2022", "--unit", "zhungeer", "--project", str(project_dir)]) == 4
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 7
    assert lines[0] == "准格尔旗人民政府（zhungeer）2022年：不通过（125 个错误，0 个警告；3 条规则因缺失值未能完全校验）"
    assert lines[2].split(None, 7) == [
        "错误", "TYPE-MISSING", "表三", "全部25行", "「法人或其他组织」5列", "填写数值（没有发生的填", "0）",
        "data/2022/zhungeer/figures.yaml:24–48: 表三「法人或其他组织」5列全部缺失（125个单元格：“~”（未填）115个，"
        "“/”（不适用）5个，空白5个）。缺失值不是 0：没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。"]
    assert lines[3:] == [
        "  3 条规则因缺失值未能完全校验（每项所缺的单元格见 --json 输出的 checks.form-rules）：",
        "    T3-IDENTITY：2 项通过，5 项因缺失值未能校验（表三「法人或其他组织」5列；缺少 20 个单元格的数据）",
        "    T3-RESULTS-TOTAL：2 项通过，5 项因缺失值未能校验（表三「法人或其他组织」5列；缺少 110 个单元格的数据）",
        "    T3-ROW-TOTAL：25 项因缺失值未能校验（表三全部25行；缺少 125 个单元格的数据）",
    ]


def test_a_blank_template_gives_a_short_grouped_summary(project_dir, capsys):
    from nianbao.cli import main

    assert main(["template", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir)]) == 0
    (project_dir / "data/2022/zhungeer/figures.yaml").write_text(capsys.readouterr().out, encoding="utf-8")
    (project_dir / "data/2022/zhungeer/narrative.md").unlink()
    assert main(["validate", "--year", "2022", "--unit", "zhungeer", "--project", str(project_dir)]) == 4
    out = capsys.readouterr().out
    advice = "缺失值不是 0：没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。"
    pad = " " * 14
    assert out.splitlines() == [
        "准格尔旗人民政府（zhungeer）2022年：不通过（203 个错误，3 个警告；5 条规则因缺失值未能完全校验）",
        "  级别  规则          表    行        列      应为                        实际  差额  说明",
        f"  错误  TYPE-MISSING  表二  全部6行   全部列  填写数值（没有发生的填 0）{pad}data/2022/zhungeer/figures.yaml:9–17: 表二全部未填（10个单元格）。{advice}",
        f"  错误  TYPE-MISSING  表三  全部25行  全部列  填写数值（没有发生的填 0）{pad}data/2022/zhungeer/figures.yaml:21–45: 表三全部未填（175个单元格）。{advice}",
        f"  错误  TYPE-MISSING  表四  全部3行   全部列  填写数值（没有发生的填 0）{pad}data/2022/zhungeer/figures.yaml:49–51: 表四全部未填（15个单元格）。{advice}",
        "  错误  NARR-FEE                                                                      nianbao 默认叙述模板:19: 第六部分没有说明是否收取政府信息公开信息处理费（收取的请写明金额）。",
        "  错误  NARR-TODO                                                                     nianbao 默认叙述模板:15: 叙述中还有待填写的内容：“【待填写：本年度政府信息公开工作存在的主要问题，以及上年度报告所列问题的改进情况”。",
        "  错误  NARR-TODO                                                                     nianbao 默认叙述模板:19: 叙述中还有待填写的内容：“【待填写：本年度是否收取政府信息公开信息处理费及金额（在数据文件 facts.p”。",
        "  警告  NARR-TOPICS                                                                   nianbao 默认叙述模板:5: 第一部分“总体情况”没有写到“平台建设”（2021 年格式要求的五个方面之一）。",
        "  警告  NARR-TOPICS                                                                   nianbao 默认叙述模板:5: 第一部分“总体情况”没有写到“政府信息管理”（2021 年格式要求的五个方面之一）。",
        "  警告  NARR-TOPICS                                                                   nianbao 默认叙述模板:5: 第一部分“总体情况”没有写到“监督保障”（2021 年格式要求的五个方面之一）。",
        "  5 条规则因缺失值未能完全校验（每项所缺的单元格见 --json 输出的 checks.form-rules）：",
        "    T3-IDENTITY：7 项因缺失值未能校验（表三全部7列；缺少 28 个单元格的数据）",
        "    T3-RESULTS-TOTAL：7 项因缺失值未能校验（表三全部7列；缺少 154 个单元格的数据）",
        "    T3-ROW-TOTAL：25 项因缺失值未能校验（表三全部25行；缺少 175 个单元格的数据）",
        "    T4-TOTAL：3 项因缺失值未能校验（表四全部3行；缺少 15 个单元格的数据）",
        "    P-RULEMAKING：3 项因缺失值未能校验（表二列「本年制发件数」至「现行有效件数」（3列）；缺少 3 个单元格的数据）",
    ]


@pytest.mark.parametrize("edits, line", [
    # consecutive columns of one row
    ({"unavailable_unclear:         [9, 0, 0, 0, 0, 0, 9]": "unavailable_unclear:         [9, 0, ~, ~, ~, 0, 9]"},
     "表三第15行「（四）无法提供 / 3.补正后申请内容仍不明确」列「科研机构」至「法律服务机构」（3列）全部未填（3个单元格）"),
    # a whole row, and two consecutive whole rows
    ({"unavailable_unclear:         [9, 0, 0, 0, 0, 0, 9]": "unavailable_unclear:         ['', '', '', '', '', '', '']"},
     "表三第15行「（四）无法提供 / 3.补正后申请内容仍不明确」整行全部未填（7个单元格）"),
    ({"review:                  [0, 0, 0, 0, 0]": "review:                  [/, /, /, /, /]",
      "litigation_direct:       [0, 0, 0, 0, 0]": "litigation_direct:       [/, /, /, /, /]"},
     "表四第1至2行（「行政复议」至「行政诉讼 / 未经复议直接起诉」）整行全部为“/”（不适用）（10个单元格）"),
    # one whole column: 自然人 written as "—" in every row of 表三
    ("whole column", "表三列「自然人」全部为“—”（25个单元格）"),
])
def test_grouped_lines_are_worded_from_the_form(project_dir, edits, line):
    from nianbao import forms
    from nianbao.validation.grouping import group_findings

    text = SEED_FIGURES.read_text(encoding="utf-8")
    if edits == "whole column":
        head, rest = text.split("\ntable3:", 1)
        t3, tail = rest.split("\ntable4:", 1)
        text = head + "\ntable3:" + re.sub(r"^(  \w+:\s+)\[\d+, ", r"\1[—, ", t3, flags=re.M) + "\ntable4:" + tail
    else:
        for old, new in edits.items():
            assert old in text, old
            text = text.replace(old, new)
    (project_dir / "data/2022/zhungeer/figures.yaml").write_text(text, encoding="utf-8")
    result = validated(project_dir)
    groups = [g for g in group_findings(result.findings, forms.get("gov2021")) if g.grouped]
    assert [g.text for g in groups] == [line]


def test_rendered_report_qualifies_its_pass_when_last_years_cells_are_blank(project_dir, capsys):
    """A real run (papermill + nbconvert HTML): the status line, the section (evidence.html) and
    validation.json say what could not be checked; the report is still 通过 (exit 0), never a plain 通过."""
    import json

    from nianbao.cli import main

    prior = (SEED_FIGURES.read_text(encoding="utf-8").replace("year: 2022", "year: 2021")
             .replace("carried_forward:             [2, 0, 0, 0, 0, 0, 2]", "carried_forward:             [0, ~, ~, ~, ~, ~, 0]")
             .replace("in_force: 33}", "in_force: 32}"))
    (project_dir / "data/2021/zhungeer").mkdir(parents=True)
    (project_dir / "data/2021/zhungeer/figures.yaml").write_text(prior, encoding="utf-8")
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--formats", "html", "--project", str(project_dir)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        "注意：1 条规则因缺失值未能完全校验（见报告中的“数据校验结果”和 validation.json）。")
    out = project_dir / "outputs/2022/zhungeer"
    assert "数据校验" not in (out / "report.html").read_text(encoding="utf-8")  # a pass: the status is evidence
    html = (out / "evidence.html").read_text(encoding="utf-8")
    assert "数据校验：通过，但有 1 条规则因缺失值未能完全校验（见" in html
    assert "数据校验：通过（0 个错误" not in html
    assert "发现错误 0 个、警告 0 个；1 条规则因缺失值未能完全校验。" in html
    assert ("<code>X-CARRY-OVER</code>：2 项通过，5 项因缺失值未能校验（表三「法人或其他组织」5列；缺少 5 个单元格的数据）"
            in html)
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert (data["status"], data["status_code"], data["assessment"]["not_assessable_rules"]) == (
        "通过（1 条规则因缺失值未能完全校验）", "passed", 1)


def test_dashboard_row_says_how_many_rules_could_not_be_checked(tmp_path):
    """What a batch worker reads from validation.json reaches the dashboard row (its 说明 column)."""
    import json

    from nianbao.batch.run import _row_from_record
    from nianbao.batch.worker import _validation

    path = tmp_path / "validation.json"
    path.write_text(json.dumps({"status_code": "passed", "status": "通过（2 条规则因缺失值未能完全校验）",
                                "counts": {"error": 0, "warning": 0}, "assessment": {"not_assessable_rules": 2}}),
                    encoding="utf-8")
    v = _validation(path)
    assert v == {"status_code": "passed", "status": "通过（2 条规则因缺失值未能完全校验）", "errors": 0, "warnings": 0,
                 "not_assessable_rules": 2}
    row = _row_from_record("zhungeer", "准格尔旗人民政府", {"outcome": "ok", "validation": v, "files": {}}, ran=True)
    assert (row.status, row.label, row.message) == ("passed", "通过", "2 条规则因缺失值未能完全校验")


def test_run_refuses_blank_cells_with_one_line_per_group(project_dir, capsys):
    from nianbao.cli import main

    with_org_columns_blank(project_dir)
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--formats", "html", "--project", str(project_dir)]) == 3
    assert capsys.readouterr().err.splitlines() == [
        "nianbao run: 数据文件有 125 处错误：",
        "  - data/2022/zhungeer/figures.yaml:24–48: 表三「法人或其他组织」5列全部缺失（125个单元格：“~”（未填）115个，"
        "“/”（不适用）5个，空白5个）。缺失值不是 0：没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。"]
    assert list((project_dir / "outputs").rglob("*")) == []


def test_a_cell_that_is_not_a_number_cannot_be_checked_by_the_rules_that_read_its_number(project_dir):
    fig = SEED_FIGURES.read_text(encoding="utf-8").replace("penalties: {decisions: 2072}", "penalties: {decisions: 约2千}")
    (project_dir / "data/2022/zhungeer/figures.yaml").write_text(fig, encoding="utf-8")
    result = validated(project_dir)
    assert [(f.rule_id, f.row, f.actual) for f in result.findings] == [("TYPE-NUMBER", "penalties", "约2千")]
    suites = {s["rule_id"]: s for s in result.suites}
    for rule in ("TYPE-INTEGER", "TYPE-NEGATIVE"):
        assert suites[rule]["instances"]["not_assessable"] == 1
        assert suites[rule]["not_assessable"] == [{"table": "table2", "row": "penalties", "column": "decisions",
                                                    "missing": {"table2/penalties/decisions": "约2千"}}]
    from nianbao import forms
    from nianbao.validation.grouping import not_assessable_lines

    assert not_assessable_lines(result, forms.get("gov2021")) == [
        ("TYPE-INTEGER", "198 项通过，1 项因缺失值未能校验（表二第4行「行政处罚」列「本年处理决定数量」；缺少 1 个单元格的数据）"),
        ("TYPE-NEGATIVE", "199 项通过，1 项因缺失值未能校验（表二第4行「行政处罚」列「本年处理决定数量」；缺少 1 个单元格的数据）"),
    ]
