"""Excel workbooks and bulk CSV: the form as offices fill it in and return it (``nianbao workbook``,
``nianbao collect``). Workbooks are edited with openpyxl as a user would edit them in Excel or WPS."""
from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nianbao import forms
from nianbao.cli import main
from nianbao.figures import load_figures
from nianbao.project import Project
from nianbao.synthetic import generate
from nianbao.workbook.layout import grids
from nianbao.workbook.writer import CHECK_SHEET, FACTS_SHEET, META_SHEET

from conftest import REPO

YEAR = 2022
FORM = forms.for_year(YEAR)
WB_NAME = "2022年准格尔旗人民政府政府信息公开工作年度报告数据.xlsx"
SEED = REPO / "data" / "2022" / "zhungeer" / "figures.yaml"


def addr(table: str, row: str, col: str) -> str:
    """The sheet and cell of an input, from the layout (e.g. 表三!D5)."""
    t = FORM.table(table)
    return f"{t.name}!{grids(FORM)[table].inputs[(row, col)].address}"


def cell_of(wb, table: str, row: str, col: str):
    sheet, a = addr(table, row, col).split("!")
    return wb[sheet][a]


@pytest.fixture
def seed_wb(project_dir) -> Path:
    out = project_dir / "wb" / WB_NAME
    assert main(["workbook", "--project", str(project_dir), "--unit", "zhungeer", "--year", "2022", "--out", str(out)]) == 0
    return out


def collect(project_dir, *paths, extra=()) -> int:
    return main(["collect", "--project", str(project_dir), *extra, *map(str, paths)])


def edited(path: Path, name: str, fn) -> Path:
    wb = load_workbook(path)
    fn(wb)
    out = path.parent / name
    wb.save(out)
    return out


def figures(project_dir, unit="zhungeer", year=YEAR):
    return load_figures(Project(project_dir).figures_file(unit, year), unit=unit, year=year)


def test_layout_pins_the_official_positions():
    # 表三: three label columns (group, sub-group, label), the data from D; 表四: one row of 15 cells
    assert addr("table3", "new", "natural_person") == "表三!D7"
    assert addr("table3", "carried_forward", "total") == "表三!J31"
    assert addr("table2", "fees", "amount") == "表二!B17"
    assert addr("table4", "litigation_after_review", "total") == "表四!O7"
    g = grids(FORM)["table3"]
    spans = {(s.address, s.height, s.width): s.text for s in g.spans}
    assert spans[("A4", 3, 3)] == FORM.table("table3").note
    assert spans[("E5", 1, 5)] == "法人或其他组织"
    assert spans[("A9", 22, 1)] == "三、本年度办理结果"


def test_workbook_has_the_official_sheets_locked_labels_and_validation(seed_wb):
    wb = load_workbook(seed_wb)
    assert wb.sheetnames == ["填表说明", "表二", "表三", "表四", FACTS_SHEET, CHECK_SHEET, META_SHEET]
    assert wb[META_SHEET].sheet_state == "hidden" and wb[META_SHEET].protection.sheet
    ws = wb["表三"]
    assert ws.protection.sheet
    assert ws["A7"].value == "一、本年新收政府信息公开申请数量" and ws["A7"].protection.locked
    assert ws["D7"].value == 57 and ws["D7"].protection.locked is False
    assert "A9:A30" in {str(r) for r in ws.merged_cells.ranges}
    dv = {str(d.sqref): (d.type, d.operator, d.formula1) for d in ws.data_validations.dataValidation}
    assert list(dv.values()) == [("whole", "greaterThanOrEqual", "0")] and "D7" in next(iter(dv))
    assert wb["表二"]["B17"].value == 3197.1919
    assert "B10:D10" in {str(r) for r in wb["表二"].merged_cells.ranges}  # one-column blocks span the table
    assert [(d.type, str(d.sqref)) for d in wb["表二"].data_validations.dataValidation] == [
        ("whole", "B6 B7 B10 B13 B14 C6 C7 D6 D7"), ("decimal", "B17")]
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(min_row=2, values_only=True)}
    assert (meta["unit"], meta["year"], meta["form"]) == ("zhungeer", "2022", "gov2021")


