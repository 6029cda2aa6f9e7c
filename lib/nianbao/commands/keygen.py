"""nianbao keygen: a new Ed25519 key pair for signing evidence bundles (OpenSSH format)."""
from __future__ import annotations

import getpass
import socket

from ..signing import PASSPHRASE_ENV, keygen

NAME = "keygen"
HELP = "生成签名用的 Ed25519 密钥对（OpenSSH 格式：私钥与 .pub 公钥），供 nianbao bundle --sign 使用"


def add_arguments(parser) -> None:
    parser.add_argument("--out", default="nianbao_ed25519", metavar="FILE",
                        help="私钥文件（公钥写到 FILE.pub）；已存在时不覆盖（默认 %(default)s）")
    parser.add_argument("--comment", metavar="TEXT",
                        help="写在公钥末尾的说明，如单位名称（默认 用户@主机）")
    parser.epilog = (f"若设置了环境变量 {PASSPHRASE_ENV}，私钥以此口令加密。私钥自行保管，只把 .pub 公钥交给核验方。")


def main(args) -> int:
    comment = args.comment if args.comment is not None else f"{getpass.getuser()}@{socket.gethostname()}"
    private, public, fp = keygen(args.out, comment)
    print(f"私钥 / private key: {private}（仅本人保管 / keep it secret）")
    print(f"公钥 / public key:  {public}（交给核验方 / give to verifiers）")
    print(f"指纹 / fingerprint: {fp}")
    return 0
