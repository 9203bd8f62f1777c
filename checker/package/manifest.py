"""The package manifest: what was packaged, with which rules, from which commit, and its hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from .. import __version__
from ..engine.rules import rules_root
from ..errors import MlcheckError, UsageError
from ..escape import visible
from .tarball import FileRecord, PackageError, TarballResult

SCHEMA = "mlcheck-manifest/1"
TRUNCATION_FILE = "mlcheck-truncation.json"
TRUNCATION_SCHEMA = "mlcheck-truncation/1"
ACCURACY_LOG = "mlperf_log_accuracy.json"
ACCURACY_TXT = "accuracy.txt"
HASH_LINE = re.compile(r"^hash=([0-9a-fA-F]{64})\s*$", re.MULTILINE)


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as an int, None when unset; a bad value is a usage error."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw.strip() == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(f"SOURCE_DATE_EPOCH={raw!r} is not a non-negative integer",
                         "See https://reproducible-builds.org/specs/source-date-epoch/.")
    return value


def iso_time(epoch: int | None) -> str:
    """UTC time as ISO 8601 with a Z; `epoch` None means now."""
    when = dt.datetime.now(dt.UTC) if epoch is None else dt.datetime.fromtimestamp(epoch, dt.UTC)
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RulesFile:
    """One file of a ruleset's extends chain, base first."""

    name: str  # suite/file.yaml, as Ruleset.files names it
    raw: bytes


def rules_chain(suite: str, round_name: str, rules_file: Path | None, digest: str) -> list[RulesFile]:
    """The bytes of the rule files a validation used, checked against the ruleset's digest.

    `extends` is followed as the loader follows it: a round beside the first file, never a path.
    """
    from ..engine.rules import MAX_RULES_BYTES
    from ..inputs import decode_utf8, parse_yaml, read_limited

    chain: list[RulesFile] = []
    current: Path | None = rules_file or rules_root() / suite / f"{round_name}.yaml"
    folder = current.parent if current is not None else Path()
    while current is not None and len(chain) < 32:
        raw = read_limited(current, "rules file", MAX_RULES_BYTES, MlcheckError)
        chain.append(RulesFile(f"{suite}/{current.name}", raw))
        where = f"rules file {current.name}"
        doc = parse_yaml(decode_utf8(raw, where, MlcheckError), where, MlcheckError)
        parent = doc.get("extends") if isinstance(doc, dict) else None
        current = folder / f"{parent}.yaml" if isinstance(parent, str) and parent else None
    chain.reverse()
    if hashlib.sha256(b"".join(f.raw for f in chain)).hexdigest() != digest:
        raise MlcheckError("the rule files changed while packaging (their digest no longer matches)",
                           "Run package again once the rules are stable.")
    return chain


def read_truncation_file(root: Path) -> list[dict[str, Any]]:
    """The records `mlcheck truncate` wrote at the top of its output, or [] when there is none."""
    path = root / TRUNCATION_FILE
    if not path.is_file() or path.is_symlink():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"{TRUNCATION_FILE}: cannot be read ({exc})",
                           "Run `mlcheck truncate` again, or remove the file if the tree is not truncated.") from exc
    if not isinstance(doc, dict) or doc.get("schema") != TRUNCATION_SCHEMA or not isinstance(doc.get("records"), list):
        raise PackageError(f"{TRUNCATION_FILE}: not a truncation record of this mlcheck",
                           "Run `mlcheck truncate` again on the original tree.")
    records: list[dict[str, Any]] = doc["records"]
    return records