def test_workbook_bytes_are_deterministic(project_dir, seed_wb):
    again = seed_wb.with_name("again.xlsx")
    assert main(["workbook", "--project", str(project_dir), "--unit", "zhungeer", "--year", "2022", "--out", str(again)]) == 0
    assert hashlib.sha256(seed_wb.read_bytes()).digest() == hashlib.sha256(again.read_bytes()).digest()


def test_check_sheet_has_a_row_for_every_rule_of_every_form():
    from nianbao.validation.rules import compile_rules
    from nianbao.workbook.formulas import BUILDERS

    for form_id in forms.available():
        form = forms.get(form_id)
        kinds = {r.kind for r in compile_rules(form)}
        assert kinds <= set(BUILDERS), f"{form_id}: no check-sheet formulas for {kinds - set(BUILDERS)}"


def test_check_sheet_formulas_are_derived_from_the_rules(seed_wb):
    wb = load_workbook(seed_wb)
    ws = wb[CHECK_SHEET]
    summary = [r[0] for r in ws.iter_rows(min_row=5, max_row=16, max_col=1, values_only=True)]
    assert summary == [r["id"] for r in FORM.rules]
    detail = {}
    for row in ws.iter_rows(min_row=19, values_only=True):
        if row[0]:
            detail.setdefault(row[0], []).append(row)
    assert len(detail["T3-IDENTITY"]) == 7 and len(detail["T3-ROW-TOTAL"]) == 25 and len(detail["T4-TOTAL"]) == 3
    first = detail["T3-IDENTITY"][0]
    assert first[1] == "列「自然人」"
    assert first[2] == "=SUM('表三'!D7:D8)" and first[3] == "=SUM('表三'!D30:D31)"
    assert first[5] == "=IF(COUNT('表三'!D7:D8,'表三'!D30:D31)<4,\"未填完\",IF(C25-D25=0,\"平衡\",\"不平衡\"))"
    assert ws["F14"].value == "未适用：无2021年数据"  # X-CARRY-OVER without last year's figures


def test_round_trip_seed(project_dir, seed_wb, capsys):
    original = figures(project_dir)
    Project(project_dir).figures_file("zhungeer", YEAR).unlink()
    assert collect(project_dir, seed_wb) == 0
    back = figures(project_dir)
    assert back.values == original.values and back.facts == original.facts
    assert "已写入" in capsys.readouterr().out
    # collecting the same workbook again changes nothing and rewrites nothing
    before = Project(project_dir).figures_file("zhungeer", YEAR).read_bytes()
    assert collect(project_dir, seed_wb) == 0
    assert "与原有数据相同，未改写" in capsys.readouterr().out
    assert Project(project_dir).figures_file("zhungeer", YEAR).read_bytes() == before


def test_round_trip_50_synthetic_units_through_workbooks_and_csv(tmp_path, capsys):
    synth = generate(tmp_path / "p", 50, YEAR, seed=7, notebook=REPO / "notebooks" / "annual_report.ipynb")
    root = synth.root
    project = Project(root)
    ids = [u.id for u in synth.units]
    original = {u: load_figures(project.figures_file(u, YEAR), unit=u, year=YEAR) for u in ids}
    assert main(["workbook", "--project", str(root), "--year", "2022", "--all", "--out", str(tmp_path / "wb")]) == 0
    assert main(["workbook", "--project", str(root), "--year", "2022", "--csv", str(tmp_path / "all.csv")]) == 0
    assert len(list((tmp_path / "wb").glob("*.xlsx"))) == 50
    for u in ids:
        project.figures_file(u, YEAR).unlink()
    assert collect(root, tmp_path / "wb") == 0
    out = capsys.readouterr().out
    assert "收到 50 份，接收 50，拒收 0：" in out
    for u in ids:
        back = load_figures(project.figures_file(u, YEAR), unit=u, year=YEAR)
        assert back.values == original[u].values, u
        assert back.facts == original[u].facts, u
    for u in ids:
        project.figures_file(u, YEAR).unlink()
    assert collect(root, tmp_path / "all.csv") == 0
    for u in ids:
        back = load_figures(project.figures_file(u, YEAR), unit=u, year=YEAR)
        assert back.values == original[u].values and back.facts == original[u].facts, u


