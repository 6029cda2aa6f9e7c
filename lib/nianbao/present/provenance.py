"""The visible appendix “附：报告来源记录” (built in the kernel from :func:`nianbao.provenance.collect`)."""
from __future__ import annotations

import json
from html import escape

from ..provenance import (ENV_END, ENV_HEADING, ENV_START, KERNEL_MODES, MIME, collect, notebook_parameters,
                          role_label)
from .blocks import HTMLBlock


def appendix_block(report):
    """The appendix “附：报告来源记录”: the record as tables, and as JSON for the runner."""
    params = notebook_parameters(report.project)
    if not params:
        params = {"unit": report.unit.id, "year": report.year}
    record = collect(report.project, report.unit.id, report.year, parameters=params)
    return HTMLBlock(appendix_html(record), appendix_text(record), {MIME: record})


def _yes_no(flag) -> str:
    return {True: "是", False: "否"}.get(flag, "未知（不是 git 工作区）")


def _commit(commit) -> str:
    return f"<code>{escape(commit)}</code>" if commit else "未知（不是 git 工作区）"


def _table(rows, head=None) -> str:
    parts = ['<div class="nb-table-wrap"><table class="nb-table nb-provenance-table">']
    if head:
        parts.append("<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        parts.append(f'<tr><th class="row-label">{escape(row[0])}</th>'
                     + "".join(f'<td style="word-break: break-all">{c}</td>' for c in row[1:]) + "</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def appendix_html(record: dict) -> str:
    params = _table([(k, f"<code>{escape(json.dumps(v, ensure_ascii=False))}</code>")
                     for k, v in record["parameters"].items()], head=("参数", "取值"))
    inputs = _table([(role_label(role), f"<code>{escape(rec['path'])}</code>", f"<code>{rec['sha256']}</code>")
                     for role, rec in record["inputs"].items()], head=("输入", "文件", "SHA-256"))
    kit, proj, py = record["kit"], record["project"], record["python"]
    mode = record["kernel_mode"]
    env_rows = [
        ("nianbao 版本", escape(kit["version"])),
        ("nianbao 代码提交（git）", _commit(kit["git_commit"])),
        ("nianbao 代码有未提交的修改", _yes_no(kit["git_dirty"])),
        ("nianbao 源代码 SHA-256", f"<code>{escape(kit.get('source_sha256') or '')}</code>"),
        ("项目目录提交（git）", _commit(proj["git_commit"])),
        ("项目目录有未提交的修改", _yes_no(proj["git_dirty"])),
        ("Python", escape(f"{py['version']} ({py['implementation']})")),
        *((name, escape(version or "未安装")) for name, version in record["packages"].items()),
        ("内核模式", escape(f"{KERNEL_MODES.get(mode, mode)}（{mode}）")),
    ]
    return (
        '<section class="nb-section nb-provenance" id="provenance">'
        "<h2>附：报告来源记录</h2>"
        "<p>本报告由 nianbao 根据下列参数和输入文件生成。SHA-256 是文件内容的指纹：文件改动一个字节，指纹即不同。"
        "核验报告及其来源：<code>nianbao verify</code>。</p>"
        "<h3>运行参数</h3>" + params
        + "<h3>输入文件</h3>" + inputs
        + ENV_START + f"<h3>{ENV_HEADING}</h3>" + _table(env_rows, head=("项目", "记录")) + ENV_END
        + "</section>"
    )


def appendix_text(record: dict) -> str:
    lines = ["附：报告来源记录"]
    lines += [f"  参数 {k} = {json.dumps(v, ensure_ascii=False)}" for k, v in record["parameters"].items()]
    lines += [f"  {rec['path']}  sha256:{rec['sha256']}" for rec in record["inputs"].values()]
    lines.append("  软件环境：见笔记本元数据 nianbao.provenance")
    return "\n".join(lines)
