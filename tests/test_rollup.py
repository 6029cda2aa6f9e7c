"""Roll-up units, batch planning keys and the synthetic generator — no kernel, no notebook (fast)."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import REPO
from nianbao import forms
from nianbao.batch.plan import KeyMaker, load_registry, ordered
from nianbao.errors import FiguresError, InputError
from nianbao.figures import load_figures
from nianbao.project import Project
from nianbao.present.rollup import sources_block
from nianbao.rollup import RollupFigures, is_summed, load_unit_figures
from nianbao.synthetic import generate

YEAR = 2022
FORM = forms.get("gov2021")
NOTEBOOK = REPO / "notebooks" / "annual_report.ipynb"


@pytest.fixture
def synth(tmp_path) -> Project:
    generate(tmp_path / "p", 7, YEAR, seed=11, notebook=NOTEBOOK)  # county + 3 towns + 3 departments
    return Project(tmp_path / "p")


def _own(project: Project, unit: str):
    return load_figures(project.figures_file(unit, YEAR), unit=unit, year=YEAR)


def test_synthetic_projects_are_consistent_marked_and_deterministic(tmp_path):
    a = generate(tmp_path / "a", 12, YEAR, seed=5, errors=2, notebook=NOTEBOOK)
    generate(tmp_path / "b", 12, YEAR, seed=5, errors=2, notebook=NOTEBOOK)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
    assert "合成数据" in (tmp_path / "a" / "params" / "units.yaml").read_text(encoding="utf-8")
    assert len(a.errors) == 2 and set(a.errors.values()) == {"missing_value", "bad_heading"}
    project = Project(tmp_path / "a")
    for unit in a.units:
        nar = project.narrative_file(unit.id, YEAR).read_text(encoding="utf-8")
        assert nar.startswith("（合成数据") and re.match(r"^示例县", unit.name)
        if a.errors.get(unit.id) == "missing_value":
            with pytest.raises(FiguresError, match="缺失值"):
                _own(project, unit.id)
            continue
        v = _own(project, unit.id).values
        t3, t4 = v["table3"], v["table4"]
        cols = [c.key for c in FORM.table("table3").columns]
        results = [r.key for r in FORM.table("table3").rows if r.groups and r.key != "results_total"]
        for c in cols:  # every rule per column, not only on 总计
            assert t3[("new", c)] + t3[("carried_over", c)] == t3[("results_total", c)] + t3[("carried_forward", c)]
            assert t3[("results_total", c)] == sum(t3[(r, c)] for r in results)
        for r in FORM.table("table3").rows:
            assert t3[(r.key, "total")] == sum(t3[(r.key, c)] for c in cols[:-1])
        for r in ("review", "litigation_direct", "litigation_after_review"):
            assert t4[(r, "total")] == sum(t4[(r, k)] for k in ("upheld", "corrected", "other", "pending"))
    # the same seed without errors writes the corrected files of exactly the defective units
    generate(tmp_path / "fixed", 12, YEAR, seed=5, notebook=NOTEBOOK)
    differ = {u.id for u in a.units for name in ("figures.yaml", "narrative.md")
              if (tmp_path / "a" / "data" / str(YEAR) / u.id / name).read_bytes()
              != (tmp_path / "fixed" / "data" / str(YEAR) / u.id / name).read_bytes()}
    assert differ == set(a.errors)


def test_rollup_sums_children_and_takes_own_stock_and_fees(synth):
    county = load_unit_figures(synth, "demo-county", YEAR)
    assert isinstance(county, RollupFigures)
    assert county.children == ("demo-town-001", "demo-town-002", "demo-town-003")
    towns = [_own(synth, t) for t in county.children]
    own = _own(synth, "demo-county")
    for table in FORM.tables:
        for row, col in table.cells():
            cell = (row.key, col.key)
            expected = (sum(t.values[table.key][cell] for t in towns) if is_summed(table.key, col.key)
                        else own.values[table.key][cell])
            assert county.values[table.key][cell] == expected, (table.key, cell)
    assert not is_summed("table2", "in_force") and not is_summed("table2", "amount")
    assert is_summed("table2", "issued") and is_summed("table4", "total")


def test_rollup_own_file_may_omit_summed_cells_but_not_stock_or_fees(synth):
    path = synth.figures_file("demo-county", YEAR)
    full = load_unit_figures(synth, "demo-county", YEAR)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("table3:"))
    end = next(i for i, l in enumerate(lines) if l.startswith("# 叙述部分"))
    path.write_text("\n".join(lines[:start] + lines[end:]) + "\n", encoding="utf-8")  # no 表三, no 表四
    assert load_unit_figures(synth, "demo-county", YEAR).values == full.values
    path.write_text(re.sub(r"in_force: \d+", "in_force: /", text.replace("  fees: {amount:", "  # fees: {amount:")),
                    encoding="utf-8")
    with pytest.raises(FiguresError) as err:
        load_unit_figures(synth, "demo-county", YEAR)
    message = str(err.value)
    assert "行政事业性收费" in message and "不由下级单位汇总" in message  # fees left out
    assert "现行有效件数" in message and "缺失值" in message  # "/" is a missing value, not 0


def test_rollup_declared_figure_must_equal_the_childrens_sum(synth):
    path = synth.figures_file("demo-county", YEAR)
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^  new: +\[(\d+),", text, re.M)
    expected = int(m.group(1))
    path.write_text(text[:m.start(1)] + str(expected + 1) + text[m.end(1):], encoding="utf-8")
    with pytest.raises(FiguresError) as err:
        load_unit_figures(synth, "demo-county", YEAR)
    text = str(err.value)
    assert "表三 第1行「一、本年新收政府信息公开申请数量」 列「自然人」" in text
    assert f"汇总单位填报 {expected + 1}，下级单位合计应为 {expected}" in text
    lenient = load_unit_figures(synth, "demo-county", YEAR, strict=False)
    (m1,) = lenient.mismatches
    assert (m1.table, m1.row, m1.column, m1.expected, m1.actual) == ("table3", "new", "natural_person", expected,
                                                                      expected + 1)
    (finding,) = lenient.findings()
    assert (finding.rule_id, finding.severity, finding.difference) == ("X-ROLLUP", "error", 1)


def test_rollup_names_a_defective_child_and_lists_its_sources(synth):
    from nianbao.report import open_report

    report = open_report("demo-county", YEAR, synth.root)
    block = sources_block(report)
    assert "示例县第1示范镇人民政府" in block.html and "3 个单位" in block.html
    assert sources_block(open_report("demo-town-001", YEAR, synth.root)).html == ""
    child = synth.figures_file("demo-town-002", YEAR)
    child.write_text(re.sub(r"^(  new: +\[)\d+", r"\1/", child.read_text(encoding="utf-8"), flags=re.M),
                     encoding="utf-8")
    with pytest.raises(InputError, match="下级单位 示例县第2示范镇人民政府（demo-town-002）的数据有误") as err:
        load_unit_figures(synth, "demo-county", YEAR)
    assert "表三 第1行" in str(err.value) and "缺失值" in str(err.value)


def test_batch_order_and_skip_keys(synth):
    registry = load_registry(synth)
    ids = [u.id for u in registry]
    order = ordered(registry, ids)
    assert order.index("demo-county") > max(order.index(t) for t in ids if t.startswith("demo-town"))

    def keys():
        r = load_registry(synth)
        maker = KeyMaker(synth, r, YEAR, ("html",), "warm")
        return {u.id: maker.key(u.id) for u in r}

    before = keys()
    units = synth.units_file
    units.write_text(units.read_text(encoding="utf-8")
                     + "  demo-extra:\n    name: 示例县第9示范局\n    level: county\n    kind: department\n",
                     encoding="utf-8")
    after = keys()
    assert {u: after[u] for u in before} == before  # an unrelated new unit reruns nothing
    nar = synth.narrative_file("demo-town-002", YEAR)
    nar.write_text(nar.read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    changed = {u for u, k in keys().items() if after[u] != k}
    assert changed == {"demo-town-002"}  # the county reads its children's figures, not their narratives
    fig = synth.figures_file("demo-town-002", YEAR)
    fig.write_text(fig.read_text(encoding="utf-8").replace("unit: demo-town-002", "unit: demo-town-002  # 复核"),
                   encoding="utf-8")
    again = keys()
    assert {u for u in again if again[u] != after[u]} == {"demo-town-002", "demo-county"}
    other = KeyMaker(synth, load_registry(synth), YEAR, ("html", "pdf"), "warm")
    assert other.key("demo-dept-001") != again["demo-dept-001"]  # formats are part of the key


def test_rollup_without_children_is_refused(tmp_path):
    root = tmp_path / "p"
    (root / "params").mkdir(parents=True)
    (root / "params" / "units.yaml").write_text(
        "units:\n  lonely:\n    name: 示例县人民政府\n    level: county\n    rollup: true\n", encoding="utf-8")
    with pytest.raises(InputError, match="没有单位的 parent 是 lonely"):
        load_unit_figures(Project(root), "lonely", YEAR)


def test_fee_amounts_keep_their_decimals(synth):
    fees = _own(synth, "demo-dept-001").values["table2"][("fees", "amount")]
    assert isinstance(fees, Decimal) and fees == fees.quantize(Decimal("0.0001"))
    assert Path(synth.root / "synthetic.json").is_file()


def test_rollup_sum_over_a_child_with_a_blank_cell_is_missing_not_a_partial_sum(synth):
    """Validating a roll-up (lenient load): the child's blank leaves the county's cell missing, said so."""
    from nianbao.validation import load_context, validate_contexts

    child = synth.figures_file("demo-town-002", YEAR)
    child.write_text(re.sub(r"^(  new: +\[)\d+", r"\1~", child.read_text(encoding="utf-8"), flags=re.M),
                     encoding="utf-8")
    lenient = load_unit_figures(synth, "demo-county", YEAR, strict=False)
    assert lenient.values["table3"][("new", "natural_person")] is None
    (p,) = [p for p in lenient.problems if p.kind == "missing_value"]
    assert (p.table, p.row_label, p.column_label, p.value) == ("表三", "一、本年新收政府信息公开申请数量", "自然人", "（下级单位未填）")
    assert p.message == "下级单位 示例县第2示范镇人民政府 的此格缺失，汇总数无法计算（缺失值不是 0）。请先补齐下级单位的数据。"
    ctx, _ = load_context(synth, synth.units().get("demo-county"), YEAR)
    result = validate_contexts([ctx])[0]
    (f,) = [f for f in result.findings if f.rule_id == "TYPE-MISSING"]
    assert (f.row, f.column, f.actual, f.message) == ("new", "natural_person", "（下级单位未填）", p.message)
    identity = next(s for s in result.suites if s["rule_id"] == "T3-IDENTITY")
    assert identity["instances"]["not_assessable"] == 1