def test_a_typed_change_is_written_and_printed(project_dir, seed_wb, capsys):
    def edit(wb):
        cell_of(wb, "table3", "new", "natural_person").value = 58
        wb[FACTS_SHEET]["C4"] = 225
    wb = edited(seed_wb, "typed.xlsx", edit)
    assert collect(project_dir, wb) == 0
    out = capsys.readouterr().out
    assert "  表三!D7 表三 第1行「一、本年新收政府信息公开申请数量」列「自然人」: 57 → 58\n" in out
    assert "  叙述数字「documents_published」: 224份（政府门户网站主动公开的政府文件） → 225份（政府门户网站主动公开的政府文件）\n" in out
    assert "（2 处改动）" in out
    fig = figures(project_dir)
    assert fig.get("table3", "new", "natural_person") == 58
    assert fig.facts["documents_published"].value == 225


@pytest.mark.parametrize("typed, accepted, message", [
    ("57 ", 57, None),
    ("57", 57, None),
    ("５７", None, "'５７' 含全角数字或全角标点。请改用半角数字（如 57、3197.1919）。"),
    ("1,560", None, "'1,560' 含千分位逗号。请直接写数字，不加逗号。"),
    ("/", None, "'/'（不适用）是缺失值，不是 0。没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。"),
    (None, None, "空白 是缺失值，不是 0。没有发生的事项请填写 0；确实无法统计的，请先补齐数据再生成报告。"),
    (57.5, None, "'57.5' 不是整数。件数、数量只能填写非负整数。"),
    (-3, None, "'-3' 是负数。本栏只能填写非负数。"),
])
def test_values_typed_as_text_are_read_as_the_yaml_loader_reads_them(project_dir, seed_wb, capsys, typed, accepted, message):
    target = Project(project_dir).figures_file("zhungeer", YEAR)
    good = target.read_bytes()
    wb = edited(seed_wb, "text.xlsx", lambda wb: setattr(cell_of(wb, "table3", "new", "natural_person"), "value", typed))
    code = collect(project_dir, wb)
    out = capsys.readouterr().out
    if accepted is not None:
        assert code == 0 and figures(project_dir).get("table3", "new", "natural_person") == accepted
        return
    assert code == 3
    assert (f"  - {wb}: 表三!D7（表三 第1行「一、本年新收政府信息公开申请数量」列「自然人」）: {message}\n") in out
    assert target.read_bytes() == good  # a refused workbook never touches the good figures


def test_the_fee_keeps_its_decimals_and_refuses_a_fifth(project_dir, seed_wb, capsys):
    wb = edited(seed_wb, "fee.xlsx", lambda wb: setattr(cell_of(wb, "table2", "fees", "amount"), "value", 3197.19191))
    assert collect(project_dir, wb) == 3
    out = capsys.readouterr().out
    assert ("表二!B17（表二 第6行「行政事业性收费」列「本年收费金额（单位：万元）」）: '3197.19191' 有 5 位小数，本栏最多 4 位（单位：万元）。"
            in out)
    wb = edited(seed_wb, "fee2.xlsx", lambda wb: setattr(cell_of(wb, "table2", "fees", "amount"), "value", 12.5))
    assert collect(project_dir, wb) == 0
    assert figures(project_dir).get("table2", "fees", "amount") == Decimal("12.5")


def test_a_deleted_row_is_refused_with_the_misplaced_label(project_dir, seed_wb, capsys):
    good = Project(project_dir).figures_file("zhungeer", YEAR).read_bytes()
    wb = edited(seed_wb, "deleted.xlsx", lambda wb: wb["表三"].delete_rows(12))
    assert collect(project_dir, wb) == 3
    out = capsys.readouterr().out
    assert f"  - {wb}: 表三!C12 应为「2.其他法律行政法规禁止公开」，实际为「3.危及“三安全一稳定”」。\n" in out
    assert "表三 的行或列被插入、删除或移动过（共 23 处标签位置不符），无法确定数字属于哪一格，整份工作簿未读入。" in out
    assert Project(project_dir).figures_file("zhungeer", YEAR).read_bytes() == good


