"""The 2019 format pack (国办公开办函〔2019〕60号) and years across the two formats.

The bundled example unit demo2019 (合成数据) has a 2020 report in the 2019 format and a 2021 report in
the 2021 format; its files are the fixtures here (copied, never written).
"""
from __future__ import annotations

import re
import unicodedata

import pytest

from conftest import REPO
from nianbao import forms
from nianbao.cells import parse_cell
from nianbao.cli import main
from nianbao.errors import InputError
from nianbao.figures import load_figures
from nianbao.units import Unit
from nianbao.validation import validate_contexts
from nianbao.validation.checks import CheckContext

UNIT = Unit(id="demo2019", name="示例县示范局（合成数据）", level="county", kind="department")
Y2020 = (REPO / "data/2020/demo2019/figures.yaml").read_text(encoding="utf-8")
Y2021 = (REPO / "data/2021/demo2019/figures.yaml").read_text(encoding="utf-8")
F2019 = forms.get("gov2019")


def set_cell(text: str, row: str, column, value: str) -> str:
    """Replace one cell of a figures file: ``column`` is a key (block tables) or an index (list rows)."""
    pattern = re.compile(rf"^(  {row}:\s*)(\{{.*\}}|\[.*\])(.*)$", re.M)
    m = pattern.search(text)
    assert m, row
    body = m.group(2)
    if isinstance(column, int):
        cells = body[1:-1].split(", ")
        cells[column] = value
        body = "[" + ", ".join(cells) + "]"
    else:
        body, n = re.subn(rf"\b{column}: [^,}}]+", f"{column}: {value}", body)
        assert n == 1, (row, column)
    return text[:m.start()] + m.group(1) + body + m.group(3) + text[m.end():]


def context(tmp_path, text: str, year: int, prior: str | None = None, name: str = "c") -> CheckContext:
    folder = tmp_path / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{year}.yaml"
    path.write_text(text, encoding="utf-8")
    fig = load_figures(path, strict=False, display=f"data/{year}/demo2019/figures.yaml")
    prior_fig = None
    if prior is not None:
        ppath = folder / f"{year - 1}.yaml"
        ppath.write_text(prior, encoding="utf-8")
        prior_fig = load_figures(ppath, strict=False, display=f"data/{year - 1}/demo2019/figures.yaml")
    return CheckContext(unit=UNIT, year=year, figures=fig, prior=prior_fig)


def brief(f):
    return (f.rule_id, f.table_name, f.row_label, f.column_label, f.expected, f.actual)


# --------------------------------------------------------------------------------------------------
# The pack


def test_for_year_picks_the_format_and_names_both_when_none_applies():
    assert forms.for_year(2019) is F2019 and forms.for_year(2020) is F2019
    assert forms.for_year(2021) is forms.get("gov2021")
    with pytest.raises(InputError) as exc:
        forms.for_year(2018)
    assert str(exc.value) == ("没有适用于 2018 年的报告格式定义（已有: gov2019（国办公开办函〔2019〕60号，2019–2020）；"
                              "gov2021（国办公开办函〔2021〕30号，2021–））。")
    with pytest.raises(InputError, match="未知的报告格式 'gov2017'；可用的报告格式：gov2019、gov2021。"):
        forms.get("gov2017")


def test_the_2019_tables_are_as_printed():
    t2 = F2019.table("table2")
    assert [(b.label, [c.label for c in b.columns], [r.label for r in b.rows]) for b in t2.blocks] == [
        ("第二十条第（一）项", ["本年新制作数量", "本年新公开数量", "对外公开总数量"], ["规章", "规范性文件"]),
        ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"], ["行政许可", "其他对外管理服务事项"]),
        ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"], ["行政处罚", "行政强制"]),
        ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], ["行政事业性收费"]),
        ("第二十条第（九）项", ["采购项目数量", "采购总金额"], ["政府集中采购"]),
    ]
    assert [c.type for c in t2.blocks[1].columns] == ["count", "signed", "count"]
    t3 = F2019.table("table3")
    assert len(t3.rows) == 23 and len(t3.columns) == 7
    other = t3.row("other_processing")
    assert (other.number, other.label, other.groups) == (21, "（六）其他处理", ("三、本年度办理结果",))
    assert [r.key for r in t3.rows] == [r.key for r in forms.get("gov2021").table("table3").rows
                                        if not r.key.startswith("other_")][:20] + ["other_processing", "results_total",
                                                                                   "carried_forward"]
    assert len(list(F2019.table("table4").cells())) == 15
    assert [s["url"].split("/")[2] for s in F2019.raw["sources"]] == [
        "www.xiongxian.gov.cn", "yynanhu.yueyang.gov.cn", "chibi.gov.cn", "en.hongxingpaper.com"]


