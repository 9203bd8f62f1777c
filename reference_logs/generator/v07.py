"""The v0.7 sample: ``reference_logs/inference_v0.7``, a v0.7-layout submission made with LoadGen.

Two systems of the closed division, one per v0.7 suite (``system_type``):

- ``tiny_dc`` (datacenter): bert-99, Offline and Server;
- ``tiny_edge`` (edge): resnet50 SingleStream and Offline, ssd-mobilenet SingleStream,
  Offline and MultiStream.

Every result has its measurements folder (the round's mlperf.conf, the result's
user.conf, README.md, the implementation JSON), an AccuracyOnly run over the whole
accuracy set scored against ground truth the generator writes in the real formats
(:mod:`generator.imagenet`, :mod:`generator.coco`, :mod:`generator.squad`), its
PerformanceOnly runs (Server: run_1 .. run_5) and its v0.7 compliance tests (TEST01,
TEST04-A/B where they apply, TEST05), each a LoadGen run that reads the test's real
audit.config, with the verify outputs computed the way the v0.7 scripts compute them.
Last, the accuracy logs are truncated as the v0.7 truncation tool does it
(:mod:`generator.truncate`).

The runs take their settings from the measurement folder's mlperf.conf and user.conf
(and the test's audit.config), applied as v0.7 LoadGen applied them
(:mod:`generator.conf`). Durations and query counts are far below the v0.7 minimums on
purpose; the ruleset ``v0.7-sample`` lowers exactly those.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import coco, conf, imagenet, squad
from .runner import RunSpec, run_isolated
from .sut import ResponseTable
from .tree import ACCURACY_LOG, SUMMARY, read_text, write_json, write_text
from .tree import system_description as sample_system
from .truncate import Truncation, truncate_accuracy_log
from .verify import (
    scan_summary,
    until_pass,
    until_valid,
    verdict,
    verify_accuracy_text,
    verify_performance_text,
    verify_test4_text,
)

SUBMITTER = "MLCheckSample"
DIVISION = "closed"
IMPLEMENTATION = "numpy"
SERVER_RUNS = 5  # submission rules v0.7: five Server runs (the published record has five everywhere)
ATTEMPTS = 3  # a disturbed run is run again at most this many times in all
# A result whose compliance tests still fail against its performance run_1 (a run_1 that
# a busy machine slowed) gets its performance runs and tests made again, once.
RESULT_ATTEMPTS = 2
LOADGEN = "6.0.17"

TEST01_TOLERANCE = 0.10  # v0.7 TEST01 verify_performance.py
TEST05_TOLERANCE = 0.05  # v0.7 TEST05 verify_performance.py


@dataclass(frozen=True)
class Benchmark:
    """A v0.7 benchmark as the sample submits it."""

    folder: str  # results/<system>/<folder>/ (the v0.7 submission rules' name)
    model: str  # the model name of mlperf.conf / user.conf / audit.config keys
    dataset: str  # imagenet, coco, squad
    total: int  # QSL total: the accuracy set
    payload: str  # what one response is (for the code README)
    tests: tuple[str, ...]  # the compliance tests that apply (TEST04 never in MultiStream)


BENCHMARKS = {
    "resnet50": Benchmark("resnet50", "resnet50", "imagenet", imagenet.TOTAL_SAMPLES,
                          "the class, one int32 (4 bytes little endian)", ("TEST01", "TEST04-A", "TEST04-B", "TEST05")),
    "ssd-mobilenet": Benchmark("ssd-mobilenet", "ssd-mobilenet", "coco", coco.IMAGES,
                               "float32 7-tuples [image_idx, ymin, xmin, ymax, xmax, score, class]",
                               ("TEST01", "TEST04-A", "TEST04-B", "TEST05")),
    # TEST04 does not apply to BERT, whose samples differ in length (TEST04-A README, checker).
    "bert-99": Benchmark("bert-99", "bert", "squad", squad.FEATURES,
                         "384 x 2 float32, start and end logit per token", ("TEST01", "TEST05")),
}


@dataclass(frozen=True)
class Plan:
    """One result: its user.conf and the simulated device that answers it."""

    user_conf: tuple[str, ...]  # `key = value` lines and comments
    service_s_per_sample: float  # simulated device time per sample in performance runs
    batch: int = 1  # how the SUT splits a query into completion batches


def _uc(model: str, scenario: str, **values: Any) -> tuple[str, ...]:
    return tuple(f"{model}.{scenario}.{k} = {v}" for k, v in values.items())


MS_NOTE = (
    "# LoadGen 6.0.17 has no MultiStream issue interval: it sends the next query when",
    "# the previous one completes, and reads MultiStream.target_latency as the expected",
    "# latency that sizes its pre-generated query list (1 ms: enough queries). The v0.7",
    "# bound (50 ms at the 99th percentile, mlperf.conf) is what the per-query latencies",
    "# of this run are to be checked against. 662 queries: the fewest LoadGen 6.x needs",
    "# to estimate a 99th percentile (its early stopping; fewer make the run INVALID).",
)

# system -> (system_type, {(benchmark, scenario): plan}). Offline: one query of at least
# the 24,576 samples of mlperf.conf, from a device a little slower than the expected QPS
# so that the query outlasts min_duration. SingleStream resnet50: 8 ms a query, so that
# TEST01 (which logs every response of a run this short) stays under 10 KiB.
SYSTEMS: dict[str, tuple[str, dict[tuple[str, str], Plan]]] = {
    "tiny_dc": ("datacenter", {
        ("bert-99", "Offline"): Plan(_uc("bert", "Offline", target_qps=20000, min_duration=1000), 0.000045, 256),
        ("bert-99", "Server"): Plan(
            _uc("bert", "Server", target_qps=1000, min_duration=2000, min_query_count=256), 0.0004),
    }),
    "tiny_edge": ("edge", {
        ("resnet50", "SingleStream"): Plan(
            _uc("resnet50", "SingleStream", target_latency=8, min_duration=1000, min_query_count=64), 0.008),
        ("resnet50", "Offline"): Plan(_uc("resnet50", "Offline", target_qps=24000, min_duration=1000), 0.000045, 1024),
        ("ssd-mobilenet", "SingleStream"): Plan(
            _uc("ssd-mobilenet", "SingleStream", target_latency=4, min_duration=1000, min_query_count=64), 0.004),
        ("ssd-mobilenet", "Offline"): Plan(
            _uc("ssd-mobilenet", "Offline", target_qps=24000, min_duration=1000), 0.000045, 1024),
        ("ssd-mobilenet", "MultiStream"): Plan(
            (*_uc("ssd-mobilenet", "MultiStream", samples_per_query=8), *MS_NOTE,
             *_uc("ssd-mobilenet", "MultiStream", target_latency=1, min_duration=1000, min_query_count=662)),
            0.00025, 8),
    }),
}


def tests_for(bench: Benchmark, scenario: str) -> tuple[str, ...]:
    """The compliance tests of a result: TEST04 is exempt in MultiStream (v0.7 checker)."""
    return tuple(t for t in bench.tests if not (scenario == "MultiStream" and t.startswith("TEST04")))


# --------------------------------------------------------------------------
# Ground truth and scoring
# --------------------------------------------------------------------------


@dataclass
class Truth:
    """The ground truth files written into datasets/, the SUT's tables, and the scorers."""

    val_map: Path
    instances: Path
    squad_dev: Path
    squad_vocab: Path
    tables: dict[str, Path]  # benchmark folder -> ResponseTable file
    labels: Any = None
    _squad: tuple[dict[str, Any], list[squad.Example], list[squad.Feature]] | None = None

    def score(self, bench: Benchmark, log: Path) -> tuple[str, str]:
        """(accuracy.txt text, a one-line summary) of an accuracy log, as the round's script writes it."""
        if bench.dataset == "imagenet":
            good, total = imagenet.score_accuracy_log(log, self.labels)
            line = imagenet.accuracy_line(good, total)
            return line, line.strip()
        if bench.dataset == "coco":
            value, text = coco.score_accuracy_log(log, self.instances)
            return text, f"mAP={value:.3f}%"
        if self._squad is None:  # features from the files as written, once
            dataset = json.loads(read_text(self.squad_dev))
            examples = squad.read_examples(dataset)
            features = squad.convert_examples(squad.Tokenizer(squad.read_vocab(self.squad_vocab)), examples)
            self._squad = (dataset, examples, features)
        dataset, examples, features = self._squad
        score = squad.evaluate(dataset, squad.predictions(examples, features, squad.load_logits(log)))
        return squad.accuracy_txt(score), json.dumps(score)


