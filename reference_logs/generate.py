#!/usr/bin/env python3
"""Generate mlcheck's embedded MLPerf Inference v0.5-layout sample submission.

The logs are produced by the real MLPerf LoadGen (Python bindings from the
``mlcommons-loadgen`` package, ``import mlperf_loadgen``) driving a tiny NumPy
"system under test".  LoadGen 6.x writes ``:::MLLOG {json}`` detail logs; a
second system (``tiny_cpu_v05text``) carries the same runs converted to the
v0.5 text log format by :func:`mllog_to_v05_text`, so that both log dialects
can be exercised.

Usage::

    python reference_logs/generate.py [--out DIR] [--datasets DIR]

The default output is ``reference_logs/inference_v0.5`` (and the synthetic
ImageNet label map goes to ``reference_logs/datasets``).  The run takes about
two minutes on two cores; most of it is the Server accuracy run, which LoadGen
paces at the Server target QPS over all 50,000 samples.

Deterministic: the label map, the SUT's answers, the accuracy logs'
content and the accuracy result, all settings and the file layout.  Not
deterministic: timestamps, latencies, throughput, query counts of the
duration-bound runs, and the order of records in the accuracy logs.

The durations and query counts are deliberately far below the v0.5 minimums
(60 s, 1024 / 270,336 queries): this is a small sample, and the real v0.5 rules
must report exactly those shortfalls on it.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# Constants of the sample
# --------------------------------------------------------------------------

SUBMITTER = "MLCheckSample"
DIVISION = "closed"
SYSTEM = "tiny_cpu"
SYSTEM_V05TEXT = "tiny_cpu_v05text"
BENCHMARK = "resnet"  # v0.5 benchmark folder name
CONF_MODEL = "resnet50"  # model name used in v0.5 mlperf.conf / user.conf keys
IMPLEMENTATION = "numpy"
SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")
V05TEXT_SCENARIOS = ("Offline", "SingleStream")
SERVER_RUNS = 5

# The v0.5 round's seeds (its mlperf.conf).
QSL_RNG_SEED = 3133965575612453542
SAMPLE_INDEX_RNG_SEED = 665484352860916858
SCHEDULE_RNG_SEED = 3622009729038561421

TOTAL_SAMPLES = 50_000  # ImageNet 2012 validation set
PERFORMANCE_SAMPLE_COUNT = 1024  # v0.5 value for resnet50
NUM_CLASSES = 1000
VAL_MAP_SEED = 20191106  # synthetic label map
SUT_SEED = 765  # which samples the tiny SUT gets right, and its wrong answers
SUT_TOP1 = 0.765  # intended top-1 of the tiny SUT (the measured value is in accuracy.txt)


@dataclass(frozen=True)
class ScenarioPlan:
    """LoadGen TestSettings of one scenario plus the SUT's simulated service time."""

    settings: dict
    # Simulated device time, per sample, in performance runs (seconds).  The
    # accuracy runs are not paced (LoadGen reports no timing for them).
    service_s_per_sample: float
    # How the Offline SUT splits a query into completion batches.
    batch: int = 1
    # user.conf lines (v0.5 key names) that reproduce `settings` on top of mlperf.conf.
    user_conf: tuple = field(default_factory=tuple)


