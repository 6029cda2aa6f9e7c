"""No table/row key or printed label of any registered form is typed in lib/ outside the form packs.

Everything the kit knows about a format lives in its pack folder (lib/nianbao/forms/<id>/); every
other module speaks of cells by key taken from the form model. The scanner is in formlabels.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from formlabels import scan
from nianbao import forms

LIB = REPO / "lib" / "nianbao"
# Literal strings that coincide with a form key but are not one, each with the reason.
ALLOWED = {
    "commands/__init__.py": {"new"},  # the command ``nianbao new``, not the 表三 row
    "commands/new.py": {"new"},  # its NAME
    "standard_text.py": {"fees"},  # the method std.fees() that every format's narrative may call
}


@pytest.fixture(scope="module")
def packs():
    return [forms.pack(name) for name in forms.available()]


def test_both_packs_are_found_through_the_entry_point_group(packs):
    from importlib.metadata import entry_points

    assert sorted(ep.name for ep in entry_points(group="nianbao.forms")) == ["gov2019", "gov2021"]
    assert [p.id for p in packs] == ["gov2019", "gov2021"]
    assert all(p.folder.resolve().parent == (LIB / "forms").resolve() for p in packs)


def test_no_key_or_label_is_retyped_outside_the_packs(packs):
    hits = scan(LIB, packs, exclude=tuple(p.folder.resolve() for p in packs), allowed=ALLOWED)
    assert [f"{h.path}:{h.line}: {h.what} {h.text!r} ({h.form})" for h in hits] == []


def test_the_scanner_catches_a_retyped_label_and_key(tmp_path, packs):
    """A fixture module typing a 2019 column label, a 2021 row label and a row key is caught, line by line."""
    pkg = tmp_path / "lib"
    pkg.mkdir()
    (pkg / "fine.py").write_text('TABLE = form.table(spec["table"])  # keys come from the form\n', encoding="utf-8")
    (pkg / "retyped.py").write_text(
        'def note(v):\n'
        '    return f"本年增/减为 {v}"\n'
        'ROW = "carried_forward"\n'
        'MSG = "表三「四、结转下年度继续办理」"\n'
        'SHORT = "规章"\n', encoding="utf-8")
    (pkg / "template.md").write_text("## 五、存在的主要问题及改进情况\n", encoding="utf-8")
    hits = scan(pkg, packs)
    assert [(h.path, h.line, h.what, h.text, h.form) for h in hits] == [
        ("retyped.py", 2, "label", "本年增/减", "gov2019"),
        ("retyped.py", 3, "key", "carried_forward", "gov2019、gov2021"),
        ("retyped.py", 4, "label", "四、结转下年度继续办理", "gov2019、gov2021"),
        ("retyped.py", 5, "label", "规章", "gov2019、gov2021"),
        ("template.md", 1, "label", "存在的主要问题及改进情况", "gov2019、gov2021"),
    ]


def test_package_data_ships_every_file_of_every_pack(packs):
    """The pyproject package-data globs cover each pack's data files (a wheel would otherwise lack them)."""
    import fnmatch
    import tomllib

    globs = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]["nianbao"]
    files = [p.relative_to(LIB).as_posix() for pack in packs for p in pack.folder.iterdir()
             if p.is_file() and p.suffix != ".py"]
    assert sorted(files) == sorted(f"forms/{p.id}/{n}" for p in packs
                                   for n in ("form.yaml", "narrative.yaml", "narrative_default.md", "indicators.yaml"))
    assert [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)] == []
