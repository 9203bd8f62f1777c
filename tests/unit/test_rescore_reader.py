"""The accuracy-log reader against an independent reference: json.loads + per-entry bytes.fromhex,
first occurrence wins (as the MLPerf reference accuracy scripts read a log).

Valid logs in every layout LoadGen or a re-serialisation writes read exactly like the reference, on one
and two worker processes and any block size; every malformed shape is rejected with its byte offset;
truncated logs are recognised; the real corpus logs all read like the reference.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from itertools import accumulate, islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rescore_helpers import loadgen_log

from checker.rescore import reader
from checker.rescore.reader import iter_entries, scan_log

KEYS = {"seq_id", "qsl_idx", "data"}


def reference(raw: bytes, samples: int) -> dict[str, Any] | None:
    """What a valid log holds, read the plain way; None when it is not a valid list of LoadGen entries."""
    try:
        objs = json.loads(raw.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return None
    if not isinstance(objs, list):
        return None
    if any(raw.count(b'"%s"' % k.encode()) != len(objs) for k in KEYS):
        return None  # a repeated key (json.loads keeps the last); a valid log has no other quoted key text
    first: dict[int, bytes] = {}
    sizes: list[int] = []
    out: list[int] = []
    for o in objs:
        if type(o) is not dict or o.keys() != KEYS:
            return None
        q, d = o["qsl_idx"], o["data"]
        if type(q) is not int or type(o["seq_id"]) is not int or type(d) is not str or len(d) % 2:
            return None
        try:
            payload = bytes.fromhex(d)
        except ValueError:
            return None
        if 2 * len(payload) != len(d):
            return None  # bytes.fromhex skips whitespace: a LoadGen payload has none
        sizes.append(len(payload))
        if 0 <= q < samples:
            if q not in first:
                first[q] = payload
        else:
            out.append(q)
    lengths = Counter(sizes)
    return {"entries": len(objs), "unique": len(first), "duplicates": len(objs) - len(out) - len(first),
            "out_of_range": len(out), "out_of_range_examples": out[:5], "bad_payloads": 0,
            "payload_lengths": dict(sorted(lengths.items())), "problems": [], "truncated": False,
            "missing_examples": list(islice((i for i in range(samples) if i not in first), 5)),
            "first": _flat(first)}


def _flat(first: dict[int, bytes]) -> tuple[list[int], list[int], bytes]:
    """First payloads as sorted indices, payload end offsets and the bytes joined."""
    keys = sorted(first)
    ends = list(accumulate(len(first[k]) for k in keys))
    return keys, ends, b"".join(first[k] for k in keys)


def read(path: Path, samples: int, valid: bool = False, **kw: Any) -> dict[str, Any]:
    """scan_log's answers in the reference's shape; `valid`: the log must be decoded a block at a time."""
    scan, first = scan_log(path, samples, **kw)
    assert first is not None
    assert not valid or (scan.slow_blocks == 0 and scan.fast_blocks > 0), scan.problems
    got = {k: v for k, v in scan.to_dict().items() if k not in ("path", "size", "sha256", "fast_blocks", "slow_blocks")}
    assert (np.diff(first.qsl) > 0).all() and first.offsets[0] == 0 and first.offsets[-1] == len(first.payload)
    got["first"] = (first.qsl.tolist(), first.offsets[1:].tolist(), first.payload.tobytes())
    assert scan.size == path.stat().st_size
    return got


def assert_like_reference(path: Path, samples: int, blocks: tuple[int, ...] = (reader.BLOCK_BYTES,)) -> None:
    """Every block size on one worker, the first on two."""
    want = reference(path.read_bytes(), samples)
    assert want is not None
    for w, b in [(1, b) for b in blocks] + [(2, blocks[0])]:
        assert read(path, samples, valid=want["entries"] > 0, block_bytes=b, workers=w) == want, (path, w, b)


# ---------------------------------------------------------------- LoadGen's layouts, generated

def layout(entries: list[tuple[int, int, bytes]], sep: str = "\n", upper: bool = True, pretty: str | None = None) -> bytes:
    """A log as LoadGen writes it (`{ "seq_id" : 0, ... }` a line, `sep` line ends), or re-serialised one
    field a line (`pretty`): "sorted" keys, "ordered" (LoadGen's key order, as json.dump(indent=4) writes
    it) or "py2" (the same with Python 2's ', ' item separator, a space before each line end); or
    "compact": one line, no whitespace at all (json.dumps with separators=(",", ":"))."""
    def hx(p: bytes) -> str:
        return p.hex().upper() if upper else p.hex()
    if pretty == "compact":
        return json.dumps([{"seq_id": s, "qsl_idx": q, "data": hx(p)} for s, q, p in entries],
                          separators=(",", ":")).encode()
    if pretty is not None:
        objs = [{"seq_id": s, "qsl_idx": q, "data": hx(p)} for s, q, p in entries]
        seps = (", ", ": ") if pretty == "py2" else (",", ": ")
        text = json.dumps(objs, indent=4, sort_keys=pretty == "sorted", separators=seps)
        return (text + "\n").replace("\n", sep).encode()
    if not entries:
        return f"[{sep}]{sep}".encode()
    body = ("," + sep).join(f'{{ "seq_id" : {s}, "qsl_idx" : {q}, "data" : "{hx(p)}" }}' for s, q, p in entries)
    return ("[" + sep + body + sep + "]" + sep).encode()


SAMPLES = 40
widths = st.sampled_from([0, 4, 8, 28, 56, 28 * 9, None])  # None: ragged (whole 28-byte detections)
indices = st.one_of(st.integers(0, SAMPLES - 1), st.integers(0, SAMPLES - 1), st.integers(-3, SAMPLES + 5),
                    st.integers(2**63 - 2, 10**40), st.integers(-(10**30), -(2**63) + 1))


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[tuple[int, int, bytes]], str, bool, str | None]:
    width = draw(widths)
    qs = draw(st.lists(indices, max_size=120))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = [(i, q, rng.bytes(28 * int(rng.integers(0, 5)) if width is None else width)) for i, q in enumerate(qs)]
    return rows, draw(st.sampled_from(["\n", "\r\n"])), draw(st.booleans()), draw(st.sampled_from([None, "sorted", "ordered", "py2", "compact"]))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(log=logs(), block=st.sampled_from([61, 1000, 1 << 20]))
def test_valid_logs_in_every_layout_read_like_the_reference(tmp_path: Path, log: Any, block: int) -> None:
    rows, sep, upper, pretty = log
    path = tmp_path / "mlperf_log_accuracy.json"
    path.write_bytes(layout(rows, sep, upper, pretty))
    assert_like_reference(path, SAMPLES, blocks=(block,))


def test_a_length_that_changes_between_and_inside_blocks(tmp_path: Path) -> None:
    """Blocks decoded as one list (keys sorted) check their data length in the decoder: a log whose
    lengths change from one block to the next, and once inside a block, reads like the reference."""
    rng = np.random.default_rng(5)
    rows = [(i, int(rng.integers(0, SAMPLES)), rng.bytes(4 if i < 200 else 8)) for i in range(400)]
    rows[300] = (300, 7, rng.bytes(12))
    for pretty in ("sorted", "compact"):
        path = tmp_path / f"{pretty}.json"
        path.write_bytes(layout(rows, pretty=pretty))
        assert_like_reference(path, SAMPLES, blocks=(200, 4096, 1 << 20))


def test_every_width_and_line_end_on_one_and_two_workers(tmp_path: Path) -> None:
    """The fixed grid of the property test, each cell at least once, with duplicates across the halves."""
    rng = np.random.default_rng(3)
    for width in (0, 4, 8, 28 * 3, None):
        rows = [(i, int(rng.integers(0, 80)), rng.bytes(28 * int(rng.integers(0, 60)) if width is None else width))
                for i in range(400)]
        for sep in ("\n", "\r\n"):
            for upper, pretty in ((True, None), (False, "sorted"), (True, "ordered"), (False, "py2")):
                path = tmp_path / "v.json"
                path.write_bytes(layout(rows, sep, upper, pretty))
                assert_like_reference(path, 80, blocks=(301, 1 << 20))


NEAR_LOADGEN = {  # one change to a LoadGen line, (the part it replaces, what it puts there)
    "nine-digit seq_id": ("seq", b'"seq_id" : 123456789,'),
    "leading zero": ("seq", b'"seq_id" : 07,'),
    "negative index": ("qsl", b'"qsl_idx" : -1,'),
    "escaped hex digit": ("data", b'"data" : "\\u0041B"'),
    "two spaces": ("seq", b'"seq_id"  : 7,'),
    "a tab": ("seq", b'"seq_id" :\t7,'),
    "key case": ("seq", b'"Seq_id" : 7,'),
    "keys swapped": ("seq+qsl", b'"qsl_idx" : 7, "seq_id" : 7,'),
    "odd hex": ("data", b'"data" : "ABC"'),
    "not hex": ("data", b'"data" : "ABCG"'),
    "lower-case hex": ("data", b'"data" : "abcd"'),
    "space before comma": ("seq", b'"seq_id" : 7 ,'),
    "extra key": ("seq", b'"seq_id" : 7, "x" : 1,'),
    "float index": ("qsl", b'"qsl_idx" : 1.0,'),
    "hex digit in a key": ("seq", b'"seq_iAd" : 7,'),
    "digit before a colon": ("qsl", b'"qsl_idx" 1: 7,'),
    "hex after its quote": ("data", b'"data" : "ABCD"A'),
    "hex before its quote": ("data", b'"data" : A"ABCD"'),
    "digit after a brace": ("seq", b'"seq_id" : 7, "qsl_idx" : 3, "data" : "AB" }1, { "seq_id" : 8,'),
}


@pytest.mark.parametrize("name", sorted(NEAR_LOADGEN))
def test_near_loadgen_lines_read_as_the_general_path_reads_them(tmp_path: Path, name: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """LoadGen's exact layout has its own numpy path; any other text must leave it and read exactly as the
    general (msgspec) path reads it."""
    rows = [(i, (7 * i) % 30, bytes([i, 255 - i])) for i in range(40)]
    text = layout(rows)
    line = re.search(rb'\{ ("seq_id" : 20,) ("qsl_idx" : \d+,) ("data" : "[0-9A-F]+")', text)
    assert line is not None
    old, seq, qsl, data = line.group(0), line.group(1), line.group(2), line.group(3)
    which, change = NEAR_LOADGEN[name]
    part = {"seq": seq, "qsl": qsl, "data": data, "seq+qsl": seq + b" " + qsl}[which]
    new = old.replace(part, change)
    assert new != old, name
    path = tmp_path / "log.json"
    path.write_bytes(text.replace(old, new))
    for block in (64, 1 << 20):
        lines, _ = scan_log(path, 30, block_bytes=block)
        with monkeypatch.context() as m:
            m.setattr(reader, "_lines", lambda *_: None)
            general, _ = scan_log(path, 30, block_bytes=block)
        assert lines.to_dict() == general.to_dict(), (name, block)
    plain, _ = scan_log(tmp_path / "log.json", 30)
    want = reference(path.read_bytes(), 30)
    if want is None:
        assert plain.problems, name
    else:
        assert read(path, 30) == want, name


def test_loadgen_lines_take_the_layout_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout path is what reads LoadGen's own logs (LF and CRLF, fixed and ragged payloads) and
    their re-serialisations one field a line in LoadGen's key order."""
    calls: list[bool] = []
    real = reader._lines

    def spy(*args: Any) -> Any:
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(reader, "_lines", spy)
    for sep in ("\n", "\r\n"):
        for width in (4, None):
            rows = [(i, i % 30, bytes(range(4 if width else 4 * (i % 5)))) for i in range(300)]
            # and json.dump(indent=4) in LoadGen's key order, and json.dumps with no whitespace (the
            # shortest texts around the fields: the windows the path compares start nearest the block's start)
            for pretty in (None, "ordered", "py2", "compact"):
                path = tmp_path / "log.json"
                path.write_bytes(layout(rows, sep=sep, pretty=pretty))
                calls.clear()
                assert read(path, 30, block_bytes=1000) == reference(path.read_bytes(), 30)
                assert len(calls) > 2 and all(calls), (sep, width, pretty)


def test_first_occurrence_wins_across_worker_ranges(tmp_path: Path) -> None:
    """A sample logged in both halves keeps the first half's payload; one logged only in the second is kept."""
    rows = [(i, i % 10, bytes([1, i % 10])) for i in range(500)] + [(500 + i, i % 12, bytes([2, i % 12])) for i in range(500)]
    path = tmp_path / "a.json"
    path.write_bytes(layout(rows))
    for workers in (1, 2, 3):
        got = read(path, 12, workers=workers, block_bytes=997)
        assert got["first"] == _flat({**{q: bytes([1, q]) for q in range(10)}, 10: bytes([2, 10]), 11: bytes([2, 11])})
        assert (got["entries"], got["unique"], got["duplicates"]) == (1000, 12, 988)


def test_indices_past_int64_are_out_of_range_and_exact(tmp_path: Path) -> None:
    rows = [(0, 1, b"\x01"), (1, 2**63, b"\x02"), (2, 10**40, b"\x03"), (2**70, -(2**63) - 1, b"\x04"), (4, 2**63 - 1, b"")]
    path = tmp_path / "big.json"
    path.write_bytes(layout(rows))
    for workers in (1, 2):
        got = read(path, 3, workers=workers)
        assert got["out_of_range"] == 4 and got["out_of_range_examples"] == [2**63, 10**40, -(2**63) - 1, 2**63 - 1]
        assert got["problems"] == [] and got["first"] == _flat({1: b"\x01"})
    blocks = list(iter_entries(path))
    assert [q for b in blocks for q, _ in b.items()] == [1, 2**63, 10**40, -(2**63) - 1, 2**63 - 1]


def test_empty_logs_are_well_formed(tmp_path: Path) -> None:
    for text in (b"[\n]\n", b"[]", b"[\r\n]\r\n", b" [ ] ", b"[\n]"):
        path = tmp_path / "e.json"
        path.write_bytes(text)
        scan, first = scan_log(path, 5)
        assert scan.well_formed and scan.entries == 0 and scan.unique == 0, text
        assert scan.missing_examples == [0, 1, 2, 3, 4] and first is not None and len(first.qsl) == 0
    for text, problem in ((b"", "the file is empty"), (b" \n", "only whitespace"), (b"[", "not a JSON list"),
                          (b"{}", "does not start with '['"), (b"[\n]\n]", "not a JSON list")):
        path = tmp_path / "e.json"
        path.write_bytes(text)
        scan, _ = scan_log(path, 5)
        assert scan.problems and problem in scan.problems[0], (text, scan.problems)


# ---------------------------------------------------------------- malformed logs

ROW = '{{ "seq_id" : {s}, "qsl_idx" : {q}, "data" : "{d}" }}'


def _rows(n: int = 6) -> list[str]:
    return [ROW.format(s=i, q=i, d=f"{i:02X}000000") for i in range(n)]


def _join(rows: list[str]) -> str:
    return "[\n" + ",\n".join(rows) + "\n]\n"


def _with(i: int, row: str) -> str:
    rows = _rows()
    rows[i] = row
    return _join(rows)


def _offset(text: str, i: int) -> int:
    """Byte offset of entry i of a `_join`ed log (its '{')."""
    return [m.start() for m in re.finditer(r"\{", text)][i]


# (log text, byte offset named, words of the problem, entries still counted)
MALFORMED: dict[str, tuple[str, int, str, int]] = {}


def _case(name: str, text: str, at: int, words: str, entries: int) -> None:
    MALFORMED[name] = (text, at, words, entries)


_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "qsl_idx" : 3, "data" : "02000000" }')
_case("duplicate key", _t, _offset(_t, 2), "duplicate key 'qsl_idx'", 5)
_t = _with(2, '{ "seq_id" : 2, "data" : "02000000" }')
_case("missing key", _t, _offset(_t, 2), "missing required field `qsl_idx`", 5)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : "02000000", "extra" : 1 }')
_case("extra key", _t, _offset(_t, 2), "unknown field `extra`", 5)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : "0G000000" }')
_case("bad hex", _t, _offset(_t, 2), "not an even-length hex string", 6)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : "02 000000" }')
_case("whitespace inside hex", _t, _offset(_t, 2), "not an even-length hex string", 6)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : "0200000" }')
_case("odd hex", _t, _offset(_t, 2), "not an even-length hex string", 6)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : "0200\u00e90000" }')
_case("non-ASCII in hex", _t, _offset(_t, 2), "not an even-length hex string", 6)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2.0, "data" : "02000000" }')
_case("float index", _t, _offset(_t, 2), "Expected `int`, got `float`", 5)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : "2", "data" : "02000000" }')
_case("string index", _t, _offset(_t, 2), "Expected `int`, got `str`", 5)
_t = _with(2, '{ "seq_id" : true, "qsl_idx" : 2, "data" : "02000000" }')
_case("bool seq_id", _t, _offset(_t, 2), "Expected `int`, got `bool`", 5)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : 2 }')
_case("number data", _t, _offset(_t, 2), "Expected `str`, got `int`", 5)
_t = _with(2, '{ "seq_id" : 2 "qsl_idx" : 2, "data" : "02000000" }')
_case("missing comma inside an entry", _t, _offset(_t, 2) + len('{ "seq_id" : 2 '), "JSON is malformed", 5)
_t = _join(_rows()).replace("},\n{", "}\n{", 1)
_case("missing comma between entries", _t, _offset(_t, 1), "missing comma", 6)
_t = _join(_rows()).replace("},\n{", "}, oops\n{", 1)
_case("junk between entries", _t, _t.index("oops"), "unexpected text", 6)
_t = _join(_rows()).replace("\n]\n", ",\n]\n")
_case("trailing comma", _t, _t.rindex(","), "unexpected text", 6)
_t = _join(_rows()) + "junk"
_case("junk after the list", _t, _t.index("junk"), "unexpected text after the list", 6)
_t = _join(_rows())[1:]
_case("no opening bracket", _t, _offset(_t, 0), "does not start with '['", 6)
_t = _join(_rows())[:-3]
_case("unclosed list", _t, len(_t) - 1, "not closed", 6)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : {"x": 1}, "data" : "02000000" }')
_case("nested object", _t, _offset(_t, 2), "unexpected text", 5)
_t = _with(2, '{ "seq_id" : 2, "qsl_idx" : 02, "data" : "02000000" }')
_case("leading zero", _t, _offset(_t, 2) + len('{ "seq_id" : 2, "qsl_idx" : 0'), "invalid number", 5)


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_shapes_are_rejected_with_their_byte_offset(tmp_path: Path, name: str) -> None:
    text, at, words, entries = MALFORMED[name]
    raw = text.encode()
    assert reference(raw, 6) is None  # not a valid log for the plain reading either
    path = tmp_path / "m.json"
    path.write_bytes(raw)
    for workers in (1, 2):
        for block in (40, 1 << 20):
            scan, _ = scan_log(path, 6, block_bytes=block, workers=workers)
            assert not scan.well_formed and not scan.truncated
            assert any(words in p and re.search(rf"\bbyte {at}\b", p) for p in scan.problems), (scan.problems, at)
            assert scan.entries == entries, (workers, block)