def write_truth(datasets: Path, tmp: Path, log: Callable[[str], None]) -> Truth:
    """Write the ground truth into `datasets` and the SUT's response tables into `tmp`."""
    log("ground truth: ImageNet label map, COCO instances, SQuAD v1.1 dev set and vocabulary")
    val_map = datasets / "imagenet" / "val_map.txt"
    imagenet.write_val_map(val_map, imagenet.make_labels())
    labels = imagenet.read_val_map(val_map)
    coco_gt = coco.make_ground_truth()
    instances = coco.write_ground_truth(coco_gt, datasets / "coco")
    squad_gt = squad.make_ground_truth()
    dev, vocab = squad.write_ground_truth(squad_gt, datasets / "squad")

    log("the tiny SUT's response tables")
    tables = {name: tmp / f"{name}.npz" for name in BENCHMARKS}
    ResponseTable.fixed(imagenet.make_predictions(labels)).save(tables["resnet50"])
    ResponseTable.ragged(coco.make_detections(coco_gt)).save(tables["ssd-mobilenet"])
    logits = squad.make_logits(squad_gt)
    ResponseTable.fixed(logits.reshape(logits.shape[0], -1)).save(tables["bert-99"])
    return Truth(val_map, instances, dev, vocab, tables, labels)


# --------------------------------------------------------------------------
# Submission metadata files
# --------------------------------------------------------------------------


