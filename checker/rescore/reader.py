"""The accuracy-log reader: one streaming pass over LoadGen's mlperf_log_accuracy.json.

The file is a JSON list of `{"seq_id": N, "qsl_idx": M, "data": "<hex>"}` objects. It is read in
blocks cut just after a `}`; each block becomes a JSON list (its leading `,` turned into `[`, a `]`
put after it) that msgspec decodes into typed entries in one call. Coverage, duplicates and payload
lengths are then counted with numpy over the block's arrays, and the hex is decoded by one
binascii call per block. A block that does not decode cleanly (bad JSON, a missing comma, junk, a
duplicate, missing or extra key, bad hex) is read again entry by entry, which says what is wrong and
at which byte. Only the first payload of each sample is kept, so memory is bounded by the data set,
not by the log. A big log is split into byte ranges read by worker processes, merged in file order.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import multiprocessing
import os
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from io import FileIO
from itertools import accumulate
from operator import attrgetter
from pathlib import Path
from typing import Annotated, Any

import msgspec
import numpy as np
import numpy.typing as npt

from .scan import LogScan

BLOCK_BYTES = 1024 * 1024  # the arrays made from a block take ~10 times its size: 1 MiB keeps them off fresh pages
# No '}' in this many bytes ends the scan (a 10 GB file of NULs has none). The largest response the rounds log
# is one 3D-UNet volume, 4 x 224 x 224 x 160 float32 values: 257 MiB of hex (float16: 128 MiB).
MAX_ENTRY_BYTES = 320 * 1024 * 1024
PARALLEL_FROM_BYTES = 64 * 1024 * 1024  # smaller logs are read in the calling process
MAX_PROBLEMS = 5
I64_MIN, I64_MAX = -(2**63), 2**63 - 1

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

_WS = b" \t\r\n"  # JSON's whitespace
_SKIP_WS = re.compile(rb"[ \t\r\n]*")
_OBJECT = re.compile(rb"\{[^{}]*\}")
_TRUNCATION = re.compile(rb"[ \t\r\n]\.\.\.[ \t\r\n]")  # later rounds keep 4 KiB, "\n\n...\n\n", 4 KiB
_AT_BYTE = re.compile(r" \(byte (\d+)\)$")
_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_AT_INDEX = re.compile(r" - at `\$\[(\d+)\]")
_EMPTY_LIST = re.compile(rb"[ \t\r\n]*\[[ \t\r\n]*\][ \t\r\n]*")
_CLOSE = re.compile(rb"[ \t\r\n]*\][ \t\r\n]*")


class Entry(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One logged response, as LoadGen writes it."""

    seq_id: int
    qsl_idx: int
    data: str


_LIST = msgspec.json.Decoder(list[Entry])
_ONE = msgspec.json.Decoder(Entry)
_QSL = attrgetter("qsl_idx")
_DATA = attrgetter("data")


@dataclass
class Block:
    """The entries decoded from one block of the file, in file order."""

    start: int  # byte offset of the block in the file
    qsl: I64  # qsl_idx; values outside int64 are clipped here and kept exactly in `big`
    offsets: I64  # len(qsl) + 1 offsets into payload
    payload: U8
    bad: Mask  # data that is not an even-length hex string: its payload is empty
    big: dict[int, int] = field(default_factory=dict)  # entry index -> qsl_idx outside int64
    fast: bool = True  # decoded in one call (False: entry by entry)

    def __len__(self) -> int:
        return len(self.qsl)

    def items(self) -> list[tuple[int, bytes]]:
        """(qsl_idx, payload) per entry, qsl_idx exactly as logged."""
        q: list[int] = self.qsl.tolist()
        for i, v in self.big.items():
            q[i] = v
        raw = self.payload.tobytes()
        off: list[int] = self.offsets.tolist()
        return [(q[i], raw[off[i]:off[i + 1]]) for i in range(len(q))]


def _qsl_array(values: list[int]) -> tuple[I64, dict[int, int]]:
    try:
        return np.array(values, dtype=np.int64), {}
    except OverflowError:  # an index past int64: clipped (it is out of range either way), kept exactly
        big = {i: v for i, v in enumerate(values) if not I64_MIN <= v <= I64_MAX}
        return np.array([min(max(v, I64_MIN), I64_MAX) for v in values], dtype=np.int64), big


def _offsets(byte_lengths: I64) -> I64:
    off = np.zeros(len(byte_lengths) + 1, np.int64)
    byte_lengths.cumsum(out=off[1:])  # the method: numpy's function form costs more than a small log's scan
    return off


class _Problems:
    """The first MAX_PROBLEMS problems of a scan in file order, each naming a byte offset."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.pending: list[tuple[int, str]] = []  # a block's, found out of order

    def add(self, text: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(text)

    def note(self, at: int, text: str) -> None:
        self.pending.append((at, text))

    def flush(self) -> None:
        for _, text in sorted(self.pending, key=lambda p: p[0]):
            self.add(text)
        self.pending.clear()


def _decode_error(exc: msgspec.DecodeError, at: int) -> tuple[int, str]:
    """msgspec's message with its offset made absolute (`at`: where the decoded text starts)."""
    msg = str(exc)
    m = _AT_BYTE.search(msg)
    if m:
        return at + int(m.group(1)), msg[:m.start()]
    m = _AT_PATH.search(msg)
    if m:
        return at, msg[:m.start()] + (f" (in {m.group(1)})" if m.group(1) else "")
    return at, msg


