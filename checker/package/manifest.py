"""The package manifest: what was packaged, with which rules, from which commit, and its hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import __version__
from ..engine.rules import rules_root
from ..errors import MlcheckError, UsageError
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
    """The bytes of the rule files a validation used, checked against the ruleset's digest."""
    chain: list[RulesFile] = []
    current: Path | None = rules_file or rules_root() / suite / f"{round_name}.yaml"
    while current is not None and len(chain) < 32:
        raw = current.read_bytes()
        chain.append(RulesFile(f"{suite}/{current.name}", raw))
        doc = yaml.safe_load(raw)
        parent = doc.get("extends") if isinstance(doc, dict) else None
        current = current.parent / f"{parent}.yaml" if parent else None
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


def load_manifest(data: bytes) -> dict[str, Any]:
    """Parse manifest bytes (already signature-checked) and check their shape."""
    from ..errors import IntegrityError

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntegrityError(f"the manifest is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise IntegrityError(f"the manifest is not an {SCHEMA} manifest",
                             "Verify it with the mlcheck version that made it.")
    for key in ("files", "folders", "archive", "rules", "validation", "suite", "round"):
        if key not in doc:
            raise IntegrityError(f"the manifest has no {key!r}")
    return doc


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
