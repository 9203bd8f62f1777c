"""Verify a package: signature, manifest against archive, safe extraction, re-validation.

The order is fixed: nothing in the manifest is trusted before its signature checks out, and
nothing in the archive is written before its header passes the path and type checks.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast

from ..api import validate
from ..engine.rules import available_rounds, rules_digest
from ..errors import IntegrityError, UsageError
from ..findings import Report
from ..options import ValidateOptions
from ..waivers import Waiver
from .manifest import load_manifest
from .sshsig import NAMESPACE, AllowedSigner, parse_allowed_signers
from .sshsig import verify as verify_signature

HELP_CHANGED = "The package was changed after it was signed, or damaged in transit; get it again from the signer."


@dataclass(frozen=True)
class VerifyResult:
    """What verify established."""

    signer: AllowedSigner
    manifest: dict[str, Any]
    files: int
    report: Report
    strict: bool
    rules_match_installed: bool | None  # None: the manifest's round is not shipped with this mlcheck

    @property
    def exit_code(self) -> int:
        """0 good, 1 validation errors (signature and content already matched)."""
        return self.report.exit_code(self.strict)


class _HashingReader:
    """A read-only file object that hashes and counts what passes through it."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


def companion_paths(archive: Path) -> tuple[Path, Path]:
    """NAME.manifest.json and NAME.manifest.json.sig beside NAME.tar.gz."""
    stem = archive.name[:-len(".tar.gz")] if archive.name.endswith(".tar.gz") else archive.stem
    manifest = archive.with_name(f"{stem}.manifest.json")
    return manifest, manifest.with_name(manifest.name + ".sig")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror}",
                         "The package is NAME.tar.gz with NAME.manifest.json and NAME.manifest.json.sig beside it.") \
            from exc


def check_member_name(name: str) -> str | None:
    """Why an archive path is unsafe to extract, or None when it is a plain relative path."""
    if not name:
        return "an empty path"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".") for p in name.split("/")) or not parts:
        return "a path with '..' or '.' components"
    if "\\" in name or "\x00" in name:
        return "a path with a backslash or NUL"
    return None


def _kind(ti: tarfile.TarInfo) -> str:
    if ti.issym():
        return f"symbolic link (to {ti.linkname!r})"
    if ti.islnk():
        return f"hard link (to {ti.linkname!r})"
    if ti.ischr() or ti.isblk():
        return "device"
    if ti.isfifo():
        return "FIFO"
    return f"entry of type {ti.type!r}"


def extract_and_compare(archive: Path, manifest: dict[str, Any], dest: Path) -> int:
    """Stream the archive into `dest`, refusing unsafe entries and comparing each with the manifest.

    Raises IntegrityError naming the first entry that differs; returns the number of files.
    """
    files = {f["path"]: f for f in manifest["files"]}
    folders = set(manifest["folders"])
    seen: set[str] = set()
    current = "the start of the archive"
    label = archive.name
    with archive.open("rb") as raw_fh:
        raw = _HashingReader(raw_fh)
        try:
            with gzip.GzipFile(fileobj=cast(IO[bytes], raw), mode="rb") as gz:
                tar_stream = _HashingReader(cast(IO[bytes], gz))
                with tarfile.open(fileobj=cast(IO[bytes], tar_stream), mode="r|", encoding="utf-8",
                                  errors="strict") as tf:
                    for ti in tf:
                        name = ti.name
                        why = check_member_name(name)
                        if why:
                            raise IntegrityError(f"{label}: refusing {name!r}: {why}", HELP_CHANGED)
                        if not (ti.isreg() or ti.isdir()):
                            raise IntegrityError(f"{label}: refusing {name}: it is a {_kind(ti)}", HELP_CHANGED)
                        if name in seen:
                            raise IntegrityError(f"{label}: {name} appears twice", HELP_CHANGED)
                        seen.add(name)
                        current = name
                        target = dest.joinpath(*name.split("/"))
                        if ti.isdir():
                            if name not in folders:
                                raise IntegrityError(f"{name}: folder in the archive is not in the manifest",
                                                     HELP_CHANGED)
                            target.mkdir(parents=True, exist_ok=True)
                            continue
                        want = files.get(name)
                        if want is None:
                            raise IntegrityError(f"{name}: file in the archive is not in the manifest", HELP_CHANGED)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        _extract_file(tf, ti, target, want)
                    current = "the end of the archive"
                tar_stream.drain()
            raw.drain()
        except (OSError, EOFError, zlib.error, tarfile.TarError, struct.error, UnicodeError, ValueError) as exc:
            raise IntegrityError(f"{label}: the archive is damaged after {current}: {exc}", HELP_CHANGED) from exc
    for name in list(files) + sorted(folders):
        if name not in seen:
            raise IntegrityError(f"{name}: listed in the manifest but missing from the archive", HELP_CHANGED)
    arch = manifest["archive"]
    if tar_stream.sha.hexdigest() != arch.get("tar_sha256") or tar_stream.size != arch.get("tar_size"):
        raise IntegrityError(f"{label}: the tar stream differs from the manifest (headers or padding changed)",
                             HELP_CHANGED)
    if raw.sha.hexdigest() != arch.get("tar_gz_sha256") or raw.size != arch.get("tar_gz_size"):
        raise IntegrityError(f"{label}: sha256 of the .tar.gz differs from the manifest", HELP_CHANGED)
    return len(files)


