"""The v0.5 sample: ``reference_logs/inference_v0.5``, a v0.5-layout submission made with LoadGen.

The logs are produced by the real MLPerf LoadGen (Python bindings from the
``mlcommons-loadgen`` package, ``import mlperf_loadgen``) driving the tiny NumPy SUT.
LoadGen 6.x writes ``:::MLLOG {json}`` detail logs; a second system (``tiny_cpu_v05text``)
carries the same runs converted to the v0.5 text log format by
:func:`generator.v05text.mllog_to_v05_text`, so that both log dialects can be exercised.

Deterministic: the label map, the SUT's answers, the accuracy logs' content and the
accuracy result, all settings and the file layout. Not deterministic: timestamps,
latencies, throughput, query counts of the duration-bound runs, and the order of
records in the accuracy logs.

The durations and query counts are deliberately far below the v0.5 minimums (60 s,
1024 / 270,336 queries): this is a small sample, and the real v0.5 rules must report
exactly those shortfalls on it.

Every result also gets the v0.5 compliance (audit) tests, TEST01, TEST03, TEST04-A/B
and TEST05, as LoadGen runs with the settings of each test's v0.5 audit.config, under
``audit/<system>/resnet/<Scenario>/``, with the outputs of the v0.5 verify scripts
computed from the shipped logs (:func:`run_audit`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .imagenet import (
    SUT_TOP1,
    TOTAL_SAMPLES,
    accuracy_line,
    make_labels,
    make_modified_predictions,
    make_predictions,
    read_val_map,
    score_accuracy_log,
    write_val_map,
)
from .runner import RunSpec, run_isolated
from .sut import ResponseTable
from .tree import ACCURACY_LOG, DETAIL, SUMMARY, read_text, write_json, write_text
from .tree import system_description as sample_system
from .v05text import convert_run
from .verify import (
    until_pass,
    until_valid,
    verdict,
    verify_accuracy_text,
    verify_performance_text,
    verify_test4_text,
)

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

PERFORMANCE_SAMPLE_COUNT = 1024  # v0.5 value for resnet50

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
# A result whose compliance tests still fail against its performance run_1 (a run_1 that a
# busy machine slowed) gets its performance runs and tests made again, once.
RESULT_ATTEMPTS = 2


@dataclass(frozen=True)
class ScenarioPlan:
    """LoadGen TestSettings of one scenario plus the SUT's simulated service time."""

    settings: dict[str, Any]
    # Simulated device time, per sample, in performance runs (seconds).  The
    # accuracy runs are not paced (LoadGen reports no timing for them).
    service_s_per_sample: float
    # How the Offline SUT splits a query into completion batches.
    batch: int = 1
    # user.conf lines (v0.5 key names) that reproduce `settings` on top of mlperf.conf.
    user_conf: tuple[str, ...] = field(default_factory=tuple)


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

# The slow test's profile (--quick): every run as short as the v0.5-sample ruleset allows
# and as robust to a busy machine as it can be, the rest as above. SingleStream: 40 ms a
# query (64 queries, 2.6 s a run), so that the few milliseconds a busy machine adds to a
# query's wake-up stay under the ±10 % the compliance tests allow the 90th percentile (at
# 4 ms they did not: a tenth of the queries delayed moves the 90th percentile by 40 %). MultiStream: 1 s, and at least the 662 queries LoadGen 6.x needs
# to estimate the 99th percentile (its early stopping; fewer make the run INVALID).
# Server: 2,000 queries/s, so the accuracy run over 50,000 samples, which LoadGen paces at
# the target rate, takes 25 s instead of 100 s.
QUICK_PLANS: dict[str, ScenarioPlan] = {
    "SingleStream": ScenarioPlan(
        settings={**PLANS["SingleStream"].settings, "min_query_count": 64, "single_stream_expected_latency_ns": 10_000_000},
        service_s_per_sample=0.040,
        user_conf=(
            f"{CONF_MODEL}.SingleStream.target_latency = 10",
            f"{CONF_MODEL}.SingleStream.min_duration = 1000",
            f"{CONF_MODEL}.SingleStream.min_query_count = 64",
        ),
    ),
    "MultiStream": ScenarioPlan(
        settings={**PLANS["MultiStream"].settings, "min_duration_ms": 1000, "min_query_count": 662},
        service_s_per_sample=PLANS["MultiStream"].service_s_per_sample,
        batch=PLANS["MultiStream"].batch,
        user_conf=tuple(
            line.replace("min_duration = 2000", "min_duration = 1000").replace(
                "min_query_count = 64", "min_query_count = 662"
            )
            for line in PLANS["MultiStream"].user_conf
        ),
    ),
    "Server": ScenarioPlan(
        settings={**PLANS["Server"].settings, "min_query_count": 64, "server_target_qps": 2000.0},
        service_s_per_sample=0.0002,
        user_conf=(
            f"{CONF_MODEL}.Server.target_qps = 2000",
            f"{CONF_MODEL}.Server.min_duration = 1000",
            f"{CONF_MODEL}.Server.min_query_count = 64",
        ),
    ),
    "Offline": PLANS["Offline"],
}

