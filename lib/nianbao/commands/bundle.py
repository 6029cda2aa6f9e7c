"""nianbao bundle: one zip with a unit-year's report, its evidence and its inputs, verifiable anywhere."""
from __future__ import annotations

from ..bundle import make_bundle
from .common import add_project, add_unit_year, project_of

NAME = "bundle"
HELP = "把一个单位一年的执行笔记本、各格式报告、校验结果、输入文件和 manifest 打包成一个 zip，任何机器上都可用 nianbao verify 核验"


def add_arguments(parser) -> None:
    add_unit_year(parser)
    parser.add_argument("--out", metavar="FILE", help="zip 写到哪里（默认：outputs/bundles/<单位>-<年度>.zip）")
    parser.add_argument("--sign", metavar="KEY",
                        help="用这把 Ed25519 私钥（nianbao keygen 或 ssh-keygen -t ed25519 生成）签署 manifest；"
                             "签名以 manifest.json.sig 随证据包一起保存")
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