def _duplicate_keys(obj: bytes) -> list[str]:
    keys: list[str] = []

    def pairs(kv: list[tuple[str, Any]]) -> dict[str, Any]:
        keys.extend(k for k, _ in kv)
        return {}

    try:
        json.loads(obj, object_pairs_hook=pairs)
    except ValueError:
        return []
    return sorted(k for k, c in Counter(keys).items() if c > 1)


class _Range:
    """Reads the bytes [start, end) of an open log block by block; `start` is 0 or just after a '}'."""

    def __init__(self, f: FileIO, start: int, end: int, size: int, block_bytes: int,
                 digest: Any = None) -> None:
        self.f, self.start, self.end, self.size = f, start, end, size
        self.block_bytes = max(1, min(block_bytes, MAX_ENTRY_BYTES))
        self.digest = digest
        self.problems = _Problems()
        self.truncated = False
        self.stopped = False  # an entry longer than MAX_ENTRY_BYTES: the rest is not read
        self.decoders = _Decoders()

    def __iter__(self) -> Iterator[Block]:
        f = self.f
        f.seek(self.start)
        cap = max(1, min(self.block_bytes, self.end - self.start))  # a small log needs no whole block
        buf = bytearray(cap + 1)  # one spare byte for the ']' put after a block
        mv = memoryview(buf)
        pos = self.start  # file offset of buf[0]
        fill = 0  # bytes held: the carry after the last block's '}', then what was read
        left = self.end - self.start  # bytes of the range not read yet
        while True:
            while fill < cap and left:
                got = f.readinto(mv[fill:fill + min(cap - fill, left)])
                if not got:  # the file shrank while being read
                    left = 0
                    break
                if self.digest is not None:
                    self.digest.update(mv[fill:fill + got])
                nul = buf.find(b"\x00", fill, fill + got)
                if nul >= 0:  # never in JSON text: a sparse or binary file is not read on
                    self.stopped = True
                    self.problems.add(f"a NUL byte at byte {pos + nul}: not a JSON accuracy log")
                    return
                if self._marked(buf, max(0, fill - 4), fill + got):
                    self._drain(left - got)
                    return
                fill += got
                left -= got
            cut = buf.rfind(b"}", 0, fill)
            if cut < 0:
                if not left:
                    self._tail(bytes(mv[:fill]), pos)
                    return
                if cap >= MAX_ENTRY_BYTES:
                    self.stopped = True
                    span = f"{MAX_ENTRY_BYTES >> 20} MiB" if MAX_ENTRY_BYTES >= 1 << 20 else f"{MAX_ENTRY_BYTES} bytes"
                    self.problems.add(f"no entry ends in the {span} from byte {pos}: not an accuracy log")
                    return
                cap = min(2 * cap, MAX_ENTRY_BYTES)  # one entry longer than a block
                grown = bytearray(cap + 1)
                grown[:fill] = mv[:fill]
                buf, mv = grown, memoryview(grown)
                continue
            yield self._block(buf, mv, cut + 1, pos)
            rest = fill - (cut + 1)
            buf[:rest] = buf[cut + 1:fill]
            pos += cut + 1
            fill = rest

    def _marked(self, buf: bytearray, a: int, b: int) -> bool:
        """Whether buf[a:b] holds the truncation mark of a published log: its entries are then a sample
        (the first and last 4 KiB), so they are not read; only the file's hash still is, when wanted."""
        dot = buf.find(b".", a, b)  # one byte: found by memchr (a three-byte search is 50 times slower)
        while dot >= 0:  # a valid log holds no '.' at all
            if _TRUNCATION.match(buf, max(0, dot - 1), dot + 4):
                self.truncated = True
                return True
            dot = buf.find(b".", dot + 1, b)
        return False

    def _drain(self, left: int) -> None:
        """Read the rest of the range into the digest (a NUL byte stops it, as it stops a scan)."""
        if self.digest is None:
            return
        chunk = bytearray(1 << 20)
        mv = memoryview(chunk)
        while left > 0:
            got = self.f.readinto(mv[:min(len(chunk), left)])
            if not got:
                return
            if chunk.find(b"\x00", 0, got) >= 0:
                self.stopped = True
                return
            self.digest.update(mv[:got])
            left -= got

    def _tail(self, tail: bytes, pos: int) -> None:
        """What follows the last '}' of the file: the list's closing ']' (or the whole of an empty list)."""
        if self.end < self.size:
            return  # a range that ends before the file does ends just after a '}'
        body = tail.strip(_WS)
        at = pos + len(tail) - len(tail.lstrip(_WS))  # the first byte that is not whitespace
        if pos == 0:
            if not tail:
                self.problems.add("the file is empty")
            elif not body:
                self.problems.add("the file holds only whitespace, not a JSON list")
            elif not _EMPTY_LIST.fullmatch(tail):
                self._truncation(tail)
                self.problems.add(f"not a JSON list of entries: the file holds {body[:40]!r}")
            return
        if _CLOSE.fullmatch(tail):
            return
        self._truncation(tail)
        if not body:
            self.problems.add(f"the list is not closed: no ']' after the entry ending at byte {pos - 1}")
        elif body.startswith(b"]"):
            junk = body[1:].lstrip(_WS)
            self.problems.add(f"unexpected text after the list at byte {at + len(body) - len(junk)}: {junk[:40]!r}")
        elif body.endswith(b"]"):
            self.problems.add(f"unexpected text at byte {at}: {body[:-1].rstrip(_WS)[:40]!r}")
        else:
            self.problems.add(f"the list is not closed: the file ends with {body[-40:]!r}")

    def _truncation(self, text: bytes) -> None:
        if _TRUNCATION.search(text):
            self.truncated = True

    def _block(self, buf: bytearray, mv: memoryview, n: int, pos: int) -> Block:
        """Decode buf[:n] (whole entries, after a leading '[' or ',') as one list, else entry by entry."""
        lead = ord("[") if pos == 0 else ord(",")
        j = _SKIP_WS.match(buf, 0, n).end()  # type: ignore[union-attr]  # [ \t\r\n]* always matches
        if j < n and buf[j] == lead:
            lines = _lines(mv[j:n], lead, pos)
            if lines is not None:
                return lines
            saved = buf[n]
            buf[j], buf[n] = ord("["), ord("]")
            try:
                fast = _fast(mv[j:n + 1], pos, self.decoders)
            finally:
                buf[j], buf[n] = lead, saved
            if fast is not None:
                return fast
        return self._slow(bytes(mv[:n]), pos, lead)

    def _slow(self, text: bytes, base: int, lead: int) -> Block:
        """Entry by entry: each gap between objects checked, the objects decoded in runs that shrink
        around a bad one, so a block with a few bad entries costs a few list decodes."""
        self._truncation(text)
        spans = [m.span() for m in _OBJECT.finditer(text)]
        last = 0
        expect = bytes([lead])
        for a, b in spans:
            self._gap(text, last, a, base, expect)
            expect, last = b",", b
        rest = text[last:]
        if rest.strip(_WS):
            off = last + len(rest) - len(rest.lstrip(_WS))
            self.problems.note(base + off, f"unexpected text at byte {base + off}: {rest.strip(_WS)[:40]!r}")
        objs = [text[a:b] for a, b in spans]
        starts = [base + a for a, _ in spans]
        entries: list[Entry] = []
        at: list[int] = []
        lo, window = 0, len(objs)
        while lo < len(objs):
            hi = min(len(objs), lo + window)
            decoded, k = _first_bad(objs[lo:hi])
            if k < 0:
                entries.extend(decoded)
                at.extend(starts[lo:hi])
                lo, window = hi, 2 * window
            elif k > 0:
                window = k  # the objects before the bad one decode as one run
            else:
                self._reject(objs[lo], starts[lo], entries, at)
                lo, window = lo + 1, 1
        datas = [e.data for e in entries]
        hex_lengths = np.fromiter(map(len, datas), np.int64, len(datas))
        bad = np.zeros(len(datas), bool)
        try:
            if (hex_lengths & 1).any():
                raise ValueError("odd")
            raw = binascii.a2b_hex("".join(datas))
        except ValueError:
            chunks = [_unhex(d) for d in datas]
            for i, c in enumerate(chunks):
                if c is None:
                    bad[i] = True
                    self.problems.note(at[i], f"bad payload at byte {at[i]}: data is not an even-length hex string")
            raw = b"".join(c or b"" for c in chunks)
            hex_lengths = np.fromiter((2 * len(c or b"") for c in chunks), np.int64, len(chunks))
        self.problems.flush()
        q, big = _qsl_array([e.qsl_idx for e in entries])
        return Block(base, q, _offsets(hex_lengths >> 1), np.frombuffer(raw, np.uint8), bad, big, fast=False)

    def _reject(self, obj: bytes, at: int, entries: list[Entry], starts: list[int]) -> None:
        """Say what is wrong with one object (kept after all if it decodes cleanly alone)."""
        try:
            e = _ONE.decode(obj)
        except msgspec.DecodeError as exc:
            where, msg = _decode_error(exc, at)
            self.problems.note(where, f"malformed entry at byte {where}: {msg}")
            return
        dup = _duplicate_keys(obj)
        if dup:
            self.problems.note(at, f"malformed entry at byte {at}: duplicate key {', '.join(map(repr, dup))}")
            return
        entries.append(e)
        starts.append(at)

    def _gap(self, text: bytes, a: int, b: int, base: int, expect: bytes) -> None:
        """The text between two entries (or before the first) is whitespace around one `expect`."""
        gap = text[a:b]
        body = gap.strip(_WS)
        if body == expect:
            return
        if not body:
            what = "the list does not start with '['" if expect == b"[" else "missing comma between entries"
            self.problems.note(base + b, f"{what} at byte {base + b}")
            return
        junk = body[1:].lstrip(_WS) if body.startswith(expect) else body
        off = a + len(gap.rstrip(_WS)) - len(junk)
        self.problems.note(base + off, f"unexpected text at byte {base + off}: {junk[:40]!r}")