COMMON_SETTINGS: dict[str, Any] = {
    "qsl_rng_seed": QSL_RNG_SEED,
    "sample_index_rng_seed": SAMPLE_INDEX_RNG_SEED,
    "schedule_rng_seed": SCHEDULE_RNG_SEED,
    "performance_sample_count_override": PERFORMANCE_SAMPLE_COUNT,
}



# --------------------------------------------------------------------------
# Submission metadata files
# --------------------------------------------------------------------------


def system_description(system: str, note: str) -> dict[str, Any]:
    return sample_system(SUBMITTER, DIVISION, system, note, "6.0.17")


IMPLEMENTATION_JSON: dict[str, Any] = {
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


def user_conf_text(plans: dict[str, ScenarioPlan], scenario: str) -> str:
    return "\n".join(
        [
            "# Overrides of this sample run, applied after mlperf.conf.",
            "# Durations and query counts are deliberately below the v0.5 minimums:",
            "# this is mlcheck's small sample submission, not a valid result.",
            *plans[scenario].user_conf,
            "",
        ]
    )


def measurement_readme(plans: dict[str, ScenarioPlan], system: str, scenario: str, v05text: bool) -> str:
    plan = plans[scenario]
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


def code_readme(plans: dict[str, ScenarioPlan]) -> str:
    service = ", ".join(
        f"{name} {plan.service_s_per_sample * 1e6:g} us"
        + (f" in batches of {plan.batch}" if plan.batch > 1 else "")
        for name, plan in plans.items()
    )
    return CODE_README.replace("{service}", service)


def write_measurements(plans: dict[str, ScenarioPlan], root: Path, system: str, scenario: str, v05text: bool) -> None:
    d = root / "measurements" / system / BENCHMARK / scenario
    write_text(d / "mlperf.conf", mlperf_conf_text())
    write_text(d / "user.conf", user_conf_text(plans, scenario))
    write_text(d / "README.md", measurement_readme(plans, system, scenario, v05text))
    write_json(d / f"{system}_{IMPLEMENTATION}.json", IMPLEMENTATION_JSON)


def audit_settings(test: str, scenario: str) -> dict[str, Any]:
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


def write_verify_outputs(audit_dir: Path, result_dir: Path) -> dict[str, str]:
    """Write the verify scripts' outputs for one result's compliance tests.

    The reference is the result's performance/run_1 summary and, for TEST01's
    responses, its accuracy run's log.  Returns {output path: PASS/FAIL}.
    """
    reference = read_text(result_dir / "performance" / "run_1" / SUMMARY)

    def run_dir(test: str) -> Path:
        return audit_dir / test / "performance" / "run_1"

    def summary(test: str) -> str:
        return read_text(run_dir(test) / SUMMARY)

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


@dataclass(frozen=True)
class Generation:
    """One generation of the v0.5 sample: where it goes and the SUT's response tables."""

    root: Path  # <out>/closed/MLCheckSample
    labels: npt.NDArray[np.int64]  # the label map as written
    tables: dict[str, Path]  # dataset ("original", TEST03's "modified") -> ResponseTable file
    log: Callable[[str], None]
    plans: dict[str, ScenarioPlan]

    def run(
        self,
        scenario: str,
        mode: str,
        dest: Path,
        *,
        extra: dict[str, Any] | None = None,
        dataset: str = "original",
        keep_accuracy_log: bool = False,
    ) -> None:
        """One LoadGen test of the tiny SUT with the scenario's settings (+ `extra`), in its own process."""
        plan = self.plans[scenario]
        run_isolated(
            RunSpec(
                scenario=scenario,
                mode=mode,
                settings={**COMMON_SETTINGS, **plan.settings, **(extra or {})},
                responses=str(self.tables[dataset]),
                total=TOTAL_SAMPLES,
                performance_count=PERFORMANCE_SAMPLE_COUNT,
                service_s_per_sample=plan.service_s_per_sample,
                batch=plan.batch,
                dest=str(dest),
                keep_accuracy_log=keep_accuracy_log,
            )
        )


    def performance(self, scenario: str, dest: Path) -> Callable[[int], None]:
        """A result's performance run, as until_valid() takes it."""
        return lambda attempt: self.run(scenario, "PerformanceOnly", dest)


def run_audit(gen: Generation, scenario: str) -> dict[str, str]:
    """Run the compliance tests of the tiny_cpu result of one scenario with LoadGen.

    Layout (v0.5): audit/<system>/<benchmark>/<scenario>/<TEST>/ with the
    test's run in performance/run_1/ and the verify outputs beside; TEST01's
    sampled responses also in accuracy/, TEST03's accuracy run on the
    modified data set in accuracy/ (TEST03_ACCURACY_SCENARIO only).
    Returns the verdicts of the verify outputs written.
    """
    result_dir = gen.root / "results" / SYSTEM / BENCHMARK / scenario
    audit_dir = gen.root / "audit" / SYSTEM / BENCHMARK / scenario
    reference = read_text(result_dir / "performance" / "run_1" / SUMMARY)

    def performance_run(test: str, attempt: int) -> str:
        dest = audit_dir / test / "performance" / "run_1"
        if dest.exists():
            shutil.rmtree(dest)
        gen.log(f"{scenario} {test} performance" + (f" (attempt {attempt})" if attempt > 1 else ""))
        gen.run(
            scenario,
            "PerformanceOnly",
            dest,
            extra=audit_settings(test, scenario),
            dataset="modified" if test == "TEST03" else "original",
            keep_accuracy_log=test == "TEST01",
        )
        return read_text(dest / SUMMARY)

    def against_reference(test: str) -> Callable[[int], str]:
        return lambda attempt: verify_performance_text(reference, performance_run(test, attempt))

    for test in ("TEST01", "TEST03", "TEST05"):
        until_pass(test, against_reference(test), AUDIT_ATTEMPTS)
    until_pass(
        "TEST04",
        lambda attempt: verify_test4_text(performance_run("TEST04-A", attempt), performance_run("TEST04-B", attempt)),
        AUDIT_ATTEMPTS,
    )

    # The accuracy/ folder of TEST01 holds the accuracy log the test produced: the
    # sampled responses of its performance run.
    sampled = audit_dir / "TEST01" / "performance" / "run_1" / ACCURACY_LOG
    (audit_dir / "TEST01" / "accuracy").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sampled, audit_dir / "TEST01" / "accuracy" / ACCURACY_LOG)
    if scenario == TEST03_ACCURACY_SCENARIO:
        acc_dir = audit_dir / "TEST03" / "accuracy"
        gen.log(f"{scenario} TEST03 accuracy (modified data set)")
        gen.run(scenario, "AccuracyOnly", acc_dir, dataset="modified")
        good, total = score_accuracy_log(acc_dir / ACCURACY_LOG, gen.labels)
        write_text(acc_dir / "accuracy.txt", accuracy_line(good, total))
        print(f"          TEST03 {accuracy_line(good, total).strip()}", flush=True)
    return write_verify_outputs(audit_dir, result_dir)