@pytest.mark.parametrize("text, value, kind", [
    ("-3", -3, None), ("减3", -3, None), ("增3", 3, None), ("+3", 3, None), ("3", 3, None), ("0", 0, None),
    ("减 12", -12, None), ("减三", None, "not_a_number"), ("-2.5", None, "not_integer"), ("减2.5", None, "not_integer"),
    ("/", None, "missing_value"), ("３", None, "not_a_number"),
])
def test_a_signed_count_reads_the_printed_forms(text, value, kind):
    col = F2019.table("table2").blocks[1].columns[1]
    got, issue = parse_cell(text, text, col)
    assert got == value and (issue.kind if issue else None) == kind


# --------------------------------------------------------------------------------------------------
# Every 2019 rule: the example passes; each variant fails exactly where it was broken


def test_the_example_passes_every_rule_and_each_rule_fails_on_its_defect(tmp_path):
    prior_ok = Y2020.replace("year: 2020", "year: 2019")
    for i, v in enumerate([0, 1, 0, 0, 0, 0, 1]):  # 2019's 结转下年度 = 2020's 上年结转
        prior_ok = set_cell(prior_ok, "carried_forward", i, str(v))
    prior_bad = set_cell(set_cell(prior_ok, "carried_forward", 1, "2"), "carried_forward", 6, "2")
    variants = {
        "ok": (Y2020, prior_ok),
        "TYPE-MISSING": (set_cell(Y2020, "disclosed", 0, "/"), None),
        "TYPE-NUMBER": (set_cell(Y2020, "penalties", "decisions", "２９８"), None),
        "TYPE-INTEGER": (set_cell(Y2020, "enforcement", "decisions", "39.5"), None),
        "TYPE-NEGATIVE": (set_cell(Y2020, "licensing", "decisions", "-3"), None),
        "TYPE-DECIMALS": (set_cell(Y2020, "procurement", "procurement_amount", "142569.115"), None),
        "T3-IDENTITY": (set_cell(set_cell(Y2020, "new", 0, "28"), "new", 6, "35"), None),
        "T3-RESULTS-TOTAL": (set_cell(Y2020, "other_processing", 0, "9"), None),
        "T3-ROW-TOTAL": (set_cell(Y2020, "carried_over", 6, "2"), None),
        "T4-TOTAL": (set_cell(Y2020, "review", 4, "9"), None),
        "X-CARRY-OVER": (Y2020, prior_bad),
    }
    ctxs = [context(tmp_path, text, 2020, prior, name) for name, (text, prior) in variants.items()]
    results = dict(zip(variants, validate_contexts(ctxs)))
    assert results["ok"].findings == () and results["ok"].status == "通过"
    suites = {s["rule_id"]: s for s in results["ok"].checks["form-rules"]["evidence"]["suites"]}
    assert list(suites) == ["TYPE-MISSING", "TYPE-NUMBER", "TYPE-INTEGER", "TYPE-NEGATIVE", "TYPE-DECIMALS",
                            "T3-IDENTITY", "T3-RESULTS-TOTAL", "T3-ROW-TOTAL", "T4-TOTAL", "X-CARRY-OVER"]
    assert all(s["applicable"] and s["success"] for s in suites.values())
    got = {name: [brief(f) for f in r.findings if f.rule_id == name] for name, r in results.items() if name != "ok"}
    assert got == {
        "TYPE-MISSING": [("TYPE-MISSING", "表三", "（一）予以公开", "自然人", "填写数值（没有发生的填 0）", "/")],
        "TYPE-NUMBER": [("TYPE-NUMBER", "表二", "行政处罚", "处理决定数量", "半角阿拉伯数字", "２９８")],
        "TYPE-INTEGER": [("TYPE-INTEGER", "表二", "行政强制", "处理决定数量", "整数", "39.5")],
        "TYPE-NEGATIVE": [("TYPE-NEGATIVE", "表二", "行政许可", "处理决定数量", "非负数", "-3")],
        "TYPE-DECIMALS": [("TYPE-DECIMALS", "表二", "政府集中采购", "采购总金额", "最多 2 位小数", "142569.115")],
        "T3-IDENTITY": [("T3-IDENTITY", "表三", "一、本年新收＋二、上年结转", "自然人", 27, 28),
                        ("T3-IDENTITY", "表三", "一、本年新收＋二、上年结转", "总计", 35, 36)],
        "T3-RESULTS-TOTAL": [("T3-RESULTS-TOTAL", "表三", "（七）总计", "自然人", 34, 26)],
        "T3-ROW-TOTAL": [("T3-ROW-TOTAL", "表三", "二、上年结转政府信息公开申请数量", "总计", 1, 2)],
        "T4-TOTAL": [("T4-TOTAL", "表四", "行政复议", "总计", 0, 9)],
        "X-CARRY-OVER": [("X-CARRY-OVER", "表三", "二、上年结转政府信息公开申请数量", "商业企业", 2, 1),
                         ("X-CARRY-OVER", "表三", "二、上年结转政府信息公开申请数量", "总计", 2, 1)],
    }
    # the single （六）其他处理 row is summed by T3-RESULTS-TOTAL: the variant above broke only that row
    # a negative 本年增/减 is data, not an error: the example has -3 (written 减3), -5 and -1
    fig = ctxs[0].figures
    assert [fig.get("table2", r, "change") for r in ("licensing", "enforcement", "fees")] == [-3, -5, -1]
    neg = next(f for f in results["TYPE-NEGATIVE"].findings if f.rule_id == "TYPE-NEGATIVE")
    assert (neg.file, neg.line) == ("data/2020/demo2019/figures.yaml", 13)
    assert "'-3' 是负数" in neg.message


