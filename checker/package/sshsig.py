"""SSH signatures (OpenSSH PROTOCOL.sshsig) made and checked in-process with `cryptography`.

A signature made here verifies with stock `ssh-keygen -Y verify`, and the other way round,
for Ed25519 keys. Signing and verifying are separate, symmetric steps over the same blob layout.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import IntegrityError, UsageError
from ..escape import visible
from . import NAMESPACE

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


# Every public key type OpenSSH 9 reads in an allowed_signers line (sshkey.c). Lines with any of them
# are valid; only ssh-ed25519 keys can sign an mlcheck manifest, so the others never match.
OPENSSH_KEY_TYPES = frozenset({
    "ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ssh-rsa", "ssh-dss",
    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
    "ssh-dss-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com",
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "rsa-sha2-256", "rsa-sha2-512",
    "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com",
})
MAX_SUBPATTERN = 1023  # match_pattern_list: a longer sub-pattern makes the whole list fail to match
ALLOWED_SIGNERS_HELP = ("An allowed_signers line is `PRINCIPALS [OPTIONS] ssh-ed25519 KEY [COMMENT]`, as `mlcheck "
                        "keygen` writes it; OPTIONS are cert-authority, namespaces=\"…\", valid-after=\"…\" and "
                        "valid-before=\"…\" (see ssh-keygen(1), ALLOWED SIGNERS).")


def match_pattern(text: bytes, pattern: bytes) -> bool:
    """OpenSSH's match_pattern: `*` any run, `?` any one byte, everything else literal (no classes)."""
    t = p = 0
    star_p, star_t = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] == ord("*"):
            star_p, star_t = p, t
            p += 1
        elif p < len(pattern) and (pattern[p] == ord("?") or pattern[p] == text[t]):
            t += 1
            p += 1
        elif star_p >= 0:
            star_t += 1
            t, p = star_t, star_p + 1
        else:
            return False
    return all(c == ord("*") for c in pattern[p:])


def match_pattern_list(text: str, patterns: str) -> int:
    """OpenSSH's match_pattern_list: 1 on a positive match, -1 when a `!pattern` matches (it wins), else 0."""
    subject = text.encode("utf-8", "surrogateescape")
    positive = 0
    for sub in patterns.encode("utf-8", "surrogateescape").split(b","):
        negated = sub.startswith(b"!")
        if negated:
            sub = sub[1:]
        if len(sub) >= MAX_SUBPATTERN:
            return 0
        if match_pattern(subject, sub):
            if negated:
                return -1
            positive = 1
    return positive


@dataclass(frozen=True)
class AllowedSigner:
    """One line of an OpenSSH allowed_signers file, parsed as ssh-keygen parses it."""

    principals: tuple[str, ...]  # the principal pattern list, split at commas (for display)
    namespaces: tuple[str, ...] | None  # the namespaces pattern list; None: any namespace
    public_key: bytes  # SSH wire form
    line: int
    key_type: str = KEY_TYPE
    cert_authority: bool = False
    valid_after: int | None = None  # Unix time
    valid_before: int | None = None

    def refusal(self, key: bytes, principal: str | None, namespace: str, now: float) -> str | None:
        """Why this line does not allow `key` to sign for `principal` in `namespace` at `now`, or None."""
        if principal is not None and match_pattern_list(principal, ",".join(self.principals)) != 1:
            return "principal"
        if self.cert_authority or self.public_key != key:
            return "key"  # a cert-authority line only ever matches certificates, which mlcheck refuses
        if self.namespaces is not None and match_pattern_list(namespace, ",".join(self.namespaces)) != 1:
            return f"line {self.line}: the key is not allowed for namespace {visible(namespace)!r}"
        if self.valid_after is not None and now < self.valid_after:
            return f"line {self.line}: the key is not valid before {_utc(self.valid_after)}"
        if self.valid_before is not None and now > self.valid_before:
            return f"line {self.line}: the key expired at {_utc(self.valid_before)}"
        return None


