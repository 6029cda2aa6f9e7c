"""Reading hand-edited YAML files: encoding checks and node trees that remember line numbers."""
from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InputError


# libyaml's parser when available (same node tree and line marks, several times faster); the form
# packs' own YAML is read with it too (nianbao.form.read_pack_yaml)
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


MAX_INPUT_BYTES = 8 * 1024 * 1024  # a figures file is ~10 KB, a narrative ~20 KB: far larger is not one


def read_text(path: Path, display: str) -> str:
    """Read a UTF-8 text file (a BOM is accepted); explain other encodings instead of failing obscurely."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{display}: 文件不存在。") from None
    except IsADirectoryError:
        raise InputError(f"{display}: 这是一个文件夹，不是文件。请把文件夹改名或移走，在这里放入数据文件。") from None
    except PermissionError:
        raise InputError(f"{display}: 没有读取权限。请检查文件权限（如 chmod a+r '{display}'）。") from None
    except OSError as exc:
        raise InputError(f"{display}: 无法读取（{exc.strerror or exc}）。") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{display}: 文件超过 {MAX_INPUT_BYTES // (1024 * 1024)} MB，不像是数据文件或叙述文本；"
                         f"请确认没有放错文件。")
    utf16 = _utf16(data)
    if utf16:
        raise InputError(
            f"{display}: 文件是 {utf16} 编码（Windows 记事本另存为“Unicode”时的编码），不是 UTF-8。"
            f"请转换为 UTF-8 后重试，例如：iconv -f {utf16} -t UTF-8 '{display}' > 新文件 ，"
            f"或用记事本/WPS 打开后“另存为”并选择 UTF-8 编码。")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
            guess = "看起来是 GBK/GB18030 编码（Windows 中文系统的默认编码）"
            hint = f"例如：iconv -f GBK -t UTF-8 '{display}' > 新文件 ，或"
        except UnicodeDecodeError:
            guess, hint = "编码无法识别", ""
        raise InputError(
            f"{display}: 文件不是 UTF-8 编码，{guess}（第 {exc.start} 字节起无法按 UTF-8 读取）。"
            f"请转换为 UTF-8 后重试，{hint}用记事本/WPS 打开后“另存为”并选择 UTF-8 编码。"
        ) from None


def _utf16(data: bytes) -> str | None:
    """"UTF-16LE"/"UTF-16BE"/"UTF-32" when the bytes are text in that encoding (by BOM, or by the NUL
    bytes every ASCII character has in UTF-16)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith(b"\xff\xfe"):
        return "UTF-16LE"
    if data.startswith(b"\xfe\xff"):
        return "UTF-16BE"
    sample = data[:4096]
    if len(sample) >= 4 and b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
            return "UTF-16LE"
        if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
            return "UTF-16BE"
    return None


def compose(path: Path, display: str) -> yaml.Node | None:
    """Parse YAML into a node tree (values keep their source line). Syntax errors name the line."""
    text = read_text(path, display)
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark else display
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(
            f"{where}: YAML 格式错误（{problem}）。请检查该行附近的缩进、冒号后的空格和引号是否成对。"
        ) from None
    except RecursionError:
        raise InputError(f"{display}: YAML 嵌套层数过多，不是数据文件的结构。") from None
    check_values(root, display)
    return root


# Tags a data file may carry: YAML's own (str, int, float, bool, null, map, seq, timestamp …). A tag
# such as !!python/object or !foo is refused, never constructed.
SAFE_TAGS = frozenset(t for t in yaml.SafeLoader.yaml_constructors if t is not None)
_MERGE = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
MAX_NUMBER_CHARS = 40  # a number written with more characters is no figure (and a slow one to read)
MAX_DEPTH = 50


def check_values(root: yaml.Node | None, display: str) -> None:
    """Refuse, with file:line, every node that would not load as plain data: an unknown or Python tag,
    a scalar its explicit tag cannot read (``!!int abc``), an absurdly long number, a merge key."""
    if root is None:
        return
    constructor = yaml.constructor.SafeConstructor()
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        where = f"{display}:{line(node)}"
        if depth > MAX_DEPTH:
            raise InputError(f"{where}: YAML 嵌套超过 {MAX_DEPTH} 层，不是数据文件的结构。")
        collection = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}.get(type(node))
        if node.tag not in SAFE_TAGS or (collection and node.tag != collection):
            raise InputError(f"{where}: 不支持的 YAML 标签 {node.tag!r}。数据文件中只能写数字、文字、列表和映射；"
                             f"请删去以 ! 开头的标签。")
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
                raise InputError(f"{where}: 数字有 {len(node.value)} 个字符，超过 {MAX_NUMBER_CHARS} 个字符的上限；"
                                 f"不是一个可能的数据。请核对该处。")
            if node.tag != "tag:yaml.org,2002:str":
                try:
                    constructor.construct_object(node)
                except Exception as exc:  # noqa: BLE001 - whatever the constructor raises, the value is unreadable
                    if node.tag == "tag:yaml.org,2002:timestamp":
                        raise InputError(f"{where}: {node.value[:40]!r} 不是有效的日期。日期应写成 YYYY-MM-DD"
                                         f"（如 2023-01-31）；不确定时留空。") from None
                    raise InputError(f"{where}: 值 {node.value[:40]!r} 不能按标签 {node.tag.rsplit(':', 1)[-1]} 读取"
                                     f"（{exc.__class__.__name__}）。请直接写数字；文字请加引号，并删去 !! 标签。") from None
                constructor.constructed_objects.clear()
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.tag == _MERGE:
                    raise InputError(f"{display}:{line(k)}: 不支持 YAML 合并键 <<；请把各项直接写出。")
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, depth + 1) for v in node.value)


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def mapping_items(node: yaml.MappingNode) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) for each entry of a mapping node."""
    return [(str(k.value), k, v) for k, v in node.value]


def shape(node: yaml.Node) -> str:
    """What a node is, for messages: 一个列表 / 一个映射 / the scalar as written."""
    if isinstance(node, yaml.SequenceNode):
        return "一个列表"
    if isinstance(node, yaml.MappingNode):
        return "一个映射"
    return f" {node.value!r}"


def plain(node: yaml.Node):
    """Convert a node to plain Python with the safe constructor (for parts that need no line info)."""
    return yaml.SafeLoader("").construct_document(node) if node is not None else None
