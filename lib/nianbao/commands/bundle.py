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
    parser.add_argument("--sign", metavar="KEY",
                        help="sign the manifest with this Ed25519 private key (nianbao keygen, or ssh-keygen -t ed25519); "
                             "the signature travels in the bundle as manifest.json.sig")
    add_project(parser)


def main(args) -> int:
    import hashlib

    project = project_of(args)
    key = None
    if args.sign:
        from ..signing import load_private_key

        key = load_private_key(args.sign)  # before packing: a wrong key writes nothing
    path = make_bundle(project, args.unit, args.year, args.out, sign_key=key)
    shown = project.rel(path) if not args.out else args.out
    print(f"bundle {shown} ({path.stat().st_size} bytes)")
    print(f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")
    if key is not None:
        from ..signing import public_fingerprint

        print(f"signed {public_fingerprint(key.public_key())}")
    return 0
