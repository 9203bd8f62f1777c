"""Verify a package: authenticate first, then a bounded, checked extraction, then re-validation.

The order is fixed, and nothing is decompressed, trusted or written before the step above it passed:

1. the allowed_signers file is read as OpenSSH reads it, and the signature over the manifest checked;
2. the manifest is decoded into typed, bounded records (shape, types, duplicates, canonical bytes);
3. the .tar.gz's size and then its sha256 are compared with the signed values;
4. the gzip stream is decompressed with a byte budget equal to the signed tar size, and every
   member is checked (name, type, not sparse, size equal to the manifest's) before its data is read;
   so the work and the disk used are bounded by the sizes the signer signed;
5. the tree is re-validated: with the options the signer recorded (each printed; a verdict they
   narrowed says so), or with the installed round's complete rules (`full_rules`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, Protocol, cast

import msgspec

from ..api import validate
from ..engine.rules import available_rounds
from ..errors import IntegrityError, RulesetError, UsageError
from ..escape import visible
from ..findings import Report
from ..fs import read_upto
from ..inputs import decode_utf8, read_limited
from ..options import ValidateOptions
from ..waivers import parse_waivers
from . import NAMESPACE
from .manifest import Manifest, load_manifest
from .sshsig import AllowedSigner, parse_allowed_signers
from .sshsig import verify as verify_signature
from .tarball import BLOCK, RECORD

HELP_CHANGED = "The package was changed after it was signed, or damaged in transit; get it again from the signer."
HELP_LAYOUT = "A package is NAME.tar.gz with NAME.manifest.json and NAME.manifest.json.sig beside it."
HELP_SIGNERS = ("Pass the signer's allowed_signers line (the .allowed_signers file `mlcheck keygen` wrote), "
                "obtained from the signer through a channel you trust.")
HELP_FULL = "Run verify again with --full-rules to re-validate with this mlcheck's complete rules and no waivers."

MAX_MANIFEST_BYTES = 256 << 20  # about a million files
MAX_SIGNATURE_BYTES = 64 << 10  # an armored Ed25519 SSHSIG is under 1 KiB
MAX_ALLOWED_SIGNERS_BYTES = 1 << 20
MAX_PAX_HEADER = 64 << 10  # mlcheck writes a path (and a size over 8 GiB) in its PAX headers, nothing else
CHUNK = 1 << 20
DISK_MARGIN = 16 << 20


@dataclass(frozen=True)
class AppliedOptions:
    """The validation options verify re-applied, and why the verdict they give is narrower than a full check."""

    full_rules: bool
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    known_absent: tuple[str, ...]
    strict: bool
    max_bytes: int
    waivers: tuple[dict[str, Any], ...]  # rule, path, justification, matched (by this re-validation)
    rules: str  # which rules judged the tree, for the reader
    narrowed: tuple[str, ...]  # empty: nothing was switched off


@dataclass(frozen=True)
class VerifyResult:
    """What verify established."""

    signer: AllowedSigner
    manifest: dict[str, Any]
    record: Manifest
    files: int
    report: Report
    strict: bool
    rules_match_installed: bool | None  # None: the manifest's round is not shipped with this mlcheck
    applied: AppliedOptions

    @property
    def exit_code(self) -> int:
        """0 good, 1 validation errors (signature and content already matched)."""
        return self.report.exit_code(self.strict)

    @property
    def narrowed(self) -> bool:
        """True when the signer's options switched rules or findings off for this verdict."""
        return bool(self.applied.narrowed)


def companion_paths(archive: Path) -> tuple[Path, Path]:
    """NAME.manifest.json and NAME.manifest.json.sig beside NAME.tar.gz."""
    stem = archive.name[:-len(".tar.gz")] if archive.name.endswith(".tar.gz") else archive.stem
    manifest = archive.with_name(f"{stem}.manifest.json")
    return manifest, manifest.with_name(manifest.name + ".sig")


def _read_companion(path: Path, what: str, limit: int) -> bytes:
    """A file of the package; a missing one means the package cannot be authenticated (exit 4)."""
    if not os.path.lexists(path):
        raise IntegrityError(f"the package has no {what}: {visible(str(path))} is missing",
                             f"{HELP_LAYOUT} Without its signed manifest nothing in the archive can be trusted.")
    try:
        with path.open("rb") as fh:
            data = read_upto(fh, limit)
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {visible(str(path))}: {exc.strerror}", HELP_LAYOUT) from exc
    if len(data) > limit:
        raise IntegrityError(f"the {what} {visible(path.name)} is larger than {limit:,} bytes", HELP_CHANGED)
    return data


