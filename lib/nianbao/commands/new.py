"""nianbao new: scaffold next year's figures and narrative for a unit, and say what to fill in."""
from __future__ import annotations

from .. import atomic
from ..errors import InputError
from ..figures import load_figures
from ..formpack import comparable
from ..narrative import default_template
from ..publication import load_publication, publication_file, publication_yaml
from ..scaffold import BLANK, figures_yaml
from .common import add_project, add_unit_year, unit_year_form

NAME = "new"
HELP = "为新的报告年度生成 data/<年度>/<单位>/figures.yaml 和 narrative.md（从不覆盖已有文件）"


def add_arguments(parser) -> None:
    add_unit_year(parser)
    add_project(parser)


def main(args) -> int:
    project, unit, form = unit_year_form(args)
    year = args.year
    fig_path = project.figures_file(unit.id, year)
    nar_path = project.narrative_file(unit.id, year)
    existing = [project.rel(p) for p in (fig_path, nar_path) if p.exists()]
    if existing:
        raise InputError(f"{'、'.join(existing)} 已存在，nianbao new 不会覆盖。要重新生成，请先把它移走。")
    prior_fig = project.figures_file(unit.id, year - 1)
    prior_nar = project.narrative_file(unit.id, year - 1)
    values = {t.key: {(r.key, c.key): BLANK for r, c in t.cells()} for t in form.tables}
    todo = []
    if prior_fig.is_file():
        prior = load_figures(prior_fig, unit=unit.id, year=year - 1, strict=False, display=project.rel(prior_fig))
        for item in carry_over(form, prior, values):
            todo.append(item)
        facts = "facts:\n" + "".join(
            f"  {k}: {{value: {BLANK}, unit: {f.unit or '件'}, label: {f.label or k}}}\n" for k, f in prior.facts.items())
    else:
        facts = f"facts:\n  processing_fee: {{value: {BLANK}, unit: 元, label: 收取的政府信息公开信息处理费}}\n"
    text = figures_yaml(form, unit.id, year, unit.name, values, facts).replace(
        "# 格式说明见 data/README.md。", "# 由 nianbao new 生成，全部填完才能生成报告。格式说明见 data/README.md。")
    if prior_nar.is_file():
        narrative = prior_nar.read_text(encoding="utf-8")
        todo.append(f"{project.rel(nar_path)} 复制自 {year - 1} 年的叙述：请逐段更新，特别是第五部分（本年问题和上年问题的改进情况）"
                    f"以及文中写死的数字和年份（nianbao validate 会提示）。")
    else:
        narrative = default_template(form).read_text(encoding="utf-8")
        todo.append(f"{project.rel(nar_path)} 是默认模板：请补写{form.section('overview').title}的各个方面，并填写第五部分“【待填写…】”处。")
    blanks = sum(v in (BLANK, None) for t in values.values() for v in t.values())
    pub_path = publication_file(project, unit.id, year)
    if not pub_path.exists():  # the 落款: last year's issuing body (or the unit's name), the date to fill
        issuer = load_publication(project, unit, year - 1).issuer
        todo.append(f"{project.rel(pub_path)}: 发布前填写落款的发布日期 date（发布机关已填为“{issuer}”，请核对）。")
    atomic.write_text(fig_path, text)
    atomic.write_text(nar_path, narrative)
    if not pub_path.exists():
        atomic.write_text(pub_path, publication_yaml(issuer, year))
    print(f"已生成 {project.rel(fig_path)} 和 {project.rel(nar_path)}（{unit.name} {year} 年）。需要填写：")
    print(f"  - {project.rel(fig_path)}: {blanks} 个表格数字和 {facts.count(BLANK)} 个叙述数字（标为 ~ 的位置）；")
    for item in todo:
        print(f"  - {item}")
    print(f"填写后运行：nianbao validate --unit {unit.id} --year {year}，再运行 nianbao run --unit {unit.id} --year {year}")
    return 0


def carry_over(form, prior, values: dict) -> list[str]:
    """Prefill this year's cells that a cross-year rule of the form (kind ``previous_year``) ties to
    last year's figures — 上年结转 from last year's 结转下年度 — also when last year used another format
    version, for the cells its pack declares comparable. Returns what to tell the analyst."""
    notes = []
    for rule in form.rules:
        if rule.get("kind") != "previous_year":
            continue
        table = form.table(rule["table"])
        current, previous = table.row(rule["current"]), table.row(rule["previous"])
        filled = False
        for col in current.columns:
            if comparable(form, prior.form, table.key, previous.key, col.key):
                values[table.key][(current.key, col.key)] = prior.values[table.key].get((previous.key, col.key))
                filled = True
        if filled:
            other = "" if prior.form.id == form.id else f"（{prior.form.document}格式）"
            notes.append(f"{table.name}「{current.label}」已按 {prior.year} 年{other}「{prior.form.table(table.key).row(previous.key).label}」"
                         f"预填，请核对。")
    return notes