def truncation_records(root: Path, files: tuple[FileRecord, ...]) -> list[dict[str, Any]]:
    """Original hashes of truncated accuracy logs: from truncate's record file, else accuracy.txt hash lines.

    Every record is checked against the packaged tree: the log must be the truncated file the record
    names, and accuracy.txt must carry the original's hash.
    """
    by_path = {f.path: f for f in files}
    written = {r.get("path"): r for r in read_truncation_file(root)}
    out: list[dict[str, Any]] = []
    for f in files:
        if f.path.rsplit("/", 1)[-1] != ACCURACY_TXT:
            continue
        folder = f.path.rsplit("/", 1)[0]
        log = f"{folder}/{ACCURACY_LOG}"
        text = (root / f.path).read_text(encoding="utf-8", errors="replace")
        m = HASH_LINE.search(text)
        rec = written.pop(log, None)
        if m is None and rec is None:
            continue
        if log not in by_path:
            raise PackageError(f"{log}: accuracy.txt carries a hash but the accuracy log is missing",
                               "Package the tree that `mlcheck truncate` wrote, unchanged.")
        original = (rec or {}).get("original_sha256") or (m.group(1).lower() if m else "")
        if m is None or m.group(1).lower() != original:
            raise PackageError(f"{f.path}: its hash= line does not match the truncation record of {log}",
                               "Package the tree that `mlcheck truncate` wrote, unchanged.")
        if rec is not None and rec.get("truncated_sha256") != by_path[log].sha256:
            raise PackageError(f"{log}: changed after `mlcheck truncate` wrote it",
                               "Truncate the original tree again and package the new copy.")
        out.append({
            "path": log,
            "original_sha256": original,
            "original_size": (rec or {}).get("original_size"),
            "packaged_sha256": by_path[log].sha256,
            "source": "mlcheck truncate" if rec is not None else ACCURACY_TXT,
        })
    if written:
        missing = min(str(p) for p in written)
        raise PackageError(f"{missing}: named in {TRUNCATION_FILE} but not in the tree with its accuracy.txt",
                           "Package the tree that `mlcheck truncate` wrote, unchanged.")
    return out


def build_manifest(*, name: str, suite: str, round_name: str, ruleset: dict[str, Any], rules: list[RulesFile],
                   rules_source: str, options: dict[str, Any], summary: dict[str, int], created: str,
                   waivers: list[dict[str, Any]], skipped: list[dict[str, Any]],
                   git: dict[str, Any] | None, tar: TarballResult, folders: list[str], level: int,
                   mtime: int, truncation: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest as plain data."""
    return {
        "schema": SCHEMA,
        "tool": {"name": "mlcheck", "version": __version__},
        "name": name,
        "suite": suite,
        "round": round_name,
        "created": created,
        "rules": {
            "files": list(ruleset.get("files", [])),
            "digest": ruleset.get("digest"),
            "source": rules_source,
            "embedded": [{"file": f.name, "sha256": hashlib.sha256(f.raw).hexdigest(),
                          "text": f.raw.decode("utf-8")} for f in rules],
        },
        # every waiver (with what it matched) and everything validation skipped, as the report lists them
        "validation": {"options": options, "summary": summary, "waivers": waivers, "skipped": skipped},
        "git": git,
        "archive": {
            "file": f"{name}.tar.gz",
            "format": "pax",
            "mtime": mtime,
            "gzip_level": level,
            "tar_sha256": tar.tar_sha256,
            "tar_size": tar.tar_size,
            "tar_gz_sha256": tar.gz_sha256,
            "tar_gz_size": tar.gz_size,
        },
        "folders": folders,
        "files": [{"path": f.path, "size": f.size, "sha256": f.sha256, "mode": f"{f.mode:04o}"} for f in tar.files],
        "truncation": truncation,
    }


def dump_manifest(manifest: dict[str, Any]) -> bytes:
    """Canonical bytes: sorted keys, two-space indent, UTF-8, one trailing newline."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


# --- reading a manifest back (verify) --------------------------------------------------------------
# The manifest is signed, but the signer may be the adversary: every field verify uses is typed and
# bounded here, so a hostile manifest is a clear refusal (exit 4), never a crash.

MAX_SIZE = 1 << 50  # 1 PiB: larger sizes are refused before any arithmetic on them
_Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
_Size = Annotated[int, msgspec.Meta(ge=0, le=MAX_SIZE)]
_Text = Annotated[str, msgspec.Meta(max_length=4096)]
_Path = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
_Suite = Literal["inference", "training"]
# Every record refuses unknown fields (a field this mlcheck does not know could change what the
# manifest means) and is immutable.


class ToolRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    name: Literal["mlcheck"]
    version: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+!_-]{0,63}$")]


