"""allowed_signers as OpenSSH reads it: every case is run through stock `ssh-keygen -Y verify` too.

For each file below, mlcheck must accept exactly when ssh-keygen accepts. Where ssh-keygen skips a
line it cannot read (an unknown option, an unquoted value, a bad time), mlcheck refuses the file
with an error naming the line, never skipping it; ssh-keygen refuses those files as well.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from checker.errors import IntegrityError
from checker.package.sshsig import (
    NAMESPACE,
    AllowedSignersError,
    match_pattern_list,
    parse_allowed_signers,
    parse_time,
    public_key_line,
    sign,
    verify,
)

MESSAGE = b'{"manifest": "signed"}\n'
SSH_KEYGEN = shutil.which("ssh-keygen")
needs_ssh_keygen = pytest.mark.skipif(SSH_KEYGEN is None, reason="ssh-keygen is not installed")
ALICE = "alice@example.org"

_KEY = Ed25519PrivateKey.generate()
_OTHER = Ed25519PrivateKey.generate()
KEY = public_key_line(_KEY.public_key())
OTHER = public_key_line(_OTHER.public_key())
RSA = generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
    Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
SIGNATURE = sign(MESSAGE, _KEY)


def _stamp(offset_s: float, utc: bool = True) -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + offset_s)) + ("Z" if utc else "")


DAY = 86400


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    principal: str = ALICE
    accept: bool = False
    error: bool = False  # mlcheck refuses the file with an error naming the line (ssh-keygen skips the line)


CASES = [
    Case("plain", f"{ALICE} {KEY}\n", accept=True),
    Case("other-principal", f"{ALICE} {KEY}\n", principal="bob@example.org"),
    Case("other-key", f"{ALICE} {OTHER}\n"),
    Case("star", f"*@example.org {KEY}\n", accept=True),
    Case("star-other-domain", f"*@example.org {KEY}\n", principal="alice@example.com"),
    Case("question-mark", f"?lice@example.org {KEY}\n", accept=True),
    Case("question-mark-is-one-byte", f"a?ice@example.org {KEY}\n", principal="aliice@example.org"),
    Case("no-character-classes", f"[a]lice@example.org {KEY}\n"),
    Case("bracket-is-literal", f"[a]lice@example.org {KEY}\n", principal="[a]lice@example.org", accept=True),
    Case("list", f"bob@example.org,{ALICE} {KEY}\n", accept=True),
    Case("negation-wins", f"*@example.org,!mallory@example.org {KEY}\n", principal="mallory@example.org"),
    Case("negation-wins-first", f"!mallory@example.org,* {KEY}\n", principal="mallory@example.org"),
    Case("negation-spares-others", f"*@example.org,!mallory@example.org {KEY}\n", accept=True),
    Case("negation-alone-allows-nobody", f"!mallory@example.org {KEY}\n"),
    Case("quoted-principals", f'"{ALICE}" {KEY}\n', accept=True),
    Case("pattern-too-long", f"{'a' * 1100} {KEY}\n", principal="a" * 1100),
    Case("namespace", f'{ALICE} namespaces="{NAMESPACE}" {KEY}\n', accept=True),
    Case("namespace-other", f'{ALICE} namespaces="git,file" {KEY}\n'),
    Case("namespace-pattern", f'{ALICE} namespaces="mlcheck-*" {KEY}\n', accept=True),
    Case("namespace-negated", f'{ALICE} namespaces="*,!{NAMESPACE}" {KEY}\n'),
    Case("option-case", f'{ALICE} NAMESPACES="{NAMESPACE}" {KEY}\n', accept=True),
    Case("valid-after-past", f'{ALICE} valid-after="20200101" {KEY}\n', accept=True),
    Case("valid-after-future", f'{ALICE} valid-after="{_stamp(30 * DAY)}" {KEY}\n'),
    Case("valid-before-future", f'{ALICE} valid-before="{_stamp(30 * DAY)}" {KEY}\n', accept=True),
    Case("valid-before-past", f'{ALICE} valid-before="20200101Z" {KEY}\n'),
    Case("window-now", f'{ALICE} valid-after="{_stamp(-DAY)}",valid-before="{_stamp(DAY)}" {KEY}\n', accept=True),
    Case("window-12-digits", f'{ALICE} valid-after="202001011200" {KEY}\n', accept=True),
    Case("window-utc-suffix", f'{ALICE} valid-before="20200101UTC" {KEY}\n'),
    Case("day-rolls-over", f'{ALICE} valid-after="20200231" {KEY}\n', accept=True),
    Case("cert-authority-is-not-the-key", f"{ALICE} cert-authority {KEY}\n"),
    Case("all-options", f'{ALICE} cert-authority,namespaces="{NAMESPACE}" {KEY}\n'),
    Case("unknown-option", f'{ALICE} foo="bar" {KEY}\n', error=True),
    Case("unquoted-value", f"{ALICE} namespaces={NAMESPACE} {KEY}\n", error=True),
    Case("bad-time", f'{ALICE} valid-after="2020-01-01" {KEY}\n', error=True),
    Case("empty-window", f'{ALICE} valid-after="20200102",valid-before="20200101" {KEY}\n', error=True),
    Case("namespaces-twice", f'{ALICE} namespaces="a",namespaces="b" {KEY}\n', error=True),
    Case("trailing-comma", f'{ALICE} namespaces="{NAMESPACE}", {KEY}\n', error=True),
    Case("flag-with-value", f'{ALICE} cert-authority="yes" {KEY}\n', error=True),
    Case("unknown-key-type", f"{ALICE} ssh-foo AAAAC3NzaC1lZDI1NTE5AAAAIA==\n", error=True),
    Case("short-type-name", f"{ALICE} ED25519 {KEY.split()[1]}\n", error=True),
    Case("truncated-key", f"{ALICE} {KEY[:-8]}\n", error=True),
    Case("no-key", f"{ALICE}\n", error=True),
    Case("second-line-has-the-key", f"{ALICE} {OTHER}\n{ALICE} {KEY}\n", accept=True),
    Case("rsa-line-is-read", f"{ALICE} {RSA}\n{ALICE} {KEY}\n", accept=True),
    Case("rsa-line-never-matches", f"{ALICE} {RSA}\n"),
    Case("comments-blank-lines-crlf-tabs", f"# reviewers\n\n  {ALICE}\t{KEY} a comment\r\n", accept=True),
]


def _ours(text: str, principal: str) -> str:
    try:
        verify(MESSAGE, SIGNATURE, parse_allowed_signers(text), NAMESPACE, principal)
    except AllowedSignersError as exc:
        assert exc.message.startswith("allowed_signers line ")
        return "error"
    except IntegrityError:
        return "refused"
    return "accepted"


def _ssh_keygen(tmp: Path, text: str, principal: str, env: dict[str, str] | None = None) -> bool:
    allowed, sig = tmp / "allowed_signers", tmp / "m.sig"
    allowed.write_text(text)
    sig.write_text(SIGNATURE)
    assert SSH_KEYGEN is not None
    p = subprocess.run([SSH_KEYGEN, "-Y", "verify", "-f", str(allowed), "-I", principal, "-n", NAMESPACE,
                        "-s", str(sig)], input=MESSAGE, capture_output=True, timeout=30, check=False,
                       env={**os.environ, **(env or {})})
    return p.returncode == 0


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_mlcheck_decides_as_stock_ssh_keygen(case: Case, tmp_path: Path) -> None:
    ours = _ours(case.text, case.principal)
    assert ours == ("accepted" if case.accept else "error" if case.error else "refused")
    if SSH_KEYGEN is None:
        pytest.skip("ssh-keygen is not installed: mlcheck's own expectation was checked")
    assert _ssh_keygen(tmp_path, case.text, case.principal) is case.accept


@needs_ssh_keygen
def test_local_time_is_read_in_the_local_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A time without Z is local time (mktime), as OpenSSH reads it: 2 h ahead in UTC is 3 h ago at UTC+5."""
    stamp = _stamp(2 * 3600, utc=False)
    text = f'{ALICE} valid-after="{stamp}" {KEY}\n'
    monkeypatch.setenv("TZ", "UTC-5")  # POSIX: local time is UTC + 5 h
    time.tzset()
    try:
        assert _ours(text, ALICE) == "accepted"
        assert _ssh_keygen(tmp_path, text, ALICE, {"TZ": "UTC-5"}) is True
        assert _ours(f'{ALICE} valid-after="{stamp}Z" {KEY}\n', ALICE) == "refused"
        assert _ssh_keygen(tmp_path, f'{ALICE} valid-after="{stamp}Z" {KEY}\n', ALICE, {"TZ": "UTC-5"}) is False
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_bad_line_for_another_principal_still_refuses_the_file() -> None:
    """Stricter than ssh-keygen, on purpose: it would skip bob's broken line; mlcheck names it."""
    text = f'bob@example.org foo="bar" {OTHER}\n{ALICE} {KEY}\n'
    with pytest.raises(AllowedSignersError, match="line 1: option 'foo' is not supported"):
        parse_allowed_signers(text)


