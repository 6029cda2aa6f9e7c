"""Synthetic projects for testing and measuring batches at any size (``nianbao synth``).

Every name is invented and plainly marked: the units are 示例县 and its 第N示范镇 / 第N示范局, the
registry, every figures file and every narrative say 合成数据 (synthetic data), and the narrative's
first line says the report is not real. No real place is ever named.

The figures satisfy every consistency rule of the form, per column (表三 identity and results total,
row totals, 表四 totals); the narrative states only figures equal to the table cells they name, says
no 信息处理费 was charged, and names problems and improvements. One roll-up county compiles its
tables from its townships; county departments report on their own.

``errors=K`` injects K defects into leaf units, alternating two kinds that make a batch fail:

- ``missing_value``: "/" in a 表三 cell — the figures do not load, the run fails before any kernel;
- ``bad_heading``: an unknown section heading in the narrative — also refused before any kernel
  starts (the run checks the narrative first), naming the file and line.

Defects go to departments first, then ``bad_heading`` into townships (their figures still load, so
the roll-up county compiled from them still runs). Output is deterministic for a seed: each unit's numbers come from a generator seeded with
(seed, unit id), so a project generated with ``errors=0`` holds the corrected files of one generated
with errors. ``synthetic.json`` records the parameters and which unit got which defect.
"""
from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from . import forms
from .scaffold import figures_yaml

MARK = "合成数据"
COUNTY = "demo-county"
ERROR_KINDS = ("missing_value", "bad_heading")

@dataclass(frozen=True)
class SynthUnit:
    id: str
    name: str
    level: str
    kind: str
    parent: str | None = None
    rollup: bool = False


@dataclass
class SynthResult:
    root: Path
    year: int
    units: list[SynthUnit]
    errors: dict[str, str] = field(default_factory=dict)  # unit id -> injected defect kind