def load_allowed_signers(path: Path) -> list[AllowedSigner]:
    """The reviewer's allowed_signers file, read strictly: a line ssh-keygen would not accept is an error."""
    raw = read_limited(path, "allowed_signers file", MAX_ALLOWED_SIGNERS_BYTES, UsageError)
    allowed = parse_allowed_signers(decode_utf8(raw, f"allowed_signers file {visible(str(path))}", UsageError))
    if not allowed:
        raise UsageError(f"the allowed_signers file {visible(str(path))} holds no signer line", HELP_SIGNERS)
    return allowed


def check_member_name(name: str) -> str | None:
    """Why an archive path is unsafe to extract, or None when it is a plain relative path."""
    if not name:
        return "an empty path"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    parts = PurePosixPath(name).parts
    if any(p in ("..", ".", "") for p in name.split("/")) or not parts:
        return "a path with '..', '.' or empty components"
    if "\\" in name or "\x00" in name:
        return "a path with a backslash or NUL"
    return None


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _header_allowance(path: str) -> int:
    """The most header bytes mlcheck's tar writer spends on one entry: a ustar block, and a PAX header
    (its own block and records) when the name is long or not ASCII or the size needs it."""
    return 2 * BLOCK + _padded(2 * len(path.encode("utf-8")) + 256)


def max_tar_size(record: Manifest) -> int:
    """The largest tar stream the manifest's entries can make: what the signed tar size may not exceed."""
    total = sum(_header_allowance(p) for p in record.folders)
    total += sum(_header_allowance(f.path) + _padded(f.size) for f in record.files)
    return total + 2 * BLOCK + RECORD


def check_manifest(record: Manifest) -> None:
    """What typing cannot say: safe, distinct paths, consistent truncation records, a plausible tar size."""
    seen: set[str] = set()
    for path in [*record.folders, *(f.path for f in record.files)]:
        why = check_member_name(path)
        if why:
            raise IntegrityError(f"refusing the manifest's path {visible(path)!r}: {why}", HELP_CHANGED)
        if path in seen:
            raise IntegrityError(f"the manifest lists {visible(path)} twice", HELP_CHANGED)
        seen.add(path)
    files = {f.path for f in record.files}
    for t in record.truncation:
        if t.path not in files:
            raise IntegrityError(f"the manifest's truncation record names {visible(t.path)}, "
                                 "which is not a packaged file", HELP_CHANGED)
    bound = max_tar_size(record)
    if record.archive.tar_size > bound:
        raise IntegrityError(f"the manifest's tar size ({record.archive.tar_size:,} bytes) is larger than its "
                             f"{len(record.files)} files and {len(record.folders)} folders can make "
                             f"({bound:,} bytes)", HELP_CHANGED)


def authenticate_archive(fh: BinaryIO, record: Manifest, label: str) -> None:
    """Compare the .tar.gz's size, then its sha256, with the signed values; nothing is decompressed."""
    want = record.archive
    size = os.fstat(fh.fileno()).st_size
    if size != want.tar_gz_size:
        raise IntegrityError(f"{label}: {size:,} bytes, but the signed manifest says {want.tar_gz_size:,}",
                             HELP_CHANGED)
    sha = hashlib.sha256()
    left = size
    while left and (block := fh.read(min(CHUNK, left))):
        sha.update(block)
        left -= len(block)
    if left or fh.read(1):
        raise IntegrityError(f"{label}: changed size while it was being read", HELP_CHANGED)
    if sha.hexdigest() != want.tar_gz_sha256:
        raise IntegrityError(f"{label}: sha256 {sha.hexdigest()[:16]}… differs from the signed manifest's "
                             f"{want.tar_gz_sha256[:16]}…", HELP_CHANGED)