def test_an_inserted_column_is_refused(project_dir, seed_wb, capsys):
    wb = edited(seed_wb, "col.xlsx", lambda wb: wb["表四"].insert_cols(3))
    assert collect(project_dir, wb) == 3
    out = capsys.readouterr().out
    assert f"  - {wb}: 表四!C6 应为「其他结果」，实际为「（空白）」。\n" in out


def test_another_units_or_years_workbook_is_refused(project_dir, seed_wb, capsys):
    units = project_dir / "params" / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8") + "  other:\n    name: 另一县人民政府\n    level: county\n    parent: null\n",
                     encoding="utf-8")
    assert collect(project_dir, seed_wb, extra=("--unit", "other")) == 3
    out = capsys.readouterr().out
    assert f"  - {seed_wb}: 这是 准格尔旗人民政府（zhungeer）的表格，不是要求的单位 other。请核对文件是否交错，或去掉 --unit。\n" in out
    assert collect(project_dir, seed_wb, extra=("--year", "2023")) == 3
    assert f"  - {seed_wb}: 这是 2022 年的表格，不是要求的 2023 年。\n" in capsys.readouterr().out

    def swap(wb):
        ws = wb[META_SHEET]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "unit":
                row[1].value = "other"
    wrong = edited(seed_wb, "swapped.xlsx", swap)
    assert collect(project_dir, wrong) == 3
    assert ("表格记录的单位名称「准格尔旗人民政府」与 params/units.yaml 中 other 的「另一县人民政府」不一致。"
            in capsys.readouterr().out)
    assert not Project(project_dir).figures_file("other", YEAR).exists()


def test_a_form_or_layout_mismatch_is_refused(project_dir, seed_wb, capsys):
    def meta(key, value):
        def fn(wb):
            for row in wb[META_SHEET].iter_rows(min_row=2):
                if row[0].value == key:
                    row[1].value = value
        return fn
    wb = edited(seed_wb, "form.xlsx", meta("form", "gov1999"))
    assert collect(project_dir, wb) == 3
    assert "未知的报告格式 'gov1999'" in capsys.readouterr().out
    wb = edited(seed_wb, "layout.xlsx", meta("layout", "0000000000000000"))
    assert collect(project_dir, wb) == 3
    assert "工作簿按另一版本的格式定义生成（布局 0000000000000000" in capsys.readouterr().out
    plain = seed_wb.parent / "plain.xlsx"
    from openpyxl import Workbook
    Workbook().save(plain)
    assert collect(project_dir, plain) == 3
    assert "不是 nianbao workbook 生成的工作簿（没有隐藏的 _nianbao 工作表" in capsys.readouterr().out


def test_a_formula_without_its_value_is_refused(project_dir, seed_wb, capsys):
    wb = edited(seed_wb, "formula.xlsx", lambda wb: setattr(cell_of(wb, "table3", "new", "natural_person"), "value", "=50+7"))
    assert collect(project_dir, wb) == 3
    out = capsys.readouterr().out
    assert ("表三!D7（表三 第1行「一、本年新收政府信息公开申请数量」列「自然人」）: 单元格是公式（=50+7），"
            "但文件中没有保存它的计算结果，无法读取数值。请在 Excel 或 WPS 中打开后保存再交回，或直接填写数字。") in out


def test_two_workbooks_for_one_unit_are_both_refused(project_dir, seed_wb, capsys):
    copy = seed_wb.with_name("copy.xlsx")
    shutil.copyfile(seed_wb, copy)
    assert collect(project_dir, seed_wb, copy) == 3
    out = capsys.readouterr().out
    assert out.count("同一单位同一年度（zhungeer，2022年）收到 2 份") == 2
    assert "收到 2 份，接收 0，拒收 2：" in out


def out_path_line(out: str) -> str:
    return out.split("拒收 ", 1)[1].split("（未写入任何文件）", 1)[0]


