"""A batch survives its workers (issue 14, item 2) and bounds every unit's time (item 1's batch part).

One batch of 6 synthetic units on 2 local workers, where one unit's notebook kills the worker running
it (``kill -9`` of the kernel's parent) and another unit's notebook sleeps past ``--unit-timeout``:
only those two units fail, each saying why; the workers are replaced; the other four pass; the state,
the dashboard and the year manifest are current and ``nianbao verify outputs/<year>`` passes.
"""
from __future__ import annotations

import json
import re

import nbformat
import psutil
import pytest

from conftest import REPO
from nianbao.batch.run import run_batch
from nianbao.cli import main
from nianbao.project import Project
from nianbao.synthetic import generate

YEAR = 2022
NOTEBOOK = REPO / "notebooks" / "annual_report.ipynb"

# Inserted after the parameters: acts only when a marker file names this unit.
HOSTILE_CELL = """\
import os, pathlib, time
_root = pathlib.Path(project_dir)
if (_root / ('KILL-' + unit)).exists():
    (_root / ('KILLED-' + unit)).write_text(str(os.getpid()))   # the kernel's pid, to check it is gone later
    os.kill(os.getppid(), 9)                                     # the worker process running this unit
    time.sleep(120)
if (_root / ('SLOW-' + unit)).exists():
    (_root / ('SLOW-PID-' + unit)).write_text(str(os.getpid()))
    time.sleep(120)
"""


def _hostile_project(tmp_path):
    synth = generate(tmp_path / "p", 6, YEAR, seed=5, notebook=NOTEBOOK)
    project = Project(synth.root)
    node = nbformat.read(project.report_notebook, as_version=4)
    node.cells.insert(2, nbformat.v4.new_code_cell(HOSTILE_CELL))
    nbformat.write(node, project.report_notebook)
    leaves = [u.id for u in synth.units if not u.rollup]
    return synth, project, leaves


def _dashboard_rows(project):
    html = (project.outputs_dir / str(YEAR) / "index.html").read_text(encoding="utf-8")
    return dict(re.findall(r'<tr class="row-\w+" id="unit-([\w-]+)">.*?<span class="st st-\w+">(\w+)</span>', html, re.S))


