"""The warm-kernel papermill engine: one kept kernel, reset between notebooks, provably isolated.

The isolation test runs unit A and then unit B in one warm kernel and compares B's executed notebook
with B run alone in a fresh kernel, after normalising the fields that differ between any two runs
(papermill's timestamps and durations, execution metadata, the recorded kernel mode).
"""
from __future__ import annotations

import copy
import json

import nbformat
import pytest

from conftest import REPO
from nianbao.project import Project
from nianbao.runner import run_report
from nianbao.synthetic import generate

pytestmark = pytest.mark.slow
YEAR = 2022


@pytest.fixture(scope="module")
def engines():
    from nianbao import engines as mod

    yield mod
    mod.shutdown_all()


def normalise(nb: dict) -> dict:
    """Drop what legitimately differs between two runs of the same notebook on the same inputs."""
    nb = copy.deepcopy(nb)
    meta = nb["metadata"]
    for key in ("start_time", "end_time", "duration"):
        meta.get("papermill", {}).pop(key, None)
    # the kernel mode (metadata and the appendix's environment block) differs by design
    from nianbao.provenance import mask_environment_in_notebook

    nb = mask_environment_in_notebook(nb)
    # when and how long the validation ran (declared volatile: nianbao.validation.handed)
    from nianbao.manifest import NOTEBOOK_VOLATILE, VALIDATION_RUN_MIME, without_fields

    nb = without_fields(nb, [f for f in NOTEBOOK_VOLATILE if VALIDATION_RUN_MIME.replace("/", "~1") in f])
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        for key in ("start_time", "end_time", "duration"):
            cell["metadata"].get("papermill", {}).pop(key, None)
    return nb


def test_unit_b_after_unit_a_in_a_warm_kernel_equals_b_in_a_fresh_kernel(tmp_path, engines):
    generate(tmp_path / "p", 3, YEAR, seed=7, notebook=REPO / "notebooks" / "annual_report.ipynb")
    project = Project(tmp_path / "p")
    a, b = "demo-town-001", "demo-county"  # B is a roll-up: more state to leak (children, sums)
    started = engines.POOL.started
    run_report(project, a, YEAR, ["html"], engine_name=engines.WARM, kernel_mode="warm")
    run_report(project, b, YEAR, ["html"], engine_name=engines.WARM, kernel_mode="warm")
    assert engines.POOL.started - started <= 1  # A and B shared one kernel
    warm = json.loads((project.output_dir(b, YEAR) / "report.ipynb").read_text(encoding="utf-8"))
    run_report(project, b, YEAR, ["html"])  # papermill's own engine: a new kernel
    fresh = json.loads((project.output_dir(b, YEAR) / "report.ipynb").read_text(encoding="utf-8"))
    assert warm["metadata"]["nianbao"]["kernel_mode"] == "warm"
    assert fresh["metadata"]["nianbao"]["kernel_mode"] == "fresh"
    appendix = lambda nb: "".join("".join(o["data"]["text/html"]) for c in nb["cells"] for o in c.get("outputs", [])
                                  if "report.appendix" in "".join(c["source"]) and "text/html" in o.get("data", {}))
    assert "预热内核（复用）（warm）" in appendix(warm) and "全新内核（fresh）" in appendix(fresh)
    assert [c.get("execution_count") for c in warm["cells"]] == [c.get("execution_count") for c in fresh["cells"]]
    assert not [c for c in warm["cells"] for o in c.get("outputs", []) if o["output_type"] in ("error", "stream")]
    assert normalise(warm) == normalise(fresh)


MUTATE = """
import os, sys, warnings, decimal, functools
import pandas as pd
import nianbao.lint as lint
os.environ["NIANBAO_LEAK"] = "1"
os.chdir("/")
sys.path.insert(0, "/leak")
warnings.simplefilter("error")
decimal.getcontext().prec = 3
pd.set_option("display.max_rows", 3)
get_ipython().display_formatter.formatters["text/plain"].for_type(int, lambda o, p, c: p.text("LEAK"))
leaked = lint.spec("gov2021")
leaked["figure_statements"] = []  # a notebook mutating a cached object must not affect the next one
secret = 42
"""

PROBE = """
import os, sys, warnings, decimal
import pandas as pd
import nianbao.lint as lint
print(sorted([
    "secret" in globals(), "NIANBAO_LEAK" in os.environ, os.getcwd() == EXPECTED_CWD, "/leak" in sys.path,
    ("error", None, Warning, None, 0) in warnings.filters, decimal.getcontext().prec == 3,
    pd.get_option("display.max_rows") == 3, lint.spec("gov2021")["figure_statements"] == [],
]))
7
"""


def test_reset_restores_process_state_between_notebooks(tmp_path, engines):
    import papermill as pm

    def notebook(name, *sources):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    cwd = str(tmp_path)
    first = notebook("mutate.ipynb", MUTATE, "1 + 1")
    probe = notebook("probe.ipynb", f"EXPECTED_CWD = {cwd!r}", PROBE)
    out = pm.execute_notebook(str(first), str(tmp_path / "o1.ipynb"), engine_name=engines.WARM, cwd=cwd,
                              progress_bar=False)
    assert out.cells[1].outputs[0]["data"]["text/plain"] == "LEAK"  # the mutations took effect
    out = pm.execute_notebook(str(probe), str(tmp_path / "o2.ipynb"), engine_name=engines.WARM, cwd=cwd,
                              progress_bar=False)
    assert out.cells[1].outputs[0]["text"] == "[False, False, False, False, False, False, False, True]\n"
    assert out.cells[1].outputs[1]["data"]["text/plain"] == "7"  # display formatter restored
    assert [c.execution_count for c in out.cells] == [1, 2]  # counted from 1, like a fresh kernel
    assert out.metadata["nianbao"]["kernel_mode"] == "warm"
