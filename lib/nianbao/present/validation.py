"""The report's validation banner (under the title) and its section 数据校验结果.

All text is escaped with :func:`html.escape`. Styles are inline in a small ``<style>`` element so the
blocks look right in any exporter; classes are prefixed ``nb-v``.
"""
from __future__ import annotations

from html import escape

from ..findings import SEVERITY_LABELS
from ..validation.evidence import MIME
from ..validation.grouping import MISSING_ADVICE, group_findings, not_assessable_lines
from ..validation.result import STATUS_LABELS, ValidationResult, fmt_diff, not_assessable_text
from .blocks import HTMLBlock

SECTION_TITLE = "数据校验结果"
SECTION_ID = "section-validation"
FAILED_STAMP = "未通过校验 · 本报告不得发布"

STYLE = """<style>
.nb-v-banner { border: 2px solid #b42318; background: #fef3f2; color: #b42318; padding: .6rem 1rem;
  margin: 0 0 1.5rem; text-indent: 0; line-height: 1.6; }
.nb-v-banner strong { font-size: 1.15rem; }
.nb-v-banner .nb-v-stamp { font-size: 1.6rem; font-weight: bold; letter-spacing: .2em; margin: 0 0 .3rem;
  text-align: center; text-indent: 0; }
.nb-v-banner a { color: inherit; }
.nb-v-note { font-size: .85rem; color: #666; text-align: center; margin: 0 0 1rem; text-indent: 0; }
.nb-v-note.nb-v-warning { color: #9a6700; }
.nb-v-summary { text-indent: 0; }
.nb-v-failed { color: #b42318; } .nb-v-warning { color: #9a6700; } .nb-v-passed { color: #067647; }
table.nb-v-table { font-size: .8rem; }
.nb-v-table td { vertical-align: top; padding: .25rem .35rem; }
.nb-v-table td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.nb-v-table tr.sev-error td.sev { color: #b42318; font-weight: bold; }
.nb-v-table tr.sev-warning td.sev { color: #9a6700; }
.nb-v-table code { font-size: .75rem; white-space: nowrap; }
.nb-v-findings th, .nb-v-findings td.sev, .nb-v-findings td.tbl, .nb-v-findings td.col { white-space: nowrap; }
.nb-v-findings td.row { min-width: 9em; } .nb-v-findings td.msg { min-width: 16em; }
.nb-v-rules td.verdict, .nb-v-rules td.sev, .nb-v-rules th { white-space: nowrap; }
.nb-v-rules td.desc { min-width: 14em; } .nb-v-rules td.gx code { white-space: normal; word-break: break-all; }
@media print { .nb-v-banner { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
</style>"""


def _s(value) -> str:
    return "" if value is None else str(value)


def _counts_text(result: ValidationResult) -> str:
    c = result.counts
    return f"{c['error']} 个错误，{c['warning']} 个警告"


def banner_html(result: ValidationResult) -> tuple[str, str]:
    code = result.status_code
    na = result.not_assessable_rules
    if code == "failed":
        also = f"另有 {not_assessable_text(na)}。" if na else ""
        text = (f"数据校验未通过：发现{_counts_text(result)}。表格数据不一致，本报告不应发布；"
                f"请核对数据后重新生成。{also}详见“{SECTION_TITLE}”。")
        html = (f'{STYLE}<div class="nb-v-banner" role="alert" data-status="failed">'
                f'<p class="nb-v-stamp">{FAILED_STAMP}</p>'
                f"<strong>数据校验未通过</strong>：发现 {result.counts['error']} 个错误、"
                f"{result.counts['warning']} 个警告。表格数据不一致，本报告不应发布；请核对数据后重新生成。{also}"
                f'详见同一目录下 evidence.html 中的<a href="evidence.html#{SECTION_ID}">“{SECTION_TITLE}”</a>。</div>')
    elif na:  # never a plain 通过 when rules could not be checked
        warned = f"，有 {result.counts['warning']} 个警告" if result.counts["warning"] else ""
        text = f"数据校验：通过{warned}，但有 {not_assessable_text(na)}（见“{SECTION_TITLE}”）。"
        html = (f'{STYLE}<p class="nb-v-note nb-v-warning" data-status="{code}" data-not-assessable="{na}">'
                f'数据校验：通过{warned}，但有 {not_assessable_text(na)}（见<a href="#{SECTION_ID}">“{SECTION_TITLE}”</a>）。</p>')
    elif code == "warning":
        text = f"数据校验：通过，有 {result.counts['warning']} 个警告（见“{SECTION_TITLE}”）。"
        html = (f'{STYLE}<p class="nb-v-note nb-v-warning" data-status="warning">数据校验：通过，有 '
                f'{result.counts["warning"]} 个警告（见<a href="#{SECTION_ID}">“{SECTION_TITLE}”</a>）。</p>')
    else:
        text = "数据校验：通过（0 个错误，0 个警告）。"
        html = f'{STYLE}<p class="nb-v-note nb-v-passed" data-status="passed">{escape(text)}</p>'
    return html, text


