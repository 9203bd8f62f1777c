"""A deterministic tar.gz writer: the same tree gives the same bytes, whoever packs it and when.

Entries are sorted by their UTF-8 path bytes and written in PAX format with uid/gid 0, empty
owner names, one fixed mtime and normalised modes (0644, 0755 when executable, 0755 folders).
The gzip stream has mtime 0 and no file name. It is compressed in fixed-size chunks on a
thread pool, each chunk primed with the 32 KiB before it (as pigz does), so the bytes do not
depend on the number of threads. Every hash the manifest needs is taken while writing.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import tarfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import MlcheckError
from ..escape import visible
from ..fs import JUNK, list_dir

CHUNK = 1 << 20  # uncompressed bytes per compression job; fixed, so the output is too
WINDOW = 32 * 1024  # deflate's window: each chunk is primed with this much of the one before
BLOCK = 512
RECORD = 20 * BLOCK  # tar's blocking factor, as GNU tar and Python's tarfile pad the archive
GZIP_OS_UNKNOWN = 255
# The first bytes of a private key in the formats people keep them in: OpenSSH, PEM (PKCS#1, #8, SEC1,
# encrypted), PGP secret key blocks, the ssh.com format and PuTTY's. Leading white space or a BOM allowed.
PRIVATE_KEY = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    rb"|---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----|PuTTY-User-Key-File-\d+:)")


class PackageError(MlcheckError):
    """The tree cannot be packaged as it is (links, devices, junk, unexpected top-level entries)."""


@dataclass(frozen=True)
class Member:
    """One entry of the archive: a folder or a regular file of the tree."""

    path: str  # '/'-separated, relative to the packaged root
    is_dir: bool
    mode: int  # normalised: 0o755 or 0o644
    source: Path


@dataclass(frozen=True)
class FileRecord:
    """A packaged file as the manifest lists it."""

    path: str
    size: int
    sha256: str
    mode: int


@dataclass(frozen=True)
class TarballResult:
    """What writing the archive measured."""

    files: tuple[FileRecord, ...]
    tar_sha256: str
    tar_size: int
    gz_sha256: str
    gz_size: int


def is_junk(name: str) -> bool:
    """Operating-system and editor droppings that never belong in a submission."""
    return name in JUNK or name.startswith("._")


def collect(root: Path, top_level: frozenset[str] | None, skip_top: frozenset[str] = frozenset(),
            command: str = "package") -> list[Member]:
    """Walk `root` (never following links) into sorted members; refuse anything that cannot be packaged.

    `top_level` names the folders allowed at the top (None: any folder); `skip_top` names top-level
    files that belong to mlcheck (such as the truncation record) and are left out; `command` names
    the command in the refusal. Names in the refusal are escaped: they come from the submission.
    """
    problems: list[str] = []
    members: list[Member] = []

    def walk(folder: Path, rel: str) -> None:
        entry = list_dir(folder)
        if entry.error:
            problems.append(f"{visible(rel or '.')}: cannot be read ({entry.error})")
            return
        for name, kind in entry.others:
            problems.append(f"{visible(_join(rel, name))}: is a {kind}")
        for name in entry.dirs + entry.files:
            path = _join(rel, name)
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(f"{visible(path)}: the name is not valid UTF-8")
                continue
            if is_junk(name):
                problems.append(f"{visible(path)}: is a junk file ({visible(name)}); remove it")
                continue
            if not rel and name in skip_top and name in entry.files:
                continue
            if not rel and top_level is not None and name not in top_level:
                allowed = ", ".join(f"{t}/" for t in sorted(top_level))
                problems.append(f"{visible(path)}: only {allowed} may be at the top level")
                continue
            if not rel and top_level is None and name in entry.files:
                problems.append(f"{visible(path)}: only folders may be at the top level")
                continue
            src = folder / name
            if name in entry.dirs:
                members.append(Member(path, True, 0o755, src))
                walk(src, path)
            else:
                try:
                    executable = bool(src.lstat().st_mode & 0o111)
                except OSError as exc:
                    problems.append(f"{visible(path)}: cannot be read ({exc.strerror})")
                    continue
                members.append(Member(path, False, 0o755 if executable else 0o644, src))

    walk(root, "")
    if problems:
        shown = "\n  ".join(problems[:50]) + (f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else "")
        raise PackageError(f"cannot {command} {visible(str(root))}:\n  {shown}",
                           f"`mlcheck {command}` takes only regular files and folders: remove links, devices and "
                           "junk files.")
    members.sort(key=lambda m: m.path.encode("utf-8"))
    return members


def _join(rel: str, name: str) -> str:
    return f"{rel}/{name}" if rel else name


def tar_header(member: Member, size: int, mtime: int) -> bytes:
    """The PAX-format header block(s) of one member."""
    info = tarfile.TarInfo(member.path)
    info.type = tarfile.DIRTYPE if member.is_dir else tarfile.REGTYPE
    info.mode = member.mode
    info.size = 0 if member.is_dir else size
    info.mtime = mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def _deflate(data: bytes, zdict: bytes, level: int, last: bool) -> bytes:
    if zdict:
        comp = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    else:
        comp = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    return comp.compress(data) + comp.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class GzipWriter:
    """A gzip member written from fixed-size, independently compressed deflate chunks."""

    def __init__(self, out: BinaryIO, level: int = 6, jobs: int = 1) -> None:
        if not 0 <= level <= 9:
            raise MlcheckError(f"compression level {level} is not between 0 and 9", "e.g. --level 6")
        self.out = out
        self.level = level
        self.pool = ThreadPoolExecutor(jobs) if jobs > 1 else None
        self.limit = max(2, 2 * jobs)
        self.pending: deque[Future[bytes]] = deque()
        self.buf = bytearray()
        self.tail = b""
        self.crc = 0
        self.size = 0
        self.tar_sha = hashlib.sha256()
        self.gz_sha = hashlib.sha256()
        self.gz_size = 0
        xfl = 2 if level == 9 else 4 if level == 1 else 0
        self._emit(b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + bytes([xfl, GZIP_OS_UNKNOWN]))

    def _emit(self, data: bytes) -> None:
        self.out.write(data)
        self.gz_sha.update(data)
        self.gz_size += len(data)

    def _submit(self, data: bytes, last: bool) -> None:
        zdict, self.tail = self.tail, data[-WINDOW:]
        if self.pool is None:
            self._emit(_deflate(data, zdict, self.level, last))
            return
        self.pending.append(self.pool.submit(_deflate, data, zdict, self.level, last))
        while len(self.pending) > self.limit:
            self._emit(self.pending.popleft().result())

    def write(self, data: bytes | memoryview) -> None:
        """Append uncompressed bytes (the tar stream)."""
        self.tar_sha.update(data)
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self.buf += data
        while len(self.buf) > CHUNK:  # strictly more: the final chunk is never empty unless all is
            self._submit(bytes(self.buf[:CHUNK]), last=False)
            del self.buf[:CHUNK]

    def close(self) -> None:
        """Compress what is left and write the gzip trailer."""
        self._submit(bytes(self.buf), last=True)
        self.buf.clear()
        while self.pending:
            self._emit(self.pending.popleft().result())
        if self.pool is not None:
            self.pool.shutdown()
        self._emit(struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))

    def abort(self) -> None:
        """Drop pending work after an error."""
        if self.pool is not None:
            for f in self.pending:
                f.cancel()
            self.pool.shutdown()


def _open_regular(member: Member) -> tuple[int, int]:
    """Open without following links and confirm it is still a regular file; returns (fd, size)."""
    try:
        fd = os.open(member.source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise PackageError(f"{visible(member.path)}: cannot be read ({exc.strerror})",
                           "A package holds only regular files and folders.") from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise PackageError(f"{visible(member.path)}: is no longer a regular file",
                           "Do not change the tree while packaging.")
    return fd, st.st_size


def write_tarball(members: list[Member], out: BinaryIO, mtime: int = 0, level: int = 6,
                  jobs: int = 1) -> TarballResult:
    """Write the members as a deterministic tar.gz to `out`, hashing every file, the tar and the gzip."""
    gz = GzipWriter(out, level, jobs)
    files: list[FileRecord] = []
    secrets: list[str] = []
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    try:
        for m in members:
            if m.is_dir:
                gz.write(tar_header(m, 0, mtime))
                continue
            fd, size = _open_regular(m)
            with os.fdopen(fd, "rb", buffering=0) as fh:
                gz.write(tar_header(m, size, mtime))
                sha = hashlib.sha256()
                done = 0
                while done < size:
                    n = fh.readinto(view[:min(CHUNK, size - done)])
                    if not n:
                        break
                    if done == 0 and PRIVATE_KEY.match(view[:min(n, 256)]):
                        secrets.append(m.path)
                    sha.update(view[:n])
                    gz.write(view[:n])
                    done += n
                if done != size or fh.read(1):
                    raise PackageError(f"{visible(m.path)}: changed size while it was being packaged",
                                       "Do not change the tree while packaging; run package again.")
            gz.write(bytes(-size % BLOCK))
            files.append(FileRecord(m.path, size, sha.hexdigest(), m.mode))
        if secrets:
            listed = "\n  ".join(visible(p) for p in secrets[:20])
            raise PackageError(f"refusing to package what looks like a private key:\n  {listed}",
                               "These files start with an OpenSSH, PEM, PGP or PuTTY private-key header; a "
                               "package is published. Remove them from the tree (keep signing keys elsewhere).")
        gz.write(bytes(2 * BLOCK))
        gz.write(bytes(-gz.size % RECORD))
        gz.close()
    except BaseException:
        gz.abort()
        raise
    return TarballResult(tuple(files), gz.tar_sha.hexdigest(), gz.size, gz.gz_sha.hexdigest(), gz.gz_size)
