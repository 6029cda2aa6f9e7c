"""``nianbao validate`` and ``nianbao run`` with validation: exit codes, printed failures, the report's
banner and failure table, and validation.json beside the report."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nianbao.cli import main
from nianbao.errors import ValidationFailed

FIGURES = Path("data/2022/zhungeer/figures.yaml")


def edit(project: Path, old: str, new: str, path: Path = FIGURES) -> None:
    f = project / path
    text = f.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    f.write_text(text.replace(old, new), encoding="utf-8")


NEW_ROW = "new:                         [57, 0, 0, 0, 0, 0, 57]"
OFF_PER_COLUMN = "new:                         [56, 0, 0, 0, 0, 1, 57]"  # 自然人 −1, 其他 +1, 总计 intact


def test_validate_seed_passes(project_dir, capsys):
    assert main(["validate", "--year", "2022", "--project", str(project_dir)]) == 0
    out = capsys.readouterr().out
    assert out == "准格尔旗人民政府（zhungeer）2022年：通过（0 个错误，0 个警告）\n"


def test_validate_broken_file_prints_failures_and_exits_4(project_dir, capsys):
    edit(project_dir, NEW_ROW, OFF_PER_COLUMN)
    edit(project_dir, "withheld_state_secret:       [0, 0,", 'withheld_state_secret:       ["/", 0,')
    code = main(["validate", "--year", "2022", "--unit", "zhungeer", "--project", str(project_dir)])
    captured = capsys.readouterr()
    assert code == 4
    lines = captured.out.splitlines()
    assert lines[0] == "准格尔旗人民政府（zhungeer）2022年：不通过（3 个错误，0 个警告；2 条规则因缺失值未能完全校验）"
    assert lines[1].split() == ["级别", "规则", "表", "行", "列", "应为", "实际", "差额", "说明"]
    rows = [line.split(None, 10) for line in lines[2:5]]
    assert [r[:8] for r in rows[:2]] == [
        ["错误", "T3-IDENTITY", "表三", "一、本年新收＋二、上年结转", "自然人", "57", "56", "-1"],
        ["错误", "T3-IDENTITY", "表三", "一、本年新收＋二、上年结转", "其他", "0", "1", "+1"],
    ]
    # the row label carries its group; the message says what the cell holds
    assert rows[2][:10] == ["错误", "TYPE-MISSING", "表三", "（三）不予公开", "/", "1.属于国家秘密", "自然人",
                            "填写数值（没有发生的填", "0）", "/"]
    assert "data/2022/zhungeer/figures.yaml:25: '/'（不适用）是缺失值，不是 0" in captured.out
    assert lines[5:] == [
        "  2 条规则因缺失值未能完全校验（每项所缺的单元格见 --json 输出的 checks.form-rules）：",
        "    T3-RESULTS-TOTAL：6 项通过，1 项因缺失值未能校验（表三列「自然人」；缺少 1 个单元格的数据）",
        "    T3-ROW-TOTAL：24 项通过，1 项因缺失值未能校验（表三第5行「（三）不予公开 / 1.属于国家秘密」；缺少 1 个单元格的数据）",
    ]
    assert "未通过校验" in captured.err
    # validating wrote nothing anywhere
    assert not any((project_dir / "outputs").iterdir())


def test_validate_invalid_yaml_exits_3_with_the_loader_message(project_dir, capsys):
    edit(project_dir, "table4:  #", "table4: [  #")
    code = main(["validate", "--year", "2022", "--project", str(project_dir)])
    err = capsys.readouterr().err
    assert code == 3
    assert "data/2022/zhungeer/figures.yaml:" in err and "YAML 格式错误" in err


def test_validate_unknown_unit_exits_3(project_dir, capsys):
    assert main(["validate", "--year", "2022", "--unit", "nosuch", "--project", str(project_dir)]) == 3
    assert "nosuch" in capsys.readouterr().err


def test_validate_needs_a_year(project_dir, capsys):
    assert main(["validate", "--project", str(project_dir)]) == 3
    assert "--year" in capsys.readouterr().err


def test_validate_all_years_checks_carry_over(project_dir, capsys):
    prior = project_dir / "data/2021/zhungeer/figures.yaml"
    prior.parent.mkdir(parents=True)
    text = (project_dir / FIGURES).read_text(encoding="utf-8").replace("year: 2022", "year: 2021")
    text = text.replace("carried_forward:             [2, 0, 0, 0, 0, 0, 2]", "carried_forward:             [0, 1, 0, 0, 0, 0, 1]")
    text = text.replace("results_total:               [55, 0, 0, 0, 0, 0, 55]", "results_total:               [57, 0, 0, 0, 0, 0, 57]")
    text = text.replace("other_other:                 [3, 0, 0, 0, 0, 0, 3]", "other_other:                 [5, 0, 0, 0, 0, 0, 5]")
    text = text.replace("new:                         [57, 0, 0, 0, 0, 0, 57]", "new:                         [57, 1, 0, 0, 0, 0, 58]")
    text = text.replace("normative_documents: {issued: 1, repealed: 0, in_force: 33}",
                        "normative_documents: {issued: 1, repealed: 0, in_force: 32}")
    prior.write_text(text, encoding="utf-8")
    code = main(["validate", "--all", "--unit", "zhungeer", "--project", str(project_dir), "--json",
                 str(project_dir / "out.json")])
    out = capsys.readouterr().out
    assert code == 4
    # 2021 has no narrative.md, so the narrative lint (a registered check) has its say too: look at the tables
    assert "准格尔旗人民政府（zhungeer）2021年：" in out and "准格尔旗人民政府（zhungeer）2022年：不通过" in out
    assert re.search(r"错误  X-CARRY-OVER  表三  二、上年结转政府信息公开申请数量  商业企业 +1 +0 +-1", out)
    assert out.splitlines()[-1].startswith("共 2 份报告：")
    results = json.loads((project_dir / "out.json").read_text(encoding="utf-8"))["results"]
    assert [r["year"] for r in results] == [2021, 2022]
    tables = [[(f["rule_id"], f["column"], f["expected"], f["actual"], f["difference"])
               for f in r["findings"] if f["check"] == "form-rules"] for r in results]
    assert tables == [[], [("X-CARRY-OVER", "commercial", 1, 0, -1), ("X-CARRY-OVER", "total", 1, 0, -1)]]
    assert results[1]["inputs"]["prior_figures"] == "data/2021/zhungeer/figures.yaml"


def test_validate_json_to_stdout_keeps_the_table_on_stderr(project_dir, capsys):
    assert main(["validate", "--year", "2022", "--project", str(project_dir), "--json", "-"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["results"][0]["status"] == "通过"
    assert "通过（0 个错误" in captured.err


def test_runner_parent_process_does_not_import_great_expectations():
    code = ("import sys, nianbao.runner as r; "
            "assert 'validation.json' in r.SIDE_OUTPUTS; "
            "assert 'great_expectations' not in sys.modules, 'GX imported in the parent'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_run_exits_4_after_writing_when_validation_failed(tmp_path):
    from types import SimpleNamespace

    from nianbao.commands.run import check_validation
    from nianbao.validation.evidence import dumps

    path = tmp_path / "validation.json"
    result = SimpleNamespace(files={"validation.json": path})
    path.write_bytes(dumps({"status_code": "failed", "counts": {"error": 2, "warning": 1}}))
    with pytest.raises(ValidationFailed, match="2 个错误") as exc:
        check_validation(result)
    assert exc.value.exit_code == 4
    check_validation(result, allow_invalid=True)  # told otherwise: no error
    path.write_bytes(dumps({"status_code": "warning", "counts": {"error": 0, "warning": 1}}))
    check_validation(result)


class _Cells(HTMLParser):
    """Text of every row of the table with the given class."""

    def __init__(self, table_class: str):
        super().__init__()
        self.table_class, self.depth, self.rows, self.cell = table_class, 0, [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and self.table_class in (a.get("class") or "").split():
            self.depth = 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth = 0
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


@pytest.mark.slow
def test_run_renders_a_failing_report_with_banner_and_failure_table(project_dir, capsys):
    edit(project_dir, NEW_ROW, OFF_PER_COLUMN)
    code = main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir)])
    captured = capsys.readouterr()
    assert code == 4, captured.err
    assert "数据校验未通过" in captured.err
    out = project_dir / "outputs/2022/zhungeer"
    html = (out / "report.html").read_text(encoding="utf-8")
    # the banner sits under the title, before the first section
    banner = html.index('class="nb-v-banner"')
    assert html.index('class="nb-title"') < banner < html.index('id="section-overview"')
    assert re.search(r"<strong>数据校验未通过</strong>：发现 2 个错误、0 个警告", html)
    assert "未通过校验 · 本报告不得发布" in html and "<table class=\"nb-table nb-v-table nb-v-findings\"" not in html  # evidence
    parser = _Cells("nb-v-findings")
    parser.feed((out / "evidence.html").read_text(encoding="utf-8"))
    head, *rows = parser.rows
    assert head == ["序号", "级别", "规则", "表", "行", "列", "应为", "实际", "差额", "说明"]
    assert [r[:9] for r in rows] == [
        ["1", "错误", "T3-IDENTITY", "表三", "一、本年新收＋二、上年结转", "自然人", "57", "56", "-1"],
        ["2", "错误", "T3-IDENTITY", "表三", "一、本年新收＋二、上年结转", "其他", "0", "1", "+1"],
    ]
    assert "Calculating Metrics" not in html
    # the evidence beside the report: the same result, GX suites included
    data = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert data["status"] == "不通过" and data["counts"] == {"error": 2, "warning": 0}
    suites = data["checks"]["form-rules"]["evidence"]["suites"]
    assert {s["suite"] for s in suites} >= {"gov2021.T3-IDENTITY", "gov2021.T3-ROW-TOTAL", "gov2021.TYPE-MISSING"}
    # no progress bars or warnings leaked into the executed notebook
    nb = json.loads((out / "report.ipynb").read_text(encoding="utf-8"))
    streams = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert streams == []
