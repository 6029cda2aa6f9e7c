"""Hostile or broken input (issue #14): bounded narrative, only printable values print, strict
registry and fact types, YAML tags, odd files — each a clear error with file:line and the documented
exit code, never a hang, a traceback or a figure printed wrong."""
from __future__ import annotations

import pytest

from conftest import REPO
from nianbao import narrative_bounds
from nianbao.cli import main
from nianbao.errors import InputError
from nianbao.report import open_report
from nianbao.units import load_units

NARRATIVE = "data/2022/zhungeer/narrative.md"
FIGURES = "data/2022/zhungeer/figures.yaml"
UNITS = "params/units.yaml"


def overview(project_dir, body: str) -> str:
    (project_dir / NARRATIVE).write_text(f"## 一、总体情况\n\n{body}\n", encoding="utf-8")
    return open_report("zhungeer", 2022, project_dir).rendered.text("overview")


def overview_error(project_dir, body: str) -> str:
    with pytest.raises(InputError) as exc:
        overview(project_dir, body)
    return str(exc.value)


def edit(project_dir, rel: str, old: str, new: str) -> None:
    f = project_dir / rel
    text = f.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    f.write_text(text.replace(old, new), encoding="utf-8")


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------------
# Bounded narrative


def test_repeated_squaring_stops_at_the_number_bound(project_dir):
    # the attack: 26 lines of {% set aN = aN-1 * aN-1 %} ran until killed
    lines = ["{% set a0 = 3 %}"] + [f"{{% set a{i} = a{i - 1} * a{i - 1} %}}" for i in range(1, 27)] + ["{{ a26 }}"]
    msg = overview_error(project_dir, "\n".join(lines))
    # 3^32 has 16 digits; a6 = 3^64 has 31: the line of a6 (source line 3 + 6)
    assert msg == (f"{NARRATIVE}:9: 超出叙述计算的限制：计算中出现 31 位的数，超过 18 位的上限。"
                   "年报中的数字不会这么大；请检查是否误写了连乘（如 a * a）。")


def test_repeated_squaring_exits_3_from_validate_and_run(project_dir, capsys):
    lines = ["{% set a0 = table3.new.total %}"] + [f"{{% set a{i} = a{i - 1} * a{i - 1} %}}" for i in range(1, 27)]
    (project_dir / NARRATIVE).write_text("## 一、总体情况\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = cli(capsys, "run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir))
    assert code == 3  # before any kernel starts: nothing written
    assert f"{NARRATIVE}:7: 超出叙述计算的限制：计算中出现 29 位的数，超过 18 位的上限。" in err  # a4 = 57^16
    assert "Traceback" not in err
    assert not (project_dir / "outputs/2022").exists()


def test_repeated_concatenation_stops_at_the_text_bound(project_dir):
    # the attack: ~ concatenation built a 1 GB string in 8 s
    lines = ["{% set s0 = 'xxxxxxxxxx' %}"] + [f"{{% set s{i} = s{i - 1} ~ s{i - 1} %}}" for i in range(1, 27)]
    msg = overview_error(project_dir, "\n".join(lines) + "\n{{ s26 }}")
    # 10 · 2^14 = 163840 > 100000: the line of s14
    assert msg == (f"{NARRATIVE}:17: 超出叙述计算的限制：拼接出的文字超过 100000 个字符的上限。"
                   "请直接写出文字，不要用 ~ 反复拼接。")


def test_printing_a_long_text_many_times_stops_at_the_output_bound(project_dir):
    lines = ["{% set s0 = 'xxxxxxxxxx' %}"] + [f"{{% set s{i} = s{i - 1} ~ s{i - 1} %}}" for i in range(1, 14)]
    body = "\n".join(lines) + "\n" + "\n".join("{{ s13 }}" for _ in range(13))  # 13 × 81920 > 10^6
    msg = overview_error(project_dir, body)
    assert msg == f"{NARRATIVE}:29: 超出叙述计算的限制：占位符输出的文字累计超过 1000000 个字符的上限。"


def test_render_time_bound(project_dir, monkeypatch):
    monkeypatch.setattr(narrative_bounds, "LIMITS", narrative_bounds.Limits(render_seconds=-1))
    msg = overview_error(project_dir, "第一行\n收到申请{{ table3.new.total }}件。")
    assert msg.startswith(f"{NARRATIVE}:4: 超出叙述计算的限制：叙述计算超过 -1 秒的时间上限而被中止。")