def test_validate_names_file_table_row_and_column_of_a_negative_decision(project_dir, capsys):
    path = project_dir / "data/2020/demo2019/figures.yaml"
    assert main(["validate", "--unit", "demo2019", "--year", "2020", "--project", str(project_dir)]) == 0
    assert "通过（0 个错误，0 个警告）" in capsys.readouterr().out
    path.write_text(set_cell(Y2020, "licensing", "decisions", "-1831"), encoding="utf-8")
    assert main(["validate", "--unit", "demo2019", "--year", "2020", "--project", str(project_dir)]) == 4
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if "TYPE-NEGATIVE" in l)
    for part in ("表二", "行政许可", "处理决定数量", "-1831", "data/2020/demo2019/figures.yaml:13", "是负数"):
        assert part in line, (part, line)


# --------------------------------------------------------------------------------------------------
# Years across formats: 2021 (gov2021) after 2020 (gov2019)


def test_2021_after_a_2020_report_checks_the_carry_over_and_nothing_else(tmp_path):
    bad = set_cell(set_cell(Y2021, "carried_over", 0, "2"), "carried_over", 6, "3")
    ok, broken = validate_contexts([context(tmp_path, Y2021, 2021, Y2020, "ok"),
                                    context(tmp_path, bad, 2021, Y2020, "bad")])
    assert ok.findings == ()
    suites = {s["rule_id"]: s for s in ok.checks["form-rules"]["evidence"]["suites"]}
    carry = suites["X-CARRY-OVER"]
    assert carry["applicable"] and carry["success"] and carry["expectations"][0]["element_count"] == 7
    assert not suites["X-IN-FORCE"]["applicable"]
    assert suites["X-IN-FORCE"]["reason"] == ("2020年使用另一报告格式（国办公开办函〔2019〕60号）：表二两种格式的栏目含义不同"
                                              "（对外公开总数量不是现行有效件数，本年新制作数量不是本年制发件数），不能逐格比较")
    assert [brief(f) for f in broken.findings if f.rule_id == "X-CARRY-OVER"] == [
        ("X-CARRY-OVER", "表三", "二、上年结转政府信息公开申请数量", "自然人", 1, 2),
        ("X-CARRY-OVER", "表三", "二、上年结转政府信息公开申请数量", "总计", 2, 3),
    ]


