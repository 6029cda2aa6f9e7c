"""What a form pack brings with it: key figures and charts (indicators.yaml), the section 五 the
copied-text check judges and its thresholds, the wording of real reports the lint reads, and standard
sentences that say 未填报 of a blank cell. Exercised on the 2019 format, whose bundled demo unit
(demo2019, 2020) had statuses but no key figures or charts before its pack declared them."""
from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from nianbao import copied, forms
from nianbao.compare import compare_years
from nianbao.dashboard import build_dashboard, render_dashboard
from nianbao.figures import load_figures
from nianbao.formpack import load_pack
from nianbao.keyfigures import views
from nianbao.lint import lint, narrative_check
from nianbao.lint import spec as lint_spec
from nianbao.narrative import RenderedNarrative, RenderedPart, load_narrative
from nianbao.project import Project
from nianbao.report import open_report
from nianbao.scaffold import figures_yaml
from nianbao.validation import load_context

UNIT, YEAR = "demo2019", 2020


def figures_2020(project_dir: Path) -> Path:
    return project_dir / f"data/{YEAR}/{UNIT}/figures.yaml"


def write_2019(project_dir: Path) -> dict:
    """data/2019/demo2019/figures.yaml in the 2019 format, consistent with 2020 (its 四、结转下年度 is 2020's
    二、上年结转): 31 new applications, 5 disclosed, 1 carried forward, one normative document made."""
    fig = load_figures(figures_2020(project_dir))
    v = {t: dict(cells) for t, cells in fig.values.items()}
    t3 = fig.form.table("table3")
    for col in t3.columns:
        c = col.key
        v["table3"][("carried_forward", c)] = v["table3"][("carried_over", c)]
        v["table3"][("carried_over", c)] = 0
    for c in ("natural_person", "total"):  # three fewer disclosed, so three fewer results and applications
        v["table3"][("disclosed", c)] -= 3
        v["table3"][("results_total", c)] -= 3
    for col in t3.columns:  # 一 + 二 = 三（七） + 四, per column
        c = col.key
        v["table3"][("new", c)] = v["table3"][("results_total", c)] + v["table3"][("carried_forward", c)]
    v["table2"][("normative_documents", "made")] = 1
    v["table2"][("normative_documents", "published")] = 1
    facts = figures_2020(project_dir).read_text(encoding="utf-8").split("\nfacts:", 1)[1]
    text = figures_yaml(fig.form, UNIT, 2019, "示例县示范局（合成数据）", v, "facts:" + facts)
    (project_dir / f"data/2019/{UNIT}").mkdir(parents=True)
    (project_dir / f"data/2019/{UNIT}/figures.yaml").write_text(text, encoding="utf-8")
    return v


def opt_in(project_dir: Path) -> None:
    path = project_dir / "params/units.yaml"
    text = path.read_text(encoding="utf-8")
    head, tail = text.split(f"  {UNIT}:\n", 1)
    path.write_text(head + f"  {UNIT}:\n" + tail.replace("    parent: null\n", "    parent: null\n    year_over_year: true\n", 1),
                    encoding="utf-8")


# -- 1. key figures and charts come from the pack -----------------------------------------------------

def test_each_pack_declares_its_indicators_in_its_own_folder():
    for name in ("gov2019", "gov2021"):
        pack = forms.pack(name)
        assert (pack.folder / "indicators.yaml").is_file() and pack.indicators_spec["form"] == name
    assert not (Path(forms.__file__).parent.parent / "indicators").exists()  # no directory beside the packs


