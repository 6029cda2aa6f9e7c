"""The unit registry, ``params/units.yaml``: every administrative body the project reports for."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import InputError
from .yamlsource import compose, line, mapping_items, plain, shape

LEVELS = {
    "ministry": "国务院部门",
    "province": "省级",
    "city": "设区的市级",
    "county": "县级",
    "township": "乡镇（街道）级",
}
KINDS = {"government": "人民政府", "department": "政府部门"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
FIELDS = {"name", "level", "kind", "parent", "rollup", "rulemaking", "year_over_year"}


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    level: str
    kind: str = "government"
    parent: str | None = None
    rollup: bool = False  # the unit's tables are compiled from its children's
    rulemaking: bool | None = None  # None: decided by level (see validation)
    year_over_year: bool = False  # the published report includes the comparison with last year (nianbao.yoy)

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


def _cycles(units: dict[str, Unit], first_line: dict[str, int], display: str) -> list[str]:
    """A message for each chain of parents that comes back to where it started (a → b → a)."""
    out, done = [], set()
    for start in units:
        path, u = [], start
        while u is not None and u in units and u not in done and u not in path:
            path.append(u)
            u = units[u].parent
        if u in path and units[u].parent != u:  # (a unit that is its own parent is reported above)
            loop = path[path.index(u):]
            chain = " → ".join(loop + [u])
            out.append(f"{display}:{first_line[loop[0]]}: 上级关系形成循环：{chain}。"
                       f"每个单位的上级链最终应到达一个没有上级（parent: null）的单位；请改正其中一个 parent。")
        done.update(path)
    return out


def load_units(path: str | Path, display: str | None = None) -> UnitRegistry:
    path = Path(path)
    display = display or str(path)
    root = compose(path, display)
    errors: list[str] = []
    units: dict[str, Unit] = {}
    if not isinstance(root, yaml.MappingNode) or "units" not in {k for k, _, _ in mapping_items(root)}:
        raise InputError(f"{display}: 应以 units: 开头，其下每个单位一项（编号: {{name, level, parent}}）。")
    top_lines: dict[str, int] = {}
    for k, kn, _ in mapping_items(root):
        if k in top_lines:
            errors.append(f"{display}:{line(kn)}: {k} 重复出现（第一次在第 {top_lines[k]} 行）。只能写一次，"
                          f"请把各单位合并到同一个 {k}: 之下。")
        else:
            top_lines[k] = line(kn)
    units_node = next(v for k, _, v in mapping_items(root) if k == "units")
    if not isinstance(units_node, yaml.MappingNode):
        raise InputError(f"{display}:{line(units_node)}: units 应是“编号: {{name, level, parent}}”的映射。")
    seen: dict[str, int] = {}  # unit id -> line of its first entry
    for uid, key_node, node in mapping_items(units_node):
        where = f"{display}:{line(key_node)}: 单位 {uid!r}"
        if uid in seen:
            errors.append(f"{where}: 编号重复（第一次在第 {seen[uid]} 行）。每个单位只能登记一次；"
                          f"两个单位请用不同编号，同一单位请合并为一项。")
            continue
        seen[uid] = line(key_node)
        if not ID_PATTERN.fullmatch(uid):  # fullmatch: "$" would accept a trailing newline
            errors.append(f"{where}: 编号只能用小写英文字母、数字、- 和 _（如 zhungeer）；中文名称写在 name 中。")
            continue
        if not isinstance(node, yaml.MappingNode):
            if node is None or (isinstance(node, yaml.ScalarNode) and plain(node) is None):
                spec_nodes: dict = {}
            else:
                errors.append(f"{where}: 应是 {{name, level, parent}} 映射。")
                continue
        else:
            spec_nodes = {}
            for field_name, field_key, field_node in mapping_items(node):
                if field_name in spec_nodes:
                    errors.append(f"{display}:{line(field_key)}: 单位 {uid!r}: 字段 {field_name} 重复出现。"
                                  f"每个字段只能写一次。")
                    continue
                spec_nodes[field_name] = field_node
        spec = {k: plain(v) for k, v in spec_nodes.items()}
        for field_name, want in (("rollup", "是否为汇总单位"), ("rulemaking", "是否有规章制定权"),
                                 ("year_over_year", "报告是否附与上年对比")):
            if field_name in spec and not isinstance(spec[field_name], bool) \
                    and not (field_name == "rulemaking" and spec[field_name] is None):
                errors.append(f"{display}:{line(spec_nodes[field_name])}: 单位 {uid!r}: {field_name} 应写 true 或 false"
                              f"（{want}），不加引号；实际是 {spec_nodes[field_name].value!r}。"
                              + ("不确定时可删去此项或写 null，由单位级别决定。" if field_name == "rulemaking" else ""))
        parent = spec.get("parent")
        if parent is not None and not isinstance(parent, str):
            errors.append(f"{display}:{line(spec_nodes['parent'])}: 单位 {uid!r}: parent 应是上级单位的编号"
                          f"（如 demo-county）或 null，实际是 {spec_nodes['parent'].value!r}。")
        unknown = set(spec) - FIELDS
        if unknown:
            errors.append(f"{where}: 不认识的字段 {sorted(unknown)}；可用字段: {sorted(FIELDS)}。")
        name = spec.get("name")
        if name is not None and not isinstance(name, str):
            errors.append(f"{display}:{line(spec_nodes['name'])}: 单位 {uid!r}: name 应是单位全称的文字（如 准格尔旗人民政府），"
                          f"实际是{shape(spec_nodes['name'])}。若名称全是数字，请加引号。")
        elif not (name or "").strip():
            errors.append(f"{where}: 缺少 name（单位全称，如 准格尔旗人民政府）。")
        elif any(ch in name for ch in "\r\n\t"):
            errors.append(f"{display}:{line(spec_nodes['name'])}: 单位 {uid!r}: name {name!r} 含换行或制表符；请写成一行。")
        level = spec.get("level")
        if not isinstance(level, str) or level not in LEVELS:
            errors.append(f"{where}: level {level!r} 无效；可用: {', '.join(f'{k}（{v}）' for k, v in LEVELS.items())}。")
        kind = spec.get("kind", "government")
        if not isinstance(kind, str) or kind not in KINDS:
            errors.append(f"{where}: kind {kind!r} 无效；可用: {', '.join(KINDS)}。")
        if errors:
            continue
        units[uid] = Unit(id=uid, name=str(spec["name"]), level=level, kind=kind, parent=spec.get("parent"),
                          rollup=spec.get("rollup", False) is True, rulemaking=spec.get("rulemaking"),
                          year_over_year=spec.get("year_over_year", False) is True)
    for u in units.values():
        if u.parent == u.id:
            errors.append(f"{display}:{seen[u.id]}: 单位 {u.id!r} 的上级是它自己。parent 应写上级单位的编号，没有上级写 null。")
        elif u.parent is not None and u.parent not in units:
            errors.append(f"{display}: 单位 {u.id!r} 的上级 {u.parent!r} 未登记。")
    errors.extend(_cycles(units, seen, display))
    if errors:
        raise InputError("\n".join(errors))
    return UnitRegistry(units, path)
