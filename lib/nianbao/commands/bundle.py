"""nianbao bundle: one zip with a unit-year's report, its evidence and its inputs, verifiable anywhere."""
from __future__ import annotations

from ..bundle import make_bundle
from .common import add_project, add_unit_year, project_of

NAME = "bundle"
HELP = ("pack a unit-year's executed notebook, HTML, PDF, validation results, inputs and manifest into "
        "one zip that `nianbao verify` accepts on any machine")


def add_arguments(parser) -> None:
    add_unit_year(parser)
    parser.add_argument("--out", metavar="FILE", help="where to write the zip (default: outputs/bundles/<unit>-<year>.zip)")
    add_project(parser)


def main(args) -> int:
    project = project_of(args)
    path = make_bundle(project, args.unit, args.year, args.out)
    shown = project.rel(path) if not args.out else args.out
    print(f"bundle {shown} ({path.stat().st_size} bytes)")
    return 0
