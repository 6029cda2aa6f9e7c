"""The check sheet's formulas, recalculated by a real spreadsheet engine (LibreOffice headless), give the
same verdict per rule as ``nianbao validate``. One LibreOffice start converts every workbook here."""
from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from nianbao import forms
from nianbao.cli import main
from nianbao.project import Project
from nianbao.validation import load_context, validate_contexts
from nianbao.validation.checks import CheckContext
from nianbao.workbook.intake import parse
from nianbao.workbook.reader import read_workbook
from nianbao.workbook.writer import CHECK_SHEET

from conftest import REPO
from office import convert
from test_workbook import cell_of

YEAR = 2022
FORM = forms.for_year(YEAR)
RULES = [r["id"] for r in FORM.rules]
BAD = {"不平衡", "不通过"}

PRIOR = """unit: zhungeer
year: 2021
table2:
  regulations: {issued: 0, repealed: 0, in_force: 0}
  normative_documents: {issued: 2, repealed: 1, in_force: 32}
  licensing: {decisions: 70000}
  penalties: {decisions: 2000}
  enforcement: {decisions: 400}
  fees: {amount: 3000.5}
table3:
""" + "".join(f"  {r.key}: [{', '.join('0' for _ in r.columns)}]\n" for r in FORM.table("table3").rows) + """table4:
""" + "".join(f"  {r.key}: [0, 0, 0, 0, 0]\n" for r in FORM.table("table4").rows) + "facts: {}\n"


def _set(wb, table, row, col, value):
    cell_of(wb, table, row, col).value = value


def unbalance(wb):
    _set(wb, "table3", "new", "natural_person", 58)  # T3-IDENTITY 自然人, T3-ROW-TOTAL row 1
    _set(wb, "table3", "carried_over", "natural_person", 1)  # X-CARRY-OVER (last year 0)
    _set(wb, "table3", "carried_over", "total", 1)
    _set(wb, "table4", "review", "upheld", 1)  # T4-TOTAL 行政复议
    _set(wb, "table2", "regulations", "issued", 2)  # P-RULEMAKING (a county), X-IN-FORCE 规章