class _Gunzip:
    """One gzip member from `fh`, decompressed in pieces and never past `limit` bytes; input and output hashed.

    Data after the gzip member (a second member, padding, anything) is refused when the member ends.
    """

    def __init__(self, fh: BinaryIO, gz_size: int, limit: int, label: str) -> None:
        self.fh, self.gz_left, self.limit, self.label = fh, gz_size, limit, label
        self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.gz_sha = hashlib.sha256()
        self.tar_sha = hashlib.sha256()
        self.size = 0
        self.pending = b""
        self.buf = b""
        self.pos = 0

    def _step(self) -> bool:
        """Decompress the next piece into the buffer; False once the gzip member has ended."""
        if self.z.eof:
            return False
        if not self.pending:
            self.pending = self.fh.read(min(CHUNK, self.gz_left)) if self.gz_left else b""
            if not self.pending:
                raise IntegrityError(f"{self.label}: the gzip stream is cut short", HELP_CHANGED)
            self.gz_left -= len(self.pending)
            self.gz_sha.update(self.pending)
        room = min(CHUNK, self.limit - self.size + 1)  # one byte more than allowed shows an overrun
        out = self.z.decompress(self.pending, room)
        self.pending = self.z.unconsumed_tail
        self.size += len(out)
        if self.size > self.limit:
            raise IntegrityError(f"{self.label}: decompresses past the signed tar size ({self.limit:,} bytes)",
                                 HELP_CHANGED)
        self.tar_sha.update(out)
        self.buf, self.pos = out, 0
        if self.z.eof and (self.z.unused_data or self.gz_left):
            raise IntegrityError(f"{self.label}: data follows the end of the gzip stream", HELP_CHANGED)
        return True

    def read(self, n: int = -1) -> bytes:
        while self.pos >= len(self.buf):
            if not self._step():
                return b""
        end = len(self.buf) if n < 0 else self.pos + n
        data = self.buf[self.pos:end]
        self.pos += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


class _StrictTarInfo(tarfile.TarInfo):
    """Refuses, as each header is read, the header types mlcheck never writes and oversized PAX headers.

    This runs before tarfile acts on a header: a GNU sparse header never gets to expand into
    gigabytes of zeros, a long-name or PAX header never gets read into memory whole.
    """

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise IntegrityError(f"refusing {visible(self.name)}: it is a sparse file", HELP_CHANGED)
        if self.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XGLTYPE,
                         tarfile.SOLARIS_XHDTYPE):
            raise IntegrityError(f"refusing {visible(self.name)}: a tar header of type {self.type!r}, which "
                                 "mlcheck never writes", HELP_CHANGED)
        if self.type == tarfile.XHDTYPE and self.size > MAX_PAX_HEADER:
            raise IntegrityError(f"refusing {visible(self.name)}: an extended header of {self.size:,} bytes "
                                 f"(at most {MAX_PAX_HEADER:,})", HELP_CHANGED)
        # the base class's own dispatcher (private, stable since Python 2.x): the checks above come first
        member: tarfile.TarInfo = super()._proc_member(tarfile_)  # type: ignore[misc]
        return member


def _kind(ti: tarfile.TarInfo) -> str:
    if ti.issym():
        return f"symbolic link (to {visible(ti.linkname)!r})"
    if ti.islnk():
        return f"hard link (to {visible(ti.linkname)!r})"
    if ti.ischr() or ti.isblk():
        return "device"
    if ti.isfifo():
        return "FIFO"
    return f"entry of type {ti.type!r}"


def _check_member(ti: tarfile.TarInfo, label: str) -> None:
    """Refuse an unsafe name, a type other than file or folder, and any sparse file."""
    why = check_member_name(ti.name)
    if why:
        raise IntegrityError(f"{label}: refusing {visible(ti.name)!r}: {why}", HELP_CHANGED)
    if not (ti.isreg() or ti.isdir()):
        raise IntegrityError(f"{label}: refusing {visible(ti.name)}: it is a {_kind(ti)}", HELP_CHANGED)
    if (ti.sparse is not None or any(k.startswith("GNU.sparse.") for k in ti.pax_headers)
            or ti.type not in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE)):
        raise IntegrityError(f"{label}: refusing {visible(ti.name)}: it is a sparse or special file", HELP_CHANGED)