def _utc(epoch: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class AllowedSignersError(UsageError):
    """An allowed_signers line mlcheck cannot read exactly as OpenSSH would: refused, never skipped."""


def _line_error(n: int, why: str) -> AllowedSignersError:
    return AllowedSignersError(f"allowed_signers line {n}: {why}", ALLOWED_SIGNERS_HELP)


def _principals_token(text: str, n: int) -> tuple[str, str]:
    """OpenSSH's strdelimw: the first word, where a double quote starts a quoted part up to the next one."""
    i = 0
    while i < len(text) and text[i] not in ' \t\r\n"':
        i += 1
    if i == len(text):
        raise _line_error(n, "no key after the principals")
    if text[i] == '"':
        close = text.find('"', i + 1)
        if close < 0:
            raise _line_error(n, "the principals have an unterminated quote")
        token, rest = text[:i] + text[i + 1:close], text[close + 1:]
    else:
        token, rest = text[:i], text[i + 1:]
    return token, rest.lstrip(" \t\r\n")


def _read_key(text: str) -> tuple[str, bytes] | None:
    """OpenSSH's sshkey_read: `TYPE BASE64 [comment]` with a known type whose blob names that type."""
    parts = re.split(r"[ \t]+", text, maxsplit=2)  # sshkey_read splits at spaces and tabs only
    if len(parts) < 2 or parts[0] not in OPENSSH_KEY_TYPES:
        return None
    try:  # b64_pton skips white space inside the base64 (a CR before the line's end, say)
        blob = base64.b64decode(re.sub(r"[\r\n\v\f]", "", parts[1]), validate=True)
    except ValueError:
        return None
    r = _Reader(blob)
    try:
        if r.string() != parts[0].encode():
            return None
        if parts[0] == KEY_TYPE and (len(r.string()) != 32 or not r.done()):
            return None
    except ValueError:
        return None
    return parts[0], blob


def _skip_options(text: str, n: int) -> tuple[str, str]:
    """OpenSSH's sshkey_advance_past_options: the options run to the first unquoted space or tab."""
    i, quoted = 0, False
    while i < len(text) and (quoted or text[i] not in " \t"):
        if text[i] == "\\" and text[i + 1:i + 2] == '"':
            i += 1
        elif text[i] == '"':
            quoted = not quoted
        i += 1
    if quoted:
        raise _line_error(n, "the options have an unterminated quote")
    return text[:i], text[i:].lstrip(" \t")


def _dequote(text: str, n: int, name: str) -> tuple[str, str]:
    """OpenSSH's opt_dequote: a value in double quotes, `\\"` for a quote inside."""
    if not text.startswith('"'):
        raise _line_error(n, f"the value of {name} must be in double quotes")
    out, i = [], 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and text[i + 1:i + 2] == '"':
            i += 1
        out.append(text[i])
        i += 1
    if i == len(text):
        raise _line_error(n, f"the value of {name} has no closing quote")
    return "".join(out), text[i + 1:]


def parse_time(value: str) -> int | None:
    """OpenSSH's parse_absolute_time: YYYYMMDD[HHMM[SS]], UTC with a Z or UTC suffix, else local time."""
    import calendar
    import time

    utc = False
    if len(value) > 1 and value[-1:].upper() == "Z":
        utc, value = True, value[:-1]
    elif len(value) > 3 and value[-3:].upper() == "UTC":
        utc, value = True, value[:-3]
    if len(value) not in (8, 12, 14) or not value.isascii() or not value.isdigit():
        return None
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    hour, minute, second = int(value[8:10] or 0), int(value[10:12] or 0), int(value[12:14] or 0)
    # strptime's ranges; a day past the month's end rolls over as mktime/timegm do (20200231 is 2 March)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 61):
        return None
    fields = (year, month, day, hour, minute, second, 0, 0, 0)  # tm_isdst 0, as OpenSSH leaves it
    try:
        epoch = calendar.timegm(fields) if utc else int(time.mktime(fields))
    except (OverflowError, ValueError):
        return None
    return epoch if epoch > 0 else None


def _parse_options(field: str, n: int) -> tuple[bool, str | None, int | None, int | None]:
    """OpenSSH's sshsigopt_parse; any other option refuses the line (ssh-keygen rejects it too)."""
    ca, namespaces, after, before = False, None, None, None
    rest = field
    while rest:
        item, low = rest, rest.lower()
        if low.startswith("cert-authority"):
            ca, rest = True, rest[len("cert-authority"):]
        elif low.startswith("namespaces="):
            if namespaces is not None:
                raise _line_error(n, "namespaces is given twice")
            namespaces, rest = _dequote(rest[len("namespaces="):], n, "namespaces")
        elif low.startswith(("valid-after=", "valid-before=")):
            name = rest[:rest.index("=")].lower()
            if (after if name == "valid-after" else before) is not None:
                raise _line_error(n, f"{name} is given twice")
            value, rest = _dequote(rest[len(name) + 1:], n, name)
            when = parse_time(value)
            if when is None:
                raise _line_error(n, f"{name}={visible(value)!r} is not a time (YYYYMMDD[HHMM[SS]][Z])")
            if name == "valid-after":
                after = when
            else:
                before = when
        if not rest:
            break
        if rest[0] != ",":
            word = item.split(",", 1)[0].split("=", 1)[0][:40]
            raise _line_error(n, f"option {visible(word)!r} is not supported (only cert-authority, namespaces, "
                                 "valid-after and valid-before are)")
        rest = rest[1:]
        if not rest:
            raise _line_error(n, "the options end with a comma")
    if after is not None and before is not None and before <= after:
        raise _line_error(n, "valid-before is not after valid-after")
    return ca, namespaces, after, before


def parse_allowed_signers(text: str) -> list[AllowedSigner]:
    """Parse allowed_signers text as ssh-keygen does; a line it cannot read exactly is an error, never skipped.

    Lines are `PRINCIPALS [OPTIONS] KEYTYPE KEY [COMMENT]`; principals and namespaces are OpenSSH
    pattern lists (`*`, `?`, `!negation`); valid-after/valid-before are checked when verifying.
    """
    if "\x00" in text:
        raise AllowedSignersError("the allowed_signers file holds a NUL byte", ALLOWED_SIGNERS_HELP)
    out: list[AllowedSigner] = []
    for n, raw in enumerate(text.split("\n"), 1):  # getline: only \n ends a line
        line = raw.lstrip(" \t\r\n")
        if not line or line.startswith("#"):
            continue
        principals, rest = _principals_token(line, n)
        if not principals:
            raise _line_error(n, "the principals are empty")
        key = _read_key(rest)
        opts = ""
        if key is None:
            opts, rest = _skip_options(rest, n)
            if not rest:
                raise _line_error(n, "no key after the options")
            key = _read_key(rest)
            if key is None:
                first = rest.split(None, 1)[0]
                why = (f"key type {visible(first)!r} is not an OpenSSH public key type"
                       if first not in OPENSSH_KEY_TYPES else "the key is not valid base64 of its type")
                raise _line_error(n, why)
        ca, namespaces, after, before = _parse_options(opts, n)
        out.append(AllowedSigner(
            principals=tuple(principals.split(",")),
            namespaces=tuple(namespaces.split(",")) if namespaces is not None else None,
            public_key=key[1], line=n, key_type=key[0], cert_authority=ca, valid_after=after, valid_before=before))
    return out


def allowed_signers_line(principal: str, key: Ed25519PublicKey, namespace: str = NAMESPACE) -> str:
    """The allowed_signers line for `key`, limited to `namespace`."""
    return f'{principal} namespaces="{namespace}" {public_key_line(key)}\n'


def verify(message: bytes, signature_text: str, allowed: list[AllowedSigner],
           namespace: str = NAMESPACE, principal: str | None = None, now: float | None = None) -> AllowedSigner:
    """Check the signature over `message`; return the allowed signer, or raise IntegrityError.

    A line allows the signature when, as for `ssh-keygen -Y verify`, the principal matches its
    pattern list (no `!` pattern matching), the key is the line's own (not a cert-authority line),
    the namespace matches its namespaces list and `now` lies in its validity window. Without
    `principal`, any principal of a line with the key will do.
    """
    import time

    sig = parse(signature_text)
    if sig.namespace != namespace:
        raise IntegrityError(f"signature namespace is {visible(sig.namespace)!r}, expected {visible(namespace)!r}",
                             "The signature was made for another purpose; it does not sign an mlcheck result.")
    when = time.time() if now is None else now
    reasons = [(a, a.refusal(sig.public_key, principal, namespace, when)) for a in allowed]
    signers = [a for a, why in reasons if why is None]
    if not signers:
        who = f" for principal {visible(principal)!r}" if principal else ""
        detail = [why for _, why in reasons if why not in (None, "principal", "key")]
        raise IntegrityError(f"the signing key is not in the allowed signers{who}"
                             + (f" ({'; '.join(str(d) for d in detail)})" if detail else ""),
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