def test_comparability_is_declared_by_the_newer_pack():
    from nianbao.formpack import comparable, continuity

    f21 = forms.get("gov2021")
    cont = continuity(f21, F2019)
    assert len(cont.cells) == 22 * 7 + 15
    assert comparable(f21, F2019, "table3", "carried_forward", "total")
    assert comparable(f21, F2019, "table4", "review", "pending")
    assert not comparable(f21, F2019, "table3", "other_other", "total")
    assert not comparable(f21, F2019, "table2", "normative_documents", "issued")
    assert "只有一行" in cont.why_not("table3", "other_other")
    assert continuity(F2019, f21) is None  # the older pack declares nothing about the newer


def test_new_carries_the_2020_report_over_into_a_2021_report(project_dir, capsys):
    for name in ("figures.yaml", "narrative.md"):
        (project_dir / "data/2021/demo2019" / name).unlink()
    assert main(["new", "--unit", "demo2019", "--year", "2021", "--project", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert "表三「二、上年结转政府信息公开申请数量」已按 2020 年（国办公开办函〔2019〕60号格式）「四、结转下年度继续办理」预填" in out
    fig = load_figures(project_dir / "data/2021/demo2019/figures.yaml", strict=False)
    prior = load_figures(project_dir / "data/2020/demo2019/figures.yaml")
    assert fig.form.id == "gov2021"
    cols = [c.key for c in fig.form.table("table3").columns]
    assert [fig.get("table3", "carried_over", c) for c in cols] == [prior.get("table3", "carried_forward", c) for c in cols]
    assert [fig.get("table3", "carried_over", c) for c in cols] == [1, 0, 0, 1, 0, 0, 2]
    assert fig.get("table3", "new", "total") is None  # everything else is left to fill in


def test_change_compares_only_declared_cells_across_formats(tmp_path):
    from nianbao.narrative import parse_narrative, render_narrative

    fig = load_figures(REPO / "data/2021/demo2019/figures.yaml")
    prior = load_figures(REPO / "data/2020/demo2019/figures.yaml")
    ok = parse_narrative("## 五、存在的主要问题及改进情况\n\n申请{{ change(table3.new.total) }}。\n", fig.form, "n.md")
    assert render_narrative(ok, fig, UNIT.name, prior).text("problems") == "申请较上年减少11件，下降32.4%。"
    bad = parse_narrative("## 五、存在的主要问题及改进情况\n\n{{ change(table3.other_other.total) }}\n", fig.form, "n.md")
    with pytest.raises(InputError) as exc:
        render_narrative(bad, fig, UNIT.name, prior)
    assert "2020年的报告使用另一格式（国办公开办函〔2019〕60号），这一格不能与上年逐格比较" in str(exc.value)
    assert "n.md:3" in str(exc.value)


def test_an_amount_in_yuan_is_written_with_its_own_unit():
    """采购总金额 is printed in 元 by the 2019 form: a narrative writing it with its unit says 元, not 万元."""
    from nianbao.narrative import parse_narrative, render_narrative

    fig = load_figures(REPO / "data/2020/demo2019/figures.yaml")
    text = "## 五、存在的主要问题及改进情况\n\n集中采购{{ table2.procurement.procurement_amount.with_unit }}。\n"
    narrative = parse_narrative(text, fig.form, "n.md")
    assert render_narrative(narrative, fig, UNIT.name).text("problems") == "集中采购142569.11元。"


def test_template_prints_the_2019_form(project_dir, capsys):
    assert main(["template", "--unit", "demo2019", "--year", "2020", "--project", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert "form: gov2019  # 国办公开办函〔2019〕60号" in out
    assert "  licensing: {items_last_year: ~, change: ~, decisions: ~}  # 行政许可" in out
    assert "  other_processing:" in out and "（六）其他处理" in out and "other_no_correction" not in out


def test_the_2019_table_two_renders_in_its_printed_layout():
    from nianbao.tables_html import table_html

    fig = load_figures(REPO / "data/2020/demo2019/figures.yaml")
    html = table_html(F2019.table("table2"), fig.values["table2"])
    blocks = re.findall(r'<th colspan="4" class="block-label">([^<]+)</th>', html)
    assert blocks == ["第二十条第（一）项", "第二十条第（五）项", "第二十条第（六）项", "第二十条第（八）项", "第二十条第（九）项"]
    # as printed: the two-column blocks leave the fourth column empty
    assert '<tr><th>信息内容</th><th>采购项目数量</th><th>采购总金额</th><th class="empty"></th></tr>' in html
    assert 'data-col="procurement_amount">142569.11</td><td class="empty"></td></tr>' in html
    assert 'data-row="licensing" data-col="change">-3</td>' in html
    assert 'data-row="procurement" data-col="procurement_amount">142569.11</td>' in html


@pytest.mark.slow
def test_batch_renders_the_2019_layout_in_html_and_pdf(project_dir, capsys):
    """nianbao batch for 2020 (one worker, one kernel): HTML and PDF show the 2019 tables as printed."""
    from nianbao.manifest import pdf_text

    assert main(["batch", "--year", "2020", "--units", "demo2019", "--formats", "html,pdf", "--jobs", "1",
                 "--project", str(project_dir)]) == 0
    out2020 = project_dir / "outputs/2020/demo2019"
    html = (out2020 / "report.html").read_text(encoding="utf-8")
    assert "2020年政府信息公开工作年度报告" in html and "第二十条第（九）项" in html and "本年增/减" in html
    assert 'data-row="licensing" data-col="change">-3</td>' in html and "其他对外管理服务事项" in html
    norm = lambda t: re.sub(r"\s", "", unicodedata.normalize("NFKC", t))  # the PDF's text layer uses radicals (⽰)
    text = norm(pdf_text(out2020 / "report.pdf"))
    assert all(norm(w) in text for w in ("第二十条第（九）项", "采购总金额", "本年增/减", "（六）其他处理", "其他对外管理服务事项"))


def test_the_2021_report_after_a_2019_format_year_opens_with_its_prior_year(project_dir):
    """What the notebook shows for 2021 (no kernel needed): last year is the 2019-format report, compared
    only where the pack says the cells continue."""
    from nianbao.report import open_report

    report = open_report("demo2019", 2021, project_dir)
    assert report.prior.form.id == "gov2019" and report.prior_year.note is None
    assert "新收申请数较上年减少11件，下降32.4%" in report.section("overview").html
    table3 = report.section("requests").html
    assert "3.其他" in table3 and 'data-row="carried_over" data-col="total">2</td>' in table3
    assert "第二十条第（九）项" not in report.section("proactive").html


def test_synth_writes_a_consistent_2019_format_project_with_a_rollup(tmp_path):
    """nianbao synth for a 2020 year uses the 2019 pack's recipe; the roll-up county sums what the pack
    sums (rollup: own columns are its own) and every unit passes every rule."""
    from nianbao.project import Project
    from nianbao.synthetic import generate
    from nianbao.validation.core import load_context

    result = generate(tmp_path / "p", 5, 2020, seed=3, notebook=REPO / "notebooks" / "annual_report.ipynb")
    project = Project(tmp_path / "p")
    registry = project.units()
    contexts = [load_context(project, registry.get(u.id), 2020)[0] for u in result.units]
    assert {c.form.id for c in contexts} == {"gov2019"}
    county = next(c for c in contexts if c.unit.rollup)
    towns = [c for c in contexts if c.unit.parent == county.unit.id]
    assert county.figures.get("table2", "licensing", "decisions") == sum(
        t.figures.get("table2", "licensing", "decisions") for t in towns)
    assert not F2019.table("table2").row("licensing").column("change").summed
    results = validate_contexts(contexts)
    assert [(r.unit, r.status, [f.rule_id for f in r.findings]) for r in results] == [
        (u.id, "通过", []) for u in result.units]


def test_section_five_may_carry_its_longer_printed_title():
    """Some 2019-format reports head section 五 “政府信息公开工作存在的主要问题及改进情况”: the pack
    declares it as an alias, so such a narrative reads; an unknown heading is still refused."""
    from nianbao.narrative import parse_narrative

    nar = parse_narrative("## 五、政府信息公开工作存在的主要问题及改进情况\n\n问题与改进。\n", F2019, "n.md")
    assert nar.text("problems") == "问题与改进。"
    with pytest.raises(InputError, match="n.md:1: 不认识的章节标题"):
        parse_narrative("## 五、存在问题和下一步打算\n", F2019, "n.md")