def _unhex(data: str) -> bytes | None:
    """The bytes of an even-length hex string; None for anything else (whitespace included)."""
    if len(data) % 2:
        return None
    try:
        return binascii.a2b_hex(data)
    except ValueError:
        return None


def _first_bad(objs: list[bytes]) -> tuple[list[Entry], int]:
    """Decode objects as one list: (entries, -1), or ([], index of the first bad one)."""
    joined = b"[" + b",".join(objs) + b"]"
    try:
        entries = _LIST.decode(joined)
    except msgspec.ValidationError as exc:  # msgspec validates in order: "... - at `$[k]...`"
        m = _AT_INDEX.search(str(exc))
        return [], int(m.group(1)) if m else 0
    except msgspec.DecodeError as exc:  # bad JSON at "(byte b)" of the joined text: the object holding b
        m = _AT_BYTE.search(str(exc))
        if m is None:
            return [], 0
        ends = list(accumulate(len(o) + 1 for o in objs))
        return [], min(bisect_right(ends, int(m.group(1))), len(objs) - 1)
    if joined.count(b'"') == 8 * len(objs):
        return entries, -1
    k = next((i for i, o in enumerate(objs) if o.count(b'"') != 8 and _duplicate_keys(o)), -1)
    return (entries, -1) if k < 0 else ([], k)


