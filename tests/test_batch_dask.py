"""`nianbao batch --executor dask`: the same batch on Dask distributed, here a LocalCluster of two
worker processes listening on loopback (127.0.0.1), reached through --scheduler like a remote one."""
from __future__ import annotations

import json

import pytest

from conftest import REPO
from nianbao.cli import main
from nianbao.project import Project
from nianbao.synthetic import generate

pytestmark = pytest.mark.slow
YEAR = 2022


def test_batch_runs_on_a_dask_cluster_over_loopback(tmp_path, capsys):
    import logging

    from distributed import Client, LocalCluster

    synth = generate(tmp_path / "p", 4, YEAR, seed=9, errors=1, notebook=REPO / "notebooks" / "annual_report.ipynb")
    project = Project(synth.root)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        code = main(["batch", "--project", str(project.root), "--year", str(YEAR), "--executor", "dask",
                     "--scheduler", address, "-q"])
        with Client(address) as client:  # the batch stopped its kernels but left the shared workers running
            assert len(client.scheduler_info()["workers"]) == 2
            assert not any(client.run(lambda: __import__("nianbao.engines").engines.POOL.kernels).values())
    out = capsys.readouterr().out
    (bad,) = synth.errors
    assert code == 3  # the one failure is a bad input
    assert "合计 4 个单位：通过 3，警告 0，不通过 0，失败 1，跳过 0" in out and "2 个Dask 工作进程" in out
    state = json.loads((project.outputs_dir / str(YEAR) / ".batch-state.json").read_text(encoding="utf-8"))
    assert {u: r["outcome"] for u, r in state["units"].items()} == {u.id: "failed" if u.id == bad else "ok"
                                                                    for u in synth.units}
    assert len({r["pid"] for r in state["units"].values()}) == 2  # both workers took units
    for unit in (u.id for u in synth.units if u.id != bad):
        assert (project.output_dir(unit, YEAR) / "report.html").is_file()
    assert (project.outputs_dir / str(YEAR) / "index.html").is_file()
