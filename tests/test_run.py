"""End to end: `nianbao run` executes the real notebook with papermill and exports real HTML.

The HTML tables are read back as grids (merged cells expanded) and every seed figure is looked up by
the printed labels a reader would follow — not by searching for numbers.
"""
from __future__ import annotations

import json

import nbformat
import pytest

from htmltable import dedupe, grids
from nianbao.cli import main
from nianbao.figures import load_figures
from nianbao.forms import get

pytestmark = pytest.mark.slow
FORM = get("gov2021")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    import shutil

    from conftest import REPO

    root = tmp_path_factory.mktemp("run") / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    inputs = {p: p.read_bytes() for p in (root / "data").rglob("*") if p.is_file()}
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(root)]) == 0
    # a run never writes into data/: the analyst's narrative and figures stay byte-identical
    assert {p: p.read_bytes() for p in (root / "data").rglob("*") if p.is_file()} == inputs
    out = root / "outputs" / "2022" / "zhungeer"
    return root, out, (out / "report.html").read_text(encoding="utf-8")


def seed_values():
    from conftest import REPO

    return load_figures(REPO / "data/2022/zhungeer/figures.yaml").values


def test_outputs_written(rendered):
    root, out, _ = rendered
    assert (out / "report.ipynb").is_file() and (out / "report.html").is_file()
    assert not list(out.glob("*.partial*")) and not (out / "report.failed.ipynb").exists()
    assert not (root / "data" / "2022" / "zhungeer" / "report.html").exists()


def test_table2_every_figure_in_its_cell(rendered):
    _, _, html = rendered
    grid = grids(html)["table2"]
    t2 = FORM.table("table2")
    values = seed_values()["table2"]
    block = header = None
    seen = 0
    for row in grid:
        if all(c.tag == "th" for c in row):
            labels = dedupe(row)
            if len(labels) == 1:
                block = labels[0]
            else:
                header = row
            continue
        row_label = row[0].text
        form_row = next(r for r in t2.rows if r.label == row_label)
        assert block == next(b.label for b in t2.blocks if b.key == form_row.block)
        for col in form_row.columns:
            idx = next(i for i, h in enumerate(header) if h.text == col.label)
            assert row[idx].text == str(values[(form_row.key, col.key)]), (row_label, col.label)
            seen += 1
    assert seen == 10
    assert "3197.1919" in [c.text for r in grid for c in r if c.tag == "td"]


def test_table3_every_figure_under_its_printed_labels(rendered):
    _, _, html = rendered
    grid = grids(html)["table3"]
    t3 = FORM.table("table3")
    values = seed_values()["table3"]
    head = [r for r in grid if r[0].section == "thead"]
    body = [r for r in grid if r[0].section == "tbody"]
    assert len(head) == 3 and len(body) == 25
    assert head[0][0].text == t3.note  # the corner carries the printed note
    first_data = next(i for i, c in enumerate(body[0]) if c.tag == "td")
    assert first_data == 3  # three label columns: 三、… / （三）… / 1.…
    col_paths = [dedupe(r[c] for r in head) for c in range(first_data, len(grid[0]))]
    assert col_paths[0] == ["申请人情况", "自然人"]
    assert col_paths[1] == ["申请人情况", "法人或其他组织", "商业企业"]
    assert col_paths[6] == ["申请人情况", "总计"]
    for form_row, row in zip(t3.rows, body):
        assert dedupe(row[:first_data]) == list(form_row.groups) + [form_row.label]
        for col, path, cell in zip(t3.columns, col_paths, row[first_data:]):
            assert path[-1] == col.label
            assert cell.text == str(values[(form_row.key, col.key)]), (form_row.label, col.label)
    # the merged group cell spans exactly its 22 result rows
    assert sum(1 for r in body if r[0].text == "三、本年度办理结果") == 22


