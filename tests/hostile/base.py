"""A small but complete, clean MLPerf Inference v0.5 submission, written from scratch.

The LoadGen text below follows the v0.5 text format byte for byte (timestamps, the
"pid"/"tid"/"ts" prefix, the section layout), trimmed to what a checker reads.
The embedded sample (reference_logs/inference_v0.5, generated with the real LoadGen)
gets a second pass of the generic mutations (`sample_tree`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reference_logs" / "inference_v0.5"

SUBMITTER = "HostileCo"
SYSTEM = "hostile_t4"
RESULT = f"closed/{SUBMITTER}/results/{SYSTEM}/resnet/Offline"
SYSTEM_JSON = f"closed/{SUBMITTER}/systems/{SYSTEM}.json"
PERF = f"{RESULT}/performance/run_1"
ACC = f"{RESULT}/accuracy"
MEAS = f"closed/{SUBMITTER}/measurements/{SYSTEM}/resnet/Offline"
CODE = f"closed/{SUBMITTER}/code/resnet"

SYSTEM_DESC: dict[str, object] = {
    "submitter": SUBMITTER,
    "division": "closed",
    "status": "available",
    "system_name": SYSTEM,
    "number_of_nodes": 1,
    "host_processor_model_name": "Intel Skylake",
    "host_processors_per_node": 1,
    "host_processor_vcpu_count": 24,
    "host_memory_capacity": "93GB",
    "host_storage_type": "SSD",
    "host_storage_capacity": "500GB",
    "accelerators_per_node": 1,
    "accelerator_model_name": "Nvidia Tesla T4",
    "accelerator_memory_configuration": "GDDR6",
    "accelerator_memory_capacity": "16GB",
    "framework": "TensorRT 6.0, CUDA 10.1",
    "other_software_stack": "python 3.6.8",
    "operating_system": "Ubuntu 18.04 LTS",
}

SEEDS = (
    ("qsl_rng_seed", "3133965575612453542"),
    ("sample_index_rng_seed", "665484352860916858"),
    ("schedule_rng_seed", "3622009729038561421"),
)


def summary(mode: str = "Performance", samples_per_query: int = 364848) -> str:
    """mlperf_log_summary.txt as LoadGen v0.5 writes it for an Offline run."""
    if mode == "Accuracy":
        return ("\n"
                "No warnings encountered during test.\n\n"
                "No errors encountered during test.\n")
    seeds = "".join(f"{k} : {v}\n" for k, v in SEEDS)
    return (
        "================================================\n"
        "MLPerf Results Summary\n"
        "================================================\n"
        "SUT name : LWIS_Server\n"
        "Scenario : Offline\n"
        "Mode     : Performance\n"
        "Samples per second: 5540.1\n"
        "Result is : VALID\n"
        "  Min duration satisfied : Yes\n"
        "  Min queries satisfied : Yes\n"
        "\n"
        "================================================\n"
        "Additional Stats\n"
        "================================================\n"
        "Min latency (ns)                : 42277021\n"
        "Max latency (ns)                : 65855871251\n"
        "Mean latency (ns)               : 32642289328\n"
        "50.00 percentile latency (ns)   : 32516648295\n"
        "90.00 percentile latency (ns)   : 59083964256\n"
        "95.00 percentile latency (ns)   : 62456887113\n"
        "97.00 percentile latency (ns)   : 63838958486\n"
        "99.00 percentile latency (ns)   : 65176213076\n"
        "99.90 percentile latency (ns)   : 65798536314\n"
        "\n"
        "================================================\n"
        "Test Parameters Used\n"
        "================================================\n"
        f"samples_per_query : {samples_per_query}\n"
        "target_qps : 5528\n"
        "target_latency (ns): 0\n"
        "max_async_queries : 1\n"
        "min_duration (ms): 60000\n"
        "max_duration (ms): 0\n"
        "min_query_count : 1\n"
        "max_query_count : 0\n"
        f"{seeds}"
        "accuracy_log_rng_seed : 0\n"
        "accuracy_log_probability : 0\n"
        "print_timestamps : false\n"
        "performance_issue_unique : false\n"
        "performance_issue_same : false\n"
        "performance_issue_same_index : 0\n"
        "performance_sample_count : 1024\n"
        "\n"
        "No warnings encountered during test.\n"
        "\n"
        "No errors encountered during test.\n"
    )


def _line(ts: int, body: str) -> str:
    return f'"pid": 1700, "tid": 1700, "ts": {ts}ns : {body}\n'


def detail(mode: str = "Performance", samples_per_query: int = 364848) -> str:
    """mlperf_log_detail.txt in the v0.5 text format, for an Offline run."""
    seeds = [f"{k} : {v}" for k, v in SEEDS]
    eff = ["Effective Settings:", "Scenario : Offline", f"Test mode : {mode}",
           f"samples_per_query : {samples_per_query}", "target_qps : 5528", "target_latency (ns): 0",
           "max_async_queries : 1", "target_duration (ms): 0", "min_duration (ms): 60000",
           "max_duration (ms): 0", "min_query_count : 1", "max_query_count : 0",
           f"min_sample_count : {samples_per_query}", *seeds,
           "accuracy_log_rng_seed : 0", "accuracy_log_probability : 0", "print_timestamps : false",
           "performance_issue_unique : false", "performance_issue_same : false",
           "performance_issue_same_index : 0", "performance_sample_count : 1024", ""]
    req = ["Requested Settings:", "Scenario : Offline", f"Test mode : {mode}",
           "offline_expected_qps : 5528", "min_duration_ms : 60000", "max_duration_ms : 0",
           "min_query_count : 1", "max_query_count : 0", *seeds, "accuracy_log_rng_seed : 0",
           "accuracy_log_probability : 0", "performance_sample_count_override : 0", ""]
    out = [
        _line(4749, "LoadgenVersionInfo:"),
        _line(4749, "version : .5a1 @ 61220457de"),
        _line(4749, "git_log :"),
        "\n61220457dec221ed1984c62bd9d382698bd71bc6 loadgen: re-apply fix for msvc (#459)\n\n",
        _line(18830, "Date + time of test: 2019-10-10T06:25:28Z"),
        _line(18830, "System Under Test (SUT) name: LWIS_Server"),
        _line(18830, "QSL total size: 50000"),
        _line(18830, "QSL performance size*: 1024"),
        _line(38282, ""),
        *(_line(38282, b) for b in eff),
        *(_line(39058, b) for b in req),
        _line(41889, f"Starting {mode.lower()} mode:"),
        _line(169026406, f'GeneratedQueries: "queries" : 1, "samples per query" : {samples_per_query}, '
                         '"duration" : 180897'),
        _line(66034023087, 'POWER_BEGIN: "mode" : Performance, "time" : 10-10-2019 06:25:28.957'),
        _line(66034023087, 'POWER_END: "mode" : Performance, "time" : 10-10-2019 06:26:34.813'),
        "\nNo warnings encountered during test.\n\nNo errors encountered during test.\n",
    ]
    return "".join(out)


def accuracy_log(n: int = 50000) -> str:
    """mlperf_log_accuracy.json covering the whole ImageNet validation set, one record per line as LoadGen writes."""
    rows = [f'{{ "seq_id" : {i}, "qsl_idx" : {(i * 7919) % n}, "data" : "{(i % 1000):04X}0000" }}' for i in range(n)]
    return "[\n" + ",\n".join(rows) + "\n]\n"


ACCURACY_TXT = "accuracy=76.034%, good=38017, total=50000\n"

MEAS_FILES = {
    "README.md": "# How to reproduce\nRun `make run`.\n",
    "mlperf.conf": "*.Offline.min_duration = 60000\n",
    "user.conf": "*.Offline.target_qps = 5528\n",
    f"{SYSTEM}.json": json.dumps({"input_data_types": "int8", "weight_data_types": "int8"}) + "\n",
}


def files() -> dict[str, str]:
    """Every file of the built-in good tree: relative path -> text."""
    out: dict[str, str] = {
        SYSTEM_JSON: json.dumps(SYSTEM_DESC, indent=4) + "\n",
        f"{PERF}/mlperf_log_summary.txt": summary(),
        f"{PERF}/mlperf_log_detail.txt": detail(),
        f"{PERF}/mlperf_log_accuracy.json": "[\n]\n",
        f"{ACC}/mlperf_log_summary.txt": summary("Accuracy"),
        f"{ACC}/mlperf_log_detail.txt": detail("Accuracy", 50000),
        f"{ACC}/mlperf_log_accuracy.json": accuracy_log(),
        f"{ACC}/accuracy.txt": ACCURACY_TXT,
        f"{CODE}/README.md": "Build with `make`.\n",
        f"closed/{SUBMITTER}/audit/{SYSTEM}/resnet/Offline/README.md": "audit\n",
    }
    for name, text in MEAS_FILES.items():
        out[f"{MEAS}/{name}"] = text
    return out


def write_builtin(dest: Path) -> Path:
    """Write the built-in good tree under `dest` (created) and return it."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel, text in files().items():
        p = dest / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8"))
    return dest


def sample_available() -> bool:
    """True when the LoadGen-generated sample submission is in the repository."""
    return (SAMPLE / "closed").is_dir()


def good_tree(dest: Path) -> Path:
    """A clean submission at `dest` (exit 0), so that every case can tell harmless from harmful.

    The embedded sample is not the base: its runs are seconds long and it has no audit
    folder, so it already fails (exit 1). It gets its own smaller hostile pass (`sample_tree`).
    """
    return write_builtin(dest)


def sample_tree(dest: Path) -> Path:
    """A copy of the embedded LoadGen-generated sample at `dest`."""
    shutil.copytree(SAMPLE, dest, symlinks=True)
    return dest
