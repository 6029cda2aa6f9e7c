"""nianbao audit: a folder of published reports imported, validated and linted in one run; the
dashboard is offline, the CSV and XLSX say the same, a report that cannot be read stops nothing."""
from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from nianbao.cli import main

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fixtures" / "reports"
SEED = Path("/work/shared/seeds/000_d894ce981fcc32ce.txt")
if not SEED.is_file():
    SEED = REPO.parent.parent / "shared" / "seeds" / "000_d894ce981fcc32ce.txt"


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    src = tmp_path_factory.mktemp("reports")
    shutil.copy(SEED, src / "zhungeer.txt")
    text = SEED.read_text(encoding="utf-8")
    # a published table that does not add up: 表三「一、本年新收」自然人 printed as 58 (总计 57)
    i = text.index("一、本年新收政府信息公开申请数量")
    (src / "sub").mkdir()
    (src / "sub" / "wrong.txt").write_text(text[:i] + text[i:].replace("\t57\n", "\t58\n", 1), encoding="utf-8")
    for name in ("yangling_audit_2022.txt", "wqx_wuqi_2023.txt", "chibi_pufang_2020.txt", "hanyang_office_2022.txt"):
        shutil.copy(CORPUS / name, src / name)
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    (src / "notes.yaml").write_text("ignored: true\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("audit")
    assert main(["audit", str(src), "--out", str(out)]) == 0
    return src, out


def test_every_report_is_listed_and_a_broken_one_stops_nothing(audited):
    src, out = audited
    rows = {r["报告"]: r for r in _rows(out / "audit-reports.csv")}
    assert sorted(rows) == ["broken", "chibi_pufang_2020", "hanyang_office_2022", "sub-wrong", "wqx_wuqi_2023",
                            "yangling_audit_2022", "zhungeer"]
    assert rows["broken"]["读取"] == "未能导入" and "无法打开 PDF" in rows["broken"]["未能导入的原因"]
    z = rows["zhungeer"]
    assert (z["读取"], z["读出格数"], z["表格错误"], z["缺失单元格"], z["缺少的章节"]) == ("完整读取", "200", "0", "0", "")
    y = rows["yangling_audit_2022"]
    assert (y["读取"], y["读出格数"], y["文本中没有"]) == ("部分读取", "10", "190")
    assert y["缺少的章节"] == "四、政府信息公开行政复议、行政诉讼情况、五、存在的主要问题及改进情况、六、其他需要报告的事项"
    assert (out / "reports" / "zhungeer" / "import.log").is_file()


def test_a_table_that_does_not_add_up_is_imported_as_printed_and_fails(audited):
    src, out = audited
    found = [r for r in _rows(out / "audit-findings.csv") if r["报告"] == "sub-wrong" and r["规则"] == "T3-ROW-TOTAL"]
    assert [(r["行"], r["列"], r["应为"], r["实际"]) for r in found] == [("一、本年新收政府信息公开申请数量", "总计", "58", "57")]
    fig = (out / "reports" / "sub-wrong" / "figures.yaml").read_text(encoding="utf-8")
    assert "new:                         [58, 0, 0, 0, 0, 0, 57]" in fig
    ident = [r for r in _rows(out / "audit-findings.csv") if r["报告"] == "sub-wrong" and r["规则"] == "T3-IDENTITY"]
    assert [(r["列"], r["应为"], r["实际"]) for r in ident] == [("自然人", "57", "58")]


def test_published_wording_findings_are_listed(audited):
    src, out = audited
    rows = _rows(out / "audit-findings.csv")
    stale = [(r["报告"], r["位置"]) for r in rows if r["规则"] == "NARR-YEAR-STALE"]
    assert stale == [("sub-wrong", "sub/wrong.txt:431"), ("sub-wrong", "sub/wrong.txt:431"),
                     ("zhungeer", "zhungeer.txt:431"), ("zhungeer", "zhungeer.txt:431")]
    # wqx: the excerpt stops mid-sentence inside 一、总体情况 — one AUDIT-SECTION per missing section and
    # one for the cut; no NARR-FEE/NARR-PROBLEMS for sections it lacks, no NARR-TOPICS for the cut one
    w = [r for r in rows if r["报告"] == "wqx_wuqi_2023" and r["规则"] != "TYPE-MISSING"]
    assert [r["规则"] for r in w] == ["AUDIT-SECTION"] * 6
    assert w[0]["说明"].startswith("文本在第一部分“总体情况”中途结束")
    # yangling: the overview is whole and names all five topics; the text stops in 表三
    y = [r["规则"] for r in rows if r["报告"] == "yangling_audit_2022" and r["规则"] != "TYPE-MISSING"]
    assert y == ["AUDIT-SECTION"] * 4


def test_dashboard_is_offline(audited):
    html = (audited[1] / "audit.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html and "https://" not in html and "@import" not in html
    assert "sub/wrong.txt" in html and "T3-ROW-TOTAL" in html and "未能导入" in html


def test_xlsx_opens_in_libreoffice_and_matches_the_csv(audited, tmp_path):
    out = audited[1]
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1",
                    "--outdir", str(tmp_path), str(out / "audit.xlsx")], check=True, capture_output=True, timeout=120)
    got = list(csv.reader((tmp_path / "audit-报告.csv").read_text(encoding="utf-8").splitlines()))
    want = list(csv.reader((out / "audit-reports.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert got == want


def test_audit_outputs_are_deterministic(audited, tmp_path):
    src, out = audited
    assert main(["audit", str(src), "--out", str(tmp_path), "--quiet"]) == 0
    for name in ("audit.html", "audit-reports.csv", "audit-findings.csv", "audit.xlsx"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_empty_folder_is_bad_input(tmp_path, capsys):
    assert main(["audit", str(tmp_path), "--out", str(tmp_path / "o")]) == 3
    assert "没有可导入的报告" in capsys.readouterr().err


def test_published_omissions_are_found_and_other_formats_not_judged_by_2021_rules(audited):
    rows = _rows(audited[1] / "audit-findings.csv")
    # 汉阳区政府办公室 2022: 一、总体情况 is one paragraph naming none of the five topics
    h = sorted(r["说明"].split("“")[2].split("”")[0] for r in rows if r["报告"] == "hanyang_office_2022" and r["规则"] == "NARR-TOPICS")
    assert h == sorted(["主动公开", "依申请公开", "政府信息管理", "平台建设", "监督保障"])
    # 蒲纺工业园区 2020 is a 2019-format report: never judged by the 2021 topics — read with the 2019
    # pack when one is registered, else with one AUDIT-FORMAT note
    from nianbao import forms

    c = [r["规则"] for r in rows if r["报告"] == "chibi_pufang_2020" and r["规则"] not in ("TYPE-MISSING", "AUDIT-SECTION")]
    report = {r["报告"]: r for r in _rows(audited[1] / "audit-reports.csv")}["chibi_pufang_2020"]
    if "gov2019" in forms.available():
        assert (report["格式"], c) == ("gov2019", [])
    else:
        assert (report["格式"], c) == ("gov2021", ["AUDIT-FORMAT"])


def test_a_report_audited_as_another_year_says_so(audited, tmp_path):
    from nianbao.audit import audit_folder

    shutil.copy(CORPUS / "wqx_wuqi_2023.txt", tmp_path / "wqx.txt")
    [e] = audit_folder(tmp_path, year=2022)
    f = [f for f in e.findings if f.rule_id == "AUDIT-YEAR"]
    assert [(f.expected, f.actual) for f in f] == [("2022", "2023")]
    assert "报告本身写的是 2023 年度，按 --year 作为 2022 年度审查" in f[0].message


def test_an_audit_written_inside_the_folder_is_not_audited_next_time(tmp_path):
    shutil.copy(CORPUS / "yangling_audit_2022.txt", tmp_path / "a.txt")
    for _ in range(2):
        assert main(["audit", str(tmp_path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert [r["报告"] for r in _rows(tmp_path / "out" / "audit-reports.csv")] == ["a"]


def test_text_copied_from_the_same_bodys_report_of_last_year_is_found(tmp_path):
    """Two reports of one body in the folder, 2022 and a 2023 one that repeats its text (only the report
    year of its title changed): the 2023 one gets the copied-text warnings, the 2022 one none."""
    from nianbao.audit import audit_folder

    src = tmp_path / "reports"
    src.mkdir()
    text = SEED.read_text(encoding="utf-8")
    (src / "a2022.txt").write_text(text, encoding="utf-8")
    assert text.startswith("\ufeff2022年政府信息公开工作年度报告") or "2022年政府信息公开工作年度报告" in text.splitlines()[2]
    (src / "b2023.txt").write_text(text.replace("2022年政府信息公开工作年度报告", "2023年政府信息公开工作年度报告", 1),
                                   encoding="utf-8")
    entries = {e.id: e for e in audit_folder(src)}
    assert (entries["a2022"].imported.year, entries["b2023"].imported.year) == (2022, 2023)
    copied = [(f.rule_id, f.line, f.actual) for f in entries["b2023"].findings if f.rule_id.startswith("NARR-COPIED")]
    # sections 一, 五 and 六 (二 to 四 are the tables' sections: too little text of their own to compare)
    assert copied == [("NARR-COPIED", 9, "100%"), ("NARR-COPIED-PROBLEMS", 424, "100%"), ("NARR-COPIED", 429, "100%")]
    assert not [f for f in entries["a2022"].findings if f.rule_id.startswith("NARR-COPIED")]