def system_description(system: str, system_type: str) -> dict[str, Any]:
    """The v0.7 system description: the v0.7 checker's required fields, system_type, and only fields it knows."""
    notes = f"Sample system of mlcheck ({system_type} suite); logs written by LoadGen {LOADGEN} (MLLOG)."
    return sample_system(SUBMITTER, DIVISION, system, notes, LOADGEN, system_type=system_type)


IMPLEMENTATION_JSON: dict[str, Any] = {
    "input_data_types": "N/A (answers looked up by sample index)",
    "retraining": "N",
    "starting_weights_filename": "N/A (table lookup, no weights)",
    "weight_data_types": "N/A",
    "weight_transformations": "none",
}


def user_conf_text(plan: Plan) -> str:
    """A result's user.conf: the round's settings lowered for this sample, applied after mlperf.conf."""
    return "\n".join([
        "# Overrides of this sample run, applied after mlperf.conf.",
        "# Durations and query counts are deliberately below the v0.7 minimums:",
        "# this is mlcheck's small sample submission, not a valid result.",
        *plan.user_conf,
        "",
    ])


def measurement_readme(system: str, system_type: str, bench: Benchmark, scenario: str,
                       settings: dict[str, Any]) -> str:
    """README.md of a measurements folder: how the runs were made and with which TestSettings."""
    rows = "\n".join(f"| `{k}` | {v} |" for k, v in settings.items())
    runs = f"{SERVER_RUNS} runs" if scenario == "Server" else "1 run"
    tests = ", ".join(tests_for(bench, scenario))
    return (
        f"# {system} ({system_type}) / {bench.folder} / {scenario}\n\n"
        "Generated, with the other results of this sample submission, by\n\n"
        "```\npython reference_logs/generate.py --round v0.7\n```\n\n"
        f"It runs MLPerf LoadGen {LOADGEN} (`mlcommons-loadgen`, `import mlperf_loadgen`) in\n"
        f"`AccuracyOnly` mode (all {bench.total:,} samples) and in `PerformanceOnly` mode ({runs})\n"
        f"against the tiny NumPy SUT of `code/{bench.folder}/{IMPLEMENTATION}/README.md`. Its\n"
        f"TestSettings are those of `mlperf.conf` and `user.conf` here for model `{bench.model}`,\n"
        "applied as the v0.7 LoadGen applied them:\n\n"
        "| TestSettings field | value |\n|---|---|\n"
        f"{rows}\n\n"
        "Durations and query counts are deliberately below the v0.7 minimums.\n\n"
        f"The compliance tests of this result ({tests}) are in\n"
        f"`compliance/{system}/{bench.folder}/{scenario}/`, each run with the same files plus\n"
        "the test's v0.7 audit.config; `reference_logs/README.md` in the mlcheck repository\n"
        "describes them.\n"
    )


