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
from decimal import Decimal
from pathlib import Path

from . import forms
from .scaffold import figures_yaml

MARK = "合成数据"
COUNTY = "demo-county"
ERROR_KINDS = ("missing_value", "bad_heading")

# 表三 result rows and how often each result occurs (relative weights).
_RESULT_WEIGHTS = {
    "disclosed": 40, "partially_disclosed": 6, "withheld_state_secret": 1, "withheld_prohibited_by_law": 1,
    "withheld_security_stability": 1, "withheld_third_party": 2, "withheld_internal_affairs": 2,
    "withheld_process_info": 2, "withheld_enforcement_files": 1, "withheld_inquiry": 2,
    "unavailable_not_held": 20, "unavailable_needs_creation": 4, "unavailable_unclear": 4,
    "unprocessed_petition": 3, "unprocessed_duplicate": 2, "unprocessed_publication": 1,
    "unprocessed_excessive": 1, "unprocessed_confirmation": 1, "other_no_correction": 3,
    "other_fee_unpaid": 1, "other_other": 2,
}
# 表三 applicant columns: (key, largest number of new applications a unit receives from them)
_APPLICANTS = (("natural_person", 40), ("commercial", 6), ("research", 1), ("nonprofit", 1),
               ("legal_services", 2), ("other_org", 2))


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


def unit_values(form, seed: int, unit_id: str) -> dict:
    """Consistent figures for one (non-roll-up) unit."""
    rng = _rng(seed, unit_id)
    t3 = form.table("table3")
    rows = [r.key for r in t3.rows]
    result_rows = list(_RESULT_WEIGHTS)
    weights = list(_RESULT_WEIGHTS.values())
    v3: dict = {}
    for col, top in _APPLICANTS:
        new = rng.randint(0, top) if rng.random() < 0.8 or col == "natural_person" else 0
        carried = rng.randint(0, 2) if new and rng.random() < 0.3 else 0
        forward = rng.randint(0, min(2, new + carried)) if rng.random() < 0.3 else 0
        done = new + carried - forward
        counts = dict.fromkeys(result_rows, 0)
        for key in rng.choices(result_rows, weights, k=done):
            counts[key] += 1
        col_values = {"new": new, "carried_over": carried, "results_total": done, "carried_forward": forward,
                      **counts}
        for row in rows:
            v3[(row, col)] = col_values[row]
    for row in rows:
        v3[(row, "total")] = sum(v3[(row, c)] for c, _ in _APPLICANTS)
    v4: dict = {}
    for row in ("review", "litigation_direct", "litigation_after_review"):
        parts = {k: (rng.randint(0, 2) if rng.random() < 0.15 else 0) for k in ("upheld", "corrected", "other", "pending")}
        v4.update({(row, k): v for k, v in parts.items()})
        v4[(row, "total")] = sum(parts.values())
    issued = rng.randint(0, 4)
    v2 = {
        ("regulations", "issued"): 0, ("regulations", "repealed"): 0, ("regulations", "in_force"): 0,
        ("normative_documents", "issued"): issued,
        ("normative_documents", "repealed"): rng.randint(0, 2),
        ("normative_documents", "in_force"): issued + rng.randint(5, 40),
        ("licensing", "decisions"): rng.randint(0, 3000),
        ("penalties", "decisions"): rng.randint(0, 400),
        ("enforcement", "decisions"): rng.randint(0, 60),
        ("fees", "amount"): Decimal(rng.randint(0, 2_000_000)) / 10000,
    }
    return {"table2": v2, "table3": v3, "table4": v4}


def county_values(form, seed: int, children: list[dict]) -> dict:
    """The roll-up county: children's sums where the form sums, its own 现行有效件数 and fees."""
    from .rollup import is_summed

    rng = _rng(seed, COUNTY)
    out: dict = {}
    for table in form.tables:
        out[table.key] = {}
        for row, col in table.cells():
            if is_summed(table.key, col.key):
                out[table.key][(row.key, col.key)] = sum(c[table.key][(row.key, col.key)] for c in children)
    issued = out["table2"][("normative_documents", "issued")]
    out["table2"][("regulations", "in_force")] = 0
    out["table2"][("normative_documents", "in_force")] = issued + rng.randint(20, 80)
    out["table2"][("fees", "amount")] = Decimal(rng.randint(0, 20_000_000)) / 10000
    return out


