"""Signed evidence: an Ed25519 signature over a report's ``manifest.json``, in OpenSSH's signature
format (``ssh-keygen -Y sign``/``-Y verify``, PROTOCOL.sshsig), made and checked with ``cryptography``.

The manifest lists the sha256 of every output and input, so a valid signature over it vouches for
every file ``nianbao verify`` then checks against it: change a file and its hash no longer matches;
change the manifest to match and the signature no longer does.

Keys are ordinary OpenSSH Ed25519 keys: ``nianbao keygen`` writes one (private key and ``.pub``), and a
key made with ``ssh-keygen -t ed25519`` works the same. Signatures interoperate both ways::

    ssh-keygen -Y verify -f allowed_signers -I <anyone> -n nianbao-manifest -s manifest.json.sig < manifest.json
    ssh-keygen -Y sign -f KEY -n nianbao-manifest manifest.json      # nianbao verify --key KEY.pub accepts it
"""
from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, VerificationFailed

NAMESPACE = "nianbao-manifest"  # what the signature is for: never valid for anything else
SIGNATURE_NAME = "manifest.json.sig"
PASSPHRASE_ENV = "NIANBAO_KEY_PASSPHRASE"
_MAGIC = b"SSHSIG"
_VERSION = 1
_KEY_TYPE = b"ssh-ed25519"
_BEGIN, _END = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
MAX_KEY_BYTES = 64 * 1024


# ---------------------------------------------------------------------------------------------------
# SSH wire format


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def string(self) -> bytes:
        return self.take(self.uint32())


def _signed_data(message: bytes, hash_alg: str = "sha512") -> bytes:
    digest = hashlib.new(hash_alg, message).digest()
    return _MAGIC + _string(NAMESPACE.encode()) + _string(b"") + _string(hash_alg.encode()) + _string(digest)


def fingerprint(public_blob: bytes) -> str:
    """``SHA256:…`` as ``ssh-keygen -l`` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(public_blob).digest()).decode().rstrip("=")


def _public_blob(public_key) -> bytes:
    from cryptography.hazmat.primitives import serialization as ser

    raw = public_key.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    return _string(_KEY_TYPE) + _string(raw)


# ---------------------------------------------------------------------------------------------------
# Keys


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_KEY_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: {what}文件不存在。可用 nianbao keygen 生成一对密钥。") from None
    except OSError as exc:
        raise InputError(f"{path}: 无法读取{what}（{exc.strerror or exc}）。") from None
    if len(data) > MAX_KEY_BYTES:
        raise InputError(f"{path}: 不是{what}文件（超过 {MAX_KEY_BYTES // 1024} KB）。")
    return data


def load_private_key(path: str | Path):
    """An Ed25519 private key from an OpenSSH or PEM (PKCS#8) file; a passphrase from
    $NIANBAO_KEY_PASSPHRASE, or asked for on a terminal."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    data = _read_key_file(path, "私钥")
    loader = ser.load_ssh_private_key if b"OPENSSH PRIVATE KEY" in data else ser.load_pem_private_key
    password = os.environ.get(PASSPHRASE_ENV)
    for attempt in range(2):
        try:
            key = loader(data, password=password.encode() if password else None)
            break
        except TypeError:  # encrypted and no passphrase given (or one given for a plain key)
            if password:
                password = None
                continue
            import getpass
            import sys

            if attempt or not sys.stdin.isatty():
                raise InputError(f"{path}: 私钥有口令保护；请在环境变量 {PASSPHRASE_ENV} 中给出口令。") from None
            password = getpass.getpass(f"{path} 的口令: ")
        except ValueError as exc:
            msg = "口令不正确或私钥已损坏" if password else "不是可识别的私钥（OpenSSH 或 PEM 格式）"
            raise InputError(f"{path}: {msg}（{exc}）。") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: 只支持 Ed25519 密钥（ssh-keygen -t ed25519 或 nianbao keygen 生成），"
                         f"这是 {type(key).__name__.replace('PrivateKey', '')} 密钥。")
    return key


