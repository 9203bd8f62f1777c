"""Check kinds for each training result log: readable, in the round's MLPerf format, naming its benchmark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ..facts import EntryFacts
from ..log import FORMAT_EMPTY, FORMAT_FOREIGN, QuirkKind
from ..ruledata import TrainingRound
from ..scoring import METHOD_FOREIGN_RUN, METHOD_TOTAL, meets
from .common import is_num, mlperf_runs


@kind("log_readable", "result")
def log_readable(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Each present log can be read."""
    for r in e.runs:
        if r.problem is not None:
            yield Hit({"problem": r.problem}, r.file.rel)
        elif r.log is not None and r.log.format == FORMAT_EMPTY:
            yield Hit({"problem": "is empty"}, r.file.rel)


class Foreign(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    time: Literal["derived", "none"]  # the logs whose time to train is derived from their own lines, or not


_OWN_LINES = {METHOD_TOTAL: "its own 'Total runtime' line", METHOD_FOREIGN_RUN: "its own run start and stop lines"}


@kind("log_format", "result", Foreign)
def log_format(e: EntryFacts, rule: Rule, p: Foreign, rs: Ruleset) -> Iterator[Hit]:
    """A log in no MLPerf format; where it states its own times, the time derived from them is named."""
    for r in e.runs:
        if r.log is None or r.log.format != FORMAT_FOREIGN:
            continue
        t = r.time
        if t is not None and t.seconds is not None:
            if p.time == "derived":
                yield Hit({"method": _OWN_LINES.get(t.method or "", t.method), "line": t.line,
                           "minutes": f"{t.seconds / 60:.4f}"}, r.file.rel, line=1)
        elif p.time == "none":
            yield Hit({}, r.file.rel, line=1)


@kind("log_round_format", "result")
def log_round_format(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A log in an MLPerf format of another round."""
    rnd: TrainingRound = rs.model
    expected = rnd.training.log_format.value
    for r, log in mlperf_runs(e):
        if log.format != expected:
            yield Hit({"got": log.format, "expected": expected}, r.file.rel)


class Quirk(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    quirk: QuirkKind  # one of the parser's quirk kinds (log.PREFIX, log.INTERLEAVED, …)


@kind("log_quirk", "result", Quirk)
def log_quirk(e: EntryFacts, rule: Rule, p: Quirk, rs: Ruleset) -> Iterator[Hit]:
    """One finding per log for each kind of quirk the parser met, at its first line, with the count.

    Fields: count, line, and detail (what the parser noted of it, else the first record's text).
    """
    for r in e.runs:
        if r.log is None:
            continue
        q = r.log.quirks.get(p.quirk)
        if q is not None:
            yield Hit({"count": q.count, "line": q.line, "detail": q.detail or q.example}, r.file.rel, q.line)


@kind("log_benchmark", "result")
def log_benchmark(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The benchmark the log names (submission_benchmark, or the v0.5 line's) matches its folder."""
    if e.benchmark is None:
        return
    rnd: TrainingRound = rs.model
    for r, log in mlperf_runs(e):
        ev = log.first("submission_benchmark")
        named = ev.value if ev is not None and isinstance(ev.value, str) else log.benchmark
        if named and rnd.training.benchmark_of(named) != e.benchmark and named.lower() != e.benchmark:
            folder = e.entry.benchmark_dir or f"results/{e.entry.system}/ (its other logs name {e.benchmark})"
            yield Hit({"got": named, "folder": folder}, r.file.rel, ev.line if ev else 1)


class LogTarget(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    key: str  # the key the log states its target with


@kind("log_target", "result", LogTarget)
def log_target(e: EntryFacts, rule: Rule, p: LogTarget, rs: Ruleset) -> Iterator[Hit]:
    """The target the log states (v0.5 `eval_target`) is the round's; runs are judged by the round's either way."""
    if e.target is None or isinstance(e.target, dict):
        return
    for r, log in mlperf_runs(e):
        ev = log.first(p.key)
        v = ev.value if ev is not None else None
        if is_num(v) and not (meets(v, r.target, float32=True) and meets(r.target, v, float32=True)):
            yield Hit({"got": v, "target": r.target}, r.file.rel, ev.line if ev else None)


class Level(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    level2: dict[str, list[str]]  # benchmark -> the tags the level-2 check requires
    divisions: list[str]  # where level 2 is asked


@kind("log_level", "result", Level)
def log_level(e: EntryFacts, rule: Rule, p: Level, rs: Ruleset) -> Iterator[Hit]:
    """Closed v0.5 logs lacking level-2 tags: level 1 only, accepted as the round's record did, with a note."""
    need = p.level2.get(e.benchmark or "")
    if not need or e.division not in p.divisions:
        return
    for r, log in mlperf_runs(e):
        miss = [k for k in need if log.first(k) is None]
        if miss:
            yield Hit({"missing": miss}, r.file.rel)


KINDS = (log_readable, log_format, log_round_format, log_quirk, log_benchmark, log_target, log_level)
