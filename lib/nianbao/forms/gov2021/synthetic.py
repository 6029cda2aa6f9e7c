"""The synthetic-data recipe of the 2021 format (``nianbao synth``): consistent figures and a
narrative that states only figures equal to the cells they name. See :mod:`nianbao.synthetic`."""
from __future__ import annotations

from decimal import Decimal

# 表三 result rows and how often each result occurs (relative weights).
RESULT_WEIGHTS = {
    "disclosed": 40, "partially_disclosed": 6, "withheld_state_secret": 1, "withheld_prohibited_by_law": 1,
    "withheld_security_stability": 1, "withheld_third_party": 2, "withheld_internal_affairs": 2,
    "withheld_process_info": 2, "withheld_enforcement_files": 1, "withheld_inquiry": 2,
    "unavailable_not_held": 20, "unavailable_needs_creation": 4, "unavailable_unclear": 4,
    "unprocessed_petition": 3, "unprocessed_duplicate": 2, "unprocessed_publication": 1,
    "unprocessed_excessive": 1, "unprocessed_confirmation": 1, "other_no_correction": 3,
    "other_fee_unpaid": 1, "other_other": 2,
}
# 表三 applicant columns: (key, largest number of new applications a unit receives from them)
APPLICANTS = (("natural_person", 40), ("commercial", 6), ("research", 1), ("nonprofit", 1),
              ("legal_services", 2), ("other_org", 2))
# The 表三 row whose first cell the ``missing_value`` defect replaces by "/".
MISSING_VALUE_ROW = "disclosed"


def table3_values(form, rng, result_weights=RESULT_WEIGHTS) -> dict:
    t3 = form.table("table3")
    rows = [r.key for r in t3.rows]
    result_rows = list(result_weights)
    weights = list(result_weights.values())
    v3: dict = {}
    for col, top in APPLICANTS:
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
        v3[(row, "total")] = sum(v3[(row, c)] for c, _ in APPLICANTS)
    return v3


def table4_values(rng) -> dict:
    v4: dict = {}
    for row in ("review", "litigation_direct", "litigation_after_review"):
        parts = {k: (rng.randint(0, 2) if rng.random() < 0.15 else 0) for k in ("upheld", "corrected", "other", "pending")}
        v4.update({(row, k): v for k, v in parts.items()})
        v4[(row, "total")] = sum(parts.values())
    return v4


def unit_values(form, rng) -> dict:
    """Consistent figures for one (non-roll-up) unit."""
    v3 = table3_values(form, rng)
    v4 = table4_values(rng)
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


def county_own_values(form, rng, out: dict) -> None:
    """The roll-up county's cells that are not its children's sums (``rollup: own``)."""
    issued = out["table2"][("normative_documents", "issued")]
    out["table2"][("regulations", "in_force")] = 0
    out["table2"][("normative_documents", "in_force")] = issued + rng.randint(20, 80)
    out["table2"][("fees", "amount")] = Decimal(rng.randint(0, 20_000_000)) / 10000


def proactive_sentence(values: dict) -> str:
    return f"全年通过门户网站和政务新媒体主动公开政府信息，本年制发行政规范性文件{values['table2'][('normative_documents', 'issued')]}件。"


def narrative(mark: str, unit_name: str, year: int, values: dict, children=(), proactive=proactive_sentence) -> str:
    t3, t4 = values["table3"], values["table4"]
    new, carried = t3[("new", "total")], t3[("carried_over", "total")]
    forward, review = t3[("carried_forward", "total")], t4[("review", "total")]
    litigation = t4[("litigation_direct", "total")] + t4[("litigation_after_review", "total")]
    compiled = (f"本报告由{unit_name}政务公开工作机构汇总全县{len(children)}个乡镇的年度报告数据编制。"
                if children else f"本报告由{unit_name}政务公开工作机构编制。")
    return f"""（{mark}：本报告的单位名称和全部数字均为虚构，由 nianbao synth 生成，仅用于测试，不是真实的政府信息公开工作年度报告。）

{compiled}报告所列数据的统计期间为{year}年1月1日至{year}年12月31日。

## 一、总体情况

### （一）主动公开

{proactive(values)}

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
