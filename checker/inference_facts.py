"""The parse stage for inference: discovered folders -> typed facts the checks read.

Every file is read at most once, leniently; what cannot be read becomes a recorded
problem on the facts, which a rule turns into a finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit import AuditFacts, AuditTree, attach_audit
from .discover import Entry, InferenceResult, InferenceTree, Links, RunDir, Submitter, list_dir
from .engine.ruleset import Ruleset
from .parse.accuracy_txt import AccuracyTxt, parse_accuracy_txt
from .parse.loadgen import DetailLog, SummaryLog, canonical_scenario, parse_detail, parse_summary
from .parse.textio import DEFAULT_MAX_BYTES, read_text

SUMMARY = "mlperf_log_summary.txt"
DETAIL = "mlperf_log_detail.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"
ACCURACY_TXT = "accuracy.txt"


@dataclass
class Options:
    """What the user asked for; passed down, never global."""

    known_absent: frozenset[str] = frozenset()  # paths relative to the validated root
    max_bytes: int = DEFAULT_MAX_BYTES
    datasets: dict[str, Path] = field(default_factory=dict)
    audit_responses: str = "small"  # TEST01 response comparison: off, small (size-capped by the rules) or all


@dataclass
class RunFacts:
    rel: str
    name: str
    files: list[str]
    summary: SummaryLog | None = None
    detail: DetailLog | None = None
    problems: dict[str, str] = field(default_factory=dict)  # file -> why it could not be used
    absent: set[str] = field(default_factory=set)  # files known absent from this copy


@dataclass
class SystemFacts:
    name: str
    rel: str | None  # relative path of the JSON, None when missing
    submitter: Submitter
    data: dict[str, Any] | None = None
    problem: str | None = None


@dataclass
class ResultFacts:
    res: InferenceResult
    benchmark: str | None  # canonical, None when unknown
    scenario: str | None
    bench: dict[str, Any]
    system: SystemFacts | None
    runs: list[RunFacts]
    accuracy: RunFacts | None
    accuracy_txt: AccuracyTxt | None = None
    measurements_rel: str | None = None
    measurements_files: list[str] = field(default_factory=list)
    other_measurements: list[str] = field(default_factory=list)  # measurements/ system folders present
    code_rel: str | None = None
    code_ok: bool = False
    rescore: dict[str, Any] | None = None  # filled by the rescore stage when ground truth is given
    log_scan: dict[str, Any] | None = None  # the rescore stage's structural scan of the accuracy log
    original_scan: dict[str, Any] | None = None  # scan of an untruncated original supplied by the user
    rescore_error: str | None = None  # why a log with ground truth could not be scored
    known_absent: frozenset[str] = frozenset()
    audit: AuditFacts | None = None  # compliance tests found for this result


@dataclass
class TreeFacts:
    tree: InferenceTree
    submitters: list[Submitter]
    systems: dict[tuple[str, str], SystemFacts]  # (submitter rel, system name) -> facts
    results: list[ResultFacts]
    audit: AuditTree = field(default_factory=AuditTree)


def benchmark_index(ruleset: Ruleset) -> dict[str, str]:
    """Folder name (lower case) -> canonical benchmark, aliases included."""
    out: dict[str, str] = {}
    for name, b in ruleset.data.get("benchmarks", {}).items():
        out[name.lower()] = name
        for a in b.get("aliases", []):
            out[str(a).lower()] = name
    return out


def scenario_index(ruleset: Ruleset) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, s in ruleset.data.get("scenarios", {}).items():
        out[name.lower()] = name
        for a in s.get("aliases", []):
            out[str(a).lower()] = name
    return out


def canonical_benchmark(ruleset: Ruleset, folder: str) -> str | None:
    return benchmark_index(ruleset).get(folder.lower())


def canonical_scenario_dir(ruleset: Ruleset, folder: str) -> str | None:
    return scenario_index(ruleset).get(folder.lower()) or canonical_scenario(folder)


def _read_run(root: Path, run: RunDir, opts: Options, wanted: tuple[str, ...]) -> RunFacts:
    facts = RunFacts(run.rel, run.name, run.files)
    for fname in wanted:
        rel = f"{run.rel}/{fname}"
        if fname not in run.files:
            if rel in opts.known_absent:
                facts.absent.add(fname)
            continue
        tf = read_text(root / rel, opts.max_bytes)
        if tf.text is None:
            facts.problems[fname] = "; ".join(tf.problems)
            continue
        if not tf.text.strip():
            facts.problems[fname] = "is empty"
            continue
        if fname == SUMMARY:
            facts.summary = parse_summary(tf.text)
            s = facts.summary
            if not s.recognized:
                facts.problems[fname] = "holds no LoadGen summary (no scenario, mode, verdict or error count)"
                facts.summary = None
        elif fname == DETAIL:
            facts.detail = parse_detail(tf.text)
            if facts.detail.scenario is None and facts.detail.mode is None:
                facts.problems[fname] = ("holds no usable LoadGen settings: no scenario or test mode "
                                         "(not a LoadGen detail log?)")
    return facts


def _note_skipped(tree: InferenceTree, rel: str, entry: Entry) -> None:
    """Links and special files met while reading measurements/ and code/ are reported like discover's."""
    known = {s.rel for s in tree.skipped}
    for name, kind in entry.others:
        if f"{rel}/{name}" not in known:
            tree.skipped.append(Links(f"{rel}/{name}", kind))


