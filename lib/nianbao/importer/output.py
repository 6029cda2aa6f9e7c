"""What ``nianbao import`` writes: figures.yaml and narrative.md in the project's formats, and
import.log — for every cell, where it was read or why it was not. Same input → same bytes."""
from __future__ import annotations

from pathlib import Path

from .. import atomic
from ..scaffold import figures_yaml
from . import ImportResult

STATUS_LABELS = {"read": "读出", "split": "拆分读出", "blank": "空白（缺失）", "refused": "拒读", "absent": "文本中没有"}
COMPLETENESS_LABELS = {"full": "完整读取", "partial": "部分读取", "none": "未读到任何单元格"}


def figures_text(r: ImportResult, unit: str) -> str:
    body = figures_yaml(r.form, unit, r.year, r.unit_name or unit, r.values())
    head = (f"{IMPORT_MARK}{r.path.name} 导入（{COMPLETENESS_LABELS[r.completeness]}）。"
            f"~ 表示原报告空白、未能读取或文本中没有，见 import.log；导入不修改任何数字。\n")
    return head + body


def _escape(text: str) -> str:
    return "\n".join("\\" + ln if ln.lstrip().startswith("#") else ln for ln in text.split("\n"))


def narrative_text(r: ImportResult) -> str:
    parts = []
    if r.preface and r.preface.text:
        parts.append(_escape(r.preface.text))
    for s in r.form.sections:
        sec = r.sections.get(s.key)
        if sec is None:
            continue
        parts.append(f"## {s.heading}\n\n{_escape(sec.text)}".rstrip())
    return "\n\n".join(parts).rstrip() + "\n"


def log_text(r: ImportResult, unit: str) -> str:
    c = r.counts()
    out = [
        "nianbao import 导入记录",
        f"来源：{r.path.name}（{r.document.kind}）；" + "；".join(r.document.notes),
        f"格式：{r.guess.reason}" + (f"；报告引用：{'、'.join(r.guess.cited)}" if r.guess.cited else "；报告未引用格式通知"),
        f"年度：{r.year}（{r.year_source}）",
        f"单位：{unit}" + (f"（报告标题中的名称：{r.unit_name}）" if r.unit_name else "（报告中未找到名称）"),
    ]
    out += [f"注意：{n}" if not n.startswith("注意") else n for n in r.notes if n not in r.document.notes]
    out.append(f"结果：{COMPLETENESS_LABELS[r.completeness]} — " + "，".join(f"{STATUS_LABELS[k]} {v} 格" for k, v in c.items()))
    out.append("")
    out.append("各表：")
    for t in r.form.tables:
        for line in r.tables[t.key].log:
            out.append(f"  {line}")
    out.append("")
    out.append("逐格：")
    for cell in r.cells:
        t = r.form.table(cell.table)
        row = t.row(cell.row)
        col = row.column(cell.column)
        head = f"  {t.name}第{row.number}行「{row.label}」列「{col.label}」"
        if cell.status in ("read", "split"):
            out.append(f"{head} = {cell.value} ← {cell.where} “{cell.text}”" + (f"（{cell.reason}）" if cell.reason else ""))
        else:
            out.append(f"{head}：{STATUS_LABELS[cell.status]} — {cell.reason}" + (f"（{cell.where}）" if cell.where else ""))
    out.append("")
    out.append("章节：")
    for s in r.form.sections:
        sec = r.sections.get(s.key)
        if sec is None:
            out.append(f"  {s.heading}：未找到")
        else:
            shown = "" if sec.heading == s.heading else f"，原标题“{sec.heading}”"
            out.append(f"  {s.heading} ← {sec.where}{shown}，{len(sec.text)} 字")
    return "\n".join(out) + "\n"


IMPORT_MARK = "# 由 nianbao import 从 "


def write(r: ImportResult, out_dir: Path, unit: str) -> list[Path]:
    """Write the three files, all or none. A figures.yaml there that an import did not write (an
    analyst's data) is never replaced."""
    from ..errors import InputError

    targets = [out_dir / "figures.yaml", out_dir / "narrative.md", out_dir / "import.log"]
    fig, nar, log = targets
    imported = log.is_file() and (not fig.is_file() or fig.read_text(encoding="utf-8", errors="replace").startswith(IMPORT_MARK))
    for t in (fig, nar):
        if t.is_file() and not imported:
            raise InputError(f"{t} 已存在且不是导入生成的文件，不覆盖。请用 --out 指定另一个目录。")
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = [figures_text(r, unit), narrative_text(r), log_text(r, unit)]
    with atomic.staged(targets) as temps:
        for tmp, text in zip(temps, texts):
            tmp.write_bytes(text.encode("utf-8"))
        _same_when_loaded(r, temps[0], unit)
    return targets


def _same_when_loaded(r: ImportResult, path: Path, unit: str) -> None:
    """The written figures.yaml loads back (with the kit's loader) to exactly the imported values."""
    from ..figures import load_figures

    loaded = load_figures(path, unit=unit, year=r.year, strict=False, display=str(path))
    if loaded.values != r.values():
        diff = [(t, k) for t in r.values() for k in r.values()[t] if loaded.values[t].get(k) != r.values()[t][k]]
        raise RuntimeError(f"figures.yaml does not load back to the imported values: {diff[:5]}")
