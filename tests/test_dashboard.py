"""The supervising office's dashboard: current verdicts, 未报送, totals without double counting, roll-up
declared figures beside the children's sum, the chart, and the XLSX export read back by LibreOffice."""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from nianbao.batch.run import Row
from nianbao.dashboard import XLSX_NAME, build_dashboard, render_dashboard, write_dashboard, xlsx_bytes
from nianbao.figures import load_figures
from nianbao.project import Project
from nianbao.synthetic import generate

YEAR = 2022


@pytest.fixture
def synth(tmp_path):
    """9 synthetic units (a roll-up county, 4 townships, 4 departments) and one registered without data."""
    result = generate(tmp_path / "p", 9, YEAR, seed=5)
    units = result.root / "params" / "units.yaml"
    units.write_text(units.read_text(encoding="utf-8") + "  late-dept:\n    name: 示例县迟报局\n    level: county\n"
                     "    kind: department\n    parent: null\n", encoding="utf-8")
    return Project(result.root)


def leaf_values(project: Project, cell) -> dict[str, int]:
    t, r, c = cell
    out = {}
    for d in sorted((project.data_dir / str(YEAR)).iterdir()):
        if d.name != "demo-county":
            out[d.name] = load_figures(d / "figures.yaml").values[t][(r, c)]
    return out


def status_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr class="row-\w+" id="unit-([\w-]+)">.*?<span class="st st-\w+">(\w+)</span>', html, re.S))


def test_registered_unit_without_data_is_not_reported(synth):
    dash = build_dashboard(synth, YEAR)
    line = next(ln for ln in dash.lines if ln.unit.id == "late-dept")
    assert (line.status, line.label, line.values, line.data.state) == ("absent", "未报送", {}, "absent")
    assert dash.counts == {"passed": 0, "failed": 0, "error": 0, "absent": 1, "not_run": 9}
    assert status_cells(render_dashboard(synth, YEAR, dashboard=dash))["late-dept"] == "未报送"


def test_totals_are_the_units_sum_counting_each_unit_once(synth):
    dash = build_dashboard(synth, YEAR)
    new = leaf_values(synth, ("table3", "new", "total"))
    fwd = leaf_values(synth, ("table3", "carried_forward", "total"))
    total = dash.totals[0]
    assert total.label == "合计" and total.units == 5  # the county (its 4 townships inside) + 4 departments
    assert total.values["new"] == sum(new.values()) and total.values["carried_forward"] == sum(fwd.values())
    assert total.left_out["new"] == 0
    county = next(ln for ln in dash.lines if ln.unit.id == "demo-county")
    assert county.values["new"] == sum(v for k, v in new.items() if k.startswith("demo-town"))
    # rates: recomputed from the summed parts, not averaged
    dis = leaf_values(synth, ("table3", "disclosed", "total"))
    part = leaf_values(synth, ("table3", "partially_disclosed", "total"))
    done = leaf_values(synth, ("table3", "results_total", "total"))
    assert total.values["disclosed_rate"] == Decimal(sum(dis.values()) + sum(part.values())) / Decimal(sum(done.values()))
    by_level = {t.label: (t.units, t.values["new"]) for t in dash.totals[1:]}
    assert by_level == {"县级": (5, sum(new.values())),
                        "乡镇（街道）级": (4, sum(v for k, v in new.items() if k.startswith("demo-town")))}
    html = render_dashboard(synth, YEAR, dashboard=dash)
    first_total = re.search(r'<table class="totals">.*?<tbody>\s*<tr><td>合计</td><td class="num">5</td><td class="num">(\d+)<', html, re.S)
    assert int(first_total.group(1)) == sum(new.values())


def test_missing_figure_is_left_out_of_the_total_and_said(synth):
    path = synth.figures_file("demo-dept-001", YEAR)
    text = path.read_text(encoding="utf-8")
    new_line = next(line for line in text.splitlines() if line.lstrip().startswith("new:"))
    cells = new_line.split("[", 1)[1].split("]", 1)[0].split(", ")
    path.write_text(text.replace(new_line, new_line.replace(", ".join(cells), ", ".join(cells[:-1] + ["~"]))),
                    encoding="utf-8")
    dash = build_dashboard(synth, YEAR)
    line = next(ln for ln in dash.lines if ln.unit.id == "demo-dept-001")
    assert line.values["new"] is None and line.data.problems == 1
    others = sum(load_figures(synth.figures_file(u, YEAR)).values["table3"][("new", "total")]
                 for u in ("demo-dept-002", "demo-dept-003", "demo-dept-004"))
    county = next(ln for ln in dash.lines if ln.unit.id == "demo-county").values["new"]
    assert dash.totals[0].values["new"] == county + others and dash.totals[0].left_out["new"] == 1
    html = render_dashboard(synth, YEAR, dashboard=dash)
    assert '<span class="sub missing">1 个单位缺失，未计入</span>' in html
    assert re.search(r'id="unit-demo-dept-001">.*?<span class="missing">缺失</span>', html, re.S)


