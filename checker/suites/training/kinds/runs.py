"""Check kinds for training submissions. Round-specific numbers come from the ruleset, never from here."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from typing import Any

import jsonschema

from ..engine.core import Hit, Registry
from ..engine.ruleset import Rule, Ruleset
from ..findings import Severity
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
from .scoring import METHOD_EVAL_RESULT, METHOD_FOREIGN_RUN, METHOD_TOTAL, meets

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


@kind("results_unread", "tree")
def results_unread(t: TreeFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Files under results/ that are neither result logs nor system descriptions: never read, each reported.

    Operating-system litter and hidden files (.DS_Store, .gitkeep) are reported at info severity.
    """
    for rel, junk in t.tree.unread:
        yield Hit({"path": rel}, rel, severity=Severity.INFO if junk else None)


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
        folder = e.entry.benchmark_dir or f"(none: the logs name {e.named_benchmark or 'no benchmark'})"
        yield Hit({"folder": folder, "known": ", ".join(sorted(benchmarks(rs)))}, e.entry.id)


def _required_runs(e: EntryFacts) -> int | None:
    runs = e.bench.get("runs")
    v = runs.get("value") if isinstance(runs, dict) else runs
    return int(v) if v is not None else None


def _published_minimum(e: EntryFacts) -> tuple[int, str] | None:
    """(count, source) when the round's published record accepted fewer runs than its rules ask."""
    runs = e.bench.get("runs")
    pm = runs.get("published_minimum") if isinstance(runs, dict) else None
    if isinstance(pm, dict) and pm.get("value") is not None:
        return int(pm["value"]), str(pm.get("source", ""))
    return None


