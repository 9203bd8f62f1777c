"""Hand-written hostile cases: out-of-range numbers, duplicated and missing keys, casing, JSON shapes,
layout damage, links and special files in folders, odd names, and roots that are not submissions."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from .cases import OK, TEN_GB, Case, Ctx, E, Mutation, fifo, link, sparse, unix_socket, write

USAGE = frozenset({2})
WARN = OK  # warnings alone keep exit 0; the rule list says which warning must be there


def sub(target: str, pattern: str, repl: str, count: int = 1) -> Mutation:
    """Regex-edit one of the layout's files (target is a Layout attribute path expression)."""
    def m(c: Ctx) -> None:
        p = c.p(_resolve(c, target))
        text = p.read_text(encoding="utf-8")
        new, n = re.subn(pattern, repl, text, count=count, flags=re.MULTILINE)
        assert n, f"pattern {pattern!r} not in {p}"
        p.write_text(new, encoding="utf-8")
    return m


def _resolve(c: Ctx, target: str) -> str:
    L = c.layout
    return {
        "psum": f"{L.run}/mlperf_log_summary.txt", "pdet": f"{L.run}/mlperf_log_detail.txt",
        "asum": f"{L.acc}/mlperf_log_summary.txt", "adet": f"{L.acc}/mlperf_log_detail.txt",
        "atxt": f"{L.acc}/accuracy.txt", "sys": L.system_json,
    }[target]


def set_text(target: str, text: str | bytes) -> Mutation:
    def m(c: Ctx) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        write(c.p(_resolve(c, target)), data)
    return m


def sys_json(edit: Callable[[dict[str, object]], object]) -> Mutation:
    """Replace the system description by edit(original dict), serialised (NaN allowed, as Python writes it)."""
    def m(c: Ctx) -> None:
        p = c.p(c.layout.system_json)
        data = json.loads(p.read_text(encoding="utf-8"))
        p.write_text(json.dumps(edit(data)), encoding="utf-8")
    return m


def sys_raw(text: str | bytes) -> Mutation:
    return set_text("sys", text)


def _with(d: dict[str, object], **kw: object) -> dict[str, object]:
    return {**d, **kw}


def _without(d: dict[str, object], *keys: str) -> dict[str, object]:
    return {k: v for k, v in d.items() if k not in keys}


def _mllog(lines: list[str]) -> str:
    return "".join(f":::MLLOG {line}\n" for line in lines)


GOOD_MLLOG = [
    '{"key": "loadgen_version", "value": "4.0", "time_ms": 1, "namespace": "mlperf::logging", "event_type": "POINT_IN_TIME", "metadata": {"is_error": false, "is_warning": false}}',
    '{"key": "effective_scenario", "value": "Offline", "time_ms": 1, "metadata": {}}',
    '{"key": "effective_test_mode", "value": "PerformanceOnly", "time_ms": 1, "metadata": {}}',
]


def system_cases() -> list[Case]:
    S = "inf.system.schema"
    J = "inf.system.json"
    return [
        Case("sys/invalid-json-trailing-comma", sys_raw('{"submitter": "x",}'), E, (J,)),
        Case("sys/truncated-json", lambda c: write(c.p(c.layout.system_json),
                                                   c.p(c.layout.system_json).read_bytes()[:-20]), E, (J,)),
        Case("sys/deeply-nested-array", sys_raw("[" * 100_000 + "]" * 100_000), E, (J,)),
        Case("sys/deeply-nested-object", sys_raw('{"a":' * 50_000 + "1" + "}" * 50_000), E, (J,)),
        Case("sys/deeply-nested-unclosed", sys_raw("[" * 200_000), E, (J,)),
        Case("sys/nested-inside-field", sys_json(lambda d: _with(d, hw_notes=json.loads("[" * 500 + "]" * 500))),
             E, (S,)),
        Case("sys/enormous-json-5MB", sys_json(lambda d: _with(d, sw_notes="x" * 5_000_000)), OK),
        Case("sys/enormous-array-1M", sys_raw("[" + "0," * 1_000_000 + "0]"), E, (J,)),
        Case("sys/top-level-array", sys_raw("[]"), E, (J,)),
        Case("sys/top-level-null", sys_raw("null"), E, (J,)),
        Case("sys/top-level-string", sys_raw('"closed"'), E, (J,)),
        Case("sys/top-level-number", sys_raw("1e999"), E, (J,)),
        Case("sys/empty-object", sys_raw("{}"), E, (S,)),
        Case("sys/two-documents", lambda c: write(c.p(c.layout.system_json),
                                                  c.p(c.layout.system_json).read_bytes() * 2), E, (J,)),
        Case("sys/nan-count", sys_json(lambda d: _with(d, accelerators_per_node=float("nan"))), E, (S,)),
        Case("sys/infinity-count", sys_json(lambda d: _with(d, number_of_nodes=float("inf"))), E, (S,)),
        Case("sys/negative-count", sys_json(lambda d: _with(d, host_processors_per_node=-4)), E, (S,)),
        Case("sys/huge-count", sys_json(lambda d: _with(d, number_of_nodes=10**400)), OK),
        Case("sys/huge-int-5000-digits", sys_raw('{"number_of_nodes": ' + "9" * 5000 + "}"), E, (J,)),
        Case("sys/float-count", sys_json(lambda d: _with(d, accelerators_per_node=1.5)), E, (S,)),
        Case("sys/bool-count", sys_json(lambda d: _with(d, accelerators_per_node=True)), E, (S,)),
        Case("sys/list-framework", sys_json(lambda d: _with(d, framework=["TensorRT"])), E, (S,)),
        Case("sys/object-framework", sys_json(lambda d: _with(d, framework={"name": "TensorRT"})), E, (S,)),
        Case("sys/null-values", sys_json(lambda d: {k: None for k in d}), E, (S,)),
        Case("sys/empty-strings", sys_json(lambda d: _with(d, submitter="", system_name="", framework="")), E, (S,)),
        Case("sys/missing-required", sys_json(lambda d: _without(d, "framework", "status")), E, (S,)),
        Case("sys/missing-all-but-one", sys_json(lambda d: {"submitter": d["submitter"]}), E, (S,)),
        Case("sys/duplicated-key-last-bad", lambda c: _dup_key(c, '"division": "closed"', '"division": 42'), E, (S,)),
        Case("sys/duplicated-key-last-good", lambda c: _dup_key(c, '"division": "closed"', '"division": "closed"'), OK),
        Case("sys/wrong-casing-keys", sys_json(lambda d: {k.upper(): v for k, v in d.items()}), E, (S,)),
        Case("sys/wrong-casing-values", sys_json(lambda d: _with(d, division="CLOSED", status="AVAILABLE")), OK),
        Case("sys/bad-status", sys_json(lambda d: _with(d, status="sometime")), E, (S,)),
        Case("sys/division-open", sys_json(lambda d: _with(d, division="open")), E),
        Case("sys/unknown-fields", sys_json(lambda d: _with(d, **{f"extra_{i}": i for i in range(50)})), OK,
             ("inf.system.unknown-field",)),
        Case("sys/unicode-escapes", sys_json(lambda d: _with(d, framework="TensorRT \u202e\u0000\ud800")), OK),
        Case("sys/lone-surrogate-escape", sys_raw('{"framework": "\\udc80\\ud800"}'), E, (S,)),
        Case("sys/comments", sys_raw('// a comment\n{"submitter": "x"}'), E, (J,)),
        Case("sys/single-quotes", sys_raw("{'submitter': 'x'}"), E, (J,)),
        Case("sys/yaml-not-json", sys_raw("submitter: x\ndivision: closed\n"), E, (J,)),
        Case("sys/json5-nan-literal", sys_raw('{"number_of_nodes": NaN}'), E, (S,)),
    ]


