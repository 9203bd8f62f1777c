"""Check kinds for the time stamps of each training log: placeholders, and stamps in an impossible order."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ..facts import EntryFacts
from ..log import TIME_S, TrainingLog
from .common import mlperf_runs, span

_LIFECYCLE = ("init_start", "init_stop", "run_start", "run_stop")


def _is_placeholder(t_s: float, round_ms: float) -> bool:
    """A time stamp that is a round number (a multiple of round_ms), zero, or negative: set by hand, not a clock."""
    ms = t_s * 1000.0
    if not math.isfinite(ms):
        return True
    return ms <= 0 or (abs(ms - round(ms / round_ms) * round_ms) < 0.5)


def _stamp_problems(log: TrainingLog, round_ms: float) -> bool:
    return any((ev := log.first(k)) is not None and _is_placeholder(ev.time_s, round_ms) for k in _LIFECYCLE)


class Placeholder(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    round_ms: float  # a stamp that is a multiple of this is set by hand
    keys: list[str]  # the lifecycle keys whose first record is looked at


@kind("time_placeholder", "result", Placeholder)
def time_placeholder(e: EntryFacts, rule: Rule, p: Placeholder, rs: Ruleset) -> Iterator[Hit]:
    """Placeholder time stamps: round numbers (multiples of `round_ms`), zero or negative, on the given keys."""
    for r, log in mlperf_runs(e):
        if log.quirks.get(TIME_S) is not None:
            continue  # time_s logs count seconds from a start of their own
        for k in p.keys:
            ev = log.first(k)
            if ev is not None and _is_placeholder(ev.time_s, p.round_ms):
                yield Hit({"key": k, "line": ev.line, "stamp": f"{ev.time_s * 1000:.0f} ms"}, r.file.rel, ev.line)


@kind("time_init_after_run", "result")
def time_init_after_run(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """An initialisation block (init_start or init_stop) stamped after run_stop: its limit cannot be checked."""
    for r, log in mlperf_runs(e):
        stop = log.first("run_stop")
        if stop is None:
            continue
        for k in ("init_start", "init_stop"):
            ev = log.first(k)
            if ev is not None and ev.time_s > stop.time_s:
                yield Hit({"key": k, "line": ev.line, "after": span(ev.time_s - stop.time_s)}, r.file.rel, ev.line)
                break


class RunBeforeInit(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    tolerance_s: float  # how far run_start may precede init_stop (the clocks of two ranks)
    placeholder_round_ms: float  # logs with a placeholder stamp (a multiple of this) are left to time_placeholder


@kind("time_run_before_init", "result", RunBeforeInit)
def time_run_before_init(e: EntryFacts, rule: Rule, p: RunBeforeInit, rs: Ruleset) -> Iterator[Hit]:
    """run_start stamped earlier than init_stop: the clock started before initialisation ended.

    Not reported where the init block lies after the whole run (time_init_after_run) or a stamp is
    a placeholder (time_placeholder).
    """
    for r, log in mlperf_runs(e):
        start, init_stop, stop = log.first("run_start"), log.first("init_stop"), log.first("run_stop")
        if start is None or init_stop is None or _stamp_problems(log, p.placeholder_round_ms):
            continue
        if stop is not None and init_stop.time_s > stop.time_s:
            continue
        if init_stop.time_s - start.time_s > p.tolerance_s:
            yield Hit({"start_line": start.line, "init_line": init_stop.line,
                       "by": span(init_stop.time_s - start.time_s)}, r.file.rel, start.line)


@kind("time_eval_before_start", "result")
def time_eval_before_start(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """An evaluation logged or stamped before run_start: data was touched before the clock started."""
    for r, log in mlperf_runs(e):
        start = log.first("run_start")
        if start is None:
            continue
        for key in ("eval_start", "eval_accuracy"):
            ev = log.first(key)
            if ev is not None and (ev.line < start.line or ev.time_s < start.time_s - 1e-3):
                yield Hit({"key": key, "line": ev.line, "start_line": start.line}, r.file.rel, ev.line)
                break


class Outlier(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    factor: float  # a run more than this many times its result's median run is reported


@kind("time_outlier", "result", Outlier)
def time_outlier(e: EntryFacts, rule: Rule, p: Outlier, rs: Ruleset) -> Iterator[Hit]:
    """A run more than `factor` times the median run of its result: a stamp or a run to look at."""
    times = sorted(r.minutes for r in e.runs if r.minutes is not None)
    if len(times) < 3:
        return
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    if median <= 0:
        return
    for r in e.runs:
        if r.minutes is not None and r.minutes > p.factor * median:
            yield Hit({"minutes": round(r.minutes, 2), "median": round(median, 2), "factor": f"{p.factor:g}"},
                      r.file.rel, r.time.line if r.time else None)


KINDS = (time_placeholder, time_init_after_run, time_run_before_init, time_eval_before_start, time_outlier)
