"""Check kinds for training submissions. Round-specific numbers come from the ruleset, never from here."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from ..engine.core import Hit, Registry
from ..engine.ruleset import Rule, Ruleset
from ..parse.training_log import FORMAT_EMPTY, FORMAT_FOREIGN, TrainingLog
from ..resources import load_schema
from .facts import (
    EntryFacts,
    RunFacts,
    SubmitterFacts,
    SystemFacts,
    TreeFacts,
    benchmarks,
    canonical_benchmark,
    training_data,
)
from .scoring import METHOD_EVAL_RESULT, METHOD_FOREIGN_RUN, METHOD_TOTAL

REGISTRY = Registry()
kind = REGISTRY.kind


def _fmt_acc(a: Any) -> str:
    if a is None:
        return "none"
    if isinstance(a, dict):
        return "/".join(f"{v:.4f}" for v in a.values())
    return f"{float(a):.4g}"


def _mlperf_runs(e: EntryFacts) -> Iterator[tuple[RunFacts, TrainingLog]]:
    """Runs whose log is in an MLPerf format (others are reported once by train.log.format)."""
    for r in e.runs:
        if r.log is not None and r.log.format not in (FORMAT_FOREIGN, FORMAT_EMPTY):
            yield r, r.log


# ---------------------------------------------------------------- tree and submitter scope

@kind("skipped_paths", "tree")
def skipped_paths(t: TreeFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Links and special files are never followed; each is reported."""
    for rel, why in t.tree.skipped:
        yield Hit({"path": rel, "why": why}, rel)


