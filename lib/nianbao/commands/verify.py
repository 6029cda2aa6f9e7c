"""nianbao verify: check a report against its manifest, its recorded inputs and, optionally, a re-run."""
from __future__ import annotations

import sys

from ..errors import VerificationFailed
from ..verify import verify

NAME = "verify"
HELP = ("check a report (outputs folder, report.ipynb, bundle zip or folder) against its manifest and "
        "recorded inputs; --rerun also re-executes it and compares (exit 0 verified, 7 failed)")


def add_arguments(parser) -> None:
    parser.add_argument("target", metavar="TARGET",
                        help="outputs/<year>/<unit>, its report.ipynb, a bundle .zip or its unzipped folder, "
                             "or outputs/<year> (year manifest)")
    parser.add_argument("--rerun", action="store_true",
                        help="re-execute the report in a fresh kernel from the recorded inputs and compare "
                             "(volatile fields such as run times are ignored)")
    parser.add_argument("--key", metavar="PUB",
                        help="the signer's Ed25519 public key (.pub from nianbao keygen or ssh-keygen): the manifest "
                             "must carry a valid signature by it (manifest.json.sig)")
    parser.add_argument("--allow-kit-change", action="store_true",
                        help="with --rerun: accept (as a note) a re-run by another nianbao version or commit than "
                             "the recorded one; by default that is a failure")
    parser.add_argument("--project", metavar="DIR",
                        help="project folder whose inputs to check (default: the bundle's inputs/, or found "
                             "from TARGET)")


def main(args) -> int:
    verdict = verify(args.target, rerun_report=args.rerun, project=args.project, key=args.key,
                     allow_kit_change=args.allow_kit_change)
    for line in verdict.lines():
        print(line)
    sys.stdout.flush()
    return 0 if verdict.passed else VerificationFailed.exit_code
