"""The official MLPerf Inference v0.7 submission checker's approach, re-expressed as a speed baseline.

Read from mlcommons/inference, branch r0.7, tools/submission/submission-checker.py at commit
7501816760424527619024322470c05495b60dc8 (2020-10-08; the round's checker, 13 commits after tag
v0.7). This is an independent re-expression, not a copy: it walks the same folders, opens the same
files in the same way (whole or line by line, stopping where the official one stops), applies the
same patterns and thresholds, logs the same ERROR/WARNING lines and reaches the same verdict per
result, so that timing it against mlcheck compares like with like. Its leniency is kept on purpose
(it is a baseline, not a checker to trust); mlcheck does not share it.

What it opens and reads, per result `<division>/<submitter>/results/<system>/<benchmark>/<scenario>`:
- `systems/<system>.json`, once per system folder, parsed whole: `status` (lower-cased,
  "research, development, or internal" taken as rdi), `system_type` (datacenter/edge), the 16
  required fields, unknown fields (a warning), `submitter` (case-insensitive) and `division`.
- `measurements/<system>/<benchmark>/<scenario>/`: listed for mlperf.conf, user.conf, README.md
  (present or not, never opened); the first `<system>*_<scenario>.json` or `<system>*.json` in
  listing order is parsed whole for the 5 implementation fields; `code/<benchmark>`, when a file,
  is read whole as the name of the code folder; the code folder is only tested for existence.
- `accuracy/`: listed; `accuracy.txt` read line by line until both the benchmark's one score
  pattern and `hash=` have matched; `mlperf_log_accuracy.json` only stat'ed (≤ 10 KiB), never
  opened; `mlperf_log_detail.txt` read line by line to its end for ERROR lines (only "CAS failed"
  is benign). The accuracy run's `mlperf_log_summary.txt` is not opened.
- `performance/run_1` (`run_1`..`run_5` when the scenario folder is spelled `Server`): listed; its
  `mlperf_log_summary.txt` read line by line to its end (`Result is : VALID` and every
  `key : value` line: performance_sample_count, the three seeds, Scenario, the metric field,
  99th-percentile latency, min_query_count, samples_per_query, min_duration); its
  `mlperf_log_detail.txt` read line by line to its end for ERROR lines. Seeds, latency bound, min
  query count, Offline samples per query and min duration are logged as errors and change nothing.
  An Offline folder whose summary says another scenario is an inferred result (its
  `QPS w/o loadgen overhead` is the value).
- closed only, `compliance/<system>/<benchmark>/<scenario>/`: for each of TEST01, TEST04-A,
  TEST04-B, TEST05 (no TEST04 for rnnt, bert, dlrm or a folder spelled `MultiStream`) the test
  folder is tested for existence, `verify_performance.txt` (not for TEST04-B) read line by line
  until `TEST PASS`, `performance/run_1` listed; TEST01's `verify_accuracy.txt` read line by line
  until `TEST PASS` and its `accuracy/` listed. Only the last test's performance outcome and
  TEST01's accuracy outcome (a verify_accuracy.txt exists) set the `compliance` column; nothing here
  changes the verdict.

What it does not open: the accuracy log's content (no re-scoring), the accuracy run's summary, the
performance runs' accuracy logs, every compliance run's summary and detail log, TEST01's
accuracy.txt, mlperf_log_accuracy.json, baseline_accuracy.txt and compliance_accuracy.txt,
mlperf.conf, user.conf, README.md and calibration notes, and any folder that `results/` does not
lead to (orphan systems, measurements or compliance folders).

Verdict: a result is VALID when at least one of its performance runs is (`Result is : VALID`,
enough performance samples, no ERROR line in its detail log) and its accuracy is (closed: score at
or above reference × fraction, `hash=` present, accuracy log present and truncated, no ERROR line in
the accuracy detail log; open: always). The value is the last run's, as its CSV row reports it.

Output: in place of the official summary.csv (the final table's system columns) a TSV with what a
comparison needs (verdict, value, accuracy, compliance column, and the ERROR/WARNING lines naming
each result, its measurements, compliance folder or system); log lines keep the official wording so
that they can be compared with the expected-outcome table.

Where the official checker raises on malformed input (a system JSON without `status` or
`submitter`, an accuracy score that is not a number, an open model it cannot map), this one raises
too: the baseline reproduces its behaviour, not a better one.

    python bench/official_v07_approach.py TREE [--known-absent FILE] [--out FILE] [--quiet]

TREE is the top of a v0.7 inference tree (holding closed/ and open/). Writes one TSV row per result
to --out (default stdout) and the log lines to stderr. --known-absent names files that were published
but are missing from this copy: they count as present where the official checker would only test,
list or stat them (none of them is a file it opens), so a trimmed copy is judged as the published
tree was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

_V = TypeVar("_V")

# ----- the round's data, as the official checker states it for v0.7 -----

BENCHMARKS = ("ssd-small", "ssd-large", "resnet", "rnnt", "bert-99", "bert-99.9", "dlrm-99", "dlrm-99.9",
              "3d-unet-99", "3d-unet-99.9")
FOLDER_ALIASES = {"ssd-mobilenet": "ssd-small", "ssd-resnet34": "ssd-large", "mobilenet": "resnet",
                  "resnet50": "resnet"}

_DC_SERVER_OFFLINE = ("resnet", "ssd-large", "rnnt", "bert-99", "bert-99.9", "dlrm-99", "dlrm-99.9")
SUITES: dict[str, tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]] = {
    # suite -> (required scenarios, optional scenarios) per benchmark
    "datacenter": (
        {b: ("Offline",) for b in (*_DC_SERVER_OFFLINE, "3d-unet-99", "3d-unet-99.9")},
        {b: ("Server",) for b in _DC_SERVER_OFFLINE},
    ),
    "edge": (
        {b: ("SingleStream", "Offline")
         for b in ("resnet", "ssd-small", "ssd-large", "rnnt", "bert-99", "3d-unet-99", "3d-unet-99.9")},
        {b: ("MultiStream",) for b in ("resnet", "ssd-small", "ssd-large")},
    ),
}

# benchmark -> (score kind, reference × fraction); rnnt as the checker has it (WER 7.452)
TARGETS = {
    "resnet": ("acc", 76.46 * 0.99), "ssd-small": ("mAP", 22.0 * 0.99), "ssd-large": ("mAP", 20.0 * 0.99),
    "rnnt": ("WER", (100 - 7.452) * 0.99),
    "bert-99": ("F1", 90.874 * 0.99), "bert-99.9": ("F1", 90.874 * 0.999),
    "dlrm-99": ("AUC", 80.25 * 0.99), "dlrm-99.9": ("AUC", 80.25 * 0.999),
    "3d-unet-99": ("DICE", 0.853 * 0.99), "3d-unet-99.9": ("DICE", 0.853 * 0.999),
}
SCORE_LINE = {
    "acc": re.compile(r"^accuracy=([\d\.]+).*"),
    "mAP": re.compile(r"^mAP=([\d\.]+).*"),
    "AUC": re.compile(r"^AUC=([\d\.]+).*"),
    "F1": re.compile(r"^{\"exact_match\"\:\s*[\d\.]+,\s*\"f1\"\:\s*([\d\.]+)}"),
    "WER": re.compile(r"Word Error Rate\:.*, accuracy=([0-9\.]+)%"),
    "DICE": re.compile(r"Accuracy\:\s*mean\s*=\s*([\d\.]+).*"),
}
HASH_LINE = re.compile(r"^hash=([\w\d]+)$")
PERF_SAMPLES = {"ssd-small": 256, "ssd-large": 64, "resnet": 1024, "rnnt": 2513, "bert-99": 10833,
                "bert-99.9": 10833, "dlrm-99": 204800, "dlrm-99.9": 204800, "3d-unet-99": 16,
                "3d-unet-99.9": 16}
SEEDS = {"qsl_rng_seed": 12786827339337101903, "sample_index_rng_seed": 12640797754436136668,
         "schedule_rng_seed": 3135815929913719677}
BENIGN_ERRORS = ("CAS failed",)
P99_BOUND_NS = {
    "resnet": {"Server": 15_000_000, "MultiStream": 50_000_000}, "ssd-small": {"MultiStream": 50_000_000},
    "ssd-large": {"Server": 100_000_000, "MultiStream": 66_000_000}, "rnnt": {"Server": 1_000_000_000},
    "bert-99": {"Server": 130_000_000}, "bert-99.9": {"Server": 130_000_000},
    "dlrm-99": {"Server": 30_000_000}, "dlrm-99.9": {"Server": 30_000_000},
}
_MQ_ALL = {"SingleStream": 1024, "Server": 270336, "MultiStream": 270336, "Offline": 1}
MIN_QUERIES = {
    "resnet": _MQ_ALL, "ssd-large": _MQ_ALL,
    "ssd-small": {k: v for k, v in _MQ_ALL.items() if k != "Server"},
    **{b: {k: v for k, v in _MQ_ALL.items() if k != "MultiStream"} for b in ("rnnt", "bert-99", "bert-99.9")},
    **{b: {"Server": 270336, "Offline": 1} for b in ("dlrm-99", "dlrm-99.9")},
    **{b: {"SingleStream": 1024, "Offline": 1} for b in ("3d-unet-99", "3d-unet-99.9")},
}
OFFLINE_MIN_SAMPLES = 24576
MIN_DURATION_MS = 60000
MAX_ACCURACY_LOG_BYTES = 10 * 1024
METRIC_FIELD = {"Offline": "Samples per second", "SingleStream": "90th percentile latency (ns)",
                "MultiStream": "Samples per query", "Server": "Scheduled samples per second"}
SCENARIO_SPELLINGS = {"singlestream": "SingleStream", "multistream": "MultiStream", "server": "Server",
                      "offline": "Offline"}
STATUSES = ("available", "on-premise", "rdi", "preview")
SYSTEM_REQUIRED = (
    "division", "submitter", "status", "system_name", "number_of_nodes", "host_processor_model_name",
    "host_processors_per_node", "host_processor_core_count", "host_memory_capacity", "host_storage_capacity",
    "host_storage_type", "accelerators_per_node", "accelerator_model_name", "accelerator_memory_capacity",
    "framework", "operating_system")
SYSTEM_OPTIONAL = (
    "system_type", "other_software_stack", "host_processor_frequency", "host_processor_caches",
    "host_memory_configuration", "host_processor_interconnect", "host_networking", "host_networking_topology",
    "accelerator_frequency", "accelerator_host_interconnect", "accelerator_interconnect",
    "accelerator_interconnect_topology", "accelerator_memory_configuration", "accelerator_on-chip_memories",
    "cooling", "hw_notes", "sw_notes")
IMPLEMENTATION_REQUIRED = ("input_data_types", "retraining", "starting_weights_filename", "weight_data_types",
                           "weight_transformations")
MEASUREMENT_FILES = ("mlperf.conf", "user.conf", "README.md")
PERF_FILES = ["mlperf_log_summary.txt", "mlperf_log_detail.txt"]
ACC_FILES = ["mlperf_log_summary.txt", "mlperf_log_detail.txt", "accuracy.txt", "mlperf_log_accuracy.json"]
TEST01_ACC_FILES = ["mlperf_log_accuracy.json", "accuracy.txt"]
TEST01_ACC_FILES_FAILED = [*TEST01_ACC_FILES, "baseline_accuracy.txt", "compliance_accuracy.txt"]
NO_CACHING_TEST = ("rnnt", "bert-99", "bert-99.9", "dlrm-99", "dlrm-99.9")

RESULT_VALID = re.compile(r"^Result\s+is\s*\:\s+VALID")
KEY_VALUE = re.compile(r"^\s*([\w\s.\(\)\/]+)\s*\:\s*([\w\+\.][\w\+\.\s]*)")


def benchmark_of(folder: str) -> str:
    """The MLPerf benchmark a results folder name stands for (open model names by substring)."""
    if folder in BENCHMARKS:
        return folder
    if folder in FOLDER_ALIASES:
        return FOLDER_ALIASES[folder]
    guess = folder
    if any(s in folder for s in ("ssdlite", "ssd-inception", "yolo", "ssd-mobilenet", "ssd-resnet50")):
        guess = "ssd-small"
    elif "mobilenet" in folder:
        guess = "mobilenet"
    elif "efficientnet" in folder:
        guess = "resnet"
    elif "rcnn" in folder:
        guess = "ssd-small"
    return FOLDER_ALIASES.get(guess, guess)


def _known(table: dict[str, _V], bench: str) -> _V:
    if bench not in table:
        raise ValueError("model not known: " + bench)
    return table[bench]


# ----- the walk -----

@dataclass
class Row:
    """One result as the official checker leaves it: kept or not, and its CSV columns."""

    division: str
    value: float | str | None = None   # the value of the last performance run looked at (its CSV value)
    held: float | str | None = None    # the value of the last VALID run (what it keeps; a falsy one counts as none)
    accuracy: str | None = None
    compliance: int = 0
    errors: int = 0
    inferred: int = 0
    written: bool = False              # the CSV row was written


@dataclass
class Walk:
    """The official checker's pass over one tree, with its log lines kept for the report."""

    root: str
    stream: TextIO | None = None
    absent: frozenset[str] = frozenset()   # files published but missing from this copy, relative to root
    log: list[tuple[str, str]] = field(default_factory=list)
    keys: dict[str, float | str | None] = field(default_factory=dict)   # every path it records, and its value
    rows: dict[str, Row] = field(default_factory=dict)

    # -- file system, as it touches it --
    def _abs(self, rel: str) -> str:
        return os.path.join(self.root, rel)

    def __post_init__(self) -> None:
        # the folders that hold a known-absent file, each with the absent names directly inside it
        self._held: dict[str, tuple[set[str], set[str]]] = {}   # folder -> (files, subfolders)
        for path in self.absent:
            parts = path.split("/")
            for i in range(len(parts)):
                files, dirs = self._held.setdefault("/".join(parts[:i]), (set(), set()))
                (files if i == len(parts) - 1 else dirs).add(parts[i])

    def _exists(self, rel: str) -> bool:
        if os.path.exists(self._abs(rel)):
            return True
        key = rel.replace(os.sep, "/")
        return key in self.absent or key in self._held

    def _listing(self, rel: str, keep: Callable[[str], bool], extra: int) -> list[str]:
        top = self._abs(rel)
        names = [n for n in os.listdir(top) if keep(os.path.join(top, n))] if os.path.isdir(top) else []
        held = self._held.get(rel.replace(os.sep, "/").strip("/"))
        if held:   # a known-absent file counts as present, as the published tree had it
            names += sorted(held[extra] - set(names))
        return names

    def _subdirs(self, rel: str) -> list[str]:
        return self._listing(rel, os.path.isdir, 1)

    def _files(self, rel: str) -> list[str]:
        return self._listing(rel, os.path.isfile, 0)

    def _size(self, rel: str) -> int:
        if rel.replace(os.sep, "/") in self.absent:
            return 4 * 1024 * 1024   # absent files were each 4 MiB or more when published
        return os.stat(self._abs(rel)).st_size

    def _say(self, level: str, msg: str) -> None:
        self.log.append((level, msg))
        if self.stream is not None:
            self.stream.write(f"{level}:main:{msg}\n")

    def error(self, msg: str) -> None:
        self._say("ERROR", msg)

    def warning(self, msg: str) -> None:
        self._say("WARNING", msg)

    def info(self, msg: str) -> None:
        self._say("INFO", msg)

    @staticmethod
    def _listing_gap(found: list[str], wanted: list[str], optional: tuple[str, ...] = ()) -> list[str]:
        """The file-list comparison as the official one makes it (one direction only, by list length)."""
        if not found or not wanted:
            return []
        rest = list(found)
        for name in ("mlperf_log_trace.json", "results.json", *optional):
            if name in rest:
                rest.remove(name)
        if len(rest) > len(wanted):
            return sorted(set(rest) - set(wanted))
        return sorted(set(wanted) - set(rest))

    def _scan_errors(self, rel: str) -> bool:
        """Read a detail log line by line; False when it holds an ERROR line that is not benign."""
        clean = True
        with open(self._abs(rel)) as f:
            for line in f:
                if "ERROR" in line:
                    if any(b in line for b in BENIGN_ERRORS):
                        continue
                    self.error(f"{rel} contains error: {line}")
                    clean = False
        return clean

    # -- per folder --
    def run(self) -> None:
        """Walk <division>/<submitter>/results/ as the official checker does."""
        for division in self._subdirs(""):
            if division not in ("open", "closed"):
                if division != ".git":
                    self.error(f"invalid division in input dir {division}")
                continue
            for submitter in self._subdirs(division):
                results = os.path.join(division, submitter, "results")
                if self._exists(results):
                    for system in self._subdirs(results):
                        self._system(division, submitter, system)

    def _system(self, division: str, submitter: str, system: str) -> None:
        results = os.path.join(division, submitter, "results")
        name = os.path.join(results, system)
        desc_rel = os.path.join(division, submitter, "systems", system + ".json")
        if not self._exists(desc_rel):
            self.error(f"no system_desc for {division}/{submitter}/{system}")
            self.keys[name] = None
            return
        with open(self._abs(desc_rel)) as f:
            desc: dict[str, Any] = json.load(f)
        suite = desc.get("system_type")
        status = desc.get("status").lower()  # type: ignore[union-attr]  # raises when absent, as it does
        if status == "research, development, or internal":
            status = "rdi"
        if status not in STATUSES:
            self.error(f"{desc_rel} has invalid status ({status})")
            self.keys[name] = None
            return
        if suite not in SUITES:
            self.error(f"{desc_rel} has invalid system type ({suite})")
            self.keys[name] = None
            return
        if not self._system_fields(name, desc, submitter, division):
            self.keys[name] = None
            return
        for folder in self._subdirs(name):
            self._benchmark(division, submitter, system, folder, suite)

    def _system_fields(self, name: str, desc: dict[str, Any], submitter: str, division: str) -> bool:
        ok = True
        for k in SYSTEM_REQUIRED:
            if k not in desc:
                ok = False
                self.error(f"{name}, field {k} is missing")
        for k in desc:
            if k not in SYSTEM_REQUIRED and k not in SYSTEM_OPTIONAL:
                self.warning(f"{name}, field {k} is unknown")
        if desc.get("submitter").lower() != submitter.lower():  # type: ignore[union-attr]
            self.error(f"{name} has submitter {desc.get('submitter')}, directory has {submitter}")
            ok = False
        if desc.get("division") != division:
            self.error(f"{name} has division {desc.get('division')}, division has {division}")
            ok = False
        return ok

    def _benchmark(self, division: str, submitter: str, system: str, folder: str, suite: str) -> None:
        closed = division == "closed"
        name = os.path.join(division, submitter, "results", system, folder)
        bench = benchmark_of(folder)
        if closed and bench not in BENCHMARKS:
            self.error(f"{name} has a invalid model {folder} for closed division")
            self.keys[name] = None
            return
        required_table, optional_table = SUITES[suite]
        mapped = benchmark_of(bench)
        if mapped not in required_table:
            self.error(f"{name} has a invalid model {bench}, system_type={suite}")
            self.keys[name] = None
            return
        missing = set(required_table[mapped])
        allowed = missing | set(optional_table.get(mapped, ()))
        for scenario in self._subdirs(name):
            self._scenario(division, submitter, system, folder, bench, scenario, allowed, missing)
        if missing and closed:
            self.keys[name] = None
            self.error(f"{name} does not have all required scenarios, missing {missing}")

    def _scenario(self, division: str, submitter: str, system: str, folder: str, bench: str,
                  scenario: str, allowed: set[str], missing: set[str]) -> None:
        closed = division == "closed"
        spelled = SCENARIO_SPELLINGS.get(scenario, scenario)
        name = os.path.join(division, submitter, "results", system, folder, scenario)
        row = self.rows[name] = Row(division)
        self.keys[name] = None
        if closed and spelled not in allowed:
            self.warning(f"{name} ignoring scenario {scenario} (neither required nor optional)")
            return

        where = os.path.join(division, submitter)
        mdir = os.path.join(where, "measurements", system, folder, scenario)
        if not self._exists(mdir):
            self.error(f"no measurement_dir for {name}")
            self.keys[mdir] = None
            row.errors += 1
        elif not self._measurements(mdir, name, system, where, folder, scenario):
            self.error(f"{mdir} measurement_dir has issues")
            row.errors += 1

        accuracy_ok = False
        acc_dir = os.path.join(name, "accuracy")
        if not self._exists(os.path.join(acc_dir, "accuracy.txt")):
            self.error(f"{acc_dir} has no accuracy.txt. Generate it with accuracy-imagenet.py or "
                       "accuracy-coco.py or process_accuracy.py")
        else:
            gap = self._listing_gap(self._files(acc_dir), ACC_FILES)
            if gap:
                self.error(f"{acc_dir} has file list mismatch ({gap})")
            accuracy_ok, row.accuracy = self._accuracy(bench, acc_dir, closed)
            if not accuracy_ok and not closed:
                accuracy_ok = True
            if not accuracy_ok:
                row.errors += 1
                self.error(f"{acc_dir}, accuracy not valid")

        runs = ["run_1", "run_2", "run_3", "run_4", "run_5"] if scenario == "Server" else ["run_1"]
        for run in runs:
            perf = os.path.join(name, "performance", run)
            if not self._exists(perf):
                self.error(f"{perf} is missing")
                continue
            gap = self._listing_gap(self._files(perf), PERF_FILES, ("mlperf_log_accuracy.json",))
            if gap:
                self.error(f"{perf} has file list mismatch ({gap})")
            try:
                valid, row.value, fields = self._performance(bench, perf)
                if spelled == "Offline" and fields["Scenario"] != spelled:
                    row.inferred = 1
                    row.value = fields.get("QPS w/o loadgen overhead")
                    self.info(f"{perf} has infered resuls, qps={row.value}")
            except Exception as e:  # noqa: BLE001  the official checker turns any failure here into a log line
                self.error(f"{perf} caused expection in check_performance_dir: {e}")
                valid, row.value = False, None
            if valid:
                row.held = row.value
                missing.discard(spelled)
            else:
                self.error(f"{perf} has issues")
                row.errors += 1

        row.compliance = 0 if closed else 1
        if closed:
            cdir = os.path.join(where, "compliance", system, folder, scenario)
            if not self._exists(cdir):
                self.error(f"no compliance dir for {name}")
            elif not self._compliance(cdir, bench, scenario):
                self.error(f"compliance dir {cdir} has issues")
            else:
                row.compliance = 1

        if row.held:
            if accuracy_ok:
                row.written = True
            else:
                row.held = None
                self.error(f"{name} is OK but accuracy has issues")
        self.keys[name] = row.held

    def _measurements(self, mdir: str, name: str, system: str, where: str, folder: str, scenario: str) -> bool:
        files = self._files(mdir)
        ok = True
        for want in MEASUREMENT_FILES:
            if want not in files:
                self.error(f"{mdir} is missing {want}")
                ok = False
        chosen, tail = None, 0
        for f in files:
            if f.startswith(system) and f.endswith(f"_{scenario}.json"):
                chosen, tail = f, len(f"_{scenario}.json")
                break
            if f.startswith(system) and f.endswith(".json"):
                chosen, tail = f, len(".json")
                break
        if chosen is None:
            self.error(f"{name} is missing {system}*.json")
            return False
        with open(self._abs(os.path.join(mdir, chosen))) as fh:
            impl_desc = json.load(fh)
        for k in IMPLEMENTATION_REQUIRED:
            if k not in impl_desc:
                ok = False
                self.error(f"{name}, field {k} is missing")
        impl = chosen[len(system) + 1:-tail]
        code = os.path.join(where, "code", folder)
        if os.path.isfile(self._abs(code)):
            with open(self._abs(code)) as fh:
                code = os.path.join(where, "code", fh.read().strip(), impl)
        else:
            code = os.path.join(where, "code", folder, impl)
        if not self._exists(code) and not self._exists(os.path.dirname(code)):
            self.error(f"{name} is missing code_dir {code}")
            ok = False
        return ok

    def _accuracy(self, bench: str, acc_dir: str, closed: bool) -> tuple[bool, str | None]:
        kind, target = _known(TARGETS, bench)   # raises for a model it cannot map, uncaught, as it does
        pattern = SCORE_LINE[kind]
        score = digest = None
        with open(self._abs(os.path.join(acc_dir, "accuracy.txt")), encoding="utf-8") as f:
            for line in f:
                m = pattern.match(line)
                if m:
                    score = m.group(1)
                m = HASH_LINE.match(line)
                if m:
                    digest = m.group(1)
                if score and digest:
                    break
        ok = score is not None and float(score) >= target
        if not ok and closed:
            self.warning(f"{acc_dir} accuracy not met: expected={target:f}, found={score}")
        if not digest:
            self.error(f"{acc_dir} not hash value for mlperf_log_accuracy.json")
            ok = False
        log = os.path.join(acc_dir, "mlperf_log_accuracy.json")
        if not self._exists(log):
            self.error(f"{log} is missing")
            ok = False
        elif self._size(log) > MAX_ACCURACY_LOG_BYTES:
            self.error(f"{log} is not truncated")
            ok = False
        detail = os.path.join(acc_dir, "mlperf_log_detail.txt")
        if not self._exists(detail):
            self.error(f"{detail} is missing")
            ok = False
        elif not self._scan_errors(detail):
            ok = False
        return ok, score

    def _performance(self, bench: str, perf: str) -> tuple[bool, float, dict[str, str]]:
        valid = False
        fields: dict[str, str] = {}
        summary = os.path.join(perf, "mlperf_log_summary.txt")
        with open(self._abs(summary)) as f:
            for line in f:
                if RESULT_VALID.match(line):
                    valid = True
                m = KEY_VALUE.match(line)
                if m:
                    fields[m.group(1).strip()] = m.group(2).strip()
        need = _known(PERF_SAMPLES, benchmark_of(bench))
        if int(fields["performance_sample_count"]) < need:
            # the official message swaps found and required; kept as it reads
            self.error(f"{summary} performance_sample_count, found {need}, needs to be > "
                       f"{fields['performance_sample_count']}")
            valid = False
        detail = os.path.join(perf, "mlperf_log_detail.txt")
        if not self._scan_errors(detail):
            valid = False
        for seed, want in SEEDS.items():
            if int(fields[seed]) != want:
                self.error(f"{detail} {seed} is wrong, expected={want}, found={fields[seed]}")
        scenario = fields["Scenario"].replace(" ", "")
        value = float(fields[METRIC_FIELD[scenario]])
        if scenario == "SingleStream":
            value /= 1_000_000
        bound = P99_BOUND_NS.get(bench, {}).get(scenario)
        if bound and int(fields["99.00 percentile latency (ns)"]) > bound:
            self.error(f"{detail} Latency constraint not met, expected={bound}, "
                       f"found={fields['99.00 percentile latency (ns)']}")
        min_queries = _known(MIN_QUERIES, benchmark_of(bench)).get(scenario)
        if min_queries and int(fields["min_query_count"]) < min_queries:
            self.error(f"{detail} Required minimum Query Count not met by user config, "
                       f"Expected={min_queries}, Found={fields['min_query_count']}")
        if scenario == "Offline" and int(fields["samples_per_query"]) < OFFLINE_MIN_SAMPLES:
            self.error(f"{detail} Required minimum samples per query not met by user config, "
                       f"Expected={OFFLINE_MIN_SAMPLES}, Found={fields['samples_per_query']}")
        if int(fields["min_duration (ms)"]) < MIN_DURATION_MS:
            self.error(f"{detail} Test duration lesser than 60s in user config. expected={MIN_DURATION_MS}, "
                       f"found={fields['min_duration (ms)']}")
        return valid, value, fields

    def _until_pass(self, rel: str) -> bool:
        with open(self._abs(rel)) as f:
            return any("TEST PASS" in line for line in f)   # stops at the first TEST PASS line

    def _compliance_perf(self, test_dir: str, verify: bool) -> bool:
        passed = False
        report = os.path.join(test_dir, "verify_performance.txt")
        if verify and not self._exists(report):
            self.error(f"{report} is missing in {test_dir}")
            return False
        if verify:
            passed = self._until_pass(report)
        run = os.path.join(test_dir, "performance", "run_1")
        if not self._exists(run):
            self.error(f"{test_dir} has no performance/run_1 directory")
            return False
        gap = self._listing_gap(self._files(run), PERF_FILES)
        if gap:
            self.info(f"{run} has file list mismatch ({gap})")
        return passed

    def _compliance_acc(self, test_dir: str) -> bool:
        report = os.path.join(test_dir, "verify_accuracy.txt")
        if not self._exists(report):
            self.error(f"{report} is missing in {test_dir}")
            return False
        passed = self._until_pass(report)
        acc = os.path.join(test_dir, "accuracy")
        if not self._exists(acc):
            self.error(f"{test_dir} has no accuracy directory")
            return False
        gap = self._listing_gap(self._files(acc), TEST01_ACC_FILES if passed else TEST01_ACC_FILES_FAILED)
        if gap:
            self.info(f"{acc} has file list mismatch ({gap})")
        return True   # a failed TEST01 accuracy comparison is accepted

    def _compliance(self, cdir: str, bench: str, scenario: str) -> bool:
        tests = ["TEST01", "TEST04-A", "TEST04-B", "TEST05"]
        if bench in NO_CACHING_TEST or scenario == "MultiStream":
            tests = ["TEST01", "TEST05"]
        perf_ok = True
        for test in tests:
            test_dir = os.path.join(cdir, test)
            if not self._exists(test_dir):
                self.error(f"Missing {test} in compliance dir {cdir}")
                perf_ok = False
            else:
                perf_ok = self._compliance_perf(test_dir, test != "TEST04-B")   # the last test decides
        acc_ok = self._compliance_acc(os.path.join(cdir, "TEST01"))
        return perf_ok and acc_ok

    # -- report --
    def reasons(self, result: str) -> list[str]:
        """The ERROR/WARNING lines naming a result, its measurements, compliance folder or system."""
        parts = result.split("/")
        division, submitter, system = parts[0], parts[1], parts[3]
        tail = "/".join(parts[3:])
        names = [result, f"{division}/{submitter}/measurements/{tail}", f"{division}/{submitter}/compliance/{tail}"]
        own = re.compile("|".join(re.escape(n) + r"(?=$|[/\s,])" for n in names)
                         + "|" + re.escape(f"{division}/{submitter}/results/{system}") + r"(?=$|[\s,])"
                         + "|" + re.escape(f"{division}/{submitter}/systems/{system}.json"))
        return [f"{lvl}: {msg.strip()}" for lvl, msg in self.log if lvl != "INFO" and own.search(msg)]


