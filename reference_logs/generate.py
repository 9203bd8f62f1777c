#!/usr/bin/env python3
"""Generate mlcheck's embedded MLPerf Inference v0.5-layout sample submission.

The logs are produced by the real MLPerf LoadGen (Python bindings from the
``mlcommons-loadgen`` package, ``import mlperf_loadgen``) driving a tiny NumPy
"system under test".  LoadGen 6.x writes ``:::MLLOG {json}`` detail logs; a
second system (``tiny_cpu_v05text``) carries the same runs converted to the
v0.5 text log format by :func:`mllog_to_v05_text`, so that both log dialects
can be exercised.

Usage::

    python reference_logs/generate.py [--out DIR] [--datasets DIR] [--no-audit]

The default output is ``reference_logs/inference_v0.5`` (and the synthetic
ImageNet label map goes to ``reference_logs/datasets``).  The run takes about
two and a half minutes on two cores; most of it is the Server accuracy run,
which LoadGen paces at the Server target QPS over all 50,000 samples.

Deterministic: the label map, the SUT's answers, the accuracy logs'
content and the accuracy result, all settings and the file layout.  Not
deterministic: timestamps, latencies, throughput, query counts of the
duration-bound runs, and the order of records in the accuracy logs.

The durations and query counts are deliberately far below the v0.5 minimums
(60 s, 1024 / 270,336 queries): this is a small sample, and the real v0.5 rules
must report exactly those shortfalls on it.

Every result also gets the v0.5 compliance (audit) tests, TEST01, TEST03,
TEST04-A/B and TEST05, as LoadGen runs with the settings of each test's v0.5
audit.config, under ``audit/<system>/resnet/<Scenario>/``, with the outputs of
the v0.5 verify scripts computed from the shipped logs (:func:`run_audit`).
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

# Compliance (audit) tests of the v0.5 round: the settings of its audit.config
# files (audit/nvidia/TEST*/ in the v0.5 inference repository).
AUDIT_TESTS = ("TEST01", "TEST03", "TEST04-A", "TEST04-B", "TEST05")
# TEST01: log a sample of the responses in performance mode ("accuracy_log_probability
# = 10" per cent in audit.config), with one accuracy-log seed per scenario.
TEST01_ACCURACY_LOG_PROBABILITY = 0.1
TEST01_ACCURACY_LOG_RNG_SEED = {"MultiStream": 123, "Offline": 456, "SingleStream": 789, "Server": 147}
# TEST04-B: issue the same sample (this index of the loaded set) every time.
TEST04B_SAME_INDEX = 3
# TEST05: the round's three seeds replaced by these (the same for every scenario).
TEST05_SEEDS = {"qsl_rng_seed": 195, "sample_index_rng_seed": 235, "schedule_rng_seed": 634}
# TEST03: a modified data set (v0.5: one colour channel of every image set to 0).  The
# table-lookup SUT models the changed inputs with a second answer table in which this
# share of the samples (seeded) get another answer.  TEST03's README asks for one
# accuracy run per benchmark on the modified data; this sample makes it in Offline.
MODIFIED_DATA_SEED = 3
MODIFIED_DATA_CHANGED = 0.10
TEST03_ACCURACY_SCENARIO = "Offline"
# A compliance test whose recomputed verdict fails (a busy machine can slow a 1 s run
# by more than the 10 % allowed) is run again, as a submitter re-runs a disturbed
# audit, at most this many times in all; the verify outputs are always those of the
# shipped run.
AUDIT_ATTEMPTS = 3


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


def make_modified_predictions(labels: np.ndarray) -> np.ndarray:
    """The tiny classifier's answers on TEST03's modified data set.

    A seeded MODIFIED_DATA_CHANGED share of the samples get a seeded answer
    other than their answer on the original data; the rest keep it.
    """
    base = make_predictions(labels).astype(np.int64)
    rng = np.random.default_rng(MODIFIED_DATA_SEED)
    changed = rng.random(base.shape[0]) < MODIFIED_DATA_CHANGED
    other = (base + rng.integers(1, NUM_CLASSES, base.shape[0])) % NUM_CLASSES
    return np.where(changed, other, base).astype("<i4")


DATASETS = {"original": make_predictions, "modified": make_modified_predictions}


class TinyNumpySUT:
    """A classifier that looks its answers up in a NumPy table.

    Queries are handed to one worker thread, which answers them in order,
    simulating a device with a fixed per-sample service time, and completes
    each batch with lg.QuerySamplesComplete.  The simulated device starts a
    batch when the query has arrived (the time issue_queries was called) and
    it has finished the previous batch, so the Python overhead of handing a
    query over and building its responses overlaps the service time instead
    of adding to it.  Each response points into a NumPy int32 buffer that
    stays referenced until that call has returned (LoadGen copies the bytes
    it logs during the call).
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
        self.queue.put((time.perf_counter(), list(samples)))

    def flush_queries(self) -> None:
        pass

    def stop(self) -> None:
        self.queue.put(None)
        self.worker.join()

    def _work(self) -> None:
        lg = self.lg
        device_free = 0.0  # when the simulated device finishes the batches it has started
        while True:
            item = self.queue.get()
            if item is None:
                return
            arrived, samples = item
            for start in range(0, len(samples), self.batch):
                chunk = samples[start : start + self.batch]
                idx = np.fromiter((s.index for s in chunk), dtype=np.int64, count=len(chunk))
                if not self.loaded[idx].all():
                    raise RuntimeError("LoadGen issued a sample that is not loaded")
                answers = np.ascontiguousarray(self.predictions[idx], dtype="<i4")
                base = answers.ctypes.data
                responses = [lg.QuerySampleResponse(s.id, base + 4 * k, 4) for k, s in enumerate(chunk)]
                device_free = max(device_free, arrived) + self.service * len(chunk)
                _pace(device_free)
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


