"""Narrative: placeholders bound to the figures, the sandbox, HTML escaping, lint and `nianbao new`."""
from __future__ import annotations

import re

import pytest

from conftest import REPO
from nianbao.cli import main
from nianbao.errors import InputError
from nianbao.lint import lint
from nianbao.report import open_report

SEED_NARRATIVE = REPO / "data/2022/zhungeer/narrative.md"


def set_narrative(project_dir, text: str, year: int = 2022):
    path = project_dir / f"data/{year}/zhungeer/narrative.md"
    path.write_text(text, encoding="utf-8")
    return path


def rendered_overview(project_dir, body: str) -> str:
    set_narrative(project_dir, f"## 一、总体情况\n\n{body}\n")
    return open_report("zhungeer", 2022, project_dir).rendered.text("overview")


@pytest.mark.parametrize("placeholder, text", [
    ("{{ table3.new.total }}", "57"),
    ("{{ 表三.unavailable_unclear.natural_person }}", "9"),
    ("{{ table2.fees.amount }}", "3197.1919"),
    ("{{ table2.licensing.decisions | wan }}", "7.84万"),
    ("{{ fact.items_removed }}", "7000余"),
    ("{{ fact.website_items.with_unit }}", "6361条"),
    ("{{ table3.group('（四）无法提供').total }}", "33"),
    ("{{ total(table3.disclosed.total, table3.partially_disclosed.total) }}", "19"),
    ("{{ table3.results_total.total - table3.disclosed.total }}", "37"),
    ("{{ share(table3.disclosed.total, table3.results_total.total) }}", "32.7%"),
    ("{{ cn(table3.carried_forward.total) }}", "二"),
    ("{{ unit }}{{ year }}", "准格尔旗人民政府2022"),
])
def test_placeholder_renders_the_figure(project_dir, placeholder, text):
    assert rendered_overview(project_dir, f"值：{placeholder}。") == f"值：{text}。"


def test_change_against_prior_year(project_dir):
    prior = (REPO / "data/2022/zhungeer/figures.yaml").read_text(encoding="utf-8")
    prior = prior.replace("year: 2022", "year: 2021").replace(
        "new:                         [57, 0, 0, 0, 0, 0, 57]", "new:                         [52, 0, 0, 0, 0, 0, 52]")
    (project_dir / "data/2021/zhungeer").mkdir(parents=True)
    (project_dir / "data/2021/zhungeer/figures.yaml").write_text(prior, encoding="utf-8")
    text = rendered_overview(project_dir, "{% if prior %}收到申请{{ table3.new.total }}件，{{ change(table3.new.total) }}。{% endif %}")
    assert text == "收到申请57件，较上年增加5件，增长9.6%。"


def test_change_without_prior_year_says_what_is_missing(project_dir):
    with pytest.raises(InputError) as exc:
        rendered_overview(project_dir, "\n{{ change(table3.new.total) }}")
    assert str(exc.value).startswith("data/2022/zhungeer/narrative.md:4: change(表三「一、本年新收政府信息公开申请数量」列「总计」) 需要上年数据")


@pytest.mark.parametrize("body, line, words", [
    ("第一行\n\n共收到{{ table3.neww.total }}件", 5, "未知的表三的行 'neww'。是否应为 new？"),
    ("{{ table3.new.totl }}", 3, "未知的表三「一、本年新收政府信息公开申请数量」的列 'totl'。是否应为 total？"),
    ("{{ fact.nope }}", 3, "未知的叙述数字（facts） 'nope'"),
    ("\n\n{{ tabel3.new.total }}", 5, "未知的占位符（'tabel3' is undefined）"),
    ("{{ table3.new.total ", 3, "占位符写法有误"),
])
def test_unknown_placeholder_names_file_and_line(project_dir, body, line, words):
    with pytest.raises(InputError) as exc:
        rendered_overview(project_dir, body)
    msg = str(exc.value)
    assert msg.startswith(f"data/2022/zhungeer/narrative.md:{line}: ")
    assert words in msg


