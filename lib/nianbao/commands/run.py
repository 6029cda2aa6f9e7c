"""nianbao run: execute one unit-year's report notebook and export it."""
from __future__ import annotations

import sys

from ..errors import ValidationFailed
from ..outputs import FORMATS
from ..runner import run_report
from ..validation.evidence import FILENAME as VALIDATION_JSON, read_status
from .common import add_project, add_unit_year, project_of

NAME = "run"
HELP = "生成一个单位一年的报告（执行笔记本，并在 outputs/ 下写出 HTML、PDF、Word 等）"


def add_arguments(parser) -> None:
    add_unit_year(parser)
    parser.add_argument("--formats", default=None,
                        help="输出格式，逗号分隔：html、pdf、docx（默认：params/project.yaml 中的 formats，未设置则为 html）")
    parser.add_argument("--allow-invalid", action="store_true",
                        help="数据校验未通过时也以 0 退出（报告总会显示校验问题）")
    add_project(parser)


def main(args) -> int:
    project = project_of(args)
    result = run_report(project, args.unit, args.year, args.formats.split(",") if args.formats is not None else None)
    labels = {name: f.label for name, f in FORMATS.items()} | {
        "ipynb": "执行笔记本", "validation.json": "校验结果", "manifest": "清单"}
    print(f"已生成 {project.units().get(result.unit).name}（{result.unit}）{result.year} 年的报告：")
    for kind, path in result.files.items():
        print(f"  {labels.get(kind, kind)}：{project.rel(path)}")
    sys.stdout.flush()
    for name, path in result.stale.items():
        print(f"旧的 {name} 不是本次生成的，与新报告不符，已移到 {project.rel(path)}", file=sys.stderr)
    check_validation(result, allow_invalid=getattr(args, "allow_invalid", False))
    return 0


def check_validation(result, *, allow_invalid: bool = False) -> None:
    """Raise ValidationFailed (exit 4) when the written report failed validation; outputs stay in place."""
    path = result.files.get(VALIDATION_JSON)
    if path is None or allow_invalid:
        return
    code, counts = read_status(path)
    na = _not_assessable_rules(path)
    if na and code != "failed":  # a pass with rules that could not be checked is not a plain pass
        from ..validation.result import not_assessable_text

        print(f"注意：{not_assessable_text(na)}（见报告中的“数据校验结果”和 {path.name}）。", file=sys.stderr)
    if code == "failed":
        raise ValidationFailed(
            f"报告已生成，但数据校验未通过：{counts.get('error', 0)} 个错误，{counts.get('warning', 0)} 个警告"
            f"（见报告中的“数据校验结果”和 {path.name}）。核对数据后重新生成；确需先生成草稿时可加 --allow-invalid。")


def _not_assessable_rules(path) -> int:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    return int((data.get("assessment") or {}).get("not_assessable_rules", 0))