def test_text_operators_are_refused_not_repeated(project_dir):
    assert "连接文字请用 ~" in overview_error(project_dir, "{{ 'ab' + 'cd' }}")
    assert "只能用于数字" in overview_error(project_dir, "{{ -unit }}")


# --------------------------------------------------------------------------------------------------
# Only printable values print


@pytest.mark.parametrize("placeholder, what", [
    ("{{ table3 }}", "表三整张表"),
    ("{{ table3.group }}", "函数或方法"),
    ("{{ table3.new }}", "表三「一、本年新收政府信息公开申请数量」整行"),
    ("{{ table3.group('（四）无法提供') }}", "表三分组「（四）无法提供」"),
    ("{{ fact }}", "全部叙述数字（facts）"),
    ("{{ prior }}", "空值（None）"),
    ("{{ fact.has('x') }}", "是/否判断值"),
    ("{{ [1, 2] }}", "列表"),
    ("{{ {'a': 1} }}", "映射"),
    ("{{ std.requests }}", "函数或方法"),
])
def test_only_printable_values_print(project_dir, placeholder, what):
    msg = overview_error(project_dir, f"共收到{{{{ table3.new.total }}}}件，{placeholder}。")
    assert msg.startswith(f"{NARRATIVE}:3: 占位符 {placeholder} 的值不是可以印在报告中的数字或文字（它是{what}")
    assert "0x" not in msg and "object" not in msg


def test_methods_of_text_are_refused(project_dir):
    # before: {{ unit.format }} printed <function str.format at 0x…>
    msg = overview_error(project_dir, "{{ unit.format }}")
    assert msg == (f"{NARRATIVE}:3: 不允许的占位符（access to attribute 'format' of 'str' object is unsafe.）。"
                   "叙述中只能引用数据，不能访问程序内部。")


def test_the_wrong_placeholder_is_named_among_several_on_a_line(project_dir):
    msg = overview_error(project_dir, "{{ table3.new.total }} {{ table4 }} {{ table2.fees.amount }}")
    assert msg.startswith(f"{NARRATIVE}:3: 占位符 {{{{ table4 }}}} 的值")


def test_concatenated_internals_are_refused(project_dir):
    msg = overview_error(project_dir, "{{ '共' ~ table3 }}")
    assert msg.startswith(f"{NARRATIVE}:3: 用 ~ 连接的一个值不是数字或文字（它是表三整张表")


@pytest.mark.parametrize("placeholder, text", [
    ("{{ table2.fees.amount * table2.fees.amount }}", "10222036.0454"),  # 10222036.04538561
    ("{{ table2.fees.amount / 3 }}", "1065.7306"),
    ("{{ table2.fees.amount * 2 }}", "6394.3838"),
    ("{{ table2.fees.amount * 1000000 }}", "3197191900.0000"),
    ("{{ table3.new.total / 2 }}", "28.5"),
    ("{{ 1 / 3 }}", "0.3333"),
    ("{{ table3.new.total * 0.5 }}", "28.5"),
    ("{{ table3.new.total + table3.new.total - 4 }}", "110"),
    ("{{ -table3.new.total }}", "-57"),
])
def test_computed_numbers_print_at_the_forms_precision(project_dir, placeholder, text):
    # before: Decimal arithmetic printed 3.197191900000000000000000000E+33, 1/3 printed 0.3333333333333333
    assert overview(project_dir, placeholder) == text


def test_fee_written_with_trailing_zeros_prints_at_the_forms_precision(project_dir):
    edit(project_dir, FIGURES, "fees: {amount: 3197.1919}", "fees: {amount: 3197.191900000}")
    report = open_report("zhungeer", 2022, project_dir)
    (project_dir / NARRATIVE).write_text("## 一、总体情况\n\n收费{{ table2.fees.amount }}万元。\n", encoding="utf-8")
    report = open_report("zhungeer", 2022, project_dir)
    assert report.rendered.text("overview") == "收费3197.1919万元。"
    html = report.section("proactive").html
    assert "3197.1919<" in html and "3197.191900000" not in html


