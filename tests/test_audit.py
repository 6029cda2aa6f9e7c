"""Audit evidence: provenance, manifest, determinism, verify, bundle and atomic outputs.

Notebook executions are the expensive part (seconds each), so one module-scoped run is shared and
tampering happens on cheap copies of its project. Executions here: the shared run, a second run for
the determinism check, a re-run by `verify --rerun`, one by `verify --rerun` on an unzipped bundle,
and a run killed early.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from nianbao import manifest as mf
from nianbao import provenance, runner
from nianbao.bundle import make_bundle
from nianbao.cli import main
from nianbao.errors import ExecutionError, SetupError, VerificationFailed
from nianbao.project import Project
from nianbao.verify import compare_outputs, first_difference, verify

UNIT, YEAR = "zhungeer", 2022
OUT = Path("outputs") / str(YEAR) / UNIT
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def fresh_project(base: Path) -> Path:
    from conftest import REPO

    root = base / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    (root / "outputs").mkdir()
    return root


def render(root: Path) -> tuple[str, ...]:
    """Run the report with PDF when this machine can make one; returns the formats made."""
    try:
        runner.run_report(Project(root), UNIT, YEAR, ["html", "pdf"])
        return ("html", "pdf")
    except SetupError:
        runner.run_report(Project(root), UNIT, YEAR, ["html"])
        return ("html",)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def clone(root: Path, dest: Path) -> Path:
    shutil.copytree(root, dest / "project")
    return dest / "project"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = fresh_project(tmp_path_factory.mktemp("audit"))
    formats = render(root)
    return root, formats


@pytest.fixture
def copy(made, tmp_path):
    """A throw-away copy of the rendered project (outputs included)."""
    root, _ = made
    return clone(root, tmp_path)


KIT_IDENTITY = ("source_sha256", "git_commit", "git_dirty")  # what a report records of the code that made it


def kit_identity(root: Path) -> dict:
    """The code a rendered project's report was made by, as its notebook records it (see KIT_IDENTITY)."""
    nb = json.loads((root / OUT / "report.ipynb").read_text(encoding="utf-8"))
    kit = nb["metadata"]["nianbao"]["provenance"]["kit"]
    return {k: kit.get(k) for k in KIT_IDENTITY}


def skip_if_kit_changed(root: Path, *others: Path) -> None:
    """Comparisons with a re-run assume the same software. In a work tree being edited while the
    tests run, the kit's source can change between two runs, and a commit can land (the HTML and the
    notebook record the git commit and dirty state too); that is not what these tests are about.
    Skips unless the reports of ``root`` and every one of ``others``, and the kit now, record the
    same source hash, git commit and dirty state."""
    now = provenance.kit_info(cached=False)
    identities = [kit_identity(r) for r in (root, *others)] + [{k: now.get(k) for k in KIT_IDENTITY}]
    if any(i != identities[0] for i in identities[1:]):
        pytest.skip(f"the kit's source or git state changed while the tests ran (concurrent edits): {identities}")


