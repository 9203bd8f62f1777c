"""The file-system helpers every stage shares: folder listings that never follow links, and
bounded, lenient reading of files a stranger prepared.

Every reader returns what it could read plus a list of problems (strings); the caller
turns problems into findings with its own rule id. Nothing here raises for a bad file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

# Files that belong to the operating system or editors, never to a submission.
JUNK = {".DS_Store", "Thumbs.db", "__MACOSX", ".git"}


@dataclass
class Entry:
    """A directory listing: regular files, folders and everything else (links, devices …)."""

    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    others: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    error: str | None = None


def list_dir(path: Path) -> Entry:
    """List a folder without following links; an unreadable folder gives an error, not an exception."""
    out = Entry()
    try:
        with os.scandir(path) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        out.error = exc.strerror or str(exc)
        return out
    for e in items:
        # the entry's type as the listing gave it (no stat call per entry, except on a file system
        # that does not say, where these calls stat it themselves)
        try:
            if e.is_symlink():
                out.others.append((e.name, "symbolic link"))
            elif e.is_dir(follow_symlinks=False):
                out.dirs.append(e.name)
            elif e.is_file(follow_symlinks=False):
                out.files.append(e.name)
            else:
                out.others.append((e.name, "special file (FIFO, socket or device)"))
        except OSError as exc:
            out.others.append((e.name, f"unreadable ({exc.strerror})"))
    return out



# Files read whole are capped; accuracy logs are streamed and never read through here.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


@dataclass
class TextFile:
    """A file's text (decoded leniently) and what was wrong with reading it."""

    text: str | None
    problems: list[str] = field(default_factory=list)
    size: int = 0
    had_nul: bool = False
    had_crlf: bool = False
    not_utf8: bool = False

    @property
    def ok(self) -> bool:
        return self.text is not None


def read_upto(fh: BinaryIO, limit: int) -> bytes:
    """At most `limit` + 1 bytes of an open file (one more than the limit tells a file over it). The
    first read asks for the file's length plus one byte: a read asked for far more than a small file
    holds allocates that much first (~40 µs a file for a 64 MiB limit, against ~8 µs for the file
    alone). A file that grew since is read on to the limit."""
    try:
        size = os.fstat(fh.fileno()).st_size
    except (OSError, AttributeError, ValueError):  # not a real file (a test's BytesIO): read to the limit
        size = limit
    want = min(size, limit) + 1
    data = fh.read(want)
    if len(data) == want and want <= limit:
        data += fh.read(limit + 1 - want)
    return data


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> TextFile:
    """Read a text file leniently: NUL bytes dropped, CRLF folded, invalid UTF-8 replaced."""
    try:
        st = path.lstat()
    except OSError as exc:
        return TextFile(None, [f"cannot be read ({exc.strerror or exc})"])
    if stat.S_ISLNK(st.st_mode):
        return TextFile(None, ["is a symbolic link; mlcheck does not follow links"])
    if not stat.S_ISREG(st.st_mode):
        return TextFile(None, ["is not a regular file"])
    if st.st_size > max_bytes:
        return TextFile(
            None,
            [f"is {st.st_size} bytes, over the {max_bytes}-byte limit for files read whole"],
            size=st.st_size,
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        try:
            with os.fdopen(fd, "rb") as fh:
                fd = -1
                data = read_upto(fh, max_bytes)
        finally:
            if fd >= 0:
                os.close(fd)
    except OSError as exc:
        return TextFile(None, [f"cannot be read ({exc.strerror or exc})"])
    return decode(data)


def decode(data: bytes) -> TextFile:
    """Decode bytes as UTF-8 text the way LoadGen and the training loggers' consumers must."""
    out = TextFile(None, size=len(data))
    if b"\x00" in data:
        out.had_nul = True
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        out.not_utf8 = True
        out.problems.append("is not valid UTF-8 (undecodable bytes were replaced)")
        text = data.decode("utf-8", errors="replace")
    if "\r" in text:
        out.had_crlf = "\r\n" in text
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.removeprefix("\ufeff")
    out.text = text
    return out