# --------------------------------------------------------------------------------------------------
# Strict registry types


def write_units(tmp_path, body: str):
    p = tmp_path / "units.yaml"
    p.write_text("units:\n" + body, encoding="utf-8")
    return p


def units_error(tmp_path, body: str) -> str:
    with pytest.raises(InputError) as exc:
        load_units(write_units(tmp_path, body), display="params/units.yaml")
    return str(exc.value)


@pytest.mark.parametrize("body, message", [
    ("  a:\n    name: [甲, 乙]\n    level: county\n",
     "params/units.yaml:3: 单位 'a': name 应是单位全称的文字（如 准格尔旗人民政府），实际是一个列表。若名称全是数字，请加引号。"),
    ("  a:\n    name: 12345\n    level: county\n",
     "params/units.yaml:3: 单位 'a': name 应是单位全称的文字（如 准格尔旗人民政府），实际是 '12345'。若名称全是数字，请加引号。"),
    ("  a:\n    name: {x: 1}\n    level: county\n",
     "params/units.yaml:3: 单位 'a': name 应是单位全称的文字（如 准格尔旗人民政府），实际是一个映射。若名称全是数字，请加引号。"),
    ("  a:\n    name: \"甲\\n乙\"\n    level: county\n",
     "params/units.yaml:3: 单位 'a': name '甲\\n乙' 含换行或制表符；请写成一行。"),
    ("  \"zhungeer\\n\":\n    name: 甲\n    level: county\n",
     "params/units.yaml:2: 单位 'zhungeer\\n': 编号只能用小写英文字母、数字、- 和 _（如 zhungeer）；中文名称写在 name 中。"),
    ("  a:\n    name: 甲\n    level: county\n    parent: a\n",
     "params/units.yaml:2: 单位 'a' 的上级是它自己。parent 应写上级单位的编号，没有上级写 null。"),
    ("  a:\n    name: 甲\n    level: county\n    parent: b\n  b:\n    name: 乙\n    level: city\n    parent: a\n",
     "params/units.yaml:2: 上级关系形成循环：a → b → a。每个单位的上级链最终应到达一个没有上级（parent: null）的单位；"
     "请改正其中一个 parent。"),
    ("  a:\n    name: 甲\n    level: [county]\n",
     "params/units.yaml:2: 单位 'a': level ['county'] 无效"),
    ("  a:\n    name: 甲\n    level: county\n    kind: {x: 1}\n",
     "params/units.yaml:2: 单位 'a': kind {'x': 1} 无效"),
])
def test_registry_types_are_strict(tmp_path, body, message):
    assert message in units_error(tmp_path, body)


def test_longer_parent_cycle_is_reported_once(tmp_path):
    body = "".join(f"  u{i}:\n    name: 单位{i}\n    level: county\n    parent: u{(i + 1) % 3}\n" for i in range(3))
    body += "  ok:\n    name: 好\n    level: city\n    parent: u0\n"
    msg = units_error(tmp_path, body)
    assert msg == ("params/units.yaml:2: 上级关系形成循环：u0 → u1 → u2 → u0。每个单位的上级链最终应到达一个没有上级"
                   "（parent: null）的单位；请改正其中一个 parent。")


def test_registry_errors_exit_3_from_the_cli(project_dir, capsys):
    edit(project_dir, UNITS, "name: 准格尔旗人民政府", "name: [准格尔旗, 人民政府]")
    code, _, err = cli(capsys, "validate", "--year", "2022", "--project", str(project_dir))
    assert code == 3 and "name 应是单位全称的文字" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------------
# Strict fact types


