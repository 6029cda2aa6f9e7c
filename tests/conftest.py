"""Shared fixtures. Tests never write into the repository: they work on a copy of the project."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project_dir(tmp_path) -> Path:
    """A throw-away copy of the bundled project (params/, data/, notebooks/)."""
    root = tmp_path / "project"
    for part in ("params", "data", "notebooks"):
        shutil.copytree(REPO / part, root / part)
    (root / "outputs").mkdir()
    return root


@pytest.fixture
def seed_figures_text() -> str:
    return (REPO / "data" / "2022" / "zhungeer" / "figures.yaml").read_text(encoding="utf-8")
