"""One registry shape for every extension point (nianbao.registry.Registry)."""
from __future__ import annotations

import shutil

import pytest

from nianbao import forms
from nianbao.commands import BUILTIN, COMMANDS, commands
from nianbao.errors import InputError
from nianbao.registry import Registry, RegistryError


def test_get_lists_the_valid_names_in_chinese():
    reg = Registry("示例", order=("b",))
    reg.register("a", 1)
    reg.register("b", 2)
    assert reg.names() == ("b", "a")  # the declared order first, then by name; never by registration order
    assert reg.get("a") == 1 and reg["b"] == 2 and "a" in reg and list(reg) == ["b", "a"]
    with pytest.raises(RegistryError) as exc:
        reg.get("c")
    assert str(exc.value) == "未知的示例 'c'；可用的示例：b、a。" and isinstance(exc.value, InputError)
    with pytest.raises(KeyError):
        reg["c"]
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", 3)
    reg.register("a", 3, replace=True)
    assert reg.get("a") == 3


def test_builtin_specs_resolve_lazily_like_entry_points():
    reg = Registry("示例", builtin=[("dumps", "json:dumps")], load=lambda name, obj: (name, obj))
    assert reg._items == {}  # nothing resolved until looked up
    import json

    assert reg.get("dumps") == ("dumps", json.dumps)


def test_every_extension_point_is_a_registry():
    from nianbao.batch.executors import EXECUTORS, make_executor
    from nianbao.runner import FORMATS
    from nianbao.validation.checks import CHECKS, registered
    from nianbao.validation.rules import RULE_KINDS

    assert forms.PACKS.names() == ("gov2019", "gov2021")
    assert tuple(commands())[: len(BUILTIN)] == BUILTIN and COMMANDS.get("new").NAME == "new"
    assert list(registered())[:4] == ["form-rules", "input-file", "rollup", "narrative"]
    assert CHECKS.get("form-rules").batch and not CHECKS.get("narrative").batch
    assert FORMATS.names()[:2] == ("html", "pdf")
    assert {"sum", "previous_year", "stock_flow", "cell_present", "rulemaking"} <= set(RULE_KINDS.names())
    with pytest.raises(RegistryError, match="未知的执行方式 'slurm'；可用的执行方式：local、dask。"):
        make_executor("slurm", 1, {})
    assert EXECUTORS.get("local").name == "local"


def test_a_form_pack_is_one_folder(tmp_path):
    """A new format: a copy of a pack folder with its own id is loaded and registered like any other, and
    brings its key figures and charts (indicators.yaml) with it."""
    from nianbao.formpack import load_pack
    from nianbao.keyfigures import views

    folder = tmp_path / "gov2099"
    shutil.copytree(forms.pack("gov2021").folder, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    for name in ("form.yaml", "narrative.yaml", "indicators.yaml"):
        p = folder / name
        p.write_text(p.read_text(encoding="utf-8").replace("gov2021", "gov2099").replace("first_year: 2021",
                                                                                       "first_year: 2099"),
                     encoding="utf-8")
    pack = load_pack(folder)
    forms.PACKS.register(pack.id, pack)
    try:
        assert forms.get("gov2099").first_year == 2099 and forms.pack("gov2099").default_narrative.is_file()
        assert "gov2099" in forms.available()
        assert [f.id for f in views("gov2099").key_figures] == ["new", "disclosed_rate", "review_correction_rate",
                                                                 "litigation_correction_rate", "carried_forward"]
        assert [c.id for c in views("gov2099").charts] == ["outcomes", "documents", "decisions", "review", "litigation"]
    finally:
        forms.PACKS.unregister("gov2099")
    assert "gov2099" not in forms.available()


def test_an_install_without_entry_points_says_what_to_do():
    reg = Registry("报告格式", "nianbao.no-such-group")
    with pytest.raises(RegistryError) as exc:
        reg.get("gov2021")
    assert str(exc.value) == ("未知的报告格式 'gov2021'；没有可用的报告格式（入口组 nianbao.no-such-group 中没有任何登记）。"
                              "请先安装 nianbao（make setup，或 pip install -e .）。")