@pytest.mark.parametrize("old, new, message", [
    ("approx: true}", "approx: 'false'}",
     "facts.items_removed: approx 应写 true 或 false（是否为约数，印作“余”），不加引号；实际是 'false'。"),
    ("approx: true}", "approx: 1}",
     "facts.items_removed: approx 应写 true 或 false（是否为约数，印作“余”），不加引号；实际是 '1'。"),
    ("{value: 6361, unit: 条,", "{value: 6361, unit: {a: 1},", "facts.website_items: unit 应是单位的文字，如 条，实际是一个映射。"),
    ("{value: 6361, unit: 条,", "{value: 6361, unit: [条],", "facts.website_items: unit 应是单位的文字，如 条，实际是一个列表。"),
    ("label: 政府网站发布的各类政府信息}", "label: [a, b]}", "facts.website_items: label 应是说明文字，实际是一个列表。"),
])
def test_fact_types_are_strict(project_dir, capsys, old, new, message):
    edit(project_dir, FIGURES, old, new)
    code, _, err = cli(capsys, "run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir))
    assert code == 3
    assert f"{FIGURES}:" in err and message in err
    assert "6361余" not in err


# --------------------------------------------------------------------------------------------------
# An unreadable prior year never lets a report pass


@pytest.mark.parametrize("make_prior", ["yaml_error", "directory"])
def test_unreadable_prior_year_fails_validation(project_dir, capsys, make_prior):
    prior = project_dir / "data/2021/zhungeer/figures.yaml"
    prior.parent.mkdir(parents=True)
    if make_prior == "yaml_error":
        prior.write_text((REPO / FIGURES).read_text(encoding="utf-8").replace("year: 2022", "year: 2021")
                         .replace("new:       ", "new: [1, 2", 1), encoding="utf-8")
    else:
        prior.mkdir()
    code, out, err = cli(capsys, "validate", "--year", "2022", "--unit", "zhungeer", "--project", str(project_dir))
    assert code == 4
    assert "X-PRIOR-UNREADABLE" in out and "上年数据文件无法读取，跨年度校验（X-CARRY-OVER、X-IN-FORCE）无法执行" in out
    assert "data/2021/zhungeer/figures.yaml" in out
    assert ("YAML 格式错误" if make_prior == "yaml_error" else "这是一个文件夹，不是文件") in out


# --------------------------------------------------------------------------------------------------
# Tracebacks → documented exit codes


def run_cli(capsys, project_dir, *extra) -> tuple[int, str]:
    code, _, err = cli(capsys, "run", "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir), *extra)
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("value, message", [
    ('!!python/object/apply:os.system ["touch pwned"]',
     "figures.yaml:12: 不支持的 YAML 标签 'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("!foo 78395", "figures.yaml:12: 不支持的 YAML 标签 '!foo'"),
    ("!!int abc", "figures.yaml:12: 值 'abc' 不能按标签 int 读取（ValueError）"),
    ("!!float x", "figures.yaml:12: 值 'x' 不能按标签 float 读取（ValueError）"),
    ("!!int {a: 1}", "figures.yaml:12: 不支持的 YAML 标签 'tag:yaml.org,2002:int'"),
    ("5" * 5000, "figures.yaml:12: 数字有 5000 个字符，超过 40 个字符的上限"),
    ('"' + "5" * 5000 + '"', "figures.yaml:12: 表二 第3行「行政许可」 列「本年处理决定数量」: 数字有 5000 位整数，超过 15 位的上限"),
    ("1234567890123456", "列「本年处理决定数量」: 数字有 16 位整数，超过 15 位的上限"),
])
def test_hostile_values_in_figures_exit_3(project_dir, capsys, value, message):
    edit(project_dir, FIGURES, "licensing: {decisions: 78395}", f"licensing: {{decisions: {value}}}")
    code, err = run_cli(capsys, project_dir)
    assert code == 3 and message in err, err
    assert not (project_dir / "notebooks/pwned").exists() and not (project_dir / "pwned").exists()
    assert not (project_dir / "outputs/2022").exists()


@pytest.mark.parametrize("old, new, message", [
    ("level: county", "level: !!python/name:os.system county",
     "params/units.yaml:16: 不支持的 YAML 标签 'tag:yaml.org,2002:python/name:os.system'"),
    ("level: county", "level: !county", "params/units.yaml:16: 不支持的 YAML 标签 '!county'"),
    ("parent: null", "parent: !!bool maybe", "params/units.yaml:17: 值 'maybe' 不能按标签 bool 读取（KeyError）"),
])
def test_yaml_tags_in_the_registry_exit_3(project_dir, capsys, old, new, message):
    block = "name: 准格尔旗人民政府\n    level: county\n    parent: null"
    edit(project_dir, UNITS, block, block.replace(old, new))
    code, _, err = cli(capsys, "validate", "--year", "2022", "--project", str(project_dir))
    assert code == 3 and message in err, err


def test_form_given_as_a_list_exits_3(project_dir, capsys):
    edit(project_dir, FIGURES, "form: gov2021", "form: [gov2021]")
    code, err = run_cli(capsys, project_dir)
    assert code == 3
    assert f"{FIGURES}:5: form 应是报告格式的编号（如 form: gov2021），实际是一个列表。" in err


@pytest.mark.parametrize("command", ["run", "validate"])
def test_figures_file_that_is_a_folder_exits_3(project_dir, capsys, command):
    (project_dir / FIGURES).unlink()
    (project_dir / FIGURES).mkdir()
    code, _, err = cli(capsys, command, "--unit", "zhungeer", "--year", "2022", "--project", str(project_dir))
    assert code == 3 and f"{FIGURES}: 这是一个文件夹，不是文件。" in err and "Traceback" not in err


def test_project_without_notebooks_exits_3(project_dir, capsys):
    import shutil

    shutil.rmtree(project_dir / "notebooks")
    code, err = run_cli(capsys, project_dir)
    assert code == 3
    assert "notebooks/annual_report.ipynb: 项目中没有报告笔记本。请从 nianbao 仓库复制" in err


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16LE"), ("utf-16-le", "UTF-16LE"),
                                            ("utf-16-be", "UTF-16BE"), ("utf-32", "UTF-32")])
def test_utf16_files_get_their_own_hint(project_dir, capsys, encoding, name):
    text = (project_dir / FIGURES).read_text(encoding="utf-8")
    (project_dir / FIGURES).write_bytes(text.encode(encoding))
    code, err = run_cli(capsys, project_dir)
    assert code == 3
    assert f"{FIGURES}: 文件是 {name} 编码" in err and f"iconv -f {name} -t UTF-8" in err
    assert "GBK" not in err


def test_a_huge_input_file_is_refused_without_reading_it(project_dir, capsys):
    with open(project_dir / NARRATIVE, "wb") as fh:
        fh.truncate(9 * 1024 * 1024)  # sparse: 9 MB of NUL bytes
    code, err = run_cli(capsys, project_dir)
    assert code == 3 and f"{NARRATIVE}: 文件超过 8 MB，不像是数据文件或叙述文本" in err


def test_a_kernel_that_does_not_exist_exits_6(project_dir, monkeypatch):
    from nianbao import runner
    from nianbao.errors import SetupError
    from nianbao.project import Project

    with pytest.raises(SetupError) as exc:
        runner.run_report(Project(project_dir), "zhungeer", 2022, kernel_name="no-such-kernel-i14")
    assert str(exc.value).startswith("找不到名为 'no-such-kernel-i14' 的 Jupyter 内核。请运行 make setup")
    assert exc.value.exit_code == 6
    assert sorted(p.name for p in (project_dir / "outputs/2022/zhungeer").iterdir()) == []


def test_loopback_down_is_named_before_a_kernel_waits(monkeypatch):
    import socket

    from nianbao.errors import SetupError
    from nianbao.kernelcheck import check_loopback

    def unreachable(*a, **k):
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", unreachable)
    with pytest.raises(SetupError) as exc:
        check_loopback()
    assert str(exc.value).startswith("报告内核无法启动：本机回环网络 127.0.0.1 不可用（Network is unreachable）。")


@pytest.mark.parametrize("expr", ["table3.new.total / 0", "table2.fees.amount // 0", "table3.new.total % (3 - 3)"])
def test_division_by_zero_is_named(project_dir, expr):
    op = expr.split()[1]
    assert overview_error(project_dir, "{{ " + expr + " }}") == f"{NARRATIVE}:3: 占位符无法计算：{op} 运算的除数为 0。"


def test_the_exponent_notation_attack(project_dir):
    # before: {{ table2.fees.amount * 1000000000000000000000000000000 }} printed 3.197191900000000000000000000E+33
    msg = overview_error(project_dir, "{{ table2.fees.amount * 1000000000000000000000000000000 }}")
    assert msg.startswith(f"{NARRATIVE}:3: 超出叙述计算的限制：计算中出现 31 位的数，超过 18 位的上限。")
    assert overview(project_dir, "{{ table2.fees.amount * 100000000000 }}") == "319719190000000.0000"