def extract_and_compare(fh: BinaryIO, record: Manifest, dest: Path, label: str) -> int:
    """Stream the authenticated archive into `dest`, checking each member against the manifest first.

    `fh` is the archive, already authenticated by `authenticate_archive`; it is read again from the
    start and hashed again. Raises IntegrityError naming the first entry that differs; returns the
    number of files.
    """
    files = {f.path: f for f in record.files}
    folders = set(record.folders)
    seen: set[str] = set()
    current = "the start of the archive"
    fh.seek(0)
    gz = _Gunzip(fh, record.archive.tar_gz_size, record.archive.tar_size, label)
    try:
        with tarfile.open(fileobj=cast(IO[bytes], gz), mode="r|", encoding="utf-8", errors="strict",
                          tarinfo=_StrictTarInfo) as tf:
            for ti in tf:
                _check_member(ti, label)
                name = ti.name
                if name in seen:
                    raise IntegrityError(f"{label}: {visible(name)} appears twice", HELP_CHANGED)
                seen.add(name)
                current = visible(name)
                target = dest.joinpath(*name.split("/"))
                if ti.isdir():
                    if name not in folders:
                        raise IntegrityError(f"{visible(name)}: folder in the archive is not in the manifest",
                                             HELP_CHANGED)
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                want = files.get(name)
                if want is None:
                    raise IntegrityError(f"{visible(name)}: file in the archive is not in the manifest",
                                         HELP_CHANGED)
                if ti.size != want.size:
                    raise IntegrityError(f"{visible(name)}: {ti.size:,} bytes in the archive, "
                                         f"{want.size:,} in the manifest", HELP_CHANGED)
                if f"{ti.mode & 0o7777:04o}" != want.mode:
                    raise IntegrityError(f"{visible(name)}: mode {ti.mode & 0o7777:04o} differs from the "
                                         f"manifest's {want.mode}", HELP_CHANGED)
                target.parent.mkdir(parents=True, exist_ok=True)
                _extract_file(tf, ti, target, want.sha256, 0o755 if want.mode == "0755" else 0o644)
            current = "the end of the archive"
        gz.drain()
    except (OSError, EOFError, zlib.error, tarfile.TarError, UnicodeError, ValueError) as exc:
        raise IntegrityError(f"{label}: the archive is damaged after {current}: {visible(str(exc))}",
                             HELP_CHANGED) from exc
    for name in [*files, *sorted(folders)]:
        if name not in seen:
            raise IntegrityError(f"{visible(name)}: listed in the manifest but missing from the archive",
                                 HELP_CHANGED)
    arch = record.archive
    if gz.tar_sha.hexdigest() != arch.tar_sha256 or gz.size != arch.tar_size:
        raise IntegrityError(f"{label}: the tar stream differs from the manifest (headers or padding changed)",
                             HELP_CHANGED)
    if gz.gz_sha.hexdigest() != arch.tar_gz_sha256:
        raise IntegrityError(f"{label}: changed while it was being verified", HELP_CHANGED)
    return len(files)


def _extract_file(tf: tarfile.TarFile, ti: tarfile.TarInfo, target: Path, sha256: str, mode: int) -> None:
    src = tf.extractfile(ti)
    if src is None:
        raise IntegrityError(f"{visible(ti.name)}: cannot be read from the archive", HELP_CHANGED)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    sha = hashlib.sha256()
    with os.fdopen(os.open(target, flags, mode), "wb") as out:
        while block := src.read(CHUNK):
            sha.update(block)
            out.write(block)
    if sha.hexdigest() != sha256:
        raise IntegrityError(f"{visible(ti.name)}: content differs from the manifest "
                             f"(sha256 {sha.hexdigest()[:16]}…, manifest {sha256[:16]}…)", HELP_CHANGED)


def check_disk_space(folder: Path, record: Manifest) -> None:
    """Refuse before extracting when the temporary folder cannot hold the files the manifest lists."""
    need = sum(f.size for f in record.files) + DISK_MARGIN
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < need:
        raise UsageError(f"verify needs {need:,} bytes in {folder} to extract the package; {free:,} are free",
                         "Point TMPDIR at a folder with more space.")


def write_rules(record: Manifest, folder: Path) -> Path:
    """Write the rule files the manifest carries and return the last one (the round that was used)."""
    embedded = record.rules.embedded
    if not embedded:
        raise IntegrityError("the manifest carries no rules", "Verify it with the mlcheck version that made it.")
    folder.mkdir()
    joined = b""
    last = folder
    names: set[str] = set()
    for item in embedded:
        raw = item.text.encode("utf-8")
        base = item.file.split("/", 1)[1]
        if hashlib.sha256(raw).hexdigest() != item.sha256 or check_member_name(base) or base in names:
            raise IntegrityError(f"rules file {visible(item.file)}: does not match its hash in the manifest, or "
                                 "is named twice", HELP_CHANGED)
        if item.file.split("/", 1)[0] != record.suite:
            raise IntegrityError(f"rules file {visible(item.file)}: not for the manifest's suite {record.suite}",
                                 HELP_CHANGED)
        names.add(base)
        joined += raw
        last = folder / base
        last.write_bytes(raw)
    if hashlib.sha256(joined).hexdigest() != record.rules.digest:
        raise IntegrityError("the manifest's rules do not match its rules digest", HELP_CHANGED)
    return last