def test_a_blank_workbook_prefills_last_years_carry_over(project_dir, capsys):
    p = Project(project_dir)
    prior = p.figures_file("zhungeer", 2022)
    dst = p.figures_file("zhungeer", 2023)
    out = project_dir / "wb" / "2023.xlsx"
    assert main(["workbook", "--project", str(project_dir), "--unit", "zhungeer", "--year", "2023", "--out", str(out)]) == 0
    assert "表三「二、上年结转政府信息公开申请数量」已按 2022 年「四、结转下年度继续办理」预填。" in capsys.readouterr().out
    wb = load_workbook(out)
    assert [cell_of(wb, "table3", "carried_over", c.key).value for c in FORM.table("table3").columns] == [2, 0, 0, 0, 0, 0, 2]
    assert cell_of(wb, "table3", "new", "natural_person").value is None
    assert wb[FACTS_SHEET]["A4"].value == "documents_published" and wb[FACTS_SHEET]["C4"].value is None
    assert collect(project_dir, out) == 3  # still blank: refused, nothing written
    assert not dst.exists() and prior.exists()
    out = capsys.readouterr().out
    # one line for the 193 blank cells and 16 blank facts (200 cells less the 7 carried over), not 209
    assert (f"  - {out_path_line(out)}: 209 个单元格（表二 10 格、表三 168 格、表四 15 格、叙述数字 16 格；表二!B6、表二!C6、"
            f"表二!D6 等）: 空白 是缺失值，不是 0。") in out
    assert "拒收  209 处问题" in out


def test_csv_import_names_the_line_and_refuses_only_the_bad_unit(project_dir, capsys, tmp_path):
    csv_path = tmp_path / "all.csv"
    assert main(["workbook", "--project", str(project_dir), "--year", "2022", "--csv", str(csv_path)]) == 0
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == "unit,year,table,row,column,value"
    assert "zhungeer,2022,table3,new,natural_person,57" in text.splitlines()
    bad = text.replace("zhungeer,2022,table3,new,natural_person,57", "zhungeer,2022,表三,一、本年新收政府信息公开申请数量,自然人,５７")
    lineno = bad.splitlines().index("zhungeer,2022,表三,一、本年新收政府信息公开申请数量,自然人,５７") + 1
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    good = Project(project_dir).figures_file("zhungeer", YEAR).read_bytes()
    assert collect(project_dir, tmp_path / "bad.csv") == 3
    out = capsys.readouterr().out
    assert (f"{tmp_path / 'bad.csv'}:第{lineno}行（表三 第1行「一、本年新收政府信息公开申请数量」列「自然人」）: "
            f"'５７' 含全角数字或全角标点。") in out
    assert Project(project_dir).figures_file("zhungeer", YEAR).read_bytes() == good
    short = "\n".join(l for l in text.splitlines() if ",table4,review,total," not in l)
    (tmp_path / "short.csv").write_text(short, encoding="utf-8")
    assert collect(project_dir, tmp_path / "short.csv") == 3
    assert "缺少 1 个单元格：表四 第1行「行政复议」列「总计」。" in capsys.readouterr().out


def test_summary_workbook_lists_every_unit_with_its_status(project_dir, capsys):
    text = (project_dir / "data/2022/zhungeer/figures.yaml").read_text(encoding="utf-8")
    out = project_dir / "summary.xlsx"
    assert main(["workbook", "--project", str(project_dir), "--year", "2022", "--summary", "--out", str(out)]) == 0
    assert "1 个单位的汇总写入 summary.xlsx：通过 1，警告 0，不通过 0，无法读取 0。" in capsys.readouterr().out
    wb = load_workbook(out)
    assert wb.sheetnames == ["校验状态", "表二", "表三", "表四"]
    assert [c.value for c in wb["校验状态"][4]][:5] == ["zhungeer", "准格尔旗人民政府", "通过", 0, 0]
    t3 = wb["表三"]
    assert t3["D3"].value == "准格尔旗人民政府" and t3["D4"].value == "通过"
    assert (t3["B5"].value, t3["C5"].value, t3["D5"].value) == ("一、本年新收政府信息公开申请数量", "自然人", 57)
    assert text  # the figures were only read


