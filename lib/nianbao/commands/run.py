"""nianbao run: execute one unit-year's report notebook and export it."""
from __future__ import annotations

from ..runner import DEFAULT_FORMATS, run_report
from .common import add_project, add_unit_year, project_of

NAME = "run"
HELP = "render one unit's report for a year (executed notebook + HTML/PDF under outputs/)"


def add_arguments(parser) -> None:
    add_unit_year(parser)
    parser.add_argument("--formats", default=",".join(DEFAULT_FORMATS),
                        help="comma-separated output formats: html, pdf (default: %(default)s)")
    add_project(parser)


def main(args) -> int:
    project = project_of(args)
    result = run_report(project, args.unit, args.year, args.formats.split(","))
    for kind, path in result.files.items():
        print(f"{kind:6} {project.rel(path)}")
    return 0
