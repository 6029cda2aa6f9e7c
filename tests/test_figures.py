"""Loading figures files: the seed loads exactly; each kind of bad input gets one precise message."""
from __future__ import annotations

from decimal import Decimal

import pytest

from nianbao.errors import FiguresError, InputError
from nianbao.figures import load_figures

SEED_T3 = {  # the seed report's table 3, 自然人 and 总计 columns (all legal-person columns are 0)
    "new": 57, "carried_over": 0, "disclosed": 18, "partially_disclosed": 1, "unavailable_not_held": 24,
    "unavailable_unclear": 9, "other_other": 3, "results_total": 55, "carried_forward": 2,
}


def write(tmp_path, text: str, encoding="utf-8"):
    p = tmp_path / "figures.yaml"
    p.write_bytes(text.encode(encoding))
    return p


def test_seed_figures_load_exactly(seed_figures_text, tmp_path):
    fig = load_figures(write(tmp_path, seed_figures_text), unit="zhungeer", year=2022)
    assert fig.problems == []
    t2 = fig.values["table2"]
    assert t2[("regulations", "issued")] == 0 and t2[("regulations", "in_force")] == 0
    assert (t2[("normative_documents", "issued")], t2[("normative_documents", "repealed")],
            t2[("normative_documents", "in_force")]) == (1, 0, 33)
    assert t2[("licensing", "decisions")] == 78395
    assert t2[("penalties", "decisions")] == 2072
    assert t2[("enforcement", "decisions")] == 415
    fee = t2[("fees", "amount")]
    assert isinstance(fee, Decimal) and str(fee) == "3197.1919"
    t3 = fig.values["table3"]
    assert len(t3) == 175
    for row in fig.form.table("table3").rows:
        expected = SEED_T3.get(row.key, 0)
        assert t3[(row.key, "natural_person")] == expected, row.label
        assert t3[(row.key, "total")] == expected, row.label
        for col in ("commercial", "research", "nonprofit", "legal_services", "other_org"):
            assert t3[(row.key, col)] == 0
    assert set(fig.values["table4"].values()) == {0} and len(fig.values["table4"]) == 15
    assert fig.facts["documents_published"].value == 224
    assert fig.facts["items_removed"].approx is True and fig.facts["items_removed"].value == 7000
    assert fig.facts["processing_fee"].value == 0


