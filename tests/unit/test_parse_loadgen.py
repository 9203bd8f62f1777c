"""LoadGen log parsers: both formats, with the quirks real v0.5 logs carry."""

from __future__ import annotations

import json

from checker.api import SUITES, load_suite_ruleset
from checker.fs import decode
from checker.suites.inference.accuracy_txt import parse_accuracy_txt
from checker.suites.inference.loadgen import canonical_key, canonical_scenario, parse_detail, parse_summary

_V05 = load_suite_ruleset(SUITES["inference"], "v0.5").model
# each benchmark's accuracy.txt pattern, as the v0.5 rules state it
PATTERN = {m: _V05.benchmarks[b].accuracy.pattern for m, b in (("top1", "resnet"), ("mAP", "ssd-large"), ("BLEU", "gnmt"))}

V05_DETAIL = (
    '"pid": 7, "tid": 7, "ts": 10ns : QSL total size: 50000\r\n'
    '"pid": 7, "tid": 7, "ts": 11ns : Effective Settings:\r\n'
    '"pid": 7, "tid": 7, "ts": 11ns : Scenario : Multi Stream\r\n'
    '"pid": 7, "tid": 7, "ts": 11ns : Test mode : Performance\x00\r\n'
    '"pid": 7, "tid": 7, "ts": 11ns : min_duration (ms): 60000\r\n'
    '"pid": 7, "tid": 7, "ts": 11ns : qsl_rng_seed : 3133965575612453542\r\n'
    '"pid": 7, "tid": 7, "ts": 12ns : \r\n'
    '"pid": 7, "tid": 7, "ts": 12ns : Requested Settings:\r\n'
    '"pid": 7, "tid": 7, "ts": 12ns : min_duration_ms : 1000\r\n'
    '"pid": 7, "tid": 7, "ts": 13ns : GeneratedQueries: "queries" : 270336, "samples per query" : 4, "duration" : 9\r\n'
    '"pid": 7, "tid": 7, "ts": 14ns : ERROR : Loadgen built with uncommitted changes!\r\n'
    '"pid": 7, "tid": 7, "ts": 15ns : POWER_BEGIN: "mode" : Performance, "time" : 10-10-2019 23:59:30.000\r\n'
    '"pid": 7, "tid": 7, "ts": 16ns : POWER_END: "mode" : Performance, "time" : 10-11-2019 00:00:31.500\r\n'
)


def test_v05_text_detail_with_nul_and_crlf() -> None:
    tf = decode(V05_DETAIL.encode())
    assert tf.had_nul and tf.had_crlf and tf.text is not None
    d = parse_detail(tf.text)
    assert d.format == "v0.5-text"
    assert d.scenario == "MultiStream" and d.mode == "Performance"
    assert d.effective["min_duration_ms"] == "60000"
    assert d.requested["min_duration_ms"] == "1000"
    assert d.qsl_total == 50000
    assert (d.generated_queries, d.generated_samples_per_query) == (270336, 4)
    assert [e.text for e in d.errors] == ["Loadgen built with uncommitted changes!"]
    assert d.errors[0].line == 11
    assert d.duration_ns == 61_500_000_000  # across midnight


def test_mllog_detail() -> None:
    def line(key: str, value: object, error: bool = False) -> str:
        return ":::MLLOG " + json.dumps({"key": key, "value": value, "time_ms": 1,
                                         "metadata": {"is_error": error, "is_warning": False}})

    text = "\n".join([
        "garbage before",
        line("effective_scenario", "Server"),
        line("effective_test_mode", "PerformanceOnly"),
        line("effective_min_query_count", 270336),
        line("qsl_reported_total_count", 5000),
        line("generated_query_count", 300000),
        line("power_begin", "11-29-2026 04:58:05.500"),
        line("power_end", "11-29-2026 04:59:06.000"),
        line("error_runtime", "boom", error=True),
        ':::MLLOG {"key": "trunc',
    ])
    d = parse_detail(text)
    assert d.format == "mllog" and d.scenario == "Server" and d.mode == "Performance"
    assert d.effective["min_query_count"] == 270336 and d.qsl_total == 5000
    assert d.generated_queries == 300000
    assert d.duration_ns == 60_500_000_000
    assert [e.text for e in d.errors] == ["boom"]
    assert [p.line for p in d.problems] == [10]


def test_summary_multistream_sections() -> None:
    text = """Scenario : Multi Stream
Mode     : Performance
Samples per query : 700
Result is : VALID
Intervals between each IssueQuery:  "qps" : 20, "ms" : 50
99.00 percentile : 2
Per-query latency:  "target_ns" : 50000000, "target_ms" : 50
99.00 percentile latency (ns)   : 48988971
Per-sample latency:
99.00 percentile latency (ns)   : 1
================================================
Test Parameters Used
================================================
samples_per_query : 700
min_duration (ms): 60000

No warnings encountered during test.

3 ERRORS encountered. See detailed log.
"""
    s = parse_summary(text)
    assert s.scenario == "MultiStream" and s.valid is True
    assert s.intervals[99.0] == 2
    assert s.percentiles_ns[99.0] == 48988971  # per-query first
    assert s.param("min_duration_ms") == 60000
    assert s.warnings_reported == 0 and s.errors_reported == 3


def test_canonical_names() -> None:
    assert canonical_key("target_latency (ns)") == "target_latency_ns"
    assert canonical_scenario("Single Stream") == "SingleStream"
    assert canonical_scenario("offline") == "Offline"
    assert canonical_scenario("batch") is None


def test_accuracy_txt_formats() -> None:
    a = parse_accuracy_txt("accuracy=76.034%, good=38017, total=50000\n", PATTERN["top1"])
    assert (a.value, a.decimals, a.good, a.total, a.line) == (76.034, 3, 38017, 50000, 1)
    coco = "loading annotations...\n Average Precision ... = 0.229\nmAP=22.911%\n"
    a = parse_accuracy_txt(coco, PATTERN["mAP"])
    assert a.value == 22.911 and a.line == 3
    a = parse_accuracy_txt("BLEU: 23.8 \nhash=" + "ab" * 32 + "\n", PATTERN["BLEU"])
    assert a.value == 23.8 and a.decimals == 1 and a.hash == "ab" * 32
    assert parse_accuracy_txt("nothing here", PATTERN["top1"]).value is None
