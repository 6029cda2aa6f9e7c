"""Signed evidence (issue #14), the parts that need no report run: keygen, the OpenSSH signature format
both ways, key files, extraction limits, the kit comparison. Signed bundles of a real run, tampering
with them and verify --rerun against another kit are in tests/test_audit.py (its shared run)."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import REPO
from nianbao import provenance, signing
from nianbao.cli import main
from nianbao.errors import InputError, VerificationFailed
from nianbao.verify import kit_differences, safe_extract

UNIT, YEAR = "zhungeer", "2022"


def cli(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    base = tmp_path_factory.mktemp("keys")
    good = signing.keygen(base / "office", "信息公开办")
    other = signing.keygen(base / "other", "someone else")
    return good, other


def test_keygen_writes_an_openssh_key_pair_and_never_overwrites(tmp_path, capsys):
    code, out = cli(capsys, "keygen", "--out", tmp_path / "k", "--comment", "准格尔旗政务公开办")
    assert code == 0
    private, public = tmp_path / "k", tmp_path / "k.pub"
    assert private.stat().st_mode & 0o777 == 0o600
    assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    line = public.read_text(encoding="utf-8")
    assert line.startswith("ssh-ed25519 AAAA") and line.endswith(" 准格尔旗政务公开办\n")
    fp = signing.public_fingerprint(signing.load_public_key(public))
    assert f"指纹 / fingerprint: {fp}" in out
    if shutil.which("ssh-keygen"):  # the same fingerprint OpenSSH computes
        assert fp in subprocess.run(["ssh-keygen", "-lf", str(public)], capture_output=True, text=True).stdout
    before = private.read_bytes()
    code, out = cli(capsys, "keygen", "--out", tmp_path / "k")
    assert code == 3 and f"{private}: 已存在，不会覆盖" in out
    assert private.read_bytes() == before


def _rezip(src: Path, dest: Path, change) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dest


def _deflated_zeros(size: int, chunk: int = 1 << 24) -> tuple[bytes, int]:
    """Raw deflate of ``size`` zero bytes and their CRC, built from one compressed chunk (full flushes
    make every chunk's output identical), so the test never compresses a gigabyte."""
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    block = c.compress(bytes(chunk)) + c.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    zeros = bytes(chunk)
    for _ in range(size // chunk):
        crc = zlib.crc32(zeros, crc)
    return block * (size // chunk) + c.flush(), crc


def _add_raw_entry(archive: Path, name: str, size: int) -> None:
    """Append an entry of ``size`` zero bytes (deflated) to a zip, as any zip tool would write it."""
    data, crc = _deflated_zeros(size)
    with zipfile.ZipFile(archive, "a") as zf:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = size, len(data), crc
        zf.fp.seek(zf.start_dir)
        info.header_offset = zf.fp.tell()
        zf._writecheck(info)
        zf._didModify = True
        zf.fp.write(info.FileHeader(zip64=True))
        zf.fp.write(data)
        zf.start_dir = zf.fp.tell()
        zf.filelist.append(info)
        zf.NameToInfo[name] = info


def test_extraction_limits_on_entries_and_on_lying_sizes(tmp_path):
    many = tmp_path / "many.zip"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(5):
            zf.writestr(f"b/{i}.txt", "x")
    with pytest.raises(InputError, match="压缩包有 5 个条目，超过证据包上限 4"):
        safe_extract(many, tmp_path / "out1", max_entries=4)
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("b/a.bin", bytes(3000))
    with pytest.raises(InputError, match="解压后共 3000 字节"):
        safe_extract(big, tmp_path / "out2", max_bytes=2000)
    safe_extract(big, tmp_path / "out3", max_bytes=4000)
    assert (tmp_path / "out3/b/a.bin").read_bytes() == bytes(3000)


# --------------------------------------------------------------------------------------------------
# verify --rerun and the kit that re-ran


def test_kit_differences_name_version_commit_and_source():
    now = {"kit": provenance.kit_info()}
    assert kit_differences(now, now) == []
    forged = {"kit": {**now["kit"], "git_commit": "0" * 40}}
    assert kit_differences(forged, now) == [f"kit.git_commit: {'0' * 40!r} → {now['kit']['git_commit']!r}"]
    other = {"kit": {**now["kit"], "version": "9.9.9", "source_sha256": "f" * 64}}
    assert [d.split(":")[0] for d in kit_differences(other, now)] == ["kit.version", "kit.source_sha256"]


def _forge_commit(folder: Path) -> None:
    nb_path = folder / "report.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["metadata"]["nianbao"]["provenance"]["kit"]["git_commit"] = "deadbeef" * 5
    nb_path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def test_openssh_verifies_our_signature_and_we_verify_its(keys, tmp_path):
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen not installed")
    (private, public, fp), _ = keys
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(b'{"kind": "nianbao-report-manifest", "outputs": {}}\n')
    sig = tmp_path / "manifest.json.sig"
    sig.write_bytes(signing.sign(manifest.read_bytes(), signing.load_private_key(private)))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text("office " + public.read_text(encoding="utf-8"), encoding="utf-8")
    with open(manifest, "rb") as fh:
        p = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "office", "-n", signing.NAMESPACE,
                            "-s", str(sig)], stdin=fh, capture_output=True, text=True)
    assert p.returncode == 0 and f'Good "nianbao-manifest" signature for office with ED25519 key {fp}' in p.stdout
    sig.unlink()
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(private), "-n", signing.NAMESPACE, str(manifest)],
                   check=True, capture_output=True)
    assert signing.check(manifest.read_bytes(), sig.read_bytes(), signing.load_public_key(public)).fingerprint == fp
    with pytest.raises(VerificationFailed, match="签名与 manifest.json 不符"):
        signing.check(manifest.read_bytes() + b" ", sig.read_bytes(), signing.load_public_key(public))


