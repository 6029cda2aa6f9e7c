"""nianbao verify: check a report against its manifest, its recorded inputs and, optionally, a re-run."""
from __future__ import annotations

import sys

from ..errors import VerificationFailed
from ..verify import verify

NAME = "verify"
HELP = ("按 manifest 和记录的输入核验报告（输出目录、report.ipynb、证据包 zip 或其解压目录）；"
        "--rerun 另在全新内核中重新运行并比较（核验通过退出 0，未通过退出 7）")


def add_arguments(parser) -> None:
    parser.add_argument("target", metavar="TARGET",
                        help="outputs/<年度>/<单位>、其中的 report.ipynb、证据包 .zip 或其解压目录，"
                             "或 outputs/<年度>（年度 manifest）")
    parser.add_argument("--rerun", action="store_true",
                        help="用记录的输入在全新内核中重新运行报告并比较（忽略运行时间等易变字段）")
    parser.add_argument("--key", metavar="PUB",
                        help="签名者的 Ed25519 公钥（nianbao keygen 或 ssh-keygen 生成的 .pub）：manifest 必须带有"
                             "这把钥匙的有效签名（manifest.json.sig）")
    parser.add_argument("--allow-kit-change", action="store_true",
                        help="与 --rerun 一起用：重新运行的 nianbao 版本或提交与记录的不同时只作提示；默认视为核验失败")
    parser.add_argument("--project", metavar="DIR",
                        help="核对哪个项目目录中的输入（默认：证据包的 inputs/，或从 TARGET 向上查找）")


def main(args) -> int:
    verdict = verify(args.target, rerun_report=args.rerun, project=args.project, key=args.key,
                     allow_kit_change=args.allow_kit_change)
    for line in verdict.lines():
        print(line)
    sys.stdout.flush()
    return 0 if verdict.passed else VerificationFailed.exit_code
