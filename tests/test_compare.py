"""Comparison pages: a unit over years, units in one year, cells compared only within a form (or where
declared comparable), `nianbao compare`, and notebooks/compare.ipynb executed with papermill."""
from __future__ import annotations

import re
import pytest

from conftest import REPO
from nianbao import compare, forms
from nianbao.cli import main
from nianbao.compare import compare_units, compare_years, parse_years, render
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


def test_years_in_another_form_compare_only_the_cells_the_pack_declares(project_dir):
    """demo2019: 2020 in the 2019 format, 2021 in the 2021 format. The gov2021 pack declares which cells
    continue (表三 except （六）其他处理, 表四); everything else of 2020 is 不可比."""
    from nianbao.formpack import continuity

    cmp = compare_years(Project(project_dir), "demo2019", [2020, 2021])
    gov2021, gov2019 = forms.get("gov2021"), forms.get("gov2019")
    cont = continuity(gov2021, gov2019)
    assert [c.title for c in cmp.columns] == ["2020年", "2021年"] and cmp.left_out == []
    assert cmp.cells_note.endswith(f"；2020年（{gov2019.document}）只比较声明可比的 {len(cont.cells)} 个单元格。")
    cells = dict(line for _, lines in cmp.cell_tables for line in lines)
    t2, t3 = gov2021.table("table2"), gov2021.table("table3")
    other = t3.row("other_other")
    assert cells[" / ".join(other.groups + (other.label,)) + f" · {other.column('total').label}"][0] == "不可比"
    reg = t2.row("regulations")
    assert cells[f"{reg.label} · {reg.column('issued').label}"][0] == "不可比"
    rows = {f.id: shown for f, shown, _ in cmp.figure_rows}
    from nianbao.figures import load_figures

    new20 = load_figures(project_dir / "data/2020/demo2019/figures.yaml").values["table3"][("new", "total")]
    assert rows["new"][0] == str(new20)
    # a mapping registered for a pair of forms replaces the declaration: here, only 表三 new (total)
    compare._COMPARABLE[("gov2021", "gov2019")] = {("table3", "new", "total"): ("table3", "new", "total")}
    try:
        cmp = compare_years(Project(project_dir), "demo2019", [2020, 2021])
    finally:
        compare._COMPARABLE.clear()
    assert cmp.cells_note.endswith("只比较声明可比的 1 个单元格。")
    assert {f.id: shown[0] for f, shown, _ in cmp.figure_rows}["disclosed_rate"] == "不可比"


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
