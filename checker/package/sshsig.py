"""SSH signatures (OpenSSH PROTOCOL.sshsig) made and checked in-process with `cryptography`.

A signature made here verifies with stock `ssh-keygen -Y verify`, and the other way round,
for Ed25519 keys. Signing and verifying are separate, symmetric steps over the same blob layout.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import IntegrityError, UsageError

NAMESPACE = "mlcheck-result@v1"
MAGIC = b"SSHSIG"
VERSION = 1
KEY_TYPE = "ssh-ed25519"
HASHES = {"sha512": hashlib.sha512, "sha256": hashlib.sha256}
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
WRAP = 70  # ssh-keygen wraps the base64 body at 70 columns


def ssh_string(data: bytes) -> bytes:
    """The SSH wire encoding of a byte string: uint32 length, then the bytes."""
    return struct.pack(">I", len(data)) + data


def public_key_blob(key: Ed25519PublicKey) -> bytes:
    """The SSH wire form of an Ed25519 public key (string "ssh-ed25519", string key)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return ssh_string(KEY_TYPE.encode()) + ssh_string(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_line(key: Ed25519PublicKey) -> str:
    """`ssh-ed25519 AAAA...` as in a .pub file, without comment."""
    return f"{KEY_TYPE} {base64.b64encode(public_key_blob(key)).decode()}"


def signed_data(message: bytes, namespace: str, hash_alg: str = "sha512") -> bytes:
    """The blob that is actually signed: magic, namespace, reserved, hash name and H(message)."""
    digest = HASHES[hash_alg](message).digest()
    return (MAGIC + ssh_string(namespace.encode()) + ssh_string(b"") + ssh_string(hash_alg.encode())
            + ssh_string(digest))


def armor(blob: bytes) -> str:
    """Wrap a signature blob the way ssh-keygen writes it."""
    body = base64.b64encode(blob).decode()
    lines = [body[i:i + WRAP] for i in range(0, len(body), WRAP)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def sign(message: bytes, key: Ed25519PrivateKey, namespace: str = NAMESPACE, hash_alg: str = "sha512") -> str:
    """Sign `message` and return the armored SSHSIG text."""
    if not namespace:
        raise UsageError("the signature namespace must not be empty", "Use the default, mlcheck-result@v1.")
    raw = key.sign(signed_data(message, namespace, hash_alg))
    sig = ssh_string(KEY_TYPE.encode()) + ssh_string(raw)
    blob = (MAGIC + struct.pack(">I", VERSION) + ssh_string(public_key_blob(key.public_key()))
            + ssh_string(namespace.encode()) + ssh_string(b"") + ssh_string(hash_alg.encode()) + ssh_string(sig))
    return armor(blob)


@dataclass(frozen=True)
class Signature:
    """A parsed SSHSIG blob."""

    public_key: bytes  # SSH wire form
    namespace: str
    hash_alg: str
    signature: bytes  # raw Ed25519 signature (64 bytes)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def string(self) -> bytes:
        return self.take(self.uint32())

    def done(self) -> bool:
        return self.pos == len(self.data)


def _bad(what: str) -> IntegrityError:
    return IntegrityError(f"signature file: {what}",
                          "The .sig file is damaged or is not an SSH signature made for this manifest.")


def parse(text: str) -> Signature:
    """Parse armored SSHSIG text; only the canonical form ssh-keygen writes is accepted."""
    lines = text.strip("\n").split("\n")
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise _bad("not an armored SSH signature")
    try:
        blob = base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError as exc:
        raise _bad("invalid base64") from exc
    # Canonical form only: padding bits or line breaks could otherwise change without changing the blob.
    if armor(blob) != text:
        raise _bad("not in canonical form (re-wrapped, padded or edited)")
    r = _Reader(blob)
    try:
        if r.take(6) != MAGIC:
            raise _bad("bad magic")
        if r.uint32() != VERSION:
            raise _bad("unsupported version")
        pub = r.string()
        namespace = r.string().decode()
        r.string()  # reserved
        hash_alg = r.string().decode()
        sig = _Reader(r.string())
        sig_type = sig.string().decode()
        raw = sig.string()
        if not r.done() or not sig.done():
            raise _bad("trailing data")
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad("malformed blob") from exc
    if sig_type != KEY_TYPE:
        raise _bad(f"signature type {sig_type!r} is not supported (only {KEY_TYPE})")
    if hash_alg not in HASHES:
        raise _bad(f"hash algorithm {hash_alg!r} is not supported")
    return Signature(public_key=pub, namespace=namespace, hash_alg=hash_alg, signature=raw)


@dataclass(frozen=True)
class AllowedSigner:
    """One line of an OpenSSH allowed_signers file."""

    principals: tuple[str, ...]
    namespaces: tuple[str, ...] | None  # None: any namespace
    public_key: bytes  # SSH wire form
    line: int


def _split_options(text: str) -> tuple[str, str]:
    """Split the leading options field (which may hold quoted commas and spaces) from the rest."""
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return text[:i], text[i:].strip()
    return text, ""


def _options(field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    part, quoted = "", False
    items = []
    for ch in field:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append(part)
            part = ""
        else:
            part += ch
    items.append(part)
    for item in items:
        name, _, value = item.partition("=")
        out[name.strip().lower()] = value.strip().strip('"')
    return out


def parse_allowed_signers(text: str) -> list[AllowedSigner]:
    """Parse allowed_signers text (principals [options] keytype key [comment]); unsupported lines are skipped."""
    out: list[AllowedSigner] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        principals, _, rest = line.partition(" ")
        rest = rest.strip()
        opts: dict[str, str] = {}
        if rest and not rest.startswith(("ssh-", "ecdsa-", "sk-")):
            field, rest = _split_options(rest)
            opts = _options(field)
        parts = rest.split()
        if len(parts) < 2 or parts[0] != KEY_TYPE or "cert-authority" in opts:
            continue
        try:
            key = base64.b64decode(parts[1], validate=True)
        except ValueError:
            continue
        namespaces = tuple(s.strip() for s in opts["namespaces"].split(",")) if "namespaces" in opts else None
        out.append(AllowedSigner(tuple(p for p in principals.split(",") if p), namespaces, key, n))
    return out


def allowed_signers_line(principal: str, key: Ed25519PublicKey, namespace: str = NAMESPACE) -> str:
    """The allowed_signers line for `key`, limited to `namespace`."""
    return f'{principal} namespaces="{namespace}" {public_key_line(key)}\n'


def verify(message: bytes, signature_text: str, allowed: list[AllowedSigner],
           namespace: str = NAMESPACE, principal: str | None = None) -> AllowedSigner:
    """Check the signature over `message`; return the allowed signer, or raise IntegrityError."""
    sig = parse(signature_text)
    if sig.namespace != namespace:
        raise IntegrityError(f"signature namespace is {sig.namespace!r}, expected {namespace!r}",
                             "The signature was made for another purpose; it does not sign an mlcheck result.")
    signers = [a for a in allowed if a.public_key == sig.public_key
               and (principal is None or any(fnmatch.fnmatchcase(principal, p) for p in a.principals))
               and (a.namespaces is None or namespace in a.namespaces)]
    if not signers:
        who = f" for principal {principal!r}" if principal else ""
        raise IntegrityError(f"the signing key is not in the allowed signers{who}",
                             "Ask the submitter for their allowed_signers line, or check --principal.")
    r = _Reader(sig.public_key)
    try:
        if r.string().decode() != KEY_TYPE:
            raise _bad("key type is not ssh-ed25519")
        key = Ed25519PublicKey.from_public_bytes(r.string())
    except ValueError as exc:
        raise _bad("malformed public key") from exc
    try:
        key.verify(sig.signature, signed_data(message, namespace, sig.hash_alg))
    except InvalidSignature as exc:
        raise IntegrityError("the manifest does not match its signature",
                             "The manifest or its .sig file was changed after signing.") from exc
    return signers[0]
