"""Validation handed to a report by its batch (issue 16, item 1) — in-process, no kernel.

The validator's result for a unit is taken by the report only for that unit and year and only while
every input still has the hash it was validated with; otherwise the report validates itself.
"""
from __future__ import annotations

import pytest

from conftest import REPO
from nianbao import manifest as mf
from nianbao.batch import kernelside
from nianbao.project import Project
from nianbao.report import load_report
from nianbao.synthetic import generate
from nianbao.validation import validate_report
from nianbao.batch.validator import validate_into
from nianbao.validation.handed import chunk_sizes

YEAR = 2022


@pytest.fixture
def project(tmp_path):
    synth = generate(tmp_path / "p", 4, YEAR, seed=11, errors=1, notebook=REPO / "notebooks" / "annual_report.ipynb")
    yield Project(synth.root), synth
    kernelside.hand_validation(None)


def test_handed_result_is_taken_only_while_its_inputs_hold(project, tmp_path):
    project, synth = project
    ids = [u.id for u in synth.units]
    bad = next(iter(synth.errors))
    spool = tmp_path / "spool"
    reported = []
    validate_into(project, YEAR, ids, spool, chunks=[2, 2], report=reported.append)
    # two calls of two units; the unit whose inputs do not load gets no result (its run reports why)
    assert [sorted(d) for d in reported] == [sorted(ids[:2]), sorted(ids[2:])]
    assert all(d[bad] is None for d in reported if bad in d)
    good = next(u for u in ids if u != bad and not project.units().get(u).rollup)
    path = next(d[good] for d in reported if good in d)

    kernelside.hand_validation(path)
    handed = validate_report(load_report(project, good, YEAR))
    assert kernelside.handed_validation is None  # taken once
    assert handed.volatile["validated_by"] == "batch" and handed.volatile["units_in_call"] == 2
    own = validate_report(load_report(project, good, YEAR))
    assert own.volatile["validated_by"] == "kernel" and own.volatile["units_in_call"] == 1
    # the same result apart from the declared fields describing the shared GX run
    assert handed.to_json() != own.to_json()
    assert mf.normalise_json("validation.json", handed.to_json()) == mf.normalise_json("validation.json", own.to_json())
    assert handed.to_json()["checks"]["form-rules"]["evidence"]["batch_units"] == 2

    # another unit's result is not taken
    other = next(u for u in ids if u not in (bad, good) and not project.units().get(u).rollup)
    kernelside.hand_validation(path)
    assert validate_report(load_report(project, other, YEAR)).volatile["validated_by"] == "kernel"
    # an input changed after the validator read it: the report validates itself, and sees the change
    narrative = project.narrative_file(good, YEAR)
    narrative.write_text(narrative.read_text(encoding="utf-8") + "\n本单位没有收取信息处理费。\n", encoding="utf-8")
    kernelside.hand_validation(path)
    again = validate_report(load_report(project, good, YEAR))
    assert again.volatile["validated_by"] == "kernel"


def test_chunk_sizes_start_small_then_double():
    assert chunk_sizes(1000, 2) == [4, 8, 16, 32, 64, 128, 256, 492]
    assert chunk_sizes(3, 2) == [3]
    assert chunk_sizes(0, 2) == []
    assert sum(chunk_sizes(60, 2)) == 60 and chunk_sizes(60, 2)[0] == 4


def test_registry_is_parsed_again_only_when_its_bytes_change(project):
    from nianbao import project as project_mod

    project, synth = project
    first = project.units()
    parsed = project_mod._UNITS_CACHE["last"][1]
    again = project.units()
    assert project_mod._UNITS_CACHE["last"][1] is parsed  # same bytes: not parsed again
    assert [u.id for u in again] == [u.id for u in first] and again is not first
    text = project.units_file.read_text(encoding="utf-8")
    project.units_file.write_text(text.replace("示例县", "示例市", 1), encoding="utf-8")  # same length in bytes
    changed = project.units()
    assert project_mod._UNITS_CACHE["last"][1] is not parsed
    assert any("示例市" in u.name for u in changed) and not any("示例市" in u.name for u in first)