# Everything is far below the v0.5 minimums on purpose (see module docstring).
PLANS: dict[str, ScenarioPlan] = {
    "SingleStream": ScenarioPlan(
        settings={
            "min_duration_ms": 1000,
            "min_query_count": 256,
            # LoadGen pre-generates 2 * min_duration / expected latency + 1 queries
            # (1001 here): kept below the v0.5 minimum of 1024 too, so that the
            # v0.5 text logs (which only show this count) fall short as well.
            "single_stream_expected_latency_ns": 2_000_000,
            "single_stream_target_latency_percentile": 0.9,
        },
        service_s_per_sample=0.0015,
        user_conf=(
            f"{CONF_MODEL}.SingleStream.target_latency = 2",
            f"{CONF_MODEL}.SingleStream.min_duration = 1000",
            f"{CONF_MODEL}.SingleStream.min_query_count = 256",
        ),
    ),
    "MultiStream": ScenarioPlan(
        settings={
            "min_duration_ms": 2000,
            "min_query_count": 64,
            "multi_stream_samples_per_query": 4,
            "multi_stream_expected_latency_ns": 1_000_000,
            "multi_stream_target_latency_percentile": 0.99,
        },
        service_s_per_sample=0.0004,
        batch=4,
        user_conf=(
            f"{CONF_MODEL}.MultiStream.samples_per_query = 4",
            "# LoadGen 6.0.17 has no MultiStream issue interval: it sends the next query",
            "# when the previous one completes, and reads MultiStream.target_latency as",
            "# multi_stream_expected_latency_ns, used only to size the pre-generated",
            "# query list. The v0.5 bound (50 ms at the 99th percentile, mlperf.conf) is",
            "# what the per-query latencies of this run are to be checked against.",
            f"{CONF_MODEL}.MultiStream.target_latency = 1",
            f"{CONF_MODEL}.MultiStream.min_duration = 2000",
            f"{CONF_MODEL}.MultiStream.min_query_count = 64",
        ),
    ),
    "Server": ScenarioPlan(
        settings={
            "min_duration_ms": 1000,
            "min_query_count": 256,
            "server_target_qps": 500.0,
            "server_target_latency_ns": 15_000_000,
            "server_target_latency_percentile": 0.99,
        },
        service_s_per_sample=0.0005,
        user_conf=(
            f"{CONF_MODEL}.Server.target_qps = 500",
            f"{CONF_MODEL}.Server.min_duration = 1000",
            f"{CONF_MODEL}.Server.min_query_count = 256",
        ),
    ),
    "Offline": ScenarioPlan(
        settings={
            "min_duration_ms": 1000,
            "min_query_count": 1,
            # LoadGen issues one query of 1.1 * expected_qps * min_duration samples:
            # 26,400 >= the v0.5 Offline minimum of 24,576.
            "offline_expected_qps": 24000.0,
        },
        service_s_per_sample=0.000045,  # ~22,000 samples/s, so the query outlasts min_duration
        batch=1024,
        user_conf=(
            f"{CONF_MODEL}.Offline.target_qps = 24000",
            "*.Offline.min_duration = 1000",
        ),
    ),
}

COMMON_SETTINGS = {
    "qsl_rng_seed": QSL_RNG_SEED,
    "sample_index_rng_seed": SAMPLE_INDEX_RNG_SEED,
    "schedule_rng_seed": SCHEDULE_RNG_SEED,
    "performance_sample_count_override": PERFORMANCE_SAMPLE_COUNT,
}


# --------------------------------------------------------------------------
# Data set and the tiny SUT's answers
# --------------------------------------------------------------------------


def make_labels() -> np.ndarray:
    """Synthetic ImageNet validation labels, one per sample (seeded)."""
    rng = np.random.default_rng(VAL_MAP_SEED)
    return rng.integers(0, NUM_CLASSES, TOTAL_SAMPLES, dtype=np.int64).astype("<i4")


def write_val_map(path: Path, labels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"ILSVRC2012_val_{i + 1:08d}.JPEG {int(lab)}\n" for i, lab in enumerate(labels)]
    path.write_text("".join(lines), encoding="ascii", newline="\n")


def make_predictions(labels: np.ndarray) -> np.ndarray:
    """The tiny classifier's answer for every sample index (int32, little endian).

    About SUT_TOP1 of the samples get their true label; the others get a
    seeded wrong label.
    """
    rng = np.random.default_rng(SUT_SEED)
    right = rng.random(labels.shape[0]) < SUT_TOP1
    offset = rng.integers(1, NUM_CLASSES, labels.shape[0])
    wrong = (labels.astype(np.int64) + offset) % NUM_CLASSES
    return np.where(right, labels, wrong).astype("<i4")