def run_loadgen(
    lg,
    scenario: str,
    mode: str,
    predictions: np.ndarray,
    dest: Path,
    extra: dict | None = None,
    keep_accuracy_log: bool = False,
) -> None:
    """Run one LoadGen test and keep only the files a v0.5 submission has.

    dest receives mlperf_log_summary.txt and mlperf_log_detail.txt, plus
    mlperf_log_accuracy.json in accuracy mode (and in performance mode with
    keep_accuracy_log: TEST01's sampled responses).  The trace file (empty
    here, tracing is off) and an empty performance-mode accuracy log
    ("[\\n]\\n") are dropped.  extra: TestSettings fields set on top of the
    scenario's (a compliance test's settings).
    """
    plan = PLANS[scenario]
    accuracy = mode == "AccuracyOnly"
    sut_impl = TinyNumpySUT(lg, predictions, 0.0 if accuracy else plan.service_s_per_sample, plan.batch)
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, scenario)
    settings.mode = getattr(lg.TestMode, mode)
    for key, value in {**COMMON_SETTINGS, **plan.settings, **(extra or {})}.items():
        if not hasattr(settings, key):
            raise ValueError(f"LoadGen TestSettings has no field {key!r}")
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
        if accuracy or keep_accuracy_log:
            keep.append("mlperf_log_accuracy.json")
        for name in keep:
            src = Path(tmp) / name
            if not src.is_file() or src.stat().st_size == 0:
                raise RuntimeError(f"LoadGen did not write {name} for {scenario} {mode}")
            shutil.copyfile(src, dest / name)


def run_isolated(
    scenario: str,
    mode: str,
    val_map: Path,
    dest: Path,
    *,
    extra: dict | None = None,
    dataset: str = "original",
    keep_accuracy_log: bool = False,
) -> None:
    """run_loadgen() in a fresh Python process, one LoadGen test per process.

    LoadGen 6.0.17 reports the logging allocations of the previous test's
    threads at the top of the next test's detail log, stamped with a wrapped
    negative time (time_ms ~ 1.8e13): submissions run one test per process,
    and so does this script.  dataset: "original" or TEST03's "modified".
    """
    opts = {"extra": extra or {}, "dataset": dataset, "keep_accuracy_log": keep_accuracy_log}
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--run-one",
        scenario,
        mode,
        str(val_map),
        str(dest),
        "--run-opts",
        json.dumps(opts),
    ]
    subprocess.run(cmd, check=True)


