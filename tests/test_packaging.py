"""The two install descriptions agree, and the layout promised in the README exists."""
from __future__ import annotations

import re
import tomllib

import yaml

from conftest import REPO


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_and_pyproject_name_the_same_packages():
    py = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in py["dependencies"]} | {_name(r) for r in py["optional-dependencies"]["test"]}
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted


def test_lock_pins_every_direct_dependency():
    py = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {_name(l.split("==")[0]) for l in (REPO / "requirements.lock").read_text().splitlines()
            if "==" in l and not l.startswith("#")}
    missing = {_name(r) for r in py["dependencies"]} - pins
    assert not missing


def test_layout():
    for part in ("notebooks/annual_report.ipynb", "params/units.yaml", "data", "lib/nianbao/__init__.py",
                 "tests", "environment.yml", "README.md", "Makefile", "pyproject.toml", ".ci/run"):
        assert (REPO / part).exists(), part
    assert "make test" in (REPO / ".ci/run").read_text()


def test_template_round_trips_through_the_loader(tmp_path):
    from nianbao import forms
    from nianbao.figures import load_figures
    from nianbao.scaffold import figures_yaml

    form = forms.get("gov2021")
    p = tmp_path / "figures.yaml"
    p.write_text(figures_yaml(form, "demo", 2023, "示例单位"), encoding="utf-8")
    fig = load_figures(p, unit="demo", year=2023, strict=False)
    assert sum(len(v) for v in fig.values.values()) == 10 + 175 + 15
    # a blank template can never pass as zeros: every cell is a missing value until filled in
    assert set(v for t in fig.values.values() for v in t.values()) == {None}
    assert len(fig.problems) == 200 and {p.kind for p in fig.problems} == {"missing_value"}
