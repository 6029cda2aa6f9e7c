"""Comparison pages: a unit over years, units in one year, cells compared only within a form (or where
declared comparable), `nianbao compare`, and notebooks/compare.ipynb executed with papermill."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from conftest import REPO
from nianbao import compare, forms
from nianbao.cli import main
from nianbao.compare import compare_units, compare_years, parse_years, register_comparable, render
from nianbao.project import Project
from nianbao.synthetic import generate
from test_yoy import write_prior_year


@pytest.mark.parametrize("text, years", [
    ("2021-2024", [2021, 2022, 2023, 2024]), ("2022", [2022]), ("2023,2021", [2021, 2023]), ("2021—2022", [2021, 2022]),
])
def test_parse_years(text, years):
    assert parse_years(text) == years


@pytest.mark.parametrize("text", ["2024-2021", "21-22", "", "2021,abc"])
def test_parse_years_refuses(text):
    with pytest.raises(ValueError):
        parse_years(text)


def test_unit_over_years_with_changes_and_every_cell(project_dir):
    write_prior_year(project_dir)
    cmp = compare_years(Project(project_dir), "zhungeer", [2020, 2021, 2022])
    assert [c.title for c in cmp.columns] == ["2020年", "2021年", "2022年"] and cmp.left_out == []
    rows = {f.id: (shown, changes) for f, shown, changes in cmp.figure_rows}
    assert rows["new"] == (["未报送", "55", "57"], ["", "", "增加2（增长3.6%）"])
    assert rows["disclosed_rate"] == (["未报送", "29.1%", "34.5%"], ["", "", "上升5.4个百分点"])
    assert rows["carried_forward"] == (["未报送", "0", "2"], ["", "", "增加2"])
    assert cmp.cells_note == "比较的单元格：国办公开办函〔2021〕30号格式的全部 200 个单元格（表二、表三、表四）。"
    cells = dict(line for _, lines in cmp.cell_tables for line in lines)
    assert len(cells) == 200
    t3 = forms.get("gov2021").table("table3")
    assert cells[f"{t3.row('new').label} · {t3.row('new').column('total').label}"] == ["未报送", "55", "57"]
    assert len(cmp.charts) == len(cmp.views.charts)
    html = render(cmp)
    assert "<script" not in html and not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert '<td class="num">57<span class="chg">增加2（增长3.6%）</span></td>' in html


@pytest.fixture
def other_form(monkeypatch):
    """A second form version (the 2021 declaration under another id, for report years 2019–2020)."""
    base = forms.get("gov2021")
    other = replace(base, id="test2019", document="测试格式（2019）", first_year=2019, last_year=2020)
    monkeypatch.setitem(forms._FORMS, "test2019", other)
    monkeypatch.setattr(compare, "_COMPARABLE", {})
    return other


def _write_2020(project_dir):
    text = (project_dir / "data/2021/zhungeer/figures.yaml").read_text(encoding="utf-8")
    text = text.replace("year: 2021", "year: 2020").replace("form: gov2021", "form: test2019")
    (project_dir / "data/2020/zhungeer").mkdir(parents=True)
    (project_dir / "data/2020/zhungeer/figures.yaml").write_text(text, encoding="utf-8")


def test_another_form_is_left_out_until_cells_are_declared_comparable(project_dir, other_form):
    write_prior_year(project_dir)
    _write_2020(project_dir)
    cmp = compare_years(Project(project_dir), "zhungeer", [2020, 2021, 2022])
    assert [c.title for c in cmp.columns] == ["2021年", "2022年"]
    assert cmp.left_out == [("2020年", "使用另一报告格式（测试格式（2019）），与国办公开办函〔2021〕30号之间尚未声明可比的单元格")]
    assert "未比较：2020年——使用另一报告格式" in render(cmp)
    # declared comparable: only table 3's new applications (total) — the rest shows 不可比
    register_comparable("gov2021", "test2019", [(("table3", "new", "total"), ("table3", "new", "total"))])
    cmp = compare_years(Project(project_dir), "zhungeer", [2020, 2021, 2022])
    assert [c.title for c in cmp.columns] == ["2020年", "2021年", "2022年"] and cmp.left_out == []
    rows = {f.id: shown for f, shown, _ in cmp.figure_rows}
    assert rows["new"] == ["55", "55", "57"] and rows["disclosed_rate"][0] == "不可比"
    assert cmp.cells_note.endswith("；2020年（测试格式（2019））只比较声明可比的 1 个单元格。")
    cells = dict(line for _, lines in cmp.cell_tables for line in lines)
    t3 = forms.get("gov2021").table("table3")
    assert cells[f"{t3.row('new').label} · 自然人"][0] == "不可比"


def test_units_in_one_year(tmp_path):
    synth = generate(tmp_path / "p", 8, 2022, seed=2)
    project = Project(synth.root)
    ids = ["demo-dept-001", "demo-town-002", "demo-county"]
    cmp = compare_units(project, ids, 2022)
    assert [c.key for c in cmp.columns] == ids
    from nianbao.rollup import load_unit_figures

    want = [str(load_unit_figures(project, u, 2022).values["table3"][("new", "total")]) for u in ids]
    assert next(shown for f, shown, _ in cmp.figure_rows if f.id == "new") == want
    assert len(cmp.charts) == len(cmp.views.charts)  # up to MAX_SERIES units: one series per unit
    assert all(f">{project.units().get(u).name}</text>" in cmp.charts[0] for u in ids)
    many = compare_units(project, [u.id for u in project.units()], 2022)
    assert len(many.charts) == 1 and 'id="compare-ranking"' in many.charts[0]


def test_compare_command(project_dir, capsys):
    write_prior_year(project_dir)
    assert main(["compare", "--unit", "zhungeer", "--years", "2021-2022", "--project", str(project_dir)]) == 0
    out = capsys.readouterr().out
    target = project_dir / "outputs/compare/zhungeer_2021-2022.html"
    assert "已写出 outputs/compare/zhungeer_2021-2022.html" in out and target.is_file()
    assert "增加2（增长3.6%）" in target.read_text(encoding="utf-8")
    assert main(["compare", "--units", "zhungeer", "--year", "2022", "--project", str(project_dir)]) == 0
    assert (project_dir / "outputs/compare/2022_zhungeer.html").is_file()
    assert main(["compare", "--unit", "zhungeer", "--project", str(project_dir)]) == 2
    assert main(["compare", "--unit", "zhungeer", "--years", "2021-2022", "--year", "2022", "--project", str(project_dir)]) == 2
    assert main(["compare", "--units", "nobody", "--year", "2022", "--project", str(project_dir)]) == 3
    assert main(["compare", "--unit", "zhungeer", "--years", "2015-2016", "--project", str(project_dir)]) == 3
    err = capsys.readouterr().err
    assert "没有编号为 'nobody' 的单位" in err and "没有可读取的数据" in err


def test_compare_notebook_runs_with_papermill(project_dir, tmp_path):
    import shutil

    import papermill

    write_prior_year(project_dir)
    shutil.copyfile(REPO / "notebooks/compare.ipynb", project_dir / "notebooks/compare.ipynb")
    out = tmp_path / "compare.out.ipynb"
    nb = papermill.execute_notebook(str(project_dir / "notebooks/compare.ipynb"), str(out), kernel_name="python3",
                                    parameters={"unit": "zhungeer", "years": "2021-2022"},
                                    cwd=str(project_dir / "notebooks"), progress_bar=False)
    html = "".join(o["data"].get("text/html", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if "data" in o)
    assert '<td class="num">57<span class="chg">增加2（增长3.6%）</span></td>' in html
    assert html.count('class="nb-chart"') == len(compare.views(forms.get("gov2021")).charts)


def test_open_comparison_for_units(project_dir):
    view = compare.open_comparison(project_dir, unit="zhungeer", years="2021-2022", units="zhungeer", year=2022)
    assert view.comparison.kind == "units"  # units given: the units of one year
    assert "2022年 1 个单位政府信息公开工作年度报告数字对比" in view.summary().html
    with pytest.raises(compare.InputError):
        compare.open_comparison(project_dir, unit="zhungeer", years="abc")
