"""SSHSIG signing and verifying, key generation, and interoperability with OpenSSH and the sshsig package."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import sshsig as sshsig_pypi
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from checker.errors import IntegrityError, UsageError
from checker.package.keys import keygen, load_private_key
from checker.package.sshsig import (
    NAMESPACE,
    allowed_signers_line,
    parse,
    parse_allowed_signers,
    public_key_line,
    sign,
    verify,
)

MESSAGE = b'{"hello": "manifest"}\n'
needs_ssh_keygen = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")


def _allowed(key: Ed25519PrivateKey, principal: str = "alice@example.org") -> list:  # type: ignore[type-arg]
    return parse_allowed_signers(allowed_signers_line(principal, key.public_key()))


def test_sign_verify_roundtrip_and_deterministic() -> None:
    key = Ed25519PrivateKey.generate()
    text = sign(MESSAGE, key)
    assert text.startswith("-----BEGIN SSH SIGNATURE-----\n") and text.endswith("-----END SSH SIGNATURE-----\n")
    assert all(len(line) <= 70 for line in text.splitlines())
    assert sign(MESSAGE, key) == text  # Ed25519 is deterministic: same manifest, same signature
    signer = verify(MESSAGE, text, _allowed(key))
    assert signer.principals == ("alice@example.org",)
    sig = parse(text)
    assert sig.namespace == NAMESPACE and sig.hash_alg == "sha512" and len(sig.signature) == 64


def test_verify_refuses_other_message_key_namespace_principal() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = sign(MESSAGE, key)
    with pytest.raises(IntegrityError, match="does not match its signature"):
        verify(MESSAGE + b" ", text, _allowed(key))
    with pytest.raises(IntegrityError, match="not in the allowed signers"):
        verify(MESSAGE, text, _allowed(other))
    with pytest.raises(IntegrityError, match="namespace"):
        verify(MESSAGE, sign(MESSAGE, key, namespace="git"), _allowed(key))
    with pytest.raises(IntegrityError, match="principal 'bob'"):
        verify(MESSAGE, text, _allowed(key), principal="bob")
    # an allowed_signers line limited to another namespace does not allow this one
    limited = parse_allowed_signers(f'alice namespaces="git,file" {public_key_line(key.public_key())}\n')
    with pytest.raises(IntegrityError, match="not in the allowed signers"):
        verify(MESSAGE, text, limited)


def test_non_canonical_armor_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    text = sign(MESSAGE, key)
    lines = text.splitlines()
    rewrapped = "\n".join([lines[0], "".join(lines[1:-1]), lines[-1]]) + "\n"
    with pytest.raises(IntegrityError, match="canonical"):
        verify(MESSAGE, rewrapped, _allowed(key))
    with pytest.raises(IntegrityError, match="armored"):
        verify(MESSAGE, "not a signature\n", _allowed(key))


def test_parse_allowed_signers_formats() -> None:
    k1, k2 = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    text = (
        "# reviewers\n\n"
        f"alice@example.org,al@example.org {public_key_line(k1.public_key())} a comment\n"
        f'bob@example.org namespaces="{NAMESPACE},git",valid-after="20190101" {public_key_line(k2.public_key())}\n'
        "carol@example.org ssh-rsa AAAAB3NzaC1yc2E= rsa keys are read, and never match an Ed25519 signature\n"
        f"ca@example.org cert-authority {public_key_line(k2.public_key())}\n"
    )
    entries = parse_allowed_signers(text)
    assert [e.principals for e in entries] == [("alice@example.org", "al@example.org"), ("bob@example.org",),
                                               ("carol@example.org",), ("ca@example.org",)]
    assert [e.key_type for e in entries] == ["ssh-ed25519", "ssh-ed25519", "ssh-rsa", "ssh-ed25519"]
    assert entries[0].namespaces is None and entries[1].namespaces == (NAMESPACE, "git")
    assert entries[1].valid_after is not None and entries[3].cert_authority
    assert verify(MESSAGE, sign(MESSAGE, k2), entries).principals == ("bob@example.org",)
    # a cert-authority line allows certificates signed by that key, never the key itself (as in OpenSSH)
    with pytest.raises(IntegrityError, match="not in the allowed signers"):
        verify(MESSAGE, sign(MESSAGE, k2), entries[3:])
    # principals may be patterns, as in OpenSSH
    wild = parse_allowed_signers(f"*@example.org {public_key_line(k1.public_key())}\n")
    assert verify(MESSAGE, sign(MESSAGE, k1), wild, principal="alice@example.org").principals == ("*@example.org",)
    with pytest.raises(IntegrityError):
        verify(MESSAGE, sign(MESSAGE, k1), wild, principal="alice@example.com")


def test_keygen_files_modes_and_no_overwrite(tmp_path: Path) -> None:
    files = keygen(tmp_path / "key", principal="alice@example.org")
    assert stat.S_IMODE(files.private.stat().st_mode) == 0o600
    assert files.public.read_text().startswith("ssh-ed25519 AAAA") and files.public.read_text().endswith(
        " alice@example.org\n")
    line = files.allowed_signers.read_text()
    assert line.startswith(f'alice@example.org namespaces="{NAMESPACE}" ssh-ed25519 ')
    key = load_private_key(files.private)
    assert verify(MESSAGE, sign(MESSAGE, key), parse_allowed_signers(line)).principals == ("alice@example.org",)
    before = files.private.read_bytes()
    with pytest.raises(UsageError, match="refusing to overwrite"):
        keygen(tmp_path / "key", principal="alice@example.org")
    assert files.private.read_bytes() == before
    (tmp_path / "other.pub").write_text("x")  # any of the three files existing is enough to refuse
    with pytest.raises(UsageError, match="other.pub"):
        keygen(tmp_path / "other")
    assert not (tmp_path / "other").exists()
    with pytest.raises(UsageError, match="principal"):
        keygen(tmp_path / "k3", principal="two words")


def test_load_private_key_refuses_other_kinds(tmp_path: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p = tmp_path / "rsa"
    p.write_bytes(rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                        serialization.NoEncryption()))
    with pytest.raises(UsageError, match="not an Ed25519 key"):
        load_private_key(p)
    (tmp_path / "junk").write_text("hello")
    with pytest.raises(UsageError, match="OpenSSH private key"):
        load_private_key(tmp_path / "junk")
    with pytest.raises(UsageError, match="cannot read"):
        load_private_key(tmp_path / "missing")


def test_sshsig_package_verifies_our_signature() -> None:
    key = Ed25519PrivateKey.generate()
    text = sign(MESSAGE, key)
    pub = sshsig_pypi.PublicKey.from_openssh_str(public_key_line(key.public_key()))
    assert sshsig_pypi.verify(MESSAGE, text, [pub], namespace=NAMESPACE) is not None
    with pytest.raises(sshsig_pypi.InvalidSignature):
        sshsig_pypi.verify(MESSAGE + b"x", text, [pub], namespace=NAMESPACE)


@needs_ssh_keygen
def test_ssh_keygen_verifies_our_signature(tmp_path: Path) -> None:
    files = keygen(tmp_path / "key", principal="alice@example.org")
    msg = tmp_path / "manifest.json"
    msg.write_bytes(MESSAGE)
    sig = tmp_path / "manifest.json.sig"
    sig.write_text(sign(MESSAGE, load_private_key(files.private)))
    cmd = ["ssh-keygen", "-Y", "verify", "-f", str(files.allowed_signers), "-I", "alice@example.org",
           "-n", NAMESPACE, "-s", str(sig)]
    ok = subprocess.run(cmd, input=MESSAGE, capture_output=True, timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    assert b"Good" in ok.stdout
    bad = subprocess.run(cmd, input=MESSAGE + b"x", capture_output=True, timeout=30, check=False)
    assert bad.returncode != 0


@needs_ssh_keygen
def test_we_verify_ssh_keygen_signature_made_with_our_key(tmp_path: Path) -> None:
    files = keygen(tmp_path / "key", principal="alice@example.org")
    msg = tmp_path / "m"
    msg.write_bytes(MESSAGE)
    p = subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(files.private), "-n", NAMESPACE, str(msg)],
                       capture_output=True, timeout=30, check=False)
    assert p.returncode == 0, p.stderr
    text = Path(f"{msg}.sig").read_text()
    assert verify(MESSAGE, text, parse_allowed_signers(files.allowed_signers.read_text())).principals == (
        "alice@example.org",)