def test_at_most_five_problems_in_file_order(tmp_path: Path) -> None:
    rows = [ROW.format(s=i, q=i, d="ZZ" if i % 3 == 0 else "01") for i in range(60)]
    path = tmp_path / "many.json"
    path.write_text(_join(rows))
    firsts = []
    for workers in (1, 2):
        scan, _ = scan_log(path, 60, block_bytes=300, workers=workers)
        assert len(scan.problems) == 5 and scan.bad_payloads == 20 and scan.entries == 60
        at = [int(re.search(r"byte (\d+)", p).group(1)) for p in scan.problems]  # type: ignore[union-attr]
        assert at == sorted(at) and at[0] == _offset(path.read_text(), 0)
        firsts.append(scan.problems)
    assert firsts[0] == firsts[1]


def test_bad_payloads_keep_their_sample_counted_with_an_empty_payload(tmp_path: Path) -> None:
    text = _with(2, '{ "seq_id" : 2, "qsl_idx" : 2, "data" : "0G000000" }')
    path = tmp_path / "b.json"
    path.write_text(text)
    scan, first = scan_log(path, 6)
    assert first is not None and scan.bad_payloads == 1 and scan.unique == 6
    assert first.get(2) == b"" and first.get(3) == bytes.fromhex("03000000")
    assert scan.payload_lengths == {4: 5}