def convert_audit(root: Path, scenario: str, *, crlf: bool, nul: bool) -> dict[str, str]:
    """The tiny_cpu compliance tests of one scenario, in the v0.5 text format, for tiny_cpu_v05text.

    The verify outputs are computed again, against the tiny_cpu_v05text result.
    """
    src = root / "audit" / SYSTEM / BENCHMARK / scenario
    dst = root / "audit" / SYSTEM_V05TEXT / BENCHMARK / scenario
    for test in AUDIT_TESTS:
        convert_run(src / test / "performance" / "run_1", dst / test / "performance" / "run_1", crlf=crlf, nul=nul)
        acc = src / test / "accuracy"
        if (acc / DETAIL).is_file():
            convert_run(acc, dst / test / "accuracy", crlf=crlf, nul=nul)
        elif acc.is_dir():
            (dst / test / "accuracy").mkdir(parents=True, exist_ok=True)
            for f in acc.iterdir():
                shutil.copyfile(f, dst / test / "accuracy" / f.name)
    return write_verify_outputs(dst, root / "results" / SYSTEM_V05TEXT / BENCHMARK / scenario)


def generate(out: Path, datasets: Path, scenarios: list[str], audit: bool = True, quick: bool = False) -> int:
    """Write the v0.5 sample under `out` (the label map under `datasets`); 0, or 1 when a compliance test fails.

    quick: the slow test's profile (QUICK_PLANS), not the committed sample's.
    """
    plans = QUICK_PLANS if quick else PLANS
    val_map = datasets / "imagenet" / "val_map.txt"
    root = out / DIVISION / SUBMITTER
    if root.exists():
        shutil.rmtree(root)

    write_val_map(val_map, make_labels())
    labels = read_val_map(val_map)  # score against the file as written

    write_json(
        root / "systems" / f"{SYSTEM}.json",
        system_description(SYSTEM, "Sample system of mlcheck; logs written by LoadGen 6.0.17 (MLLOG)."),
    )
    write_text(root / "code" / BENCHMARK / IMPLEMENTATION / "README.md", code_readme(plans))

    started = time.monotonic()

    def log(what: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {what}", flush=True)

    verdicts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="mlcheck-sample-") as tmp:
        tables = {"original": Path(tmp) / "original.npz", "modified": Path(tmp) / "modified.npz"}
        ResponseTable.fixed(make_predictions(labels)).save(tables["original"])
        modified = make_modified_predictions(labels, MODIFIED_DATA_SEED, MODIFIED_DATA_CHANGED)
        ResponseTable.fixed(modified).save(tables["modified"])
        gen = Generation(root, labels, tables, log, plans)

        for scenario in scenarios:
            results = root / "results" / SYSTEM / BENCHMARK / scenario
            write_measurements(plans, root, SYSTEM, scenario, v05text=False)

            acc_dir = results / "accuracy"
            log(f"{scenario} accuracy")
            gen.run(scenario, "AccuracyOnly", acc_dir)
            good, total = score_accuracy_log(acc_dir / ACCURACY_LOG, labels)
            write_text(acc_dir / "accuracy.txt", accuracy_line(good, total))
            print(f"          {accuracy_line(good, total).strip()}", flush=True)

            runs = SERVER_RUNS if scenario == "Server" else 1
            for attempt in range(1, RESULT_ATTEMPTS + 1):
                for run in range(1, runs + 1):
                    dest = results / "performance" / f"run_{run}"
                    name = f"{scenario} performance run_{run}"
                    until_valid(name, gen.performance(scenario, dest), dest / SUMMARY, AUDIT_ATTEMPTS, log)
                if not audit:
                    break
                these = run_audit(gen, scenario)
                if attempt == RESULT_ATTEMPTS or all(v == "PASS" for v in these.values()):
                    verdicts.update(these)
                    break
                print("          compliance tests fail against this run_1: making the result's "
                      "performance runs and tests again", flush=True)
                shutil.rmtree(root / "audit" / SYSTEM / BENCHMARK / scenario)

    # The same runs, in the v0.5 text format.
    converted = [s for s in V05TEXT_SCENARIOS if s in scenarios]
    if converted:
        write_json(
            root / "systems" / f"{SYSTEM_V05TEXT}.json",
            system_description(
                SYSTEM_V05TEXT,
                "Sample system of mlcheck; the tiny_cpu LoadGen 6.0.17 runs converted to the v0.5 text log format.",
            ),
        )
    for scenario in converted:
        write_measurements(plans, root, SYSTEM_V05TEXT, scenario, v05text=True)
        src = root / "results" / SYSTEM / BENCHMARK / scenario
        dst = root / "results" / SYSTEM_V05TEXT / BENCHMARK / scenario
        # Real v0.5 logs have CRLF line ends and NUL bytes in places: the
        # SingleStream detail logs carry both, so parsers meet them.
        odd = scenario == "SingleStream"
        convert_run(src / "accuracy", dst / "accuracy", crlf=odd, nul=odd)
        convert_run(src / "performance" / "run_1", dst / "performance" / "run_1", crlf=odd, nul=odd)
        if audit:
            verdicts.update(convert_audit(root, scenario, crlf=odd, nul=odd))

    failed = sorted(str(Path(p).relative_to(root)) for p, v in verdicts.items() if v != "PASS")
    if verdicts:
        print(f"          verify outputs: {len(verdicts) - len(failed)} of {len(verdicts)} say TEST PASS", flush=True)
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