def test_table4_two_level_header(rendered):
    _, _, html = rendered
    grid = grids(html)["table4"]
    t4 = FORM.table("table4")
    head = [r for r in grid if r[0].section == "thead"]
    data = [r for r in grid if r[0].section == "tbody"]
    assert len(head) == 3 and len(data) == 1 and len(data[0]) == 15
    values = seed_values()["table4"]
    i = 0
    for form_row in t4.rows:
        for col in form_row.columns:
            assert dedupe(r[i] for r in head) == list(form_row.groups) + [form_row.label, col.label]
            assert data[0][i].text == str(values[(form_row.key, col.key)])
            i += 1


def test_report_shows_no_code_and_has_title_and_sections(rendered):
    _, _, html = rendered
    assert "open_report" not in html and "report.section" not in html and "In&nbsp;[" not in html
    assert "<pre" not in html  # no code, no stray text output
    assert '<p class="nb-unit">准格尔旗人民政府</p>' in html
    assert "<h1>2022年政府信息公开工作年度报告</h1>" in html
    assert "<title>准格尔旗人民政府2022年政府信息公开工作年度报告</title>" in html
    for s in FORM.sections:
        assert f"<h2>{s.heading}</h2>" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_executed_notebook_keeps_readable_parameters(rendered):
    root, out, _ = rendered
    nb = nbformat.read(out / "report.ipynb", as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'unit = "zhungeer"' in injected.source and "year = 2022" in injected.source
    assert 'project_dir = ".."' in injected.source
    raw = (out / "report.ipynb").read_text(encoding="utf-8")
    assert "\\u" not in raw.split('"injected-parameters"')[1].split("]")[0]
    assert nb.metadata.papermill["input_path"] == "notebooks/annual_report.ipynb"
    assert nb.metadata.papermill["output_path"] == "outputs/2022/zhungeer/report.ipynb"
    assert str(root) not in json.dumps(nb.metadata.papermill)


def test_malformed_figures_exit_nonzero_and_write_nothing(project_dir, capsys):
    fig = project_dir / "data/2022/zhungeer/figures.yaml"
    fig.write_text(fig.read_text(encoding="utf-8").replace(
        "unavailable_unclear:         [9,", "unavailable_unclear:         [/,"), encoding="utf-8")
    code = main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir)])
    err = capsys.readouterr().err
    assert code == 3
    assert ("data/2022/zhungeer/figures.yaml:" in err and "表三 第15行「（四）无法提供 / 3.补正后申请内容仍不明确」" in err
            and "列「自然人」" in err and "'/'（不适用）是缺失值，不是 0" in err)
    assert list((project_dir / "outputs").rglob("*")) == []


def test_bad_narrative_stops_before_any_kernel_and_writes_nothing(project_dir, capsys):
    nar = project_dir / "data/2022/zhungeer/narrative.md"
    text = nar.read_text(encoding="utf-8").replace("{{ fact.inspections }}", "{{ fact.inspection }}")
    nar.write_text(text, encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "fact.inspection }}" in l)
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir)]) == 3
    err = capsys.readouterr().err
    assert f"data/2022/zhungeer/narrative.md:{line}: 未知的叙述数字（facts） 'inspection'。是否应为 inspections" in err
    assert list((project_dir / "outputs").rglob("*")) == []


def test_failed_run_keeps_previous_report(rendered, tmp_path):
    """A run that fails after a good one leaves the good report byte-identical."""
    import shutil

    root, out, html = rendered
    copy = tmp_path / "p"
    shutil.copytree(root, copy)
    before = {p.name: p.read_bytes() for p in (copy / "outputs/2022/zhungeer").iterdir()}
    nb = copy / "notebooks/annual_report.ipynb"
    node = nbformat.read(nb, as_version=4)
    node.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('boom')"))
    nbformat.write(node, nb)
    assert main(["run", "--unit", "zhungeer", "--year", "2022", "--project", str(copy)]) == 5
    after_dir = copy / "outputs/2022/zhungeer"
    assert {p.name: p.read_bytes() for p in after_dir.iterdir() if p.name != "report.failed.ipynb"} == before
    failed = nbformat.read(after_dir / "report.failed.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in failed.cells if c.cell_type == "code" for o in c.outputs)
    assert not list(after_dir.glob("*.partial*"))