def _dup_key(c: Ctx, first: str, dup: str) -> None:
    p = c.p(c.layout.system_json)
    text = json.dumps(json.loads(p.read_text(encoding="utf-8")))
    assert first in text
    p.write_text(text.replace(first, f"{first}, {dup}", 1), encoding="utf-8")


def summary_cases() -> list[Case]:
    U = "inf.loadgen.unreadable"
    return [
        Case("psum/result-invalid", sub("psum", r"^Result is : VALID", "Result is : INVALID"), E,
             ("inf.loadgen.result-invalid",)),
        Case("psum/scenario-server", sub("psum", r"^Scenario : Offline", "Scenario : Server"), E,
             ("inf.loadgen.scenario",)),
        Case("psum/scenario-garbage", sub("psum", r"^Scenario : Offline", "Scenario : \x7f\x1b[31m"), E,
             ("inf.loadgen.scenario",)),
        Case("psum/mode-accuracy", sub("psum", r"^Mode     : Performance", "Mode     : AccuracyOnly"), E,
             ("inf.loadgen.mode",)),
        Case("psum/samples-per-second-nan", sub("psum", r"^Samples per second: .*$", "Samples per second: nan"), OK),
        Case("psum/samples-per-second-inf", sub("psum", r"^Samples per second: .*$", "Samples per second: inf"), OK),
        Case("psum/samples-per-second-negative", sub("psum", r"^Samples per second: .*$",
                                                     "Samples per second: -5540.1"), OK),
        Case("psum/samples-per-second-1e400", sub("psum", r"^Samples per second: .*$",
                                                  "Samples per second: 1e400"), OK),
        Case("psum/samples-per-second-5000-digits", sub("psum", r"^Samples per second: .*$",
                                                        "Samples per second: " + "9" * 5000), OK),
        Case("psum/latency-negative", sub("psum", r"^(90.00 percentile latency \(ns\)\s*): \d+",
                                          r"\1: -59083964256"), OK),
        Case("psum/latency-nan", sub("psum", r"^(90.00 percentile latency \(ns\)\s*): \d+", r"\1: NaN"), OK),
        Case("psum/percentile-key-huge", lambda c: _append(c, "psum", "9" * 5000 + ".00 percentile latency (ns) : 1\n"), OK),
        Case("psum/error-count-huge", sub("psum", r"^No errors encountered during test\.",
                                          "99999999999999999999999999 ERRORS encountered. See detailed log."), E,
             ("inf.loadgen.error-count",)),
        Case("psum/error-count-5000-digits", sub("psum", r"^No errors encountered during test\.",
                                                 "9" * 5000 + " ERRORS encountered. See detailed log."), E,
             ("inf.loadgen.error-count",)),
        Case("psum/warning-count-5000-digits", sub("psum", r"^No warnings encountered during test\.",
                                                   "9" * 5000 + " warnings encountered."), OK),
        Case("psum/seed-wrong", sub("psum", r"^qsl_rng_seed : \d+", "qsl_rng_seed : 1"), E, ("inf.loadgen.seeds",)),
        Case("psum/seed-5000-digits", sub("psum", r"^qsl_rng_seed : \d+", "qsl_rng_seed : " + "1" * 5000), E,
             ("inf.loadgen.seeds",)),
        Case("psum/samples-per-query-huge", sub("psum", r"^samples_per_query : \d+",
                                                "samples_per_query : 99999999999999999999999999999"), OK),
        Case("psum/samples-per-query-negative", sub("psum", r"^samples_per_query : \d+", "samples_per_query : -1"), OK),
        Case("psum/duplicated-scenario-same", sub("psum", r"^Scenario : Offline",
                                                   "Scenario : Offline\nScenario : Offline"), OK),
        Case("psum/duplicated-scenario-last-bad", sub("psum", r"^Scenario : Offline",
                                                       "Scenario : Offline\nScenario : Server"), E,
             ("inf.loadgen.conflicting-keys",)),
        Case("psum/duplicated-scenario-first-bad", sub("psum", r"^Scenario : Offline",
                                                        "Scenario : Server\nScenario : Offline"), E,
             ("inf.loadgen.scenario", "inf.loadgen.conflicting-keys")),
        Case("psum/missing-result-line", sub("psum", r"^Result is : VALID\n", ""), E, ("inf.loadgen.no-verdict",)),
        Case("psum/missing-scenario-line", sub("psum", r"^Scenario : Offline\n", ""), E,
             ("inf.loadgen.summary-incomplete",)),  # LoadGen always writes it: the summary was edited
        Case("psum/only-separators", set_text("psum", "=" * 48 + "\n") , E, (U,)),
        Case("psum/wrong-casing-keys", lambda c: _recase(c, "psum", str.upper), OK),
        Case("psum/wrong-casing-lower", lambda c: _recase(c, "psum", str.lower), OK),
        Case("psum/colon-storm", set_text("psum", ":" * 100_000 + "\n"), E, (U,)),
        Case("psum/one-long-line", set_text("psum", "Scenario " + "x" * 5_000_000 + "\n"), E),
        Case("psum/100k-lines", set_text("psum", "a : b\n" * 100_000), E, (U,)),
        Case("psum/regex-bomb", set_text("psum", "Result is : " + " " * 100_000 + "x\n" + "1" * 100_000 + " " + "error"), E),
        Case("psum/is-a-detail-log", lambda c: shutil.copyfile(c.p(_resolve(c, "pdet")), c.p(_resolve(c, "psum"))), E, ("inf.loadgen.no-verdict",)),
    ]