# (what to change in the seed file, problem kind, table, row number, row label, column label, words in message)
BAD_INPUTS = {
    "slash_in_count": (
        ("withheld_state_secret:       [0,", "withheld_state_secret:       [/,"),
        "missing_value", "表三", 5, "1.属于国家秘密", "自然人", "'/'（不适用）是缺失值，不是 0"),
    "wu_in_count": (
        ("new:                         [57,", "new:                         [无,"),
        "missing_value", "表三", 1, "一、本年新收政府信息公开申请数量", "自然人", "'无' 是缺失值"),
    "blank_cell": (
        ("licensing: {decisions: 78395}", "licensing: {decisions: }"),
        "missing_value", "表二", 3, "行政许可", "本年处理决定数量", "空白 是缺失值"),
    "non_integer_count": (
        ("disclosed:                   [18,", "disclosed:                   [18.5,"),
        "not_integer", "表三", 3, "（一）予以公开", "自然人", "'18.5' 不是整数"),
    "negative_count": (
        ("penalties: {decisions: 2072}", "penalties: {decisions: -2072}"),
        "negative", "表二", 4, "行政处罚", "本年处理决定数量", "'-2072' 是负数"),
    "text_in_count": (
        ("review:                  [0, 0, 0, 0, 0]", "review:                  [0, 0, 0, 0, 零]"),
        "not_a_number", "表四", 1, "行政复议", "总计", "'零' 不是件数"),
    "five_decimal_fee": (
        ("fees: {amount: 3197.1919}", "fees: {amount: 3197.19191}"),
        "too_many_decimals", "表二", 6, "行政事业性收费", "本年收费金额（单位：万元）", "有 5 位小数，本栏最多 4 位"),
    "thousands_separator": (
        ("licensing: {decisions: 78395}", "licensing: {decisions: '78,395'}"),
        "not_a_number", "表二", 3, "行政许可", "本年处理决定数量", "千分位逗号"),
    "unknown_row": (
        ("  carried_forward:", "  carried_forwards: [0, 0, 0, 0, 0, 0, 0]\n  carried_forward:"),
        "unknown_row", "表三", None, None, None, "未知的行 'carried_forwards'。是否应为 'carried_forward'？"),
    "missing_row": (
        ("  other_fee_unpaid:            [0, 0, 0, 0, 0, 0, 0]", ""),
        "missing_row", "表三", 22, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", None, "缺少此行"),
    "unknown_column": (
        ("enforcement: {decisions: 415}", "enforcement: {decisions: 415, decision: 1}"),
        "unknown_column", "表二", 5, "行政强制", None, "未知的列 'decision'"),
    "missing_column": (
        ("regulations: {issued: 0, repealed: 0, in_force: 0}", "regulations: {issued: 0, repealed: 0}"),
        "missing_column", "表二", 1, "规章", "现行有效件数", "缺少此列（列键 in_force）"),
    "short_row": (
        ("litigation_direct:       [0, 0, 0, 0, 0]", "litigation_direct:       [0, 0, 0, 0]"),
        "row_length", "表四", 2, "未经复议直接起诉", None, "应有 5 个数，实际 4 个"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_cell_gives_one_precise_message(case, seed_figures_text, tmp_path):
    (old, new), kind, table, row_no, row_label, col_label, words = BAD_INPUTS[case]
    assert old in seed_figures_text
    path = write(tmp_path, seed_figures_text.replace(old, new, 1))
    with pytest.raises(FiguresError) as exc:
        load_figures(path, display="data/2022/zhungeer/figures.yaml")
    problems = exc.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    assert (p.kind, p.table, p.row_number, p.row_label, p.column_label) == (kind, table, row_no, row_label, col_label)
    assert words in p.message
    text = str(exc.value)
    assert "data/2022/zhungeer/figures.yaml:" in text
    if row_label:  # the row label carries the group printed above it, when it has one
        shown = f"{p.row_group} / {row_label}" if p.row_group else row_label
        assert f"{table} 第{row_no}行「{shown}」" in text
    if col_label:
        assert f"列「{col_label}」" in text


@pytest.mark.parametrize("case, group", [("slash_in_count", "（三）不予公开"), ("missing_row", "（六）其他处理"),
                                         ("text_in_count", None), ("blank_cell", None)])
def test_problem_row_label_carries_its_group(case, group, seed_figures_text, tmp_path):
    (old, new), *_ = BAD_INPUTS[case]
    with pytest.raises(FiguresError) as exc:
        load_figures(write(tmp_path, seed_figures_text.replace(old, new, 1)), display="f.yaml")
    assert exc.value.problems[0].row_group == group


def test_non_strict_load_keeps_missing_cell_as_none(seed_figures_text, tmp_path):
    path = write(tmp_path, seed_figures_text.replace("withheld_third_party:        [0,", "withheld_third_party:        [/,"))
    fig = load_figures(path, strict=False)
    assert fig.values["table3"][("withheld_third_party", "natural_person")] is None
    assert [(p.kind, p.row_label, p.column_label) for p in fig.problems] == [
        ("missing_value", "4.保护第三方合法权益", "自然人")]


def test_every_problem_is_listed_not_just_the_first(seed_figures_text, tmp_path):
    text = seed_figures_text.replace("penalties: {decisions: 2072}", "penalties: {decisions: /}")
    text = text.replace("enforcement: {decisions: 415}", "enforcement: {decisions: 4.15}")
    with pytest.raises(FiguresError) as exc:
        load_figures(write(tmp_path, text))
    assert [(p.row_label, p.kind) for p in exc.value.problems] == [("行政处罚", "missing_value"), ("行政强制", "not_integer")]
    assert str(exc.value).startswith("数据文件有 2 处错误：")


def test_invalid_yaml_names_the_line(seed_figures_text, tmp_path):
    text = seed_figures_text.replace("  new:                         [57, 0, 0, 0, 0, 0, 57]", "  new: [57, 0, 0, 0")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("  new:"))
    with pytest.raises(InputError) as exc:
        load_figures(write(tmp_path, text), display="figures.yaml")
    msg = str(exc.value)
    assert "YAML 格式错误" in msg and "figures.yaml:" in msg
    assert int(msg.split("figures.yaml:")[1].split(":")[0]) >= line


def test_gbk_file_is_explained_with_how_to_convert(seed_figures_text, tmp_path):
    path = write(tmp_path, seed_figures_text, encoding="gbk")
    with pytest.raises(InputError) as exc:
        load_figures(path, display="data/2022/zhungeer/figures.yaml")
    msg = str(exc.value)
    assert msg.startswith("data/2022/zhungeer/figures.yaml: 文件不是 UTF-8 编码，看起来是 GBK/GB18030 编码")
    assert "iconv -f GBK -t UTF-8" in msg


def test_utf8_bom_is_accepted(seed_figures_text, tmp_path):
    p = tmp_path / "figures.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + seed_figures_text.encode("utf-8"))
    assert load_figures(p).values["table2"][("licensing", "decisions")] == 78395


def test_unit_and_year_must_match_the_request(seed_figures_text, tmp_path):
    path = write(tmp_path, seed_figures_text)
    with pytest.raises(FiguresError) as exc:
        load_figures(path, unit="other", year=2023)
    assert [p.kind for p in exc.value.problems] == ["header", "header"]
    assert "要求的单位是 'other'" in str(exc.value) and "要求的年度是 2023" in str(exc.value)


def test_rows_may_be_written_with_printed_labels(seed_figures_text, tmp_path):
    text = seed_figures_text.replace("  licensing: {decisions: 78395}", "  行政许可: {本年处理决定数量: 78395}")
    fig = load_figures(write(tmp_path, text))
    assert fig.values["table2"][("licensing", "decisions")] == 78395


@pytest.mark.parametrize("unit_id", ["off", "on", "yes", "no", "null"])
def test_unit_id_that_yaml_would_read_as_a_boolean_is_the_id_as_written(seed_figures_text, tmp_path, unit_id):
    text = seed_figures_text.replace("unit: zhungeer", f"unit: {unit_id}")
    assert f"unit: {unit_id}" in text
    fig = load_figures(write(tmp_path, text), unit=unit_id, year=2022)
    assert (fig.unit, fig.problems) == (unit_id, [])
    with pytest.raises(FiguresError, match=rf"文件中的 unit 是 '{unit_id}'，但要求的单位是 'zhungeer'"):
        load_figures(write(tmp_path, text), unit="zhungeer", year=2022)
