"""LoadGen 6.x runs converted to the v0.5 LoadGen text log format (the ``tiny_cpu_v05text`` system).

LoadGen 6.x writes ``:::MLLOG {json}`` detail logs; the LoadGen of the v0.5 round wrote
``"pid": P, "tid": T, "ts": Nns : message`` lines. :func:`mllog_to_v05_text` rewrites a
6.x run in that dialect so that parsers meet both.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

V05_SCENARIO: dict[str, str] = {
    "SingleStream": "Single Stream",
    "MultiStream": "Multi Stream",
    "Server": "Server",
    "Offline": "Offline",
}
_V05_MODE: dict[str, str] = {
    "PerformanceOnly": "Performance",
    "AccuracyOnly": "Accuracy",
    "SubmissionRun": "Submission",
    "FindPeakPerformance": "FindPeakPerformance",
}
# effective_* MLLOG keys -> v0.5 "Effective Settings" labels, in v0.5 order.
V05_EFFECTIVE: tuple[tuple[str, str], ...] = (
    ("samples_per_query", "samples_per_query : "),
    ("target_qps", "target_qps : "),
    ("target_latency_ns", "target_latency (ns): "),
    ("target_latency_percentile", "target_latency_percentile : "),
    ("max_async_queries", "max_async_queries : "),
    ("target_duration_ms", "target_duration (ms): "),
    ("min_duration_ms", "min_duration (ms): "),
    ("max_duration_ms", "max_duration (ms): "),
    ("min_query_count", "min_query_count : "),
    ("max_query_count", "max_query_count : "),
    ("min_sample_count", "min_sample_count : "),
    ("qsl_rng_seed", "qsl_rng_seed : "),
    ("sample_index_rng_seed", "sample_index_rng_seed : "),
    ("schedule_rng_seed", "schedule_rng_seed : "),
    ("accuracy_log_rng_seed", "accuracy_log_rng_seed : "),
    ("accuracy_log_probability", "accuracy_log_probability : "),
    ("print_timestamps", "print_timestamps : "),
    ("performance_issue_unique", "performance_issue_unique : "),
    ("performance_issue_same", "performance_issue_same : "),
    ("performance_issue_same_index", "performance_issue_same_index : "),
    ("performance_sample_count", "performance_sample_count : "),
)
# requested_* MLLOG keys that v0.5 LoadGen printed under "Requested Settings", per scenario.
_V05_REQUESTED_SCENARIO: dict[str, tuple[str, ...]] = {
    "SingleStream": ("single_stream_expected_latency_ns", "single_stream_target_latency_percentile"),
    "MultiStream": (
        "multi_stream_target_qps",
        "multi_stream_target_latency_ns",
        "multi_stream_target_latency_percentile",
        "multi_stream_samples_per_query",
        "multi_stream_max_async_queries",
    ),
    "Server": (
        "server_target_qps",
        "server_target_latency_ns",
        "server_target_latency_percentile",
        "server_coalesce_queries",
        "server_find_peak_qps_decimals_of_precision",
        "server_find_peak_qps_boundary_step_size",
        "server_max_async_queries",
    ),
    "Offline": ("offline_expected_qps",),
}
_V05_REQUESTED_COMMON: tuple[str, ...] = (
    "min_duration_ms",
    "max_duration_ms",
    "min_query_count",
    "max_query_count",
    "qsl_rng_seed",
    "sample_index_rng_seed",
    "schedule_rng_seed",
    "accuracy_log_rng_seed",
    "accuracy_log_probability",
    "print_timestamps",
    "performance_issue_unique",
    "performance_issue_same",
    "performance_issue_same_index",
    "performance_sample_count_override",
)
_LATENCY_PERCENTILES = ("50.00", "90.00", "95.00", "97.00", "99.00", "99.90")
_RULE = "================================================"


def _v05_value(value: Any) -> str:
    """Format a value the way v0.5 LoadGen's C++ streams printed it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # v0.5 kept these settings as integers; LoadGen 6.x logs some as doubles.
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return f"{value:.6g}"
    return str(value)


def _parse_mllog(detail_lines: Iterable[str]) -> list[dict[str, Any]]:
    events = []
    for raw in detail_lines:
        line = raw.rstrip("\r\n")
        pos = line.find(":::MLLOG")
        if pos < 0:
            continue
        try:
            event = json.loads(line[pos + len(":::MLLOG") :])
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and "key" in event:
            events.append(event)
    return events


