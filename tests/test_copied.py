"""Text copied from last year: the measure (nianbao.copied) and its warnings in the narrative checks."""
from __future__ import annotations

import pytest

from conftest import REPO
from nianbao import copied
from nianbao.cli import main
from nianbao.figures import load_figures
from nianbao.forms import get as get_form
from nianbao.lint import narrative_check
from nianbao.narrative import load_narrative, render_narrative
from nianbao.project import Project
from nianbao.validation import load_context

FORM = get_form("gov2021")
# Two invented passages of 30 characters with no 12-character run in common.
OLD = "本单位坚持把政务公开作为转变政府职能的重要抓手持续推进"
NEW = "今年新开设了群众意见征集专栏并按月汇总回复处理情况以便"


@pytest.mark.parametrize("text, normalised", [
    ("共收到申请57件", "共收到申请0件"),
    ("共收到申请{{ table3.new.total }}件", "共收到申请0件"),
    ("共收到申请五十七件，增长9.6%。", "共收到申请0件,增长0。"),
    ("## 一、总体情况\n### （一）主动公开\n正文 **加粗**", "正文加粗"),
    ("全角１２３，半角", "全角0,半角"),
    ("{% if x %}有{% endif %}", "0有0"),
])
def test_normalise_puts_figures_and_placeholders_aside(text, normalised):
    assert copied.normalise(text).text == normalised


def test_compare_counts_the_copied_characters_exactly():
    assert len(copied.normalise(OLD).text) == len(copied.normalise(NEW).text) == 27
    c = copied.compare(OLD + NEW, OLD)
    assert (c.chars, c.copied, c.percent, c.longest) == (54, 27, 50, OLD)
    assert copied.compare(NEW, OLD).copied == 0
    assert copied.compare(NEW, OLD).longest == "" and copied.compare(NEW, OLD).longest_at == -1


def test_reordered_paragraphs_and_changed_figures_are_still_copied():
    last = f"{OLD}2022年共{{{{ table3.new.total }}}}件。\n\n{NEW}"
    this = f"{NEW}\n\n{OLD}2023年共58件。"
    c = copied.compare(this, last)
    assert (c.copied, c.chars, c.percent) == (c.chars, 60, 100)


def test_longest_passage_is_shown_as_written_this_year():
    last = "全年共收到申请{{ table3.new.total }}件，" + OLD
    this = NEW + "全年共收到申请58件，" + OLD
    c = copied.compare(this, last)
    assert c.longest == "全年共收到申请58件，" + OLD
    assert c.longest_at == len(NEW)


def test_plain_text_of_an_imported_report_compares_with_a_narrative_source(project_dir):
    """The 2022 narrative as published (placeholders rendered to numbers) against its own source: 100%."""
    project = Project(project_dir)
    figures = load_figures(project.figures_file("zhungeer", 2022))
    source = load_narrative(project.narrative_file("zhungeer", 2022), FORM)
    rendered = render_narrative(source, figures, "准格尔旗人民政府")
    published = {k: p.text for k, p in rendered.sections.items()}
    assert "{{" not in published["overview"] and "57" in published["overview"]
    result = copied.compare_sections(published, {k: p.text for k, p in source.sections.items()})
    # overview: "7000余" renders one character (余) more than its placeholder; other: {{ std.fees() }}
    # renders to a whole standard sentence that the source does not contain.
    assert {k: c.percent for k, c in result.items()} == {"overview": 99, "problems": 100, "other": 86}


def _copied_findings(project_dir, year=2023):
    project = Project(project_dir)
    ctx, _ = load_context(project, project.units().get("zhungeer"), year)
    return [f for f in narrative_check(ctx) if f.rule_id.startswith("NARR-COPIED")]


def test_narrative_scaffolded_unchanged_from_last_year_warns_per_section(project_dir, capsys):
    assert main(["new", "--unit", "zhungeer", "--year", "2023", "--project", str(project_dir)]) == 0
    found = _copied_findings(project_dir)
    assert [(f.rule_id, f.severity, f.line, f.actual, f.file) for f in found] == [
        ("NARR-COPIED", "warning", 5, "100%", "data/2023/zhungeer/narrative.md"),
        ("NARR-COPIED-PROBLEMS", "warning", 29, "100%", "data/2023/zhungeer/narrative.md"),
        ("NARR-COPIED", "warning", 39, "100%", "data/2023/zhungeer/narrative.md"),
    ]
    overview, problems, other = found
    assert overview.message.startswith("“一、总体情况”有 100% 的文字与2022年报告相同（不计数字和占位符），最长的一段相同文字：“")
    assert "准格尔旗以习近平新时代中国特色社会主义思想为指导" in overview.message
    assert other.message.startswith("“六、其他需要报告的事项”有 100% 的文字与2022年报告相同")
    assert problems.message.startswith("第五部分“存在的主要问题及改进情况”与2022年报告的这一部分相同（100%")


