"""The streaming accuracy-log reader: exact LoadGen layout, other layouts, broken logs, truncation."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
from rescore_helpers import loadgen_log

from checker.rescore.logscan import scan_log


def _entries(n: int, seed: int = 0) -> list[tuple[int, bytes]]:
    rng = np.random.default_rng(seed)
    return [(int(rng.integers(0, 50)), struct.pack("<i", int(rng.integers(0, 1000)))) for _ in range(n)]


def _independent(entries: list[tuple[int, bytes]], samples: int) -> dict[int, bytes]:
    first: dict[int, bytes] = {}
    for q, p in entries:
        if 0 <= q < samples and q not in first:
            first[q] = p
    return first


def test_exact_layout_matches_a_plain_decode_across_block_sizes(tmp_path: Path) -> None:
    entries = _entries(500)
    log = loadgen_log(tmp_path / "a.json", entries)
    want = _independent(entries, 50)
    for block in (97, 1000, 1 << 20):
        scan, first = scan_log(log, 50, block_bytes=block)
        assert first is not None
        assert scan.entries == 500 and scan.unique == len(want) and scan.problems == []
        assert scan.duplicates == 500 - len(want)
        assert scan.slow_blocks == 0
        assert {int(q): first.get(i) for i, q in enumerate(first.qsl)} == want


def test_pretty_printed_and_reordered_logs_read_the_same(tmp_path: Path) -> None:
    entries = _entries(60, 1)
    objs = [{"seq_id": i, "qsl_idx": q, "data": p.hex().upper()} for i, (q, p) in enumerate(entries)]
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(objs, indent=4))
    swapped = tmp_path / "sorted.json"
    swapped.write_text(json.dumps(objs, sort_keys=True))
    want = _independent(entries, 50)
    for log in (pretty, swapped):
        scan, first = scan_log(log, 50)
        assert first is not None and scan.problems == []
        assert {int(q): first.get(i) for i, q in enumerate(first.qsl)} == want


def test_broken_logs_are_reported_not_raised(tmp_path: Path) -> None:
    good = loadgen_log(tmp_path / "g.json", _entries(5)).read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(good[: len(good) - 30])
    scan, _ = scan_log(cut, 50)
    assert scan.problems and scan.entries == 4
    junk = tmp_path / "junk.json"
    junk.write_text(good.replace("},\n{", "}, oops\n{", 1))
    scan, _ = scan_log(junk, 50)
    assert any("oops" in p for p in scan.problems) and scan.entries == 5
    badhex = tmp_path / "hex.json"
    badhex.write_text(good.replace('"data" : "', '"data" : "ZZ', 1))
    scan, _ = scan_log(badhex, 50)
    assert scan.bad_payloads == 1 and scan.entries == 5
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert scan_log(empty, 50)[0].problems


def test_out_of_range_and_missing_samples(tmp_path: Path) -> None:
    log = loadgen_log(tmp_path / "r.json", [(0, b"\0\0\0\0"), (7, b"\0\0\0\0"), (2, b"\0\0\0\0")])
    scan, _ = scan_log(log, 5)
    assert scan.out_of_range == 1 and scan.out_of_range_examples == [7]
    assert scan.unique == 2 and scan.missing_examples == [1, 3, 4]


def test_truncated_log_is_recognised_and_hash_is_of_the_file(tmp_path: Path) -> None:
    full = loadgen_log(tmp_path / "full.json", _entries(400))
    raw = full.read_bytes()
    trunc = tmp_path / "t.json"
    trunc.write_bytes(raw[:4096] + b"\n\n...\n\n" + raw[-4096:])
    scan, _ = scan_log(trunc, 50)
    assert scan.truncated
    scan, _ = scan_log(full, 50, want_hash=True)
    assert not scan.truncated and scan.sha256 == hashlib.sha256(raw).hexdigest()


def _layout(entries: list[tuple[int, int, bytes]], sep: str = "\n", upper: bool = True) -> bytes:
    """LoadGen's layout with explicit seq ids, any line end and hex case."""
    body = ("," + sep).join(f'{{ "seq_id" : {s}, "qsl_idx" : {q}, "data" : "{p.hex().upper() if upper else p.hex()}" }}'
                            for s, q, p in entries)
    return ("[" + sep + body + sep + "]" + sep).encode()


