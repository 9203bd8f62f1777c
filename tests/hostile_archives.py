"""Hostile archives for verify: sparse members, gzip bombs, trailing data, oversized headers.

Each builder returns bytes small enough to keep in a test; what they expand to is the attack.
Shared by tests/integration/test_hostile_package.py and bench/bench_verify_bounds.py.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GIB = 1 << 30
SPARSE_SIZE = 8 * GIB - 1  # the largest size an 11-digit octal field holds: the "8.6 GB"


def _octal(n: int, width: int) -> bytes:
    return b"%0*o" % (width - 1, n) + b"\0"


def _checksum(header: bytearray) -> None:
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header[:512])


def gnu_sparse_member(name: str, realsize: int = SPARSE_SIZE) -> bytes:
    """A GNU sparse ('S') member: one byte of data at the very end of `realsize` bytes of holes."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = 1, 0o644
    header = bytearray(ti.tobuf(tarfile.GNU_FORMAT))
    header[156:157] = b"S"
    header[386:398] = _octal(realsize - 1, 12)  # first extent: offset
    header[398:410] = _octal(1, 12)  # first extent: one byte
    header[482] = 0  # no extension blocks
    header[483:495] = _octal(realsize, 12)  # the size once expanded
    _checksum(header)
    return bytes(header) + b"x" + bytes(511)


def pax_sparse_member(name: str, realsize: int = SPARSE_SIZE, version: str = "0.1") -> bytes:
    """A PAX sparse member as GNU tar writes it (format 0.1: map in the header; 1.0: map in the data)."""
    ti = tarfile.TarInfo(name)
    ti.mode = 0o644
    if version == "0.1":
        ti.size = 1
        ti.pax_headers = {"GNU.sparse.size": str(realsize), "GNU.sparse.numblocks": "1",
                          "GNU.sparse.map": f"{realsize - 1},1"}
        data = b"x"
    else:
        sparse_map = f"1\n{realsize - 1}\n1\n".encode()
        data = sparse_map + bytes(-len(sparse_map) % 512) + b"x"
        ti.size = len(data)
        ti.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": name,
                          "GNU.sparse.realsize": str(realsize)}
    return ti.tobuf(tarfile.PAX_FORMAT) + data + bytes(-len(data) % 512)


def finish(members: bytes) -> bytes:
    """Members plus the end-of-archive marker."""
    return members + bytes(1024)


def sparse_tar_gz(name: str = "closed/sparse.bin") -> bytes:
    """The tiny .tar.gz of the issue: a single GNU sparse member that expands to 8 GiB."""
    return gzip.compress(finish(gnu_sparse_member(name)), compresslevel=9, mtime=0)


def zeros_gz(size: int, level: int = 9) -> bytes:
    """A gzip member of `size` zero bytes, compressed in pieces (a bomb: ~1000:1)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    out = bytearray()
    block = bytes(1 << 20)
    left = size
    while left:
        n = min(left, len(block))
        out += comp.compress(block[:n])
        left -= n
    out += comp.flush()
    return bytes(out)


def tar_then_zeros_gz(tar: bytes, zeros: int, level: int = 9) -> bytes:
    """One gzip member holding a genuine tar followed by `zeros` zero bytes: more than the signed tar size."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 31)
    out = bytearray(comp.compress(tar))
    block = bytes(1 << 20)
    left = zeros
    while left:
        n = min(left, len(block))
        out += comp.compress(block[:n])
        left -= n
    out += comp.flush()
    return bytes(out)


def long_pax_member(name: str, data: bytes, header_bytes: int) -> bytes:
    """A regular member whose PAX header carries `header_bytes` of a comment record."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data), 0o644
    ti.pax_headers = {"comment": "x" * header_bytes}
    return ti.tobuf(tarfile.PAX_FORMAT) + data + bytes(-len(data) % 512)


def gnu_longname_member(name: str, data: bytes) -> bytes:
    """A regular member whose name travels in a GNU ././@LongLink header."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data), 0o644
    return ti.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)


def folder_member(name: str) -> bytes:
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    return ti.tobuf(tarfile.PAX_FORMAT)


def file_member(name: str, data: bytes, size: int | None = None) -> bytes:
    """A regular member; `size` overrides the header's size (the data is padded or cut to match)."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data) if size is None else size, 0o644
    body = data.ljust(ti.size, b"\0")[:ti.size]
    return ti.tobuf(tarfile.PAX_FORMAT) + body + bytes(-len(body) % 512)


def is_sparse_to_tarfile(tar: bytes) -> bool:
    """What Python's tarfile makes of the first member (a check that the builders build what they say)."""
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        ti = tf.next()
    return ti is not None and (ti.issparse() or ti.sparse is not None)


@dataclass
class Usage:
    """Peak bytes on disk under a folder and the wall time of a block."""

    peak_bytes: int = 0
    seconds: float = 0.0


def _disk_bytes(folder: Path) -> int:
    """Bytes allocated under `folder`; files and folders that vanish while walking are skipped."""
    total = 0
    for dirpath, _dirs, names in os.walk(folder):  # os.walk ignores folders that disappear
        for name in names:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    return total


@contextmanager
def measured(folder: Path, every: float = 0.002) -> Iterator[Usage]:
    """Sample the disk used under `folder` while the block runs (a writer of gigabytes cannot hide)."""
    usage = Usage()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            usage.peak_bytes = max(usage.peak_bytes, _disk_bytes(folder))
            stop.wait(every)

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    try:
        yield usage
    finally:
        usage.seconds = time.perf_counter() - start
        stop.set()
        thread.join()
        usage.peak_bytes = max(usage.peak_bytes, _disk_bytes(folder))


def counting(cls: type, sink: list[int]) -> Callable[..., object]:
    """Wrap verify's gunzip class so a test can read how many bytes it decompressed."""

    def make(*args: object, **kwargs: object) -> object:
        obj = cls(*args, **kwargs)
        original = obj._step

        def step() -> bool:
            try:
                more: bool = original()
            finally:  # also when the step refuses: what it decompressed before refusing counts
                sink.append(obj.size)
            return more

        obj._step = step
        return obj

    return make