def _run_one(scenario: str, mode: str, val_map: Path, dest: Path, opts: dict) -> int:
    import mlperf_loadgen as lg

    predictions = DATASETS[opts.get("dataset", "original")](read_val_map(val_map).astype("<i4"))
    run_loadgen(
        lg,
        scenario,
        mode,
        predictions,
        dest,
        extra=opts.get("extra"),
        keep_accuracy_log=bool(opts.get("keep_accuracy_log")),
    )
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
        "Durations and query counts are deliberately below the v0.5 minimums.\n\n"
        "The compliance tests of this result (TEST01, TEST03, TEST04-A/B, TEST05) are in\n"
        f"`audit/{system}/{BENCHMARK}/{scenario}/`, made the same way with the settings of each\n"
        "test's v0.5 audit.config; `reference_logs/README.md` in the mlcheck repository\n"
        "lists them.\n"
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
  `QuerySamplesComplete`, simulating a device with a fixed per-sample service
  time in performance runs (a batch starts when its query has arrived and the
  previous batch is done); accuracy runs are not paced. Service times: {{service}}.
- On the modified data set of compliance test TEST03 it uses a second table, in
  which a seeded {MODIFIED_DATA_CHANGED:.0%} of the samples get another answer.
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


# --------------------------------------------------------------------------
# Compliance (audit) tests, and what the v0.5 verify scripts print about them
# --------------------------------------------------------------------------

SUMMARY = "mlperf_log_summary.txt"
DETAIL = "mlperf_log_detail.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"

# The result line each v0.5 verify script reads, by the v0.5 scenario name.
_V05_SCORE_LINE = {
    "Single Stream": re.compile(r"90(?:\.0)?th percentile latency"),  # 6.x: "90.0th percentile ..."
    "Multi Stream": re.compile(r"Samples per query"),
    "Server": re.compile(r"Scheduled samples per second"),
    "Offline": re.compile(r"Samples per second"),
}
_ERROR_COUNT_LINE = re.compile(r"\d+ ERROR")
_PARAMETER_LINE = re.compile(r"([a-z_]+) : (.*)$")


@dataclass
class SummaryScan:
    """What a v0.5 verify script reads from one mlperf_log_summary.txt."""

    scenario: str = ""  # v0.5 spelling: "Single Stream", "Multi Stream", "Server", "Offline"
    score: str = "0"  # as printed in the summary (the scripts start from 0)
    invalid: bool = False
    error_counts: list = field(default_factory=list)  # N of each "N ERROR encountered" line read
    parameters: dict = field(default_factory=dict)
    stopped_at: str | None = None  # the value on the line where the reading stopped


def scan_summary(text: str, stop_at: str | None = None) -> SummaryScan:
    """Read a summary line by line the way the v0.5 verify scripts do.

    Two adaptations make the same reading work on LoadGen 6.x summaries: the
    6.x scenario names (SingleStream, ...) map to the v0.5 ones, and a 6.x
    MultiStream summary, which has no v0.5 "Samples per query" result line,
    gives the samples_per_query of its "Test Parameters Used" (the v0.5
    MultiStream metric, the number of streams).  stop_at: stop at the first
    line that starts with it, as verify_test4_performance.py does at
    performance_issue_unique / performance_issue_same (so it never reaches
    the error count at the end of the summary).
    """
    out = SummaryScan()
    score = None
    for line in text.splitlines():
        if line.startswith("Scenario"):
            name = line.split(": ", 1)[1].strip()
            out.scenario = _V05_SCENARIO.get(name, name)
            continue
        pattern = _V05_SCORE_LINE.get(out.scenario)
        if pattern is not None and pattern.match(line):
            score = line.split(": ", 1)[1].strip()
            continue
        if line.startswith("Result is"):
            out.invalid = line.split(": ", 1)[1].strip() == "INVALID"
        if _ERROR_COUNT_LINE.match(line):
            out.error_counts.append(line.split(" ", 1)[0])
        m = _PARAMETER_LINE.match(line)
        if m:
            out.parameters[m.group(1)] = m.group(2).strip()
        if stop_at is not None and line.startswith(stop_at):
            out.stopped_at = line.split(": ", 1)[1].strip()
            break
    if score is None and out.scenario == "Multi Stream":
        score = out.parameters.get("samples_per_query")
    out.score = score if score is not None else "0"
    return out


def _threshold(scan: SummaryScan) -> float:
    # verify_performance.py: "In single stream mode, latencies can be very short for high
    # performance systems ... In this case we relax pass threshold to 20%".
    return 0.20 if scan.scenario == "Single Stream" and float(scan.score) <= 200000 else 0.10


def _output(lines: list) -> str:
    return "\n".join(lines) + "\n"


