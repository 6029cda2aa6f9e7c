"""The form definition against the national form as written in FORM.md (vendored in tests/fixtures)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from nianbao import forms
from nianbao.form import load_form

SPEC = (Path(__file__).parent / "fixtures" / "FORM.md").read_text(encoding="utf-8")


def spec_section(title: str) -> str:
    start = SPEC.index(f"## {title}")
    end = SPEC.find("\n## ", start + 1)
    return SPEC[start: end if end > 0 else None]


@pytest.fixture(scope="module")
def form():
    return forms.get("gov2021")


def test_registry_picks_form_by_year(form):
    assert forms.for_year(2021) is form
    assert forms.for_year(2025) is form
    # 2019–2020 reports use the 2019 format (its own pack, tests/test_gov2019.py); earlier years have none
    assert forms.for_year(2020).id == "gov2019"
    with pytest.raises(Exception) as exc:
        forms.for_year(2018)
    assert "2019" in str(exc.value) and "国办公开办函〔2019〕60号" in str(exc.value)


def test_table2_has_ten_figures_with_spec_labels(form):
    t2 = form.table("table2")
    cells = list(t2.cells())
    assert len(cells) == 10
    spec = spec_section("Table 2")
    rows = {}
    for line in spec.splitlines():
        m = re.match(r"^\| (第二十条第（.）项) \| (.+?) \| (.+?) \|$", line)
        if m:
            cols = [c.strip() for c in m.group(3).split(" — ")[0].split(", ")]
            for r in m.group(2).split("; "):
                rows[r] = (m.group(1), cols)
    got = {row.label: (next(b.label for b in t2.blocks if b.key == row.block), [c.label for c in row.columns])
           for row in t2.rows}
    assert got == rows
    fees = t2.row("fees").column("amount")
    assert (fees.type, fees.decimals) == ("amount", 4)
    assert all(c.type == "count" for r, c in cells if r.key != "fees")


def test_table3_is_25_rows_by_7_columns_with_spec_labels(form):
    t3 = form.table("table3")
    spec = spec_section("Table 3")
    spec_rows = []
    for line in spec.splitlines():
        m = re.match(r"^(\d+)\. (.+)$", line)
        if m:
            spec_rows.append(m.group(2).split(" — ")[-1])
    assert len(spec_rows) == 25
    assert [r.label for r in t3.rows] == spec_rows
    assert [r.number for r in t3.rows] == list(range(1, 26))
    cols_line = re.search(r"Columns \(7\): (.+)", spec).group(1)
    natural, org, total = cols_line.split(" | ")
    org_group, org_cols = org.split(": ")
    assert [c.label for c in t3.columns] == [natural, *org_cols.split(", "), total]
    assert [c.group for c in t3.columns] == [None] + [org_group] * 5 + [None]
    assert t3.column_header == "申请人情况"
    assert t3.note == re.search(r"The printed header note: (.+)", spec).group(1)
    assert sum(len(r.columns) for r in t3.rows) == 175


def test_table3_groups_follow_the_printed_nesting(form):
    t3 = form.table("table3")
    assert t3.row("new").groups == ()
    assert t3.row("disclosed").groups == ("三、本年度办理结果",)
    assert t3.row("withheld_state_secret").groups == ("三、本年度办理结果", "（三）不予公开")
    assert len(t3.rows_in_group("（三）不予公开")) == 8
    assert len(t3.rows_in_group("（四）无法提供")) == 3
    assert len(t3.rows_in_group("（五）不予处理")) == 5
    assert len(t3.rows_in_group("（六）其他处理")) == 3
    assert len(t3.rows_in_group("三、本年度办理结果")) == 22


def test_table4_has_15_cells_with_spec_labels(form):
    t4 = form.table("table4")
    spec = spec_section("Table 4")
    five = re.search(r"行政复议 \[(.+?)\]", spec).group(1).split(", ")
    assert [c.label for c in t4.columns] == five
    assert [(r.groups, r.label) for r in t4.rows] == [
        ((), "行政复议"), (("行政诉讼",), "未经复议直接起诉"), (("行政诉讼",), "复议后起诉")]
    assert len(list(t4.cells())) == 15


def test_sections_are_the_six_of_the_form(form):
    headings = [s.heading for s in form.sections]
    spec = spec_section("Sections (both formats)")
    expected = [re.match(r"^(.、[^ (]+)", line).group(1) for line in spec.splitlines() if re.match(r"^.、", line)]
    assert headings == expected


def test_every_label_is_declared_once(form):
    """No row or column key repeats inside a table (the loader and renderer rely on it)."""
    for t in form.tables:
        keys = [r.key for r in t.rows]
        assert len(keys) == len(set(keys)), t.key


def test_unknown_layout_is_rejected(tmp_path):
    bad = Path(forms.__file__).parent.joinpath("gov2021", "form.yaml").read_text(encoding="utf-8").replace(
        "layout: flat", "layout: diagonal")
    p = tmp_path / "f.yaml"
    p.write_text(bad, encoding="utf-8")
    with pytest.raises(ValueError, match="unknown layout 'diagonal'"):
        load_form(p)