def _groups(result: ValidationResult):
    return group_findings(result.findings, _form(result))


def findings_table(result: ValidationResult) -> str:
    head = ("序号", "级别", "规则", "表", "行", "列", "应为", "实际", "差额", "说明")
    out = ['<table class="nb-table nb-v-table nb-v-findings"><thead><tr>']
    out += [f'<th scope="col">{h}</th>' for h in head]
    out.append("</tr></thead><tbody>")
    for n, g in enumerate(_groups(result), start=1):
        f = g.first
        attrs = (f' class="sev-{escape(f.severity)}" data-rule="{escape(f.rule_id)}" data-table="{escape(_s(f.table))}"'
                 + (f' data-cells="{len(g.findings)}"' if g.grouped else
                    f' data-row="{escape(_s(f.row))}" data-col="{escape(_s(f.column))}"'))
        lines = g.lines if g.grouped else (str(f.line) if f.line else "")
        where = ""
        if f.file:
            where = f'<br><code>{escape(f.file)}{escape(f":{lines}" if lines else "")}</code>'
        message = f"{g.text}。{MISSING_ADVICE}" if g.grouped else f.message
        cells = [
            f'<td class="num">{n}</td>',
            f'<td class="sev">{escape(SEVERITY_LABELS[f.severity])}</td>',
            f"<td><code>{escape(f.rule_id)}</code></td>",
            f'<td class="tbl">{escape(_s(f.table_name))}</td>',
            f'<td class="row">{escape(g.rows)}</td>',
            f'<td class="col">{escape(g.columns)}</td>',
            f'<td class="num expected">{escape(_s(f.expected))}</td>',
            f'<td class="num actual">{escape("" if g.grouped else _s(f.actual))}</td>',
            f'<td class="num difference">{escape("" if g.grouped else fmt_diff(f.difference))}</td>',
            f'<td class="msg">{escape(message)}{where}</td>',
        ]
        out.append(f"<tr{attrs}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def rules_table(result: ValidationResult) -> str:
    failed = {}
    for f in result.findings:
        failed.setdefault(f.rule_id, []).append(f)
    out = ['<table class="nb-table nb-v-table nb-v-rules"><thead><tr>',
           '<th scope="col">规则</th><th scope="col">说明</th><th scope="col">级别</th>'
           '<th scope="col">Great Expectations 期望</th><th scope="col">结果</th></tr></thead><tbody>']
    for s in result.suites:
        na = (s.get("instances") or {}).get("not_assessable", 0)
        if not s["applicable"]:
            verdict = f"未适用（{s.get('reason', '')}）"
        elif s.get("success"):
            verdict = "通过"
        elif s.get("outcome") == "not_assessable":
            verdict = f"未能完全校验（{s['instances']['passed']} 项通过，{na} 项因缺失值未能校验）"
        else:
            verdict = f"不通过（{len(failed.get(s['rule_id'], []))} 处" + (f"；另有 {na} 项因缺失值未能校验）" if na else "）")
        types = "、".join(e["type"] for e in s["expectations"])
        out.append(
            f'<tr data-rule="{escape(s["rule_id"])}"><td><code>{escape(s["rule_id"])}</code></td>'
            f'<td class="desc">{escape(s["description"])}</td>'
            f'<td class="sev">{escape(SEVERITY_LABELS.get(s["severity"], s["severity"]))}</td>'
            f'<td class="gx"><code>{escape(types)}</code></td><td class="verdict">{escape(verdict)}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def section_html(result: ValidationResult) -> tuple[str, str]:
    code = result.status_code
    suites = result.suites
    gx = result.checks.get("form-rules", {}).get("evidence", {})
    applied = sum(1 for s in suites if s["applicable"])
    summary = (f"结论：<strong class=\"nb-v-{code}\">{escape(STATUS_LABELS[code])}</strong>。"
               f"按报告格式定义的 {len(suites)} 条规则（其中 {applied} 条适用于本报告），以 Great Expectations "
               f"{escape(_s(gx.get('version')))} 期望集校验表格数据，另有 "
               f"{escape('、'.join(n for n in result.checks if n != 'form-rules') or '无')} 检查；"
               f"发现错误 {result.counts['error']} 个、警告 {result.counts['warning']} 个"
               f"{'；' + not_assessable_text(result.not_assessable_rules) if result.not_assessable_rules else ''}。"
               f"本工具只报告问题，不修改、不推算任何数字。")
    parts = [STYLE, f'<section class="nb-section nb-validation" id="{SECTION_ID}" data-status="{code}">',
             f"<h2>{SECTION_TITLE}</h2>", f'<p class="nb-v-summary">{summary}</p>']
    if result.findings:
        parts.append("<h3>发现的问题</h3>")
        parts.append(f'<div class="nb-table-wrap">{findings_table(result)}</div>')
    else:
        parts.append('<p class="nb-v-summary">未发现问题。</p>')
    na_lines = not_assessable_lines(result, _form(result)) if result.not_assessable_rules else []
    if na_lines:
        parts.append("<h3>未能完全校验的规则</h3>")
        parts.append('<ul class="nb-v-not-assessable">' + "".join(
            f'<li data-rule="{escape(r)}"><code>{escape(r)}</code>：{escape(line)}</li>' for r, line in na_lines)
            + "</ul><p class=\"nb-v-note\">所缺单元格逐项列在 validation.json 的 checks.form-rules 中。</p>")
    if suites:
        parts.append("<h3>校验规则</h3>")
        parts.append(f'<div class="nb-table-wrap">{rules_table(result)}</div>')
    parts.append(f'<p class="nb-v-note">完整的校验记录保存在报告旁的 validation.json 中。</p>')
    parts.append("</section>")
    na_text = f"；{not_assessable_text(result.not_assessable_rules)}" if result.not_assessable_rules else ""
    lines = [f"{SECTION_TITLE}：{STATUS_LABELS[code]}（{_counts_text(result)}{na_text}）"]
    for n, g in enumerate(_groups(result) if result.findings else (), start=1):
        f = g.first
        if g.grouped:
            lines.append(f"{n}. [{SEVERITY_LABELS[f.severity]}] {f.rule_id} {g.text}。{MISSING_ADVICE}")
            continue
        where = " ".join(x for x in (f.table_name, g.rows and f"「{g.rows}」",
                                     f.column_label and f"列「{f.column_label}」") if x)
        lines.append(f"{n}. [{SEVERITY_LABELS[f.severity]}] {f.rule_id} {where}：{f.message}")
    lines += [f"[未能完全校验] {r}：{line}" for r, line in na_lines]
    return "".join(parts), "\n".join(lines)


def _form(result: ValidationResult):
    from ..forms import get

    return get(result.form)


def banner_block(result: ValidationResult):
    html, text = banner_html(result)
    return HTMLBlock(html, text)


def section_block(result: ValidationResult):
    from ..validation.handed import RUN_MIME

    html, text = section_html(result)
    # RUN_MIME: which validation run produced the result (declared volatile: see nianbao.validation.handed)
    return HTMLBlock(html, text, data={MIME: result.to_json(), RUN_MIME: dict(sorted(result.volatile.items()))})


def report_section(report) -> HTMLBlock:
    """The section 数据校验结果; its mime bundle carries the result for validation.json."""
    from ..validation import validate_report

    return section_block(validate_report(report))
