"""Reading hand-edited YAML files: encoding checks and node trees that remember line numbers."""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputError


# libyaml's parser when available (same node tree and line marks, several times faster)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file (a BOM is accepted); explain GBK files instead of failing obscurely."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{display}: 文件不存在。") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
            guess = "看起来是 GBK/GB18030 编码（Windows 中文系统的默认编码）"
        except UnicodeDecodeError:
            guess = "编码无法识别"
        raise InputError(
            f"{display}: 文件不是 UTF-8 编码，{guess}（第 {exc.start} 字节起无法按 UTF-8 读取）。"
            f"请转换为 UTF-8 后重试，例如：iconv -f GBK -t UTF-8 '{display}' > 新文件 ，"
            f"或用记事本/WPS 打开后“另存为”并选择 UTF-8 编码。"
        ) from None


def compose(path: Path, display: str) -> yaml.Node | None:
    """Parse YAML into a node tree (values keep their source line). Syntax errors name the line."""
    text = read_text(path, display)
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark else display
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"{where}: YAML 格式错误（{problem}）。请检查该行附近的缩进、冒号后的空格和引号是否成对。"
        ) from None


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def mapping_items(node: yaml.MappingNode) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) for each entry of a mapping node."""
    return [(str(k.value), k, v) for k, v in node.value]


def plain(node: yaml.Node):
    """Convert a node to plain Python with the safe constructor (for parts that need no line info)."""
    return yaml.SafeLoader("").construct_document(node) if node is not None else None