def write_rows(walk: Walk, out: TextIO) -> None:
    """One TSV row per result folder: its verdict, value, accuracy and compliance as the official CSV has them."""
    out.write("result\tdivision\tofficial_verdict\tmetric\taccuracy\tcompliance\terrors\tinferred\treasons\n")
    for name, row in sorted(walk.rows.items()):
        rel = name.replace(os.sep, "/")
        verdict = "VALID" if row.written else "INVALID"
        value = "" if row.value is None or not row.written else str(row.value)
        acc = (row.accuracy or "") if row.written else ""
        out.write(f"{rel}\t{row.division}\t{verdict}\t{value}\t{acc}\t{row.compliance}\t{row.errors}\t"
                  f"{row.inferred}\t{' | '.join(walk.reasons(rel))}\n")


def main(argv: list[str] | None = None) -> int:
    """Check one tree as the official v0.7 checker does; 1 when any recorded path has no result."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", help="the top of a v0.7 inference tree (closed/, open/)")
    ap.add_argument("--out", default="-", help="the per-result TSV (default: stdout)")
    ap.add_argument("--known-absent", metavar="FILE",
                    help="files published but missing from this copy, one per line relative to TREE: "
                         "taken as present (the official checker only lists or stats such files)")
    ap.add_argument("--quiet", action="store_true", help="do not print the log lines to stderr")
    args = ap.parse_args(argv)
    absent: frozenset[str] = frozenset()
    if args.known_absent:
        with open(args.known_absent, encoding="utf-8") as f:
            absent = frozenset(ln.strip().strip("/") for ln in f if ln.strip() and not ln.startswith("#"))
    walk = Walk(args.tree, None if args.quiet else sys.stderr, absent)
    walk.run()
    for key, value in walk.keys.items():
        if value:
            walk.info(f"Results {key} {value}")
    for key, value in walk.keys.items():
        if not value:
            walk.error(f"NoResults {key}")
    kept = sum(1 for v in walk.keys.values() if v)
    walk.info(f"Results={kept}, NoResults={len(walk.keys) - kept}")
    if args.out == "-":
        write_rows(walk, sys.stdout)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            write_rows(walk, out)
    return 0 if kept == len(walk.keys) else 1


if __name__ == "__main__":
    sys.exit(main())