@pytest.mark.parametrize("attempt", [
    "{{ table3.__class__ }}",
    "{{ table3._table }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ table3.new.total.__class__.__init__.__globals__ }}",
    "{{ unit.__class__.__base__ }}",
    "{{ fact.__dict__ }}",
    "{% import 'os' as os %}{{ os }}",
    "{% include '/etc/passwd' %}",
    "{{ range(10) }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ lipsum.__globals__ }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 999999 }}",
    # the standard-text helper exposes its four sentences and nothing else
    "{{ std.ns }}",
    "{{ std._ns }}",
    "{{ std.ns.figures.path.parent.joinpath('pwned.txt').write_text('owned') }}",
    "{{ std._ns.figures.frame('table3') }}",
    "{{ std.requests.__self__ }}",
    # objects the narrative sees are opaque apart from declared fields
    "{{ table3.new.total.ref.upper() }}",
    "{{ table3.new.total.key }}",
    "{{ unit.ljust(50000000) }}",
    "{{ 'x'.ljust(50000000) }}",
    "{{ ([0] * 10000000) }}",
    "{{ '%050000000d' % 1 }}",
    "{{ '{0.__class__}'.format(unit) }}",
    "{{ unit | attr('__class__') }}",
    "{{ '%s' | format(unit) }}",
    # no loops, macros or recursion
    "{% for i in [0, 0] %}{% for j in [0, 0] %}x{% endfor %}{% endfor %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ cn(table2.licensing.decisions * 100000000000000) }}",
    "{{ table2.fees.amount.value % 0 }}",
])
def test_sandbox_escape_attempts_fail(project_dir, attempt):
    with pytest.raises(InputError) as exc:
        rendered_overview(project_dir, attempt)
    msg = str(exc.value)
    assert msg.startswith("data/2022/zhungeer/narrative.md:3: ")
    assert any(w in msg for w in ("不允许的占位符", "不支持", "未知的占位符", "无法计算", "占位符写法有误", "below 10^16",
                                 "超出叙述计算的限制")), msg
    assert not (project_dir / "data/2022/zhungeer/pwned.txt").exists()


def test_markup_in_text_and_names_is_shown_as_text(project_dir):
    units = project_dir / "params/units.yaml"
    units.write_text(units.read_text(encoding="utf-8").replace("准格尔旗人民政府", "准格尔旗<b>人民</b>政府"), encoding="utf-8")
    set_narrative(project_dir, "## 一、总体情况\n\n<script>alert(1)</script> & {{ unit }} ![logo](http://example.invalid/x.png)\n")
    report = open_report("zhungeer", 2022, project_dir)
    html = report.section("overview").html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "准格尔旗&lt;b&gt;人民&lt;/b&gt;政府" in html
    assert "<img" not in html and "src=" not in html  # a report never loads a remote file
    assert "准格尔旗&lt;b&gt;人民&lt;/b&gt;政府" in report.title().html


def test_images_in_text_show_as_their_description(project_dir):
    set_narrative(project_dir, "## 一、总体情况\n\n见下图 ![办理流程](http://example.invalid/x.png)\n")
    html = open_report("zhungeer", 2022, project_dir).section("overview").html
    assert "example.invalid" not in html and "见下图 <span class=\"nb-image-text\">［图：办理流程］</span>" in html


def test_seed_prose_takes_every_figure_from_data():
    """No count with a measure word is typed into the seed narrative: each comes from a placeholder."""
    source = SEED_NARRATIVE.read_text(encoding="utf-8")
    typed = re.findall(r"\d+\s*(?:件|份|条|篇|个|次|元|万元)", source)
    assert typed == []
    report = open_report("zhungeer", 2022, REPO)
    overview = report.rendered.text("overview")
    for written in ("政府文件224份", "重点领域信息1530条", "政策解读材料116篇", "会议信息37条", "办理结果110条",
                    "共收到政府信息公开申请57件", "网上提交33件", "线下提交24件", "撤回3件", "2件结转下年度",
                    "政务新媒体开展全覆盖检查46次", "7000余条", "6361条", "新增政务新媒体1个", "关停2个", "删除2个",
                    "共有政务新媒体65个"):
        assert written in overview, written
    assert [s.key for s in report.form.sections if report.rendered.text(s.key) or s.table] == [
        "overview", "proactive", "requests", "appeals", "problems", "other"]


def test_lint_is_silent_on_the_seed_unit():
    report = open_report("zhungeer", 2022, REPO)
    assert lint(report.rendered, report.figures) == []


def lint_of(project_dir, text: str, figures_edit=None):
    set_narrative(project_dir, text)
    if figures_edit:
        fig = project_dir / "data/2022/zhungeer/figures.yaml"
        fig.write_text(figures_edit(fig.read_text(encoding="utf-8")), encoding="utf-8")
    report = open_report("zhungeer", 2022, project_dir)
    return lint(report.rendered, report.figures)


def seed_with(section_key: str, new_text: str) -> str:
    """The seed narrative with one section's body replaced."""
    text = SEED_NARRATIVE.read_text(encoding="utf-8")
    heads = {"overview": "## 一、总体情况", "problems": "## 五、存在的主要问题及改进情况", "other": "## 六、其他需要报告的事项"}
    start = text.index(heads[section_key]) + len(heads[section_key])
    nxt = [text.index(h) for h in heads.values() if text.index(h) > start]
    end = min(nxt) if nxt else len(text)
    return text[:start] + "\n\n" + new_text + "\n\n" + text[end:]