# A log whose entries are all written alike: LoadGen's `{ "seq_id" : 1, "qsl_idx" : 2, "data" : "AB" },\n`,
# or a re-serialisation (json.dump with an indent: one field a line) keeping LoadGen's key order. The
# first entry of a block gives the text between the two runs of digits and the run of hex; every other
# entry must repeat it byte for byte (anything else takes the general path).
_WS_ = rb"[ \t\r\n]*"
_FIRST = re.compile(rb"[\[,](" + _WS_ + rb")(\{" + _WS_ + rb'"seq_id"' + _WS_ + rb":" + _WS_ + rb")[0-9]+(," + _WS_
                    + rb'"qsl_idx"' + _WS_ + rb":" + _WS_ + rb")[0-9]+(," + _WS_ + rb'"data"' + _WS_ + rb":" + _WS_
                    + rb'")[0-9A-Fa-f]*("' + _WS_ + rb"\})(?:,(" + _WS_ + rb")\{)?")
_MAX_HEAD = 56  # longest text before a seq_id the fast path takes (LoadGen's: 17 bytes); longer: the general path
_ASCII_0 = np.uint64(0x3030303030303030)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIXES = np.uint64(0x0606060606060606)
_TO_TOP = np.array([0] + [8 * (8 - d) for d in range(1, 9)], np.uint64)  # d digits -> the top d bytes
_ZEROS_BELOW = np.array([0] + [0x3030303030303030 >> (8 * d) for d in range(1, 9)], np.uint64)  # '0's under them
_M1, _M2, _M4 = np.uint64(0x00FF00FF00FF00FF), np.uint64(0x0000FFFF0000FFFF), np.uint64(0xFFFFFFFF)
U64 = npt.NDArray[np.uint64]
_ALL_ONES = np.uint64(2**64 - 1)
Template = list[tuple[np.uint64, np.uint64]]


def _template(text: bytes, width: int) -> Template:
    """`text` at the end of `width` bytes, as (value, mask) per little-endian word (the bytes before it
    masked out)."""
    value = bytes(width - len(text)) + text
    mask = bytes(width - len(text)) + b"\xff" * len(text)
    return [(np.uint64(int.from_bytes(value[i:i + 8], "little")), np.uint64(int.from_bytes(mask[i:i + 8], "little")))
            for i in range(0, width, 8)]