def mllog_to_v05_text(
    detail_lines: Iterable[str], summary_text: str, *, crlf: bool = False, nul_after_sut_name: bool = False
) -> tuple[str, str]:
    """Convert a LoadGen 6.x run (MLLOG detail lines + summary) to the v0.5 text logs.

    Returns (detail_text, summary_text) in the format of the LoadGen used in
    the v0.5 round: detail lines ``"pid": P, "tid": T, "ts": Nns : message``
    with the ``Effective Settings:`` block before the ``Requested Settings:``
    block, ``GeneratedQueries: ...`` and ``POWER_BEGIN``/``POWER_END`` lines;
    a summary with ``Mode     : Performance`` and the v0.5 parameter names.

    MLLOG keys that v0.5 LoadGen did not print (result_*, early stopping,
    sample_concatenate_permutation, accuracy_sample_count, ...) are dropped;
    results are carried by the summary, as in v0.5.  A run whose summary is
    not a results summary (accuracy mode) keeps its summary text unchanged.

    crlf writes CRLF line ends; nul_after_sut_name ends the SUT-name line with
    a NUL byte (both occur in real v0.5 logs).
    """
    events = _parse_mllog(detail_lines)
    if not events:
        raise ValueError("no :::MLLOG records in the detail log")
    values: dict[str, Any] = {}
    for ev in events:
        values.setdefault(ev["key"], ev.get("value"))
    scenario = values.get("effective_scenario") or values.get("requested_scenario")
    mode = values.get("effective_test_mode") or values.get("requested_test_mode")
    if scenario not in V05_SCENARIO:
        raise ValueError(f"unknown scenario {scenario!r} in the detail log")
    v05_mode = _V05_MODE.get(str(mode), str(mode))

    out: list[str] = []
    last_ts = [0]

    def emit(ev: dict[str, Any], text: str) -> None:
        meta = ev.get("metadata") or {}
        # v0.5 printed the Effective block before the Requested one: keep ts monotonic.
        ts = round(float(ev.get("time_ms", 0.0)) * 1e6)
        if not 0 <= ts < 2**63:  # a wrapped negative time (see run_isolated)
            ts = 0
        ts = max(last_ts[0], ts)
        last_ts[0] = ts
        out.append(f'"pid": {meta.get("pid", 0)}, "tid": {meta.get("tid", 0)}, "ts": {ts}ns : {text}')

    def raw(text: str) -> None:
        out.append(text)

    settings_done = False
    generated: dict[str, Any] = {}
    counters_open = False
    for ev in events:
        key, value = ev["key"], ev.get("value")
        meta = ev.get("metadata") or {}
        if not key.startswith("logger_"):
            counters_open = False
        if meta.get("is_error"):
            emit(ev, f"ERROR : {value}")
        elif meta.get("is_warning"):
            emit(ev, f"WARNING : {_v05_warning(str(value))}")
        elif key == "loadgen_version":
            emit(ev, "LoadgenVersionInfo:")
            emit(ev, f"version : {value}")
        elif key == "loadgen_build_date_local":
            emit(ev, f"build_date_local : {value}")
        elif key == "loadgen_build_date_utc":
            emit(ev, f"build_date_utc   : {value}")
        elif key == "loadgen_git_commit_date":
            emit(ev, f"git_commit_date  : {value}")
        elif key == "loadgen_git_log_message":
            emit(ev, "git_log :")
            raw("")
            out.extend(str(value).rstrip("\n").split("\n"))
            raw("")
        elif key == "loadgen_git_status_message":
            emit(ev, "git_status :")
            raw("")
            if str(value).strip():
                out.extend(str(value).rstrip("\n").split("\n"))
            raw("")
            raw("")
        elif key == "loadgen_file_sha1":
            emit(ev, "SHA1 of files :")
            raw("")
            if isinstance(value, dict):
                out.extend(f"{sha} {name}" for name, sha in value.items())
            raw("")
        elif key == "test_datetime":
            emit(ev, f"Date + time of test: {value}")
        elif key == "sut_name":
            emit(ev, f"System Under Test (SUT) name: {value}" + ("\0" if nul_after_sut_name else ""))
        elif key == "qsl_name":
            emit(ev, f"Query Sample Library (QSL) name: {value}")
        elif key == "qsl_reported_total_count":
            emit(ev, f"QSL total size: {value}")
        elif key == "qsl_reported_performance_count":
            emit(ev, f"QSL performance size*: {value}")
            emit(ev, "*TestSettings (performance_sample_count_override) can override")
            emit(ev, "*Refer to Effective Settings for actual value")
        elif key.startswith(("requested_", "effective_")):
            if settings_done:
                continue
            settings_done = True
            _emit_settings(events, scenario, v05_mode, emit)
        elif key == "generic_message":
            text = str(value)
            if text in ("Starting performance mode", "Starting accuracy mode"):
                text += ":"
            emit(ev, text)
        elif key == "loaded_qsl_set":
            items = ",".join(str(i) for i in value) if isinstance(value, list) else str(value)
            emit(ev, f'Loading QSL : "set" : "[{items}]"')
        elif key in ("generated_query_count", "generated_samples_per_query", "generated_query_duration"):
            generated[key] = value
            if len(generated) == 3:
                emit(
                    ev,
                    'GeneratedQueries: "queries" : {}, "samples per query" : {}, "duration" : {}'.format(
                        generated["generated_query_count"],
                        generated["generated_samples_per_query"],
                        generated["generated_query_duration"],
                    ),
                )
                generated = {}
        elif key.startswith("logger_"):
            if not counters_open:
                emit(ev, "Log Contention Counters:")
                counters_open = True
            emit(ev, f"{value} : {key[len('logger_') :]}")
        elif key == "power_begin":
            emit(ev, f'POWER_BEGIN: "mode" : {v05_mode}, "time" : {value}')
        elif key == "power_end":
            emit(ev, f'POWER_END: "mode" : {v05_mode}, "time" : {value}')
        # everything else (result_*, early_stopping_*, num_errors, ...) has no v0.5 detail line

    eol = "\r\n" if crlf else "\n"
    detail_text = eol.join(out) + eol
    return detail_text, _v05_summary(values, scenario, v05_mode, summary_text)


