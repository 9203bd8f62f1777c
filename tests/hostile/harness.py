"""Running mlcheck in-process against hostile trees: exit code, output, a time bound, and proof of no writes."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

HASH_LIMIT = 1024 * 1024  # bigger files (the accuracy log, the sparse 10 GB one) are compared by size, mtime, ctime
# ctime cannot be set from user space: any write (or chmod) after the snapshot changes it


class CaseTimeout(BaseException):
    """Raised from SIGALRM when one run exceeds its time bound (BaseException: nothing may swallow it)."""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (blocking syscalls such as opening a FIFO included)."""
    def _alarm(signum: int, frame: object) -> None:
        raise CaseTimeout(f"exceeded {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(args: Sequence[str], timeout: float = 10.0) -> Run:
    """Run `mlcheck ARGS` through checker.cli.main in this process.

    stdout and stderr are strict UTF-8 streams, like a real pipe: a report that cannot be
    encoded fails here as it would for a user.
    """
    from checker.cli import main

    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", errors="backslashreplace", write_through=True)
    old_argv, old_out, old_err = sys.argv, sys.stdout, sys.stderr
    sys.argv, sys.stdout, sys.stderr = ["mlcheck", *args], out, err
    code: int | None = None
    timed_out = False
    start = time.monotonic()
    try:
        with time_limit(timeout):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CaseTimeout:
        timed_out = True
        code = -1
    finally:
        sys.argv, sys.stdout, sys.stderr = old_argv, old_out, old_err
    seconds = time.monotonic() - start
    stderr = err_b.getvalue().decode("utf-8", "backslashreplace")
    if "CaseTimeout" in stderr:  # main() turns any BaseException into exit 3; it was our alarm
        timed_out = True
    return Run(code, out_b.getvalue().decode("utf-8", "backslashreplace"), stderr, seconds, timed_out)


# ------------------------------------------------------------------ read-only trees and snapshots

Entry = tuple[str, int, int, int, int, str | None]


def snapshot(root: Path) -> dict[bytes, Entry]:
    """Every path under root (links not followed, FIFOs never opened): kind, mode, size, mtime, content hash."""
    out: dict[bytes, Entry] = {}
    broot = os.fsencode(root)

    def visit(path: bytes) -> None:
        st = os.lstat(path)
        rel = os.path.relpath(path, broot)
        digest: str | None = None
        if stat.S_ISLNK(st.st_mode):
            kind = "link"
            digest = os.fsdecode(os.readlink(path))
        elif stat.S_ISDIR(st.st_mode):
            kind = "dir"
        elif stat.S_ISREG(st.st_mode):
            kind = "file"
            if st.st_size <= HASH_LIMIT and st.st_mode & 0o444:
                h = hashlib.sha256()
                with open(path, "rb") as fh:
                    h.update(fh.read())
                digest = h.hexdigest()
        else:
            kind = "special"
        out[rel] = (kind, stat.S_IMODE(st.st_mode), st.st_size if kind != "dir" else 0, st.st_mtime_ns,
                    st.st_ctime_ns, digest)
        if kind == "dir" and st.st_mode & 0o500 == 0o500:
            for name in sorted(os.listdir(path)):
                visit(os.path.join(path, name))

    if os.path.lexists(broot):
        visit(broot)
    return out


def set_writable(root: Path, writable: bool) -> None:
    """chmod -R a-w (or u+w back) without following links; modes of 000 files are kept."""
    broot = os.fsencode(root)
    if not os.path.lexists(broot):
        return
    paths: list[bytes] = []
    for dirpath, dirnames, filenames in os.walk(broot, followlinks=False):
        paths.append(dirpath)
        paths.extend(os.path.join(dirpath, n) for n in filenames + dirnames)
    if not os.path.isdir(broot) or os.path.islink(broot):
        paths = [broot]
    for p in paths:
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if stat.S_ISLNK(st.st_mode) or not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode == 0:
            continue
        os.chmod(p, (mode | stat.S_IWUSR) if writable else (mode & ~0o222))