def _append(c: Ctx, target: str, text: str) -> None:
    p = c.p(_resolve(c, target))
    p.write_text(p.read_text(encoding="utf-8") + text, encoding="utf-8")


def _recase(c: Ctx, target: str, fn: Callable[[str], str]) -> None:
    p = c.p(_resolve(c, target))
    lines = []
    for line in p.read_text(encoding="utf-8").split("\n"):
        key, sep, value = line.partition(":")
        lines.append(fn(key) + sep + value)
    p.write_text("\n".join(lines), encoding="utf-8")


def detail_cases() -> list[Case]:
    P = '"pid": 1, "tid": 1, "ts": 1ns : '
    return [
        Case("pdet/error-line", lambda c: _append(c, "pdet", P + "ERROR : something broke\n"), E,
             ("inf.loadgen.error-lines",)),
        Case("pdet/power-month-13", lambda c: _append(c, "pdet", P + 'POWER_BEGIN: "mode" : Performance, "time" : 13-45-2019 06:25:28.957\n'), OK),
        Case("pdet/power-year-0", lambda c: _append(c, "pdet", P + 'POWER_END: "mode" : Performance, "time" : 01-01-0 99:99:99.9\n'), OK),
        Case("pdet/power-huge-year", sub("pdet", r"10-10-2019 06:25:28", "10-10-" + "9" * 5000 + " 06:25:28"), OK),
        Case("pdet/power-end-before-begin", sub("pdet", r"10-10-2019 06:26:34", "10-10-2018 06:26:34"), E,
             ("inf.loadgen.timestamps",)),
        Case("pdet/generated-5000-digits", sub("pdet", r'"queries" : 1,', '"queries" : ' + "9" * 5000 + ","), OK),
        Case("pdet/qsl-size-5000-digits", sub("pdet", r"QSL total size: \d+", "QSL total size: " + "9" * 5000), OK),
        Case("pdet/qsl-size-nan", sub("pdet", r"QSL total size: \d+", "QSL total size: nan"), OK),
        Case("pdet/min-duration-negative", sub("pdet", r"min_duration \(ms\): 60000", "min_duration (ms): -60000"), OK),  # the summary's copy of the setting is checked
        Case("pdet/min-duration-nan", sub("pdet", r"min_duration \(ms\): 60000", "min_duration (ms): nan"), OK),  # the summary's copy of the setting is checked
        Case("pdet/min-duration-inf", sub("pdet", r"min_duration \(ms\): 60000", "min_duration (ms): inf"), OK),
        Case("pdet/samples-per-query-huge", sub("pdet", r"samples_per_query : \d+", "samples_per_query : 1e400"), OK),
        Case("pdet/perf-sample-count-negative", sub("pdet", r"performance_sample_count : 1024",
                                                     "performance_sample_count : -1024"), OK),  # the summary's copy is checked
        Case("pdet/scenario-server", sub("pdet", r"Scenario : Offline", "Scenario : Server"), E,
             ("inf.loadgen.scenario",)),
        Case("pdet/duplicated-effective-block", lambda c: _append(c, "pdet", P + "Effective Settings:\n" + P + "Scenario : Server\n"), OK),
        Case("pdet/no-effective-settings", sub("pdet", r".*Effective Settings:\n", ""), E),
        Case("pdet/wrong-casing", lambda c: _rewrite(c, "pdet", lambda t: t.replace("Effective Settings", "EFFECTIVE SETTINGS")), E),
        Case("pdet/ts-garbage", lambda c: _rewrite(c, "pdet", lambda t: t.replace('"ts": ', '"ts": -')), E),
        Case("pdet/mllog-garbage-lines", set_text("pdet", _mllog(GOOD_MLLOG + ["{not json", "[1, 2]", '"str"', "null", "{}"])), OK,
             ("inf.loadgen.malformed",)),
        Case("pdet/mllog-deeply-nested", set_text("pdet", _mllog(GOOD_MLLOG + ["[" * 100_000 + "]" * 100_000])), OK,
             ("inf.loadgen.malformed",)),
        Case("pdet/mllog-deeply-nested-value", set_text("pdet", _mllog(GOOD_MLLOG + ['{"key": "x", "value": ' + "[" * 50_000 + "]" * 50_000 + "}"])), OK,
             ("inf.loadgen.malformed",)),
        Case("pdet/mllog-metadata-not-object", set_text("pdet", _mllog(GOOD_MLLOG + ['{"key": "error_x", "value": 1, "metadata": [1]}', '{"key": 5, "value": {}, "metadata": "x"}'])),E, ("inf.loadgen.error-lines",)),
        Case("pdet/mllog-nan-values", set_text("pdet", _mllog(GOOD_MLLOG + ['{"key": "result_test_duration_ns", "value": NaN}', '{"key": "effective_min_duration", "value": Infinity}', '{"key": "qsl_reported_total_count", "value": -Infinity}'])), OK),
        Case("pdet/mllog-huge-int", set_text("pdet", _mllog(GOOD_MLLOG + ['{"key": "result_test_duration_ns", "value": 1e999}', '{"key": "generated_query_count", "value": ' + "9" * 4000 + "}"])), OK),
        Case("pdet/mllog-key-types", set_text("pdet", _mllog(GOOD_MLLOG + ['{"key": null, "value": null}', '{"key": ["a"], "value": 1}', '{"key": {"k": 1}}'])), OK),
        Case("pdet/mllog-scenario-not-string", set_text("pdet", _mllog(['{"key": "effective_scenario", "value": ["Offline"]}', '{"key": "effective_test_mode", "value": 7}'])), E,
             ("inf.loadgen.unreadable",)),
        Case("pdet/mllog-duplicate-keys", set_text("pdet", _mllog(GOOD_MLLOG + ['{"key": "effective_scenario", "key": "effective_scenario", "value": "Server", "value": "Offline"}'])), OK),
        Case("pdet/mllog-marker-late", lambda c: _rewrite(c, "pdet", lambda t: "x\n" * 70_000 + ":::MLLOG {}\n" + t), OK),
    ]