def test_refusal_says_why_the_key_was_not_allowed() -> None:
    allowed = parse_allowed_signers(f'{ALICE} valid-before="20200101Z" {KEY}\n'
                                    f'{ALICE} namespaces="git" {KEY}\n')
    with pytest.raises(IntegrityError) as info:
        verify(MESSAGE, SIGNATURE, allowed, NAMESPACE, ALICE)
    assert "line 1: the key expired at 2020-01-01 00:00:00 UTC" in info.value.message
    assert "line 2: the key is not allowed for namespace 'mlcheck-result@v1'" in info.value.message


def test_without_a_principal_any_line_with_the_key_signs() -> None:
    allowed = parse_allowed_signers(f"bob@example.org {OTHER}\n*@example.org,!mallory@example.org {KEY}\n")
    assert verify(MESSAGE, SIGNATURE, allowed).principals == ("*@example.org", "!mallory@example.org")
    with pytest.raises(IntegrityError):
        verify(MESSAGE, SIGNATURE, parse_allowed_signers(f"{ALICE} valid-after=\"20990101\" {KEY}\n"))


@pytest.mark.parametrize("text, patterns, want", [
    ("alice", "alice", 1), ("alice", "al*", 1), ("alice", "*", 1), ("alice", "a?ice", 1), ("alice", "a?", 0),
    ("alice", "*e", 1), ("alice", "**l**", 1), ("", "", 1), ("", "*", 1), ("a", "", 0),
    ("alice", "bob,alice", 1), ("alice", "*,!alice", -1), ("alice", "!bob", 0), ("alice", "!bob,a*", 1),
    ("alice", "[a]lice", 0), ("a.b", "a?b", 1), ("aXbXc", "a*b*c", 1), ("abc", "a*b*c*d", 0),
    ("ü", "?", 0), ("ü", "??", 1),  # bytes, as OpenSSH compares them: ü is two UTF-8 bytes
])
def test_match_pattern_list_as_openssh(text: str, patterns: str, want: int) -> None:
    assert match_pattern_list(text, patterns) == want


@pytest.mark.parametrize("value, ok", [
    ("20200101", True), ("20200101Z", True), ("20200101z", True), ("20200101UTC", True), ("202001011200", True),
    ("20200101120000Z", True), ("2020010112", False), ("2020-01-01", False), ("20201301", False),
    ("20200100", False), ("20200101250000", False), ("19700101Z", False), ("２０２００１０１", False), ("", False),
])
def test_parse_time_as_openssh(value: str, ok: bool) -> None:
    assert (parse_time(value) is not None) is ok


def test_allowed_signers_file_is_read_strictly(tmp_path: Path) -> None:
    from checker.errors import UsageError
    from checker.package.verify import load_allowed_signers

    path = tmp_path / "allowed_signers"
    path.write_bytes(f"{ALICE} {KEY}\n".encode() + b"\xff\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        load_allowed_signers(path)
    path.write_bytes(f"{ALICE} {KEY}\n\0".encode())
    with pytest.raises(UsageError, match="NUL"):
        load_allowed_signers(path)
    path.write_bytes(b"# " + b"x" * (2 << 20))
    with pytest.raises(UsageError, match="larger than"):
        load_allowed_signers(path)
