"""Ed25519 signing keys in OpenSSH format: make a key pair, load a private key."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_ssh_private_key,
)

from ..errors import UsageError
from . import NAMESPACE
from .sshsig import allowed_signers_line, public_key_line

PASSPHRASE_ENV = "MLCHECK_KEY_PASSPHRASE"


@dataclass(frozen=True)
class KeyFiles:
    """The three files keygen writes."""

    private: Path
    public: Path
    allowed_signers: Path
    principal: str
    created_folder: bool = False  # the key's folder did not exist and was made (mode 0700)


def default_principal() -> str:
    """user@host, as ssh-keygen comments a new key."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "mlcheck"
    return f"{user}@{socket.gethostname() or 'localhost'}"


def _write_new(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)  # the umask may have narrowed or (for 0644) kept the mode; make it exact


def keygen(out: Path, principal: str | None = None, namespace: str = NAMESPACE) -> KeyFiles:
    """Write a new Ed25519 key pair: OUT (0600), OUT.pub and OUT.allowed_signers; never overwrite."""
    principal = principal or default_principal()
    # an allowed_signers principal field is a pattern list: no spaces, commas, quotes or pattern characters
    if (not principal or not principal.isprintable() or principal.startswith("#")
            or any(c.isspace() or c in ',"*?!' for c in principal)):
        raise UsageError(f"principal {principal!r} must be one word without spaces, commas, quotes or * ? !",
                         "e.g. --principal submitter@example.org")
    out = out.expanduser()
    files = KeyFiles(out, Path(f"{out}.pub"), Path(f"{out}.allowed_signers"), principal)
    existing = [p for p in (files.private, files.public, files.allowed_signers) if os.path.lexists(p)]
    if existing:
        raise UsageError(f"{existing[0]} already exists; refusing to overwrite a key",
                         "Choose another --out, or move the old key away yourself.")
    created = False
    if not out.parent.is_dir():
        if os.path.lexists(out.parent) or not out.parent.parent.is_dir():
            raise UsageError(f"folder {out.parent} does not exist and cannot be made here",
                             "Create its parent folder first or choose another --out.")
        try:
            out.parent.mkdir(mode=0o700)
            os.chmod(out.parent, 0o700)  # mkdir's mode passes through the umask; make it exact
        except OSError as exc:
            raise UsageError(f"cannot create folder {out.parent}: {exc.strerror}") from exc
        created = True
    files = KeyFiles(files.private, files.public, files.allowed_signers, principal, created)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    try:
        _write_new(files.private, pem, 0o600)
        _write_new(files.public, f"{public_key_line(key.public_key())} {principal}\n".encode(), 0o644)
        _write_new(files.allowed_signers, allowed_signers_line(principal, key.public_key(), namespace).encode(),
                   0o644)
    except FileExistsError as exc:
        raise UsageError(f"{exc.filename} appeared while writing; refusing to overwrite it") from exc
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename}: {exc.strerror}") from exc
    return files


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Load an OpenSSH Ed25519 private key (passphrase from $MLCHECK_KEY_PASSPHRASE when encrypted)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read key {path}: {exc.strerror}", "Make one with `mlcheck keygen --out PATH`.") \
            from exc
    passphrase = os.environ.get(PASSPHRASE_ENV)
    try:
        key = load_ssh_private_key(data, passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"cannot load {path} as an OpenSSH private key: {exc}",
                         f"Use a key from `mlcheck keygen`; for an encrypted key set {PASSPHRASE_ENV}.") from exc
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm when bcrypt is missing
        raise UsageError(f"cannot load {path}: {exc}",
                         "Encrypted OpenSSH keys need the bcrypt package; or use an unencrypted key.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is a {type(key).__name__}, not an Ed25519 key",
                         "mlcheck signs with Ed25519 only; make a key with `mlcheck keygen --out PATH`.")
    return key