def code_readme(bench: Benchmark, plans: dict[str, Plan]) -> str:
    """code/<benchmark>/numpy/README.md: what the tiny SUT is."""
    service = ", ".join(
        f"{scenario} {plan.service_s_per_sample * 1e6:g} us" + (f" in batches of {plan.batch}" if plan.batch > 1 else "")
        for scenario, plan in plans.items()
    )
    return (
        f"# Tiny NumPy SUT for {bench.folder} (mlcheck sample submission)\n\n"
        "Not a neural network: a deterministic table lookup that exists only to drive the real\n"
        "MLPerf LoadGen and produce genuine logs for mlcheck's sample submission. Its source\n"
        "is `reference_logs/generator/` in the mlcheck repository.\n\n"
        f"- For sample index `i` it returns precomputed bytes: {bench.payload}, the payload\n"
        f"  the v0.7 reference implementation logs; they score against the sample's synthetic\n"
        f"  {bench.dataset} ground truth (`reference_logs/datasets/`) as `accuracy.txt` says.\n"
        "- One worker thread answers queries in order and completes them with\n"
        "  `QuerySamplesComplete`, simulating a device with a fixed per-sample service time in\n"
        "  performance runs (a batch starts when its query has arrived and the previous batch\n"
        f"  is done); accuracy runs are not paced. Service times: {service}.\n"
    )


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One result being generated: where its folders are and the config files of its runs."""

    root: Path  # <out>/closed/MLCheckSample
    system: str
    system_type: str
    bench: Benchmark
    scenario: str
    plan: Plan
    mlperf_conf: str
    user_conf: str

    def folder(self, part: str) -> Path:
        """results/, measurements/ or compliance/ folder of this result."""
        return self.root / part / self.system / self.bench.folder / self.scenario

    def settings(self, *audit: str) -> tuple[dict[str, Any], str | None]:
        """TestSettings (and mode) of mlperf.conf, user.conf and an audit.config, in that order."""
        return conf.settings_from_files((self.mlperf_conf, self.user_conf, *audit), self.bench.model, self.scenario)

    def spec(self, truth: Truth, mode: str, dest: Path, settings: dict[str, Any], **kw: Any) -> RunSpec:
        """A LoadGen test of this result's SUT."""
        return RunSpec(
            scenario=self.scenario, mode=mode, settings=settings, responses=str(truth.tables[self.bench.folder]),
            total=self.bench.total, performance_count=int(settings["performance_sample_count_override"]),
            service_s_per_sample=self.plan.service_s_per_sample, batch=self.plan.batch, dest=str(dest), **kw,
        )


def _check_parameters(summary: Path, expected: dict[str, Any]) -> None:
    """LoadGen's "Test Parameters Used" must show the settings the config files gave."""
    params = scan_summary(read_text(summary)).parameters
    for name, value in expected.items():
        got = params.get(name)
        if got is not None and str(value) != got:
            raise RuntimeError(f"{summary}: LoadGen used {name} = {got}, the config files say {value}")


def _performance(res: Result, truth: Truth, dest: Path, settings: dict[str, Any]) -> Callable[[int], None]:
    return lambda attempt: run_isolated(res.spec(truth, "PerformanceOnly", dest, settings))


def run_accuracy(res: Result, truth: Truth, log: Callable[[str], None]) -> None:
    """The accuracy run of one result, scored into accuracy.txt."""
    settings, _ = res.settings()
    acc_dir = res.folder("results") / "accuracy"
    log(f"{res.system} {res.bench.folder} {res.scenario} accuracy")
    run_isolated(res.spec(truth, "AccuracyOnly", acc_dir, settings))
    text, summary = truth.score(res.bench, acc_dir / ACCURACY_LOG)
    write_text(acc_dir / "accuracy.txt", text)
    print(f"          {summary}", flush=True)


