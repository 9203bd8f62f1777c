"""Accuracy-log truncation as later rounds require it, always into a copy of the tree.

Each mlperf_log_accuracy.json larger than 8 KiB keeps its first and last 4096 bytes with
`\\n\\n...\\n\\n` between; the sha256 of the original is appended to the result's accuracy.txt
as `hash=<sha256>`, and a record of every truncation goes to mlcheck-truncation.json at the
top of the copy (outside the division folders), which `mlcheck package` reads and checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .manifest import ACCURACY_LOG, ACCURACY_TXT, HASH_LINE, TRUNCATION_FILE, TRUNCATION_SCHEMA
from .tarball import collect

LIMIT = 8 * 1024
KEEP = 4096
MARK = b"\n\n...\n\n"


@dataclass(frozen=True)
class Truncation:
    """One accuracy log that was truncated in the copy."""

    path: str
    original_size: int
    original_sha256: str
    truncated_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "original_size": self.original_size, "original_sha256": self.original_sha256,
                "truncated_sha256": self.truncated_sha256, "accuracy_txt": self.path.rsplit("/", 1)[0] + "/"
                + ACCURACY_TXT}


def inside(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies under it (after resolving links)."""
    p, f = path.resolve(), folder.resolve()
    return p == f or f in p.parents


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            sha.update(block)
    return sha.hexdigest()


def truncate_bytes(path: Path) -> bytes:
    """The truncated form of a file: head, marker, tail."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(KEEP)
        fh.seek(size - KEEP)
        tail = fh.read(KEEP)
    return head + MARK + tail


def truncate_tree(root: Path, out: Path,
                  top_level: frozenset[str] | None = frozenset({"closed", "open"})) -> list[Truncation]:
    """Copy `root` to `out` (which must not exist), truncating large accuracy logs in the copy."""
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder", "Pass the submission folder holding closed/ or open/.")
    if os.path.lexists(out):
        raise UsageError(f"{out} already exists", "truncate writes a fresh copy; choose a new --out folder.")
    if inside(out, root):
        raise UsageError(f"{out} is inside {root}",
                         "truncate never writes inside the submission; choose --out elsewhere.")
    if inside(root, out):
        raise UsageError(f"{root} is inside {out}", "Choose an --out folder outside the submission.")
    if not out.parent.is_dir():
        raise UsageError(f"truncate: the folder {out.parent} that would hold {out.name} does not exist",
                         "truncate makes only the --out folder itself; create its parent first.")
    members = collect(root, top_level, command="truncate")  # refuses links, devices and junk, naming them
    done: list[Truncation] = []
    out.mkdir()
    for m in members:
        dest = out / m.path
        if m.is_dir:
            dest.mkdir()
            continue
        name = m.path.rsplit("/", 1)[-1]
        size = m.source.stat().st_size
        txt = m.source.parent / ACCURACY_TXT
        already = txt.is_file() and HASH_LINE.search(txt.read_text(encoding="utf-8", errors="replace"))
        if name == ACCURACY_LOG and size > LIMIT and not already:
            data = truncate_bytes(m.source)
            dest.write_bytes(data)
            done.append(Truncation(m.path, size, _sha256_file(m.source), hashlib.sha256(data).hexdigest()))
        else:
            shutil.copyfile(m.source, dest)
        os.chmod(dest, m.mode)
    for t in done:
        txt = out / t.path.rsplit("/", 1)[0] / ACCURACY_TXT
        prior = txt.read_bytes() if txt.is_file() else b""
        sep = b"" if not prior or prior.endswith(b"\n") else b"\n"
        txt.write_bytes(prior + sep + f"hash={t.original_sha256}\n".encode())
    record = {"schema": TRUNCATION_SCHEMA, "records": [t.to_dict() for t in done]}
    (out / TRUNCATION_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return done