@pytest.mark.slow
def test_killed_worker_and_overrunning_unit_fail_alone(tmp_path, capsys):
    synth, project, leaves = _hostile_project(tmp_path)
    killed, slow = leaves[1], leaves[3]
    (project.root / f"KILL-{killed}").touch()
    (project.root / f"SLOW-{slow}").touch()

    code = main(["batch", "--project", str(project.root), "--year", str(YEAR), "--jobs", "2", "--unit-timeout", "10",
                 "-q"])
    out = capsys.readouterr().out
    assert code == 5, out
    assert "合计 6 个单位：通过 4，警告 0，不通过 0，失败 2，跳过 0" in out, out
    listed = next(line for line in out.splitlines() if line.startswith("失败的单位（2）："))
    assert sorted(listed.split("：", 1)[1].split(", ")) == sorted([killed, slow])

    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    outcomes = {u: r["outcome"] for u, r in state["units"].items()}
    assert outcomes == {u.id: "failed" if u.id in (killed, slow) else "ok" for u in synth.units}
    dead = state["units"][killed]
    assert dead["error_kind"] == "worker"
    assert "工作进程" in dead["error"] and "意外退出（信号 SIGKILL）" in dead["error"] and "其余单位继续运行" in dead["error"]
    over = state["units"][slow]
    assert over["error_kind"] == "timeout"
    assert "超过时间限制 10 秒（--unit-timeout）" in over["error"]
    assert 10 <= over["seconds"] < 60
    assert state["last_run"]["unit_timeout"] == 10
    # the workers that ran the good units: the two originals plus replacements, never the dead pid
    assert dead["pid"] not in {r["pid"] for u, r in state["units"].items() if r["outcome"] == "ok"}
    # the killed and the stopped units' kernels did not outlive their workers
    for marker in (f"KILLED-{killed}", f"SLOW-PID-{slow}"):
        pid = int((project.root / marker).read_text())
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, marker
    for unit in (killed, slow):  # nothing written for them: no half report
        assert not (project.output_dir(unit, YEAR) / "report.html").exists()
    for u in synth.units:
        if u.id not in (killed, slow):
            assert (project.output_dir(u.id, YEAR) / "report.html").is_file()

    assert _dashboard_rows(project) == {u.id: "失败" if u.id in (killed, slow) else "通过" for u in synth.units}
    year_manifest = json.loads((project.outputs_dir / str(YEAR) / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(year_manifest["units"]) == sorted(u.id for u in synth.units if u.id not in (killed, slow))
    assert sorted(year_manifest["missing"]) == sorted([killed, slow])
    from nianbao.verify import verify

    verdict = verify(project.outputs_dir / str(YEAR))
    assert verdict.failures == [], [f.__dict__ for f in verdict.failures]

    # a unit's outputs from the batch (validation handed over by the batch's validator) equal those of
    # `nianbao run` on that unit (validated in its own fresh kernel), apart from the declared volatile fields
    # (validator calls for 6 units on 2 workers: 4 units, then 2 — the roll-up county among them)
    _same_as_single_run(project, next(u.id for u in synth.units if u.rollup), units_in_call=2)


def _same_as_single_run(project, unit, units_in_call):
    from nianbao import manifest as mf
    from nianbao.runner import run_report
    from nianbao.validation.handed import RUN_MIME
    from nianbao.validation.evidence import MIME

    out = project.output_dir(unit, YEAR)
    batch = {name: (out / name).read_bytes() for name in ("report.ipynb", "report.html", "validation.json")}
    run_report(project, unit, YEAR, ("html",))
    single = {name: (out / name).read_bytes() for name in batch}
    # the same findings and evidence; only how many units shared the GX run differs (declared volatile)
    assert single["validation.json"] != batch["validation.json"]
    from nianbao.verify import first_difference

    assert first_difference(mf.normalise_json("validation.json", json.loads(batch["validation.json"])),
                            mf.normalise_json("validation.json", json.loads(single["validation.json"]))) is None
    shared = [json.loads(v)["checks"]["form-rules"]["evidence"]["batch_units"]
              for v in (batch["validation.json"], single["validation.json"])]
    assert shared == [units_in_call, 1]
    checked = json.loads(single["validation.json"])
    assert checked["status_code"] == "passed" and checked["unit"] == unit
    assert len(checked["checks"]["form-rules"]["evidence"]["suites"]) > 10
    assert mf.normalise_html(batch["report.html"].decode(), environment=True) == \
        mf.normalise_html(single["report.html"].decode(), environment=True)
    nbs = [json.loads(batch["report.ipynb"]), json.loads(single["report.ipynb"])]
    assert mf.normalise_notebook(nbs[0], environment=True) == mf.normalise_notebook(nbs[1], environment=True)
    runs = []
    for nb in nbs:
        (data,) = [o["data"] for c in nb["cells"] for o in c.get("outputs", []) if MIME in o.get("data", {})]
        runs.append(data[RUN_MIME])
    assert runs[0]["validated_by"] == "batch" and runs[0]["units_in_call"] == units_in_call
    assert runs[1]["validated_by"] == "kernel" and runs[1]["units_in_call"] == 1
    # the published HTML carries no software environment: byte-identical
    assert batch["report.html"] == single["report.html"]


def test_interrupted_batch_still_writes_state_dashboard_and_year_manifest(tmp_path, monkeypatch):
    """Ctrl-C in the middle: the units that finished are recorded, the rest are shown as not run, the
    dashboard and the year manifest are rewritten, and the exit code is 130 (no kernels: the
    executor is replaced by one that finishes one unit and is then interrupted)."""
    from concurrent.futures import Future

    from nianbao.batch import executors

    synth = generate(tmp_path / "p", 4, YEAR, seed=6, notebook=NOTEBOOK)
    project = Project(synth.root)
    year_dir = project.outputs_dir / str(YEAR)
    year_dir.mkdir(parents=True, exist_ok=True)
    (year_dir / "manifest.json").write_text('{"stale": true}\n', encoding="utf-8")
    (year_dir / "index.html").write_text("stale", encoding="utf-8")
    closed, first = [], []

    class Interrupted:
        def __init__(self, *args):
            self.submitted = []

        def submit(self, job):
            fut = Future()
            self.submitted.append((job, fut))
            return fut

        def wait_any(self, futures, timeout=None):
            if len([j for j, f in self.submitted if f.done()]) == 1:
                raise KeyboardInterrupt
            job, fut = self.submitted[0]
            first.append(job["unit"])
            fut.set_result({"key": job["key"], "outcome": "failed", "error_kind": "input", "error": "示例错误",
                            "files": {}, "seconds": 0.1})
            return {fut}

        def close(self, cancel=False):
            closed.append(cancel)

    monkeypatch.setattr(executors, "make_executor", lambda *a, **k: Interrupted())
    result = run_batch(project, YEAR, jobs=2, progress=False, strict_kernels=True)
    assert result.interrupted and result.exit_code == 130
    (first,) = first
    others = [u.id for u in synth.units if u.id != first]
    assert result.ran == [first] and sorted(result.not_run) == sorted(others)
    assert closed == [True]  # the executor was told to stop its workers
    state = json.loads((year_dir / ".batch-state.json").read_text(encoding="utf-8"))
    assert list(state["units"]) == [first] and state["units"][first]["error"] == "示例错误"
    assert state["last_run"]["interrupted"] is True
    rows = _dashboard_rows(project)
    assert rows[first] == "失败"
    # the others never had a report: the dashboard's current verdict for them is 未生成
    assert {rows[u] for u in others} == {"未生成"}, rows
    html = (year_dir / "index.html").read_text(encoding="utf-8")
    assert html.count("批量运行被中断，本单位未运行") == 3
    year_manifest = json.loads((year_dir / "manifest.json").read_text(encoding="utf-8"))
    assert year_manifest["kind"] == "nianbao-year-manifest" and "index.html" in year_manifest["files"]
    assert sorted(year_manifest["missing"]) == sorted(u.id for u in synth.units)
