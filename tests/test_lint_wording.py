"""Narrative lint on the wording of real published reports (issue #11): the four cases found by
trying the lint on published text, and numbers as reports write them."""
from __future__ import annotations

import pytest

from conftest import REPO
from nianbao.figures import load_figures
from nianbao.lint import lint
from nianbao.narrative import RenderedNarrative, RenderedPart

SEED_FIGURES = REPO / "data/2022/zhungeer/figures.yaml"
GOOD = {  # correct statements for the seed's figures, so that only the sentence under test can be flagged
    "overview": "主动公开、依申请公开、政府信息管理、平台建设、监督保障工作有序开展。",
    "problems": "存在的问题是人员不足；改进措施是加强培训。",
    "other": "本年度未收取政府信息公开信息处理费。",
}


def lint_text(sections: dict, year: int = 2022, edit=None, tmp_path=None):
    path = SEED_FIGURES
    if edit or year != 2022:
        text = SEED_FIGURES.read_text(encoding="utf-8").replace("year: 2022", f"year: {year}")
        path = tmp_path / "figures.yaml"
        path.write_text(edit(text) if edit else text, encoding="utf-8")
    figures = load_figures(path)
    parts = {k: RenderedPart(v, 1, "narrative.md") for k, v in (GOOD | sections).items()}
    return lint(RenderedNarrative(preface=None, sections=parts), figures)


def rules(found):
    return sorted((f.rule_id, f.actual) for f in found)


# --- the four cases of the issue ------------------------------------------------------------------

def test_all_handled_while_one_is_carried_forward_is_caught():
    # seed 表三 carries 2 forward; the published wording: 均已按要求办理完成
    found = lint_text({"overview": GOOD["overview"] + "本年度共收到政府信息公开申请57件，均已按要求办理完成。"})
    assert [(f.rule_id, f.row, f.expected, f.actual) for f in found] == [("NARR-ALL-DONE", "carried_forward", 0, 2)]
    assert "均已按要求办理完成" in found[0].message


def test_all_answered_about_something_other_than_applications_is_not_flagged():
    assert lint_text({"overview": GOOD["overview"] + "县长信箱收到信件183条，均已按时答复。"}) == []


def test_two_normative_documents_issued_while_table_two_says_zero_is_caught(tmp_path):
    zero = lambda t: t.replace("normative_documents: {issued: 1,", "normative_documents: {issued: 0,")
    found = lint_text({"overview": GOOD["overview"] + "全年出台2份规范性文件。"}, edit=zero, tmp_path=tmp_path)
    assert [(f.rule_id, f.table, f.row, f.column, f.expected, f.actual) for f in found] == [
        ("NARR-FIGURE", "table2", "normative_documents", "issued", 0, 2)]
    found = lint_text({"overview": GOOD["overview"] + "全年印发了3件行政规范性文件。"}, edit=zero, tmp_path=tmp_path)
    assert [(f.rule_id, f.expected, f.actual) for f in found] == [("NARR-FIGURE", 0, 3)]


def test_a_2023_report_whose_overview_opens_with_2022_is_caught(tmp_path):
    found = lint_text({"overview": "2022年，我县认真落实政务公开工作。" + GOOD["overview"]}, year=2023, tmp_path=tmp_path)
    assert [(f.rule_id, f.expected, f.actual) for f in found] == [("NARR-YEAR-STALE", "2023", "2022")]
    assert "以“2022年”开头" in found[0].message
    found = lint_text({"overview": "（一）主动公开。2022年，我县发布信息100条。\n" + GOOD["overview"]}, year=2023, tmp_path=tmp_path)
    assert rules(found) == [("NARR-YEAR-STALE", "2022")]


def test_last_year_mentioned_inside_a_sentence_is_not_flagged(tmp_path):
    text = "2023年，我县申请量与2022年相比有所增加。" + GOOD["overview"]
    assert lint_text({"overview": text}, year=2023, tmp_path=tmp_path) == []


