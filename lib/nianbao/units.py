"""The unit registry, ``params/units.yaml``: every administrative body the project reports for."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import InputError
from .yamlsource import compose, line, mapping_items, plain

LEVELS = {
    "ministry": "国务院部门",
    "province": "省级",
    "city": "设区的市级",
    "county": "县级",
    "township": "乡镇（街道）级",
}
KINDS = {"government": "人民政府", "department": "政府部门"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FIELDS = {"name", "level", "kind", "parent", "rollup", "rulemaking"}


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    level: str
    kind: str = "government"
    parent: str | None = None
    rollup: bool = False  # the unit's tables are compiled from its children's
    rulemaking: bool | None = None  # None: decided by level (see validation)

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]


class UnitRegistry:
    def __init__(self, units: dict[str, Unit], path: Path | None = None):
        self._units = units
        self.path = path

    def __contains__(self, unit_id: str) -> bool:
        return unit_id in self._units

    def __iter__(self):
        return iter(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    def get(self, unit_id: str) -> Unit:
        try:
            return self._units[unit_id]
        except KeyError:
            known = ", ".join(sorted(self._units)[:20])
            raise InputError(
                f"{self.path or 'params/units.yaml'}: 没有编号为 {unit_id!r} 的单位。已登记的单位: {known}。"
                f"新增单位请在 params/units.yaml 中添加一项（见 README“新增单位”）。"
            ) from None

    def children(self, unit_id: str) -> list[Unit]:
        return [u for u in self._units.values() if u.parent == unit_id]


def load_units(path: str | Path, display: str | None = None) -> UnitRegistry:
    path = Path(path)
    display = display or str(path)
    root = compose(path, display)
    errors: list[str] = []
    units: dict[str, Unit] = {}
    if not isinstance(root, yaml.MappingNode) or "units" not in {k for k, _, _ in mapping_items(root)}:
        raise InputError(f"{display}: 应以 units: 开头，其下每个单位一项（编号: {{name, level, parent}}）。")
    units_node = dict((k, v) for k, _, v in mapping_items(root))["units"]
    if not isinstance(units_node, yaml.MappingNode):
        raise InputError(f"{display}:{line(units_node)}: units 应是“编号: {{name, level, parent}}”的映射。")
    for uid, key_node, node in mapping_items(units_node):
        where = f"{display}:{line(key_node)}: 单位 {uid!r}"
        if not ID_PATTERN.match(uid):
            errors.append(f"{where}: 编号只能用小写英文字母、数字、- 和 _（如 zhungeer）；中文名称写在 name 中。")
            continue
        spec = plain(node) or {}
        if not isinstance(spec, dict):
            errors.append(f"{where}: 应是 {{name, level, parent}} 映射。")
            continue
        unknown = set(spec) - FIELDS
        if unknown:
            errors.append(f"{where}: 不认识的字段 {sorted(unknown)}；可用字段: {sorted(FIELDS)}。")
        if not spec.get("name"):
            errors.append(f"{where}: 缺少 name（单位全称，如 准格尔旗人民政府）。")
        level = spec.get("level")
        if level not in LEVELS:
            errors.append(f"{where}: level {level!r} 无效；可用: {', '.join(f'{k}（{v}）' for k, v in LEVELS.items())}。")
        kind = spec.get("kind", "government")
        if kind not in KINDS:
            errors.append(f"{where}: kind {kind!r} 无效；可用: {', '.join(KINDS)}。")
        if errors:
            continue
        units[uid] = Unit(id=uid, name=str(spec["name"]), level=level, kind=kind, parent=spec.get("parent"),
                          rollup=bool(spec.get("rollup", False)), rulemaking=spec.get("rulemaking"))
    for u in units.values():
        if u.parent is not None and u.parent not in units:
            errors.append(f"{display}: 单位 {u.id!r} 的上级 {u.parent!r} 未登记。")
    if errors:
        raise InputError("\n".join(errors))
    return UnitRegistry(units, path)
