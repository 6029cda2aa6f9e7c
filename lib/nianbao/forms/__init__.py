"""The registry of form packs, one per national format version (see :mod:`nianbao.formpack`).

Packs are found through the entry-point group ``nianbao.forms`` — the kit's own packs
(``gov2021``, ``gov2019``) are declared in its ``pyproject.toml`` exactly as an outside package
declares one. :data:`PACKS` is the registry; the functions below are the public lookups
(``get``, ``for_year``, ``available``, ``register`` keep their earlier meaning).
"""
from __future__ import annotations

from ..errors import InputError
from ..form import Form
from ..formpack import FormPack
from ..registry import Registry


def _as_pack(name: str, obj) -> FormPack:
    pack = obj() if callable(obj) and not isinstance(obj, FormPack) else obj
    if not isinstance(pack, FormPack):
        raise TypeError(f"a nianbao.forms entry point must give a FormPack (or a function returning one), not {pack!r}")
    if pack.id != name:
        raise ValueError(f"entry point nianbao.forms {name!r} gives form {pack.id!r}: the names must match")
    return pack


PACKS = Registry("报告格式", "nianbao.forms", load=_as_pack)


def register(form: Form | FormPack) -> Form:
    """Register a pack (or a bare Form, which gets an otherwise empty pack)."""
    pack = form if isinstance(form, FormPack) else FormPack(form=form, folder=None, narrative_spec={})
    if pack.id in PACKS:
        raise ValueError(f"form {pack.id!r} is already registered")
    PACKS.register(pack.id, pack)
    return pack.form


def pack(form_id: str) -> FormPack:
    return PACKS.get(form_id)


def get(form_id: str) -> Form:
    return PACKS.get(form_id).form


def for_year(year: int) -> Form:
    matches = [p.form for p in PACKS.values() if p.form.covers(year)]
    if not PACKS.names():
        raise InputError(f"没有适用于 {year} 年的报告格式定义：{PACKS.available_text()}")
    if not matches:
        known = "；".join(f"{p.form.id}（{p.form.document}，{p.form.first_year}–{p.form.last_year or ''}）"
                         for p in PACKS.values())
        raise InputError(f"没有适用于 {year} 年的报告格式定义（已有: {known}）。")
    return matches[0]


def current() -> Form:
    """The current format: the one that covers every report year from now on (the default where a
    caller names no form)."""
    return for_year(9999)


def available() -> tuple[str, ...]:
    return tuple(sorted(PACKS.names()))


names = available