def _rewrite(c: Ctx, target: str, fn: Callable[[str], str]) -> None:
    p = c.p(_resolve(c, target))
    p.write_text(fn(p.read_text(encoding="utf-8")), encoding="utf-8")


def accuracy_cases() -> list[Case]:
    T = "inf.accuracy.txt"
    return [
        Case("atxt/no-number", set_text("atxt", "accuracy=abc%\n"), E, (T,)),
        Case("atxt/below-target", set_text("atxt", "accuracy=10.000%, good=5000, total=50000\n"), E,
             ("inf.accuracy.target",)),
        Case("atxt/huge-value", set_text("atxt", "accuracy=" + "9" * 400 + "%, good=1, total=1\n"), E, (T,)),
        Case("atxt/good-5000-digits", set_text("atxt", "accuracy=76.5%, good=" + "9" * 5000 + ", total=" + "9" * 5000 + "\n"), OK),
        Case("atxt/negative", set_text("atxt", "accuracy=-76.5%\n"), E, (T,)),
        Case("atxt/nan", set_text("atxt", "accuracy=nan%\n"), E, (T,)),
        Case("atxt/wrong-metric", set_text("atxt", "mAP=76.5%\n"), E, (T,)),
        Case("atxt/wrong-casing", set_text("atxt", "ACCURACY=76.5%\n"), E, (T,)),
        Case("atxt/many-lines", set_text("atxt", "accuracy=1.0%\n" * 200_000 + "accuracy=76.5%\n"), OK),
        Case("atxt/hash-garbage", set_text("atxt", "accuracy=76.5%, good=38250, total=50000\nhash=" + "z" * 64 + "\n"), OK),
    ]


