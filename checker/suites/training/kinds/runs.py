"""Check kinds for a training result's runs: their files, times, convergence and the score they make.

Round-specific numbers come from the round model (ruledata.TrainingRound) or the rule's params,
never from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ....engine.registry import Hit, NoParams, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..facts import EntryFacts
from ..log import FORMAT_EMPTY
from ..ruledata import TrainingRound
from ..scoring import METHOD_EVAL_RESULT
from .common import counted


def _fmt_acc(a: Any) -> str:
    if a is None:
        return "none"
    if isinstance(a, dict):
        return "/".join(f"{v:.4f}" for v in a.values())
    return f"{float(a):.4g}"


# ---------------------------------------------------------------- the result files


def _required_runs(e: EntryFacts) -> int | None:
    return e.bench.runs.value if e.bench is not None else None


def _published_minimum(e: EntryFacts) -> tuple[int, str] | None:
    """(count, source) when the round's published record accepted fewer runs than its rules ask."""
    pm = e.bench.runs.published_minimum if e.bench is not None else None
    return (pm.value, pm.source) if pm is not None else None


@kind("runs_count", "result")
def runs_count(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
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
def runs_count_accepted(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
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
def runs_numbering(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """result_*.txt files not named result_<i>.txt: read, as the round's tools glob result_*.txt, and reported."""
    odd = [r.name for r in e.entry.runs if r.index is None]
    if odd:
        yield Hit({"count": len(odd), "files": ", ".join(odd[:4]) + (", …" if len(odd) > 4 else "")}, e.entry.id)


def _ranges(numbers: list[int]) -> str:
    """0, 1, 2, 4, 7, 8 as '0-2, 4, 7-8'."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


@kind("runs_sequence", "result")
def runs_sequence(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """result_<i>.txt numbered 0..n-1 or 1..n, without gaps."""
    idx = sorted(r.index for r in e.entry.runs if r.index is not None)
    if not idx:
        return
    n = len(idx)
    if idx not in (list(range(n)), list(range(1, n + 1))):
        yield Hit({"numbers": _ranges(idx), "last": n - 1, "count": n}, e.entry.id)


@kind("runs_stray", "result")
def runs_stray(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Files in a result folder that are not result_*.txt logs: never read, each reported (litter at info)."""
    for f in e.entry.stray:
        yield Hit({"file": f.rsplit("/", 1)[-1]}, f)
    for f in e.entry.junk:
        yield Hit({"file": f.rsplit("/", 1)[-1]}, f, severity=Severity.INFO)


@kind("runs_absent", "result")
def runs_absent(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Files known to be absent from this copy: reported, left out of the score."""
    for r in e.runs:
        if r.file.absent:
            yield Hit({"file": r.file.name}, r.file.rel)


# ---------------------------------------------------------------- the score


@kind("runs_scored", "result")
def runs_scored(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The result has a score (unless its logs are known to be absent from this copy)."""
    if e.score is None or e.score.minutes is not None or e.score.invalid:
        return
    if any(r.file.absent for r in e.runs):
        return  # the copy lacks files; runs_absent says so
    yield Hit({"why": e.score.why}, e.entry.id)


@kind("runs_nonconverged", "result")
def runs_nonconverged(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """No more non-converged runs than the round's drop-one policy allows (training.nonconverged.allowed)."""
    rnd: TrainingRound = rs.model
    allowed = rnd.training.nonconverged.allowed
    if allowed is None:
        return  # the round's policy has no such limit (its scoring judges non-converged runs)
    bad = [r for r in e.scored if not r.converged]
    if len(bad) > allowed:
        yield Hit({"count": len(bad), "files": ", ".join(r.file.name for r in bad), "allowed": allowed}, e.entry.id)


# ---------------------------------------------------------------- each run


@kind("run_time", "result")
def run_time(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Each present, readable log yields a time to train."""
    for r in e.runs:
        if r.log is None or r.log.format == FORMAT_EMPTY or r.time is None or r.time.seconds is not None:
            continue
        yield Hit({"why": r.time.why}, r.file.rel, r.time.line)


@kind("run_time_method", "result")
def run_time_method(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Where a run's time comes from something other than run_stop - run_start."""
    for r in e.runs:
        t = r.time
        if t is not None and t.seconds is not None and t.method in (METHOD_EVAL_RESULT,):
            yield Hit({"method": f"the {t.method} at line {t.line}", "minutes": round(t.seconds / 60, 4)},
                      r.file.rel, t.line)


@kind("run_converged", "result")
def run_converged(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
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
            in_mean = e.score is not None and not e.score.invalid and e.score.minutes is not None and counted(e, r)
            note += f"; its {r.minutes:.2f} min " + ("count in the mean" if in_mean else "are not in the mean")
        yield Hit({"target": _fmt_acc(r.target), "best": _fmt_acc(c.best if c else None), "note": note},
                  r.file.rel, c.reached_line if c and c.reached else None)


@kind("eval_after_stop", "result")
def eval_after_stop(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Evaluations logged after run_stop: the clock had stopped, so they do not count for convergence."""
    for r in e.runs:
        c = r.conv
        if c is None or not c.after_stop:
            continue
        reached = (f"; the one at line {c.after_stop_reached_line} reaches the target, but too late"
                   if c.after_stop_reached_line and not c.reached else "")
        yield Hit({"count": c.after_stop, "line": c.after_stop_line, "note": reached}, r.file.rel, c.after_stop_line)


KINDS = (runs_count, runs_count_accepted, runs_numbering, runs_sequence, runs_stray, runs_absent, runs_scored,
         runs_nonconverged, run_time, run_time_method, run_converged, eval_after_stop)