def only(findings, rule):
    got = [f for f in findings if f.rule_id == rule]
    others = [f.rule_id for f in findings if f.rule_id != rule]
    assert others == [], others
    return got


@pytest.mark.parametrize("sentence, expected, actual, row", [
    ("全年共收到政府信息公开申请58件。", 57, 58, "new"),
    ("上年结转3件。", 0, 3, "carried_over"),
    ("本年度办结54件。", 55, 54, "results_total"),
    ("另有1件结转下年度继续办理。", 2, 1, "carried_forward"),
    ("结转下年度继续办理4件。", 2, 4, "carried_forward"),
    ("发生行政复议1件。", 0, 1, "review"),
    ("本年度制发行政规范性文件2件。", 1, 2, "normative_documents"),
    ("全年共收到政府信息公开申请五十八件。", 57, 58, "new"),  # Chinese numerals are read too
    ("本年度办结五十件。", 55, 50, "results_total"),
])
def test_lint_number_contradicting_its_figure(project_dir, sentence, expected, actual, row):
    body = SEED_NARRATIVE.read_text(encoding="utf-8").replace("方便群众提出申请。", "方便群众提出申请。" + sentence)
    found = only(lint_of(project_dir, body), "NARR-FIGURE")
    assert [(f.row, f.expected, f.actual, f.severity) for f in found] == [(row, expected, actual, "error")]
    line = next(i for i, l in enumerate(body.splitlines(), 1) if sentence in l)
    assert (found[0].file, found[0].line) == ("data/2022/zhungeer/narrative.md", line)


def test_lint_litigation_is_the_sum_of_both_kinds(project_dir):
    body = SEED_NARRATIVE.read_text(encoding="utf-8").replace("全年未发生因政府信息公开引起的行政复议和行政诉讼。", "发生行政诉讼2件。")
    edit = lambda t: t.replace("litigation_direct:       [0, 0, 0, 0, 0]", "litigation_direct:       [0, 0, 0, 1, 1]").replace(
        "litigation_after_review: [0, 0, 0, 0, 0]", "litigation_after_review: [1, 0, 0, 0, 1]")
    assert lint_of(project_dir, body, edit) == []
    body3 = body.replace("发生行政诉讼2件。", "发生行政诉讼3件。")
    found = only(lint_of(project_dir, body3, edit), "NARR-FIGURE")
    assert [(f.expected, f.actual) for f in found] == [(2, 3)]


def test_lint_statement_that_nothing_happened_against_its_figure(project_dir):
    """The seed's own sentence says no 行政复议 or 行政诉讼 happened: wrong once table 4 has one."""
    edit = lambda t: t.replace("review:                  [0, 0, 0, 0, 0]", "review:                  [1, 0, 0, 0, 1]")
    found = only(lint_of(project_dir, SEED_NARRATIVE.read_text(encoding="utf-8"), edit), "NARR-FIGURE")
    assert [(f.table, f.row, f.column, f.expected, f.actual) for f in found] == [("table4", "review", "total", 1, 0)]
    assert found[0].message.startswith("叙述写“未发生因政府信息公开引起的行政复议”，但行政复议数在表四「行政复议」（总计）中为 1。")


def test_default_text_for_appeals_lists_every_outcome(project_dir):
    (project_dir / "data/2022/zhungeer/narrative.md").unlink()
    fig = project_dir / "data/2022/zhungeer/figures.yaml"
    fig.write_text(fig.read_text(encoding="utf-8").replace(
        "review:                  [0, 0, 0, 0, 0]", "review:                  [1, 0, 2, 1, 4]"), encoding="utf-8")
    report = open_report("zhungeer", 2022, project_dir)
    assert ("本年度因政府信息公开引起行政复议4件（结果维持1件、结果纠正0件、其他结果2件、尚未审结1件），行政诉讼0件。"
            in report.rendered.text("overview"))
    assert not [f for f in lint(report.rendered, report.figures) if f.rule_id == "NARR-FIGURE"]


def test_lint_stale_and_foreign_years(project_dir):
    body = SEED_NARRATIVE.read_text(encoding="utf-8").replace(
        "将落实国务院办公厅年度政务公开工作要点", "将贯彻落实《2021年政务公开工作要点》").replace(
        "一是组织业务培训", "一是延续2019年的做法组织业务培训")
    found = lint_of(project_dir, body)
    assert sorted((f.rule_id, f.actual, f.severity) for f in found) == [
        ("NARR-YEAR", "2019", "warning"), ("NARR-YEAR-STALE", "2021", "warning")]


def test_lint_accepts_next_year_plans_in_section_five(project_dir):
    body = seed_with("problems", "存在的问题：人员不足。改进情况：2023年将加强培训。")
    assert lint_of(project_dir, body) == []