FACTS = "facts:\n  processing_fee: {value: 0, unit: 元, label: 收取的政府信息公开信息处理费}\n"


def narrative(unit: SynthUnit, year: int, values: dict, children: list[SynthUnit] = ()) -> str:
    t3, t4, t2 = values["table3"], values["table4"], values["table2"]
    new, carried = t3[("new", "total")], t3[("carried_over", "total")]
    forward, review = t3[("carried_forward", "total")], t4[("review", "total")]
    litigation = t4[("litigation_direct", "total")] + t4[("litigation_after_review", "total")]
    compiled = (f"本报告由{unit.name}政务公开工作机构汇总全县{len(children)}个乡镇的年度报告数据编制。"
                if children else f"本报告由{unit.name}政务公开工作机构编制。")
    return f"""（{MARK}：本报告的单位名称和全部数字均为虚构，由 nianbao synth 生成，仅用于测试，不是真实的政府信息公开工作年度报告。）

{compiled}报告所列数据的统计期间为{year}年1月1日至{year}年12月31日。

## 一、总体情况

### （一）主动公开

全年通过门户网站和政务新媒体主动公开政府信息，本年制发行政规范性文件{t2[("normative_documents", "issued")]}件。

### （二）依申请公开

全年共收到政府信息公开申请{new}件，上年结转{carried}件，结转下年度继续办理{forward}件。

### （三）政府信息管理

按照政务公开事项标准目录动态更新公开内容，落实发布前审核。

### （四）平台建设

持续完善政府网站信息公开专栏，规范政务新媒体管理。

### （五）监督保障

将政务公开纳入年度考核，组织业务培训。全年因政府信息公开引起的行政复议{review}件，行政诉讼{litigation}件。

## 五、存在的主要问题及改进情况

存在的主要问题：专职工作人员不足，部分信息更新不够及时。改进情况：加强业务培训，建立信息更新提醒机制，按季度通报更新情况。

## 六、其他需要报告的事项

本年度未收取政府信息公开信息处理费。
"""


def _figures_text(form, unit: SynthUnit, year: int, values: dict) -> str:
    text = figures_yaml(form, unit.id, year, unit.name, values, FACTS)
    return f"# {MARK}（synthetic data）：单位与数字均为虚构。\n" + text


def _inject(kind: str, figures_text: str, narrative_text: str) -> tuple[str, str]:
    if kind == "missing_value":
        lines = figures_text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            if line.lstrip().startswith("disclosed:"):
                head, _, rest = line.partition("[")
                cells = rest.split("]", 1)
                values = cells[0].split(", ")
                values[0] = "/"
                lines[i] = head + "[" + ", ".join(values) + "]" + cells[1]
                break
        return "".join(lines), narrative_text
    if kind == "bad_heading":
        return figures_text, narrative_text.replace("## 五、存在的主要问题及改进情况", "## 五、存在问题和下一步打算", 1)
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
        nar = narrative(u, year, values, children)
        if u.id in injected:
            fig, nar = _inject(injected[u.id], fig, nar)
        d = root / "data" / str(year) / u.id
        d.mkdir(parents=True, exist_ok=True)
        (d / "figures.yaml").write_text(fig, encoding="utf-8")
        (d / "narrative.md").write_text(nar, encoding="utf-8")
    meta = {"generator": "nianbao synth", "mark": MARK, "seed": seed, "year": year, "units": len(units),
            "rollup": [u.id for u in units if u.rollup], "errors": injected}
    (root / "synthetic.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return SynthResult(root=root, year=year, units=units, errors=injected)
