"""Arguments shared by several commands."""
from __future__ import annotations

import argparse

from ..project import Project


def add_project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", metavar="DIR",
                        help="项目目录（含 params/、data/、notebooks/）；默认从当前目录向上查找")


def add_unit_year(parser: argparse.ArgumentParser, unit_required: bool = True) -> None:
    """--unit and --year (with --project, every per-unit command takes these)."""
    parser.add_argument("--unit", required=unit_required, metavar="ID", help="params/units.yaml 中的单位编号，如 zhungeer")
    parser.add_argument("--year", required=True, type=int, metavar="YEAR", help="报告年度，如 2022")


def project_of(args) -> Project:
    return Project.find(args.project)


def unit_year_form(args):
    """(project, unit, form) for a command given --unit and --year."""
    from .. import forms

    project = project_of(args)
    return project, project.units().get(args.unit), forms.for_year(args.year)