def verify_performance_text(reference_summary: str, test_summary: str) -> str:
    """What v0.5 verify_performance.py (TEST01, TEST03, TEST05) prints for -r reference -t test.

    Its early exits (sys.exit with a message) are written as if stderr were
    captured too.
    """
    out = ["Verifying performance."]
    ref, test = scan_summary(reference_summary), scan_summary(test_summary)
    if ref.invalid:
        return _output(out + ["TEST FAIL: Reference results are invalid"])
    out += [f"WARNING: {n} ERROR reported in reference results" for n in ref.error_counts]
    if test.invalid:
        return _output(out + ["TEST FAIL: Test results are invalid"])
    out += [f"WARNING: {n} ERROR reported in test results" for n in test.error_counts]
    if test.scenario != ref.scenario:
        return _output(out + ["Test and reference scenarios do not match!"])
    out += [f"reference score = {ref.score}", f"test score = {test.score}"]
    r, t, th = float(ref.score), float(test.score), _threshold(ref)
    out.append("TEST PASS" if r * (1 - th) < t < r * (1 + th) else "TEST FAIL: Test score invalid")
    return _output(out)


def verify_test4_text(test04a_summary: str, test04b_summary: str) -> str:
    """What v0.5 verify_test4_performance.py prints for -u TEST04-A -s TEST04-B.

    6.x summaries print the issue settings as 1/0 where v0.5 printed true/false.
    """
    out = ["Verifying performance."]
    a = scan_summary(test04a_summary, stop_at="performance_issue_unique")
    out += [f"WARNING: {n} ERROR reported in TEST04-A results" for n in a.error_counts]
    if a.stopped_at in ("false", "0"):
        return _output(out + ["TEST FAIL: Invalid test settings in TEST04-A summary."])
    b = scan_summary(test04b_summary, stop_at="performance_issue_same")
    out += [f"WARNING: {n} ERROR reported in TEST04-B results" for n in b.error_counts]
    if b.stopped_at in ("false", "0"):
        return _output(out + ["TEST FAIL: Invalid test settings in TEST04-B summary."])
    if b.scenario != a.scenario:
        return _output(out + ["Test and reference scenarios do not match!"])
    out += [f"TEST04-A score = {a.score}", f"TEST04-B score = {b.score}"]
    r, t, th = float(a.score), float(b.score), _threshold(a)
    latency = a.scenario == "Single Stream"  # lower is faster
    if r * (1 - th) < t < r * (1 + th):
        out.append("TEST PASS")
    elif (t > r) if latency else (t < r):
        out += ["TEST PASS", "Note: TEST04-B is significantly slower than TEST04-A"]
    else:
        out.append("TEST FAIL: Test score invalid")
    return _output(out)


def verify_accuracy_text(accuracy_log: Path, sampled_log: Path) -> str:
    """What v0.5 verify_accuracy.py (TEST01) prints for -a accuracy run's log -p sampled log.

    Its comparison, with its default --dtype byte: the first byte of each
    sampled response against the accuracy run's response for the same
    qsl_idx (the first one logged; a later sampled entry for an index is
    compared with the one before it, as the script does).
    """
    acc_data = json.loads(accuracy_log.read_text(encoding="utf-8"))
    perf_data = json.loads(sampled_log.read_text(encoding="utf-8"))
    results: dict = {}
    acc_duplicate_keys = acc_data_mismatch = 0
    perf_qsl_idx_match = perf_data_mismatch = missing_qsl_idxs = 0
    for sample in acc_data:
        qsl_idx, data = sample["qsl_idx"], sample["data"]
        if qsl_idx in results:
            acc_duplicate_keys += 1
            if results[qsl_idx] != data:
                acc_data_mismatch += 1
        else:
            results[qsl_idx] = data
    for sample in perf_data:
        qsl_idx = sample["qsl_idx"]
        data = np.frombuffer(bytes.fromhex(sample["data"]), np.byte)
        if qsl_idx in results:
            perf_qsl_idx_match += 1
            before = np.frombuffer(bytes.fromhex(results[qsl_idx]), np.byte)
            if before.size and data.size and data[0] != before[0]:
                perf_data_mismatch += 1
        else:
            missing_qsl_idxs += 1
        results[qsl_idx] = sample["data"]
    return _output(
        [
            "Verifying accuracy. This might take a while...",
            "Reading accuracy mode results...",
            "Reading performance mode results...",
            f"num_acc_log_entries = {len(acc_data)}",
            f"num_acc_log_duplicate_keys = {acc_duplicate_keys}",
            f"num_acc_log_data_mismatch = {acc_data_mismatch}",
            f"num_perf_log_entries = {len(perf_data)}",
            f"num_perf_log_qsl_idx_match = {perf_qsl_idx_match}",
            f"num_perf_log_data_mismatch = {perf_data_mismatch}",
            f"num_missing_qsl_idxs = {missing_qsl_idxs}",
            "TEST FAIL\n" if perf_data_mismatch > 0 else "TEST PASS\n",
        ]
    )