def full_rules_round(record: Manifest) -> str | None:
    """The shipped round --full-rules applies: the manifest's, else the nearest its rules chain extends."""
    shipped = available_rounds(record.suite)
    if record.round in shipped:
        return record.round
    for item in reversed(record.rules.embedded):
        stem = PurePosixPath(item.file).stem
        if stem in shipped:
            return stem
    return None


class _Rules(Protocol):
    """What verify reads of a loaded ruleset, whichever suite's loader built it."""

    @property
    def digest(self) -> str: ...

    @property
    def rules(self) -> Sequence[Any]: ...


def load_rules(suite: str, round_name: str, path: Path | None = None) -> _Rules:
    """A suite's ruleset for a round or a rules file, with its typed params and round model."""
    from ..api import load_suite_ruleset, suite_of

    return load_suite_ruleset(suite_of(suite), round_name, path)


def _installed_ids(suite: str, round_name: str) -> frozenset[str] | None:
    """The rule ids of this mlcheck's shipped round, or None when it does not ship that round."""
    if round_name not in available_rounds(suite):
        return None
    return frozenset(r.id for r in load_rules(suite, round_name).rules)


def _installed_digest(suite: str, round_name: str) -> str | None:
    if round_name not in available_rounds(suite):
        return None
    return load_rules(suite, round_name).digest


def prefix_text(prefix: str) -> str:
    """A rule-id prefix for the reader: escaped, and visible even when empty (it matches every rule)."""
    return visible(prefix) if prefix else "'' (every rule)"


def _narrowing(record: Manifest, waivers: list[dict[str, Any]], signed_ids: frozenset[str],
               max_bytes: int) -> tuple[str, ...]:
    """Each way the signer's options switched rules or findings off (empty: none)."""
    opts = record.validation.options
    out: list[str] = []
    if opts.select:
        out.append(f"only rules starting with {', '.join(prefix_text(s) for s in opts.select)} ran (--select)")
    if opts.ignore:
        out.append(f"rules starting with {', '.join(prefix_text(s) for s in opts.ignore)} were off (--ignore)")
    covered = sum(int(w["matched"]) for w in waivers)
    if covered:
        out.append(f"{len(waivers)} waiver(s) covered {covered} finding(s)")
    if opts.known_absent:
        out.append(f"{len(opts.known_absent)} path(s) were declared known-absent")
    if max_bytes < ValidateOptions().max_bytes:
        out.append(f"files over {max_bytes:,} bytes were not read whole (default {ValidateOptions().max_bytes:,})")
    if record.rules.source == "file":
        out.append("a custom rules file judged the tree, not a shipped round")
    installed = _installed_ids(record.suite, record.round)
    if installed is not None:
        missing = installed - signed_ids
        if missing:
            out.append(f"{len(missing)} rule(s) of this mlcheck's {record.suite} {record.round} are not in the "
                       f"signed rules (e.g. {sorted(missing)[0]})")
    return tuple(out)


def _signer_options(record: Manifest, rules_file: Path) -> ValidateOptions:
    opts = record.validation.options
    try:
        waivers = parse_waivers([msgspec.structs.asdict(w) for w in opts.waivers], "the manifest's waivers")
    except UsageError as exc:  # signed, so the package's fault, not the reviewer's
        raise IntegrityError(exc.message, HELP_CHANGED) from exc
    return ValidateOptions(
        suite=record.suite, round=record.round, rules_file=rules_file, known_absent=frozenset(opts.known_absent),
        select=tuple(opts.select), ignore=tuple(opts.ignore),
        max_bytes=opts.max_bytes or ValidateOptions().max_bytes, waivers=tuple(waivers))