def layout_cases() -> list[Case]:
    L = "inf.layout"

    def rm(attr: str, sub_path: str = "") -> Mutation:
        def m(c: Ctx) -> None:
            p = c.p(getattr(c.layout, attr) + sub_path)
            shutil.rmtree(p)
        return m

    def empty_dir(attr: str, sub_path: str = "") -> Mutation:
        def m(c: Ctx) -> None:
            p = c.p(getattr(c.layout, attr) + sub_path)
            shutil.rmtree(p)
            p.mkdir()
        return m

    def file_instead(attr: str, sub_path: str = "") -> Mutation:
        def m(c: Ctx) -> None:
            p = c.p(getattr(c.layout, attr) + sub_path)
            shutil.rmtree(p)
            p.write_text("not a folder\n")
        return m

    def rename_last(attr: str, new: str) -> Mutation:
        def m(c: Ctx) -> None:
            p = c.p(getattr(c.layout, attr))
            p.rename(p.with_name(new))
        return m

    def in_dir(attr: str, fn: Callable[[Ctx, Path], None]) -> Mutation:
        def m(c: Ctx) -> None:
            fn(c, c.p(getattr(c.layout, attr)))
        return m

    def swap_link(attr: str, target: Callable[[Ctx], Path | str]) -> Mutation:
        """Replace a folder by a link to a copy of it outside the tree (or anywhere)."""
        def m(c: Ctx) -> None:
            p = c.p(getattr(c.layout, attr))
            t = target(c)
            if isinstance(t, Path) and not t.exists():
                shutil.copytree(p, t, symlinks=True)
            shutil.rmtree(p)
            os.symlink(t, p)
        return m

    def outside_copy(name: str) -> Callable[[Ctx], Path]:
        return lambda c: c.outside / "copies" / name

    sys_dir = lambda c: c.p(c.layout.system_json).parent
    res_root = lambda c: c.p(c.layout.result).parents[2]

    cases = [
        Case("layout/no-results", lambda c: shutil.rmtree(res_root(c)), E, (f"{L}.submitter-parts",)),
        Case("layout/empty-results", lambda c: (shutil.rmtree(res_root(c)), res_root(c).mkdir()), OK),
        Case("layout/empty-system-folder", lambda c: (shutil.rmtree(res_root(c) / c.layout.system),
                                                      (res_root(c) / c.layout.system).mkdir()), OK),
        Case("layout/empty-benchmark-folder", lambda c: (shutil.rmtree(c.p(c.layout.result).parent),
                                                         c.p(c.layout.result).parent.mkdir()), OK),
        Case("layout/empty-scenario-folder", empty_dir("result"), E, (f"{L}.accuracy-dir", f"{L}.performance-dir")),
        Case("layout/empty-run", empty_dir("run"), E, (f"{L}.run-files",)),
        Case("layout/empty-accuracy", empty_dir("acc"), E, (f"{L}.accuracy-files",)),
        Case("layout/empty-performance", empty_dir("result", "/performance"), E, (f"{L}.performance-dir",)),
        Case("layout/no-accuracy", rm("acc"), E, (f"{L}.accuracy-dir",)),
        Case("layout/no-performance", rm("result", "/performance"), E, (f"{L}.performance-dir",)),
        Case("layout/no-systems", lambda c: shutil.rmtree(sys_dir(c)), E, (f"{L}.submitter-parts", "inf.system.missing")),
        Case("layout/empty-systems", lambda c: (shutil.rmtree(sys_dir(c)), sys_dir(c).mkdir()), E, ("inf.system.missing",)),
        Case("layout/no-code", lambda c: shutil.rmtree(c.p(c.layout.code).parent), E, (f"{L}.submitter-parts",)),
        Case("layout/empty-code", lambda c: (shutil.rmtree(c.p(c.layout.code).parent), c.p(c.layout.code).parent.mkdir()), E, (f"{L}.code",)),
        Case("layout/no-measurements", lambda c: shutil.rmtree(c.p(c.layout.submitter) / "measurements"), E,
             (f"{L}.submitter-parts",)),
        Case("layout/empty-measurements-scenario", empty_dir("meas"), WARN, (f"{L}.measurements-files",)),
        Case("layout/results-is-a-file", lambda c: (shutil.rmtree(res_root(c)), res_root(c).write_text("x")), E,
             (f"{L}.submitter-parts",)),
        Case("layout/run-is-a-file", file_instead("run"), E, (f"{L}.performance-dir",)),
        Case("layout/accuracy-is-a-file", file_instead("acc"), E, (f"{L}.accuracy-dir",)),
        Case("layout/systems-is-a-file", lambda c: (shutil.rmtree(sys_dir(c)), sys_dir(c).write_text("x")), E,
             ("inf.system.missing",)),
        Case("layout/scenario-lower-case", rename_last("result", "offline"), WARN, (f"{L}.scenario-case",)),
        Case("layout/scenario-upper-case", rename_last("result", "OFFLINE"), WARN, (f"{L}.scenario-case",)),
        Case("layout/scenario-unknown", rename_last("result", "Offline2"), E, (f"{L}.scenario-unknown",)),
        Case("layout/benchmark-upper-case", lambda c: c.p(c.layout.result).parent.rename(
            c.p(c.layout.result).parent.with_name("RESNET")), WARN),
        Case("layout/benchmark-unknown", lambda c: c.p(c.layout.result).parent.rename(
            c.p(c.layout.result).parent.with_name("resnet-9000")), E, (f"{L}.benchmark-unknown",)),
        Case("layout/performance-upper-case", lambda c: (c.p(c.layout.result) / "performance").rename(
            c.p(c.layout.result) / "PERFORMANCE"), WARN, (f"{L}.performance-case",)),
        Case("layout/run-misnamed", rename_last("run", "run_01"), WARN, (f"{L}.run-naming",)),
        Case("layout/run-numbered-huge", rename_last("run", "run_" + "9" * 5000 if False else "run_" + "9" * 200), WARN,
             (f"{L}.run-naming",)),
        Case("layout/extra-runs-empty", in_dir("run", lambda c, p: [(p.parent / f"run_{i}").mkdir() for i in range(2, 40)]),
             E, (f"{L}.run-files",)),
        Case("layout/division-upper-case", lambda c: (c.root / "closed").rename(c.root / "CLOSED"), OK),
        Case("layout/both-divisions-empty-open", lambda c: (c.root / "open").mkdir(), OK),
        Case("layout/stray-files-at-root", lambda c: [(c.root / n).write_bytes(rnd_bytes(i)) for i, n in
                                                      enumerate(["README", ".DS_Store", "Thumbs.db", "x.tar.gz"])], OK),
        Case("layout/deep-nesting-in-run", in_dir("run", lambda c, p: _deep(p, 300)), OK),
        Case("layout/thousands-of-files-in-run", in_dir("run", lambda c, p: [(p / f"f{i}.txt").write_text("x")
                                                                          for i in range(500)]), OK),
        Case("layout/thousands-of-results", lambda c: [(c.p(c.layout.result).parent / f"S{i}").mkdir()
                                                       for i in range(60)], E, (f"{L}.scenario-unknown",)),
        # links and special files in folders: reported, never followed
        Case("links/run-to-outside-copy", swap_link("run", outside_copy("run_1")), E,
             (f"{L}.performance-dir", f"{L}.skipped-links")),
        Case("links/accuracy-to-outside-copy", swap_link("acc", outside_copy("accuracy")), E,
             (f"{L}.accuracy-dir", f"{L}.skipped-links")),
        Case("links/result-to-outside-copy", swap_link("result", outside_copy("Offline")), WARN,
             (f"{L}.skipped-links",)),
        Case("links/systems-to-outside-copy", lambda c: swap_link_path(c, sys_dir(c), c.outside / "copies" / "systems"), E,
             (f"{L}.skipped-links", "inf.system.missing")),
        Case("links/measurements-to-outside-copy", lambda c: swap_link_path(
            c, c.p(c.layout.submitter) / "measurements", c.outside / "copies" / "measurements"), E,
             (f"{L}.skipped-links", f"{L}.submitter-parts")),
        Case("links/measurements-system-to-outside", lambda c: swap_link_path(
            c, c.p(c.layout.meas).parents[1], c.outside / "copies" / "meas-system"), WARN, (f"{L}.measurements",)),
        Case("links/code-to-outside-copy", lambda c: swap_link_path(
            c, c.p(c.layout.code).parent, c.outside / "copies" / "code"), E,
             (f"{L}.skipped-links", f"{L}.submitter-parts")),
        Case("links/code-benchmark-to-outside", lambda c: swap_link_path(
            c, c.p(c.layout.code), c.outside / "copies" / "code-bench"), E, (f"{L}.code",)),
        Case("links/closed-to-outside", lambda c: swap_link_path(c, c.root / "closed", c.outside / "copies" / "closed"),
             USAGE),
        Case("links/submitter-to-outside", lambda c: swap_link_path(
            c, c.p(c.layout.submitter), c.outside / "copies" / "submitter"), OK),
        Case("links/dir-loop-in-run", in_dir("run", lambda c, p: os.symlink(".", p / "loop")), WARN, (f"{L}.skipped-links",)),
        Case("links/dir-loop-pair", in_dir("result", lambda c, p: (os.symlink("b", p / "a"), os.symlink("a", p / "b"))),
             WARN, (f"{L}.skipped-links",)),
        Case("links/parent-loop-in-results", lambda c: os.symlink("..", res_root(c) / "up"), WARN, (f"{L}.skipped-links",)),
        Case("links/root-slash-in-systems", lambda c: os.symlink("/", sys_dir(c) / "root.json"), WARN,
             (f"{L}.skipped-links",)),
        Case("links/proc-in-accuracy", in_dir("acc", lambda c, p: os.symlink("/proc/self/mem", p / "extra")), WARN,
             (f"{L}.skipped-links",)),
        Case("links/fifo-extra-in-run", in_dir("run", lambda c, p: fifo(p / "mlperf_log_trace.json")), WARN,
             (f"{L}.skipped-links",), needs="fifo"),
        Case("links/fifo-in-systems", lambda c: fifo(sys_dir(c) / "other.json"), WARN, (f"{L}.skipped-links",),
             needs="fifo"),
        Case("links/fifo-as-results", lambda c: (shutil.rmtree(res_root(c)), fifo(res_root(c))), E,
             (f"{L}.submitter-parts", f"{L}.skipped-links"), needs="fifo"),
        Case("links/fifo-as-scenario", lambda c: (shutil.rmtree(c.p(c.layout.result)), fifo(c.p(c.layout.result))),
             WARN, (f"{L}.skipped-links",), needs="fifo"),
        Case("links/socket-in-run", in_dir("run", lambda c, p: unix_socket(p / "s")), WARN, (f"{L}.skipped-links",),
             needs="socket"),
        # names that are not UTF-8, or are merely strange
        Case("names/non-utf8-file-in-run", in_dir("run", lambda c, p: _bname(p, b"log\xff\xfe.txt", b"x")), OK),
        Case("names/non-utf8-benchmark", lambda c: os.mkdir(os.path.join(os.fsencode(c.p(c.layout.result).parents[1]),
                                                                          b"res\xffnet")), OK),
        Case("names/non-utf8-scenario", lambda c: _non_utf8_copy(c, c.p(c.layout.result), b"Off\xe9line"), E,
             (f"{L}.scenario-unknown",)),
        Case("names/non-utf8-system", lambda c: _non_utf8_copy(c, res_root(c) / c.layout.system, b"sys\xff"), E,
             ("inf.system.missing",)),
        Case("names/non-utf8-system-json", lambda c: _bname(sys_dir(c), b"\xff\xfe.json", b"{}"), E),
        Case("names/non-utf8-submitter", lambda c: _non_utf8_copy(c, c.p(c.layout.submitter), b"Sub\xc3\x28"), E,
             ("inf.system.folder-mismatch",)),
        Case("names/newline-in-name", lambda c: _non_utf8_copy(c, c.p(c.layout.result), b"Off\nline"), E),
        # Rich markup in folder names ('/' cannot appear in a name, so no closing tags)
        Case("names/markup-in-benchmark", lambda c: _non_utf8_copy(c, c.p(c.layout.result).parent, b"[bold red]x"), E,
             (f"{L}.benchmark-unknown",)),
        Case("names/markup-event-in-scenario", lambda c: _non_utf8_copy(c, c.p(c.layout.result), b"[@click=app.quit]x"), E),
        Case("names/markup-link-in-system", lambda c: _non_utf8_copy(c, res_root(c) / c.layout.system,
                                                                     b"[link=file:]x[on red]"), E),
        Case("names/escape-sequences", lambda c: _non_utf8_copy(c, c.p(c.layout.result), b"\x1b[2J\x07"), E),
        Case("names/max-length-name", lambda c: _non_utf8_copy(c, c.p(c.layout.result), b"O" * 255), E),
        Case("names/emoji", lambda c: _non_utf8_copy(c, c.p(c.layout.result).parent,
                                                     "r\U0001F600sn\u0301et".encode()), E),
        Case("names/dot-dot-like", lambda c: _non_utf8_copy(c, c.p(c.layout.result), b"..."), E),
        Case("names/system-json-upper", lambda c: c.p(c.layout.system_json).rename(
            c.p(c.layout.system_json).with_suffix(".JSON")), OK),
    ]
    return cases