class TinyNumpySUT:
    """A classifier that looks its answers up in a NumPy table.

    Queries are handed to one worker thread, which answers them in order,
    simulating a device with a fixed per-sample service time, and completes
    each batch with lg.QuerySamplesComplete.  Each response points into a
    NumPy int32 buffer that stays referenced until that call has returned
    (LoadGen copies the bytes it logs during the call).
    """

    def __init__(self, lg, predictions: np.ndarray, service_s_per_sample: float, batch: int):
        self.lg = lg
        self.predictions = predictions
        self.service = service_s_per_sample
        self.batch = max(1, batch)
        self.loaded = np.zeros(predictions.shape[0], dtype=bool)
        self.queue: queue.Queue = queue.Queue()
        self.worker = threading.Thread(target=self._work, name="tiny-sut", daemon=True)
        self.worker.start()

    # QSL callbacks
    def load_samples(self, indices) -> None:
        self.loaded[np.asarray(indices, dtype=np.int64)] = True

    def unload_samples(self, indices) -> None:
        self.loaded[np.asarray(indices, dtype=np.int64)] = False

    # SUT callbacks
    def issue_queries(self, samples) -> None:
        self.queue.put(list(samples))

    def flush_queries(self) -> None:
        pass

    def stop(self) -> None:
        self.queue.put(None)
        self.worker.join()

    def _work(self) -> None:
        lg = self.lg
        while True:
            samples = self.queue.get()
            if samples is None:
                return
            for start in range(0, len(samples), self.batch):
                chunk = samples[start : start + self.batch]
                t0 = time.perf_counter()
                idx = np.fromiter((s.index for s in chunk), dtype=np.int64, count=len(chunk))
                if not self.loaded[idx].all():
                    raise RuntimeError("LoadGen issued a sample that is not loaded")
                answers = np.ascontiguousarray(self.predictions[idx], dtype="<i4")
                _pace(t0 + self.service * len(chunk))
                base = answers.ctypes.data
                responses = [lg.QuerySampleResponse(s.id, base + 4 * k, 4) for k, s in enumerate(chunk)]
                lg.QuerySamplesComplete(responses)
                del answers  # only now may the buffer go


def _pace(deadline: float) -> None:
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        time.sleep(left - 0.0001 if left > 0.0003 else 0)


# --------------------------------------------------------------------------
# Running LoadGen
# --------------------------------------------------------------------------


def run_loadgen(lg, scenario: str, mode: str, predictions: np.ndarray, dest: Path) -> None:
    """Run one LoadGen test and keep only the files a v0.5 submission has.

    dest receives mlperf_log_summary.txt and mlperf_log_detail.txt, plus
    mlperf_log_accuracy.json in accuracy mode.  The trace file (empty here,
    tracing is off) and the performance-mode accuracy log ("[\\n]\\n") are
    dropped.
    """
    plan = PLANS[scenario]
    accuracy = mode == "AccuracyOnly"
    sut_impl = TinyNumpySUT(lg, predictions, 0.0 if accuracy else plan.service_s_per_sample, plan.batch)
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, scenario)
    settings.mode = getattr(lg.TestMode, mode)
    for key, value in {**COMMON_SETTINGS, **plan.settings}.items():
        setattr(settings, key, value)

    with tempfile.TemporaryDirectory(prefix="mlcheck-loadgen-") as tmp:
        out = lg.LogOutputSettings()
        out.outdir = tmp
        out.copy_summary_to_stdout = False
        out.copy_detail_to_stdout = False
        log_settings = lg.LogSettings()
        log_settings.log_output = out
        log_settings.enable_trace = False

        sut = lg.ConstructSUT(sut_impl.issue_queries, sut_impl.flush_queries)
        qsl = lg.ConstructQSL(
            TOTAL_SAMPLES, PERFORMANCE_SAMPLE_COUNT, sut_impl.load_samples, sut_impl.unload_samples
        )
        try:
            # An audit.config in the working directory would silently change the
            # run: point LoadGen at one that cannot exist.
            lg.StartTestWithLogSettings(sut, qsl, settings, log_settings, str(Path(tmp) / "no-audit.config"))
        finally:
            lg.DestroyQSL(qsl)
            lg.DestroySUT(sut)
            sut_impl.stop()

        dest.mkdir(parents=True, exist_ok=True)
        keep = ["mlperf_log_summary.txt", "mlperf_log_detail.txt"]
        if accuracy:
            keep.append("mlperf_log_accuracy.json")
        for name in keep:
            src = Path(tmp) / name
            if not src.is_file() or src.stat().st_size == 0:
                raise RuntimeError(f"LoadGen did not write {name} for {scenario} {mode}")
            shutil.copyfile(src, dest / name)


