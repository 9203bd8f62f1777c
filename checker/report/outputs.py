"""Where reports are written: refused before the run when inside a validated tree or not writable.

mlcheck never writes inside a submission: an output path (`-o`, `--report FMT=PATH`, the GitHub
job summary) that resolves into a validated root, through symbolic links or as a hard link to
one of its files, is refused with exit 2. So is one that cannot be written (its folder missing,
a folder in its place, no permission), before any validation runs rather than after it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError
from ..escape import visible


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _hard_linked_into(st: os.stat_result, roots: Iterable[Path]) -> Path | None:
    """A file of one of the roots that is the same inode as `st` (walked only for a multiply-linked file)."""
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            for name in filenames:
                p = Path(dirpath) / name
                try:
                    other = p.lstat()
                except OSError:
                    continue
                if other.st_ino == st.st_ino and other.st_dev == st.st_dev:
                    return p
            dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
    return None


def check_output(path: Path, roots: Iterable[Path], label: str) -> None:
    """Refuse `path` (named `label` in the message) when it lies in a root or cannot be written."""
    roots = [Path(r) for r in roots]
    shown = visible(str(path))
    resolved = path.resolve()  # follows every link that exists, the final component's included
    for root in roots:
        if not root.exists():
            continue
        real_root = root.resolve()
        if _inside(resolved, real_root):
            how = "" if resolved == path.absolute() else f" (it resolves to {visible(str(resolved))})"
            raise UsageError(f"{label} {shown} is inside the validated folder {visible(str(root))}{how}",
                             "mlcheck never writes inside a submission; write the report elsewhere.")
    try:
        st = path.stat()  # the file the path names, through links (/dev/stdout names a pipe)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{label} {shown} cannot be written: {exc.strerror}") from exc
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{label} {shown} is a folder", "Give a file name, e.g. " + shown.rstrip("/")
                             + "/report.txt.")
        if stat.S_ISREG(st.st_mode):
            if st.st_nlink > 1:
                twin = _hard_linked_into(st, [r for r in roots if r.is_dir()])
                if twin is not None:
                    raise UsageError(f"{label} {shown} is a hard link to {visible(str(twin))}, inside the "
                                     "validated folder", "mlcheck never writes inside a submission.")
            if not os.access(resolved, os.W_OK):
                raise UsageError(f"{label} {shown} cannot be written: permission denied")
        return  # a device or FIFO (/dev/stdout, /dev/null): written as is
    parent = resolved.parent
    if not parent.is_dir():
        raise UsageError(f"{label} {shown} cannot be written: the folder {visible(str(parent))} does not exist",
                         "Create the folder first, or write the report elsewhere.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{label} {shown} cannot be written: no permission to create files in "
                         f"{visible(str(parent))}")


def write_text(text: str, path: Path | None) -> None:
    """Write a report to `path`, or to stdout when None (lone surrogates shown as escapes)."""
    import sys

    # file names that are not UTF-8 reach reports as lone surrogates; print them as \udcff escapes
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {visible(str(path))}: {exc.strerror}") from exc