def _v05_warning(text: str) -> str:
    """LoadGen 6.x 'tid: 1 reserved_entries: 2 max_entries: 3' -> v0.5 '"tid" : 1, ...'."""
    m = re.fullmatch(
        r"Logging allocation detected: tid: (\d+) reserved_entries: (\d+) max_entries: (\d+)", text
    )
    if m:
        return 'Logging allocation detected: "tid" : {}, "reserved_entries" : {}, "max_entries" : {}'.format(
            *m.groups()
        )
    return text


def _emit_settings(
    events: list[dict[str, Any]], scenario: str, v05_mode: str, emit: Callable[[dict[str, Any], str], None]
) -> None:
    effective = {e["key"][len("effective_") :]: e for e in events if e["key"].startswith("effective_")}
    requested = {e["key"][len("requested_") :]: e for e in events if e["key"].startswith("requested_")}
    if effective:
        first = next(iter(effective.values()))
        emit(first, "")
        emit(first, "Effective Settings:")
        emit(first, f"Scenario : {V05_SCENARIO[scenario]}")
        emit(first, f"Test mode : {v05_mode}")
        for name, label in V05_EFFECTIVE:
            if name in effective:
                emit(effective[name], label + _v05_value(effective[name].get("value")))
    if requested:
        first = next(iter(requested.values()))
        emit(first, "")
        emit(first, "Requested Settings:")
        emit(first, f"Scenario : {V05_SCENARIO[scenario]}")
        emit(first, f"Test mode : {v05_mode}")
        for name in _V05_REQUESTED_SCENARIO[scenario] + _V05_REQUESTED_COMMON:
            if name in requested:
                emit(requested[name], f"{name} : {_v05_value(requested[name].get('value'))}")
        emit(first, "")