def verdict(verify_output: str) -> str:
    """PASS when a verify output says TEST PASS and nowhere TEST FAIL."""
    lines = [ln.strip() for ln in verify_output.splitlines()]
    if any(ln.startswith(("TEST FAIL", "Test and reference")) for ln in lines):
        return "FAIL"
    return "PASS" if "TEST PASS" in lines else "FAIL"


def audit_settings(test: str, scenario: str) -> dict:
    """The TestSettings a compliance test sets on top of the result's (its audit.config)."""
    if test == "TEST01":
        return {
            "accuracy_log_rng_seed": TEST01_ACCURACY_LOG_RNG_SEED[scenario],
            "accuracy_log_probability": TEST01_ACCURACY_LOG_PROBABILITY,
            # LoadGen 6.x: a non-zero sampling target would replace the probability.
            "accuracy_log_sampling_target": 0,
        }
    if test == "TEST04-A":
        return {"performance_issue_unique": True}
    if test == "TEST04-B":
        return {"performance_issue_same": True, "performance_issue_same_index": TEST04B_SAME_INDEX}
    if test == "TEST05":
        return dict(TEST05_SEEDS)
    return {}  # TEST03: the result's settings, on the modified data set


def write_verify_outputs(audit_dir: Path, result_dir: Path) -> dict:
    """Write the verify scripts' outputs for one result's compliance tests.

    The reference is the result's performance/run_1 summary and, for TEST01's
    responses, its accuracy run's log.  Returns {output path: PASS/FAIL}.
    """
    reference = (result_dir / "performance" / "run_1" / SUMMARY).read_text(encoding="utf-8")

    def run_dir(test: str) -> Path:
        return audit_dir / test / "performance" / "run_1"

    def summary(test: str) -> str:
        return (run_dir(test) / SUMMARY).read_text(encoding="utf-8")

    outputs = {
        "TEST01/verify_accuracy.txt": verify_accuracy_text(
            result_dir / "accuracy" / ACCURACY_LOG, run_dir("TEST01") / ACCURACY_LOG
        ),
        "TEST01/verify_performance.txt": verify_performance_text(reference, summary("TEST01")),
        "TEST03/verify_performance.txt": verify_performance_text(reference, summary("TEST03")),
        "TEST04-A/verify_test4_performance.txt": verify_test4_text(summary("TEST04-A"), summary("TEST04-B")),
        "TEST05/verify_performance.txt": verify_performance_text(reference, summary("TEST05")),
    }
    for rel, text in outputs.items():
        write_text(audit_dir / rel, text)
    return {str(audit_dir / rel): verdict(text) for rel, text in outputs.items()}


