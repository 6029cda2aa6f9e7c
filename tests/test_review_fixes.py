"""Fixes from the code review: roll-up units in ``nianbao validate``, duplicate keys in figures and
unit files, strict booleans and parent ids in ``params/units.yaml``."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO
from nianbao.cli import main
from nianbao.errors import FiguresError, InputError
from nianbao.figures import load_figures
from nianbao.project import Project
from nianbao.rollup import RollupFigures
from nianbao.synthetic import generate
from nianbao.units import load_units
from nianbao.validation import load_context, validate_contexts

YEAR = 2022
NOTEBOOK = REPO / "notebooks" / "annual_report.ipynb"
COUNTY = "demo-county"


# ------------------------------------------------------------------------------------------------
# 1. nianbao validate compiles roll-up units as nianbao run does


@pytest.fixture
def synth(tmp_path) -> Project:
    generate(tmp_path / "p", 7, YEAR, seed=11, notebook=NOTEBOOK)  # county + 3 towns + 3 departments
    return Project(tmp_path / "p")


def _county_file(project: Project) -> Path:
    return project.figures_file(COUNTY, YEAR)


def _bump_total(project: Project, rows: tuple[str, ...]) -> dict[str, int]:
    """Add 1 to the 总计 column of ``rows`` of the county's 表三 (keeps its own table consistent)."""
    path = _county_file(project)
    text = path.read_text(encoding="utf-8")
    declared = {}
    for row in rows:
        m = re.search(rf"^(  {row}:\s+\[)([^\]]*)\]", text, flags=re.M)
        nums = [int(x) for x in m.group(2).split(",")]
        declared[row] = nums[-1] + 1
        nums[-1] += 1
        text = text[:m.start()] + m.group(1) + ", ".join(map(str, nums)) + "]" + text[m.end():]
    path.write_text(text, encoding="utf-8")
    return declared


def _drop_tables(project: Project, *tables: str) -> None:
    path = _county_file(project)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out, skipping = [], False
    for ln in lines:
        if re.match(r"^\S", ln):
            skipping = any(ln.startswith(f"{t}:") for t in tables)
        if not skipping:
            out.append(ln)
    path.write_text("".join(out), encoding="utf-8")


def _validate(project: Project, unit: str):
    ctx, problems = load_context(project, project.units().get(unit), YEAR)
    assert problems == []
    return ctx, validate_contexts([ctx])[0]


def test_validate_reports_rollup_mismatches_as_x_rollup(synth):
    children_sum = {r: load_figures(_county_file(synth), unit=COUNTY, year=YEAR).values["table3"][(r, "total")]
                    for r in ("new", "disclosed", "results_total")}
    declared = _bump_total(synth, ("new", "disclosed", "results_total"))
    ctx, result = _validate(synth, COUNTY)
    assert isinstance(ctx.figures, RollupFigures)
    got = [(f.rule_id, f.severity, f.check, f.table, f.row, f.column, f.expected, f.actual, f.difference)
           for f in result.findings]
    assert got == [("X-ROLLUP", "error", "rollup", "table3", r, "total", children_sum[r], declared[r], 1)
                   for r in ("new", "disclosed", "results_total")]
    f = result.findings[0]
    assert f.table_name == "表三" and f.row_label == "一、本年新收政府信息公开申请数量" and f.column_label == "总计"
    assert f.file == "data/2022/demo-county/figures.yaml" and f.unit == COUNTY and f.year == YEAR
    assert f.message.startswith(f"汇总单位填报 {declared['new']}，下级单位合计应为 {children_sum['new']}（")
    assert f"请改为 {children_sum['new']}，或删去这一格" in f.message
    assert result.checks["rollup"] == {"findings": 3}
    assert result.checks["input-file"] == {"findings": 0}  # not reported twice
    assert result.status_code == "failed"


def test_validate_cli_fails_on_rollup_mismatch_like_run(synth, capsys):
    _bump_total(synth, ("new", "disclosed", "results_total"))
    code = main(["validate", "--unit", COUNTY, "--year", str(YEAR), "--project", str(synth.root)])
    out = capsys.readouterr().out
    assert code == 4
    assert "示例县人民政府（demo-county）2022年：不通过（3 个错误，0 个警告）" in out
    assert out.count("X-ROLLUP") == 3
    code = main(["run", "--unit", COUNTY, "--year", str(YEAR), "--project", str(synth.root), "--format", "html"])
    assert code == 3  # nianbao run refuses the same file before rendering (unchanged)