@kind("submitter_layout", "submitter")
def submitter_layout(s: SubmitterFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The submitter folder holds the parts the layout requires."""
    for part in rule.params.get("required", []):
        if not s.sub.parts.get(part, False):
            yield Hit({"part": part}, s.sub.rel)


@kind("submission_json", "submitter")
def submission_json(s: SubmitterFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The v0.5-style submission.json is a JSON object naming the org."""
    if s.submission_problem is not None and s.sub.submission_json is not None:
        yield Hit({"why": s.submission_problem}, s.sub.submission_json, s.submission_line)


# ---------------------------------------------------------------- system scope

@kind("system_present", "system")
def system_present(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Every results/<system> folder has a system description."""
    if s.rel is None:
        yield Hit({"system": s.system, "expected": s.expected}, s.expected)


@kind("system_json", "system")
def system_json(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The system description is a JSON object (a dump of log lines is read, and reported)."""
    if s.rel is not None and s.problem is not None:
        yield Hit({"why": s.problem}, s.rel, s.problem_line)


@kind("system_schema", "system")
def system_schema(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Required fields, their types, and unknown (often misspelled) fields, per the round's schema."""
    if s.rel is None or s.data is None or not s.schema:
        return
    schema = load_schema(s.schema)
    validator = jsonschema.Draft202012Validator(schema)
    missing: list[str] = []
    for err in sorted(validator.iter_errors(s.data), key=lambda e: (list(e.absolute_path), e.message)):
        if err.validator == "required" and not err.absolute_path:
            m = re.match(r"'([^']+)' is a required property", err.message)
            missing.append(m.group(1) if m else err.message)
            continue
        where = "/".join(str(p) for p in err.absolute_path)
        if err.validator == "anyOf" and not where:
            why = "needs host_processor_core_count or host_processor_vcpu_count"
        else:
            why = f"field '{where}': {err.message}" if where else err.message
        yield Hit({"why": why}, s.rel)
    known = list(schema.get("properties", {}))
    unknown = []
    for f in sorted(s.data):
        if f in known:
            continue
        close = difflib.get_close_matches(f.replace(" ", "_"), known, n=1, cutoff=0.8)
        if close:
            yield Hit({"why": f"field '{f}' is not a field of this round's description; did you mean '{close[0]}'?"},
                      s.rel)
            if close[0] in missing:
                missing.remove(close[0])
                yield Hit({"why": f"required field '{close[0]}' is missing (misspelled as '{f}')"}, s.rel)
        else:
            unknown.append(f)
    if missing:
        yield Hit({"why": f"{len(missing)} required field(s) missing: {', '.join(missing)}"}, s.rel)
    if unknown and s.form != "log-dump":
        yield Hit({"why": f"{len(unknown)} field(s) this round's description does not define: {', '.join(unknown)}"},
                  s.rel, severity=None)


# ---------------------------------------------------------------- result scope: the folder and its runs

@kind("benchmark_known", "result")
def benchmark_known(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The benchmark folder names a benchmark of the round (aliases allowed)."""
    if e.benchmark is None:
        yield Hit({"folder": e.entry.benchmark_dir, "known": ", ".join(sorted(benchmarks(rs)))}, e.entry.id)


def _required_runs(e: EntryFacts) -> int | None:
    runs = e.bench.get("runs")
    v = runs.get("value") if isinstance(runs, dict) else runs
    return int(v) if v is not None else None


@kind("runs_count", "result")
def runs_count(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """At least the round's number of result files (known-absent files count as present)."""
    need = _required_runs(e)
    if need is not None and len(e.entry.runs) < need:
        yield Hit({"got": len(e.entry.runs), "required": need, "benchmark": e.benchmark}, e.entry.id)


@kind("runs_numbering", "result")
def runs_numbering(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """result_<i>.txt numbered 0..n-1 or 1..n, without gaps."""
    idx = sorted(r.index for r in e.entry.runs if r.index is not None)
    if not idx:
        return
    start = idx[0]
    if start not in (0, 1):
        yield Hit({"why": f"numbering starts at {start}, not 0 or 1"}, e.entry.id)
    gaps = sorted(set(range(start, start + len(idx))) - set(idx))
    if gaps:
        yield Hit({"why": f"result_{gaps[0]}.txt is missing between result_{idx[0]}.txt and result_{idx[-1]}.txt"},
                  e.entry.id)


@kind("runs_stray", "result")
def runs_stray(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Files in a result folder that are not result logs."""
    for f in e.entry.stray:
        yield Hit({"file": f.rsplit("/", 1)[-1]}, f)


@kind("runs_absent", "result")
def runs_absent(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Files known to be absent from this copy: reported, left out of the score."""
    for r in e.runs:
        if r.file.absent:
            yield Hit({"file": r.file.name}, r.file.rel)


@kind("runs_scored", "result")
def runs_scored(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The result has a score (unless its logs are known to be absent from this copy)."""
    if e.score is None or e.score.minutes is not None or e.score.invalid:
        return
    if any(r.file.absent for r in e.runs):
        return  # the copy lacks files; runs_absent says so
    yield Hit({"why": e.score.why}, e.entry.id)


@kind("runs_nonconverged", "result")
def runs_nonconverged(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """No more non-converged runs than the round allows."""
    allowed = int(rule.params.get("allowed", 10**6))
    bad = [r for r in e.scored if not r.converged]
    if len(bad) > allowed:
        yield Hit({"count": len(bad), "files": ", ".join(r.file.name for r in bad), "allowed": allowed}, e.entry.id)


# ---------------------------------------------------------------- result scope: each log

@kind("log_readable", "result")
def log_readable(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Each present log can be read."""
    for r in e.runs:
        if r.problem is not None:
            yield Hit({"why": r.problem}, r.file.rel)
        elif r.log is not None and r.log.format == FORMAT_EMPTY:
            yield Hit({"why": "is empty"}, r.file.rel)


@kind("log_format", "result")
def log_format(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A log in no MLPerf format; where it states its own times, the derived time is named."""
    for r in e.runs:
        if r.log is None or r.log.format != FORMAT_FOREIGN:
            continue
        t = r.time
        if t is not None and t.seconds is not None:
            src = {METHOD_TOTAL: "its own 'Total runtime' line", METHOD_FOREIGN_RUN: "its own run start and stop lines"}
            detail = (f"; time to train derived from {src.get(t.method or '', t.method)} (line {t.line}): "
                      f"{t.seconds / 60:.4f} min")
        else:
            detail = "; no time to train can be derived from it"
        yield Hit({"detail": detail}, r.file.rel, line=1)


@kind("log_round_format", "result")
def log_round_format(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A log in an MLPerf format of another round."""
    expected = training_data(rs, "log_format")
    for r, log in _mlperf_runs(e):
        if expected and log.format != expected:
            yield Hit({"got": log.format, "expected": expected}, r.file.rel)


@kind("log_quirk", "result")
def log_quirk(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """One finding per log for each kind of quirk the parser met, at its first line, with the count."""
    name = rule.params["quirk"]
    for r in e.runs:
        if r.log is None:
            continue
        q = r.log.quirks.get(name)
        if q is not None:
            yield Hit({"count": q.count, "line": q.line, "detail": q.detail or q.example}, r.file.rel, q.line)


@kind("log_benchmark", "result")
def log_benchmark(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The benchmark the log names (submission_benchmark, or the v0.5 line's) matches its folder."""
    if e.benchmark is None:
        return
    for r, log in _mlperf_runs(e):
        ev = log.first("submission_benchmark")
        named = ev.value if ev is not None and isinstance(ev.value, str) else log.benchmark
        if named and canonical_benchmark(rs, named) != e.benchmark and named.lower() != e.benchmark:
            yield Hit({"got": named, "folder": e.entry.benchmark_dir}, r.file.rel, ev.line if ev else 1)


def _required_keys(rule: Rule, e: EntryFacts) -> list[str]:
    keys = list(rule.params.get("required", []))
    per = (rule.params.get("per_benchmark") or {}).get(e.benchmark or "", {})
    keys = [k for k in keys if k not in per.get("remove", [])] + list(per.get("add", []))
    return keys


@kind("run_keys", "result")
def run_keys(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Keys every run log must hold."""
    for r, log in _mlperf_runs(e):
        for k in _required_keys(rule, e):
            if log.first(k) is None:
                yield Hit({"key": k}, r.file.rel)


_ORDER = ("cache_clear", "init_start", "init_stop", "run_start", "run_stop")


@kind("run_order", "result")
def run_order(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """cache_clear, init_start, init_stop, run_start, run_stop in that order (first occurrence of each)."""
    for r, log in _mlperf_runs(e):
        firsts = [(k, log.first(k)) for k in _ORDER]
        seen = [(k, ev) for k, ev in firsts if ev is not None]
        for (k1, a), (k2, b) in zip(seen, seen[1:]):
            if b.line < a.line or b.time_s < a.time_s:
                yield Hit({"why": f"'{k2}' (line {b.line}) comes before '{k1}' (line {a.line})"}, r.file.rel, b.line)
        start, stop = log.first("run_start"), log.first("run_stop")
        if start is not None:
            for ev in log.events:
                if ev.key == "eval_accuracy" and ev.line < start.line:
                    yield Hit({"why": f"eval_accuracy at line {ev.line} comes before run_start (line {start.line})"},
                              r.file.rel, ev.line)
                    break
        if stop is not None:
            late = next((ev for ev in log.events if ev.key in ("eval_accuracy", "epoch_start") and ev.line > stop.line),
                        None)
            if late is not None:
                yield Hit({"why": f"'{late.key}' at line {late.line} comes after run_stop (line {stop.line})"},
                          r.file.rel, late.line)


@kind("run_bracketing", "result")
def run_bracketing(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """epoch, block and eval start/stop pairs match (one open epoch at run_stop is allowed)."""
    for r, log in _mlperf_runs(e):
        for what in ("epoch", "block", "eval"):
            starts, stops = log.count(f"{what}_start"), log.count(f"{what}_stop")
            ranks = max(1, log.count("run_start"))
            if stops > starts:
                first = log.first(f"{what}_stop")
                yield Hit({"why": f"{stops} {what}_stop but only {starts} {what}_start"}, r.file.rel,
                          first.line if first else None)
            elif starts - stops > ranks:
                first = log.first(f"{what}_start")
                yield Hit({"why": f"{starts} {what}_start but only {stops} {what}_stop"}, r.file.rel,
                          first.line if first else None)


@kind("init_time", "result")
def init_time(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Untimed initialisation (first init_start to init_stop) within the round's limit."""
    limit = float(training_data(rs, "init_limit_s", 1200))
    for r, log in _mlperf_runs(e):
        a, b = log.first("init_start"), log.first("init_stop")
        if a is None or b is None:
            continue
        took = b.time_s - a.time_s
        if took > limit:
            yield Hit({"minutes": round(took / 60, 2), "limit": round(limit / 60, 2)}, r.file.rel, b.line)


@kind("run_status", "result")
def run_status(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """run_stop says success."""
    for r, log in _mlperf_runs(e):
        st = r.status
        if st is not None and st != "success":
            stop = log.first("run_stop")
            yield Hit({"status": st}, r.file.rel, stop.line if stop else None)


@kind("run_time", "result")
def run_time(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Each present, readable log yields a time to train."""
    for r in e.runs:
        if r.log is None or r.log.format == FORMAT_EMPTY or r.time is None or r.time.seconds is not None:
            continue
        yield Hit({"why": r.time.why}, r.file.rel, r.time.line)


@kind("run_converged", "result")
def run_converged(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Each run reached the round's quality target (first eval at or above it) with status success."""
    if e.target is None:
        return
    for r in e.runs:
        if r.log is None or r.log.format == FORMAT_EMPTY or r.converged:
            continue
        c = r.conv
        note = ""
        if c is not None and c.reached:
            note = f"; it reached the target at line {c.reached_line} but run_stop says '{r.status}'"
        elif c is not None and c.evals == 0:
            note = "; the log holds no readable accuracy"
        if r.minutes is not None:
            note += f"; its {r.minutes:.2f} min " + ("count in the mean" if e.score and not e.score.invalid
                                                      and e.score.minutes is not None and
                                                      _counted(e, r) else "are not in the mean")
        yield Hit({"target": _fmt_acc(e.target), "best": _fmt_acc(c.best if c else None), "note": note},
                  r.file.rel, c.reached_line if c and c.reached else None)


def _counted(e: EntryFacts, r: RunFacts) -> bool:
    if e.score is None:
        return False
    return any(e.scored[i] is r for i in e.score.used)


@kind("run_time_method", "result")
def run_time_method(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Where a run's time comes from something other than run_stop - run_start."""
    for r in e.runs:
        t = r.time
        if t is not None and t.seconds is not None and t.method in (METHOD_EVAL_RESULT,):
            yield Hit({"method": f"the {t.method} at line {t.line}", "minutes": round(t.seconds / 60, 4)},
                      r.file.rel, t.line)


def _check_value(v: Any, spec: dict[str, Any]) -> str | None:
    num = isinstance(v, (int, float)) and not isinstance(v, bool)
    if spec.get("positive") and not (num and v > 0):
        return "must be a number above 0"
    if "at_least" in spec and not (num and v >= spec["at_least"]):
        return f"must be a number of at least {spec['at_least']}"
    if spec.get("boolean") and not isinstance(v, bool):
        return "must be true or false"
    if "one_of" in spec and v not in spec["one_of"]:
        return "must be one of " + ", ".join(str(x) for x in spec["one_of"])
    return None


@kind("hyperparameters", "result")
def hyperparameters(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Closed-division hyperparameters: logged, with the values the round's rules allow."""
    spec = (rule.params.get("benchmarks") or {}).get(e.benchmark or "")
    if not spec:
        return
    for r, log in _mlperf_runs(e):
        for key, check in (spec.get("keys") or {}).items():
            ev = log.first(key)
            if ev is None:
                yield Hit({"why": f"hyperparameter '{key}' is not logged"}, r.file.rel)
                continue
            why = _check_value(ev.value, check)
            if why is not None:
                yield Hit({"why": f"'{key}' is {ev.value!r}; it {why}"}, r.file.rel, ev.line)
        for cond in spec.get("when") or []:
            ev = log.first(cond["key"])
            if ev is None or ev.value != cond["equals"]:
                continue
            for need in cond.get("requires", []):
                if log.first(need) is None:
                    yield Hit({"why": f"'{cond['key']}' is {cond['equals']!r}, which needs '{need}', not logged"},
                              r.file.rel, ev.line)
