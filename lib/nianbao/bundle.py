"""``nianbao bundle``: one zip holding a report, its evidence and everything needed to re-run it.

Layout (one top folder, so unzipping never scatters files)::

    <unit>-<year>/
        manifest.json            the run's manifest, unchanged
        report.ipynb, report.html, report.pdf, validation.json   (those the manifest lists)
        inputs/params/units.yaml, inputs/data/<year>/<unit>/..., inputs/notebooks/annual_report.ipynb
        README.txt               how to verify (not evidence; not in the manifest)

The zip is deterministic: entries sorted by name, every timestamp 1980-01-01, fixed permissions. The
same outputs and inputs give the same bytes. ``nianbao verify`` accepts it as it is or unzipped
anywhere, and ``--rerun`` re-executes from the bundled inputs.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from . import atomic
from . import manifest as mf
from .errors import InputError, VerificationFailed
from .project import Project
from .verify import BUNDLE_INPUTS, BUNDLE_README, verify

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

README = """\
nianbao 报告证据包 / report evidence bundle: {unit} {year}

本压缩包包含一份政府信息公开工作年度报告的执行笔记本（report.ipynb）、导出的报告、数据校验结果、
生成它所用的全部输入文件（inputs/ 下，保持项目中的相对路径）以及 manifest.json（每个文件的 SHA-256）。

核验（需要安装 nianbao）：
    nianbao verify {name}.zip            # 核对文件未被改动、输入与记录一致
    nianbao verify {name}.zip --rerun    # 另外在全新内核中重新运行并比较结果
    nianbao verify {name}.zip --key 签名者.pub   # 证据包带签名（manifest.json.sig）时，核对签名

This archive holds the executed notebook, the exported report, the validation results, every input
the report was made from (under inputs/, at their project-relative paths) and manifest.json (the
SHA-256 of each). Verify with `nianbao verify <this zip or its unzipped folder> [--rerun]`.
"""


def default_path(project: Project, unit: str, year: int) -> Path:
    return project.outputs_dir / "bundles" / f"{unit}-{year}.zip"


def bundle_entries(project: Project, unit: str, year: int, sign_key=None) -> dict[str, bytes]:
    """Archive name → content. Refuses when the outputs or inputs no longer match the manifest."""
    out_dir = project.output_dir(unit, year)
    man_path = out_dir / mf.MANIFEST_NAME
    if not man_path.is_file():
        raise InputError(f"{project.rel(man_path)} 不存在：请先运行 `nianbao run --unit {unit} --year {year}` / "
                         "no manifest: run the report first")
    verdict = verify(out_dir, project=project.root)
    if not verdict.passed:
        raise VerificationFailed("\n".join(["报告与其记录不一致，未生成证据包 / outputs do not match their record, no bundle written:"]
                                           + [f"  {f}" for f in verdict.failures]))
    manifest = mf.load(man_path)
    top = f"{unit}-{year}"
    entries = {f"{top}/{mf.MANIFEST_NAME}": man_path.read_bytes()}
    for name in manifest["outputs"]:
        entries[f"{top}/{name}"] = (out_dir / name).read_bytes()
    for rec in manifest["inputs"].values():
        entries[f"{top}/{BUNDLE_INPUTS}/{rec['path']}"] = (project.root / rec["path"]).read_bytes()
    entries[f"{top}/{BUNDLE_README}"] = README.format(unit=unit, year=year, name=top).encode("utf-8")
    if sign_key is not None:  # over the manifest's exact bytes: it vouches for every hash listed in it
        from .signing import SIGNATURE_NAME, sign

        entries[f"{top}/{SIGNATURE_NAME}"] = sign(entries[f"{top}/{mf.MANIFEST_NAME}"], sign_key)
    # verify() above checked the hashes; check again what is actually being packed.
    for name, rec in list(manifest["outputs"].items()):
        if hashlib.sha256(entries[f"{top}/{name}"]).hexdigest() != rec["sha256"]:
            raise VerificationFailed(f"{name} 在打包时被改动 / changed while bundling")
    return entries


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below are read as such everywhere
            info.external_attr = 0o100644 << 16
            zf.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def make_bundle(project: Project, unit: str, year: int, out: str | Path | None = None, *, sign_key=None) -> Path:
    """Write the bundle (atomically) and return its path; with ``sign_key`` (an Ed25519 private key)
    the manifest is signed (``manifest.json.sig``, OpenSSH signature format)."""
    target = Path(out) if out else default_path(project, unit, year)
    data = zip_bytes(bundle_entries(project, unit, int(year), sign_key=sign_key))
    atomic.write_bytes(target, data)
    return target