def test_an_entry_longer_than_a_block_grows_the_block(tmp_path: Path) -> None:
    rows = [(0, 0, bytes(300_000)), (1, 1, b"\x01"), (2, 0, b"\x02")]
    path = tmp_path / "long.json"
    path.write_bytes(layout(rows))
    assert_like_reference(path, 2, blocks=(1000, 1 << 20))


def test_no_entry_end_for_too_long_stops_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose text never ends an entry is not read to its end."""
    monkeypatch.setattr(reader, "MAX_ENTRY_BYTES", 1 << 16)
    path = tmp_path / "junk.json"
    head = b'[\n{ "seq_id" : 0, "qsl_idx" : 0, "data" : "00" },\n'
    path.write_bytes(head + b"x" * (1 << 20))
    for workers in (1, 2):
        scan, _ = scan_log(path, 1, want_hash=True, block_bytes=4096, workers=workers)
        assert scan.entries == 1 and scan.sha256 is None
        assert scan.problems == [f"no entry ends in the 65536 bytes from byte {head.index(b'}') + 1}: not an accuracy log"]


def test_a_nul_byte_stops_the_scan_at_once(tmp_path: Path) -> None:
    """A file of NULs (a 10 GB sparse file) is not read on: NUL is never in JSON text."""
    path = tmp_path / "nul.json"
    head = b'[\n{ "seq_id" : 0, "qsl_idx" : 0, "data" : "00" },\n'
    path.write_bytes(head + bytes(1 << 20))
    for workers in (1, 2):
        scan, _ = scan_log(path, 1, want_hash=True, block_bytes=4096, workers=workers)
        assert scan.sha256 is None and scan.problems == [f"a NUL byte at byte {len(head)}: not a JSON accuracy log"]


# ---------------------------------------------------------------- truncation and the hash

def test_truncated_log_is_recognised_and_hash_is_of_the_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    full = loadgen_log(tmp_path / "full.json", [(int(rng.integers(0, 50)), rng.bytes(4)) for _ in range(400)])
    raw = full.read_bytes()
    trunc = tmp_path / "t.json"
    trunc.write_bytes(raw[:4096] + b"\n\n...\n\n" + raw[-4096:])
    assert reference(trunc.read_bytes(), 50) is None
    for workers in (1, 2):
        scan, _ = scan_log(trunc, 50, want_hash=True, workers=workers)
        assert scan.truncated and not scan.well_formed
        assert scan.sha256 == hashlib.sha256(trunc.read_bytes()).hexdigest()
        scan, _ = scan_log(full, 50, want_hash=True, workers=workers)
        assert not scan.truncated and scan.well_formed and scan.sha256 == hashlib.sha256(raw).hexdigest()
    assert scan_log(full, 50)[0].sha256 is None


def test_iter_entries_yields_every_entry_in_file_order(tmp_path: Path) -> None:
    rows = [(i, (i * 7) % 13, bytes([i % 256]) * (i % 3)) for i in range(300)]
    path = tmp_path / "i.json"
    path.write_bytes(layout(rows, "\r\n", upper=False))
    got = [e for b in iter_entries(path, block_bytes=128) for e in b.items()]
    assert got == [(q, p) for _, q, p in rows]


# ---------------------------------------------------------------- the real corpus

DATASET_SAMPLES = {"resnet": 50000, "mobilenet": 50000, "ssd-small": 5000, "ssd-mobilenet": 5000, "ssd-large": 5000,
                   "ssd-resnet34": 5000, "gnmt": 3003}


def _samples(path: Path) -> int:
    return next((DATASET_SAMPLES[p] for p in path.parts if p in DATASET_SAMPLES), 50000)


@pytest.mark.corpus
@pytest.mark.slow
def test_every_real_accuracy_log_reads_like_the_reference(corpus_root: Path) -> None:
    """Every mlperf_log_accuracy.json of the v0.5 and v0.7 corpora: valid ones give the reference's
    answers (first payloads, coverage, counts), truncated ones are recognised, empty files are named."""
    logs = sorted(p for v in ("inference_v0.5", "inference_v0.7") for p in (corpus_root / v).rglob("mlperf_log_accuracy.json"))
    assert len(logs) > 1900
    kinds: Counter[str] = Counter()
    biggest = sorted(logs, key=lambda p: p.stat().st_size)[-3:]
    wants: dict[Path, dict[str, Any]] = {}
    for path in logs:
        raw = path.read_bytes()
        samples = _samples(path)
        if b"\n\n...\n\n" in raw:
            scan, _ = scan_log(path, samples)
            assert scan.truncated, path
            kinds["truncated"] += 1
        elif not raw:
            scan, _ = scan_log(path, samples)
            assert scan.problems == ["the file is empty"], path
            kinds["empty file"] += 1
        else:
            want = reference(raw, samples)
            assert want is not None, path
            got = read(path, samples)
            assert got == want, path
            if path in biggest:
                wants[path] = want
            kinds["valid, no entries" if not want["entries"] else "valid"] += 1
    assert kinds["valid"] >= 160 and kinds["truncated"] >= 600 and kinds["valid, no entries"] >= 1000, kinds
    for path in biggest:  # once more across two worker processes
        assert read(path, _samples(path), workers=2, block_bytes=1 << 18) == wants[path], path