def test_status_is_the_current_verdict_not_this_runs_action(synth):
    rows = [Row(unit="demo-dept-001", name="", status="skipped", report_status="warning", errors=0, warnings=3),
            Row(unit="demo-dept-002", name="", status="skipped", report_status="failed", errors=2, warnings=0),
            Row(unit="demo-dept-003", name="", status="error", message="表三 第3行 …"),
            Row(unit="demo-dept-004", name="", status="passed", errors=0, warnings=0),
            Row(unit="late-dept", name="", status="skipped", report_status="passed")]  # data since removed
    html = render_dashboard(synth, YEAR, rows)
    got = status_cells(html)
    assert {k: got[k] for k in ("demo-dept-001", "demo-dept-002", "demo-dept-003", "demo-dept-004", "late-dept",
                                "demo-town-001")} == {
        "demo-dept-001": "通过", "demo-dept-002": "未通过", "demo-dept-003": "失败", "demo-dept-004": "通过",
        "late-dept": "未报送", "demo-town-001": "未生成"}
    assert "跳过" not in html
    # without rows the batch state is read: a skipped unit's record gives its report's verdict
    import json

    state = {"schema": 1, "year": YEAR, "last_run": {}, "units": {
        "demo-dept-001": {"outcome": "ok", "validation": {"status_code": "failed", "errors": 4, "warnings": 0}, "files": {}},
        "demo-dept-002": {"outcome": "failed", "error": "工作进程异常退出", "files": {}}}}
    (synth.outputs_dir / str(YEAR)).mkdir(parents=True, exist_ok=True)
    (synth.outputs_dir / str(YEAR) / ".batch-state.json").write_text(json.dumps(state), encoding="utf-8")
    dash = build_dashboard(synth, YEAR)
    got = {ln.unit.id: (ln.label, ln.errors) for ln in dash.lines}
    assert got["demo-dept-001"] == ("未通过", 4) and got["demo-dept-002"] == ("失败", None)


def test_rollup_shows_the_declared_figure_beside_the_childrens_sum(synth):
    path = synth.figures_file("demo-county", YEAR)
    text = path.read_text(encoding="utf-8")
    new_line = next(line for line in text.splitlines() if line.lstrip().startswith("new:"))
    cells = new_line.split("[", 1)[1].split("]", 1)[0].split(", ")
    declared = int(cells[-1]) + 7
    path.write_text(text.replace(new_line, new_line.replace(", ".join(cells), ", ".join(cells[:-1] + [str(declared)]))),
                    encoding="utf-8")
    dash = build_dashboard(synth, YEAR)
    county = next(ln for ln in dash.lines if ln.unit.id == "demo-county")
    assert county.declared["new"] == declared and county.values["new"] == declared - 7
    assert county.declared["carried_forward"] == county.values["carried_forward"]
    html = render_dashboard(synth, YEAR, dashboard=dash)
    assert f'<span class="sub diff">本级填报 {declared}</span>' in html
    towns = [ln for ln in dash.lines if ln.unit.id.startswith("demo-town")]
    assert {ln.counted_in for ln in towns} == {"demo-county"}


def test_chart_ranks_units_and_is_inline_svg(synth):
    dash = build_dashboard(synth, YEAR)
    names = re.findall(r'text-anchor="end" fill="#1f2328">([^<]+)</text>', dash.chart)
    values = {ln.unit.name: ln.values["new"] for ln in dash.lines if ln.values}
    assert names == sorted(values, key=lambda n: -values[n])  # stable: ties keep registry order
    html = render_dashboard(synth, YEAR, dashboard=dash)
    assert dash.chart in html and "<svg" in html
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)
    assert html.count("<script>") == 1 and "<script src" not in html


def test_dashboard_escapes_names_and_links_relatively(synth):
    units = synth.units_file
    units.write_text(units.read_text(encoding="utf-8").replace("示例县第1示范局", "<script>alert(1)</script>示例局"),
                     encoding="utf-8")
    out = synth.output_dir("demo-dept-001", YEAR)
    out.mkdir(parents=True)
    (out / "report.html").write_text("x", encoding="utf-8")
    rows = [Row(unit="demo-dept-001", name="", status="warning", errors=0, warnings=2,
                files={"html": f"outputs/{YEAR}/demo-dept-001/report.html", "pdf": f"outputs/{YEAR}/demo-dept-001/report.pdf"}),
            Row(unit="demo-dept-002", name="", status="error", message="第一行 <b>\n第二行")]
    html = render_dashboard(synth, YEAR, rows)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;示例局" in html
    assert "第一行 &lt;b&gt;" in html
    assert 'href="demo-dept-001/report.html"' in html and "report.pdf" not in html  # only files that exist


