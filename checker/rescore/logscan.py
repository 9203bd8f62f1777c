"""A streaming, vectorised reader of LoadGen's mlperf_log_accuracy.json.

The file is a JSON list of `{"seq_id": N, "qsl_idx": M, "data": "<hex>"}` objects. It is read
in blocks; each block is parsed with numpy over its bytes (quote positions, digit windows, a
nibble lookup table), so the cost per entry is a few dozen nanoseconds instead of the
microseconds of `json.load` plus a Python loop. A block that is not in LoadGen's exact shape
(other key order, other value types, junk) falls back to a per-object JSON parse, which also
says precisely what is wrong. Only the first payload of each sample is kept: memory stays
bounded by the data set, not by the log.
"""

from __future__ import annotations

import binascii
import ctypes
import hashlib
import json
import os
import platform
import re
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided

BLOCK_BYTES = 4 * 1024 * 1024  # per-block temporaries are ~6x the block: keep it small
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # one record longer than this ends the scan (a 10 GB file of NULs has none)
TRUNCATION_MARK = b"..."  # later rounds keep the first and last 4 KiB with "\n\n...\n\n" between

_WS = np.zeros(256, dtype=bool)
for _c in b" \t\r\n":
    _WS[_c] = True
_NIBBLE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _NIBBLE[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _NIBBLE[_c] = 10 + _i
_KEYS = ((0, b"seq_id"), (2, b"qsl_idx"), (4, b"data"))
_OBJECT = re.compile(rb"\{[^{}]*\}")

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


@dataclass
class Entries:
    """One block's entries: sample indices, sequence ids and the decoded payloads (ragged)."""

    qsl: I64
    seq: I64
    offsets: I64  # len(qsl) + 1 offsets into payload
    payload: U8
    bad_payload: npt.NDArray[np.bool_]  # hex that is odd-length or not hex; payload left empty


class Malformed(Exception):
    """A block is not in LoadGen's exact shape; the slow path takes over."""


def _window_digits(arr: U8, start: I64, end: I64) -> tuple[I64, int]:
    """Parse `: <digits> ,` (whitespace anywhere) in each region [start, end); raise Malformed otherwise."""
    n = len(start)
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    length = end - start
    width = int(length.max())
    if width > 64 or int(length.min()) < 2:
        raise Malformed("number region")
    cols = np.arange(width)
    idx = np.minimum(start[:, None] + cols, len(arr) - 1)
    w = arr[idx]
    valid = cols < length[:, None]
    isdig = valid & (w >= 48) & (w <= 57)
    colon = valid & (w == 58)
    comma = valid & (w == 44)
    other = valid & ~isdig & ~colon & ~comma & ~_WS[w]
    if other.any() or (colon.sum(1) != 1).any() or (comma.sum(1) != 1).any():
        raise Malformed("number region")
    runs = isdig & ~np.concatenate([np.zeros((n, 1), bool), isdig[:, :-1]], axis=1)
    ndig = isdig.sum(1)
    if (runs.sum(1) != 1).any() or (ndig > 18).any():
        raise Malformed("number region")
    first = isdig.argmax(1)
    last = width - 1 - isdig[:, ::-1].argmax(1)
    if (colon.argmax(1) > first).any() or (comma.argmax(1) < last).any():
        raise Malformed("number region")
    right = np.cumsum(isdig[:, ::-1], axis=1)[:, ::-1]  # digits at or right of each column
    powers = 10 ** np.maximum(right - 1, 0).astype(np.int64)
    vals: I64 = np.where(isdig, (w.astype(np.int64) - 48) * powers, 0).sum(1)
    return vals, int(ndig.sum())


_PAD = bytes(64)  # lets fixed-width windows run past the end of a block


def _literal(text: bytes) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """A literal of up to 16 bytes as two little-endian words and their masks."""
    raw = text.ljust(16, b"\0")
    mask = (b"\xff" * len(text)).ljust(16, b"\0")
    return np.frombuffer(raw, np.uint64).copy(), np.frombuffer(mask, np.uint64).copy()


# LoadGen writes `{ "seq_id" : N, "qsl_idx" : M, "data" : "HEX" }`, entries separated by `,\n`.
# (quote column, offset from that quote, literal)
_LITERALS = tuple((col, off, _literal(text)) for col, off, text in (
    (0, -2, b'{ "seq_id" : '), (2, -2, b', "qsl_idx" : '), (4, -2, b', "data" : "'), (7, 0, b'" },\n{ "')))
_LAST = _literal(b'" }')
_LIT_A, _LIT_B, _LIT_C, _LIT_D = (lit for _, _, lit in _LITERALS)
_HEXOK = _NIBBLE != 255


def _rows(padded: U8, starts: I64, width: int) -> U8:
    """The `width` bytes at each start, gathered row by row through a strided view."""
    view = as_strided(padded, shape=(len(padded) - width + 1, width), strides=(1, 1), writeable=False)
    rows: U8 = view[starts]
    return rows


def _matches(padded: U8, starts: I64, lit: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]) -> bool:
    words = _rows(padded, starts, 16).view(np.uint64)
    want, mask = lit
    return bool(((words & mask) == want).all())


def _digits_exact(padded: U8, start: I64, end: I64) -> I64:
    """Decimal integers in [start, end), already known to be framed exactly; raise Malformed otherwise."""
    length = end - start
    if len(length) == 0:
        return np.zeros(0, np.int64)
    width = int(length.max())
    if int(length.min()) < 1 or width > 18:
        raise Malformed("number")
    w = _rows(padded, end - width, width) - np.uint8(48)
    mask = np.arange(width) >= (width - length)[:, None]
    if (w[mask] > 9).any():
        raise Malformed("number")
    w[~mask] = 0
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    vals: I64 = w.astype(np.int64) @ powers
    return vals


_LONG_HEX = 256  # mean hex characters per entry from which one C call per entry beats the gather