def _width(text: bytes) -> int:
    return -(-len(text) // 8) * 8


@dataclass(frozen=True)
class _Layout:
    """The text around the runs of one entry, as the block's first entry writes it."""

    lead_sep: bytes  # the whitespace after the block's '[' or ','
    sep: bytes  # the whitespace after an entry's comma, before the next '{'
    open: bytes  # from an entry's '{' to its seq_id digits
    qsl_key: bytes  # from the comma after seq_id to the qsl_idx digits
    data_key: bytes  # from the comma after qsl_idx to the hex (its opening quote included)
    close: bytes  # from the hex to the entry's '}'

    @property
    def head(self) -> bytes:
        """What comes before each seq_id after the first: the previous entry's close, comma, sep, open."""
        return self.close + b"," + self.sep + self.open


def _layout(view: memoryview) -> _Layout | None:
    m = _FIRST.match(view)
    if m is None:
        return None
    lead_sep, open_, qsl_key, data_key, close, sep = m.groups()
    out = _Layout(bytes(lead_sep), bytes(lead_sep if sep is None else sep), bytes(open_), bytes(qsl_key),
                  bytes(data_key), bytes(close))
    return out if len(out.head) <= _MAX_HEAD else None


def _gather(p: U8, at: I64, width: int) -> U64:
    """The `width` bytes (a multiple of 8) from each offset in `at`, as rows of little-endian words."""
    rows = np.ndarray((len(p) - width + 1,), np.dtype(f"V{width}"), p, 0, (1,))
    out: U64 = rows[at].view(np.dtype("<u8")).reshape(len(at), width // 8)
    return out


def _differs(words: U64, template: Template) -> bool:
    """Whether any row's first words differ from the template where its mask is set (a column at a time:
    numpy compares a contiguous column many times faster than the broadcast rows)."""
    for k, (value, mask) in enumerate(template):
        column = words[:, k]
        if mask == _ALL_ONES:
            if (column != value).any():
                return True
        elif mask and ((column & mask) != value).any():
            return True
    return False


def _digit_runs(words: npt.NDArray[np.uint64], digits: I64) -> npt.NDArray[np.uint64] | None:
    """The runs of `digits` (1..8) ASCII digits the 8-byte words start with (first byte lowest), each
    right-aligned over '0's (e.g. "42" -> "00000042"); None unless every run is a JSON integer (digits
    only, no leading zero)."""
    v: npt.NDArray[np.uint64] = (words << _TO_TOP[digits]) | _ZEROS_BELOW[digits]
    if ((v & _HIGH_NIBBLES) != _ASCII_0).any() or (((v + _SIXES) & _HIGH_NIBBLES) != _ASCII_0).any():
        return None  # a byte outside '0'..'9'
    if ((digits > 1) & ((words & np.uint64(0xFF)) == np.uint64(0x30))).any():
        return None
    return v


def _values(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The numbers eight ASCII digits a word stand for: pairs, then quads, then all eight combined."""
    x = v - _ASCII_0
    x = (x * np.uint64(10) + (x >> np.uint64(8))) & _M1
    x = (x * np.uint64(100) + (x >> np.uint64(16))) & _M2
    out: npt.NDArray[np.uint64] = (x * np.uint64(10000) + (x >> np.uint64(32))) & _M4
    return out


def _lines(view: memoryview, lead: int, base: int) -> Block | None:
    """The block (from its leading '[' or ',' to its last '}') when every entry is written like its first
    (see _FIRST), with indices under 10^8 and even-length hex; None for anything else (the general path
    decides).

    The commas place every part of every entry: the fixed text is compared word by word where it must
    be, the runs between must be 1 to 8 digits (without a leading zero) and hex. Those parts tile the
    block from its lead to its end, so a block that passes is that layout's text for the values read,
    and any other byte (an extra comma, a space, a quote) fails one of the comparisons.
    """
    lay = _layout(view)
    if lay is None:
        return None
    a = np.frombuffer(view, np.uint8)
    size = len(a)
    if view[size - len(lay.close):].tobytes() != lay.close:
        return None
    found = np.flatnonzero(a == 44)
    if lead == 44:
        found = found[1:]
    n, rest = divmod(len(found) + 1, 3)  # three commas an entry, the last entry's after the block
    if n == 0 or rest:
        return None
    commas = np.empty(3 * n, np.int64)  # per entry: after seq_id, after qsl_idx, after the entry
    commas[:-1] = found
    commas[-1] = size
    c = commas.reshape(n, 3)
    seq_at = np.empty(n, np.int64)
    seq_at[0] = 1 + len(lay.lead_sep) + len(lay.open)
    seq_at[1:] = c[:-1, 2] + (1 + len(lay.sep) + len(lay.open))
    qsl_at, hex_at = c[:, 0] + len(lay.qsl_key), c[:, 1] + len(lay.data_key)
    d1, d2, hex_lengths = c[:, 0] - seq_at, c[:, 1] - qsl_at, c[:, 2] - len(lay.close) - hex_at
    if (((d1 - 1) | (d2 - 1)).astype(np.uint64) > 7).any() or ((hex_lengths < 0) | (hex_lengths & 1 == 1)).any():
        return None  # 1 to 8 digits (more: the general path), even-length hex
    width = int(hex_lengths[0])
    fixed = bool((hex_lengths == width).all())
    words = width if fixed and 0 < width <= 48 and width % 8 == 0 else 0  # hex read with its key
    # the text before each seq_id but the first (that one is the block's lead, which _FIRST matched), before
    # each qsl_idx and before each run of hex; every window lies inside the block (checked at its ends:
    # the offsets grow entry by entry)
    w1, w2, w3 = _width(lay.head), _width(lay.qsl_key), _width(lay.data_key)
    if (n > 1 and int(seq_at[1]) < w1) or int(qsl_at[0]) < w2 or int(hex_at[0]) < w3 \
            or int(seq_at[-1]) + 8 > size or int(qsl_at[-1]) + 8 > size or int(hex_at[-1]) + words > size:
        return None
    heads = _gather(a, seq_at[1:] - w1, w1 + 8)
    if _differs(heads, _template(lay.head, w1)):
        return None
    qsl_heads = _gather(a, qsl_at - w2, w2 + 8)
    if _differs(qsl_heads, _template(lay.qsl_key, w2)):
        return None
    data_heads = _gather(a, hex_at - w3, w3 + words)
    if _differs(data_heads, _template(lay.data_key, w3)):
        return None
    seq_words = np.empty(n, np.uint64)
    seq_words[0] = int.from_bytes(view[int(seq_at[0]):int(seq_at[0]) + 8], "little")
    seq_words[1:] = heads[:, w1 // 8]
    if _digit_runs(seq_words, d1) is None:  # seq_id: checked, not kept
        return None
    runs = _digit_runs(qsl_heads[:, w2 // 8], d2)
    if runs is None:
        return None
    qsl = _values(runs)
    try:
        if words:
            raw = binascii.a2b_hex(data_heads[:, w3 // 8:].tobytes())
        elif width == 0 and fixed:
            raw = b""
        elif fixed:
            rows = np.lib.stride_tricks.as_strided(a, (size - width + 1, width), (1, 1))
            raw = binascii.a2b_hex(rows[hex_at].tobytes())
        else:
            text = view.tobytes()  # slices of bytes cost less than slices of a memoryview
            ends = (hex_at + hex_lengths).tolist()
            raw = binascii.a2b_hex(b"".join([text[s:e] for s, e in zip(hex_at.tolist(), ends)]))
    except ValueError:  # a character that is not hex in a run
        return None
    return Block(base, qsl.astype(np.int64), _offsets(hex_lengths >> 1), np.frombuffer(raw, np.uint8),
                 np.zeros(n, bool))


_DATA_WIDTH = re.compile(rb'"data"' + _WS_ + rb":" + _WS_ + rb'"([0-9A-Fa-f]*)"')


class _Decoders:
    """The list decoders of one scan's blocks: one per data length (the length checked by the decoder, so
    no pass over the strings measures them), until a block holds several lengths; from then on the
    scan's blocks are decoded with any length (another length fails a sized decode where it stands)."""

    def __init__(self) -> None:
        self.by_width: dict[int, msgspec.json.Decoder[list[Any]]] = {}
        self.ragged = False

    def sized(self, view: memoryview) -> tuple[int, msgspec.json.Decoder[list[Any]]] | None:
        """The decoder for the data length of the block's first entry, if that may hold for all."""
        m = None if self.ragged else _DATA_WIDTH.search(view[:4096])
        if m is None:
            return None
        width = len(m.group(1))
        if width not in self.by_width:
            data = Annotated[str, msgspec.Meta(min_length=width, max_length=width)]
            fields = [(f.name, data if f.name == "data" else f.type) for f in msgspec.structs.fields(Entry)]
            entry = msgspec.defstruct("Entry", fields, forbid_unknown_fields=True, gc=False)  # Entry, data sized
            self.by_width[width] = msgspec.json.Decoder(list[entry])  # type: ignore[valid-type]
        return width, self.by_width[width]


def _fast(view: memoryview, base: int, decoders: _Decoders) -> Block | None:
    """The block as one JSON list of entries, or None when any entry is not clean."""
    entries: list[Any] | None = None
    sized = decoders.sized(view)
    width = None
    if sized is not None:
        try:
            width, entries = sized[0], sized[1].decode(view)
        except msgspec.ValidationError:  # another length somewhere (or a bad value: decoded again below)
            decoders.ragged, width = True, None
        except msgspec.DecodeError:
            return None
    if entries is None:
        try:
            entries = _LIST.decode(view)
        except msgspec.DecodeError:
            return None
    n = len(entries)
    if int(np.count_nonzero(np.frombuffer(view, np.uint8) == 34)) != 8 * n:
        return None  # more quotes than three keys and a string per entry: a repeated key (msgspec keeps the last)
    if width is not None:
        hex_lengths = np.full(n, width, np.int64)
        joined = "".join(map(_DATA, entries))
    else:
        datas: list[str] = list(map(_DATA, entries))
        hex_lengths = np.fromiter(map(len, datas), np.int64, n)
        joined = "".join(datas)
    if (hex_lengths & 1).any():
        return None
    try:
        raw = binascii.a2b_hex(joined)
    except ValueError:  # a non-hex character, whitespace or a non-ASCII character
        return None
    big: dict[int, int] = {}
    try:
        q = np.fromiter(map(_QSL, entries), np.int64, n)
    except OverflowError:
        q, big = _qsl_array(list(map(_QSL, entries)))
    return Block(base, q, _offsets(hex_lengths >> 1), np.frombuffer(raw, np.uint8), np.zeros(n, bool), big)


@dataclass
class _Tally:
    """What a run of blocks established; tallies of consecutive byte ranges merge in file order."""

    samples: int
    keep: bool
    entries: int = 0
    bad_payloads: int = 0
    out_of_range: int = 0
    out_of_range_examples: list[int] = field(default_factory=list)
    lengths: Counter[int] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    truncated: bool = False
    stopped: bool = False
    fast_blocks: int = 0
    slow_blocks: int = 0
    unique: int = 0
    # position (in this tally) of each sample's first entry, I64_MAX if none; made at the first in range
    first: I64 | None = None
    kept_q: list[I64] = field(default_factory=list)
    kept_len: list[I64] = field(default_factory=list)
    kept_pay: list[U8] = field(default_factory=list)

    def positions(self) -> I64:
        if self.first is None:
            self.first = np.full(max(self.samples, 0), I64_MAX, np.int64)
        return self.first

    def add(self, b: Block) -> None:
        n = len(b)
        if b.fast:
            self.fast_blocks += 1
        else:
            self.slow_blocks += 1
        if n == 0:
            return
        lens = np.diff(b.offsets)
        self.bad_payloads += int(b.bad.sum())
        good = lens[~b.bad] if b.bad.any() else lens
        if len(good) and int(good.min()) == int(good.max()):
            self.lengths[int(good[0])] += len(good)
        elif len(good):
            counts = np.bincount(good)
            nz = np.flatnonzero(counts)
            self.lengths.update(dict(zip(nz.tolist(), counts[nz].tolist())))
        q = b.qsl
        inside = (q >= 0) & (q < self.samples)
        everything = bool(inside.all())
        if not everything:
            out = np.flatnonzero(~inside)
            self.out_of_range += len(out)
            room = MAX_PROBLEMS - len(self.out_of_range_examples)
            self.out_of_range_examples.extend(b.big.get(i, int(q[i])) for i in out[:max(room, 0)].tolist())
        start = self.entries
        self.entries += n
        idx = np.arange(n, dtype=np.int64) if everything else np.flatnonzero(inside)
        if not len(idx):
            return
        qi = q[idx]
        pos = idx + start
        first = self.positions()
        np.minimum.at(first, qi, pos)
        fresh = first[qi] == pos  # this entry is its sample's first, here and in earlier blocks
        n_fresh = int(np.count_nonzero(fresh))
        self.unique += n_fresh
        if not self.keep or not n_fresh:
            return
        if everything and n_fresh == n:
            self.kept_q.append(q)
            self.kept_len.append(lens)
            self.kept_pay.append(b.payload)
            return
        chosen = idx[fresh]
        mask = np.zeros(n, bool)
        mask[chosen] = True
        self.kept_q.append(q[chosen])
        self.kept_len.append(lens[chosen])
        self.kept_pay.append(b.payload[np.repeat(mask, lens)])

    def merge(self, later: _Tally) -> None:
        """Fold in the tally of the byte range that follows this one (an earlier entry wins)."""
        self.problems.extend(later.problems[:max(0, MAX_PROBLEMS - len(self.problems))])
        self.truncated |= later.truncated
        self.stopped = later.stopped
        self.fast_blocks += later.fast_blocks
        self.slow_blocks += later.slow_blocks
        self.bad_payloads += later.bad_payloads
        self.lengths.update(later.lengths)
        self.out_of_range += later.out_of_range
        room = MAX_PROBLEMS - len(self.out_of_range_examples)
        self.out_of_range_examples.extend(later.out_of_range_examples[:max(room, 0)])
        start = self.entries
        self.entries += later.entries
        if later.first is None:
            return
        first = self.positions()
        new = (later.first < I64_MAX) & (first == I64_MAX)
        first[new] = later.first[new] + start
        self.unique += int(np.count_nonzero(new))
        if self.keep and later.kept_q:
            q, lens, pay = later.kept()
            fresh = new[q]
            if fresh.all():
                self.kept_q.append(q)
                self.kept_len.append(lens)
                self.kept_pay.append(pay)
            elif fresh.any():
                self.kept_q.append(q[fresh])
                self.kept_len.append(lens[fresh])
                self.kept_pay.append(pay[np.repeat(fresh, lens)])

    def kept(self) -> tuple[I64, I64, U8]:
        """The kept first payloads as (qsl, byte lengths, bytes), in the order they were met."""
        if not self.kept_q:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
        if len(self.kept_q) > 1:
            self.kept_q = [np.concatenate(self.kept_q)]
            self.kept_len = [np.concatenate(self.kept_len)]
            self.kept_pay = [np.concatenate(self.kept_pay)]
        return self.kept_q[0], self.kept_len[0], self.kept_pay[0]


@dataclass
class FirstPayloads:
    """The first payload logged for each sample index in range, sorted by index."""

    qsl: I64
    offsets: I64
    payload: U8

    def fixed(self) -> tuple[int, U8] | None:
        """(bytes per entry, matrix) when every payload has the same length; None otherwise."""
        lens = np.diff(self.offsets)
        if len(lens) == 0 or (lens != lens[0]).any():
            return None
        width = int(lens[0])
        return width, self.payload.reshape(len(lens), width)

    def get(self, i: int) -> bytes:
        return self.payload[self.offsets[i]:self.offsets[i + 1]].tobytes()


def _sorted_firsts(q: I64, lens: I64, pay: U8, samples: int) -> FirstPayloads:
    """The kept first payloads (one per index in [0, samples), in the order met) sorted by index."""
    if len(q) < 2 or bool((q[1:] > q[:-1]).all()):
        return FirstPayloads(q, _offsets(lens), pay)
    width = int(lens[0]) if int(lens.min()) == int(lens.max()) else -1  # -1: the payloads' lengths differ
    if 16 * len(q) < samples:
        order = np.argsort(q, kind="stable")
    else:  # the indices are distinct and in range: placing them beats sorting
        slot = np.full(samples, -1, np.int64)
        slot[q] = np.arange(len(q))
        order = slot[slot >= 0]
    if width >= 0:  # one width: an item a payload, the offsets a width apart
        out: U8 = pay.view(np.dtype((np.void, width)))[order].view(np.uint8) if width else pay
        return FirstPayloads(q[order], np.arange(len(q) + 1, dtype=np.int64) * width, out)
    off = _offsets(lens)
    new_lens = lens[order]
    new_off = _offsets(new_lens)
    if int(new_off[-1]) >= 64 * len(lens):  # long payloads: a slice each beats 8 index bytes a byte
        starts, ends = off[:-1][order].tolist(), off[1:][order].tolist()
        raw = pay.tobytes()  # slices of bytes are cheaper than numpy slices
        out = np.frombuffer(b"".join([raw[a:b] for a, b in zip(starts, ends)]), np.uint8)
    else:
        idx = np.arange(int(new_off[-1]), dtype=np.int64) + np.repeat(off[:-1][order] - new_off[:-1], new_lens)
        out = pay[idx]
    return FirstPayloads(q[order], new_off, out)


def _boundary(f: FileIO, x: int, size: int) -> int | None:
    """The first offset >= x just after a '}' (0 for 0, size when none follows); None when no '}' comes
    within MAX_ENTRY_BYTES (the scan stops before there)."""
    if x <= 0:
        return 0
    f.seek(x - 1)
    read = 0
    while read < MAX_ENTRY_BYTES:
        chunk = f.read(min(1 << 20, MAX_ENTRY_BYTES - read))
        if not chunk:
            return size
        i = chunk.find(b"}")
        if i >= 0:
            return x + read + i
        read += len(chunk)
    return None


def _scan_range(path: Path, a: int, b: int, size: int, samples: int, keep: bool, block_bytes: int,
                want_hash: bool = False) -> tuple[_Tally, str | None]:
    """The tally of the entries that start in the byte range [a, b) (moved to entry boundaries)."""
    with open(path, "rb", buffering=0) as f:
        return _scan_file(f, a, b, size, samples, keep, block_bytes, want_hash)


def _scan_file(f: FileIO, a: int, b: int, size: int, samples: int, keep: bool, block_bytes: int,
               want_hash: bool = False) -> tuple[_Tally, str | None]:
    """_scan_range on a log opened already."""
    tally = _Tally(samples, keep)
    digest = hashlib.sha256() if want_hash else None
    start = _boundary(f, a, size)
    end = _boundary(f, b, size) if b < size else size
    if start is None:  # inside an entry longer than MAX_ENTRY_BYTES: an earlier range stops there
        tally.stopped = True
        return tally, None
    end = size if end is None else end
    if start >= end and start > 0:
        return tally, None  # no entry starts in this range
    rng = _Range(f, start, end, size, block_bytes, digest)
    for block in rng:
        tally.add(block)
    tally.problems = rng.problems.items
    tally.truncated = rng.truncated
    tally.stopped = rng.stopped
    sha = digest.hexdigest() if digest is not None and not rng.stopped else None
    return tally, sha


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers(size: int, workers: int | None = None) -> int:
    """Explicit `workers`, else one per core (at most 4) for a log over PARALLEL_FROM_BYTES read from the
    main process; one inside a worker process (its pool already uses the cores)."""
    if workers is not None:
        return max(1, workers)
    if size < PARALLEL_FROM_BYTES or multiprocessing.parent_process() is not None:
        return 1
    return max(1, min(_cores(), 4))


def _hash_while(path: Path, futures: list[Future[tuple[_Tally, str | None]]]) -> str | None:
    """The file's sha256, computed while the workers read it; None if one of them stopped the scan."""
    digest = hashlib.sha256()
    buf = bytearray(1 << 22)
    mv = memoryview(buf)
    with path.open("rb") as f:
        while True:
            got = f.readinto(buf)
            if not got:
                return digest.hexdigest()
            digest.update(mv[:got])
            if any(fut.done() and not fut.exception() and fut.result()[0].stopped for fut in futures):
                return None


def scan_log(path: Path, samples: int, keep: bool = True, want_hash: bool = False,
             block_bytes: int = BLOCK_BYTES, workers: int | None = None) -> tuple[LogScan, FirstPayloads | None]:
    """Stream an accuracy log once: structure, coverage of `samples` indices, first payloads (if `keep`).

    `workers`: processes reading byte ranges of the log; None = one per core (at most 4) for a log
    over PARALLEL_FROM_BYTES opened from the main process. Ranges are merged in file order, so the
    answers do not depend on it.
    """
    # unbuffered (every read is a block's, into the reader's own buffer), and its size from the open file:
    # for a small log (v0.7's truncated ones are 8 KiB) a buffer object and a stat by name cost a fifth of its scan
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        n = _workers(size, workers)
        if n <= 1:
            tally, sha = _scan_file(f, 0, size, size, samples, keep, block_bytes, want_hash)
    if n > 1:
        cuts = [size * k // n for k in range(n + 1)]
        with ProcessPoolExecutor(max_workers=n) as pool:
            futs = [pool.submit(_scan_range, path, cuts[k], cuts[k + 1], size, samples, keep, block_bytes)
                    for k in range(n)]
            sha = _hash_while(path, futs) if want_hash else None
            parts = [fut.result()[0] for fut in futs]
        tally = parts[0]
        for part in parts[1:]:
            if tally.stopped:
                sha = None
                break
            tally.merge(part)
        if tally.stopped:
            sha = None
    return _finish(path, size, tally, sha)


def _missing(first: I64 | None, samples: int) -> list[int]:
    """The first few indices in [0, samples) no entry has, looked for from the start."""
    if first is None:
        return list(range(min(MAX_PROBLEMS, samples)))
    out: list[int] = []
    a, step = 0, 4096
    while len(out) < MAX_PROBLEMS and a < samples:
        out.extend((np.flatnonzero(first[a:a + step] == I64_MAX)[:MAX_PROBLEMS - len(out)] + a).tolist())
        a, step = a + step, 4 * step
    return out


def _finish(path: Path, size: int, t: _Tally, sha: str | None) -> tuple[LogScan, FirstPayloads | None]:
    unique = t.unique
    scan = LogScan(str(path), size=size, entries=t.entries, unique=unique,
                   duplicates=t.entries - t.out_of_range - unique, out_of_range=t.out_of_range,
                   out_of_range_examples=t.out_of_range_examples, bad_payloads=t.bad_payloads,
                   payload_lengths=dict(sorted(t.lengths.items())), problems=t.problems,
                   truncated=t.truncated, sha256=sha, fast_blocks=t.fast_blocks, slow_blocks=t.slow_blocks)
    if t.samples > 0 and unique < t.samples:
        scan.missing_examples = _missing(t.first, t.samples)
    if not t.keep:
        return scan, None
    if not t.kept_q:  # nothing kept (an empty or truncated log): no arrays to sort
        return scan, FirstPayloads(np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.uint8))
    return scan, _sorted_firsts(*t.kept(), t.samples)


def iter_entries(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[Block]:
    """The decoded blocks of a log in file order; malformed entries are left out (scan_log names them)."""
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        yield from _Range(f, 0, size, size, block_bytes)