def test_without_a_facts_sheet_the_existing_facts_are_kept(project_dir, seed_wb, capsys):
    def edit(wb):
        del wb[FACTS_SHEET]
        cell_of(wb, "table4", "review", "upheld").value = 1
        cell_of(wb, "table4", "review", "total").value = 1
    wb = edited(seed_wb, "nofacts.xlsx", edit)
    before = figures(project_dir).facts
    assert collect(project_dir, wb) == 0
    out = capsys.readouterr().out
    assert "注意：来源中没有叙述数字，保留 data/2022/zhungeer/figures.yaml 中原有的 16 项。" in out
    assert "  表四!A7 表四 第1行「行政复议」列「结果维持」: 0 → 1\n" in out
    assert figures(project_dir).facts == before


def test_all_writes_every_readable_unit_and_names_the_unreadable_one(project_dir, capsys):
    units = project_dir / "params" / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8") + "  broken:\n    name: 坏数据县人民政府\n    level: county\n    parent: null\n",
                     encoding="utf-8")
    bad = project_dir / "data" / "2022" / "broken" / "figures.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("unit: broken\nyear: 2022\ntable4: [\n", encoding="utf-8")
    out = project_dir / "wb"
    assert main(["workbook", "--project", str(project_dir), "--year", "2022", "--all", "--out", str(out)]) == 3
    captured = capsys.readouterr()
    names = [p.name for p in out.iterdir()]
    assert WB_NAME in names and not [n for n in names if "坏数据县" in n]
    assert "1 个单位的工作簿未生成（数据文件无法读取）" in captured.err
    assert "坏数据县人民政府（broken）: data/2022/broken/figures.yaml:4: YAML 格式错误" in captured.err


def test_collect_names_paths_it_cannot_read(project_dir, tmp_path, capsys):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert collect(project_dir, tmp_path / "old.xls", tmp_path / "missing.xlsx") == 3
    out = capsys.readouterr().out
    assert f"  {tmp_path / 'old.xls'}: 不认识的文件类型 .xls；可读入 .xlsx、.csv。旧版 .xls 请先用 Excel 或 WPS 另存为 .xlsx。" in out
    assert f"  {tmp_path / 'missing.xlsx'}: 文件不存在。" in out
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert collect(project_dir, tmp_path / "broken.xlsx") == 3
    assert "无法作为 .xlsx 工作簿打开" in capsys.readouterr().out


def test_dry_run_shows_the_changes_and_writes_nothing(project_dir, seed_wb, capsys):
    before = Project(project_dir).figures_file("zhungeer", YEAR).read_bytes()
    wb = edited(seed_wb, "dry.xlsx", lambda wb: setattr(cell_of(wb, "table3", "carried_forward", "total"), "value", 3))
    assert collect(project_dir, wb, extra=("--dry-run",)) == 0
    out = capsys.readouterr().out
    assert "将写入" in out and "  表三!J31 表三 第25行「四、结转下年度继续办理」列「总计」: 2 → 3\n" in out
    assert "1 处改动（未写入：--dry-run）" in out
    assert Project(project_dir).figures_file("zhungeer", YEAR).read_bytes() == before


def test_a_bad_fact_is_named_by_its_cell(project_dir, seed_wb, capsys):
    def edit(wb):
        wb[FACTS_SHEET]["C5"] = "1,560"
        wb[FACTS_SHEET]["C30"] = 5
    wb = edited(seed_wb, "facts.xlsx", edit)
    assert collect(project_dir, wb) == 3
    out = capsys.readouterr().out
    assert f"  - {wb}: 叙述数字!C5（叙述数字「key_area_items」）: '1,560' 含千分位逗号。请直接写数字，不加逗号。\n" in out
    assert f"  - {wb}: 叙述数字!A30: 这一行填了内容但没有名称。请填写名称（英文字母、数字和下划线），或清空整行。\n" in out


@pytest.mark.parametrize("typed, message", [
    (True, "单元格是逻辑值 TRUE，不是数字。请填写数字；没有发生的填 0。"),
    (__import__("datetime").datetime(2022, 1, 5), "单元格是日期或时间（2022-01-05 00:00:00），不是数字：Excel/WPS 可能把输入的“1-5”“3/4”之类自动转成了日期。"),
])
def test_spreadsheet_types_that_are_not_numbers_are_refused(project_dir, seed_wb, capsys, typed, message):
    wb = edited(seed_wb, "types.xlsx", lambda wb: setattr(cell_of(wb, "table4", "review", "total"), "value", typed))
    assert collect(project_dir, wb) == 3
    assert f"表四!E7（表四 第1行「行政复议」列「总计」）: {message}" in capsys.readouterr().out


def test_summary_shows_a_failing_and_an_unreadable_unit(project_dir, capsys):
    units = project_dir / "params" / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8")
                     + "  tilted:\n    name: 不平衡县人民政府\n    level: county\n    parent: null\n"
                     + "  broken:\n    name: 坏数据县人民政府\n    level: county\n    parent: null\n", encoding="utf-8")
    seed = (project_dir / "data/2022/zhungeer/figures.yaml").read_text(encoding="utf-8")
    for uid, text in (("tilted", seed.replace("unit: zhungeer", "unit: tilted").replace(
            "new:                         [57, 0, 0, 0, 0, 0, 57]", "new:                         [56, 0, 0, 0, 0, 1, 57]")),
                      ("broken", "unit: broken\nyear: 2022\ntable4: [\n")):
        (project_dir / "data/2022" / uid).mkdir()
        (project_dir / "data/2022" / uid / "figures.yaml").write_text(text, encoding="utf-8")
    shutil.copyfile(project_dir / "data/2022/zhungeer/narrative.md", project_dir / "data/2022/tilted/narrative.md")
    out = project_dir / "summary.xlsx"
    assert main(["workbook", "--project", str(project_dir), "--year", "2022", "--summary", "--out", str(out)]) == 0
    assert "3 个单位的汇总写入 summary.xlsx：通过 1，警告 0，不通过 1，无法读取 1。" in capsys.readouterr().out
    rows = {r[0]: r for r in load_workbook(out)["校验状态"].iter_rows(min_row=4, values_only=True)}
    assert rows["tilted"][2:4] == ("不通过", 2)  # two errors; warnings depend on other inputs (publication.yaml)
    assert rows["tilted"][5] == "T3-IDENTITY 表三一、本年新收＋二、上年结转「自然人」；T3-IDENTITY 表三一、本年新收＋二、上年结转「其他」"
    assert rows["broken"][2] == "无法读取" and "YAML 格式错误" in rows["broken"][5]
    t3 = load_workbook(out)["表三"]
    assert [t3.cell(3, c).value for c in (4, 5)] == ["准格尔旗人民政府", "不平衡县人民政府"]
    assert [t3.cell(5, c).value for c in (4, 5)] == [57, 56]


def test_a_2019_format_workbook_takes_its_cells_from_that_form(project_dir, capsys):
    out = project_dir / "wb" / "2020.xlsx"
    assert main(["workbook", "--project", str(project_dir), "--unit", "demo2019", "--year", "2020", "--out", str(out)]) == 0
    form = forms.for_year(2020)
    wb = load_workbook(out)
    signed = [c for t in form.tables for c in t.columns if c.type == "signed"]
    assert signed, "the 2019 format has signed cells (本年增/减)"
    dv = {(d.type, d.operator): str(d.sqref) for d in wb["表二"].data_validations.dataValidation}
    signed_cells = sorted(grids(form)["table2"].inputs[(r.key, c.key)].address
                          for r in form.table("table2").rows for c in r.columns if c.type == "signed")
    assert sorted(dv[("whole", "between")].split()) == signed_cells
    steps = [c.value for c in wb["填表说明"]["A"] if c.value]
    assert f"4. 「{signed[0].label}」填写整数，减少用负数表示（如 -8），没有变化的填 0。" in steps
    meta = {r[0]: r[1] for r in wb[META_SHEET].iter_rows(min_row=2, values_only=True)}
    assert meta["form"] == form.id != FORM.id