def _find_dir(parent: Path, names: list[str]) -> str | None:
    """The first child folder of `parent` whose name matches one of `names`, case-insensitively."""
    entry = list_dir(parent)
    lower = {d.lower(): d for d in entry.dirs}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def build_facts(tree: InferenceTree, ruleset: Ruleset, opts: Options) -> TreeFacts:
    """Read every file the inference rules look at, once."""
    root = tree.root
    systems: dict[tuple[str, str], SystemFacts] = {}
    for sub in tree.submitters:
        for name, rel in sub.systems.items():
            sf = SystemFacts(name, rel, sub)
            tf = read_text(root / rel, opts.max_bytes)
            if tf.text is None:
                sf.problem = "; ".join(tf.problems)
            else:
                try:
                    data = json.loads(tf.text)
                except ValueError as exc:
                    sf.problem = str(exc)
                except RecursionError:
                    sf.problem = "nested deeper than a system description can be"
                else:
                    if isinstance(data, dict):
                        sf.data = data
                    else:
                        sf.problem = f"top level is a JSON {type(data).__name__}, not an object"
            systems[(sub.rel, name)] = sf
    subs = {s.rel: s for s in tree.submitters}
    results: list[ResultFacts] = []
    for res in tree.results:
        bench_name = canonical_benchmark(ruleset, res.benchmark_dir)
        scenario = canonical_scenario_dir(ruleset, res.scenario_dir)
        bench = ruleset.data.get("benchmarks", {}).get(bench_name, {}) if bench_name else {}
        sysf = systems.get((res.submitter_rel, res.system))
        if sysf is None:
            sysf = SystemFacts(res.system, None, subs[res.submitter_rel])
        runs = [_read_run(root, r, opts, (SUMMARY, DETAIL)) for r in res.runs]
        acc = None
        acc_txt = None
        if res.accuracy is not None:
            acc = _read_run(root, res.accuracy, opts, (SUMMARY, DETAIL))
            for fname in (ACCURACY_TXT, ACCURACY_LOG):
                if fname not in res.accuracy.files and f"{res.accuracy.rel}/{fname}" in opts.known_absent:
                    acc.absent.add(fname)
            if ACCURACY_TXT in res.accuracy.files:
                tf = read_text(root / res.accuracy.rel / ACCURACY_TXT, opts.max_bytes)
                if tf.text is None:
                    acc.problems[ACCURACY_TXT] = "; ".join(tf.problems)
                elif not tf.text.strip():
                    acc.problems[ACCURACY_TXT] = "is empty"
                else:
                    metric = bench.get("accuracy", {}).get("metric") if bench else None
                    acc_txt = parse_accuracy_txt(tf.text, metric)
        facts = ResultFacts(res, bench_name, scenario, bench, sysf, runs, acc, acc_txt,
                            known_absent=opts.known_absent)
        # measurements/<system>/<benchmark>/<scenario>, matched case-insensitively and by alias
        sub_path = root / res.submitter_rel if res.submitter_rel else root
        meas_sys = sub_path / "measurements" / res.system
        # enter only folders a listing showed as real folders: a linked measurements/ or code/ is not followed
        sub_parts = subs[res.submitter_rel].parts
        facts.other_measurements = list_dir(sub_path / "measurements").dirs if sub_parts.get("measurements") else []
        if res.system in facts.other_measurements:
            names = [res.benchmark_dir] + ([bench_name] if bench_name else []) + [str(a) for a in bench.get("aliases", [])]
            b = _find_dir(meas_sys, names)
            if b is not None:
                s_names = [res.scenario_dir] + ([scenario] if scenario else [])
                s = _find_dir(meas_sys / b, s_names)
                if s is not None:
                    rel = f"{res.submitter_rel}/measurements/{res.system}/{b}/{s}".lstrip("/")
                    facts.measurements_rel = rel
                    meas_entry = list_dir(root / rel)
                    facts.measurements_files = meas_entry.files
                    _note_skipped(tree, rel, meas_entry)
        code = sub_path / "code"
        if sub_parts.get("code"):
            names = [res.benchmark_dir] + ([bench_name] if bench_name else []) + [str(a) for a in bench.get("aliases", [])]
            b = _find_dir(code, names)
            if b is not None:
                facts.code_rel = f"{res.submitter_rel}/code/{b}".lstrip("/")
                entry = list_dir(code / b)
                facts.code_ok = bool(entry.dirs or entry.files)
                _note_skipped(tree, facts.code_rel, entry)
        results.append(facts)
    audit = attach_audit(tree, results, ruleset, opts.known_absent, opts.max_bytes, opts.audit_responses)
    return TreeFacts(tree, tree.submitters, systems, results, audit)
