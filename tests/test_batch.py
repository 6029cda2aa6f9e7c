"""`nianbao batch` end to end on synthetic units: failures isolated and listed, dashboard, retry of the
failed units only after fixing them, and a no-change rerun that starts nothing.

The issue's acceptance scenario (50 units, 3 injected failures) is scaled down to 8 units with 3
failures — a bad cell value and a bad narrative heading (both refused before any kernel starts) and a
cell that raises inside one unit's notebook — to keep the suite fast; `benchmarks/bench_batch.py`
runs the full sizes.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from nianbao.batch.run import run_batch
from nianbao.cli import main
from nianbao.project import Project
from nianbao.synthetic import generate

YEAR = 2022
NOTEBOOK = REPO / "notebooks" / "annual_report.ipynb"


def dashboard_rows(project: Project) -> dict[str, str]:
    html = (project.outputs_dir / str(YEAR) / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html)  # self-contained
    rows = re.findall(r'<tr class="row-\w+" id="unit-([\w-]+)">.*?<span class="st st-\w+">(\w+)</span>', html, re.S)
    return dict(rows)


@pytest.mark.slow
def test_batch_isolates_failures_lists_them_and_retries_only_them(tmp_path, capsys):
    synth = generate(tmp_path / "p", 8, YEAR, seed=3, errors=2, notebook=NOTEBOOK)
    project = Project(synth.root)
    bad = dict(synth.errors)  # {unit: kind}
    assert sorted(bad.values()) == ["bad_heading", "missing_value"]
    # a third unit fails inside its notebook: a cell raises while a marker file exists (the notebook
    # itself stays the same for every unit, so the no-change rerun below still skips everything)
    crashing = next(u.id for u in synth.units if u.id not in bad and u.id.startswith("demo-town"))
    import nbformat

    nb_path = project.report_notebook
    node = nbformat.read(nb_path, as_version=4)
    node.cells.insert(4, nbformat.v4.new_code_cell(
        "import pathlib\nif pathlib.Path(project_dir, 'FAIL-' + unit).exists():\n"
        "    raise RuntimeError('injected failure for ' + unit)"))
    nbformat.write(node, nb_path)
    (project.root / f"FAIL-{crashing}").touch()
    bad[crashing] = "cell_error"
    good = [u.id for u in synth.units if u.id not in bad]

    code = main(["batch", "--project", str(project.root), "--year", str(YEAR), "--jobs", "2"])
    out = capsys.readouterr()
    assert code == 5
    assert "合计 8 个单位：通过 5，警告 0，不通过 0，失败 3，跳过 0" in out.out
    listed = next(line for line in out.out.splitlines() if line.startswith("失败的单位（3）："))
    assert sorted(listed.split("：", 1)[1].split(", ")) == sorted(bad)
    progress = [line for line in out.err.splitlines() if line.startswith("[")]
    assert len(progress) == 8 and progress[-1].startswith("[8/8] ")  # not a terminal: one plain line per unit
    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    assert {u: r["outcome"] for u, r in state["units"].items()} == {u: "failed" if u in bad else "ok"
                                                                    for u in [x.id for x in synth.units]}
    for unit in good:
        out_dir = project.output_dir(unit, YEAR)
        assert {p.name for p in out_dir.iterdir()} >= {"report.ipynb", "report.html", "validation.json"}
        nb = json.loads((out_dir / "report.ipynb").read_text(encoding="utf-8"))
        assert nb["metadata"]["nianbao"]["kernel_mode"] == "warm"
    # children ran before the roll-up compiled from them
    order = sorted(state["units"], key=lambda u: state["units"][u]["finished"])
    assert order.index("demo-county") > max(order.index(u) for u in good if u.startswith("demo-town"))
    for unit, kind in bad.items():
        rec = state["units"][unit]
        if kind == "missing_value":  # refused before any kernel: the bad cell is named, nothing written
            assert rec["error_kind"] == "input" and "缺失值" in rec["error"] and "表三" in rec["error"]
            assert not project.output_dir(unit, YEAR).exists()
        elif kind == "bad_heading":  # the narrative is checked before any kernel too, naming file:line
            assert rec["error_kind"] == "input" and "narrative.md:" in rec["error"]
            assert "不认识的章节标题" in rec["error"] and "存在问题和下一步打算" in rec["error"]
            assert not project.output_dir(unit, YEAR).exists()
        else:  # the partial notebook is kept with the error visible
            assert rec["error_kind"] == "execution"
            failed = json.loads((project.root / rec["failed_notebook"]).read_text(encoding="utf-8"))
            errors = [o for c in failed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
            assert errors and errors[0]["evalue"] == f"injected failure for {unit}"
            assert not (project.output_dir(unit, YEAR) / "report.html").exists()
    assert dashboard_rows(project) == {u.id: "失败" if u.id in bad else "通过" for u in synth.units}

    # fix the two units (the same seed without errors writes their corrected files) and retry
    fixed = generate(tmp_path / "fixed", 8, YEAR, seed=3, notebook=NOTEBOOK)
    for unit in synth.errors:
        for name in ("figures.yaml", "narrative.md"):
            shutil.copyfile(fixed.root / "data" / str(YEAR) / unit / name, project.unit_dir(unit, YEAR) / name)
    (project.root / f"FAIL-{crashing}").unlink()
    result = run_batch(project, YEAR, jobs=2, retry_failed=True, progress=False)
    assert sorted(result.ran) == sorted(bad) and result.exit_code == 0
    # the dashboard shows each unit's current verdict, not whether it ran this time
    assert dashboard_rows(project) == {u.id: "通过" for u in synth.units}
    # the year's manifest covers every unit and the dashboard, and verifies
    from nianbao.verify import verify

    year_manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    assert result.manifest == project.outputs_dir / str(YEAR) / "manifest.json"
    assert "index.html" in json.dumps(year_manifest) and all(u.id in json.dumps(year_manifest) for u in synth.units)
    verdict = verify(project.outputs_dir / str(YEAR))
    assert verdict.failures == [], [f.__dict__ for f in verdict.failures]

    # nothing changed: every unit is skipped without importing papermill or Great Expectations
    probe = ("import sys; from nianbao.cli import main; "
             f"rc = main(['batch', '--project', {str(project.root)!r}, '--year', '{YEAR}']); "
             "print('RESULT', rc, 'papermill' in sys.modules, 'great_expectations' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "RESULT 0 False False" in done.stdout, done.stderr
    assert "跳过 8。本次运行 0 个" in done.stdout


@pytest.mark.slow
def test_a_registered_unit_without_data_is_not_reported_not_failed(project_dir, capsys):
    """The bundled project: demo2019 has no 2022 figures. The batch of 2022 lists it as 未报送, runs only
    zhungeer and exits 0; the dashboard says 未报送; the batch state records no run for it."""
    project = Project(project_dir)
    assert not project.figures_file("demo2019", YEAR).exists() and project.figures_file("zhungeer", YEAR).exists()
    code = main(["batch", "--project", str(project_dir), "--year", str(YEAR), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "合计 2 个单位：通过 1，警告 0，不通过 0，失败 0，跳过 0，未报送 1。本次运行 1 个" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("demo2019 "))
    assert "未报送" in line and "data/2022/demo2019/figures.yaml" in line
    assert "失败的单位" not in out
    assert dashboard_rows(project) == {"zhungeer": "通过", "demo2019": "未报送"}
    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    assert set(state["units"]) == {"zhungeer"}
    assert not project.output_dir("demo2019", YEAR).exists()
