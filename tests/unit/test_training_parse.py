"""The tolerant training-log parsers: each real quirk becomes a quirk with a line number, never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from checker.suites.training.log import (
    DUPLICATE,
    INTERLEAVED,
    PREFIX,
    PYDICT,
    STRING_NUMBER,
    UNPARSED,
    RecordCache,
    detect_format,
    parse_training_log,
    parse_training_log_bytes,
    read_log,
)
from checker.suites.training.scoring import convergence, normalise_accuracy, olympic_score, run_time

GOOD = ':::MLL 100.000 run_start: {"value": null, "metadata": {"file": "t.py", "lineno": 1}}'


def test_v06_basic_and_time() -> None:
    log = parse_training_log(GOOD + '\n:::MLL 160.500 run_stop: {"value": null, "metadata": {"status": "success"}}\n')
    assert log.format == "MLL" and not log.quirks
    assert run_time(log).seconds == 60.5


def test_prefix_before_token() -> None:
    log = parse_training_log("x\n[1,0]<stdout>:" + GOOD)
    assert log.quirks[PREFIX].line == 2 and log.first("run_start") is not None


def test_interleaved_records_on_one_line() -> None:
    log = parse_training_log(GOOD + GOOD.replace("100.000", "101.000"))
    assert log.quirks[INTERLEAVED].line == 1 and len(log.all("run_start")) == 2


def test_truncated_line() -> None:
    log = parse_training_log(GOOD + '\n:::MLL 101.0 eval_accuracy: {"value": 0.7, "meta')
    assert log.quirks[UNPARSED].line == 2 and log.first("eval_accuracy") is None


def test_python_dict_metadata_and_bare_keys() -> None:
    text = (":::MLL 1.0 init_start: {\"value\": null, \"metadata\": {'lineno': 742, 'file': 'a.py'}}\n"
            ":::MLL 2.0 cache_clear: {value: true, metadata: {lineno: 0, file: manual}}\n")
    log = parse_training_log(text)
    assert log.quirks[PYDICT].count == 2 and log.quirks[PYDICT].line == 1
    assert log.first("init_start").metadata["lineno"] == 742  # type: ignore[union-attr]
    assert log.first("cache_clear").value is True  # type: ignore[union-attr]


def test_numbers_as_strings() -> None:
    log = parse_training_log(':::MLL 1.0 eval_accuracy: {"value": "25.3", "metadata": {"epoch_num": "3"}}')
    ev = log.first("eval_accuracy")
    assert ev is not None and ev.value == 25.3 and ev.metadata["epoch_num"] == 3
    assert log.quirks[STRING_NUMBER].count == 2


def test_many_ranks_first_run_start_and_stop_count() -> None:
    text = "\n".join([GOOD, GOOD.replace("100.000", "100.400"),
                      ':::MLL 200.0 run_stop: {"value": null, "metadata": {"status": "success"}}',
                      ':::MLL 201.0 run_stop: {"value": null, "metadata": {"status": "success"}}'])
    log = parse_training_log(text)
    assert run_time(log).seconds == 100.0
    assert log.quirks[DUPLICATE].count == 2 and log.quirks[DUPLICATE].line == 2


def test_foreign_log_total_runtime_and_start_stop() -> None:
    text = ("MLPerf: resnet [06/13/19 00:30:56], run_start\n"
            "MLPerf: resnet [06/13/19 00:54:09], eval_accuracy: {\"value\": 75.98000%, \"epoch\": 79}\n"
            "MLPerf: resnet [06/13/19 00:55:21], run_stop\n")
    log = parse_training_log(text)
    assert log.format == "foreign"
    t = run_time(log)
    assert t.seconds == 24 * 60 + 25 and t.method == "own run start/stop lines"
    log = parse_training_log(text + "MLPerf: resnet [06/13/19 00:55:21], Total runtime: 24.409763 minutes\n")
    t = run_time(log)
    assert abs(t.seconds - 1464.58578) < 1e-6 and t.line == 4  # type: ignore[operator]
    c = convergence(log, 0.759, "fraction")
    assert c.reached and abs(c.best - 0.7598) < 1e-9


def test_v05_and_v07_formats() -> None:
    v05 = (":::MLPv0.5.0 resnet 1541710447.047 (imagenet_main.py:397) run_start\n"
           ':::MLPv0.5.0 resnet 1541710500.0 (imagenet_main.py:400) eval_accuracy: {"epoch": 1, "value": 0.75}\n'
           ':::MLPv0.5.0 resnet 1541711047.047 (imagenet_main.py:500) run_stop: {"success": true}\n')
    log = parse_training_log(v05)
    assert log.format == "MLPv0.5.0" and log.benchmark == "resnet"
    assert run_time(log).seconds == 600.0
    assert log.first("run_stop").metadata["status"] == "success"  # type: ignore[union-attr]
    assert log.first("eval_accuracy").value == 0.75  # type: ignore[union-attr]
    v07 = (':::MLLOG {"time_ms": 1000, "key": "run_start", "value": null, "metadata": {}}\n'
           ':::MLLOG {"time_ms": 61000, "key": "run_stop", "value": null, "metadata": {"status": "success"}}\n')
    log = parse_training_log(v07)
    assert log.format == "MLLOG" and run_time(log).seconds == 60.0
    assert detect_format("") == "empty"


def test_minigo_time_from_eval_result() -> None:
    text = GOOD + "\n" + ':::MLL 999.0 eval_result: {"value": null, "metadata": {"iteration": 3, "timestamp": 746.014}}'
    t = run_time(parse_training_log(text), "eval_result.timestamp")
    assert t.seconds == 746.014 and t.method == "eval_result.timestamp"


def test_accuracy_normalisation() -> None:
    assert normalise_accuracy(75.9, 0.759, "fraction") == 0.759
    assert normalise_accuracy("0.76", 0.759, "fraction") == 0.76
    assert normalise_accuracy([0.5], 0.5, "fraction") == 0.5
    mask = {"bbox": 0.377, "segm": 0.339}
    assert normalise_accuracy({"accuracy": {"BBOX": 0.38, "SEGM": 0.35}}, mask, "fraction") == {"bbox": 0.38,
                                                                                                "segm": 0.35}
    assert normalise_accuracy([0.38, 0.35], mask, "fraction") == {"bbox": 0.38, "segm": 0.35}
    assert normalise_accuracy("37.9/34.0 %", mask, "fraction") == {"bbox": 0.379, "segm": 0.34}
    assert normalise_accuracy(24.1, 24.0, "bleu") == 24.1


def test_olympic_policies() -> None:
    assert olympic_score([1, 2, 3, 4, 5], [True] * 5, "count", 10).minutes == 3
    s = olympic_score([1, 2, 3, 4, 50], [True, True, True, True, False], "count", 10)
    assert s.minutes == 3
    s = olympic_score([1, 2, 3, 4, 0.5], [True, True, True, True, False], "drop-one", 1)
    assert s.minutes == 3  # the failed run is the slowest; 1 is the fastest
    assert olympic_score([1, 2, 3, 4, 5], [False, False, True, True, True], "drop-one", 1).invalid
    assert olympic_score([1, 2], [True, True], "count", 10).minutes is None


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    for prefix in ("", ":::MLL 1.0 k: ", ":::MLLOG ", ":::MLPv0.5.0 resnet 1.0 (a:1) k: "):
        log = parse_training_log(prefix + text)
        run_time(log)
        run_time(log, "eval_result.timestamp")
        convergence(log, {"bbox": 0.377, "segm": 0.339}, "fraction")


def test_lone_carriage_returns_do_not_shift_line_numbers(tmp_path: Path) -> None:
    # tqdm progress bars redraw with bare CRs; line numbers must match grep and editors
    raw = (b"\r  0%|   | 0/1\r100%|###| 1/1\n" + GOOD.encode() + b"\r\n"
           + b':::MLL 101.0 eval_accuracy: {"value": 0.7, "meta\n')
    p = tmp_path / "result_0.txt"
    p.write_bytes(raw)
    tf = read_log(p)
    assert tf.text is not None
    log = parse_training_log(tf.text)
    assert log.first("run_start") is not None and log.first("run_start").line == 2  # type: ignore[union-attr]
    assert log.quirks[UNPARSED].line == 3


def test_read_log_refuses_links(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text(GOOD)
    (tmp_path / "link.txt").symlink_to(target)
    tf = read_log(tmp_path / "link.txt")
    assert tf.text is None and "symbolic link" in tf.problems[0]


TRICKY = [
    b"",
    b"noise only\n",
    GOOD.encode(),
    b"\xef\xbb\xbf" + GOOD.encode() + b"\r\n[1,0]<stdout>:" + GOOD.replace("100.000", "101.5").encode() + b"\n",
    b"\r 0%|\xe2\x96\x88|\r\n" + GOOD.encode() + GOOD.encode() + b"\n:::MLL 7 eval_accuracy: {\"value\": \"0.5\"",
    b"x\x00y\n:::MLL 3.0 init_start: {\"value\": null, \"metadata\": {'lineno': 1}}\r\r\n\xff\xfe:::MLL bad\n",
    b':::MLLOG {"time_ms": 5, "key": "run_start", "value": null}\r\n',
]


@given(st.sampled_from(TRICKY) | st.binary(max_size=300))
@settings(max_examples=150, deadline=None)
def test_bytes_parser_agrees_with_text_parser(data: bytes) -> None:
    folded = data.replace(b"\r\n", b"\n").replace(b"\r", b" ")
    from checker.fs import decode

    text = decode(folded).text or ""
    a, b = parse_training_log(text), parse_training_log_bytes(data)
    assert a.format == b.format and a.lines == b.lines
    assert [(e.key, e.line, e.time_s) for e in a.events] == [(e.key, e.line, e.time_s) for e in b.events]
    assert {k: (q.line, q.count) for k, q in a.quirks.items()} == {k: (q.line, q.count) for k, q in b.quirks.items()}


# Lines the v0.6 bytes fast path must read exactly as the per-line text reader does: well-formed
# records (read column-wise, cached by key and payload across logs) and every dirty shape around them.
_V06_LINES = [
    GOOD,
    ':::MLL 101.25 eval_accuracy: {"value": "0.75", "metadata": {"epoch_num": "3", "file": "a.py"}}',
    ":::MLL 102 init_start: {'value': None, 'metadata': {'lineno': 7}}",
    ':::MLL 103. cache_clear: {"value": true, "metadata": {"lineno": 1}}',
    ":::MLL 104\tkey_only:",
    ':::MLL 105 eval_accuracy: {"value": 0.7, "meta',
    ":::MLL 106 k:::MLL 107 run_stop: 5",
    "[1,0]<stdout>:" + GOOD,
    GOOD + " " + GOOD,
    GOOD + "\r",
    "   " + GOOD,
    ":::MLL bad",
    ":::MLL 108 a b: 1",
    ':::MLL 109 run_stop :\t{"value": null, "metadata": {"status": "success"}} ',
    "noise \u00e9 line",
    "",
]


@given(st.lists(st.sampled_from(_V06_LINES), max_size=12), st.sampled_from(["\n", "\r\n"]), st.booleans())
@settings(max_examples=300, deadline=None)
def test_v06_fast_path_agrees_with_text_parser(lines: list[str], eol: str, final_eol: bool) -> None:
    from checker.fs import decode

    data = (eol.join(lines) + (eol if final_eol else "")).encode()
    text = decode(data.replace(b"\r\n", b"\n").replace(b"\r", b" ")).text or ""
    a = parse_training_log(text)
    cache = RecordCache()  # one run's: the second parse reads every record from it
    for b in (parse_training_log_bytes(data, cache), parse_training_log_bytes(data, cache)):
        assert (a.format, a.lines, a.record_lines) == (b.format, b.lines, b.record_lines)
        assert [(e.key, repr(e.value), e.metadata, e.time_s, e.line) for e in a.events] == \
            [(e.key, repr(e.value), e.metadata, e.time_s, e.line) for e in b.events]
        assert [(k, q.line, q.count, q.example, q.detail) for k, q in a.quirks.items()] == \
            [(k, q.line, q.count, q.example, q.detail) for k, q in b.quirks.items()]


@given(st.lists(st.sampled_from([":::MLL ", ":::MLLOG", ":::MLPv0.5.0", ":::ML", "x", "\n", " ", ":::MLL", "LOG"]),
                max_size=8))
def test_detect_format_bytes_agrees_with_text(parts: list[str]) -> None:
    from checker.suites.training.log import detect_format_bytes

    text = "".join(parts)
    assert detect_format_bytes(text.encode()) == detect_format(text)


def test_quirk_kinds_of_the_rules_are_the_parsers() -> None:
    from typing import get_args

    from checker.suites.training.log import TIME_S, QuirkKind

    assert set(get_args(QuirkKind)) == {PREFIX, INTERLEAVED, UNPARSED, PYDICT, STRING_NUMBER, DUPLICATE, TIME_S}


def test_the_record_cache_is_the_callers() -> None:
    text = "\n".join([GOOD, GOOD.replace("100.000", "100.500"), ':::MLL 101 eval_accuracy: {"value": 0.1}'])
    cache = RecordCache()
    a = parse_training_log_bytes(text.encode(), cache)
    assert len(cache.tails) == 2 and cache.size > 0  # two distinct records, kept for the run's next logs
    b = parse_training_log_bytes(text.encode())  # a fresh cache of its own: nothing shared between runs
    assert a.events == b.events and len(cache.tails) == 2
    small = RecordCache(max_bytes=1)  # over its bound it is emptied when a log is done
    parse_training_log_bytes(text.encode(), small)
    assert small.tails == {} and small.size == 0


def test_events_index_first_count_all() -> None:
    text = "\n".join([GOOD, GOOD.replace("100.000", "100.500"), ':::MLL 101 eval_accuracy: {"value": 0.1}', GOOD])
    log = parse_training_log_bytes(text.encode())
    assert log.count("run_start") == 3 and log.count("nope") == 0
    assert log.first("run_start").line == 1 and log.first("eval_accuracy").line == 3  # type: ignore[union-attr]
    assert [e.line for e in log.all("run_start")] == [1, 2, 4] and log.all("nope") == []
    assert log.quirks[DUPLICATE].count == 2


class _NeverDecoder:
    """Stands in for the msgspec decoder: every line then takes the json module's path."""

    def decode(self, s: str) -> object:
        import msgspec

        raise msgspec.DecodeError("forced")


_JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                    max_size=3), max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries(
    {}, optional={"key": st.sampled_from(["run_start", "eval_accuracy", "epoch_start"]) | st.text(max_size=5) | _JSONISH,
                  "time_ms": st.integers(min_value=-2, max_value=2**70) | st.floats(allow_nan=True) | st.text(max_size=4)
                  | st.none(), "time_s": st.floats(allow_nan=False) | st.integers(),
                  "value": _JSONISH | st.sampled_from(["0.7", "x"]),
                  "metadata": st.dictionaries(st.sampled_from(["epoch_num", "samples_count", "status"]), _JSONISH | st.sampled_from(["3", "1.5"]), max_size=3) | _JSONISH}),
    max_size=6))
def test_mllog_fast_decoder_reads_like_the_json_module(records: list[dict[str, object]]) -> None:
    import json

    import checker.suites.training.log as tl

    text = "".join(":::MLLOG " + json.dumps(r) + "\n" for r in records) + ":::MLLOG {\"key\": \"x\", \"time_ms\": 1e999}\n"
    fast = tl.parse_training_log(text)
    saved, tl._FAST = tl._FAST, _NeverDecoder()  # type: ignore[assignment]
    try:
        slow = tl.parse_training_log(text)
    finally:
        tl._FAST = saved
    assert fast.events == slow.events or repr(fast.events) == repr(slow.events)  # NaN != NaN
    assert {k: (q.line, q.count) for k, q in fast.quirks.items()} == {k: (q.line, q.count) for k, q in slow.quirks.items()}
    assert fast.record_lines == slow.record_lines