def run_isolated(scenario: str, mode: str, val_map: Path, dest: Path) -> None:
    """run_loadgen() in a fresh Python process, one LoadGen test per process.

    LoadGen 6.0.17 reports the logging allocations of the previous test's
    threads at the top of the next test's detail log, stamped with a wrapped
    negative time (time_ms ~ 1.8e13): submissions run one test per process,
    and so does this script.
    """
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--run-one",
        scenario,
        mode,
        str(val_map),
        str(dest),
    ]
    subprocess.run(cmd, check=True)


def _run_one(scenario: str, mode: str, val_map: Path, dest: Path) -> int:
    import mlperf_loadgen as lg

    predictions = make_predictions(read_val_map(val_map).astype("<i4"))
    run_loadgen(lg, scenario, mode, predictions, dest)
    return 0


# --------------------------------------------------------------------------
# Accuracy (the v0.5 reference script's result line, computed from the log)
# --------------------------------------------------------------------------


def read_val_map(path: Path) -> np.ndarray:
    labels = []
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip():
            labels.append(int(line.split()[1]))
    return np.asarray(labels, dtype=np.int64)


def score_accuracy_log(accuracy_log: Path, labels: np.ndarray) -> tuple[int, int]:
    """(good, total) of an ImageNet accuracy log: int32 label payloads, first record per qsl_idx."""
    records = json.loads(accuracy_log.read_text(encoding="utf-8"))
    qsl_idx = np.fromiter((r["qsl_idx"] for r in records), dtype=np.int64, count=len(records))
    payload = "".join(r["data"][:8] for r in records)  # first 4 bytes hold the int32 label
    predicted = np.frombuffer(bytes.fromhex(payload), dtype="<i4").astype(np.int64)
    _, first = np.unique(qsl_idx, return_index=True)
    good = int(np.count_nonzero(predicted[first] == labels[qsl_idx[first]]))
    return good, int(first.shape[0])


def accuracy_line(good: int, total: int) -> str:
    return f"accuracy={100.0 * good / total:.3f}%, good={good}, total={total}\n"


# --------------------------------------------------------------------------
# v0.5 text log format
# --------------------------------------------------------------------------