def test_validate_accepts_rollup_file_without_summed_tables(synth):
    _drop_tables(synth, "table3", "table4")
    assert "table3" not in _county_file(synth).read_text(encoding="utf-8")
    ctx, result = _validate(synth, COUNTY)
    assert result.findings == ()
    assert result.status_code == "passed"
    children = [load_figures(synth.figures_file(c, YEAR), unit=c, year=YEAR) for c in ctx.figures.children]
    assert ctx.figures.values["table3"][("new", "total")] == sum(c.values["table3"][("new", "total")] for c in children)


def test_validate_rollup_still_requires_its_own_stock_and_fees(synth):
    path = _county_file(synth)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^  fees: \{amount: [^}]*\}", "  fees: {}", text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    _, result = _validate(synth, COUNTY)
    got = [(f.rule_id, f.table, f.row, f.column) for f in result.findings]
    assert got == [("TYPE-MISSING", "table2", "fees", "amount")]


# ------------------------------------------------------------------------------------------------
# 2. duplicate keys in figures files


def _write(tmp_path, text: str) -> Path:
    p = tmp_path / "figures.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _lines(text: str) -> int:
    return len(text.splitlines())


T3_ROW = "  new: [1, 0, 0, 0, 0, 0, 1]\n"


@pytest.mark.parametrize("name", ["表三", "table3"])
def test_table_given_twice_is_a_problem(seed_figures_text, tmp_path, name):
    text = seed_figures_text + f"{name}:\n" + T3_ROW
    dup_line = _lines(seed_figures_text) + 1
    fig = load_figures(_write(tmp_path, text), unit="zhungeer", year=2022, strict=False)
    assert [(p.kind, p.table, p.line, p.value) for p in fig.problems] == [("duplicate_table", "表三", dup_line, name)]
    p = fig.problems[0]
    assert p.message == (f"表三重复出现：{name!r} 与第 19 行的 'table3' 是同一张表（table3，表三）。"
                         f"只保留一处；这里的数据未被读取。")
    assert fig.values["table3"][("new", "total")] == 57  # the first one counts
    with pytest.raises(FiguresError) as exc:
        load_figures(_write(tmp_path, text), unit="zhungeer", year=2022)
    assert [p.kind for p in exc.value.problems] == ["duplicate_table"]


def test_fact_given_twice_is_a_problem(seed_figures_text, tmp_path):
    text = seed_figures_text + "  documents_published: {value: 1, unit: 份}\n"
    fig = load_figures(_write(tmp_path, text), unit="zhungeer", year=2022, strict=False)
    assert [(p.kind, p.table, p.line, p.value) for p in fig.problems] == \
        [("duplicate_fact", None, _lines(seed_figures_text) + 1, "documents_published")]
    assert fig.problems[0].message == ("facts.documents_published 重复出现（第一次在第 55 行）。每个名称只能写一次："
                                       "删去多余的一处；这里的值未被读取。")
    assert fig.facts["documents_published"].value == 224


def test_fact_field_given_twice_is_a_problem(seed_figures_text, tmp_path):
    text = seed_figures_text + "  extra: {value: 1, value: 2}\n"
    fig = load_figures(_write(tmp_path, text), unit="zhungeer", year=2022, strict=False)
    assert [(p.kind, p.line, p.value) for p in fig.problems] == [("duplicate_fact", _lines(seed_figures_text) + 1, "value")]
    assert fig.problems[0].message == "facts.extra: value 重复出现。每项只能写一次；这里的值未被读取。"
    assert fig.facts["extra"].value == 1


@pytest.mark.parametrize("key,first_line,extra", [("year", 4, "year: 2023\n"), ("unit", 3, "unit: other\n"),
                                                  ("form", 5, "form: gov2021\n")])
def test_top_level_key_given_twice_is_a_problem(seed_figures_text, tmp_path, key, first_line, extra):
    lines = seed_figures_text.splitlines(keepends=True)
    text = "".join(lines[:5]) + extra + "".join(lines[5:])  # inserted as line 6
    fig = load_figures(_write(tmp_path, text), unit="zhungeer", year=2022, strict=False)
    assert [(p.kind, p.table, p.line, p.value) for p in fig.problems] == [("duplicate_key", None, 6, key)]
    assert fig.problems[0].message == (f"{key} 重复出现（第一次在第 {first_line} 行）。每项只能写一次：删去多余的一处；"
                                       f"两处内容不同时请核对哪一处正确。")
    assert (fig.unit, fig.year, fig.form.id) == ("zhungeer", 2022, "gov2021")  # the first one counts