@pytest.mark.parametrize("sentence", ["本年度没有发生政府信息公开收费的事项。", "本年度无信息公开收费的事项。"])
def test_no_fee_statements_without_the_word_xinxichulifei_are_not_flagged(sentence):
    assert lint_text({"other": sentence}) == []


def test_a_fee_statement_that_is_missing_is_still_flagged():
    assert rules(lint_text({"other": "其他需要报告的事项：无。"})) == [("NARR-FEE", None)]


# --- numbers as published reports write them ------------------------------------------------------

@pytest.mark.parametrize("sentence, flagged", [
    ("全年共收到政府信息公开申请57件。", None),  # digits, agrees
    ("全年共收到政府信息公开申请58件。", 58),
    ("全年共收到政府信息公开申请五十八件。", 58),  # Chinese numerals
    ("全年共收到政府信息公开申请五十七件。", None),
    ("全年共收到政府信息公开申请58条。", 58),  # 条 as the measure word
    ("全年共收到政府信息公开申请58份。", 58),
    ("全年共收到政府信息公开申请50余件。", None),  # 57 is more than 50
    ("全年共收到政府信息公开申请60余件。", 60),  # 57 is not more than 60
    ("全年共收到政府信息公开申请50多件。", None),
    ("全年共收到政府信息公开申请近60件。", None),  # a little less than 60
    ("全年共收到政府信息公开申请近50件。", 50),  # 57 is not "nearly 50"
    ("全年共收到政府信息公开申请约70件。", None),  # 约 says nothing exact
    ("全年共收到政府信息公开申请五十余件。", None),  # Chinese numerals with 余
    ("全年共收到政府信息公开申请六十余件。", 60),
    ("全年共收到政府信息公开申请近六十件。", None),
])
def test_numbers_in_prose(sentence, flagged):
    found = lint_text({"overview": GOOD["overview"] + sentence})
    assert rules(found) == ([] if flagged is None else [("NARR-FIGURE", flagged)])


@pytest.mark.parametrize("sentence, flagged", [
    ("发布政策解读材料116篇，印发规范性文件1个。", None),
    ("印发规范性文件2个。", 2),
    ("制定行政规范性文件两件。", 2),
])
def test_measure_words_ge_and_pian(sentence, flagged):
    found = lint_text({"overview": GOOD["overview"] + sentence})
    assert rules(found) == ([] if flagged is None else [("NARR-FIGURE", flagged)])


def test_overview_topic_in_other_words():
    overview = "依法依规主动公开政府信息，依申请公开规范办理，加强政府信息管理和监督保障，建立健全公开平台。"
    assert lint_text({"overview": overview}) == []
    found = lint_text({"overview": overview.replace("建立健全公开平台。", "")})
    assert [(f.rule_id, "平台建设" in f.message) for f in found] == [("NARR-TOPICS", True)]


def test_number_before_the_noun_and_no_carry_forward():
    # published wording (汉阳区政府办公室 2022): 共收到8份政府信息公开申请 … 无下年度结转
    found = lint_text({"overview": GOOD["overview"] + "本年度共收到58份政府信息公开申请，均为自然人申请。"})
    assert rules(found) == [("NARR-FIGURE", 58)]
    assert lint_text({"overview": GOOD["overview"] + "本年度共收到57份政府信息公开申请。"}) == []
    found = lint_text({"overview": GOOD["overview"] + "其他1件（申请人自主撤销）。无下年度结转。"})
    assert [(f.rule_id, f.row, f.expected, f.actual) for f in found] == [("NARR-FIGURE", "carried_forward", 2, 0)]


def test_all_answered_in_time_while_naming_the_ones_carried_forward_is_not_flagged():
    # 上海市人民政府办公厅 2019: the sentence itself says 72 go on to next year
    text = "答复政府信息公开申请55件（含上年度结转申请0件，另有2件申请按照《条例》顺延到下年度答复），均在法定期限内予以答复。"
    assert lint_text({"overview": GOOD["overview"] + text}) == []
    found = lint_text({"overview": GOOD["overview"] + "答复政府信息公开申请55件，均在法定期限内予以答复。"})
    assert [(f.rule_id, f.actual) for f in found] == [("NARR-ALL-DONE", 2)]