_V05_SCENARIO = {
    "SingleStream": "Single Stream",
    "MultiStream": "Multi Stream",
    "Server": "Server",
    "Offline": "Offline",
}
_V05_MODE = {
    "PerformanceOnly": "Performance",
    "AccuracyOnly": "Accuracy",
    "SubmissionRun": "Submission",
    "FindPeakPerformance": "FindPeakPerformance",
}
# effective_* MLLOG keys -> v0.5 "Effective Settings" labels, in v0.5 order.
_V05_EFFECTIVE = (
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
_V05_REQUESTED_SCENARIO = {
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
_V05_REQUESTED_COMMON = (
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


def _v05_value(value) -> str:
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


def _parse_mllog(detail_lines) -> list[dict]:
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
    detail_lines, summary_text: str, *, crlf: bool = False, nul_after_sut_name: bool = False
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
    values: dict = {}
    for ev in events:
        values.setdefault(ev["key"], ev.get("value"))
    scenario = values.get("effective_scenario") or values.get("requested_scenario")
    mode = values.get("effective_test_mode") or values.get("requested_test_mode")
    if scenario not in _V05_SCENARIO:
        raise ValueError(f"unknown scenario {scenario!r} in the detail log")
    v05_mode = _V05_MODE.get(mode, str(mode))

    out: list[str] = []
    last_ts = [0]

    def emit(ev: dict, text: str) -> None:
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
    generated: dict = {}
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


def _emit_settings(events, scenario: str, v05_mode: str, emit) -> None:
    effective = {e["key"][len("effective_") :]: e for e in events if e["key"].startswith("effective_")}
    requested = {e["key"][len("requested_") :]: e for e in events if e["key"].startswith("requested_")}
    if effective:
        first = next(iter(effective.values()))
        emit(first, "")
        emit(first, "Effective Settings:")
        emit(first, f"Scenario : {_V05_SCENARIO[scenario]}")
        emit(first, f"Test mode : {v05_mode}")
        for name, label in _V05_EFFECTIVE:
            if name in effective:
                emit(effective[name], label + _v05_value(effective[name].get("value")))
    if requested:
        first = next(iter(requested.values()))
        emit(first, "")
        emit(first, "Requested Settings:")
        emit(first, f"Scenario : {_V05_SCENARIO[scenario]}")
        emit(first, f"Test mode : {v05_mode}")
        for name in _V05_REQUESTED_SCENARIO[scenario] + _V05_REQUESTED_COMMON:
            if name in requested:
                emit(requested[name], f"{name} : {_v05_value(requested[name].get('value'))}")
        emit(first, "")


def _v05_summary(values: dict, scenario: str, v05_mode: str, summary_text: str) -> str:
    if "MLPerf Results Summary" not in summary_text:
        return summary_text  # accuracy mode: only the warning/error trailer, same in v0.5
    if scenario == "MultiStream":
        raise ValueError(
            "a LoadGen 6.x MultiStream run has no v0.5 equivalent (no issue interval, "
            "latency metric instead of samples per query)"
        )

    def yes(key: str) -> str:
        return "Yes" if values.get(key) else "NO"

    def res(name: str):
        return values.get(f"result_{name}")

    lines = [_RULE, "MLPerf Results Summary", _RULE]
    lines.append(f"SUT name : {values.get('sut_name', '')}")
    lines.append(f"Scenario : {_V05_SCENARIO[scenario]}")
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
    labels = dict(_V05_EFFECTIVE)
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


# --------------------------------------------------------------------------
# Submission metadata files
# --------------------------------------------------------------------------


def system_description(system: str, note: str) -> dict:
    return {
        "submitter": SUBMITTER,
        "division": DIVISION,
        "status": "available",
        "system_name": system,
        "number_of_nodes": 1,
        "host_processor_model_name": "Generic x86-64 CPU",
        "host_processors_per_node": 1,
        "host_processor_core_count": 2,
        "host_memory_capacity": "8GB",
        "host_storage_capacity": "64GB",
        "host_storage_type": "SSD",
        "accelerators_per_node": 0,
        "accelerator_model_name": "N/A",
        "accelerator_memory_capacity": "N/A",
        "accelerator_memory_configuration": "N/A",
        "framework": "NumPy",
        "operating_system": "Linux",
        "other_software_stack": "Python 3, MLPerf LoadGen 6.0.17 (mlcommons-loadgen)",
        "sw_notes": note,
    }


IMPLEMENTATION_JSON = {
    "input_data_types": "int32",
    "retraining": "N",
    "starting_weights_filename": "N/A (table lookup, no weights)",
    "weight_data_types": "N/A",
    "weight_transformations": "none",
}


def mlperf_conf_text() -> str:
    """The v0.5 round's mlperf.conf values that apply to resnet50 (wildcard and resnet50 lines)."""
    return "\n".join(
        [
            "# MLPerf Inference v0.5 settings of the round that apply to resnet50.",
            "# Format: 'model.scenario.key = value'; '*' is a wildcard; times in milliseconds.",
            "# user.conf beside this file is applied after it.",
            "",
            f"{CONF_MODEL}.*.performance_sample_count_override = {PERFORMANCE_SAMPLE_COUNT}",
            "",
            f"*.*.qsl_rng_seed = {QSL_RNG_SEED}",
            f"*.*.sample_index_rng_seed = {SAMPLE_INDEX_RNG_SEED}",
            f"*.*.schedule_rng_seed = {SCHEDULE_RNG_SEED}",
            "",
            "*.SingleStream.target_latency = 10",
            "*.SingleStream.target_latency_percentile = 90",
            "*.SingleStream.min_duration = 60000",
            "*.SingleStream.min_query_count = 1024",
            "",
            "*.MultiStream.target_qps = 20",
            "*.MultiStream.target_latency_percentile = 99",
            "*.MultiStream.samples_per_query = 4",
            "*.MultiStream.max_async_queries = 1",
            "*.MultiStream.target_latency = 50",
            "*.MultiStream.min_duration = 60000",
            "*.MultiStream.min_query_count = 270336",
            "",
            "*.Server.target_qps = 1.0",
            "*.Server.target_latency = 10",
            "*.Server.target_latency_percentile = 99",
            "*.Server.target_duration = 0",
            "*.Server.min_duration = 60000",
            "*.Server.min_query_count = 270336",
            f"{CONF_MODEL}.Server.target_latency = 15",
            "",
            "*.Offline.target_qps = 1.0",
            "*.Offline.target_latency_percentile = 90",
            "*.Offline.min_duration = 60000",
            "*.Offline.min_query_count = 1",
            "",
        ]
    )


def user_conf_text(scenario: str) -> str:
    return "\n".join(
        [
            "# Overrides of this sample run, applied after mlperf.conf.",
            "# Durations and query counts are deliberately below the v0.5 minimums:",
            "# this is mlcheck's small sample submission, not a valid result.",
            *PLANS[scenario].user_conf,
            "",
        ]
    )


def measurement_readme(system: str, scenario: str, v05text: bool) -> str:
    plan = PLANS[scenario]
    settings = {**COMMON_SETTINGS, **plan.settings}
    rows = "\n".join(f"| `{k}` | {v} |" for k, v in settings.items())
    extra = (
        "\nThe logs of this system are the `tiny_cpu` runs converted to the v0.5 LoadGen text\n"
        "format by `mllog_to_v05_text()` in `reference_logs/generate.py`.\n"
        if v05text
        else ""
    )
    return (
        f"# {system} / {BENCHMARK} / {scenario}\n\n"
        "Generated, with the other results of this sample submission, by\n\n"
        "```\npython reference_logs/generate.py\n```\n\n"
        "It runs MLPerf LoadGen 6.0.17 (`mlcommons-loadgen`, `import mlperf_loadgen`)\n"
        "in `AccuracyOnly` mode (all 50,000 samples) and in `PerformanceOnly` mode\n"
        f"({SERVER_RUNS if scenario == 'Server' else 1} run{'s' if scenario == 'Server' else ''}) "
        "against the tiny NumPy SUT described in\n"
        f"`code/{BENCHMARK}/{IMPLEMENTATION}/README.md`, with these TestSettings:\n\n"
        "| TestSettings field | value |\n|---|---|\n"
        f"{rows}\n"
        f"{extra}\n"
        "Durations and query counts are deliberately below the v0.5 minimums.\n"
    )


CODE_README = f"""# Tiny NumPy SUT for {BENCHMARK} (mlcheck sample submission)

Not a neural network: a deterministic table-lookup "classifier" that exists only
to drive the real MLPerf LoadGen and produce genuine logs for mlcheck's sample
submission. Its source is `reference_logs/generate.py` in the mlcheck repository.

- For sample index `i` it answers the label from the (synthetic, seeded)
  `val_map.txt` for about {SUT_TOP1:.1%} of the samples and a seeded wrong label
  for the others; the answer is an int32, 4 bytes little endian, the payload
  format of the v0.5 ResNet-50 reference implementation.
- One worker thread answers queries in order and completes them with
  `QuerySamplesComplete`, simulating a fixed per-sample service time in
  performance runs; accuracy runs are not paced. Service times: {{service}}.
"""


def code_readme() -> str:
    service = ", ".join(
        f"{name} {plan.service_s_per_sample * 1e6:g} us"
        + (f" in batches of {plan.batch}" if plan.batch > 1 else "")
        for name, plan in PLANS.items()
    )
    return CODE_README.replace("{service}", service)


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_measurements(root: Path, system: str, scenario: str, v05text: bool) -> None:
    d = root / "measurements" / system / BENCHMARK / scenario
    write_text(d / "mlperf.conf", mlperf_conf_text())
    write_text(d / "user.conf", user_conf_text(scenario))
    write_text(d / "README.md", measurement_readme(system, scenario, v05text))
    write_json(d / f"{system}_{IMPLEMENTATION}.json", IMPLEMENTATION_JSON)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate mlcheck's MLPerf Inference v0.5-layout sample submission "
        "with the real LoadGen and a tiny NumPy SUT."
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "inference_v0.5",
        help="root of the v0.5 tree to write (default: reference_logs/inference_v0.5)",
    )
    parser.add_argument(
        "--datasets",
        type=Path,
        default=None,
        help="where imagenet/val_map.txt goes (default: OUT/../datasets)",
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=SCENARIOS,
        default=list(SCENARIOS),
        help="run only these scenarios (for development; the committed sample has all four)",
    )
    parser.add_argument("--run-one", nargs=4, help=argparse.SUPPRESS)  # internal: one LoadGen test
    args = parser.parse_args(argv)
    if args.run_one:
        scenario, mode, val_map_arg, dest_arg = args.run_one
        return _run_one(scenario, mode, Path(val_map_arg), Path(dest_arg))

    try:
        import mlperf_loadgen  # noqa: F401  (used by the child processes)
    except ImportError:
        print("error: needs MLPerf LoadGen: pip install mlcommons-loadgen", file=sys.stderr)
        return 2

    out: Path = args.out
    datasets: Path = args.datasets or out.parent / "datasets"
    val_map = datasets / "imagenet" / "val_map.txt"
    root = out / DIVISION / SUBMITTER
    if root.exists():
        shutil.rmtree(root)

    labels = make_labels()
    write_val_map(val_map, labels)
    labels = read_val_map(val_map)  # score against the file as written

    write_json(
        root / "systems" / f"{SYSTEM}.json",
        system_description(SYSTEM, "Sample system of mlcheck; logs written by LoadGen 6.0.17 (MLLOG)."),
    )
    write_text(root / "code" / BENCHMARK / IMPLEMENTATION / "README.md", code_readme())

    started = time.monotonic()
    for scenario in args.scenarios:
        results = root / "results" / SYSTEM / BENCHMARK / scenario
        write_measurements(root, SYSTEM, scenario, v05text=False)

        acc_dir = results / "accuracy"
        print(f"[{time.monotonic() - started:6.1f}s] {scenario} accuracy", flush=True)
        run_isolated(scenario, "AccuracyOnly", val_map, acc_dir)
        good, total = score_accuracy_log(acc_dir / "mlperf_log_accuracy.json", labels)
        write_text(acc_dir / "accuracy.txt", accuracy_line(good, total))
        print(f"          {accuracy_line(good, total).strip()}", flush=True)

        runs = SERVER_RUNS if scenario == "Server" else 1
        for run in range(1, runs + 1):
            print(f"[{time.monotonic() - started:6.1f}s] {scenario} performance run_{run}", flush=True)
            run_isolated(scenario, "PerformanceOnly", val_map, results / "performance" / f"run_{run}")

    # The same runs, in the v0.5 text format.
    converted = [s for s in V05TEXT_SCENARIOS if s in args.scenarios]
    if converted:
        write_json(
            root / "systems" / f"{SYSTEM_V05TEXT}.json",
            system_description(
                SYSTEM_V05TEXT,
                "Sample system of mlcheck; the tiny_cpu LoadGen 6.0.17 runs converted to the v0.5 text log format.",
            ),
        )
    for scenario in converted:
        write_measurements(root, SYSTEM_V05TEXT, scenario, v05text=True)
        src = root / "results" / SYSTEM / BENCHMARK / scenario
        dst = root / "results" / SYSTEM_V05TEXT / BENCHMARK / scenario
        # Real v0.5 logs have CRLF line ends and NUL bytes in places: the
        # SingleStream detail logs carry both, so parsers meet them.
        odd = scenario == "SingleStream"
        convert_run(src / "accuracy", dst / "accuracy", crlf=odd, nul=odd)
        convert_run(src / "performance" / "run_1", dst / "performance" / "run_1", crlf=odd, nul=odd)

    print(f"[{time.monotonic() - started:6.1f}s] done: {root}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