def verify_package(archive: Path, allowed_signers: Path, principal: str | None = None,
                   namespace: str = NAMESPACE, manifest_path: Path | None = None,
                   signature_path: Path | None = None, full_rules: bool = False,
                   now: float | None = None) -> VerifyResult:
    """Verify a package; raise IntegrityError (exit 4) on any mismatch, else return the re-validation.

    By default the tree is re-validated with the options the signer recorded (the result says how
    they narrowed the verdict); with `full_rules`, with this mlcheck's complete rules for the
    manifest's round, no selection, no waivers and nothing known-absent.
    """
    default_manifest, default_sig = companion_paths(archive)
    manifest_path = manifest_path or default_manifest
    signature_path = signature_path or default_sig
    if not archive.is_file():
        raise UsageError(f"{visible(str(archive))} is not a file", "Pass NAME.tar.gz as written by `mlcheck package`.")
    allowed = load_allowed_signers(allowed_signers)
    manifest_bytes = _read_companion(manifest_path, "manifest", MAX_MANIFEST_BYTES)
    sig_bytes = _read_companion(signature_path, "signature", MAX_SIGNATURE_BYTES)
    try:
        sig_text = sig_bytes.decode("ascii")
    except UnicodeDecodeError as exc:
        raise IntegrityError(f"{visible(signature_path.name)}: the signature file is not ASCII text",
                             HELP_CHANGED) from exc
    try:
        signer = verify_signature(manifest_bytes, sig_text, allowed, namespace, principal, now)
    except IntegrityError as exc:
        raise IntegrityError(f"{visible(manifest_path.name)} / {visible(signature_path.name)}: {exc.message}",
                             exc.help) from exc
    record, doc = load_manifest(manifest_bytes)
    check_manifest(record)
    full_round = full_rules_round(record) if full_rules else None
    if full_rules and full_round is None:
        raise UsageError(f"--full-rules: this mlcheck does not ship the {record.suite} round "
                         f"{visible(record.round)}, nor a round its rules extend",
                         f"Known rounds: {', '.join(available_rounds(record.suite)) or 'none'}; verify without "
                         "--full-rules applies the rules the manifest carries.")
    label = visible(archive.name)
    with archive.open("rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise UsageError(f"{label} is not a regular file")
        authenticate_archive(fh, record, label)
        with tempfile.TemporaryDirectory(prefix="mlcheck-verify-") as tmp:
            check_disk_space(Path(tmp), record)
            tree = Path(tmp) / "tree"
            tree.mkdir()
            count = extract_and_compare(fh, record, tree, label)
            rules_file = write_rules(record, Path(tmp) / "rules")
            try:
                signed = load_rules(record.suite, record.round, rules_file)
            except RulesetError as exc:  # the signed rules themselves are bad: the package's fault
                raise IntegrityError(f"the manifest's rules cannot be loaded: {exc.message}", HELP_CHANGED) from exc
            if signed.digest != record.rules.digest:
                raise IntegrityError("the manifest's rules do not load as the chain its digest signs", HELP_CHANGED)
            if full_round is not None:
                vopts = ValidateOptions(suite=record.suite, round=full_round)
                report = validate(tree, vopts)
            else:
                vopts = _signer_options(record, rules_file)
                try:
                    report = validate(tree, vopts)
                except RulesetError as exc:  # a check kind this mlcheck lacks, say: the signed rules' fault
                    raise IntegrityError(f"the manifest's rules cannot be applied: {exc.message}",
                                         "Verify it with the mlcheck version that made it, or with --full-rules.") \
                        from exc
    report.root = archive.name
    installed = _installed_digest(record.suite, record.round)
    match = None if record.rules.source != "shipped" or installed is None else installed == record.rules.digest
    if full_round is not None:
        rules = f"this mlcheck's complete {record.suite} {full_round} rules (--full-rules)"
        if full_round != record.round:
            rules += f"; the manifest's round {visible(record.round)} extends it"
        narrowed: tuple[str, ...] = ()
    else:
        origin = "custom rules file" if record.rules.source == "file" else "shipped rules"
        note = {True: "identical to this mlcheck's", False: "differ from this mlcheck's",
                None: "this mlcheck does not ship them"}[match]
        rules = f"the manifest's {origin} for {record.suite} {record.round} ({note})"
        if record.rules.source == "file":
            rules += ": " + ", ".join(visible(e.file) for e in record.rules.embedded)
        narrowed = _narrowing(record, report.waivers, frozenset(r.id for r in signed.rules), vopts.max_bytes)
    applied = AppliedOptions(
        full_rules=full_rules, select=vopts.select, ignore=vopts.ignore, known_absent=tuple(sorted(vopts.known_absent)),
        strict=record.validation.options.strict, max_bytes=vopts.max_bytes, waivers=tuple(report.waivers),
        rules=rules, narrowed=narrowed)
    return VerifyResult(signer, doc, record, count, report, record.validation.options.strict, match, applied)
