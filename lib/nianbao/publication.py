"""The 落款 of a unit-year's report: the issuing body and the publication date, declared as inputs.

``data/<year>/<unit>/publication.yaml`` (optional)::

    issuer: 准格尔旗人民政府   # 发布机关；不写则用 params/units.yaml 中该单位的 name
    date: 2023-01-31          # 发布日期（YYYY-MM-DD）；留空则报告落款显示“日期待填”，校验给出警告

The date is never taken from the clock: the same inputs give the same report on any day. A blank or
absent date prints 日期待填 and the validation warns (rule PUB-DATE), so the report cannot be posted
without one by oversight.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

FILENAME = "publication.yaml"
DATE_PENDING = "日期待填"
FIELDS = ("issuer", "date")
RULE_DATE = "PUB-DATE"


@dataclass(frozen=True)
class Publication:
    issuer: str
    date: _dt.date | None
    path: str | None = None  # project-relative path of publication.yaml, when there is one

    @property
    def date_text(self) -> str:
        """The date as printed in a 落款: 2023年1月31日 (no leading zeros), or 日期待填."""
        if self.date is None:
            return DATE_PENDING
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"


def publication_file(project, unit: str, year: int) -> Path:
    return project.unit_dir(unit, year) / FILENAME


def load_publication(project, unit, year: int) -> Publication:
    """The 落款 of ``unit`` (a :class:`~nianbao.units.Unit`) for ``year``; InputError naming the file,
    line and field when publication.yaml is malformed."""
    import yaml

    from .yamlsource import compose, line, mapping_items, plain

    path = publication_file(project, unit.id, year)
    if not path.is_file():
        return Publication(issuer=unit.name, date=None)
    display = project.rel(path)
    root = compose(path, display)
    values: dict = {}
    if root is not None and not (isinstance(root, yaml.ScalarNode) and plain(root) is None):
        if not isinstance(root, yaml.MappingNode):
            raise InputError(f"{display}: 应是“字段: 值”的映射，字段为 issuer（发布机关）和 date（发布日期）。")
        for key, key_node, node in mapping_items(root):
            where = f"{display}:{line(key_node)}"
            if key not in FIELDS:
                raise InputError(f"{where}: 不认识的字段 {key!r}；可用: issuer（发布机关）、date（发布日期，如 2023-01-31）。")
            if key in values:
                raise InputError(f"{where}: 字段 {key} 重复出现，只能写一次。")
            if key == "date" and isinstance(node, yaml.ScalarNode):  # read as written: 2023-02-30 is named, not a crash
                raw = node.value.strip()
                values[key] = (node, None if raw in ("", "~", "null", "Null", "NULL") else raw)
            else:
                values[key] = (node, plain(node) if isinstance(node, yaml.ScalarNode) else node)
    issuer = unit.name
    if "issuer" in values:
        node, value = values["issuer"]
        if value is not None:
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{display}:{line(node)}: issuer 应是发布机关的全称（文字），实际是 {getattr(node, 'value', value)!r}。")
            issuer = value.strip()
    date = None
    if "date" in values:
        node, value = values["date"]
        if isinstance(value, _dt.datetime):
            value = value.date()
        if isinstance(value, str) and value.strip():
            try:
                value = _dt.date.fromisoformat(value.strip())
            except ValueError:
                raise InputError(f"{display}:{line(node)}: date 应写成 YYYY-MM-DD（如 {year + 1}-01-31），"
                                 f"实际是 {value!r}。不确定时留空，报告会显示“{DATE_PENDING}”。") from None
        elif isinstance(value, str):
            value = None
        if value is not None and not isinstance(value, _dt.date):
            raise InputError(f"{display}:{line(node)}: date 应写成 YYYY-MM-DD（如 {year + 1}-01-31），"
                             f"实际是 {getattr(node, 'value', value)!r}。")
        date = value
    return Publication(issuer=issuer, date=date, path=display)


def publication_yaml(issuer: str, year: int) -> str:
    """A new unit-year's publication.yaml: the issuing body filled in, the date left to fill."""
    return (f"# {year}年年度报告的落款（见 data/README.md）。\n"
            f"issuer: {issuer}   # 发布机关\n"
            f"date:              # 发布日期，如 {year + 1}-01-31；留空则报告显示“{DATE_PENDING}”，校验给出警告\n")


def signature_html(pub: Publication) -> str:
    from html import escape

    date_class = "nb-date nb-pending" if pub.date is None else "nb-date"
    return ('<div class="nb-signature">'
            f'<p class="nb-issuer">{escape(pub.issuer)}</p>'
            f'<p class="{date_class}">{escape(pub.date_text)}</p></div>')


def check(ctx) -> list:
    """Validation check ``publication``: a blank publication date is a warning."""
    from .findings import Finding

    if ctx.project is None:
        return []
    try:
        pub = load_publication(ctx.project, ctx.unit, ctx.year)
    except InputError as exc:
        return [Finding(rule_id=RULE_DATE, severity="error", message=str(exc),
                        file=ctx.project.rel(publication_file(ctx.project, ctx.unit.id, ctx.year)))]
    if pub.date is not None:
        return []
    where = pub.path or ctx.project.rel(publication_file(ctx.project, ctx.unit.id, ctx.year))
    return [Finding(rule_id=RULE_DATE, severity="warning", file=where,
                    message=f"落款的发布日期未填写，报告显示“{DATE_PENDING}”；请在 {where} 中填写 date: YYYY-MM-DD 后重新生成。")]