def test_a_signature_for_another_purpose_is_refused(keys, tmp_path):
    if not shutil.which("ssh-keygen"):
        pytest.skip("ssh-keygen not installed")
    (private, public, _), _ = keys
    f = tmp_path / "manifest.json"
    f.write_bytes(b"{}\n")
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(private), "-n", "git", str(f)], check=True, capture_output=True)
    with pytest.raises(VerificationFailed, match="签名的用途（namespace）是 'git'，不是 'nianbao-manifest'"):
        signing.check(f.read_bytes(), (tmp_path / "manifest.json.sig").read_bytes(), signing.load_public_key(public))


def test_wrong_key_files_are_clear_input_errors(keys, tmp_path, capsys):
    (private, _, _), _ = keys
    code, out = cli(capsys, "verify", tmp_path, "--key", private)
    assert code == 3 and "这是私钥，不是公钥" in out
    rsa = tmp_path / "rsa.pub"
    rsa.write_text("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDAbc= x\n")
    code, out = cli(capsys, "verify", tmp_path, "--key", rsa)
    assert code == 3 and f"{rsa}: 不是可识别的公钥" in out
    code, out = cli(capsys, "verify", tmp_path, "--key", tmp_path / "nope.pub")
    assert code == 3 and "公钥文件不存在" in out
    project = tmp_path / "p"
    (project / "params").mkdir(parents=True)
    shutil.copy(REPO / "params/units.yaml", project / "params/units.yaml")
    code, out = cli(capsys, "bundle", "--unit", UNIT, "--year", YEAR, "--project", project, "--sign", tmp_path / "nope",
                    "--out", tmp_path / "b.zip")
    assert code == 3 and "私钥文件不存在" in out and not (tmp_path / "b.zip").exists()


def test_a_key_protected_by_a_passphrase(tmp_path, monkeypatch):
    monkeypatch.setenv(signing.PASSPHRASE_ENV, "口令 secret")
    private, public, fp = signing.keygen(tmp_path / "locked")
    assert b"aes256-ctr" in __import__("base64").b64decode("".join(private.read_text().splitlines()[1:-1]))[:64]
    key = signing.load_private_key(private)
    assert signing.public_fingerprint(key.public_key()) == fp
    monkeypatch.setenv(signing.PASSPHRASE_ENV, "wrong")
    with pytest.raises(InputError, match="口令不正确或私钥已损坏"):
        signing.load_private_key(private)
    monkeypatch.delenv(signing.PASSPHRASE_ENV)
    with pytest.raises(InputError, match="私钥有口令保护；请在环境变量 NIANBAO_KEY_PASSPHRASE 中给出口令"):
        signing.load_private_key(private)