def test_fast_parsers_agree_with_a_plain_decode_on_every_loadgen_variant(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    cases = {
        "int32": [(i, int(rng.integers(0, 80)), struct.pack("<i", int(rng.integers(0, 1000)))) for i in range(300)],
        "int64": [(i, int(rng.integers(0, 80)), struct.pack("<q", int(rng.integers(0, 1000)))) for i in range(300)],
        "empty": [(i, int(rng.integers(0, 80)), b"") for i in range(300)],
        "boxes": [(i, int(rng.integers(0, 80)), rng.bytes(28 * 3)) for i in range(300)],
        "ragged": [(i, int(rng.integers(0, 80)), rng.bytes(28 * int(rng.integers(0, 4)))) for i in range(300)],
        "long seq": [(10**9 + i, int(rng.integers(0, 80)), rng.bytes(4)) for i in range(300)],
        "long qsl": [(i, int(rng.integers(0, 80)) if i % 7 else 10**9 + i, rng.bytes(4)) for i in range(300)],
    }
    for name, entries in cases.items():
        for sep in ("\n", "\r\n"):
            for upper in (True, False):
                log = tmp_path / "v.json"
                log.write_bytes(_layout(entries, sep, upper))
                want = _independent([(q, p) for _, q, p in entries], 80)
                for block in (301, 4096, 1 << 20):
                    scan, first = scan_log(log, 80, block_bytes=block)
                    assert first is not None, name
                    assert scan.problems == [] and scan.slow_blocks == 0 and scan.bad_payloads == 0, (name, sep)
                    assert scan.entries == 300 and scan.unique == len(want)
                    assert scan.out_of_range == sum(1 for _, q, _ in entries if q >= 80)
                    assert {int(q): first.get(i) for i, q in enumerate(first.qsl)} == want, (name, sep, upper, block)


def test_the_record_parser_accepts_no_byte_it_should_not(tmp_path: Path) -> None:
    """Every single-byte change of a LoadGen block is either rejected or still LoadGen's layout with
    the values json.loads reads."""
    from checker.rescore.logscan import Malformed, parse_records

    entries = [(7, 12345, bytes.fromhex("0A000000")), (8, 3, bytes.fromhex("FF010000")), (9, 44, bytes.fromhex("00000080"))]
    raw = _layout(entries)
    body = raw[: raw.rindex(b"}") + 1]
    accepted = 0
    for i in range(len(body)):
        for b in {ord(x) for x in ' ,"{}:0x9aF\n\r'} - {body[i]}:
            mutated = bytearray(body)
            mutated[i] = b
            buf = bytearray(bytes(mutated) + bytes(64))
            try:
                ent = parse_records(memoryview(buf)[: len(mutated)], 91)
            except Malformed:
                continue
            accepted += 1
            objs = json.loads(bytes(mutated) + b"]")
            assert [o["qsl_idx"] for o in objs] == ent.qsl.tolist()
            assert b"".join(bytes.fromhex(o["data"]) for o in objs) == ent.payload.tobytes()
            assert all(isinstance(o["seq_id"], int) for o in objs)
    assert accepted > 0  # digit and hex-digit changes stay valid


def test_threaded_scan_agrees_with_the_sequential_one(tmp_path: Path) -> None:
    """Blocks parsed on two threads are consumed in file order: first occurrence, counts, problems,
    truncation and the hash are those of the one-thread scan, whatever the block size."""
    rng = np.random.default_rng(5)
    entries = [(i, int(rng.integers(-3, 90)), struct.pack("<i", int(rng.integers(0, 1000)))) for i in range(3000)]
    good = _layout(entries)
    ragged = _layout([(s, q, p * int(rng.integers(0, 3))) for s, q, p in entries], "\r\n")
    junk = good.replace(b"},\n{", b"}, oops\n{", 7)
    raw = good + b""
    trunc = raw[:4096] + b"\n\n...\n\n" + raw[-4096:]
    for name, data in {"good": good, "ragged": ragged, "junk": junk, "trunc": trunc}.items():
        log = tmp_path / f"{name}.json"
        log.write_bytes(data)
        for block in (211, 4096, 1 << 20):
            one, f1 = scan_log(log, 80, want_hash=True, block_bytes=block, threads=1)
            two, f2 = scan_log(log, 80, want_hash=True, block_bytes=block, threads=2)
            assert one.to_dict() == two.to_dict(), (name, block)
            assert f1 is not None and f2 is not None
            assert f1.qsl.tolist() == f2.qsl.tolist() and f1.offsets.tolist() == f2.offsets.tolist()
            assert f1.payload.tobytes() == f2.payload.tobytes()
    want = _independent([(q, p) for _, q, p in entries], 80)
    scan, first = scan_log(tmp_path / "good.json", 80, block_bytes=977, threads=2)
    assert first is not None and scan.sha256 is None and scan.problems == []  # negative indices: slow blocks
    assert {int(q): first.get(i) for i, q in enumerate(first.qsl)} == want


def test_long_ragged_payloads_decode_like_bytes_fromhex(tmp_path: Path) -> None:
    """COCO-sized payloads (hundreds of hex characters, ragged) take the per-entry decode; odd and
    non-hex payloads are bad there as in the gather."""
    rng = np.random.default_rng(9)
    entries = [(i, int(rng.integers(0, 40)), rng.bytes(28 * int(rng.integers(1, 60)))) for i in range(400)]
    text = _layout(entries)
    body = text.replace(b'"data" : "', b'"data" : "ZZ', 1)  # the first entry's payload is not hex
    pos = body.index(b'" }', body.index(b'"data" : "', 5000))
    body = body[:pos] + b"A" + body[pos:]  # one odd-length payload
    log = tmp_path / "long.json"
    log.write_bytes(body)
    objs = json.loads(body)
    first: dict[int, bytes] = {}
    badn = 0
    for o in objs:
        d = o["data"]
        ok = len(d) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in d)
        badn += not ok
        if o["qsl_idx"] not in first:
            first[o["qsl_idx"]] = bytes.fromhex(d) if ok else b""
    assert badn == 2
    for block in (4096, 1 << 20):
        for threads in (1, 2):
            scan, got = scan_log(log, 40, block_bytes=block, threads=threads)
            assert got is not None and scan.problems == [] and scan.bad_payloads == 2
            assert {int(q): got.get(i) for i, q in enumerate(got.qsl)} == first