def test_validate_reports_a_duplicate_table_as_input_file(project_dir, capsys):
    path = project_dir / "data/2022/zhungeer/figures.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "表三:\n" + T3_ROW, encoding="utf-8")
    ctx, _ = load_context(Project(project_dir), Project(project_dir).units().get("zhungeer"), 2022)
    result = validate_contexts([ctx])[0]
    got = [(f.rule_id, f.table_name, f.line, f.actual, f.file) for f in result.findings]
    assert got == [("INPUT-FILE", "表三", _lines(text) + 1, "表三", "data/2022/zhungeer/figures.yaml")]


# ------------------------------------------------------------------------------------------------
# 2 and 3. params/units.yaml: duplicate ids, strict booleans, parent ids

UNITS_HEAD = "units:\n"
ZHUNGEER = "  zhungeer:\n    name: 准格尔旗人民政府\n    level: county\n    parent: null\n"


def _units(tmp_path, body: str):
    p = tmp_path / "units.yaml"
    p.write_text(UNITS_HEAD + body, encoding="utf-8")
    return load_units(p, display="params/units.yaml")


def test_unit_id_given_twice_is_refused(tmp_path):
    body = ZHUNGEER + "  zhungeer:\n    name: 另一个\n    level: city\n"
    with pytest.raises(InputError) as exc:
        _units(tmp_path, body)
    assert str(exc.value) == ("params/units.yaml:6: 单位 'zhungeer': 编号重复（第一次在第 2 行）。每个单位只能登记一次；"
                              "两个单位请用不同编号，同一单位请合并为一项。")


def test_unit_field_given_twice_is_refused(tmp_path):
    with pytest.raises(InputError) as exc:
        _units(tmp_path, ZHUNGEER + "    level: city\n")
    assert str(exc.value) == "params/units.yaml:6: 单位 'zhungeer': 字段 level 重复出现。每个字段只能写一次。"


def test_units_key_given_twice_is_refused(tmp_path):
    with pytest.raises(InputError) as exc:
        _units(tmp_path, ZHUNGEER + "units:\n  other:\n    name: 别的\n    level: city\n")
    assert str(exc.value).startswith("params/units.yaml:6: units 重复出现（第一次在第 1 行）。")


@pytest.mark.parametrize("field,value", [("rollup", '"false"'), ("rollup", "no_such"), ("rollup", "1"),
                                         ("rollup", "null"), ("rulemaking", '"no"'), ("rulemaking", "1"),
                                         ("rulemaking", "'true'")])
def test_unit_booleans_must_be_real_yaml_booleans(tmp_path, field, value):
    with pytest.raises(InputError) as exc:
        _units(tmp_path, ZHUNGEER + f"    {field}: {value}\n")
    msg = str(exc.value)
    assert msg.startswith(f"params/units.yaml:6: 单位 'zhungeer': {field} 应写 true 或 false（")
    assert "不加引号" in msg


@pytest.mark.parametrize("field,value,expected", [("rollup", "false", False), ("rollup", "true", True),
                                                  ("rulemaking", "false", False), ("rulemaking", "true", True),
                                                  ("rulemaking", "null", None)])
def test_unit_booleans_accept_true_false_and_null_rulemaking(tmp_path, field, value, expected):
    unit = _units(tmp_path, ZHUNGEER + f"    {field}: {value}\n").get("zhungeer")
    assert getattr(unit, field) is expected


@pytest.mark.parametrize("value", ["5", "[demo]", "{a: b}", "true"])
def test_unit_parent_must_be_an_id_or_null(tmp_path, value):
    body = ZHUNGEER.replace("parent: null", f"parent: {value}")
    with pytest.raises(InputError) as exc:
        _units(tmp_path, body)
    assert str(exc.value).startswith("params/units.yaml:5: 单位 'zhungeer': parent 应是上级单位的编号（如 demo-county）或 null")


def test_bundled_units_file_still_loads():
    reg = load_units(REPO / "params" / "units.yaml")
    assert [u.id for u in reg] == ["zhungeer", "demo2019"]  # demo2019: the synthetic 2019-format example