def _v05_summary(values: dict[str, Any], scenario: str, v05_mode: str, summary_text: str) -> str:
    if "MLPerf Results Summary" not in summary_text:
        return summary_text  # accuracy mode: only the warning/error trailer, same in v0.5
    if scenario == "MultiStream":
        raise ValueError(
            "a LoadGen 6.x MultiStream run has no v0.5 equivalent (no issue interval, "
            "latency metric instead of samples per query)"
        )

    def yes(key: str) -> str:
        return "Yes" if values.get(key) else "NO"

    def res(name: str) -> Any:
        return values.get(f"result_{name}")

    lines = [_RULE, "MLPerf Results Summary", _RULE]
    lines.append(f"SUT name : {values.get('sut_name', '')}")
    lines.append(f"Scenario : {V05_SCENARIO[scenario]}")
    lines.append(f"Mode     : {v05_mode}")
    if scenario == "SingleStream":
        lines.append(f"90th percentile latency (ns) : {_v05_value(res('90.00_percentile_latency_ns'))}")
    elif scenario == "Server":
        lines.append(f"Scheduled samples per second : {float(res('scheduled_samples_per_sec')):.2f}")
    else:
        lines.append(f"Samples per second: {_v05_value(float(res('samples_per_second')))}")
    validity = values.get("result_validity", "INVALID")
    lines.append(f"Result is : {validity}")
    if scenario == "Server":
        lines.append(f"  Performance constraints satisfied : {yes('result_perf_constraints_met')}")
    lines.append(f"  Min duration satisfied : {yes('result_min_duration_met')}")
    lines.append(f"  Min queries satisfied : {yes('result_min_queries_met')}")
    reason = str(values.get("result_invalid_reason") or "").strip()
    if validity != "VALID" and reason:
        lines.append("Recommendations:")
        lines.extend(f" * {r.strip()}" for r in reason.split(". ") if r.strip())
    lines += ["", _RULE, "Additional Stats", _RULE]
    if scenario == "SingleStream":
        lines.append(f"QPS w/ loadgen overhead         : {float(res('qps_with_loadgen_overhead')):.2f}")
        lines.append(f"QPS w/o loadgen overhead        : {float(res('qps_without_loadgen_overhead')):.2f}")
        lines.append("")
    elif scenario == "Server":
        lines.append(f"Completed samples per second    : {float(res('completed_samples_per_sec')):.2f}")
        lines.append("")
    lines.append(f"Min latency (ns)                : {res('min_latency_ns')}")
    lines.append(f"Max latency (ns)                : {res('max_latency_ns')}")
    lines.append(f"Mean latency (ns)               : {res('mean_latency_ns')}")
    for pct in _LATENCY_PERCENTILES:
        lines.append(f"{pct} percentile latency (ns)   : {res(pct + '_percentile_latency_ns')}")
    lines += ["", _RULE, "Test Parameters Used", _RULE]
    summary_params = (
        "samples_per_query",
        "target_qps",
        "target_latency_ns",
        "max_async_queries",
        "min_duration_ms",
        "max_duration_ms",
        "min_query_count",
        "max_query_count",
        "qsl_rng_seed",
        "sample_index_rng_seed",
        "schedule_rng_seed",
        "accuracy_log_rng_seed",
        "accuracy_log_probability",
        "print_timestamps",
        "performance_issue_unique",
        "performance_issue_same",
        "performance_issue_same_index",
        "performance_sample_count",
    )
    labels = dict(V05_EFFECTIVE)
    for name in summary_params:
        lines.append(labels[name] + _v05_value(values.get(f"effective_{name}")))
    lines.append("")
    # The warning/error trailer is the same in both versions: keep LoadGen's own.
    trailer = [
        ln
        for ln in summary_text.splitlines()
        if "encountered" in ln and ("warning" in ln.lower() or "error" in ln.lower())
    ]
    for i, ln in enumerate(trailer):
        lines.append(ln)
        if i + 1 < len(trailer):
            lines.append("")
    return "\n".join(lines) + "\n"



def convert_run(src: Path, dst: Path, *, crlf: bool, nul: bool) -> None:
    """Write the v0.5-text version of the LoadGen run in src into dst."""
    dst.mkdir(parents=True, exist_ok=True)
    detail_lines = (src / "mlperf_log_detail.txt").read_text(encoding="utf-8").splitlines()
    summary = (src / "mlperf_log_summary.txt").read_text(encoding="utf-8")
    detail_text, summary_text = mllog_to_v05_text(detail_lines, summary, crlf=crlf, nul_after_sut_name=nul)
    (dst / "mlperf_log_detail.txt").write_bytes(detail_text.encode("utf-8"))
    (dst / "mlperf_log_summary.txt").write_bytes(summary_text.encode("utf-8"))
    for name in ("mlperf_log_accuracy.json", "accuracy.txt"):
        if (src / name).is_file():
            shutil.copyfile(src / name, dst / name)