def _soffice_csv(xlsx, tmp_path) -> list[list[str]]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc")
    profile = tmp_path / "lo-profile"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path / "csv"), str(xlsx)],
                          capture_output=True, text=True, timeout=120)
    out = tmp_path / "csv" / (xlsx.stem + ".csv")
    assert out.is_file(), done.stderr
    return list(csv.reader(out.read_text(encoding="utf-8").splitlines()))


def test_xlsx_is_the_same_table_deterministic_and_opens_in_libreoffice(synth, tmp_path):
    write_dashboard(synth, YEAR)
    xlsx = synth.outputs_dir / str(YEAR) / XLSX_NAME
    first = xlsx.read_bytes()
    assert xlsx_bytes(build_dashboard(synth, YEAR)) == first  # same table, same bytes
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(first)) as z:  # no save time anywhere: same bytes on another day too
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == ["2000-01-01T00:00:00Z"] * 2
    rows = _soffice_csv(xlsx, tmp_path)
    dash = build_dashboard(synth, YEAR)
    assert rows[0][:8] == ["单位编号", "单位名称", "级别", "上级单位", "状态", "错误", "警告", dash.figures[0].label]
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {ln.unit.id for ln in dash.lines}
    for ln in dash.lines:
        r = by_id[ln.unit.id]
        assert r[1] == ln.unit.name and r[4] == ln.label
        assert r[7] == ("" if not ln.values else str(ln.values["new"]))
    assert by_id["late-dept"][4] == "未报送"
    rate = next(i for i, f in enumerate(dash.figures) if f.id == "disclosed_rate")
    county = next(ln for ln in dash.lines if ln.unit.id == "demo-county")
    assert by_id["demo-county"][7 + rate] == f"{float(county.values['disclosed_rate']) * 100:.1f}%"


def test_figures_cache_gives_the_same_figures_and_follows_every_change(synth):
    from nianbao.collect import collect

    registry = synth.units()
    cold = collect(synth, registry, YEAR)
    cache = synth.outputs_dir / ".cache" / "figures" / f"{YEAR}.json"
    assert cache.is_file()
    warm = collect(synth, registry, YEAR)
    assert {u: (d.state, d.values, d.declared, d.problems) for u, d in warm.items()} == \
           {u: (d.state, d.values, d.declared, d.problems) for u, d in cold.items()}
    fee = warm["demo-dept-001"].values["table2"][("fees", "amount")]
    assert isinstance(fee, Decimal) and fee == cold["demo-dept-001"].values["table2"][("fees", "amount")]
    # a child's file changes: the child and the roll-up compiled from it are read anew
    path = synth.figures_file("demo-town-001", YEAR)
    before = collect(synth, registry, YEAR)["demo-county"].values["table4"][("review", "upheld")]
    text = path.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.lstrip().startswith("review:"))
    cells = line.split("[", 1)[1].split("]", 1)[0].split(", ")
    bumped = [str(int(cells[0]) + 1)] + cells[1:4] + [str(int(cells[4]) + 1)]
    path.write_text(text.replace(line, line.replace(", ".join(cells), ", ".join(bumped))), encoding="utf-8")
    after = collect(synth, registry, YEAR)
    assert after["demo-town-001"].values["table4"][("review", "upheld")] == int(cells[0]) + 1
    assert after["demo-county"].values["table4"][("review", "upheld")] == before + 1
    # a damaged cache is rebuilt, not trusted
    cache.write_text("{not json", encoding="utf-8")
    assert collect(synth, registry, YEAR)["demo-county"].values == after["demo-county"].values


def test_sorting_and_filtering_in_a_real_browser(synth):
    """The inline script, run by the kit's Chromium: click a header to sort, pick a level or parent to filter."""
    from nianbao.exporters.browser import shared_browser

    path = write_dashboard(synth, YEAR)
    dash = build_dashboard(synth, YEAR)
    new_col = 7  # #, 单位, 级别, 状态, 错误, 警告, then the first key figure

    def job(browser):
        page = browser.new_page()
        try:
            page.goto(path.as_uri())
            visible = lambda: page.eval_on_selector_all(  # noqa: E731
                "#units tbody tr", "rs => rs.filter(r => !r.hidden).map(r => r.id.slice(5))")
            header = page.locator(f"#units thead th:nth-child({new_col})")
            header.click()
            first = visible()
            header.click()
            second = visible()
            page.select_option("#f-level", "township")
            towns = visible()
            page.select_option("#f-level", "")
            page.select_option("#f-parent", "-")
            top = visible()
            return first, second, towns, top
        finally:
            page.close()

    first, second, towns, top = shared_browser().call(job, timeout=120)
    by_new = {ln.unit.id: ln.values["new"] if ln.values else -1 for ln in dash.lines}
    assert [by_new[u] for u in first] == sorted(by_new.values(), reverse=True)
    assert [by_new[u] for u in second] == sorted(by_new.values())
    assert sorted(towns) == sorted(ln.unit.id for ln in dash.lines if ln.unit.level == "township")
    assert sorted(top) == sorted(ln.unit.id for ln in dash.lines if ln.unit.parent is None)
