"""nianbao import: published reports read into the project's formats, cell by cell, never guessed.

The corpus (tests/fixtures/reports/) holds real published reports as the page store gives them,
each with its source (<id>.source.yaml) and hand-checked figures (<id>.expected.yaml, keyed by the
printed labels so they hold for any form pack).
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from nianbao import forms
from nianbao.cli import main
from nianbao.figures import load_figures
from nianbao.importer import import_report
from nianbao.importer.tokens import norm
from nianbao.narrative import parse_narrative

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent.parent / "shared" / "seeds" / "000_d894ce981fcc32ce.txt"
if not SEED.is_file():
    SEED = Path("/work/shared/seeds/000_d894ce981fcc32ce.txt")
CORPUS = REPO / "tests" / "fixtures" / "reports"
GENERATED = CORPUS / "generated"
EXPECTED = sorted(CORPUS.glob("*.expected.yaml"))


def _seed_values():
    return load_figures(REPO / "data" / "2022" / "zhungeer" / "figures.yaml").values


def _assert_all_200(values):
    want = _seed_values()
    n = 0
    for table, cells in want.items():
        for key, value in cells.items():
            assert values[table][key] == value, (table, key, value, values[table][key])
            n += 1
    assert n == 200


# --- done when: the seed ---------------------------------------------------------------------------

def test_seed_imports_all_200_cells_by_the_command(tmp_path, capsys):
    rc = main(["import", str(SEED), "--unit", "zhungeer", "--year", "2022", "--out", str(tmp_path)])
    assert rc == 0
    out = tmp_path / "2022" / "zhungeer"
    figures = load_figures(out / "figures.yaml", unit="zhungeer", year=2022)
    _assert_all_200(figures.values)
    assert figures.get("table2", "fees", "amount") == Decimal("3197.1919")
    narrative = parse_narrative((out / "narrative.md").read_text(encoding="utf-8"), figures.form, "narrative.md")
    assert list(narrative.sections) == [s.key for s in figures.form.sections]
    assert narrative.text("overview").startswith("2022年，准格尔旗坚持以习近平新时代中国特色社会主义思想为指导")
    assert "未收取政府信息公开信息处理费" in narrative.text("other")
    assert narrative.text("problems").startswith("（一）存在的主要问题。一是政务公开专业人才缺乏")
    log = (out / "import.log").read_text(encoding="utf-8")
    assert "完整读取 — 读出 200 格" in log
    assert "表三第1行「一、本年新收政府信息公开申请数量」列「自然人」 = 57 ← 第88行第1格 “57”" in log
    assert "完整读取（读出 200 格，空白 0，拒读 0，文本中没有 0；章节 6/6）" in capsys.readouterr().out


def test_import_is_deterministic(tmp_path):
    for d in ("a", "b"):
        assert main(["import", str(SEED), "--unit", "zhungeer", "--out", str(tmp_path / d)]) == 0
    for name in ("figures.yaml", "narrative.md", "import.log"):
        assert (tmp_path / "a/2022/zhungeer" / name).read_bytes() == (tmp_path / "b/2022/zhungeer" / name).read_bytes()


@pytest.mark.parametrize("name", ["zhungeer_2022_tables.docx", "zhungeer_2022_tables.pdf"])
def test_generated_word_tables_and_their_pdf_import_all_200_cells(name):
    # real Word tables with merged cells; in the PDF long labels wrap inside narrow cells and
    # headers run together on one line (行政复议行政诉讼)
    r = import_report(GENERATED / name)
    assert r.form.id == "gov2021" and r.year == 2022
    _assert_all_200(r.values())


@pytest.mark.parametrize("suffix", ["pdf", "docx"])
def test_generated_pdf_and_docx_of_the_seed_import_all_200_cells(suffix):
    r = import_report(GENERATED / f"zhungeer_2022.{suffix}")
    assert r.year == 2022 and r.form.id == "gov2021" and r.unit_name == "准格尔旗人民政府"
    _assert_all_200(r.values())
    cell = next(c for c in r.cells if (c.table, c.row, c.column) == ("table3", "new", "natural_person"))
    assert cell.where == ("第3页第2行第1格" if suffix == "pdf" else "第88段第1格") and cell.text == "57"


# --- the corpus -----------------------------------------------------------------------------------

def _check_against_expected(exp_path: Path):
    e = yaml.safe_load(exp_path.read_text(encoding="utf-8"))
    side = yaml.safe_load((CORPUS / f"{e['id']}.source.yaml").read_text(encoding="utf-8"))
    r = import_report(CORPUS / side["file"], year=e.get("year_option"))
    assert r.form.id == e["format"] and r.year == e["year"]
    by_label = {(t.number, norm(row.label)): (t, row) for t in r.form.tables for row in t.rows}
    values = r.values()
    listed, exact, refused = set(), 0, 0
    for number, rows in (e.get("tables") or {}).items():
        for label, want_row in rows.items():
            t, row = by_label[(number, norm(label))]
            assert len(want_row) == len(row.columns), (label, want_row)
            for col, want in zip(row.columns, want_row):
                listed.add((t.key, row.key, col.key))
                got = values[t.key][(row.key, col.key)]
                assert got is None or got == want, f"WRONG {t.name}「{row.label}」「{col.label}」: {got} != {want}"
                if got is None and want is not None:
                    refused += 1
                else:
                    exact += 1
    for c in r.cells:  # a cell not in the text is never given a value
        if (c.table, c.row, c.column) not in listed:
            assert c.value is None and c.status in ("absent", "refused", "blank"), c
    assert [s.title for s in r.form.sections if s.key in r.sections] == e["sections"]
    return r, exact, refused


@pytest.mark.parametrize("exp", EXPECTED, ids=[p.name.split(".")[0] for p in EXPECTED])
def test_corpus_report_imports_with_no_wrong_cell(exp):
    fmt = yaml.safe_load(exp.read_text(encoding="utf-8"))["format"]
    if fmt not in forms.available():
        pytest.skip(f"{exp.name}: the report is in format {fmt}, which no registered form pack declares yet "
                    f"(registered: {', '.join(forms.available())})")
    r, exact, refused = _check_against_expected(exp)
    known = (yaml.safe_load(exp.read_text(encoding="utf-8")).get("known_refusals") or {}).get("count", 0)
    assert refused == known, f"{exp.name}: {refused} printed cells were refused (known: {known})"


def test_corpus_has_at_least_ten_reports_of_several_levels_and_layouts():
    sides = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in CORPUS.glob("*.source.yaml")]
    assert len(sides) >= 10
    assert all(s["address"].startswith("http") for s in sides)
    assert len({s["unit_level"].split(" ")[0] for s in sides}) >= 6
    assert {s["format"].split(" ")[0] for s in sides} == {"gov2019", "gov2021"}


def test_a_2019_format_table_is_never_read_with_the_2021_columns():
    r = import_report(CORPUS / "chibi_pufang_2020.txt", form_id="gov2021")
    t2 = [c for c in r.cells if c.table == "table2"]
    assert all(c.value is None for c in t2)
    regs = [c for c in t2 if c.row == "regulations"]
    assert {c.status for c in regs} == {"refused"}
    assert "第二十条第（一）项的列标题不是本格式的「本年制发件数」" in regs[0].reason
    assert "本年新制作 数量" in regs[0].reason
    # 表三's labels are the same in both formats: its two printed rows are read, the cut row refused
    assert [values for values in (r.values()["table3"][("new", c.key)] for c in r.form.table("table3").columns)] == [0] * 7
    disclosed = [c for c in r.cells if c.table == "table3" and c.row == "disclosed"]
    assert {c.status for c in disclosed} == {"refused"}
    assert "印出 3 个数、应有 7 个" in disclosed[0].reason


def test_blank_cells_of_a_published_table_stay_missing():
    r = import_report(CORPUS / "sxjiaxian_xizhen_2022.txt")
    t3 = [c for c in r.cells if c.table == "table3" and c.row == "new"]
    assert [c.status for c in t3] == ["blank"] * 7 and all(c.value is None for c in t3)
    assert "未印数字（空白）：缺失，不是 0" in t3[0].reason


# --- layouts and honesty, on small inputs written here --------------------------------------------

def _write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


T2_HEAD = ("2022年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第（一）项\n"
           "信息内容 本年制发件数 本年废止件数 现行有效件数\n")


def test_run_together_digits_are_split_only_when_one_split_is_possible(tmp_path):
    p = _write(tmp_path, "r.txt", T2_HEAD + "规章 000\n行政规范性文件6233440\n第二十条第（五）项\n")
    r = import_report(p)
    v = r.values()["table2"]
    assert [v[("regulations", c)] for c in ("issued", "repealed", "in_force")] == [0, 0, 0]
    regs = [c for c in r.cells if c.row == "regulations"]
    assert {c.status for c in regs} == {"split"} and "唯一拆为 0、0、0" in regs[0].reason
    docs = [c for c in r.cells if c.row == "normative_documents"]
    assert {c.status for c in docs} == {"refused"} and all(c.value is None for c in docs)
    assert "“6233440”是连写的数字，按本表的勾稽关系不止一种拆法成立，不猜测" in docs[0].reason


def test_table3_row_split_by_its_row_total(tmp_path):
    head = ("三、收到和处理政府信息公开申请情况\n（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\n"
            "申请人情况 自然人 法人或其他组织 总计 商业企业 科研机构 社会公益组织 法律服务机构 其他\n")
    # 57 0 0 0 0 0 57 printed as one run; 二: the same with a total that does not add up
    p = _write(tmp_path, "r.txt", "2022年政府信息公开工作年度报告\n" + head + "一、本年新收政府信息公开申请数量 570000057\n"
                                  "二、上年结转政府信息公开申请数量 570000058\n（一）予以公开 0 0 0 0 0 0 0\n")
    r = import_report(p)
    new = [c for c in r.cells if c.table == "table3" and c.row == "new"]
    assert [c.value for c in new] == [57, 0, 0, 0, 0, 0, 57]
    assert {c.status for c in new} == {"split"}
    assert "按本表勾稽关系只有一种拆法：57、0、0、0、0、0、57" in r.tables["table3"].log[0]
    over = [c for c in r.cells if c.table == "table3" and c.row == "carried_over"]
    assert {c.status for c in over} == {"refused"} and "没有一种拆法成立" in over[0].reason
    assert [r.values()["table3"][("disclosed", c.key)] for c in r.form.table("table3").columns] == [0] * 7


def test_slash_and_blank_pipe_cells_are_missing_and_spaced_labels_match(tmp_path):
    text = (T2_HEAD + "规 章 | / | 0 | 1 |\n行政规范性文件 |  | 2 | 3 |\n第二十条第（五）项 | |||\n信息内容 | 本年处理决定数量 | ||\n"
            "行政许可 | ０ | ||\n")
    r = import_report(_write(tmp_path, "r.md", text))
    v = r.values()["table2"]
    assert v[("regulations", "issued")] is None and v[("regulations", "in_force")] == 1
    assert v[("normative_documents", "issued")] is None and v[("normative_documents", "in_force")] == 3
    by = {(c.row, c.column): c for c in r.cells}
    assert by[("regulations", "issued")].status == "blank" and "“/”：缺失，不是 0" in by[("regulations", "issued")].reason
    assert by[("normative_documents", "issued")].status == "blank"
    assert by[("licensing", "decisions")].status == "refused" and "全角" in by[("licensing", "decisions")].reason


def test_gbk_web_page_with_chrome_and_html_tables(tmp_path):
    form = forms.get("gov2021")
    t2 = form.table("table2")
    rows = []
    for block in t2.blocks:
        rows.append(f'<tr><td colspan="4">{block.label}</td></tr>')
        rows.append("<tr><td>信息内容</td>" + "".join(f"<td>{c.label}</td>" for c in block.columns) + "</tr>")
        for i, row in enumerate(block.rows):
            vals = [str(10 * i + j) for j in range(len(row.columns))]
            if row.key == "penalties":
                vals = ["&nbsp;"]
            rows.append(f"<tr><td>{row.label}</td>" + "".join(f"<td>{v}</td>" for v in vals) + "</tr>")
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>x</title>'
            '<script>var hits = 99999;</script></head><body><div class="nav">首页 规章 9 9 9</div>'
            '<div id="zoom"><p>某县人民政府2022年政府信息公开工作年度报告</p><p>一、总体情况</p><p>本年度共收到申请5件。</p>'
            '<p>二、主动公开政府信息情况</p><table>' + "".join(rows) + '</table></div>'
            '<div class="footer">网站访问量 123456 版权所有</div></body></html>')
    r = import_report(_write(tmp_path, "page.html", html, "gb18030"))
    assert r.document.encoding == "gb18030" and r.unit_name == "某县人民政府" and r.year == 2022
    v = r.values()["table2"]
    assert [v[("regulations", c.key)] for c in t2.row("regulations").columns] == [0, 1, 2]
    assert [v[("normative_documents", c.key)] for c in t2.row("normative_documents").columns] == [10, 11, 12]
    assert v[("penalties", "decisions")] is None and v[("enforcement", "decisions")] == 10
    assert r.sections["overview"].text == "本年度共收到申请5件。"
    assert "访问量" not in r.document.text and "99999" not in r.document.text


def test_label_with_a_small_typo_is_matched_and_logged(tmp_path):
    head = ("三、收到和处理政府信息公开申请情况\n申请人情况 自然人 商业企业 科研机构 社会公益组织 法律服务机构 其他 总计\n")
    p = _write(tmp_path, "r.txt", "2022年政府信息公开工作年度报告\n" + head + "一、本年新收政府信息公开申情数量 1 0 0 0 0 0 1\n")
    r = import_report(p)
    assert [r.values()["table3"][("new", c.key)] for c in r.form.table("table3").columns] == [1, 0, 0, 0, 0, 0, 1]
    assert any("略有出入" in line for line in r.tables["table3"].log)


def test_unreadable_inputs_exit_3_and_write_nothing(tmp_path, capsys):
    bad = _write(tmp_path, "x.pdf", "not a pdf")
    odd = _write(tmp_path, "x.xls", "a")
    rc = main(["import", str(bad), str(odd), "--out", str(tmp_path / "out")])
    assert rc == 3
    err = capsys.readouterr().err
    assert "无法打开 PDF" in err and "不支持的文件类型 .xls" in err
    assert not (tmp_path / "out").exists()
    assert main(["import", str(SEED), str(SEED), "--unit", "a", "--out", str(tmp_path / "o")]) == 2


def test_a_cited_report_title_is_not_the_reports_year():
    # 国家新闻出版署's excerpt cites 《…2021年政府信息公开工作年度报告》 and has no title of its own
    from nianbao.errors import InputError

    with pytest.raises(InputError, match="报告中找不到年度"):
        import_report(CORPUS / "nppa_2022.txt")


# --- the 2019-format pack ---------------------------------------------------------------------

@pytest.fixture
def pack_2019():
    """The bundled gov2019 pack (lib/nianbao/forms/gov2019)."""
    return forms.get("gov2019")


def test_a_row_the_national_form_lacks_is_logged_not_imported(pack_2019):
    r = import_report(CORPUS / "xiaogan_office_2020.txt")
    assert r.tables["table2"].log == [
        "表二中有国家格式以外的行「其他主动公开文件」（第16行第1格，印出 56、45）：未导入，如需保留请另行记录"]
    assert sorted(c.value for c in r.cells if c.value is not None) == [2, 2, 3, 11, 11, 119]


def _column_major_text(order: str) -> str:
    """表三 with every row label first, then the numbers (as some PDF extractions give it)."""
    seed = load_figures(REPO / "data" / "2022" / "zhungeer" / "figures.yaml")
    t3 = seed.form.table("table3")
    head = ("2022年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n申请人情况\n"
            + "\n".join(c.label for c in t3.columns) + "\n")
    labels = "\n".join(r.label for r in t3.rows) + "\n"
    grid = [[seed.get("table3", r.key, c.key) for c in t3.columns] for r in t3.rows]
    nums = [v for row in grid for v in row] if order == "rows" else [grid[i][j] for j in range(7) for i in range(25)]
    return head + labels + "\n".join(str(v) for v in nums) + "\n四、政府信息公开行政复议、行政诉讼情况\n"


@pytest.mark.parametrize("order", ["rows", "cols"])
def test_column_major_table_is_read_only_when_one_order_holds(tmp_path, order):
    r = import_report(_write(tmp_path, "r.txt", _column_major_text(order)))
    want = _seed_values()["table3"]
    assert r.values()["table3"] == want
    assert "只有" + ("逐行" if order == "rows" else "逐列") + "读法符合本表的勾稽关系" in r.tables["table3"].log[0]


def test_column_major_table_that_fits_neither_order_is_refused(tmp_path):
    text = _column_major_text("cols").replace("\n57\n", "\n56\n", 1)
    r = import_report(_write(tmp_path, "r.txt", text))
    t3 = [c for c in r.cells if c.table == "table3"]
    assert {c.status for c in t3} == {"refused"} and all(c.value is None for c in t3)
    assert "逐行读与逐列读两种读法都不符合本表的勾稽关系，不猜测" in t3[0].reason


def test_word_file_with_real_tables_and_merged_cells(tmp_path):
    import docx

    form = forms.get("gov2021")
    t2 = form.table("table2")
    d = docx.Document()
    d.add_paragraph("某街道办事处2022年政府信息公开工作年度报告")
    d.add_paragraph("二、主动公开政府信息情况")
    for block in t2.blocks:
        cols = len(block.columns) + 1
        tbl = d.add_table(rows=0, cols=4)
        head = tbl.add_row().cells
        head[0].merge(head[3]).text = block.label  # the block label spans the table
        hdr = tbl.add_row().cells
        hdr[0].text = "信息内容"
        for j, c in enumerate(block.columns, 1):
            hdr[j].text = c.label
        if cols < 4:
            hdr[cols - 1].merge(hdr[3])
        for i, row in enumerate(block.rows):
            cells = tbl.add_row().cells
            cells[0].text = row.label
            for j in range(len(block.columns)):
                cells[j + 1].text = str(100 * i + j + 1)
            if cols < 4:
                cells[cols - 1].merge(cells[3])
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    path = tmp_path / "r.docx"
    d.save(path)
    r = import_report(path)
    v = r.values()["table2"]
    assert [v[("normative_documents", c.key)] for c in t2.row("normative_documents").columns] == [101, 102, 103]
    assert v[("licensing", "decisions")] == 1 and v[("enforcement", "decisions")] == 101
    cell = next(c for c in r.cells if c.row == "enforcement")
    assert cell.where == "表格3第4行第2格"


def test_labels_broken_over_lines_and_non_breaking_spaces(tmp_path):
    head = ("2022年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n申请人情况\n自然人\n商业\n企业\n科研\n机构\n"
            "社会公益组织\n法律服务机构\n其他\n总计\n")
    body = ("一、本年新收政府信息\n公开申请数量\n3\u00a0\n0\n0\n0\n0\n0\n\u00a03\n"
            "二、上年结转政府信息公开申请数量\t1\t0\t0\t0\t0\t0\t1\n")
    r = import_report(_write(tmp_path, "r.txt", head + body))
    cols = [c.key for c in r.form.table("table3").columns]
    assert [r.values()["table3"][("new", c)] for c in cols] == [3, 0, 0, 0, 0, 0, 3]
    assert [r.values()["table3"][("carried_over", c)] for c in cols] == [1, 0, 0, 0, 0, 0, 1]


def test_gb18030_text_without_a_declaration_is_detected(tmp_path):
    p = tmp_path / "seed-gbk.txt"
    p.write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))
    r = import_report(p)
    assert r.document.encoding == "gb18030"
    _assert_all_200(r.values())


def test_an_analysts_figures_file_is_never_replaced(tmp_path, project_dir, capsys):
    data = project_dir / "data"
    before = (data / "2022/zhungeer/figures.yaml").read_bytes()
    assert main(["import", str(SEED), "--unit", "zhungeer", "--out", str(data)]) == 3
    assert "已存在且不是导入生成的文件，不覆盖" in capsys.readouterr().err
    assert (data / "2022/zhungeer/figures.yaml").read_bytes() == before
    assert not (data / "2022/zhungeer/import.log").exists()
    # a previous import is replaced by the new one
    assert main(["import", str(SEED), "--unit", "x", "--out", str(tmp_path)]) == 0
    assert main(["import", str(SEED), "--unit", "x", "--out", str(tmp_path)]) == 0