REWRITTEN = {
    "overview": "{{ year }}年，全旗以群众需求为导向开展政务公开，重点做好惠企政策、乡村振兴和民生实事信息的发布。\n\n"
                "### （一）主动公开\n\n全年主动公开政府文件{{ fact.documents_published }}份，新建惠企政策专区并逐条配发图文解读。\n\n"
                "### （二）依申请公开\n\n本年度新收申请{{ table3.new.total }}件，对答复文书实行法制审核后再送达。\n\n"
                "### （三）政府信息管理\n\n对已公开的政策文件逐件标注有效性，失效文件集中归档。\n\n"
                "### （四）平台建设\n\n完成政府网站适老化改造，政务新媒体统一纳入监测平台。\n\n"
                "### （五）监督保障\n\n把政务公开纳入各单位绩效考核，每半年通报一次。",
    "problems": "（一）存在的主要问题\n\n乡镇一级公开内容仍偏重结果，过程信息偏少；部分解读材料篇幅长、不易读懂。\n\n"
                "（二）改进情况\n\n上年度指出的人员不足问题，已通过各单位明确一名专职联络员解决；下一步将编写解读写作指引，"
                "并对乡镇公开目录逐项补充过程信息。",
    "other": "（一）收取信息处理费情况\n\n{{ std.fees() }}\n\n（二）其他事项\n\n本年度按照上级部署制定本旗落实方案，"
             "列出二十项任务清单并逐月调度完成情况。",
}


def _write_sections(project_dir, texts: dict) -> None:
    path = project_dir / "data/2023/zhungeer/narrative.md"
    text = path.read_text(encoding="utf-8")
    narrative = load_narrative(path, FORM)
    for key, body in texts.items():
        text = text.replace(narrative.sections[key].text, body)
    path.write_text(text, encoding="utf-8")


def test_rewritten_sections_do_not_warn(project_dir, capsys):
    assert main(["new", "--unit", "zhungeer", "--year", "2023", "--project", str(project_dir)]) == 0
    _write_sections(project_dir, {"problems": REWRITTEN["problems"]})
    assert [(f.rule_id, f.line) for f in _copied_findings(project_dir)] == [("NARR-COPIED", 5), ("NARR-COPIED", 39)]
    _write_sections(project_dir, {"overview": REWRITTEN["overview"], "other": REWRITTEN["other"]})
    assert _copied_findings(project_dir) == []
    shares = copied.compare_sections(
        {k: p.text for k, p in load_narrative(project_dir / "data/2023/zhungeer/narrative.md", FORM).sections.items()},
        {k: p.text for k, p in load_narrative(REPO / "data/2022/zhungeer/narrative.md", FORM).sections.items()})
    assert all(c.share < copied.THRESHOLD for c in shares.values()), {k: c.percent for k, c in shares.items()}


def test_section_five_partly_copied_is_the_general_warning(project_dir, capsys):
    assert main(["new", "--unit", "zhungeer", "--year", "2023", "--project", str(project_dir)]) == 0
    old = load_narrative(project_dir / "data/2023/zhungeer/narrative.md", FORM).sections["problems"].text
    first, _, second = old.partition("（二）改进情况")
    _write_sections(project_dir, {"problems": first + REWRITTEN["problems"].split("（二）改进情况")[1]})
    found = [f for f in _copied_findings(project_dir) if f.line and f.line >= 29 and f.line < 39]
    assert [(f.rule_id, f.actual) for f in found] == [("NARR-COPIED", f"{copied.compare(first + REWRITTEN['problems'].split('（二）改进情况')[1], old).percent}%")]
    assert 50 <= copied.compare(first + REWRITTEN["problems"].split("（二）改进情况")[1], old).percent < 95


def test_no_prior_narrative_no_copied_findings(project_dir):
    assert _copied_findings(project_dir, 2022) == []