def load_public_key(path: str | Path):
    """An Ed25519 public key: an OpenSSH ``.pub`` line (``ssh-ed25519 AAAA… comment``), the same line in an
    ``allowed_signers`` file (principals first), or PEM."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    path = Path(path)
    data = _read_key_file(path, "公钥")
    if b"PRIVATE KEY" in data:
        raise InputError(f"{path}: 这是私钥，不是公钥。核验时请给出 .pub 文件；私钥不要交给他人。")
    try:
        if b"BEGIN PUBLIC KEY" in data:
            key = ser.load_pem_public_key(data)
        else:
            line = next(ln for ln in data.decode("utf-8").splitlines() if ln.strip() and not ln.startswith("#"))
            words = line.split()
            start = next(i for i, w in enumerate(words) if w.startswith("ssh-") or w.startswith("ecdsa-"))
            key = ser.load_ssh_public_key(" ".join(words[start:start + 2]).encode())
    except (StopIteration, ValueError, UnicodeDecodeError, UnsupportedAlgorithm) as exc:
        raise InputError(f"{path}: 不是可识别的公钥（应为 ssh-ed25519 AAAA… 一行）。（{exc}）") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path}: 只支持 Ed25519 公钥，这是 {type(key).__name__.replace('PublicKey', '')} 公钥。")
    return key


def keygen(out: str | Path, comment: str = "") -> tuple[Path, Path, str]:
    """Write a new Ed25519 key pair: ``out`` (private, mode 0600, OpenSSH format) and ``out.pub``.
    Never overwrites. Returns (private, public, fingerprint)."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from . import atomic

    priv_path, pub_path = Path(out), Path(f"{out}.pub")
    for p in (priv_path, pub_path):
        if p.exists():
            raise InputError(f"{p}: 已存在，不会覆盖。请换一个文件名（--out），或先移走旧密钥。")
    key = Ed25519PrivateKey.generate()
    passphrase = os.environ.get(PASSPHRASE_ENV)
    enc = ser.BestAvailableEncryption(passphrase.encode()) if passphrase else ser.NoEncryption()
    private = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH, enc)
    public = key.public_key().public_bytes(ser.Encoding.OpenSSH, ser.PublicFormat.OpenSSH)
    if comment:
        public += b" " + comment.encode("utf-8")
    atomic.write_bytes(pub_path, public + b"\n")
    fd = None
    try:
        fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, private)
    except OSError as exc:
        from .errors import WriteError

        raise WriteError.of(priv_path, exc) from None
    finally:
        if fd is not None:
            os.close(fd)
    return priv_path, pub_path, public_fingerprint(key.public_key())


# ---------------------------------------------------------------------------------------------------
# Signing and checking


def sign(message: bytes, private_key) -> bytes:
    """An armored SSH signature (namespace ``nianbao-manifest``) over ``message``."""
    blob = _public_blob(private_key.public_key())
    sig = private_key.sign(_signed_data(message))
    body = (_MAGIC + struct.pack(">I", _VERSION) + _string(blob) + _string(NAMESPACE.encode()) + _string(b"")
            + _string(b"sha512") + _string(_string(_KEY_TYPE) + _string(sig)))
    b64 = base64.b64encode(body).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return ("\n".join([_BEGIN, *lines, _END]) + "\n").encode()


@dataclass(frozen=True)
class Signature:
    fingerprint: str  # of the key that made it


def check(message: bytes, armored: bytes, public_key) -> Signature:
    """Verify an armored SSH signature over ``message`` with ``public_key``; VerificationFailed says why not."""
    from cryptography.exceptions import InvalidSignature

    try:
        text = armored.decode("ascii").strip()
        if not (text.startswith(_BEGIN) and text.endswith(_END)):
            raise ValueError("no SSH SIGNATURE armor")
        body = base64.b64decode("".join(text[len(_BEGIN):-len(_END)].split()), validate=True)
        r = _Reader(body)
        if r.take(6) != _MAGIC or r.uint32() != _VERSION:
            raise ValueError("not an SSHSIG v1 signature")
        blob, namespace, _reserved, hash_alg, sig_blob = r.string(), r.string(), r.string(), r.string(), r.string()
        s = _Reader(sig_blob)
        sig_type, sig = s.string(), s.string()
    except (ValueError, UnicodeDecodeError, struct.error) as exc:
        raise VerificationFailed(f"签名文件无法解析 / unreadable signature ({exc})") from None
    if namespace != NAMESPACE.encode():
        raise VerificationFailed(f"签名的用途（namespace）是 {namespace.decode(errors='replace')!r}，不是 {NAMESPACE!r} "
                                 f"/ signature made for another purpose")
    if hash_alg not in (b"sha256", b"sha512") or sig_type != _KEY_TYPE:
        raise VerificationFailed(f"不支持的签名算法 {sig_type.decode(errors='replace')}/{hash_alg.decode(errors='replace')} "
                                 "/ unsupported signature algorithm")
    expected = _public_blob(public_key)
    if blob != expected:
        raise VerificationFailed(f"签名者的密钥（{fingerprint(blob)}）不是给出的公钥（{fingerprint(expected)}）"
                                 " / signed with another key")
    try:
        public_key.verify(sig, _signed_data(message, hash_alg.decode()))  # the blob is this key's: checked above
    except (InvalidSignature, ValueError):
        raise VerificationFailed(f"签名与 manifest.json 不符：manifest 在签名后被改动，或签名被改动 / "
                                 f"signature does not match manifest.json (key {fingerprint(blob)})") from None
    return Signature(fingerprint(blob))


def public_fingerprint(public_key) -> str:
    return fingerprint(_public_blob(public_key))