def _extract_file(tf: tarfile.TarFile, ti: tarfile.TarInfo, target: Path, want: dict[str, Any]) -> None:
    src = tf.extractfile(ti)
    if src is None:
        raise IntegrityError(f"{ti.name}: cannot be read from the archive", HELP_CHANGED)
    mode = 0o755 if want.get("mode") == "0755" else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    sha = hashlib.sha256()
    size = 0
    with os.fdopen(os.open(target, flags, mode), "wb") as out:
        while block := src.read(1 << 20):
            sha.update(block)
            size += len(block)
            out.write(block)
    if size != want["size"] or sha.hexdigest() != want["sha256"]:
        raise IntegrityError(f"{ti.name}: content differs from the manifest "
                             f"(sha256 {sha.hexdigest()[:16]}…, manifest {str(want['sha256'])[:16]}…)", HELP_CHANGED)
    if f"{ti.mode & 0o7777:04o}" != want.get("mode"):
        raise IntegrityError(f"{ti.name}: mode {ti.mode & 0o7777:04o} differs from the manifest's {want.get('mode')}",
                             HELP_CHANGED)


def write_rules(manifest: dict[str, Any], folder: Path) -> Path:
    """Write the rule files the manifest carries and return the last one (the round that was used)."""
    rules = manifest["rules"]
    embedded = rules.get("embedded") or []
    if not embedded:
        raise IntegrityError("the manifest carries no rules", "Verify it with the mlcheck version that made it.")
    folder.mkdir()
    joined = b""
    last = folder
    for item in embedded:
        raw = str(item["text"]).encode("utf-8")
        base = PurePosixPath(str(item["file"])).name
        if hashlib.sha256(raw).hexdigest() != item.get("sha256") or check_member_name(base) or "/" in base:
            raise IntegrityError(f"rules file {item['file']}: does not match its hash in the manifest", HELP_CHANGED)
        joined += raw
        last = folder / base
        last.write_bytes(raw)
    if hashlib.sha256(joined).hexdigest() != rules.get("digest"):
        raise IntegrityError("the manifest's rules do not match its rules digest", HELP_CHANGED)
    return last


def _installed_match(manifest: dict[str, Any]) -> bool | None:
    suite, round_name = str(manifest["suite"]), str(manifest["round"])
    if manifest["rules"].get("source") != "shipped" or round_name not in available_rounds(suite):
        return None
    try:
        return bool(rules_digest(suite, round_name) == manifest["rules"].get("digest"))
    except Exception:  # noqa: BLE001 - a broken installed round only means "no match"
        return False


def verify_package(archive: Path, allowed_signers: Path, principal: str | None = None,
                   namespace: str = NAMESPACE, manifest_path: Path | None = None,
                   signature_path: Path | None = None) -> VerifyResult:
    """Verify a package; raise IntegrityError (exit 4) on any mismatch, else return the re-validation."""
    default_manifest, default_sig = companion_paths(archive)
    manifest_path = manifest_path or default_manifest
    signature_path = signature_path or default_sig
    if not archive.is_file():
        raise UsageError(f"{archive} is not a file", "Pass NAME.tar.gz as written by `mlcheck package`.")
    allowed = parse_allowed_signers(_read(allowed_signers, "allowed signers file").decode("utf-8", "replace"))
    if not allowed:
        raise UsageError(f"{allowed_signers} holds no ssh-ed25519 allowed_signers line",
                         "Use the .allowed_signers file `mlcheck keygen` wrote for the signer's key.")
    manifest_bytes = _read(manifest_path, "manifest")
    sig_bytes = _read(signature_path, "signature")
    try:
        sig_text = sig_bytes.decode("ascii")
    except UnicodeDecodeError as exc:
        raise IntegrityError(f"{signature_path.name}: the signature file is not ASCII text", HELP_CHANGED) from exc
    try:
        signer = verify_signature(manifest_bytes, sig_text, allowed, namespace, principal)
    except IntegrityError as exc:
        raise IntegrityError(f"{manifest_path.name} / {signature_path.name}: {exc.message}", exc.help) from exc
    manifest = load_manifest(manifest_bytes)
    with tempfile.TemporaryDirectory(prefix="mlcheck-verify-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        count = extract_and_compare(archive, manifest, tree)
        rules_file = write_rules(manifest, Path(tmp) / "rules")
        opts_in = manifest["validation"].get("options", {})
        vopts = ValidateOptions(
            suite=opts_in.get("suite") or manifest["suite"], round=manifest["round"], rules_file=rules_file,
            known_absent=frozenset(opts_in.get("known_absent", [])), select=tuple(opts_in.get("select", [])),
            ignore=tuple(opts_in.get("ignore", [])),
            max_bytes=int(opts_in.get("max_bytes", ValidateOptions().max_bytes)),
            waivers=tuple(Waiver(str(w["rule"]), str(w["path"]), str(w["justification"]))
                          for w in opts_in.get("waivers", []) if isinstance(w, dict)),
        )
        report = validate(tree, vopts)
        report.root = archive.name
    return VerifyResult(signer, manifest, count, report, bool(opts_in.get("strict", False)),
                        _installed_match(manifest))
