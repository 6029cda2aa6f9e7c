"""nianbao template: print an empty figures file for a unit-year (labels from the form as comments)."""
from __future__ import annotations

import sys

from ..scaffold import figures_yaml
from .common import add_project, add_unit_year, unit_year_form

NAME = "template"
HELP = "print a blank figures.yaml for a unit and year, to fill in (writes nothing)"


def add_arguments(parser) -> None:
    add_unit_year(parser)
    add_project(parser)


def main(args) -> int:
    _, unit, form = unit_year_form(args)
    sys.stdout.write(figures_yaml(form, unit.id, args.year, unit.name))
    return 0