def test_a_pack_without_indicators_has_statuses_only(tmp_path):
    folder = tmp_path / "gov2019"
    shutil.copytree(forms.pack("gov2019").folder, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (folder / "indicators.yaml").unlink()
    assert load_pack(folder).indicators_spec is None
    (folder / "indicators.yaml").write_text("form: gov2021\nkey_figures: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"indicators.yaml: form 'gov2021' does not match 'gov2019'"):
        load_pack(folder)


def test_gov2019_key_figures_and_charts_are_labelled_from_the_2019_form():
    spec = views("gov2019")
    form = forms.get("gov2019")
    assert [(f.id, f.label) for f in spec.key_figures] == [
        ("new", form.table("table3").row("new").label), ("disclosed_rate", "公开率"),
        ("review_correction_rate", "复议纠错率"), ("litigation_correction_rate", "诉讼纠错率"),
        ("carried_forward", form.table("table3").row("carried_forward").label)]
    assert spec.chart_figure.id == "new"
    assert [(c.id, c.title) for c in spec.charts] == [
        ("outcomes", "表三 · 三、本年度办理结果"), ("documents", "表二 · 第二十条第（一）项"),
        ("decisions", "表二 · 第二十条第（五）项、第二十条第（六）项"), ("review", "表四 · 行政复议"),
        ("litigation", "表四 · 行政诉讼")]
    by_id = {c.id: c for c in spec.charts}
    assert by_id["outcomes"].labels == ["（一）予以公开", "（二）部分公开", "（三）不予公开", "（四）无法提供", "（五）不予处理",
                                        "（六）其他处理"]  # （六） is one row in this format
    assert by_id["documents"].labels == ["规章·本年新制作数量", "规章·本年新公开数量", "规范性文件·本年新制作数量",
                                         "规范性文件·本年新公开数量"]
    assert by_id["decisions"].labels == ["行政许可", "其他对外管理服务事项", "行政处罚", "行政强制"]
    assert by_id["review"].labels == ["结果维持", "结果纠正", "其他结果", "尚未审结"]


def test_dashboard_shows_the_key_figures_and_chart_of_a_2019_format_unit(project_dir):
    project = Project(project_dir)
    dash = build_dashboard(project, YEAR)
    assert [f.id for f in dash.figures] == ["new", "disclosed_rate", "review_correction_rate",
                                            "litigation_correction_rate", "carried_forward"]
    line = next(ln for ln in dash.lines if ln.unit.id == UNIT)
    # 表三: 34 new; (8 予以公开 + 1 部分公开) / 33 办结; 复议 0 of 0 (undefined); 诉讼 0 corrected of 4 − 2 pending
    assert line.values == {"new": 34, "disclosed_rate": Decimal(9) / Decimal(33), "review_correction_rate": None,
                           "litigation_correction_rate": Decimal(0), "carried_forward": 2}
    assert dash.totals[0].values == line.values
    assert dash.chart_note == "按“一、本年新收政府信息公开申请数量”从多到少排列，共 1 个单位。"
    html = render_dashboard(project, YEAR, dashboard=dash)
    row = re.search(rf'<tr class="row-\w+" id="unit-{UNIT}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num" data-v="[^"]*"><span>([^<]*)</span></td>', row) == ["34", "27.3%", "—", "0.0%", "2"]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="nb-chart" id="dashboard-chart"' in html
    assert ">示例县示范局（合成数据）</text>" in html and ">34</text>" in html


def test_year_over_year_block_of_a_2019_format_unit(project_dir):
    prior = write_2019(project_dir)
    opt_in(project_dir)
    report = open_report(UNIT, YEAR, project_dir)
    assert report.form.id == "gov2019" and report.prior_year.figures.form.id == "gov2019"
    html = report.year_over_year().html
    assert "附：2020年与2019年主要数字对比" in html
    rows = re.findall(r'<tr><th class="row-label" title="[^"]*">([^<]+)</th><td class="num">([^<]+)</td>'
                      r'<td class="num">([^<]+)</td><td class="num">([^<]+)</td></tr>', html)
    assert rows == [("一、本年新收政府信息公开申请数量", "31", "34", "增加3（增长9.7%）"),
                    ("公开率", "20.0%", "27.3%", "上升7.3个百分点"),  # 6/30 → 9/33
                    ("复议纠错率", "—", "—", "—"),
                    ("诉讼纠错率", "0.0%", "0.0%", "持平"),
                    ("四、结转下年度继续办理", "1", "2", "增加1（增长100.0%）")]
    assert prior["table3"][("new", "total")] == 31
    assert re.findall(r'<svg [^>]*id="([\w-]+)"', html) == ["yoy-outcomes", "yoy-documents", "yoy-decisions",
                                                          "yoy-review", "yoy-litigation"]
    docs = re.search(r'<svg [^>]*id="yoy-documents".*?</svg>', html, re.S).group(0)
    assert ">规范性文件·本年新制作数量</text>" in docs
    assert re.findall(r'font-size="12.6">([^<]+)</text>', docs) == ["0", "0", "0", "0", "1", "2", "1", "2"]


def test_comparison_page_of_two_2019_format_years_has_figures_and_charts(project_dir):
    write_2019(project_dir)
    cmp = compare_years(Project(project_dir), UNIT, [2019, 2020])
    assert [c.title for c in cmp.columns] == ["2019年", "2020年"] and cmp.left_out == []
    assert [(f.id, shown, changes) for f, shown, changes in cmp.figure_rows] == [
        ("new", ["31", "34"], ["", "增加3（增长9.7%）"]),
        ("disclosed_rate", ["20.0%", "27.3%"], ["", "上升7.3个百分点"]),
        ("review_correction_rate", ["—", "—"], ["", "—"]),
        ("litigation_correction_rate", ["0.0%", "0.0%"], ["", "持平"]),
        ("carried_forward", ["1", "2"], ["", "增加1（增长100.0%）"])]
    assert [re.search(r'id="([\w-]+)"', svg).group(1) for svg in cmp.charts] == [
        "compare-outcomes", "compare-documents", "compare-decisions", "compare-review", "compare-litigation"]


# -- 2. copied text: which section is 五, and the thresholds, are the pack's -----------------------------

def test_gov2019_problems_section_copied_unchanged_is_its_own_warning(project_dir):
    (project_dir / f"data/2019/{UNIT}").mkdir(parents=True)
    shutil.copy(project_dir / f"data/{YEAR}/{UNIT}/narrative.md", project_dir / f"data/2019/{UNIT}/narrative.md")
    project = Project(project_dir)
    ctx, _ = load_context(project, project.units().get(UNIT), YEAR)
    found = [f for f in narrative_check(ctx) if f.rule_id.startswith("NARR-COPIED")]
    # 一 from its first text line (9); 五 (line 29) its own warning; 六 is one sentence of 17 characters,
    # under the 20 judged
    assert [(f.rule_id, f.line, f.expected, f.actual) for f in found] == [
        ("NARR-COPIED", 9, "< 50%", "100%"), ("NARR-COPIED-PROBLEMS", 29, "< 95%", "100%")]
    assert found[1].message.startswith("第五部分“存在的主要问题及改进情况”与2019年报告的这一部分相同（100%，不计数字和占位符）")


def test_the_unchanged_section_and_thresholds_come_from_the_pack():
    form = forms.get("gov2019")
    assert copied.settings_for(form) == copied.Settings(0.5, 20, 0.95, "problems")
    pack = forms.pack("gov2019")
    assert (pack.section_key("problems"), pack.section_key("fee"), pack.section_key("totals")) == ("problems", "other", None)
    text = {"problems": "存在的主要问题：专职工作人员不足，部分信息更新不够及时。改进情况：加强业务培训。",
            "other": "本年度未收取政府信息公开信息处理费，也没有其他需要报告的事项，特此说明情况如上。"}
    copies = copied.compare_sections(text, text)
    # a pack that names 六 as the section that must not be copied, with its own thresholds
    own = copied.settings_from({"sections": {"problems": "other"}, "copied": {"threshold": 0.8, "unchanged": 0.99}}, form)
    found = copied.findings(copies, form, previous_year=2019, settings=own)
    assert [(f.rule_id, f.expected, f.actual) for f in found] == [("NARR-COPIED", "< 80%", "100%"),
                                                                  ("NARR-COPIED-PROBLEMS", "< 99%", "100%")]
    assert found[1].message.startswith("第六部分“其他需要报告的事项”与2019年报告的这一部分相同")
    # the pack's own: 五
    assert [f.rule_id for f in copied.findings(copies, form, previous_year=2019)] == ["NARR-COPIED-PROBLEMS", "NARR-COPIED"]
    with pytest.raises(ValueError, match="unknown setting"):
        copied.settings_from({"copied": {"treshold": 0.8}}, form)
    with pytest.raises(KeyError, match="has no section 'issues'"):
        copied.settings_from({"sections": {"problems": "issues"}}, form)


# -- 3. lint wording: read from each pack -------------------------------------------------------------

def _lint_2019(project_dir, overview: str):
    figures = load_figures(figures_2020(project_dir))
    parts = {"overview": RenderedPart(overview, 1, "narrative.md"),
             "problems": RenderedPart("存在的问题是人员不足；改进措施是加强培训。", 1, "narrative.md"),
             "other": RenderedPart("本年度未收取政府信息公开信息处理费。", 1, "narrative.md")}
    return lint(RenderedNarrative(preface=None, sections=parts), figures)


def test_gov2019_reads_the_real_report_wording_of_its_pack(project_dir):
    assert [(f.rule_id, f.row, f.expected, f.actual) for f in _lint_2019(project_dir, "共收到8份政府信息公开申请。")] == [
        ("NARR-FIGURE", "new", 34, 8)]
    assert _lint_2019(project_dir, "全年受理政府信息公开申请30余件。") == []  # 34 is more than 30
    # demo2019 carries 2 forward: "全部…办理完成" about the applications is wrong, "顺延到下年度" in the sentence is not
    found = _lint_2019(project_dir, "全年共收到政府信息公开申请34件，均已按要求办理完成。")
    assert [(f.rule_id, f.row, f.expected, f.actual) for f in found] == [("NARR-ALL-DONE", "carried_forward", 0, 2)]
    assert _lint_2019(project_dir, "共收到政府信息公开申请34件（另有2件申请顺延到下年度答复），均在法定期限内予以答复。") == []
    s19, s21 = lint_spec("gov2019"), lint_spec("gov2021")
    assert s19["sections"] == s21["sections"] == {"overview": "overview", "problems": "problems", "fee": "other"}
    # the 2021 pack's other verbs of 制发 are not the 2019 本年新制作 statement's
    made = next(st for st in s19["figure_statements"] if st["id"] == "normative_documents_made")
    assert "出台" not in made["pattern"]
    issued = next(st for st in s21["figure_statements"] if st["id"] == "normative_documents_issued")
    assert issued["pattern"].startswith("(?:制发|出台|印发|制定)")


def test_a_pack_without_real_wording_gets_none(tmp_path):
    folder = tmp_path / "gov2098"
    shutil.copytree(forms.pack("gov2019").folder, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for name in ("form.yaml", "narrative.yaml", "indicators.yaml"):
        p = folder / name
        p.write_text(p.read_text(encoding="utf-8").replace("gov2019", "gov2098").replace("first_year: 2019", "first_year: 2098")
                     .replace("last_year: 2020", "last_year: 2098"), encoding="utf-8")
    p = folder / "narrative.yaml"
    p.write_text(p.read_text(encoding="utf-8").split("\nreal_wording:")[0] + "\n", encoding="utf-8")
    forms.PACKS.register("gov2098", load_pack(folder))
    try:
        s = lint_spec("gov2098")
        assert s["stale_year_window"] == 14 and s["approx_after"] == () and s["all_done_unless"] is None
        assert [st["id"] for st in s["figure_statements"]] == [st["id"] for st in forms.pack("gov2019").narrative_spec["figure_statements"]]
    finally:
        forms.PACKS.unregister("gov2098")
        lint_spec.cache_clear()


# -- 4. a blank 表二 cell in the 2019 standard sentences ----------------------------------------------

def test_gov2019_standard_sentence_says_a_blank_cell_is_not_reported(project_dir):
    path = figures_2020(project_dir)
    text = path.read_text(encoding="utf-8")
    text = text.replace("normative_documents: {made: 2,", "normative_documents: {made: ~,")
    text = text.replace("licensing: {items_last_year: 11, change: 减3, decisions: 1831}",
                        'licensing: {items_last_year: 11, change: 减3, decisions: "/"}')
    path.write_text(text, encoding="utf-8")
    (project_dir / f"data/{YEAR}/{UNIT}/narrative.md").write_text("## 一、总体情况\n\n{{ std.proactive() }}\n", encoding="utf-8")
    overview = open_report(UNIT, YEAR, project_dir, strict=False).rendered.text("overview")
    assert overview == ("本年度新制作规范性文件的件数未填报，新公开2件，对外公开总数27件；"
                        "作出行政许可处理决定的件数未填报、行政处罚处理决定298件、行政强制处理决定39件。")


def test_gov2019_standard_sentence_with_every_figure_reported(project_dir):
    (project_dir / f"data/{YEAR}/{UNIT}/narrative.md").write_text("## 一、总体情况\n\n{{ std.proactive() }}\n", encoding="utf-8")
    overview = open_report(UNIT, YEAR, project_dir, strict=False).rendered.text("overview")
    assert overview == ("本年度新制作规范性文件2件，新公开2件，对外公开总数27件；"
                        "作出行政许可处理决定1831件、行政处罚处理决定298件、行政强制处理决定39件。")