class EmbeddedRules(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    file: Annotated[str, msgspec.Meta(pattern=r"^(inference|training)/[^/\\\x00-\x1f\x7f]{1,128}$")]
    sha256: _Sha256
    text: Annotated[str, msgspec.Meta(max_length=4 << 20)]


class RulesRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    files: list[_Text]
    digest: _Sha256
    source: Literal["shipped", "file"]
    embedded: list[EmbeddedRules]


class WaiverOption(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    rule: _Text
    path: _Text
    justification: _Text


class WaiverOutcome(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    rule: _Text
    path: _Text
    justification: _Text
    matched: Annotated[int, msgspec.Meta(ge=0)]


class OptionsRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    suite: _Suite
    select: list[_Text] = []
    ignore: list[_Text] = []
    known_absent: list[_Text] = []
    strict: bool = False
    max_bytes: Annotated[int, msgspec.Meta(ge=1, le=MAX_SIZE)] | None = None
    waivers: list[WaiverOption] = []


class ValidationRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    options: OptionsRecord
    summary: dict[_Text, Annotated[int, msgspec.Meta(ge=0)]] = {}
    waivers: list[WaiverOutcome] = []
    skipped: list[dict[_Text, _Text | int | None]] = []


class GitRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    commit: Annotated[str, msgspec.Meta(pattern="^([0-9a-f]{40}|[0-9a-f]{64})$")] | None
    dirty: bool
    allow_dirty: bool = False
    path: _Text = "."


class ArchiveRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    file: _Text
    format: Literal["pax"] = "pax"
    mtime: Annotated[int, msgspec.Meta(ge=0, le=MAX_SIZE)] = 0
    gzip_level: Annotated[int, msgspec.Meta(ge=0, le=9)] = 6
    tar_sha256: _Sha256
    tar_size: _Size
    tar_gz_sha256: _Sha256
    tar_gz_size: _Size


class FileEntry(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    path: _Path
    size: _Size
    sha256: _Sha256
    mode: Literal["0644", "0755"]


class TruncationEntry(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    path: _Path
    original_sha256: _Sha256
    original_size: _Size | None = None
    packaged_sha256: _Sha256
    source: _Text


class Manifest(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A decoded, shape-checked manifest (mlcheck-manifest/1)."""

    schema: Literal["mlcheck-manifest/1"]
    tool: ToolRecord
    name: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")]
    suite: _Suite
    round: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")]
    created: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
    rules: RulesRecord
    validation: ValidationRecord
    git: GitRecord | None
    archive: ArchiveRecord
    folders: list[_Path]
    files: list[FileEntry]
    truncation: list[TruncationEntry] = []


_DECODER = msgspec.json.Decoder(Manifest)
HELP_MANIFEST = "The signer's mlcheck wrote a manifest this mlcheck cannot use; ask for a package made by mlcheck."


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            from ..errors import IntegrityError

            raise IntegrityError(f"the manifest gives the key {visible(k)!r} twice", HELP_MANIFEST)
        out[k] = v
    return out


def load_manifest(data: bytes) -> tuple[Manifest, dict[str, Any]]:
    """Decode manifest bytes (already signature-checked) into typed records, and as plain data.

    Refused (IntegrityError, exit 4): not JSON, wrong or missing fields, wrong types, numbers out
    of range, keys given twice, bytes other than the canonical form `dump_manifest` writes.
    """
    from ..errors import IntegrityError

    try:
        record = _DECODER.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise IntegrityError(f"the manifest is not an {SCHEMA} manifest: {visible(str(exc))}", HELP_MANIFEST) \
            from exc
    # Typed decoding bounded every number and every level of nesting; the plain form is now safe to build.
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
        canonical = dump_manifest(doc) == data
    except (ValueError, RecursionError) as exc:  # a lone surrogate escape, say: never canonical
        raise IntegrityError(f"the manifest cannot be read back as JSON: {visible(str(exc))}", HELP_MANIFEST) \
            from exc
    if not canonical:
        raise IntegrityError("the manifest is not in the canonical form mlcheck writes (re-formatted or edited)",
                             HELP_MANIFEST)
    return record, doc


def git_state(root: Path, allow_dirty: bool) -> dict[str, Any] | None:
    """The commit the tree is at and whether it is dirty; None when it is not in a git work tree."""
    try:
        import git
    except ImportError:  # gitpython refuses to import without a git executable
        return None
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare or repo.working_tree_dir is None:
        return None
    try:
        commit = repo.head.commit.hexsha if repo.head.is_valid() else None
        rel = os.path.relpath(root.resolve(), Path(repo.working_tree_dir).resolve())
        dirty = repo.is_dirty(index=True, working_tree=True, untracked_files=True,
                              path=None if rel == "." else rel)
    except git.GitCommandError as exc:
        raise UsageError(f"git cannot describe {root}: {exc.stderr.strip() or exc}",
                         "Fix the repository or package a copy outside it.") from exc
    if dirty and not allow_dirty:
        raise UsageError(f"{root} has uncommitted changes or untracked files",
                         "Commit them first, or pass --allow-dirty (the manifest records it).")
    return {"commit": commit, "dirty": dirty, "allow_dirty": allow_dirty,
            "path": "." if rel == "." else rel.replace(os.sep, "/")}