def swap_link_path(c: Ctx, p: Path, t: Path) -> None:
    if not t.exists():
        shutil.copytree(p, t, symlinks=True)
    shutil.rmtree(p)
    os.symlink(t, p)


def rnd_bytes(i: int) -> bytes:
    import random

    return random.Random(i).randbytes(300)


def _deep(p: Path, depth: int) -> None:
    d = os.fsencode(p)
    fd = os.open(d, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(b"d", dir_fd=fd)
            nfd = os.open(b"d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nfd
    finally:
        os.close(fd)


def _bname(folder: Path, name: bytes, data: bytes) -> None:
    with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
        fh.write(data)


def _non_utf8_copy(c: Ctx, p: Path, name: bytes) -> None:
    """Rename folder p to a byte name (not necessarily UTF-8)."""
    os.rename(os.fsencode(p), os.path.join(os.fsencode(p.parent), name))


def root_cases() -> list[Case]:
    def other_root(fn: Callable[[Ctx], Path]) -> Mutation:
        return fn

    def as_file(c: Ctx) -> Path:
        p = c.root.parent / "root-file"
        p.write_text("closed/\n")
        return p

    def as_tar(c: Ctx) -> Path:
        import tarfile

        p = c.root.parent / "sub.tar.gz"
        with tarfile.open(p, "w:gz") as tf:
            tf.add(c.root, arcname="sub")
        return p

    def as_fifo(c: Ctx) -> Path:
        p = c.root.parent / "root-fifo"
        os.mkfifo(p)
        return p

    def as_sparse(c: Ctx) -> Path:
        p = c.root.parent / "root-sparse"
        sparse(p, TEN_GB)
        return p

    def as_link(target: str) -> Mutation:
        def m(c: Ctx) -> Path:
            p = c.root.parent / "root-link"
            os.symlink(target, p)
            return p
        return m

    def as_link_to_good(c: Ctx) -> Path:
        p = c.root.parent / "root-link"
        os.symlink(c.root, p)
        return p

    def empty(c: Ctx) -> Path:
        p = c.root.parent / "empty"
        p.mkdir()
        return p

    def only_closed(c: Ctx) -> Path:
        p = c.root.parent / "only-closed"
        (p / "closed").mkdir(parents=True)
        return p

    def closed_with_file(c: Ctx) -> Path:
        p = c.root.parent / "closed-file"
        p.mkdir()
        (p / "closed").write_text("x")
        return p

    def non_utf8_root(c: Ctx) -> Path:
        b = os.path.join(os.fsencode(c.root.parent), b"sub\xff\xfe")
        os.rename(os.fsencode(c.root), b)
        return Path(os.fsdecode(b))

    def division(c: Ctx) -> Path:
        return c.root / "closed"

    def submitter(c: Ctx) -> Path:
        return c.p(c.layout.submitter)

    def results_dir(c: Ctx) -> Path:
        return c.p(c.layout.submitter) / "results"

    def result_dir(c: Ctx) -> Path:
        return c.p(c.layout.result)

    return [
        Case("root/is-a-file", other_root(as_file), USAGE),
        Case("root/is-a-tarball", other_root(as_tar), USAGE),
        Case("root/is-a-fifo", other_root(as_fifo), USAGE, needs="fifo"),
        Case("root/is-a-sparse-10GB-file", other_root(as_sparse), USAGE),
        Case("root/does-not-exist", lambda c: c.root.parent / "nope", USAGE),
        Case("root/dangling-link", as_link("nowhere"), USAGE),
        Case("root/link-loop", lambda c: (os.symlink("root-loop", c.root.parent / "root-loop"),
                                          c.root.parent / "root-loop")[1], USAGE),
        Case("root/link-to-dev-null", as_link("/dev/null"), USAGE),
        Case("root/link-to-good-tree", as_link_to_good, OK),
        Case("root/empty-folder", other_root(empty), USAGE),
        Case("root/only-empty-closed", other_root(only_closed), OK),
        Case("root/closed-is-a-file", other_root(closed_with_file), USAGE),
        Case("root/non-utf8-name", other_root(non_utf8_root), OK),
        Case("root/division-folder", other_root(division), OK),
        Case("root/submitter-folder", other_root(submitter), OK),
        Case("root/results-folder", other_root(results_dir), USAGE),
        Case("root/result-folder", other_root(result_dir), USAGE),
    ]


def audit_cases() -> list[Case]:
    """Compliance-test folders (read by the audit stage) full of hostile content; audit rules stay on."""
    def test_dir(c: Ctx, name: str = "TEST01") -> Path:
        L = c.layout
        p = c.p(f"{L.submitter}/audit/{L.system}/{'/'.join(L.result.split('/')[-2:])}/{name}")
        p.mkdir(parents=True, exist_ok=True)
        return p

    def good_copy(c: Ctx, name: str) -> Path:
        t = test_dir(c, name)
        shutil.copytree(c.p(c.layout.run), t / "performance" / "run_1")
        (t / "accuracy").mkdir()
        shutil.copyfile(c.p(c.layout.acc) / "mlperf_log_accuracy.json", t / "accuracy" / "mlperf_log_accuracy.json")
        return t

    # v0.5: a missing or failing compliance test is an objection for the committee (a warning), so the
    # hostile content around it must leave the run at exit 0 with the tests reported missing
    A = "inf.audit.missing"
    return [
        Case("audit/garbage-verify-outputs", lambda c: [write(test_dir(c) / n, rnd_bytes(i)) for i, n in
                                                        enumerate(["verify_accuracy.txt", "verify_performance.txt"])],
             WARN, (A,)),
        Case("audit/verify-output-sparse-10GB", lambda c: sparse(test_dir(c) / "verify_performance.txt", TEN_GB), WARN, (A,)),
        Case("audit/verify-output-fifo", lambda c: fifo(test_dir(c) / "verify_performance.txt"), WARN, (A,), needs="fifo"),
        Case("audit/verify-output-link-outside", lambda c: link(test_dir(c) / "verify_accuracy.txt",
                                                                c.outside / "tempting" / "accuracy.txt"), WARN, (A,)),
        Case("audit/test-folder-link-outside", lambda c: (test_dir(c, "TEST03").rmdir(),
                                                          swap_in_link(test_dir(c, "TEST03"), good_copy(c, "TEST05"), c)),
             WARN, (A,)),
        Case("audit/audit-folder-link-loop", lambda c: os.symlink(".", test_dir(c).parent / "loop"), WARN, (A,)),
        Case("audit/accuracy-log-sparse-10GB", lambda c: sparse(good_copy(c, "TEST01") / "accuracy" /
                                                                "mlperf_log_accuracy.json", TEN_GB), WARN, (A,)),
        Case("audit/accuracy-log-binary", lambda c: write(good_copy(c, "TEST01") / "accuracy" /
                                                          "mlperf_log_accuracy.json", rnd_bytes(7) * 50), WARN, (A,)),
        Case("audit/run-logs-nul-and-binary", lambda c: [write(good_copy(c, "TEST04-A") / "performance" / "run_1" / n,
                                                               b"\x00" * 100 + rnd_bytes(3))
                                                         for n in ("mlperf_log_summary.txt",)], WARN, (A,)),
        Case("audit/non-utf8-test-name", lambda c: os.mkdir(os.path.join(os.fsencode(test_dir(c).parent), b"TEST\xff")),
             WARN, (A,)),
        Case("audit/deep-nesting", lambda c: _deep(test_dir(c), 200), WARN, (A,)),
        Case("audit/is-a-file", lambda c: (shutil.rmtree(c.p(c.layout.submitter) / "audit"),
                                           (c.p(c.layout.submitter) / "audit").write_text("x")), WARN,
             ("inf.layout.audit-missing",)),  # no audit/ at all is one warning, by the rules' design
    ]


def swap_in_link(p: Path, target: Path, c: Ctx) -> None:
    """Move `target` outside the tree and leave a link to it at `p`."""
    dest = c.outside / "copies" / target.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(target), dest)
    if os.path.lexists(p):
        shutil.rmtree(p)
    os.symlink(dest, p)


def all_specific() -> list[Case]:
    return (system_cases() + summary_cases() + detail_cases() + accuracy_cases() + layout_cases() + root_cases()
            + audit_cases())