def mistype(wb):
    _set(wb, "table3", "disclosed", "natural_person", "/")
    _set(wb, "table3", "disclosed", "commercial", "abc")
    _set(wb, "table3", "withheld_inquiry", "total", 1.5)
    _set(wb, "table4", "review", "corrected", -1)
    _set(wb, "table2", "fees", "amount", 1.23456)


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A project with last year's figures, four returned workbooks, and LibreOffice's recalculation of each."""
    base = tmp_path_factory.mktemp("office")
    root = base / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    (root / "data" / "2021" / "zhungeer").mkdir(parents=True)
    (root / "data" / "2021" / "zhungeer" / "figures.yaml").write_text(PRIOR, encoding="utf-8")
    wbs = base / "returned"
    seed = wbs / "balanced.xlsx"
    assert main(["workbook", "--project", str(root), "--unit", "zhungeer", "--year", "2022", "--out", str(seed)]) == 0
    paths = {"balanced": seed}
    for name, fn in (("unbalanced", unbalance), ("mistyped", mistype),
                     ("formula", lambda wb: _set(wb, "table3", "new", "natural_person", "=50+7"))):
        wb = load_workbook(seed)
        fn(wb)
        wb.save(wbs / f"{name}.xlsx")
        paths[name] = wbs / f"{name}.xlsx"
    # the 2019 format (2020) and a 2021 report carrying over from a 2019-format year, for the example unit
    for year in (2020, 2021):
        out = wbs / f"demo2019-{year}.xlsx"
        assert main(["workbook", "--project", str(root), "--unit", "demo2019", "--year", str(year), "--out", str(out)]) == 0
        paths[f"demo2019-{year}"] = out
    wb = load_workbook(paths["demo2019-2021"])
    first = FORM.table("table3").columns[0].key
    cell = cell_of(wb, "table3", "carried_over", first)
    cell.value += 1  # X-CARRY-OVER across the formats, T3-IDENTITY and T3-ROW-TOTAL
    wb.save(wbs / "demo2019-2021-unbalanced.xlsx")
    paths["demo2019-2021-unbalanced"] = wbs / "demo2019-2021-unbalanced.xlsx"
    names = list(paths)
    recalculated = convert([paths[n] for n in names], base / "recalculated", work=base)
    return {"root": root, "returned": paths, "recalc": dict(zip(names, recalculated)), "base": base}


def sheet_verdicts(path: Path, rules=RULES):
    """({rule id: verdict}, [(rule id, where, difference, verdict)]) from a recalculated check sheet."""
    ws = load_workbook(path, data_only=True)[CHECK_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    summary = {r[0]: r[5] for r in rows[4:4 + len(rules)]}
    start = next(i for i, r in enumerate(rows) if r[0] == "规则" and r[1] == "检查项")
    detail = [(r[0], r[1], r[4], r[5]) for r in rows[start + 1:] if r[0]]
    return summary, detail


def project_copy(office, tmp_path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(office["root"], root)
    return root


def validate_after_collect(root: Path, workbook: Path):
    assert main(["collect", "--project", str(root), str(workbook)]) == 0
    project = Project(root)
    ctx, problems = load_context(project, project.units().get("zhungeer"), YEAR)
    assert problems == []
    return validate_contexts([ctx])[0]


def _class(verdict: str) -> str:
    if verdict in BAD:
        return "failed"
    if str(verdict).startswith("未适用"):
        return "not applicable"
    return "passed"


EXPECTED = {
    "balanced": {r: "passed" for r in RULES},
    "unbalanced": {**{r: "passed" for r in RULES}, "T3-IDENTITY": "failed", "T3-ROW-TOTAL": "failed",
                   "T4-TOTAL": "failed", "X-CARRY-OVER": "failed", "X-IN-FORCE": "failed", "P-RULEMAKING": "failed"},
}


@pytest.mark.parametrize("name", ["balanced", "unbalanced"])
def test_recalculated_check_sheet_gives_the_verdicts_of_validate(office, tmp_path, name):
    summary, detail = sheet_verdicts(office["recalc"][name])
    assert list(summary) == RULES
    result = validate_after_collect(project_copy(office, tmp_path), office["returned"][name])
    validated = {r: "failed" if any(f.rule_id == r for f in result.findings) else "passed" for r in RULES}
    assert {r: _class(v) for r, v in summary.items()} == validated == EXPECTED[name]
    # every unbalanced item, with its difference, is a finding of validate with the same difference
    pair_rules = {"T3-IDENTITY", "T3-RESULTS-TOTAL", "T3-ROW-TOTAL", "T4-TOTAL", "X-CARRY-OVER", "X-IN-FORCE",
                  "P-RULEMAKING"}
    sheet = Counter((rule, Decimal(str(diff))) for rule, _, diff, v in detail if v in BAD and rule in pair_rules)
    found = Counter((f.rule_id, Decimal(str(f.difference))) for f in result.findings if f.rule_id in pair_rules)
    assert sheet == found
    if name == "unbalanced":
        assert sorted(sheet.elements()) == sorted([
            ("T3-IDENTITY", Decimal(2)), ("T3-IDENTITY", Decimal(1)), ("T3-ROW-TOTAL", Decimal(-1)),
            ("T4-TOTAL", Decimal(-1)), ("X-CARRY-OVER", Decimal(1)), ("X-CARRY-OVER", Decimal(1)),
            ("X-IN-FORCE", Decimal(-2)), ("P-RULEMAKING", Decimal(2))])
        where = {(rule, w) for rule, w, _, v in detail if v in BAD}
        assert ("T3-IDENTITY", "列「自然人」") in where and ("T4-TOTAL", "第1行「行政复议」") in where


def test_recalculated_type_checks_agree_with_the_loader(office):
    summary, detail = sheet_verdicts(office["recalc"]["mistyped"])
    [sub] = read_workbook(office["returned"]["mistyped"])
    project = Project(office["root"])
    unit = project.units().get("zhungeer")
    figures, problems = parse(sub, unit.name, {})
    assert len(problems) == 5  # each mistyped cell refused by collect, named by its cell
    result = validate_contexts([CheckContext(unit=unit, year=YEAR, figures=figures)])[0]
    types = [r for r in RULES if r.startswith("TYPE-")]
    validated = {r: "failed" if any(f.rule_id == r for f in result.findings) else "passed" for r in types}
    assert {r: _class(summary[r]) for r in types} == validated == {
        "TYPE-MISSING": "failed", "TYPE-NUMBER": "failed", "TYPE-INTEGER": "failed", "TYPE-NEGATIVE": "failed",
        "TYPE-DECIMALS": "failed"}
    # the number of offending cells per rule, as the spreadsheet counted them
    rows = load_workbook(office["recalc"]["mistyped"], data_only=True)[CHECK_SHEET]
    cells = {r[0]: r[2] for r in rows.iter_rows(values_only=True) if r[0] in types and isinstance(r[2], (int, float))}
    assert cells == {"TYPE-MISSING": 1, "TYPE-NUMBER": 1, "TYPE-INTEGER": 1, "TYPE-NEGATIVE": 1, "TYPE-DECIMALS": 1}
    assert [f.rule_id for f in result.findings if f.rule_id in types].count("TYPE-MISSING") == 1


def test_a_formula_saved_by_a_spreadsheet_is_read_as_its_value(office, tmp_path, capsys):
    root = project_copy(office, tmp_path)
    assert main(["collect", "--project", str(root), str(office["recalc"]["formula"])]) == 0
    out = capsys.readouterr().out
    assert "注意：1 个单元格是公式，按其计算结果读入：表三!D7" in out
    assert "与原有数据相同，未改写" in out  # =50+7 is the 57 already there


def test_with_last_years_figures_the_cross_year_rules_are_computed(office):
    summary, _ = sheet_verdicts(office["recalc"]["balanced"])
    assert summary["X-CARRY-OVER"] == "平衡" and summary["X-IN-FORCE"] == "平衡"


@pytest.mark.parametrize("name, year, failed", [
    ("demo2019-2020", 2020, set()),
    ("demo2019-2021", 2021, set()),
    ("demo2019-2021-unbalanced", 2021, {"T3-IDENTITY", "T3-ROW-TOTAL", "X-CARRY-OVER"}),
])
def test_the_2019_format_and_the_carry_over_across_formats_agree_with_validate(office, tmp_path, name, year, failed):
    form = forms.for_year(year)
    rules = [r["id"] for r in form.rules]
    summary, detail = sheet_verdicts(office["recalc"][name], rules)
    assert list(summary) == rules
    root = project_copy(office, tmp_path)
    assert main(["collect", "--project", str(root), str(office["returned"][name])]) == 0
    project = Project(root)
    ctx, _ = load_context(project, project.units().get("demo2019"), year)
    result = validate_contexts([ctx])[0]
    validated = {r for r in rules if any(f.rule_id == r for f in result.findings)}
    assert {r for r, v in summary.items() if v in BAD} == validated == failed
    sheet = Counter((rule, Decimal(str(diff))) for rule, _, diff, v in detail if v in BAD and diff is not None)
    found = Counter((f.rule_id, Decimal(str(f.difference))) for f in result.findings if f.difference is not None)
    assert sheet == found