def _hex_long(padded: U8, starts: I64, lens: I64) -> tuple[I64, U8, npt.NDArray[np.bool_]]:
    """Long ragged payloads (COCO boxes): binascii per entry, strict like the nibble table (no
    whitespace, even length); the per-character gather costs 8 index bytes per hex character."""
    mv = padded.data
    chunks: list[bytes] = []
    bad = np.zeros(len(starts), bool)
    for i, (s, ln) in enumerate(zip(starts.tolist(), lens.tolist())):
        try:
            chunks.append(binascii.a2b_hex(mv[s:s + ln]))
        except binascii.Error:
            chunks.append(b"")
            bad[i] = True
    off = np.zeros(len(starts) + 1, np.int64)
    np.cumsum(np.where(bad, 0, lens // 2), out=off[1:])
    return off, np.frombuffer(b"".join(chunks), np.uint8), bad


def _hex(padded: U8, starts: I64, lens: I64) -> tuple[I64, U8, npt.NDArray[np.bool_]]:
    """Decode hex payloads at [start, start+len): (byte offsets, bytes, bad entries)."""
    n = len(starts)
    bad = (lens % 2) == 1
    if n and int(lens.min()) == int(lens.max()) and not bad[0] and int(lens[0]) <= 4096:
        width = int(lens[0])
        nib = _NIBBLE[_rows(padded, starts, width)]
        invalid = nib == 255
        if invalid.any():
            bad = invalid.any(1)
            nib[bad] = 0
        pay = (nib[:, 0::2] << 4 | nib[:, 1::2]).astype(np.uint8)
        out_lens = np.where(bad, 0, width // 2)
        off = np.zeros(n + 1, np.int64)
        np.cumsum(out_lens, out=off[1:])
        flat = pay[~bad].reshape(-1) if bad.any() else pay.reshape(-1)
        return off, flat, bad
    total = int(lens.sum())
    if total >= _LONG_HEX * n:
        return _hex_long(padded, starts, lens)
    hex_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=hex_off[1:])
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - hex_off[:-1], lens)
    nibf = _NIBBLE[padded[pos]]
    invalid = nibf == 255
    if invalid.any():
        hit = np.zeros(n, dtype=np.int64)
        np.add.at(hit, np.searchsorted(hex_off, np.flatnonzero(invalid), side="right") - 1, 1)
        bad = bad | (hit > 0)
    if bad.any():
        nibf = nibf[np.repeat(~bad, lens)]
        lens = np.where(bad, 0, lens)
    nib2 = nibf.reshape(-1, 2)
    payload = (nib2[:, 0] << 4 | nib2[:, 1]).astype(np.uint8)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens // 2, out=off[1:])
    return off, payload, bad


_U64 = np.uint64


def _words(padded: U8) -> npt.NDArray[np.uint64]:
    """A zero-copy view giving the little-endian 8-byte word that starts at every byte offset."""
    base = np.frombuffer(padded.data, dtype="<u8", count=(len(padded) - 8) // 8)
    words: npt.NDArray[np.uint64] = as_strided(base, shape=(len(padded) - 8,), strides=(1,), writeable=False)
    return words


def _swar_digits(words: npt.NDArray[np.uint64], start: I64, end: I64) -> I64 | None:
    """Up to 8 ASCII digits in [start, end) per entry, parsed 8 at a time in one word; None if any is longer."""
    length = end - start
    if len(length) == 0:
        return np.zeros(0, np.int64)
    if int(length.min()) < 1 or int(length.max()) > 8:
        return None
    x = words[end - 8]
    drop = ((8 - length) * 8).astype(_U64)
    low = np.where(drop == 64, _U64(0xFFFFFFFFFFFFFFFF), (_U64(1) << drop) - _U64(1))
    x = (x & ~low) | (_U64(0x3030303030303030) & low)  # left-pad with '0'
    hi = x & _U64(0xF0F0F0F0F0F0F0F0)
    if not ((hi == _U64(0x3030303030303030)).all()
            and (((x + _U64(0x0606060606060606)) & _U64(0xF0F0F0F0F0F0F0F0)) == _U64(0x3030303030303030)).all()):
        raise Malformed("number")
    x = x - _U64(0x3030303030303030)
    x = (x * _U64(10) + (x >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
    x = (x * _U64(100) + (x >> _U64(16))) & _U64(0x0000FFFF0000FFFF)
    x = (x * _U64(10000) + (x >> _U64(32))) & _U64(0x00000000FFFFFFFF)
    return x.astype(np.int64)


def _swar_hex8(words: npt.NDArray[np.uint64], start: I64) -> tuple[U8, npt.NDArray[np.bool_]]:
    """Eight hex characters per entry -> four bytes, as a word at a time."""
    x = words[start]
    letter = (x >> _U64(6)) & _U64(0x0101010101010101)  # 'A'-'F' and 'a'-'f' have bit 6 set
    nib = (x & _U64(0x0F0F0F0F0F0F0F0F)) + letter * _U64(9)
    # validity: digits 0x30-0x39, letters 0x41-0x46 / 0x61-0x66
    b = x.view(np.uint8).reshape(-1, 8)
    ok = _HEXOK[b].all(1)
    y = ((nib << _U64(4)) | (nib >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
    out = y.view(np.uint8).reshape(-1, 8)[:, 0::2]
    return np.ascontiguousarray(out).reshape(-1), ~ok


def parse_exact(buf: memoryview, leading: int) -> Entries:
    """Parse a block written byte for byte as LoadGen writes it.

    One pass touches every byte (finding the quotes); everything else is per entry and a word at a
    time: quote spacing, the literal text around each quote, the digits and the hex.
    """
    padded = np.frombuffer(buf.obj, dtype=np.uint8, count=len(buf) + len(_PAD))  # type: ignore[call-overload]
    arr = padded[: len(buf)]
    q = np.flatnonzero(arr == 34)
    if len(q) == 0 or len(q) % 8:
        raise Malformed("quotes")
    n = len(q) // 8
    q = q.reshape(n, 8)  # type: ignore[assignment]  # numpy types shapes; same array, 2-D view
    q0, q1, q2, q3, q4, q5, q6, q7 = (np.ascontiguousarray(q[:, i]) for i in range(8))
    if not ((q1 - q0 == 7).all() and (q3 - q2 == 8).all() and (q5 - q4 == 5).all() and (q6 - q5 == 4).all()):
        raise Malformed("key spacing")
    if n > 1 and not (q0[1:] == q7[:-1] + 7).all():
        raise Malformed("separator")
    head = b"[\n" if leading == 91 else b",\n"
    if int(q0[0]) != 4 or buf[:2] != head or len(buf) != int(q7[-1]) + 3:
        raise Malformed("block edges")
    words = _words(padded)
    for anchor, shift, (want, mask) in ((q0, -2, _LIT_A), (q2, -2, _LIT_B), (q4, -2, _LIT_C)):
        if not ((words[anchor + shift] == want[0]).all() and ((words[anchor + shift + 8] & mask[1]) == want[1]).all()):
            raise Malformed("literal")
    if n > 1 and not (words[q7[:-1]] == _LIT_D[0][0]).all():
        raise Malformed("literal")
    if (int(words[q7[-1]]) & int(_LAST[1][0])) != int(_LAST[0][0]):
        raise Malformed("literal")
    seq = _swar_digits(words, q1 + 4, q2 - 2)
    if seq is None:
        seq = _digits_exact(padded, q1 + 4, q2 - 2)
    qsl = _swar_digits(words, q3 + 4, q4 - 2)
    if qsl is None:
        qsl = _digits_exact(padded, q3 + 4, q4 - 2)
    lens = q7 - q6 - 1
    if int(lens.min()) == 8 and int(lens.max()) == 8:
        pay, bad = _swar_hex8(words, q6 + 1)
        if bad.any():
            off, payload, bad = _hex(padded, q6 + 1, lens)
        else:
            off = np.arange(0, 4 * n + 1, 4, dtype=np.int64)
            payload = pay
    else:
        off, payload, bad = _hex(padded, q6 + 1, lens)
    return Entries(qsl, seq, off, payload, bad)


def _word_literal(text: bytes, skip_first: bool = False) -> tuple[tuple[int, np.uint64, np.uint64], ...]:
    """`text` as (offset, want, mask) little-endian words; `skip_first` leaves its first byte unchecked."""
    out = []
    for k in range(0, len(text), 8):
        chunk = text[k:k + 8]
        mask = int.from_bytes((b"\xff" * len(chunk)).ljust(8, b"\0"), "little")
        if skip_first and k == 0:
            mask &= ~0xFF
        out.append((k, _U64(int.from_bytes(chunk.ljust(8, b"\0"), "little") & mask), _U64(mask)))
    return tuple(out)


# each entry as the text between its leading separator's comma and the next one: four literals,
# two decimal numbers and the hex; the three commas of an entry are its only commas
_HEAD = {sep: (len(sep) + 14, _word_literal(b"," + sep + b'{ "seq_id" : ', skip_first=True))
         for sep in (b"\n", b"\r\n")}
_QSL = _word_literal(b', "qsl_idx" : ')  # 14 bytes, then the digits
_DATA = _word_literal(b', "data" : "')  # 12 bytes, then the hex
_TAIL = _word_literal(b'" }')
_ZEROS = _U64(0x3030303030303030)
_HIGH = _U64(0xF0F0F0F0F0F0F0F0)
_ONES = _U64(0x0101010101010101)


def _digit_word(words: npt.NDArray[np.uint64], start: I64, end: I64, acc: npt.NDArray[np.uint64]
                ) -> npt.NDArray[np.uint64]:
    """The word ending at each `end` with the bytes before `start` set to '0' (1-8 digits); a non-digit
    sets bits in `acc`."""
    s = (_U64(8) - (end - start).astype(_U64)) << _U64(3)
    x: npt.NDArray[np.uint64] = words[end - 8]
    x = ((x >> s) << s) | (_ZEROS & ((_U64(1) << s) - _U64(1)))
    acc |= (x & _HIGH) ^ _ZEROS
    acc |= ((x + _U64(0x0606060606060606)) & _HIGH) ^ _ZEROS
    return x


def _digit_value(x: npt.NDArray[np.uint64]) -> I64:
    x = x - _ZEROS
    x = (x * _U64(10) + (x >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
    x = (x * _U64(100) + (x >> _U64(16))) & _U64(0x0000FFFF0000FFFF)
    x = (x * _U64(10000) + (x >> _U64(32))) & _U64(0x00000000FFFFFFFF)
    return x.astype(np.int64)


def _record_literal(fields: list[tuple[int, bytes | None]], width: int) -> tuple[npt.NDArray[np.uint64], ...]:
    """(want, mask) words of a `width`-byte record from (length, literal or None for a free field)."""
    want = bytearray(width)
    mask = bytearray(width)
    at = 0
    for length, text in fields:
        if text is not None:
            want[at:at + length] = text
            mask[at:at + length] = b"\xff" * length
        at += length
    return np.frombuffer(bytes(want), _U64).copy(), np.frombuffer(bytes(mask), _U64).copy()


_HEXOK16 = (_HEXOK[np.arange(65536) & 255] & _HEXOK[np.arange(65536) >> 8]).astype(np.uint16).view(bool)[::2].copy()


class _Layout:
    """The two records gathered per entry for one line end and one hex width.

    Record A: the 8 bytes ending at the comma after qsl_idx, then `, "data" : "`, the hex, `" }`,
    the separator and the next entry's `{ "seq_id" : ` (the last entry's stops at its `}`).
    Record B: the 8 bytes ending at the comma after seq_id, then `, "qsl_idx" : `.
    Want and mask words are kept tiled, so one compare covers every row (broadcasting a short row
    runs numpy's inner loop once per row: three times slower).
    """

    def __init__(self, sep: bytes, width: int) -> None:
        a_fields: list[tuple[int, bytes | None]] = [
            (8, None), (12, b', "data" : "'), (width, None), (3, b'" }'), (1 + len(sep) + 13, b"," + sep + b'{ "seq_id" : ')]
        self.wa = -(-(37 + len(sep) + width) // 8) * 8
        self.a = _record_literal(a_fields, self.wa)
        self.last = _record_literal(a_fields[:4], self.wa)
        self.b = _record_literal([(8, None), (14, b', "qsl_idx" : ')], 24)
        self.tiled: tuple[npt.NDArray[np.uint64], ...] = ()

    def tiles(self, n: int) -> tuple[npt.NDArray[np.uint64], ...]:
        # blocks may be parsed on two threads: read and replace the tiles as one tuple, never in parts
        tiled = self.tiled
        if not tiled or len(tiled[0]) < n:
            rows = max(n, len(tiled[0]) * 5 // 4 if tiled else n)
            tiled = tuple(np.tile(w, (rows, 1)) for w in (*self.a, *self.b))
            self.tiled = tiled
        return tuple(t[:n] for t in tiled)


_LAYOUTS: dict[tuple[bytes, int], _Layout] = {}


def _vrows(padded: U8, starts: I64, width: int) -> npt.NDArray[np.uint64]:
    """The `width` bytes (a multiple of 8) at each start as rows of little-endian words: one gather,
    a memcpy per row (gathering unaligned uint64 words costs as much per word as this per row)."""
    base = np.frombuffer(padded.data, dtype=f"V{width}", count=len(padded) // width)
    view = as_strided(base, shape=(len(padded) - width + 1,), strides=(1,), writeable=False)
    rows: npt.NDArray[np.uint64] = view[starts].view(_U64).reshape(len(starts), width // 8)
    return rows


def _non_digits(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Per byte of each word: zero where it is an ASCII digit (a carry may flag a digit too: never the reverse)."""
    nd: npt.NDArray[np.uint64] = ((x & _HIGH) ^ _ZEROS) | (((x + _U64(0x0606060606060606)) & _HIGH) ^ _ZEROS)
    return nd


def _newlines(arr: U8) -> I64:
    """Offsets of the b'\\n' bytes, each at least 8 bytes from the next; Malformed otherwise.

    np.flatnonzero over the byte mask costs ~0.15 ns a byte whatever the hits; over the mask read as
    words it is 8 times fewer elements, and a word's one newline is located by a bit count.
    """
    nb = len(arr)
    m = np.zeros(-(-nb // 8) * 8, dtype=bool)
    np.equal(arr, 10, out=m[:nb])
    w = m.view(_U64)
    nz = np.flatnonzero(w != 0)  # flatnonzero of a bool array: several times faster than of words
    v = w[nz]
    if (v & (v - _U64(1))).any():
        raise Malformed("two line ends in one word")
    pos: I64 = (nz << 3) + (np.bitwise_count(v - _U64(1)) >> 3).astype(np.int64)
    return pos


def parse_records(buf: memoryview, leading: int) -> Entries:
    """Parse a block in LoadGen's exact layout whose payloads all have one hex width.

    Only the line ends are found by scanning. From them and the digit count of each qsl_idx two
    fixed-width records per entry are gathered and compared with the literal text under a mask,
    all rows at once; the numbers and the hex are decoded a word at a time. Any other shape
    (numbers over 8 digits, hex widths that vary, other spacing) raises Malformed.
    """
    nb = len(buf)
    padded = np.frombuffer(buf.obj, dtype=np.uint8, count=nb + len(_PAD))  # type: ignore[call-overload]
    if nb < 40 or buf[0] != leading:
        raise Malformed("block edges")
    sep = b"\r\n" if buf[1] == 13 else b"\n"
    head = 1 + len(sep) + 13
    if buf[1:head] != sep + b'{ "seq_id" : ':
        raise Malformed("first entry")
    j = buf.obj.find(b'"data" : "', head, min(nb, 200))  # type: ignore[attr-defined]
    k = buf.obj.find(b'"', j + 10, nb) if j > 0 else -1  # type: ignore[attr-defined]
    width = k - j - 10
    if j < 0 or k < 0 or width % 2 or width > 512:
        raise Malformed("hex width")
    layout = _LAYOUTS.get((sep, width))
    if layout is None:
        layout = _LAYOUTS[(sep, width)] = _Layout(sep, width)
    anchor = _newlines(padded[:nb]) - len(sep)  # the comma (or '[') before each entry
    n = len(anchor)
    if n == 0 or anchor[0] != 0:
        raise Malformed("line ends")
    end = np.empty(n, np.int64)
    end[:-1] = anchor[1:]
    end[-1] = nb
    c1 = end - (15 + width)  # the comma after qsl_idx, if the hex width holds (record A checks)
    if int(c1.min()) < 8 or int((c1 - anchor).min()) < head + 16:
        raise Malformed("short entry")
    ra = _vrows(padded, c1 - 8, layout.wa)
    # qsl_idx digits: the top bytes of the word ending at c1 that are digits
    nd = _non_digits(ra[:, 0])
    flag = ((nd & _U64(0x7F7F7F7F7F7F7F7F)) + _U64(0x7F7F7F7F7F7F7F7F) | nd) & _U64(0x8080808080808080)
    flag |= flag >> _U64(8)
    flag |= flag >> _U64(16)
    flag |= flag >> _U64(32)
    lq = 8 - np.bitwise_count(flag).astype(np.int64)  # bytes at or below the highest non-digit, subtracted
    c0 = c1 - 14 - lq
    ls = c0 - anchor - head
    if int(lq.min()) < 1 or int(lq.max()) > 7 or int(ls.min()) < 1 or int(ls.max()) > 8:
        raise Malformed("numbers")  # 8 digits fill the word: the next shape decides
    rb = _vrows(padded, c0 - 8, 24)
    want_a, mask_a, want_b, mask_b = layout.tiles(n)
    want_last, mask_last = layout.last
    if (((ra[:-1] & mask_a[:-1]) != want_a[:-1]).any() or ((ra[-1] & mask_last) != want_last).any()
            or ((rb & mask_b) != want_b).any()):
        raise Malformed("literal")
    s = (_U64(8) - ls.astype(_U64)) << _U64(3)
    x = rb[:, 0]
    if (_non_digits(((x >> s) << s) | (_ZEROS & ((_U64(1) << s) - _U64(1))))).any():
        raise Malformed("seq_id")  # checked, not converted: nothing reads it
    if (((x >> s) & _U64(0xFF)) == _U64(48))[ls > 1].any():
        raise Malformed("leading zero")  # not JSON
    s = (_U64(8) - lq.astype(_U64)) << _U64(3)
    x = ra[:, 0]
    if (((x >> s) & _U64(0xFF)) == _U64(48))[lq > 1].any():
        raise Malformed("leading zero")
    qsl = _digit_value(((x >> s) << s) | (_ZEROS & ((_U64(1) << s) - _U64(1))))
    if width == 8:
        h = (ra[:, 2] >> _U64(32)) | (ra[:, 3] << _U64(32))
        if (_HEXOK16[h.view(np.uint16)].view(np.uint32) != np.uint32(0x01010101)).any():  # a 64 KiB table: half the look-ups
            raise Malformed("hex")
        nib = (h & _U64(0x0F0F0F0F0F0F0F0F)) + ((h >> _U64(6)) & _ONES) * _U64(9)
        y = ((nib << _U64(4)) | (nib >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
        y = (y | (y >> _U64(8))) & _U64(0x0000FFFF0000FFFF)
        payload = ((y | (y >> _U64(16))) & _U64(0xFFFFFFFF)).astype("<u4").view(np.uint8)
    else:
        nibs = _NIBBLE[ra.view(np.uint8)[:, 20:20 + width]]
        if (nibs == 255).any():
            raise Malformed("hex")
        payload = (nibs[:, 0::2] << 4 | nibs[:, 1::2]).astype(np.uint8).reshape(-1)
    off = np.arange(n + 1, dtype=np.int64) * (width // 2)
    return Entries(qsl, qsl, off, payload, np.zeros(n, bool))


def parse_lines(buf: memoryview, leading: int) -> Entries:
    """Parse a block written as LoadGen writes it (LF or CRLF line ends), anchored on its commas.

    One C-level pass finds the commas (three per entry); every other byte is checked a word at a
    time from them: the literals by masked compares folded into one accumulator, the numbers and
    the hex by SWAR arithmetic. seq_id is checked but not converted (nothing reads it). Any
    deviation raises Malformed, and the quote-anchored parse takes the block.
    """
    nb = len(buf)
    padded = np.frombuffer(buf.obj, dtype=np.uint8, count=nb + len(_PAD))  # type: ignore[call-overload]
    if nb < 40 or buf[0] != leading:
        raise Malformed("block edges")
    sep = b"\r\n" if buf[1] == 13 else b"\n"
    c = np.flatnonzero(padded[:nb] == 44)
    if leading == 91:
        c = np.concatenate([np.zeros(1, np.int64), c])
    if len(c) % 3:
        raise Malformed("commas")
    n = len(c) // 3
    c = c.reshape(n, 3)  # type: ignore[assignment]  # numpy types shapes; same array, 2-D view
    anchor, c0, c1 = c[:, 0], c[:, 1], c[:, 2]
    end = np.empty(n, np.int64)
    end[:-1] = anchor[1:]
    end[-1] = nb
    lens = end - 3 - (c1 + 12)
    head, head_lit = _HEAD[sep]
    seq_start = anchor + head
    if int((c0 - seq_start).min()) < 1 or int((c1 - c0).min()) < 15 or int(lens.min()) < 0:
        raise Malformed("numbers")
    words = _words(padded)
    acc = np.zeros(n, _U64)
    for base, lit in ((anchor, head_lit), (c0, _QSL), (c1, _DATA), (end - 3, _TAIL)):
        for shift, want, mask in lit:
            acc |= (words[base + shift if shift else base] & mask) ^ want
    if int((c0 - seq_start).max()) <= 8:
        _digit_word(words, seq_start, c0, acc)
    else:
        _digits_exact(padded, seq_start, c0)
    if int((c1 - c0).max()) <= 22:
        qsl = _digit_value(_digit_word(words, c0 + 14, c1, acc))
    else:
        qsl = _digits_exact(padded, c0 + 14, c1)
    if acc.any():
        raise Malformed("literal")
    if int(lens.min()) == 8 and int(lens.max()) == 8:
        x = words[c1 + 12]
        if (_HEXOK[x.view(np.uint8)].view(_U64) != _ONES).any():
            raise Malformed("hex")
        nib = (x & _U64(0x0F0F0F0F0F0F0F0F)) + ((x >> _U64(6)) & _ONES) * _U64(9)
        y = ((nib << _U64(4)) | (nib >> _U64(8))) & _U64(0x00FF00FF00FF00FF)
        payload = np.ascontiguousarray(y.view(np.uint8).reshape(n, 8)[:, 0::2]).reshape(-1)
        off = np.arange(0, 4 * n + 1, 4, dtype=np.int64)
        bad = np.zeros(n, bool)
    else:
        off, payload, bad = _hex(padded, c1 + 12, lens)
        if bad.any():
            raise Malformed("hex")  # the quote-anchored parse reports which
    return Entries(qsl, qsl, off, payload, bad)


def parse_fast(buf: bytes, leading: int) -> Entries:
    """Parse a block of whole entries in LoadGen's key order, any whitespace; `leading` is b'[' or b','."""
    arr = np.frombuffer(buf, dtype=np.uint8)
    ob = np.flatnonzero(arr == 123)
    cb = np.flatnonzero(arr == 125)
    q = np.flatnonzero(arr == 34)
    n = len(ob)
    if len(cb) != n or len(q) != 8 * n:
        raise Malformed("braces or quotes")
    if n == 0:
        if int((~_WS[arr]).sum()) != 1 or arr[~_WS[arr]][0] != leading:
            raise Malformed("separator")
        z = np.zeros(0, dtype=np.int64)
        return Entries(z, z, np.zeros(1, np.int64), np.zeros(0, np.uint8), np.zeros(0, bool))
    q = q.reshape(n, 8)  # type: ignore[assignment]  # numpy types shapes; same array, 2-D view
    if not ((ob < q[:, 0]).all() and (q[:, 7] < cb).all() and (cb[:-1] < ob[1:]).all()):
        raise Malformed("object layout")
    for col, key in _KEYS:
        if not (q[:, col + 1] - q[:, col] == len(key) + 1).all():
            raise Malformed("key")
        got = arr[q[:, col][:, None] + 1 + np.arange(len(key))]
        if not (got == np.frombuffer(key, np.uint8)).all():
            raise Malformed("key")
    seq, seq_digits = _window_digits(arr, q[:, 1] + 1, q[:, 2])
    qsl, qsl_digits = _window_digits(arr, q[:, 3] + 1, q[:, 4])
    # `"data" : "`: exactly one colon between the key and the value
    gap = q[:, 6] - q[:, 5] - 1
    if int(gap.max()) > 64:
        raise Malformed("data separator")
    cols = np.arange(int(gap.max()))
    w = arr[np.minimum(q[:, 5][:, None] + 1 + cols, len(arr) - 1)]
    valid = cols < gap[:, None]
    if ((valid & (w == 58)).sum(1) != 1).any() or (valid & ~_WS[w] & (w != 58)).any():
        raise Malformed("data separator")
    # hex payloads
    starts = q[:, 6] + 1
    lens = q[:, 7] - starts
    total = int(lens.sum())
    hex_off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=hex_off[1:])
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - hex_off[:-1], lens)
    nib = _NIBBLE[arr[pos]]
    bad = (lens % 2) == 1
    invalid = nib == 255
    if invalid.any():
        hit = np.zeros(n, dtype=np.int64)
        np.add.at(hit, np.searchsorted(hex_off, np.flatnonzero(invalid), side="right") - 1, 1)
        bad |= hit > 0
    # every non-whitespace byte is accounted for: the separators are the only free ones
    # braces 2, quotes 8, key letters 17, colons 3, commas 2 per entry; the numbers' digits; the hex;
    # one separator between entries and the leading '[' or ','
    expected_ns = n * 32 + seq_digits + qsl_digits + total + (n - 1) + 1
    if int((~_WS[arr]).sum()) != expected_ns:
        raise Malformed("stray characters")
    commas = np.flatnonzero(arr == 44)
    k = np.searchsorted(ob, commas)  # entries that start before each comma
    outside = (k == 0) | (commas > cb[np.maximum(k - 1, 0)])
    gaps = k[outside]
    want = np.arange(0 if leading == 44 else 1, n)
    if len(gaps) != len(want) or not (gaps == want).all():
        raise Malformed("separator")
    if leading == 91:
        head = arr[: ob[0]]
        if int((~_WS[head]).sum()) != 1 or head[~_WS[head]][0] != 91:
            raise Malformed("list start")
    if bad.any():
        # odd or non-hex payloads decode to nothing; their nibbles are dropped
        keep = np.repeat(~bad, lens)
        nib = nib[keep]
        lens = np.where(bad, 0, lens)
    nib2 = nib.reshape(-1, 2) if len(nib) else nib.reshape(0, 2)
    payload = (nib2[:, 0] << 4 | nib2[:, 1]).astype(np.uint8)
    off = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens // 2, out=off[1:])
    return Entries(qsl, seq, off, payload, bad)


@dataclass
class SlowResult:
    entries: Entries
    problems: list[str]


def _int64(v: Any) -> bool:
    """A JSON integer that fits the int64 arrays (Python ints are unbounded; 10**40 is not an index)."""
    return isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63


def parse_slow(buf: bytes, base: int) -> SlowResult:
    """Per-object JSON parse of a block: any key order and formatting; records what is malformed."""
    problems: list[str] = []
    qsl: list[int] = []
    seq: list[int] = []
    chunks: list[bytes] = []
    bad: list[bool] = []
    last = 0
    for m in _OBJECT.finditer(buf):
        between = buf[last:m.start()].strip(b" \t\r\n[,")
        if between and len(problems) < 5:
            problems.append(f"unexpected text at byte {base + last}: {between[:40]!r}")
        last = m.end()
        try:
            obj = json.loads(m.group(0))
        except ValueError as exc:
            if len(problems) < 5:
                problems.append(f"malformed entry at byte {base + m.start()}: {exc}")
            continue
        s, i, d = obj.get("seq_id"), obj.get("qsl_idx"), obj.get("data")
        if not _int64(i) or not isinstance(d, str):
            if len(problems) < 5:
                problems.append(f"entry at byte {base + m.start()} lacks an integer qsl_idx or a string data")
            continue
        qsl.append(i)
        seq.append(s if _int64(s) else -1)  # a seq_id past int64 cannot be stored: counts as missing
        try:
            raw = bytes.fromhex(d) if len(d) % 2 == 0 else None
        except ValueError:
            raw = None
        bad.append(raw is None)
        chunks.append(raw or b"")
    tail = buf[last:].strip(b" \t\r\n],")
    if tail and len(problems) < 5:
        problems.append(f"unexpected text at byte {base + last}: {tail[:40]!r}")
    off = np.zeros(len(qsl) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in chunks], out=off[1:])
    payload = np.frombuffer(b"".join(chunks), dtype=np.uint8)
    return SlowResult(Entries(np.asarray(qsl, np.int64), np.asarray(seq, np.int64), off, payload,
                              np.asarray(bad, bool)), problems)


@dataclass
class LogScan:
    """What one pass over an accuracy log established; the structural checks read this."""

    path: str
    size: int = 0
    entries: int = 0
    unique: int = 0
    duplicates: int = 0
    out_of_range: int = 0
    out_of_range_examples: list[int] = field(default_factory=list)
    bad_payloads: int = 0
    payload_lengths: dict[int, int] = field(default_factory=dict)  # decoded bytes -> entries
    problems: list[str] = field(default_factory=list)  # JSON shape problems (first few)
    truncated: bool = False
    sha256: str | None = None
    fast_blocks: int = 0
    slow_blocks: int = 0
    missing_examples: list[int] = field(default_factory=list)  # dataset samples absent from the log

    @property
    def well_formed(self) -> bool:
        return not self.problems and not self.truncated

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


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


def _blocks(path: Path, block_bytes: int, digest: Any, free: list[bytearray]
            ) -> Iterator[tuple[bytearray, memoryview, int, bool]]:
    """(buffer, view of whole entries, byte offset, is_first) blocks; the tail after the last '}' is carried.

    Each block is read into a buffer taken from `free` (or a new one), with zero padding behind it so
    fixed-width reads may run past it; the caller hands the buffer back to `free` when done with the
    block. Returned at once, one buffer serves every block; kept while a thread parses, each block in
    flight has its own. The digest is fed in file order.
    """
    tail = b""
    base = 0
    first = True
    with path.open("rb") as f:
        while True:
            buf = free.pop() if free else bytearray(block_bytes + len(_PAD))
            if len(buf) < block_bytes + len(_PAD):  # smaller than the block size after a growth
                buf = bytearray(block_bytes + len(_PAD))
            view = memoryview(buf)
            buf[:len(tail)] = tail
            fill = len(tail)
            while True:
                if fill == block_bytes:  # one entry longer than a block: grow
                    if block_bytes >= MAX_ENTRY_BYTES:
                        return  # no '}' in 64 MiB: not an accuracy log; scan_log reports the unclosed list
                    grown = bytearray(2 * block_bytes + len(_PAD))
                    grown[:fill] = view[:fill]
                    buf, view = grown, memoryview(grown)
                    block_bytes *= 2
                got = f.readinto(view[fill:block_bytes])
                if digest is not None and got:
                    digest.update(view[fill:fill + got])
                if not got:
                    return  # what follows the last '}' is checked by scan_log
                fill += got
                cut = buf.rfind(b"}", 0, fill)
                if cut >= 0:
                    break
            tail = bytes(buf[cut + 1:fill])
            buf[cut + 1:cut + 1 + len(_PAD)] = _PAD
            yield buf, view[:cut + 1], base, first
            first = False
            base += cut + 1


THREADS_FROM_BYTES = 32 * 1024 * 1024  # smaller logs are read on the calling thread
IN_FLIGHT = 4  # blocks read and queued ahead of the one being consumed, when threads parse (4 beat 3 by ~15%)


@dataclass
class _Parsed:
    entries: Entries
    digest: _Digest
    fast: bool
    truncated: bool = False
    problems: list[str] = field(default_factory=list)


def _parse(buf: memoryview, base: int, first: bool) -> tuple[Entries, bool, bool, list[str]]:
    """One block through the parsers, fastest first: (entries, fast, truncation mark seen, problems)."""
    leading = 91 if first else 44
    truncated = False
    try:
        try:
            try:
                return parse_records(buf, leading), True, False, []
            except Malformed:
                return parse_lines(buf, leading), True, False, []
        except Malformed:
            # the exact parsers accept no '.', so only these blocks can hold the truncation mark
            truncated = buf.obj.find(TRUNCATION_MARK, 0, len(buf)) >= 0  # type: ignore[attr-defined]
            try:
                return parse_exact(buf, leading), True, truncated, []
            except Malformed:
                return parse_fast(bytes(buf), leading), True, truncated, []
    except Malformed:
        slow = parse_slow(bytes(buf), base)
        return slow.entries, False, truncated, slow.problems


def _parse_block(buf: memoryview, base: int, first: bool, samples: int) -> _Parsed:
    """Parse a block and digest it on its own; pure (it may run on a worker thread)."""
    ent, fast, truncated, problems = _parse(buf, base, first)
    return _Parsed(ent, _digest(ent, max(samples, 0)), fast, truncated, problems)


_MALLOC_TUNED: bool | None = None


def _tune_malloc() -> bool:
    """Keep freed block temporaries in glibc's per-thread arenas; True when done (or already).

    A parse allocates ~20 MB of numpy temporaries per 4 MiB block. On the main thread glibc keeps
    them in its heap; in a worker thread's arena it trims them after every block, and re-faulting
    those pages (kernel-zeroed, under the process's memory lock) costs more CPU than the parse
    gains from the second core. Fixed thresholds (arrays under 16 MiB from the heap, up to 32 MiB
    of free top kept per arena) stop that; this is process-wide, so it is done only for the first
    log that is parsed on threads, and at most ~2 x 32 MiB stays reserved.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED is None:
        _MALLOC_TUNED = False
        if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
            try:
                mallopt = ctypes.CDLL(None).mallopt
                mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                # M_MMAP_THRESHOLD = -3, M_TRIM_THRESHOLD = -1; each returns 1 on success
                _MALLOC_TUNED = mallopt(-3, 16 << 20) == 1 and mallopt(-1, 32 << 20) == 1
            except (OSError, AttributeError):
                pass
    return _MALLOC_TUNED


def _threads(path: Path, threads: int | None) -> int:
    """Explicit `threads`, else two when the log is large, two cores are ours and the allocator is tuned."""
    if threads is not None:
        return max(1, threads)
    if path.stat().st_size <= THREADS_FROM_BYTES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 and _tune_malloc() else 1


def _parsed_blocks(path: Path, block_bytes: int, digest: Any, threads: int, samples: int
                   ) -> Iterator[tuple[_Parsed, int, int]]:
    """(parse, offset, length) of every block, in file order; parsed on `threads` threads when > 1.

    With threads the reader stays IN_FLIGHT blocks ahead (so IN_FLIGHT buffers and at most `threads`
    blocks' temporaries at once); numpy releases the GIL in its loops, so the parses overlap.
    """
    free: list[bytearray] = []
    if threads <= 1:
        for buf, view, base, first in _blocks(path, block_bytes, digest, free):
            parsed = _parse_block(view, base, first, samples)
            yield parsed, base, len(view)
            free.append(buf)
        return
    pending: deque[tuple[Future[_Parsed], bytearray, int, int]] = deque()
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="logscan") as pool:
        try:
            for buf, view, base, first in _blocks(path, block_bytes, digest, free):
                pending.append((pool.submit(_parse_block, view, base, first, samples), buf, base, len(view)))
                if len(pending) >= IN_FLIGHT:
                    fut, done, b, n = pending.popleft()
                    yield fut.result(), b, n
                    free.append(done)
            while pending:
                fut, done, b, n = pending.popleft()
                yield fut.result(), b, n
        finally:
            for fut, *_ in pending:
                fut.cancel()


def scan_log(path: Path, samples: int, keep: bool = True, want_hash: bool = False,
             block_bytes: int = BLOCK_BYTES, threads: int | None = None) -> tuple[LogScan, FirstPayloads | None]:
    """Stream an accuracy log once: structure, coverage of `samples` indices, first payloads (if `keep`).

    `threads`: how many threads parse blocks; None = two on a multi-core machine for logs over
    THREADS_FROM_BYTES, one otherwise. Blocks are consumed in file order either way.
    """
    scan = LogScan(str(path))
    digest = hashlib.sha256() if want_hash else None
    seen = np.zeros(max(samples, 0), dtype=bool)
    kept_q: list[I64] = []
    kept_off: list[I64] = []
    kept_pay: list[U8] = []
    lengths: dict[int, int] = {}
    for parsed, base, nbytes in _parsed_blocks(path, block_bytes, digest, _threads(path, threads), samples):
        scan.size = base + nbytes
        scan.truncated |= parsed.truncated
        if parsed.fast:
            scan.fast_blocks += 1
        else:
            scan.problems.extend(parsed.problems[: max(0, 5 - len(scan.problems))])
            scan.slow_blocks += 1
        _consume(scan, parsed.entries, parsed.digest, seen, keep, kept_q, kept_off, kept_pay, lengths)
    # the part after the last '}' must be the closing ']'
    size = path.stat().st_size
    scan.size = size
    if size == 0:
        scan.problems.append("the file is empty")
    else:
        with path.open("rb") as f:
            f.seek(max(0, size - 4096))
            end = f.read()
        after = end[end.rfind(b"}") + 1:] if b"}" in end else end
        if after.strip(b" \t\r\n") != b"]" and not (scan.entries == 0 and end.strip() == b"[]"):
            scan.problems.append(f"the list is not closed: the file ends with {after.strip()[-40:]!r}")
    if digest is not None:
        scan.sha256 = digest.hexdigest()
    scan.payload_lengths = dict(sorted(lengths.items()))
    scan.unique = int(seen.sum())
    if samples > 0 and scan.unique < samples:
        scan.missing_examples = [int(i) for i in np.flatnonzero(~seen)[:5]]
    firsts = None
    if keep:
        q = np.concatenate(kept_q) if kept_q else np.zeros(0, np.int64)
        offs = [np.diff(o) for o in kept_off]
        lens = np.concatenate(offs) if offs else np.zeros(0, np.int64)
        pay = np.concatenate(kept_pay) if kept_pay else np.zeros(0, np.uint8)
        order = np.argsort(q, kind="stable")
        starts = np.zeros(len(q) + 1, np.int64)
        np.cumsum(lens, out=starts[1:])
        if len(q) and not (order == np.arange(len(q))).all():
            lens_sorted = lens[order]
            new_off = np.zeros(len(q) + 1, np.int64)
            np.cumsum(lens_sorted, out=new_off[1:])
            pay = _gather(pay, starts[:-1][order], lens_sorted, new_off)
            q = q[order]
            starts = new_off
        firsts = FirstPayloads(q, starts, pay)
    return scan, firsts


@dataclass
class _Digest:
    """What a block says on its own, before the earlier blocks are known: pure, so a worker thread
    computes it."""

    lengths: dict[int, int]  # decoded payload bytes -> entries
    width: int  # the one payload length, or -1
    out_of_range: I64  # qsl_idx values outside [0, samples)
    cand: I64  # in-range entries that are the first of their sample within the block


def _digest(ent: Entries, samples: int) -> _Digest:
    n = len(ent.qsl)
    if n == 0:
        z = np.zeros(0, np.int64)
        return _Digest({}, -1, z, z)
    lens = np.diff(ent.offsets)
    width = int(lens[0]) if int(lens.min()) == int(lens.max()) and not ent.bad_payload.any() else -1
    if width >= 0:  # one payload length (the fast parsers' case): no sort
        lengths = {width: n}
    else:
        vals, counts = np.unique(lens[~ent.bad_payload], return_counts=True)
        lengths = dict(zip(vals.tolist(), counts.tolist()))
    in_range = (ent.qsl >= 0) & (ent.qsl < samples)
    everything = bool(in_range.all())
    idx = np.arange(n) if everything else np.flatnonzero(in_range)
    q = ent.qsl[idx]
    # first occurrence wins: first within the block here, then not seen in an earlier block (_consume)
    first = np.full(samples, n, dtype=np.int64)
    np.minimum.at(first, q, idx)
    return _Digest(lengths, width, ent.qsl[~in_range] if not everything else np.zeros(0, np.int64),
                   idx[first[q] == idx])


def _gather(payload: U8, starts: I64, lens: I64, out_off: I64) -> U8:
    """payload[starts[i]:starts[i] + lens[i]] for every i, concatenated (out_off: their cumulative lengths)."""
    if len(lens) and int(out_off[-1]) >= 64 * len(lens):  # long payloads: a slice per entry beats 8 index bytes per byte
        return np.concatenate([payload[a:a + ln] for a, ln in zip(starts.tolist(), lens.tolist())])
    pos = np.arange(int(out_off[-1]), dtype=np.int64) + np.repeat(starts - out_off[:-1], lens)
    out: U8 = payload[pos]
    return out


def _consume(scan: LogScan, ent: Entries, dig: _Digest, seen: npt.NDArray[np.bool_], keep: bool,
             kept_q: list[I64], kept_off: list[I64], kept_pay: list[U8], lengths: dict[int, int]) -> None:
    """Fold one block into the scan; blocks come in file order (an earlier block's sample wins)."""
    n = len(ent.qsl)
    if n == 0:
        return
    scan.entries += n
    scan.bad_payloads += int(ent.bad_payload.sum())
    for v, c in dig.lengths.items():
        lengths[v] = lengths.get(v, 0) + c
    if len(dig.out_of_range):
        scan.out_of_range += len(dig.out_of_range)
        room = 5 - len(scan.out_of_range_examples)
        if room > 0:
            scan.out_of_range_examples.extend(int(x) for x in dig.out_of_range[:room])
    cand = dig.cand
    fresh = cand[~seen[ent.qsl[cand]]]
    scan.duplicates += n - len(fresh) - len(dig.out_of_range)
    seen[ent.qsl[fresh]] = True
    width = dig.width
    if keep and len(fresh) and width >= 0:
        kept_q.append(ent.qsl[fresh])
        kept_off.append(np.arange(len(fresh) + 1, dtype=np.int64) * width)
        kept_pay.append(ent.payload.reshape(n, width)[fresh].reshape(-1))
    elif keep and len(fresh) == n:  # every entry new (a log of each sample once): the block's payload as is
        kept_q.append(ent.qsl)
        kept_off.append(ent.offsets - ent.offsets[0])
        kept_pay.append(ent.payload[int(ent.offsets[0]):int(ent.offsets[-1])])
    elif keep and len(fresh):
        sel_lens = np.diff(ent.offsets)[fresh]
        off = np.zeros(len(fresh) + 1, np.int64)
        np.cumsum(sel_lens, out=off[1:])
        kept_q.append(ent.qsl[fresh])
        kept_off.append(off)
        kept_pay.append(_gather(ent.payload, ent.offsets[fresh], sel_lens, off))