def run_audit(root: Path, scenario: str, val_map: Path, labels: np.ndarray, log) -> dict:
    """Run the compliance tests of the tiny_cpu result of one scenario with LoadGen.

    Layout (v0.5): audit/<system>/<benchmark>/<scenario>/<TEST>/ with the
    test's run in performance/run_1/ and the verify outputs beside; TEST01's
    sampled responses also in accuracy/, TEST03's accuracy run on the
    modified data set in accuracy/ (TEST03_ACCURACY_SCENARIO only).
    Returns the verdicts of the verify outputs written.
    """
    result_dir = root / "results" / SYSTEM / BENCHMARK / scenario
    audit_dir = root / "audit" / SYSTEM / BENCHMARK / scenario
    reference = (result_dir / "performance" / "run_1" / SUMMARY).read_text(encoding="utf-8")

    def performance_run(test: str, attempt: int) -> str:
        dest = audit_dir / test / "performance" / "run_1"
        if dest.exists():
            shutil.rmtree(dest)
        log(f"{scenario} {test} performance" + (f" (attempt {attempt})" if attempt > 1 else ""))
        run_isolated(
            scenario,
            "PerformanceOnly",
            val_map,
            dest,
            extra=audit_settings(test, scenario),
            dataset="modified" if test == "TEST03" else "original",
            keep_accuracy_log=test == "TEST01",
        )
        return (dest / SUMMARY).read_text(encoding="utf-8")

    def until_pass(name: str, attempt_fn) -> None:
        for attempt in range(1, AUDIT_ATTEMPTS + 1):
            text = attempt_fn(attempt)
            if verdict(text) == "PASS":
                return
            scores = ", ".join(ln for ln in text.splitlines() if "score" in ln)
            again = "running it again" if attempt < AUDIT_ATTEMPTS else "keeping this run"
            print(f"          {name} fails on this run ({scores}); {again}", flush=True)

    for test in ("TEST01", "TEST03", "TEST05"):
        until_pass(
            test,
            lambda attempt, test=test: verify_performance_text(reference, performance_run(test, attempt)),
        )
    until_pass(
        "TEST04",
        lambda attempt: verify_test4_text(
            performance_run("TEST04-A", attempt), performance_run("TEST04-B", attempt)
        ),
    )

    # The accuracy/ folder of TEST01 holds the accuracy log the test produced: the
    # sampled responses of its performance run.
    sampled = audit_dir / "TEST01" / "performance" / "run_1" / ACCURACY_LOG
    (audit_dir / "TEST01" / "accuracy").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sampled, audit_dir / "TEST01" / "accuracy" / ACCURACY_LOG)
    if scenario == TEST03_ACCURACY_SCENARIO:
        acc_dir = audit_dir / "TEST03" / "accuracy"
        log(f"{scenario} TEST03 accuracy (modified data set)")
        run_isolated(scenario, "AccuracyOnly", val_map, acc_dir, dataset="modified")
        good, total = score_accuracy_log(acc_dir / ACCURACY_LOG, labels)
        write_text(acc_dir / "accuracy.txt", accuracy_line(good, total))
        print(f"          TEST03 {accuracy_line(good, total).strip()}", flush=True)
    return write_verify_outputs(audit_dir, result_dir)


def convert_audit(root: Path, scenario: str, *, crlf: bool, nul: bool) -> dict:
    """The tiny_cpu compliance tests of one scenario, in the v0.5 text format, for tiny_cpu_v05text.

    The verify outputs are computed again, against the tiny_cpu_v05text result.
    """
    src = root / "audit" / SYSTEM / BENCHMARK / scenario
    dst = root / "audit" / SYSTEM_V05TEXT / BENCHMARK / scenario
    for test in AUDIT_TESTS:
        convert_run(
            src / test / "performance" / "run_1", dst / test / "performance" / "run_1", crlf=crlf, nul=nul
        )
        acc = src / test / "accuracy"
        if (acc / DETAIL).is_file():
            convert_run(acc, dst / test / "accuracy", crlf=crlf, nul=nul)
        elif acc.is_dir():
            (dst / test / "accuracy").mkdir(parents=True, exist_ok=True)
            for f in acc.iterdir():
                shutil.copyfile(f, dst / test / "accuracy" / f.name)
    return write_verify_outputs(dst, root / "results" / SYSTEM_V05TEXT / BENCHMARK / scenario)


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
    parser.add_argument(
        "--no-audit",
        action="store_true",
        help="skip the compliance tests (for development; the committed sample has them)",
    )
    parser.add_argument("--run-one", nargs=4, help=argparse.SUPPRESS)  # internal: one LoadGen test
    parser.add_argument("--run-opts", default="{}", help=argparse.SUPPRESS)  # internal: its options (JSON)
    args = parser.parse_args(argv)
    if args.run_one:
        scenario, mode, val_map_arg, dest_arg = args.run_one
        return _run_one(scenario, mode, Path(val_map_arg), Path(dest_arg), json.loads(args.run_opts))

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

    def log(what: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {what}", flush=True)

    verdicts: dict = {}
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

        if not args.no_audit:
            verdicts.update(run_audit(root, scenario, val_map, labels, log))

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
        if not args.no_audit:
            verdicts.update(convert_audit(root, scenario, crlf=odd, nul=odd))

    failed = sorted(str(Path(p).relative_to(root)) for p, v in verdicts.items() if v != "PASS")
    if verdicts:
        print(
            f"          verify outputs: {len(verdicts) - len(failed)} of {len(verdicts)} say TEST PASS",
            flush=True,
        )
    for rel in failed:
        print(f"          TEST FAIL: {rel}", flush=True)
    log(f"done: {root}")
    if failed:
        print(
            "error: compliance tests fail (a busy machine slows the short runs); generate the sample again",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