def run_performance(res: Result, truth: Truth, log: Callable[[str], None]) -> None:
    """The performance runs of one result (Server: five), each run again while LoadGen says INVALID."""
    settings, _ = res.settings()
    results = res.folder("results")
    seeds = {k: settings[k] for k in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")}
    for run in range(1, (SERVER_RUNS if res.scenario == "Server" else 1) + 1):
        dest = results / "performance" / f"run_{run}"
        until_valid(f"{res.system} {res.bench.folder} {res.scenario} performance run_{run}",
                    _performance(res, truth, dest, settings), dest / SUMMARY, ATTEMPTS, log)
        _check_parameters(dest / SUMMARY, seeds)


def run_compliance(res: Result, truth: Truth, log: Callable[[str], None], tmp: Path) -> dict[str, str]:
    """The v0.7 compliance tests of one result, with their verify outputs; {output path: PASS/FAIL}.

    Layout (v0.7): compliance/<system>/<benchmark>/<scenario>/<TEST>/ with the test's run in
    performance/run_1/ and the verify outputs beside; TEST01's sampled responses in
    accuracy/ (run_verification.py copies them there) with the accuracy script's output
    on them in accuracy.txt where the v0.7 script can score a subset of the set.
    """
    result_dir, comp = res.folder("results"), res.folder("compliance")
    reference = read_text(result_dir / "performance" / "run_1" / SUMMARY)
    tests = tests_for(res.bench, res.scenario)

    def performance_run(test: str, attempt: int) -> str:
        dest = comp / test / "performance" / "run_1"
        if dest.exists():
            shutil.rmtree(dest)
        audit = tmp / f"{res.system}-{res.bench.folder}-{res.scenario}-{test}" / "audit.config"
        lines = conf.audit_config_lines(test, res.bench.model)
        write_text(audit, conf.conf_text([(f"{test} of the v0.7 compliance tests (compliance/nvidia/{test})", lines)]))
        settings, mode = res.settings(read_text(audit))
        log(f"{res.system} {res.bench.folder} {res.scenario} {test}" + (f" (attempt {attempt})" if attempt > 1 else ""))
        run_isolated(res.spec(truth, mode or "PerformanceOnly", dest, settings, audit_config=str(audit),
                              keep_accuracy_log=test == "TEST01"))
        _check_parameters(dest / SUMMARY, {k.split(".")[-1]: v for k, v in lines if not k.endswith(".mode")})
        return read_text(dest / SUMMARY)

    def against_reference(test: str, tolerance: float) -> Callable[[int], str]:
        return lambda attempt: verify_performance_text(reference, performance_run(test, attempt), tolerance)

    outputs: dict[str, str] = {}
    for test, tolerance in (("TEST01", TEST01_TOLERANCE), ("TEST05", TEST05_TOLERANCE)):
        until_pass(test, against_reference(test, tolerance), ATTEMPTS)
        outputs[f"{test}/verify_performance.txt"] = verify_performance_text(
            reference, read_text(comp / test / "performance" / "run_1" / SUMMARY), tolerance)
    if "TEST04-A" in tests:
        until_pass("TEST04", lambda a: verify_test4_text(performance_run("TEST04-A", a), performance_run("TEST04-B", a)),
                   ATTEMPTS)
        outputs["TEST04-A/verify_performance.txt"] = verify_test4_text(
            read_text(comp / "TEST04-A" / "performance" / "run_1" / SUMMARY),
            read_text(comp / "TEST04-B" / "performance" / "run_1" / SUMMARY))

    # TEST01: the sampled responses go to accuracy/, checked against the accuracy run.
    t01 = comp / "TEST01"
    (t01 / "accuracy").mkdir(parents=True, exist_ok=True)
    shutil.move(t01 / "performance" / "run_1" / ACCURACY_LOG, t01 / "accuracy" / ACCURACY_LOG)
    outputs["TEST01/verify_accuracy.txt"] = verify_accuracy_text(result_dir / "accuracy" / ACCURACY_LOG,
                                                                 t01 / "accuracy" / ACCURACY_LOG)
    # The v0.7 accuracy-squad.py cannot score a subset of the features (a KeyError on the
    # first feature missing from the log): the BERT TEST01 accuracy.txt holds the hash only.
    text = "" if res.bench.dataset == "squad" else truth.score(res.bench, t01 / "accuracy" / ACCURACY_LOG)[0]
    write_text(t01 / "accuracy" / "accuracy.txt", text)
    for rel, out in outputs.items():
        write_text(comp / rel, out)
    return {str(comp / rel): verdict(out) for rel, out in outputs.items()}


def generate(out: Path, datasets: Path, audit: bool = True) -> int:
    """Write the v0.7 sample under `out` (its ground truth under `datasets`); 0, or 1 when a test fails."""
    root = out / DIVISION / SUBMITTER
    if root.exists():
        shutil.rmtree(root)
    started = time.monotonic()

    def log(what: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {what}", flush=True)

    mlperf_conf = conf.mlperf_conf_v07()
    verdicts: dict[str, str] = {}
    truncations: list[Truncation] = []
    with tempfile.TemporaryDirectory(prefix="mlcheck-sample-") as tmp_name:
        tmp = Path(tmp_name)
        truth = write_truth(datasets, tmp, log)
        for system, (system_type, plans) in SYSTEMS.items():
            write_json(root / "systems" / f"{system}.json", system_description(system, system_type))
            for folder in dict.fromkeys(b for b, _ in plans):
                bench_plans = {s: p for (b, s), p in plans.items() if b == folder}
                write_text(root / "code" / folder / IMPLEMENTATION / "README.md",
                           code_readme(BENCHMARKS[folder], bench_plans))
            for (folder, scenario), plan in plans.items():
                res = Result(root, system, system_type, BENCHMARKS[folder], scenario, plan,
                             mlperf_conf, user_conf_text(plan))
                m = res.folder("measurements")
                write_text(m / "mlperf.conf", res.mlperf_conf)
                write_text(m / "user.conf", res.user_conf)
                write_text(m / "README.md", measurement_readme(system, system_type, res.bench, scenario,
                                                               res.settings()[0]))
                write_json(m / f"{system}_{IMPLEMENTATION}_{scenario}.json", IMPLEMENTATION_JSON)
                run_accuracy(res, truth, log)
                for attempt in range(1, RESULT_ATTEMPTS + 1):
                    run_performance(res, truth, log)
                    if not audit:
                        break
                    these = run_compliance(res, truth, log, tmp)
                    if attempt == RESULT_ATTEMPTS or all(v == "PASS" for v in these.values()):
                        verdicts.update(these)
                        break
                    print("          compliance tests fail against this run_1: making the result's "
                          "performance runs and tests again", flush=True)
                    shutil.rmtree(res.folder("compliance"))
                # Last, as a submitter runs the truncation tool on the finished tree.
                acc = res.folder("results") / "accuracy"
                truncations.append(truncate_accuracy_log(acc / ACCURACY_LOG, acc / "accuracy.txt"))
                t01 = res.folder("compliance") / "TEST01" / "accuracy"
                if audit:
                    truncations.append(truncate_accuracy_log(t01 / ACCURACY_LOG, t01 / "accuracy.txt"))

    whole = [t for t in truncations if not t.truncated]
    log(f"accuracy logs: {len(truncations) - len(whole)} truncated, {len(whole)} whole: "
        + ", ".join(str(t.log.relative_to(root)) for t in whole))
    failed = sorted(str(Path(p).relative_to(root)) for p, v in verdicts.items() if v != "PASS")
    if verdicts:
        print(f"          verify outputs: {len(verdicts) - len(failed)} of {len(verdicts)} say TEST PASS", flush=True)
    for rel in failed:
        print(f"          TEST FAIL: {rel}", flush=True)
    log(f"done: {root}")
    if failed:
        print("error: compliance tests fail (a busy machine slows the short runs); generate the sample again",
              file=sys.stderr)
        return 1
    return 0