@pytest.mark.parametrize("text, messages", [
    ("无", ["第五部分“存在的主要问题及改进情况”为空或只写“无”。必须写明存在的主要问题和改进情况。"]),
    ("本年度工作人员力量不足。", ["第五部分没有写改进情况（含上年问题的整改）。"]),
    ("本年度组织了培训，完善了制度。", ["第五部分没有写存在的主要问题。"]),
])
def test_lint_section_five(project_dir, text, messages):
    found = only(lint_of(project_dir, seed_with("problems", text)), "NARR-PROBLEMS")
    assert [f.message for f in found] == messages and {f.severity for f in found} == {"error"}


def test_lint_fee_statement_against_the_fee(project_dir):
    charged = lambda t: t.replace("processing_fee: {value: 0,", "processing_fee: {value: 120,")
    found = only(lint_of(project_dir, seed_with("other", "本年度未收取政府信息公开信息处理费。"), charged), "NARR-FEE")
    assert [(f.expected, f.actual) for f in found] == [(120, 0)]
    assert lint_of(project_dir, SEED_NARRATIVE.read_text(encoding="utf-8"), charged) == []  # std.fees() follows the data
    body = seed_with("other", "本年度收取政府信息公开信息处理费100元。")
    found = only(lint_of(project_dir, body, charged), "NARR-FEE")
    assert "写收取信息处理费 100元，但数据中为 120元" in found[0].message
    assert lint_of(project_dir, seed_with("other", "本年度收取政府信息公开信息处理费120元。"), charged) == []
    found = only(lint_of(project_dir, seed_with("other", "（一）其他事项：无。")), "NARR-FEE")
    assert found[0].message == "第六部分没有说明是否收取政府信息公开信息处理费（收取的请写明金额）。"


def test_lint_all_completed_while_carried_forward(project_dir):
    body = SEED_NARRATIVE.read_text(encoding="utf-8").replace("方便群众提出申请。", "方便群众提出申请，申请均已办结。")
    found = only(lint_of(project_dir, body), "NARR-ALL-DONE")
    assert [(f.row, f.expected, f.actual) for f in found] == [("carried_forward", 0, 2)]


def test_default_narrative_for_a_unit_with_no_text(project_dir):
    (project_dir / "data/2022/zhungeer/narrative.md").unlink()
    report = open_report("zhungeer", 2022, project_dir)
    requests = report.rendered.text("overview")
    assert ("本年度共收到政府信息公开申请57件（其中自然人提出57件，法人或其他组织提出0件），上年结转0件。"
            "本年度办结55件，其中予以公开18件、部分公开1件、无法提供33件、其他处理3件；结转下年度继续办理2件。"
            "本年度未发生因政府信息公开引起的行政复议和行政诉讼。") in requests
    assert "本年度制发行政规范性文件1件，废止0件，现行有效33件；作出行政许可决定78395件、行政处罚决定2072件、行政强制决定415件。" in requests
    assert report.rendered.text("other") == "本年度未收取政府信息公开信息处理费。"
    found = lint(report.rendered, report.figures)
    # the standard sentences agree with the tables; what only a person can write is flagged
    assert sorted({f.rule_id for f in found}) == ["NARR-TODO", "NARR-TOPICS"]
    topics = sorted(f.message.split("“")[2].split("”")[0] for f in found if f.rule_id == "NARR-TOPICS")
    assert topics == sorted(["政府信息管理", "平台建设", "监督保障"])
    assert [f.line for f in found if f.rule_id == "NARR-TODO"] == [15]  # the line in narrative_default.md


def test_new_scaffolds_next_year_without_overwriting(project_dir, capsys):
    assert main(["new", "--unit", "zhungeer", "--year", "2023", "--project", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert "193 个表格数字" in out and "已按 2022 年「四、结转下年度继续办理」预填" in out
    fig = (project_dir / "data/2023/zhungeer/figures.yaml").read_text(encoding="utf-8")
    assert "carried_over:                [2, 0, 0, 0, 0, 0, 2]" in fig
    assert (project_dir / "data/2023/zhungeer/narrative.md").read_bytes() == SEED_NARRATIVE.read_bytes()
    from nianbao.errors import FiguresError
    from nianbao.figures import load_figures

    with pytest.raises(FiguresError) as exc:  # an unfilled scaffold can never pass as zeros
        load_figures(project_dir / "data/2023/zhungeer/figures.yaml")
    assert len(exc.value.problems) == 193 + 16 and {p.kind for p in exc.value.problems} == {"missing_value"}
    before = fig
    assert main(["new", "--unit", "zhungeer", "--year", "2023", "--project", str(project_dir)]) == 3
    assert "已存在，nianbao new 不会覆盖" in capsys.readouterr().err
    assert (project_dir / "data/2023/zhungeer/figures.yaml").read_text(encoding="utf-8") == before
