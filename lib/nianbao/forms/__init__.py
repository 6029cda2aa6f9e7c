"""Registry of national form definitions (one per format version).

Built-in forms are registered exactly as an outside package would register its own: by calling
:func:`register` with a loaded :class:`~nianbao.form.Form`.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..form import Form, load_form

_HERE = Path(__file__).parent
_FORMS: dict[str, Form] = {}


def register(form: Form) -> Form:
    if form.id in _FORMS:
        raise ValueError(f"form {form.id!r} is already registered")
    _FORMS[form.id] = form
    return form


def get(form_id: str) -> Form:
    try:
        return _FORMS[form_id]
    except KeyError:
        raise InputError(f"未知的报告格式 {form_id!r}；可用的格式: {', '.join(sorted(_FORMS))}") from None


def for_year(year: int) -> Form:
    matches = [f for f in _FORMS.values() if f.covers(year)]
    if not matches:
        known = "; ".join(f"{f.id} ({f.first_year}–{f.last_year or ''})" for f in _FORMS.values())
        raise InputError(
            f"没有适用于 {year} 年的报告格式定义（已有: {known}）。"
            f"2019–2020 年的报告使用 2019 年格式（国办公开办函〔2019〕60号），本工具尚未收录该格式。"
        )
    return matches[0]


def available() -> tuple[str, ...]:
    return tuple(sorted(_FORMS))


register(load_form(_HERE / "gov2021.yaml"))