def _recorded_run(base: Path, **kit) -> Path:
    """A stand-in for a rendered project whose notebook records ``kit`` (the kit now, with overrides)."""
    now = provenance.kit_info()
    (base / OUT).mkdir(parents=True)
    nb = {"metadata": {"nianbao": {"provenance": {"kit": {**now, **kit}}}}}
    (base / OUT / "report.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return base


def test_rerun_guard_compares_git_commit_and_dirty_state_not_only_the_source(tmp_path):
    now = provenance.kit_info()
    same_a, same_b = _recorded_run(tmp_path / "a"), _recorded_run(tmp_path / "b")
    skip_if_kit_changed(same_a, same_b)  # same code, same commit: compared, no skip
    committed = _recorded_run(tmp_path / "c", git_commit="0" * 40)  # a commit landed; same source hash
    with pytest.raises(pytest.skip.Exception, match="git state changed"):
        skip_if_kit_changed(committed)
    with pytest.raises(pytest.skip.Exception, match="git state changed"):
        skip_if_kit_changed(same_a, committed)
    dirty = _recorded_run(tmp_path / "d", git_dirty=not now["git_dirty"])
    with pytest.raises(pytest.skip.Exception, match="git state changed"):
        skip_if_kit_changed(same_a, dirty)
    edited = _recorded_run(tmp_path / "e", source_sha256="f" * 64)
    with pytest.raises(pytest.skip.Exception, match="git state changed"):
        skip_if_kit_changed(edited)


def run_cli(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


# ------------------------------------------------------------------------------------------------
# Provenance


def test_provenance_in_metadata(made):
    root, _ = made
    nb = json.loads((root / OUT / "report.ipynb").read_text(encoding="utf-8"))
    rec = nb["metadata"]["nianbao"]["provenance"]
    assert rec["parameters"] == {"unit": UNIT, "year": YEAR, "project_dir": ".."}
    assert rec["parameters"] == nb["metadata"]["papermill"]["parameters"]
    expected = {"figures": "data/2022/zhungeer/figures.yaml", "narrative": "data/2022/zhungeer/narrative.md",
                "publication": "data/2022/zhungeer/publication.yaml",
                "units": "params/units.yaml", "notebook": "notebooks/annual_report.ipynb"}
    assert {r: x["path"] for r, x in rec["inputs"].items()} == expected
    for x in rec["inputs"].values():
        assert x["sha256"] == hashlib.sha256((root / x["path"]).read_bytes()).hexdigest()
    assert rec["kit"]["version"] == __import__("nianbao").__version__
    assert set(rec["kit"]) == {"version", "git_commit", "git_dirty", "source_sha256"}
    assert rec["project"] == {"git_commit": None, "git_dirty": None}  # a temp copy is no git checkout
    assert set(rec["packages"]) == set(provenance.KEY_PACKAGES) and rec["packages"]["papermill"]
    assert rec["python"]["version"].count(".") == 2
    assert rec["kernel_mode"] == "fresh"
    assert not ISO_TIME.search(json.dumps(rec)), "provenance must hold no timestamps"
    # the same record is what the appendix cell showed
    assert provenance.record_in_outputs(nb) == rec


def test_provenance_appendix_visible(made):
    root, _ = made
    html = (root / OUT / "evidence.html").read_text(encoding="utf-8")  # the evidence, not the publication
    assert "附：报告来源记录" in html
    assert "附：报告来源记录" not in (root / OUT / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="provenance"'):]
    fig_sha = hashlib.sha256((root / "data/2022/zhungeer/figures.yaml").read_bytes()).hexdigest()
    for text in ("data/2022/zhungeer/figures.yaml", fig_sha, "notebooks/annual_report.ipynb", "params/units.yaml",
                 "papermill", "great_expectations", "内核模式", "fresh", "Python", "nianbao 代码提交"):
        assert text in section, text


def test_git_state_outside_a_checkout(tmp_path):
    assert provenance.git_state(tmp_path) == {"commit": None, "dirty": None}


def test_git_state_of_a_checkout(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    (tmp_path / "a.txt").write_text("a")
    for args in (["init", "-q"], ["add", "a.txt"], ["commit", "-q", "-m", "a"]):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, env=env, capture_output=True)
    state = provenance.git_state(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"]) and state["dirty"] is False
    (tmp_path / "a.txt").write_text("b")
    assert provenance.git_state(tmp_path)["dirty"] is True


def test_kernel_mode_from_environment_and_engine(monkeypatch, made):
    root, _ = made
    monkeypatch.setenv(provenance.KERNEL_MODE_ENV, "warm")
    assert provenance.kernel_mode() == "warm"
    monkeypatch.delenv(provenance.KERNEL_MODE_ENV)
    assert provenance.kernel_mode() == "fresh"
    # the engine's word (metadata nianbao.kernel_mode) wins in the metadata record
    nb = nbformat.read(root / OUT / "report.ipynb", as_version=4)
    nb.metadata["nianbao"]["kernel_mode"] = "warm"
    stamped = provenance.stamp(nb, Project(root), UNIT, YEAR)
    assert stamped.metadata["nianbao"]["provenance"]["kernel_mode"] == "warm"


def test_parameter_names_come_from_the_template(made):
    root, _ = made
    assert provenance.parameter_names(root / "notebooks/annual_report.ipynb") == ["unit", "year", "project_dir"]


# ------------------------------------------------------------------------------------------------
# Manifest and what the runner leaves in the notebook


def test_manifest_lists_every_output_and_input(made):
    root, formats = made
    out = root / OUT
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {p.name for p in out.iterdir() if p.is_file()} - {"manifest.json"}
    assert set(man["outputs"]) == on_disk
    assert {"report.ipynb", "report.html"} | {f"report.{f}" for f in formats} <= on_disk
    for name, rec in man["outputs"].items():
        data = (out / name).read_bytes()
        assert rec == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    nb = json.loads((out / "report.ipynb").read_text(encoding="utf-8"))
    assert {r: (x["path"], x["sha256"]) for r, x in man["inputs"].items()} == {
        r: (x["path"], x["sha256"]) for r, x in nb["metadata"]["nianbao"]["provenance"]["inputs"].items()}
    assert man["volatile"] == {k: list(v) for k, v in mf.VOLATILE_FIELDS.items()}
    assert (man["unit"], man["year"]) == (UNIT, YEAR)


def test_runner_strips_per_cell_timings(made):
    root, _ = made
    nb = json.loads((root / OUT / "report.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        assert "execution" not in cell["metadata"]
        assert set(cell["metadata"].get("papermill", {})) <= {"exception", "status"}
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert [c["id"] for c in injected] == ["injected-parameters"]
    # what remains volatile is exactly papermill's run clock (plus declared counters/validation timing)
    assert ISO_TIME.search(nb["metadata"]["papermill"]["start_time"])


@pytest.mark.parametrize("pointer, data, expected", [
    ("/a/b", {"a": {"b": 1, "c": 2}}, {"a": {"c": 2}}),
    ("/l/*/t", {"l": [{"t": 1, "u": 1}, {"u": 2}]}, {"l": [{"u": 1}, {"u": 2}]}),
    ("/d/x~1y+json/v", {"d": {"x/y+json": {"v": 1, "w": 2}}}, {"d": {"x/y+json": {"w": 2}}}),
    ("/missing/x", {"a": 1}, {"a": 1}),
    ("/a/*", {"a": {"b": 1}}, {"a": {"b": 1}}),  # "*" matches list items only
])
def test_volatile_pointers(pointer, data, expected):
    original = json.loads(json.dumps(data))
    assert mf.without_fields(data, [pointer]) == expected
    assert data == original  # a copy is returned; the input is not changed


# ------------------------------------------------------------------------------------------------
# Determinism


@pytest.mark.slow
def test_two_runs_identical_except_declared_volatile(made, tmp_path):
    root, formats = made
    other = fresh_project(tmp_path)
    assert render(other) == formats
    skip_if_kit_changed(root, other)
    a_dir, b_dir = root / OUT, other / OUT
    # HTML: byte-identical
    assert (a_dir / "report.html").read_bytes() == (b_dir / "report.html").read_bytes()
    # notebook: identical once the declared volatile fields are removed...
    a = json.loads((a_dir / "report.ipynb").read_text(encoding="utf-8"))
    b = json.loads((b_dir / "report.ipynb").read_text(encoding="utf-8"))
    assert first_difference(mf.normalise_notebook(a), mf.normalise_notebook(b)) is None
    # ...and every difference there is lies in a declared volatile field
    diffs = differences(a, b)
    assert diffs and all(declared_volatile(d) for d in diffs), diffs
    for name in {p.name for p in a_dir.iterdir()} & {p.name for p in b_dir.iterdir()}:
        if name.endswith(".json") and name != "manifest.json":
            assert mf.normalise_json(name, json.loads((a_dir / name).read_bytes())) == \
                mf.normalise_json(name, json.loads((b_dir / name).read_bytes()))
    if "pdf" in formats:
        assert mf.pdf_text(a_dir / "report.pdf") == mf.pdf_text(b_dir / "report.pdf")
    # the manifests agree on everything but the notebook's hash
    ma = json.loads((a_dir / "manifest.json").read_bytes())
    mb = json.loads((b_dir / "manifest.json").read_bytes())
    ma["outputs"].pop("report.ipynb"), mb["outputs"].pop("report.ipynb")
    for m in (ma, mb):
        for name in [n for n in m["outputs"] if n.endswith((".pdf", ".json"))]:
            m["outputs"].pop(name)
    assert ma == mb


def differences(a, b, where: str = "") -> list[str]:
    """JSON Pointers of every place two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            key = f"{where}/{k.replace('~', '~0').replace('/', '~1')}"
            out += differences(a.get(k), b.get(k), key) if k in a and k in b else [key]
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{where}/{i}")]
    return [] if a == b else [where]


def declared_volatile(pointer: str) -> bool:
    for field in mf.NOTEBOOK_VOLATILE:
        pattern = "^" + re.escape(field).replace(r"\*", r"\d+") + "(/|$)"
        if re.match(pattern, pointer):
            return True
    return False


# ------------------------------------------------------------------------------------------------
# verify


def test_verify_passes_on_untouched_outputs(made, capsys):
    root, _ = made
    code, out = run_cli(capsys, "verify", root / OUT)
    assert code == 0, out
    assert "核验通过" in out and "VERIFIED" in out


@pytest.mark.parametrize("name", ["report.html", "report.ipynb", "manifest-listed-json"])
def test_verify_names_a_tampered_output(copy, capsys, name):
    out_dir = copy / OUT
    if name == "manifest-listed-json":
        listed = [n for n in json.loads((out_dir / "manifest.json").read_bytes())["outputs"] if n.endswith(".json")]
        if not listed:
            pytest.skip("this run wrote no JSON side output")
        name = listed[0]
    target = out_dir / name
    data = bytearray(target.read_bytes())
    expected = hashlib.sha256(data).hexdigest()
    data[len(data) // 2] ^= 0x01  # one byte
    target.write_bytes(bytes(data))
    actual = hashlib.sha256(data).hexdigest()
    code, out = run_cli(capsys, "verify", out_dir)
    assert code == VerificationFailed.exit_code == 7
    fail_lines = [l for l in out.splitlines() if l.startswith("[失败 FAIL]")]
    assert len(fail_lines) == 1 and name in fail_lines[0]
    assert expected in fail_lines[0] and actual in fail_lines[0]
    assert "核验未通过" in out and "VERIFICATION FAILED" in out


def test_verify_reports_a_changed_figure(copy, capsys):
    fig = copy / "data/2022/zhungeer/figures.yaml"
    fig.write_text(fig.read_text(encoding="utf-8").replace("3197.1919", "3197.1918"), encoding="utf-8")
    code, out = run_cli(capsys, "verify", copy / OUT)
    assert code == 7
    fail_lines = [l for l in out.splitlines() if l.startswith("[失败 FAIL]")]
    assert len(fail_lines) == 1
    assert "data/2022/zhungeer/figures.yaml" in fail_lines[0] and "input changed" in fail_lines[0]


def test_verify_reports_a_new_input(copy, capsys):
    prior = copy / "data/2021/zhungeer"
    prior.mkdir(parents=True)
    shutil.copyfile(copy / "data/2022/zhungeer/narrative.md", prior / "narrative.md")
    code, out = run_cli(capsys, "verify", copy / OUT)
    assert code == 7
    assert "data/2021/zhungeer/narrative.md" in out and "new input" in out


def test_verify_fails_without_manifest(copy, capsys):
    (copy / OUT / "manifest.json").unlink()
    code, out = run_cli(capsys, "verify", copy / OUT)
    assert code == 7 and "manifest.json" in out


def test_verify_a_lone_notebook(copy, tmp_path, capsys):
    lone = tmp_path / "sent-by-mail" / "report.ipynb"
    lone.parent.mkdir()
    shutil.copyfile(copy / OUT / "report.ipynb", lone)
    code, out = run_cli(capsys, "verify", lone, "--project", copy)
    assert code == 0, out
    (copy / "params/units.yaml").write_text("units: {}\n", encoding="utf-8")
    code, out = run_cli(capsys, "verify", lone, "--project", copy)
    assert code == 7 and "params/units.yaml" in out


def test_verify_missing_target_is_an_input_error(tmp_path, capsys):
    code, out = run_cli(capsys, "verify", tmp_path / "nope")
    assert code == 3


@pytest.mark.slow
def test_verify_rerun_passes_on_unchanged_inputs(copy, capsys):
    before = snapshot(copy / OUT)
    code, out = run_cli(capsys, "verify", copy / OUT, "--rerun")
    if code:
        skip_if_kit_changed(copy)
    assert code == 0, out
    assert "重新运行结果相同" in out and "re-run identical" in out
    assert snapshot(copy / OUT) == before  # the re-run wrote elsewhere


def _twin(made, tmp_path) -> tuple[Path, Path]:
    root, _ = made
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(root / OUT, a)
    shutil.copytree(root / OUT, b)
    return a, b


def test_rerun_comparison_names_a_changed_cell(made, tmp_path):
    from nianbao.verify import Verdict

    a, b = _twin(made, tmp_path)
    nb = json.loads((b / "report.ipynb").read_text(encoding="utf-8"))
    cell = next(i for i, c in enumerate(nb["cells"]) if "3197.1919" in json.dumps(c, ensure_ascii=False))
    text = json.dumps(nb["cells"][cell], ensure_ascii=False).replace("3197.1919", "3197.1920")
    nb["cells"][cell] = json.loads(text)
    (b / "report.ipynb").write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    html = (b / "report.html").read_text(encoding="utf-8")
    (b / "report.html").write_text(html.replace("3197.1919", "3197.1920"), encoding="utf-8")
    v = Verdict("t")
    compare_outputs(a, b, ["report.ipynb", "report.html"], v)
    fails = [str(f) for f in v.failures]
    assert len(fails) == 2
    assert any("report.ipynb" in f and f"cells[{cell}]" in f for f in fails)
    assert any("report.html" in f and "3197.1920" in f for f in fails)


def test_rerun_comparison_reports_but_ignores_another_environment(made, tmp_path):
    from nianbao.verify import Verdict

    a, b = _twin(made, tmp_path)
    nb = json.loads((b / "report.ipynb").read_text(encoding="utf-8"))
    old = nb["metadata"]["nianbao"]["provenance"]["packages"]["pandas"]
    text = json.dumps(nb, ensure_ascii=False).replace(f'"pandas": "{old}"', '"pandas": "99.0"')
    (b / "report.ipynb").write_text(text, encoding="utf-8")
    html = (b / "evidence.html").read_text(encoding="utf-8")
    env = html[html.index(provenance.ENV_START):html.index(provenance.ENV_END)]
    (b / "evidence.html").write_text(html.replace(env, env.replace(old, "99.0")), encoding="utf-8")
    v = Verdict("t")
    compare_outputs(a, b, ["report.ipynb", "report.html", "evidence.html"], v)
    assert v.passed, [str(f) for f in v.findings]
    notes = [str(f) for f in v.findings if f.status == "note"]
    assert any("packages.pandas" in n and "99.0" in n for n in notes)


# ------------------------------------------------------------------------------------------------
# Atomic outputs


def _fake_execute(made, change: str | None = None):
    """An execute() that copies the shared run's notebook instead of starting a kernel."""
    root, _ = made
    source = root / OUT / "report.ipynb"

    def fake(project, unit, year, output_nb, **kwargs):
        text = source.read_text(encoding="utf-8")
        if change:
            text = text.replace("3197.1919", change)
        Path(output_nb).write_text(text, encoding="utf-8")
    return fake


def test_failed_export_keeps_previous_outputs(made, copy, monkeypatch):
    out_dir = copy / OUT
    before = snapshot(out_dir)
    monkeypatch.setattr(runner, "execute", _fake_execute(made, change="1.0"))

    def boom(notebook, fmt, **kw):
        raise RuntimeError("exporter crashed")
    monkeypatch.setattr(runner, "export", boom)
    with pytest.raises(RuntimeError):
        runner.run_report(Project(copy), UNIT, YEAR, ["html"])
    assert snapshot(out_dir) == before
    assert not [p.name for p in out_dir.iterdir() if p.name.startswith(".")]
    assert verify(out_dir).passed


def test_failed_execution_keeps_previous_report(made, copy, monkeypatch):
    out_dir = copy / OUT
    before = snapshot(out_dir)

    def fail(project, unit, year, output_nb, **kwargs):
        Path(output_nb).write_text("{}", encoding="utf-8")
        raise ExecutionError("cell 3 failed")
    monkeypatch.setattr(runner, "execute", fail)
    with pytest.raises(ExecutionError):
        runner.run_report(Project(copy), UNIT, YEAR, ["html"])
    after = snapshot(out_dir)
    assert after.pop("report.failed.ipynb") == b"{}"
    assert after == before
    assert verify(out_dir).passed  # the failed notebook is noted, the good report still verifies


def test_interrupted_move_never_leaves_a_manifest_for_a_mixed_set(made, copy, monkeypatch):
    out_dir = copy / OUT
    before = snapshot(out_dir)
    monkeypatch.setattr(runner, "execute", _fake_execute(made, change="2.0"))
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        if Path(dst).parent != out_dir:  # an old PDF moved aside to outputs/stale first: not a rename into place
            return real_replace(src, dst)
        calls.append(Path(dst).name)
        if len(calls) == 2:  # the notebook moved in, the crash comes before the HTML
            raise OSError("disk gone")
        return real_replace(src, dst)
    monkeypatch.setattr("nianbao.atomic.os.replace", flaky_replace)
    with pytest.raises(OSError):
        runner.run_report(Project(copy), UNIT, YEAR, ["html"])
    monkeypatch.setattr("nianbao.atomic.os.replace", real_replace)
    after = snapshot(out_dir)
    assert calls[0] == "report.ipynb" and after["report.ipynb"] != before["report.ipynb"]
    assert after["report.html"] == before["report.html"]
    assert "manifest.json" not in after  # no manifest describing a mix of two runs
    assert not verify(out_dir).passed


def _kill_when(proc: subprocess.Popen, ready, what: str) -> None:
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.01)
        assert proc.poll() is None, f"the run ended before {what}"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _assert_previous_intact(out_dir: Path, before: dict[str, bytes]) -> None:
    after = snapshot(out_dir)
    leftovers = {n for n in after if n not in before}
    assert all(n.startswith(".") and ".partial" in n for n in leftovers), leftovers
    assert {n: after.get(n) for n in before} == before  # every previous output byte-identical
    v = verify(out_dir)
    assert v.passed, v.lines()
    if leftovers:
        assert any("interrupted" in f.en for f in v.findings)


RUN = ["run", "--unit", UNIT, "--year", str(YEAR)]


@pytest.mark.slow
def test_run_killed_while_executing_leaves_previous_outputs(copy):
    """SIGKILL (no clean-up code runs) while papermill has begun writing the new notebook."""
    out_dir = copy / OUT
    before = snapshot(out_dir)
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", *RUN, "--project", str(copy)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _kill_when(proc, lambda: any(p.stat().st_size > 0 for p in out_dir.glob(".report.*.partial.ipynb")),
               "papermill wrote its first notebook")
    _assert_previous_intact(out_dir, before)


KILL_DURING_EXPORT = """
import pathlib, sys, time
from nianbao import runner
from nianbao.cli import main
real = runner.export
def slow(notebook, fmt, **kw):
    body = real(notebook, fmt, **kw)
    pathlib.Path(sys.argv[1]).write_text("exporting")
    time.sleep(300)
    return body
runner.export = slow
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow
def test_run_killed_while_writing_outputs_leaves_previous_outputs(copy, tmp_path):
    """SIGKILL after the new notebook is complete, while the HTML is being written."""
    out_dir = copy / OUT
    before = snapshot(out_dir)
    marker = tmp_path / "exporting"
    proc = subprocess.Popen([sys.executable, "-c", KILL_DURING_EXPORT, str(marker), *RUN, "--project", str(copy)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _kill_when(proc, marker.exists, "the exporter ran")
    partial_nb = [p for p in out_dir.glob(".report.*.partial.ipynb")]
    assert partial_nb and partial_nb[0].stat().st_size > 0  # the new notebook was complete, beside the old
    _assert_previous_intact(out_dir, before)


# ------------------------------------------------------------------------------------------------
# Bundle


def test_bundle_is_deterministic_and_complete(copy, tmp_path):
    first = make_bundle(Project(copy), UNIT, YEAR, tmp_path / "one.zip")
    second = make_bundle(Project(copy), UNIT, YEAR, tmp_path / "two.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    top = f"{UNIT}-{YEAR}/"
    outputs = json.loads((copy / OUT / "manifest.json").read_bytes())["outputs"]
    expected = {top + n for n in outputs} | {top + "manifest.json", top + "README.txt"} | {
        top + "inputs/" + p for p in ("params/units.yaml", "notebooks/annual_report.ipynb",
                                      "data/2022/zhungeer/figures.yaml", "data/2022/zhungeer/narrative.md",
                                      "data/2022/zhungeer/publication.yaml")}
    assert set(names) == expected


def test_bundle_default_path_and_cli(copy, capsys):
    code, out = run_cli(capsys, "bundle", "--unit", UNIT, "--year", YEAR, "--project", copy)
    assert code == 0, out
    assert (copy / "outputs/bundles/zhungeer-2022.zip").is_file() and "bytes" in out


def test_bundle_refuses_when_inputs_changed(copy, capsys):
    fig = copy / "data/2022/zhungeer/figures.yaml"
    fig.write_text(fig.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    code, out = run_cli(capsys, "bundle", "--unit", UNIT, "--year", YEAR, "--project", copy)
    assert code == 7 and "figures.yaml" in out
    assert not (copy / "outputs/bundles").exists()


@pytest.mark.slow
def test_bundle_verifies_unzipped_elsewhere(made, copy, tmp_path, capsys):
    archive = make_bundle(Project(copy), UNIT, YEAR, tmp_path / "out" / "b.zip")
    elsewhere = tmp_path / "another-machine"
    elsewhere.mkdir()
    moved = elsewhere / "evidence.zip"
    shutil.move(archive, moved)
    shutil.rmtree(copy)  # the original project is gone: the bundle must stand alone
    code, out = run_cli(capsys, "verify", moved)
    assert code == 0, out
    with zipfile.ZipFile(moved) as zf:
        zf.extractall(elsewhere)
    folder = elsewhere / f"{UNIT}-{YEAR}"
    code, out = run_cli(capsys, "verify", folder, "--rerun")
    if code:
        skip_if_kit_changed(made[0])
    assert code == 0, out
    assert "bundle" in out and "re-run identical" in out
    # tampering inside the unzipped bundle is caught and named
    fig = folder / "inputs/data/2022/zhungeer/figures.yaml"
    fig.write_bytes(fig.read_bytes().replace(b"3197.1919", b"3197.1910"))
    code, out = run_cli(capsys, "verify", folder)
    assert code == 7 and "data/2022/zhungeer/figures.yaml" in out


def test_unsafe_zip_is_refused(tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("../evil.txt", "x")
    code, out = run_cli(capsys, "verify", bad)
    assert code == 3 and "unsafe" in out
    assert not (tmp_path.parent / "evil.txt").exists()


# ------------------------------------------------------------------------------------------------
# Per-year manifest (written by the batch)


def test_year_manifest_verifies_and_names_tampering(copy, capsys):
    path = mf.write_year_manifest(Project(copy), YEAR, [UNIT, "ghost"])
    data = json.loads(path.read_bytes())
    assert data["missing"] == ["ghost"] and set(data["units"]) == {UNIT}
    assert f"{UNIT}/report.html" in data["units"][UNIT]["outputs"]
    code, out = run_cli(capsys, "verify", path.parent)
    assert code == 0, out
    html = copy / OUT / "report.html"
    html.write_bytes(html.read_bytes() + b" ")
    code, out = run_cli(capsys, "verify", path.parent)
    assert code == 7 and f"[{UNIT}]" in out and "report.html" in out


def test_exit_code_documented():
    import nianbao.cli

    assert VerificationFailed.exit_code == 7 and "7 verification failed" in nianbao.cli.__doc__


# ------------------------------------------------------------------------------------------------
# Signed evidence (issue #14): bundle --sign, verify --key, the bundle's sha256, extraction limits,
# verify --rerun and the kit that re-ran. Helpers and key fixtures: tests/test_signing.py.


@pytest.fixture(scope="module")
def sign_keys(tmp_path_factory):
    from nianbao import signing

    base = tmp_path_factory.mktemp("keys")
    return signing.keygen(base / "office", "信息公开办"), signing.keygen(base / "other", "someone else")


@pytest.fixture(scope="module")
def signed(made, sign_keys, tmp_path_factory):
    """A signed bundle of the shared run, and what `nianbao bundle` printed."""
    import io
    from contextlib import redirect_stdout

    (private, _, _), _ = sign_keys
    out = tmp_path_factory.mktemp("bundle") / "zhungeer-2022.zip"
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["bundle", "--unit", UNIT, "--year", str(YEAR), "--project", str(made[0]), "--out", str(out),
                     "--sign", str(private)]) == 0
    return out, buf.getvalue()


def test_bundle_prints_its_sha256_and_signer(signed, sign_keys):
    from nianbao import signing

    path, printed = signed
    (_, public, fp), _ = sign_keys
    assert f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}  zhungeer-2022.zip\n" in printed
    assert f"signed {fp}\n" in printed
    with zipfile.ZipFile(path) as zf:
        sig = zf.read("zhungeer-2022/manifest.json.sig")
        man = zf.read("zhungeer-2022/manifest.json")
    assert sig.startswith(b"-----BEGIN SSH SIGNATURE-----\n")
    assert signing.check(man, sig, signing.load_public_key(public)).fingerprint == fp


def test_signed_bundle_verifies_with_the_right_key_in_another_folder(signed, sign_keys, tmp_path, capsys):
    path, _ = signed
    (_, public, fp), _ = sign_keys
    elsewhere = tmp_path / "another" / "place"
    elsewhere.mkdir(parents=True)
    moved = shutil.copy(path, elsewhere / "evidence.zip")
    code, out = run_cli(capsys, "verify", moved, "--key", public)
    assert code == 0, out
    assert f"[通过 ok] manifest.json 的签名有效，签名者公钥 {fp}" in out
    assert "核验通过：输出文件未被改动，输入文件与记录一致，签名有效（未核对：重新运行）" in out
    with zipfile.ZipFile(moved) as zf:
        zf.extractall(elsewhere / "unzipped")
    code, out = run_cli(capsys, "verify", elsewhere / "unzipped" / "zhungeer-2022", "--key", public)
    assert code == 0 and "签名有效" in out


def test_signed_bundle_fails_with_a_wrong_key(signed, sign_keys, capsys):
    path, _ = signed
    (_, _, fp), (_, other_public, other_fp) = sign_keys
    code, out = run_cli(capsys, "verify", path, "--key", other_public)
    assert code == 7
    assert f"[失败 FAIL] 签名无效：签名者的密钥（{fp}）不是给出的公钥（{other_fp}）" in out


def test_signed_bundle_fails_with_a_changed_file(signed, sign_keys, tmp_path, capsys):
    from test_signing import _rezip

    path, _ = signed
    (_, public, _), _ = sign_keys
    forged = _rezip(path, tmp_path / "forged.zip", lambda n, d: d.replace("3197.1919".encode(), b"3197.1920")
                    if n.endswith("report.html") else d)
    code, out = run_cli(capsys, "verify", forged, "--key", public)
    assert code == 7
    assert "[通过 ok] manifest.json 的签名有效" in out  # the manifest is genuine …
    assert "[失败 FAIL] 输出文件 report.html 已被改动" in out  # … and says the file is not


def test_signed_bundle_fails_with_a_changed_manifest(signed, sign_keys, tmp_path, capsys):
    from test_signing import _rezip

    path, _ = signed
    (_, public, _), _ = sign_keys
    changed = {}

    def change(name, data):
        if name.endswith("report.html"):
            changed["html"] = data.replace("3197.1919".encode(), b"3197.1920")
            return changed["html"]
        return data

    def fix_manifest(name, data):  # the forger updates the manifest to match the changed file
        if name.endswith("/manifest.json"):
            man = json.loads(data)
            man["outputs"]["report.html"] = {"sha256": hashlib.sha256(changed["html"]).hexdigest(),
                                             "size": len(changed["html"])}
            return mf.dumps(man)
        return data

    forged = _rezip(_rezip(path, tmp_path / "step1.zip", change), tmp_path / "forged.zip", fix_manifest)
    code, out = run_cli(capsys, "verify", forged)  # without a key the forgery passes the hash checks …
    assert code == 0 and "带有签名 manifest.json.sig，但未核对：用 --key 指定签名者的公钥" in out
    code, out = run_cli(capsys, "verify", forged, "--key", public)  # … but not the signature
    assert code == 7
    assert "[失败 FAIL] 签名无效：签名与 manifest.json 不符：manifest 在签名后被改动，或签名被改动" in out


def test_unsigned_evidence_fails_when_a_key_is_required(made, sign_keys, capsys):
    (_, public, _), _ = sign_keys
    code, out = run_cli(capsys, "verify", made[0] / OUT, "--key", public)
    assert code == 7 and "没有签名 manifest.json.sig：此证据未签名" in out


def test_a_bundle_with_an_extra_gigabyte_is_refused_without_extracting(signed, tmp_path, capsys):
    from test_signing import _add_raw_entry

    path, _ = signed
    bomb = Path(shutil.copy(path, tmp_path / "bomb.zip"))
    _add_raw_entry(bomb, "zhungeer-2022/zeros.bin", 1 << 30)
    with zipfile.ZipFile(bomb) as zf:  # a valid archive: any unzip tool would write the gigabyte
        assert zf.getinfo("zhungeer-2022/zeros.bin").file_size == 1 << 30
    start = time.monotonic()
    code, out = run_cli(capsys, "verify", bomb)
    assert code == 3
    assert "'zhungeer-2022/zeros.bin' 1073741824 字节），超过证据包上限 268435456 字节，未解压" in out
    assert time.monotonic() - start < 5  # refused from the archive's directory: nothing was inflated


def test_rerun_by_another_kit_fails_unless_allowed(made, tmp_path, monkeypatch):
    """A forged kit commit in the notebook: verify --rerun now compares the recorded kit with the one
    that re-ran (the re-run itself is stood in for by a copy of the shared run's outputs)."""
    from test_signing import _forge_commit

    from nianbao.verify import Subject, Verdict, read_notebook, rerun

    root = made[0]

    def fake_run(project, unit, year, formats, **kw):
        shutil.copytree(root / OUT, project.output_dir(unit, int(year)), dirs_exist_ok=True)

    monkeypatch.setattr(runner, "run_report", fake_run)
    folder = tmp_path / "claimed"
    shutil.copytree(root / OUT, folder)
    _forge_commit(folder)
    recorded = provenance.of_notebook(read_notebook(folder / "report.ipynb"))["inputs"]
    man = mf.load(folder / "manifest.json")
    man["outputs"].pop("report.pdf", None)  # the kit comparison is under test: spare the PDF text comparison
    subject = Subject(label="t", folder=folder, manifest=man, notebook=folder / "report.ipynb", project=Project(root))
    v = Verdict("t")
    rerun(subject, recorded, UNIT, YEAR, v)
    fails = [f.zh for f in v.failures]
    assert fails[0].startswith("重新运行所用的 nianbao 与报告记录的不同，结果不能证明报告出自所记录的版本："
                               f"kit.git_commit: '{'deadbeef' * 5}' → ")
    assert fails[0].endswith("。请用记录的版本重新运行；确知版本不同仍要比较时加 --allow-kit-change")
    v = Verdict("t")
    rerun(subject, recorded, UNIT, YEAR, v, allow_kit_change=True)
    assert not any("nianbao 与报告记录的不同" in f.zh for f in v.failures)
    assert any(f.status == "note" and "已按 --allow-kit-change 接受" in f.zh for f in v.findings)


def test_the_shared_run_left_no_kernel_folder_and_no_lock_holder(made):
    """The kernels of the shared run wrote their connection files into a folder of this process, removed
    when each run ended; the report's lock file is beside the folder, not in it (issue #14)."""
    import tempfile

    root, _ = made
    assert not list(Path(tempfile.gettempdir()).glob(f"nianbao-kernels-{os.getpid()}-*"))
    assert (root / "outputs/2022/.zhungeer.lock").is_file()
    assert not any(p.name.startswith(".") for p in (root / OUT).iterdir())
