"""nianbao template: print an empty figures file for a unit-year (labels from the form as comments)."""
from __future__ import annotations

import sys

from ..scaffold import figures_yaml
from .common import add_project, add_unit_year, unit_year_form

NAME = "template"
HELP = "输出某单位某年度的空白 figures.yaml 供填写（不写任何文件）"


def add_arguments(parser) -> None:
    add_unit_year(parser)
    add_project(parser)


def main(args) -> int:
    _, unit, form = unit_year_form(args)
    sys.stdout.write(figures_yaml(form, unit.id, args.year, unit.name))
    return 0
