"""The import layers declared in pyproject.toml ([tool.importlinter]) hold, and would catch a breach.

Presentation (nianbao.present, nianbao.report, nianbao.tables_html) sits above the data modules;
nianbao.provenance does not import nianbao.manifest.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def run(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "pyproject.toml"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_the_import_contracts_are_kept():
    out = run(REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    for name in ("Data modules do not import the presentation layer KEPT", "Provenance does not import manifest KEPT",
                 "The presentation layer does not import the report facade KEPT"):
        assert name in out.stdout
    assert "Contracts: 3 kept, 0 broken." in out.stdout


def test_a_data_module_importing_the_report_breaks_the_contract(tmp_path):
    """Fixture: a copy of the package whose roll-up module imports an HTML block from the report again
    (as it once did) and whose provenance imports manifest: both contracts report it, naming the import."""
    shutil.copytree(REPO / "lib" / "nianbao", tmp_path / "lib" / "nianbao",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    rollup = tmp_path / "lib" / "nianbao" / "rollup.py"
    rollup.write_text(rollup.read_text(encoding="utf-8") + "\n\ndef block():\n    from .report import HTMLBlock\n\n"
                      "    return HTMLBlock('', '')\n", encoding="utf-8")
    prov = tmp_path / "lib" / "nianbao" / "provenance.py"
    prov.write_text(prov.read_text(encoding="utf-8") + "\n\ndef timings(nb):\n    from .manifest import strip_run_timings\n\n"
                    "    return strip_run_timings(nb)\n", encoding="utf-8")
    out = run(tmp_path, pythonpath=tmp_path / "lib")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Data modules do not import the presentation layer BROKEN" in out.stdout
    assert "Provenance does not import manifest BROKEN" in out.stdout
    assert "nianbao.rollup -> nianbao.report" in out.stdout
    assert "nianbao.provenance -> nianbao.manifest" in out.stdout
    # the cycle reaches back: present.rollup -> rollup -> report breaks the third contract too
    assert "Contracts: 0 kept, 3 broken." in out.stdout


def test_no_import_cycles_outside_the_batch_dashboard_pair():
    """The circle through report.HTMLBlock (rollup, provenance, validation.html, report …) and the
    manifest ↔ provenance pair are gone. (batch.run ↔ dashboard is the batch's own and is listed.)"""
    import grimp

    g = grimp.build_graph("nianbao", cache_dir=None)
    index, low, stack, on, cycles, n = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.find_modules_directly_imported_by(v)):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in sorted(g.modules):
        if m not in index:
            visit(m)
    known = [["nianbao.batch.run", "nianbao.dashboard"]]
    assert [c for c in cycles if c not in known] == []