@kind("runs_count", "result")
def runs_count(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """At least the round's number of result files (known-absent files count as present).

    When the benchmark's `runs.published_minimum` says the published record accepted fewer,
    a count at or above that minimum is left to runs_count_accepted.
    """
    need = _required_runs(e)
    pm = _published_minimum(e)
    n = len(e.entry.runs)
    if need is not None and n < need and not (pm is not None and n >= pm[0]):
        yield Hit({"got": n, "required": need, "benchmark": e.benchmark}, e.entry.id)


@kind("runs_count_accepted", "result")
def runs_count_accepted(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Fewer result files than the rules ask, but as many as the round's published record accepted.

    The record's own source (runs.published_minimum.source) is named in the finding.
    """
    need = _required_runs(e)
    pm = _published_minimum(e)
    n = len(e.entry.runs)
    if need is not None and pm is not None and pm[0] <= n < need:
        yield Hit({"got": n, "required": need, "benchmark": e.benchmark, "accepted": pm[0], "record": pm[1]},
                  e.entry.id)


@kind("runs_numbering", "result")
def runs_numbering(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """result_<i>.txt numbered 0..n-1 or 1..n, without gaps; other result_*.txt names are read, and reported."""
    odd = [r.name for r in e.entry.runs if r.index is None]
    if odd:
        yield Hit({"why": f"{len(odd)} file(s) are not named result_<i>.txt ({', '.join(odd[:4])}"
                          f"{', …' if len(odd) > 4 else ''}); read as result logs, as the round's tools glob "
                          "result_*.txt"}, e.entry.id)
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
    """Files in a result folder that are not result_*.txt logs: never read, each reported (litter at info)."""
    for f in e.entry.stray:
        yield Hit({"file": f.rsplit("/", 1)[-1]}, f)
    for f in e.entry.junk:
        yield Hit({"file": f.rsplit("/", 1)[-1]}, f, severity=Severity.INFO)


@kind("loose_logs", "result")
def loose_logs(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Logs placed directly in results/<system>/, without a benchmark folder: the benchmark is the one they name."""
    if e.entry.loose:
        named = e.named_benchmark or "none"
        yield Hit({"benchmark": e.benchmark or named, "named": named}, e.entry.id)


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
            folder = e.entry.benchmark_dir or f"results/{e.entry.system}/ (its other logs name {e.benchmark})"
            yield Hit({"got": named, "folder": folder}, r.file.rel, ev.line if ev else 1)


def _bench_list(rule: Rule, e: EntryFacts, name: str) -> list[str]:
    """The rule's list `name`, with the benchmark's per_benchmark add/remove applied."""
    keys = list(rule.params.get(name, []))
    per = (rule.params.get("per_benchmark") or {}).get(e.benchmark or "", {})
    drop = set(per.get("remove", []))
    return [k for k in keys if k not in drop] + [k for k in per.get("add" if name == "required" else f"add_{name}", [])]


@kind("run_keys", "result")
def run_keys(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Keys every run log must hold.

    params: `required` (keys logged at least once), `either` (groups of keys of which one
    must be logged, e.g. [block_start, epoch_start]), `per_benchmark.<b>.add/remove`.
    """
    for r, log in _mlperf_runs(e):
        for k in _bench_list(rule, e, "required"):
            if log.first(k) is None:
                yield Hit({"key": k}, r.file.rel)
        for group in rule.params.get("either", []):
            if not any(log.first(k) is not None for k in group):
                yield Hit({"key": " or ".join(group)}, r.file.rel)


@kind("run_key_counts", "result")
def run_key_counts(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Keys the round wants exactly once: more than one record with different values is a finding.

    params: `exactly_one` (keys), `per_benchmark.<b>.remove`. The same value printed by many
    ranks is the duplicate-key note, as the round's checker only warns about it.
    """
    for r, log in _mlperf_runs(e):
        for k in _bench_list(rule, e, "exactly_one"):
            evs = log.all(k) if log.count(k) > 1 else []
            if len(evs) > 1:
                values = {repr(ev.value) for ev in evs}
                if len(values) > 1:
                    shown = ", ".join(sorted(values)[:4]) + (", …" if len(values) > 4 else "")
                    yield Hit({"key": k, "count": len(evs), "values": shown}, r.file.rel, evs[1].line)


@kind("run_metadata", "result")
def run_metadata(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Metadata fields records must carry (eval_accuracy's epoch_num, run_stop's status, …), first miss per key.

    params: `fields` ({key: [metadata fields]}), `positive` ({key: field whose value must be > 0}).
    """
    fields: dict[str, list[str]] = rule.params.get("fields", {})
    positive: dict[str, str] = rule.params.get("positive", {})
    for r, log in _mlperf_runs(e):
        for key, need in fields.items():
            for ev in log.all(key) if log.count(key) else []:
                miss = [f for f in need if f not in ev.metadata]
                if miss:
                    yield Hit({"why": f"'{key}' at line {ev.line} has no metadata {', '.join(miss)}"}, r.file.rel,
                              ev.line)
                    break
        for key, fname in positive.items():
            for ev in log.all(key) if log.count(key) else []:
                v = ev.metadata.get(fname)
                if fname in ev.metadata and not (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0):
                    yield Hit({"why": f"'{key}' at line {ev.line} has metadata {fname} {v!r}, not above 0"},
                              r.file.rel, ev.line)
                    break


@kind("run_order", "result")
def run_order(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The round's lifecycle keys in log order (first occurrence of each), as the round's checker reads them.

    params: `order` (keys, in the order they must appear), `not_after_stop` (keys no record of
    which may follow run_stop). Time stamps are judged by the train.time.* kinds.
    """
    order = rule.params.get("order", [])
    for r, log in _mlperf_runs(e):
        firsts = [(k, log.first(k)) for k in order]
        seen = [(k, ev) for k, ev in firsts if ev is not None]
        for (k1, a), (k2, b) in zip(seen, seen[1:]):
            if b.line < a.line:
                yield Hit({"why": f"'{k2}' (line {b.line}) comes before '{k1}' (line {a.line})"}, r.file.rel, b.line)
        stop = log.first("run_stop")
        late_keys = set(rule.params.get("not_after_stop", []))
        if stop is not None and late_keys:
            late = next((ev for ev in log.events if ev.key in late_keys and ev.line > stop.line), None)
            if late is not None:
                yield Hit({"why": f"'{late.key}' at line {late.line} comes after run_stop (line {stop.line})"},
                          r.file.rel, late.line)


@kind("eval_after_stop", "result")
def eval_after_stop(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Evaluations logged after run_stop: the clock had stopped, so they do not count for convergence."""
    for r in e.runs:
        c = r.conv
        if c is None or not c.after_stop:
            continue
        reached = (f"; the one at line {c.after_stop_reached_line} reaches the target, but too late"
                   if c.after_stop_reached_line and not c.reached else "")
        yield Hit({"count": c.after_stop, "line": c.after_stop_line, "note": reached}, r.file.rel, c.after_stop_line)


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
    """run_stop's status as the round wants it.

    params: `allowed` (statuses any run may have; omitted: any), `nonconverged_allowed`
    (statuses a run that did not reach the target may have, e.g. aborted), `required`
    (run_stop must carry a status at all).
    """
    allowed = rule.params.get("allowed")
    late_ok = rule.params.get("nonconverged_allowed", [])
    for r, log in _mlperf_runs(e):
        stop = log.first("run_stop")
        if stop is None:
            continue
        st = r.status
        if st is None:
            if rule.params.get("required"):
                yield Hit({"status": "missing", "why": "run_stop carries no metadata.status"}, r.file.rel, stop.line)
            continue
        if allowed is None or st in allowed or (st in late_ok and not r.converged):
            continue
        yield Hit({"status": st, "why": f"run_stop status is '{st}', not {' or '.join(allowed)}"}, r.file.rel,
                  stop.line)


@kind("run_time", "result")
def run_time(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Each present, readable log yields a time to train."""
    for r in e.runs:
        if r.log is None or r.log.format == FORMAT_EMPTY or r.time is None or r.time.seconds is not None:
            continue
        yield Hit({"why": r.time.why}, r.file.rel, r.time.line)


@kind("run_converged", "result")
def run_converged(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Each run reached its quality target (an eval at or above it; where the round judges it so, before run_stop)."""
    if e.target is None:
        return
    for r in e.runs:
        if r.log is None or r.log.format == FORMAT_EMPTY or r.converged:
            continue
        c = r.conv
        note = f" ({r.target_note})" if r.target_note else ""
        if c is not None and c.reached:
            note += f"; it reached the target at line {c.reached_line} but run_stop says '{r.status}'"
        elif c is not None and c.evals == 0 and not c.after_stop:
            note += "; the log holds no readable accuracy"
        elif c is not None and c.after_stop_reached_line:
            note += f"; only an eval after run_stop (line {c.after_stop_reached_line}) reaches it"
        if r.minutes is not None:
            note += f"; its {r.minutes:.2f} min " + ("count in the mean" if e.score and not e.score.invalid
                                                      and e.score.minutes is not None and
                                                      _counted(e, r) else "are not in the mean")
        yield Hit({"target": _fmt_acc(r.target), "best": _fmt_acc(c.best if c else None), "note": note},
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


# ---------------------------------------------------------------- result scope: time stamps

_LIFECYCLE = ("init_start", "init_stop", "run_start", "run_stop")


def _is_placeholder(t_s: float, round_ms: float) -> bool:
    """A time stamp that is a round number (a multiple of round_ms), zero, or negative: set by hand, not a clock."""
    ms = t_s * 1000.0
    if not math.isfinite(ms):
        return True
    return ms <= 0 or (abs(ms - round(ms / round_ms) * round_ms) < 0.5)


@kind("time_placeholder", "result")
def time_placeholder(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Placeholder time stamps on the lifecycle keys: round numbers (multiples of `round_ms`), zero or negative.

    params: `round_ms` (default 1e8 ms, about 28 hours: a clock hits one by chance once in
    1e8 ms-resolution stamps), `timed` (keys whose placeholder makes the run's time
    meaningless: the rule's severity; other lifecycle keys get a warning).
    """
    round_ms = float(rule.params.get("round_ms", 1e8))
    timed = set(rule.params.get("timed", ["run_start", "run_stop"]))
    for r, log in _mlperf_runs(e):
        if log.quirks.get("time-s") is not None:
            continue  # time_s logs count seconds from a start of their own
        for k in _LIFECYCLE:
            ev = log.first(k)
            if ev is not None and _is_placeholder(ev.time_s, round_ms):
                yield Hit({"key": k, "line": ev.line, "stamp": f"{ev.time_s * 1000:.0f} ms",
                           "effect": ("the run's time is meaningless" if k in timed else
                                      "the untimed initialisation cannot be checked")},
                          r.file.rel, ev.line, severity=None if k in timed else Severity.WARNING)


def _stamp_problems(log: TrainingLog, round_ms: float) -> bool:
    return any((ev := log.first(k)) is not None and _is_placeholder(ev.time_s, round_ms) for k in _LIFECYCLE)


@kind("time_init_after_run", "result")
def time_init_after_run(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """An initialisation block (init_start or init_stop) stamped after run_stop: its 20-minute limit cannot be checked."""
    for r, log in _mlperf_runs(e):
        stop = log.first("run_stop")
        if stop is None:
            continue
        for k in ("init_start", "init_stop"):
            ev = log.first(k)
            if ev is not None and ev.time_s > stop.time_s:
                yield Hit({"key": k, "line": ev.line, "after": _span(ev.time_s - stop.time_s)}, r.file.rel, ev.line)
                break


def _span(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


@kind("time_run_before_init", "result")
def time_run_before_init(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """run_start stamped earlier than init_stop: the clock started before initialisation ended.

    params: `tolerance_s` (default 1 s, clocks of two ranks). Not reported where the init block
    lies after the whole run (time_init_after_run) or a stamp is a placeholder (time_placeholder).
    """
    tol = float(rule.params.get("tolerance_s", 1.0))
    for r, log in _mlperf_runs(e):
        start, init_stop, stop = log.first("run_start"), log.first("init_stop"), log.first("run_stop")
        if start is None or init_stop is None or _stamp_problems(log, 1e8):
            continue
        if stop is not None and init_stop.time_s > stop.time_s:
            continue
        if init_stop.time_s - start.time_s > tol:
            yield Hit({"start_line": start.line, "init_line": init_stop.line,
                       "by": _span(init_stop.time_s - start.time_s)}, r.file.rel, start.line)


@kind("time_eval_before_start", "result")
def time_eval_before_start(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """An evaluation logged or stamped before run_start: data was touched before the clock started."""
    for r, log in _mlperf_runs(e):
        start = log.first("run_start")
        if start is None:
            continue
        for key in ("eval_start", "eval_accuracy"):
            ev = log.first(key)
            if ev is not None and (ev.line < start.line or ev.time_s < start.time_s - 1e-3):
                yield Hit({"key": key, "line": ev.line, "start_line": start.line}, r.file.rel, ev.line)
                break


@kind("time_outlier", "result")
def time_outlier(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A run more than `factor` (default 10) times the median run of its result: a stamp or a run to look at."""
    factor = float(rule.params.get("factor", 10))
    times = sorted(r.minutes for r in e.runs if r.minutes is not None)
    if len(times) < 3:
        return
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    if median <= 0:
        return
    for r in e.runs:
        if r.minutes is not None and r.minutes > factor * median:
            yield Hit({"minutes": round(r.minutes, 2), "median": round(median, 2), "factor": f"{factor:g}"},
                      r.file.rel, r.time.line if r.time else None)


# ---------------------------------------------------------------- result scope: v0.5 specifics

@kind("log_target", "result")
def log_target(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The target the log states (v0.5 `eval_target`) is the round's; runs are judged by the round's either way."""
    if e.target is None or isinstance(e.target, dict):
        return
    for r, log in _mlperf_runs(e):
        ev = log.first(str(rule.params.get("key", "eval_target")))
        v = ev.value if ev is not None else None
        if _is_num(v) and not (meets(v, r.target, float32=True) and meets(r.target, v, float32=True)):
            yield Hit({"got": v, "target": r.target}, r.file.rel, ev.line if ev else None)


@kind("log_level", "result")
def log_level(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Closed v0.5 logs lacking level-2 tags: level 1 only, accepted as the round's record did, with a note.

    params: `level2` ({benchmark: [tags the level-2 check requires]}), `divisions` (where
    level 2 is asked, default closed).
    """
    need = (rule.params.get("level2") or {}).get(e.benchmark or "")
    if not need or e.division not in rule.params.get("divisions", ["closed"]):
        return
    for r, log in _mlperf_runs(e):
        miss = [k for k in need if log.first(k) is None]
        if miss:
            yield Hit({"missing": ", ".join(miss)}, r.file.rel)


# ---------------------------------------------------------------- result scope: hyperparameters

def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_integer(x: float) -> bool:
    """The round checker's is_integer: within 1e-5 of an integer (never for inf or nan)."""
    return math.isfinite(x) and abs(round(x) - x) < 1e-5


def _as_bool(v: Any, strings: bool) -> bool | None:
    if isinstance(v, bool):
        return v
    if strings and isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def _same(v: Any, allowed: Any, fold: bool) -> bool:
    if fold and isinstance(v, str) and isinstance(allowed, str):
        return v.strip().lower() == allowed.lower()
    if _is_num(v) and _is_num(allowed):
        return bool(v == allowed)
    return bool(v == allowed) and type(v) is type(allowed)


def _literal(x: Any) -> str:
    if isinstance(x, str):
        return f'"{x}"'
    if isinstance(x, bool):
        return "true" if x else "false"
    return f"{x:g}" if isinstance(x, float) else str(x)


def _check_value(v: Any, spec: dict[str, Any], fold: bool = False, bool_strings: bool = False) -> str | None:
    """Why v breaks spec (None when it does not). Every message names the allowed literal values."""
    num = _is_num(v)
    if spec.get("positive") and not (num and v > 0):
        return "must be a number above 0"
    if "at_least" in spec and not (num and v >= spec["at_least"]):
        return f"must be a number of at least {_literal(spec['at_least'])}"
    if "equals" in spec and not _same(v, spec["equals"], fold):
        return f"must be {_literal(spec['equals'])}"
    if spec.get("boolean") and _as_bool(v, bool_strings) is None:
        also = ' (or the strings "True", "False", any case)' if bool_strings else ""
        return f"must be one of the booleans true, false{also}"
    if "one_of" in spec and not any(_same(v, a, fold) for a in spec["one_of"]):
        how = " (compared case-insensitively)" if fold and any(isinstance(a, str) for a in spec["one_of"]) else ""
        return "must be one of " + ", ".join(_literal(a) for a in spec["one_of"]) + how
    if "multiple_of" in spec:
        m = float(spec["multiple_of"])
        if not (num and _is_integer(v / m)):
            return f"must be a whole multiple of {_literal(m)}"
    if "power_of_two_times" in spec:
        base = float(spec["power_of_two_times"])
        if not (num and v > 0 and base > 0 and _is_integer(math.log2(v / base))):
            return f"must be {_literal(base)} x 2^N for an integer N"
    if "length" in spec and not (isinstance(v, (list, tuple)) and len(v) == spec["length"]):
        return f"must be a list of {spec['length']} values"
    if "scaled" in spec:
        sc = spec["scaled"]
        i, base, step = int(sc["index"]), float(sc["base"]), float(sc["step"])
        x = v[i] if isinstance(v, (list, tuple)) and len(v) > i else None
        if not (isinstance(x, (int, float)) and not isinstance(x, bool) and _is_integer((x / base - 1) / step)):
            return f"element {i} must be {_literal(base)} x (1 + {_literal(step)} k) for an integer k"
    return None


def _hp_tables(spec: dict[str, Any], log: TrainingLog) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(key, check, why-it-applies) for the benchmark's keys and the keys of each `when` that holds."""
    for key, check in (spec.get("keys") or {}).items():
        yield key, check, ""
    for cond in spec.get("when") or []:
        ev = log.first(cond["key"])
        if ev is None or not _same(ev.value, cond["equals"], bool(cond.get("fold"))):
            continue
        for key, check in (cond.get("keys") or {}).items():
            yield key, check, f" ({cond['key']} is {_literal(cond['equals'])})"


@kind("hyperparameters", "result")
def hyperparameters(e: EntryFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Closed-division hyperparameters: logged, with the values the round allows; every message states them.

    params: `benchmarks.<b>.keys` ({key: check}), `benchmarks.<b>.when` (list of {key, equals,
    keys: {key: check}} applied when the log's key has that value; or the older {key, equals,
    requires: [keys]}); `case_insensitive` (enumerated strings compared ignoring case, as the
    round judged them), `bool_strings` (the strings "True"/"False" read as booleans),
    `missing_severity` (severity of a key that is not logged, when it differs from the rule's).
    A check is any of: positive, at_least, equals, one_of, boolean, multiple_of,
    power_of_two_times, length, scaled {index, base, step}, present; `once` (the key is
    logged exactly once, or many times with one value), `metadata` ({field: [allowed]}),
    `severity` and `source` (when this check's are not the rule's). Every record of a key is
    checked, as the round's checker does; the first that breaks it is reported.
    """
    spec = (rule.params.get("benchmarks") or {}).get(e.benchmark or "")
    if not spec:
        return
    fold = bool(rule.params.get("case_insensitive"))
    bools = bool(rule.params.get("bool_strings"))
    miss_sev = rule.params.get("missing_severity")
    for r, log in _mlperf_runs(e):
        for key, check, cond in _hp_tables(spec, log):
            sev = Severity(check["severity"]) if "severity" in check else None
            src = check.get("source")
            evs = log.all(key) if log.count(key) else []
            if not evs:
                yield Hit({"why": f"hyperparameter '{key}' is not logged{cond}"}, r.file.rel,
                          severity=Severity(miss_sev) if miss_sev else sev, source=src)
                continue
            if check.get("once") and len({repr(ev.value) for ev in evs}) > 1:
                yield Hit({"why": f"'{key}' is logged {len(evs)} times with different values; the round wants it "
                                  f"exactly once"}, r.file.rel, evs[1].line, severity=sev, source=src)
            for ev in evs:
                why = _check_value(ev.value, check, fold, bools)
                if why is None:
                    for mfield, allowed in (check.get("metadata") or {}).items():
                        mv = ev.metadata.get(mfield)
                        if not any(_same(mv, a, fold) for a in allowed):
                            why = (f"needs metadata {mfield} one of " + ", ".join(_literal(a) for a in allowed)
                                   + f" (got {mv!r})")
                            break
                if why is not None:
                    yield Hit({"why": f"'{key}' is {ev.value!r}; it {why}{cond}"}, r.file.rel, ev.line,
                              severity=sev, source=src)
                    break
        for cond in spec.get("when") or []:
            cev = log.first(cond["key"])
            if cev is None or not _same(cev.value, cond["equals"], fold) or not cond.get("requires"):
                continue
            for need in cond.get("requires", []):
                if log.first(need) is None:
                    yield Hit({"why": f"'{cond['key']}' is {cond['equals']!r}, which needs '{need}', not logged"},
                              r.file.rel, cev.line, severity=Severity(miss_sev) if miss_sev else None)