def plan_units(n: int) -> list[SynthUnit]:
    """One roll-up county (when n >= 3), its townships, and county departments reporting on their own."""
    if n < 1:
        raise ValueError("need at least one unit")
    if n < 3:
        return [SynthUnit(f"demo-town-{i:03d}", f"示例县第{i}示范镇人民政府", "township", "government")
                for i in range(1, n + 1)]
    towns = max(2, (n - 1) // 2)
    depts = n - 1 - towns
    out = [SynthUnit(COUNTY, "示例县人民政府", "county", "government", rollup=True)]
    out += [SynthUnit(f"demo-town-{i:03d}", f"示例县第{i}示范镇人民政府", "township", "government", parent=COUNTY)
            for i in range(1, towns + 1)]
    out += [SynthUnit(f"demo-dept-{i:03d}", f"示例县第{i}示范局", "county", "department")
            for i in range(1, depts + 1)]
    return out


def units_yaml(units: list[SynthUnit], seed: int) -> str:
    lines = [
        f"# {MARK}：由 `nianbao synth` 生成（seed {seed}）。全部单位名称和数字均为虚构，仅用于测试与性能测量。",
        "# Synthetic data: every unit and figure is invented; no real place is named.",
        "units:",
    ]
    for u in units:
        lines.append(f"  {u.id}:")
        lines.append(f"    name: {u.name}")
        lines.append(f"    level: {u.level}")
        if u.kind != "government":
            lines.append(f"    kind: {u.kind}")
        lines.append(f"    parent: {u.parent or 'null'}")
        if u.rollup:
            lines.append("    rollup: true")
    return "\n".join(lines) + "\n"


def _rng(seed: int, unit_id: str) -> random.Random:
    return random.Random(f"nianbao-synth:{seed}:{unit_id}")


def _recipe(form):
    recipe = forms.pack(form.id).synthetic
    if recipe is None:
        raise ValueError(f"报告格式 {form.id} 没有合成数据生成方法（form pack 中的 synthetic 模块）。")
    return recipe


def unit_values(form, seed: int, unit_id: str) -> dict:
    """Consistent figures for one (non-roll-up) unit, from the form pack's recipe."""
    return _recipe(form).unit_values(form, _rng(seed, unit_id))


def county_values(form, seed: int, children: list[dict]) -> dict:
    """The roll-up county: children's sums where the form sums, its own values for the rest."""
    rng = _rng(seed, COUNTY)
    out: dict = {}
    for table in form.tables:
        out[table.key] = {}
        for row, col in table.cells():
            if col.summed:
                out[table.key][(row.key, col.key)] = sum(c[table.key][(row.key, col.key)] for c in children)
    _recipe(form).county_own_values(form, rng, out)
    return out


FACTS = "facts:\n  processing_fee: {value: 0, unit: 元, label: 收取的政府信息公开信息处理费}\n"


def narrative(unit: SynthUnit, year: int, values: dict, children: list[SynthUnit] = (), form=None) -> str:
    form = form if form is not None else forms.for_year(year)
    return _recipe(form).narrative(MARK, unit.name, year, values, children)


def _figures_text(form, unit: SynthUnit, year: int, values: dict) -> str:
    text = figures_yaml(form, unit.id, year, unit.name, values, FACTS)
    return f"# {MARK}（synthetic data）：单位与数字均为虚构。\n" + text


def _inject(kind: str, figures_text: str, narrative_text: str, form=None) -> tuple[str, str]:
    form = form if form is not None else forms.current()
    if kind == "missing_value":
        lines = figures_text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.lstrip().startswith(f"{_recipe(form).MISSING_VALUE_ROW}:"):
                head, _, rest = line.partition("[")
                cells = rest.split("]", 1)
                values = cells[0].split(", ")
                values[0] = "/"
                lines[i] = head + "[" + ", ".join(values) + "]" + cells[1]
                break
        return "".join(lines), narrative_text
    if kind == "bad_heading":
        section = form.section(forms.pack(form.id).section_key("problems"))  # 五, as the pack names it
        return figures_text, narrative_text.replace(f"## {section.heading}", f"## {section.number}、存在问题和下一步打算", 1)
    raise ValueError(f"unknown error kind {kind!r}; use one of {ERROR_KINDS}")


def choose_errors(units: list[SynthUnit], k: int, seed: int) -> dict[str, str]:
    """Which leaf units get which defect (departments first; townships only get narrative defects)."""
    rng = random.Random(f"nianbao-synth-errors:{seed}")
    depts = [u.id for u in units if u.kind == "department"]
    towns = [u.id for u in units if u.level == "township"]
    rng.shuffle(depts)
    rng.shuffle(towns)
    out: dict[str, str] = {}
    for i, uid in enumerate(depts[:k]):
        out[uid] = ERROR_KINDS[i % 2]
    for uid in towns[: max(0, k - len(out))]:
        out[uid] = "bad_heading"
    if len(out) < k:
        raise ValueError(f"cannot inject {k} errors into {len(units)} units (at most {len(depts) + len(towns)})")
    return dict(sorted(out.items()))


def default_notebook() -> Path | None:
    """The report notebook of the project in the working directory, or of the source checkout."""
    from .project import Project

    try:
        return Project.find().report_notebook
    except Exception:
        candidate = Path(__file__).resolve().parents[2] / "notebooks" / "annual_report.ipynb"
        return candidate if candidate.is_file() else None


def generate(out: str | Path, n: int, year: int, *, seed: int = 0, errors: int = 0,
             notebook: str | Path | None = None) -> SynthResult:
    """Write a whole synthetic project (params/, data/<year>/, notebooks/, outputs/) under ``out``."""
    root = Path(out)
    form = forms.for_year(year)
    units = plan_units(n)
    injected = choose_errors(units, errors, seed) if errors else {}
    nb = Path(notebook) if notebook else default_notebook()
    if nb is None or not nb.is_file():
        raise FileNotFoundError("找不到报告笔记本 annual_report.ipynb；请用 --notebook 指定。")
    (root / "params").mkdir(parents=True, exist_ok=True)
    (root / "notebooks").mkdir(exist_ok=True)
    (root / "outputs").mkdir(exist_ok=True)
    (root / "params" / "units.yaml").write_text(units_yaml(units, seed), encoding="utf-8")
    if nb.resolve() != (root / "notebooks" / "annual_report.ipynb").resolve():
        shutil.copyfile(nb, root / "notebooks" / "annual_report.ipynb")
    leaf_values = {u.id: unit_values(form, seed, u.id) for u in units if not u.rollup}
    for u in units:
        children = [c for c in units if c.parent == u.id]
        values = (county_values(form, seed, [leaf_values[c.id] for c in children]) if u.rollup
                  else leaf_values[u.id])
        fig = _figures_text(form, u, year, values)
        nar = narrative(u, year, values, children, form)
        if u.id in injected:
            fig, nar = _inject(injected[u.id], fig, nar, form)
        d = root / "data" / str(year) / u.id
        d.mkdir(parents=True, exist_ok=True)
        (d / "figures.yaml").write_text(fig, encoding="utf-8")
        (d / "narrative.md").write_text(nar, encoding="utf-8")
        # 落款 (nianbao.publication): the issuing body is the unit's name; a fixed, declared date
        (d / "publication.yaml").write_text(f"date: {year + 1}-01-31\n", encoding="utf-8")
    meta = {"generator": "nianbao synth", "mark": MARK, "seed": seed, "year": year, "units": len(units),
            "rollup": [u.id for u in units if u.rollup], "errors": injected}
    (root / "synthetic.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return SynthResult(root=root, year=year, units=units, errors=injected)
