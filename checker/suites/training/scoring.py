"""Time to train: per run from its log, per result the olympic mean. Pure functions; thresholds come from the round."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

from .log import FORMAT_EMPTY, FORMAT_FOREIGN, FORMAT_V07, TrainingLog

METHOD_RUN = "run_stop-run_start"
METHOD_EVAL_RESULT = "eval_result.timestamp"
METHOD_TOTAL = "reported_total_runtime"
METHOD_FOREIGN_RUN = "own run start/stop lines"


@dataclass(frozen=True)
class RunTime:
    """How long a run took to train, how that was derived, or why it could not be."""

    seconds: float | None
    method: str | None
    line: int | None = None
    why: str = ""


@dataclass(frozen=True)
class Convergence:
    """The evaluations of one run against the target: best, final, first time it reached it."""

    target: Any
    best: Any
    final: Any
    reached: bool
    reached_line: int | None
    evals: int
    after_stop: int = 0  # evaluations logged after run_stop (not counted when the round judges before it)
    after_stop_line: int | None = None
    after_stop_reached_line: int | None = None  # the first of those at or above the target


def run_time(log: TrainingLog, time_from: str = "run_stop") -> RunTime:
    """Seconds from run_start to run_stop (first of each), or from the eval_result timestamp (v0.6 MiniGo)."""
    if log.format == FORMAT_EMPTY:
        return RunTime(None, None, why="the log is empty")
    if log.format == FORMAT_FOREIGN:
        f = log.foreign
        if f is not None and f.total_runtime_s is not None:
            return RunTime(f.total_runtime_s, METHOD_TOTAL, f.total_runtime_line)
        if f is not None and f.run_start_s is not None and f.run_stop_s is not None:
            return RunTime(f.run_stop_s - f.run_start_s, METHOD_FOREIGN_RUN, f.run_stop_line)
        return RunTime(None, None, why="the log states neither a total runtime nor run start and stop")
    if time_from == "eval_result.timestamp":
        ev = log.first("eval_result")
        if ev is None:
            return RunTime(None, None, why="no eval_result line, which holds this benchmark's time")
        ts = ev.metadata.get("timestamp")
        if not isinstance(ts, (int, float)) or isinstance(ts, bool) or ts <= 0:
            return RunTime(None, None, ev.line, why=f"eval_result at line {ev.line} has no positive metadata.timestamp")
        return RunTime(float(ts), METHOD_EVAL_RESULT, ev.line)
    start, stop = log.first("run_start"), log.first("run_stop")
    if start is None or stop is None:
        missing = " and ".join(k for k, e in (("run_start", start), ("run_stop", stop)) if e is None)
        return RunTime(None, None, why=f"no {missing} line")
    seconds = stop.time_s - start.time_s
    if seconds < 0:
        return RunTime(None, None, stop.line, why=f"run_stop (line {stop.line}) is before run_start (line {start.line})")
    return RunTime(seconds, METHOD_RUN + (" (time_ms)" if log.format == FORMAT_V07 else ""), stop.line)


def _find_numbers(v: Any, out: dict[str, float], prefix: str = "") -> None:
    if isinstance(v, bool):
        return
    if isinstance(v, (int, float)):
        out[prefix or "value"] = float(v)
    elif isinstance(v, dict):
        for k, x in v.items():
            _find_numbers(x, out, str(k).lower())
    elif isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            _find_numbers(x, out, f"{prefix}{i}")


def normalise_accuracy(value: Any, target: Any, unit: str, rescale: bool = True) -> Any:
    """A logged accuracy in the target's shape and unit: fraction or percent, dict, list or string.

    rescale=False keeps a value above 1 as logged (the round's checker compares it raw and
    wants a fraction below 1.0), instead of reading it as a percentage.
    """
    if not rescale and unit == "fraction":
        unit = "raw"
    if isinstance(value, str):
        parts = [p for p in value.replace("%", " % ").replace(",", " ").replace("/", " ").split()]
        nums: list[float] = []
        pct = "%" in parts
        for p in parts:
            try:
                nums.append(float(p))
            except ValueError:
                continue
        if not nums:
            return None
        value = nums if len(nums) > 1 else nums[0]
        if pct and unit == "fraction":
            value = [n / 100 for n in nums] if len(nums) > 1 else nums[0] / 100
    if isinstance(target, dict):
        found: dict[str, float] = {}
        if isinstance(value, (list, tuple)) and len(value) == len(target) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            found = {k: float(x) for k, x in zip(target, value)}
        else:
            raw: dict[str, float] = {}
            _find_numbers(value, raw)
            for k in target:
                hit = [v for name, v in raw.items() if name.startswith(k.lower())]
                if hit:
                    found[k] = hit[0]
        if len(found) != len(target):
            return None
        return {k: (v / 100 if unit == "fraction" and v > 1 else v) for k, v in found.items()}
    if isinstance(value, dict):
        raw = {}
        _find_numbers(value, raw)
        pick = next((raw[k] for k in ("value", "accuracy", "top1", "top_1") if k in raw), None)
        value = pick if pick is not None else (next(iter(raw.values())) if raw else None)
    if isinstance(value, (list, tuple)):
        value = next((x for x in value if isinstance(x, (int, float)) and not isinstance(x, bool)), None)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    v = float(value)
    if unit == "fraction" and v > 1.0:
        v /= 100.0  # a percentage
    return v


def _f32(x: float) -> float:
    """x rounded to the nearest float32, as a float (the v0.5 logs' accuracies are float32 values)."""
    try:
        return float(struct.unpack("f", struct.pack("f", x))[0])
    except OverflowError:  # beyond float32's range
        return math.copysign(math.inf, x)


def _at_least(v: float, t: float, float32: bool, below: float | None) -> bool:
    if below is not None and not v < below:
        return False
    return _f32(v) >= _f32(t) if float32 else v >= t


def meets(acc: Any, target: Any, float32: bool = False, below: float | None = None) -> bool:
    """Whether a normalised accuracy is at or above the target (every part of a dict target).

    float32: compare both as float32 (a logged 21.799999237 is the float32 of 21.8);
    below: the value must also be under this bound (the 0.7.0 checker wants a fraction < 1.0).
    """
    if acc is None:
        return False
    if isinstance(target, dict):
        return isinstance(acc, dict) and all(
            _at_least(float(acc.get(k, float("-inf"))), float(t), float32, below) for k, t in target.items())
    return _at_least(float(acc), float(target), float32, below)


def _ratio(acc: Any, target: Any) -> float:
    if isinstance(target, dict):
        return min(float(acc[k]) / float(t) for k, t in target.items() if float(t))
    return float(acc) / float(target) if float(target) else float(acc)


def convergence(log: TrainingLog, target: Any, unit: str, *, float32: bool = False, below: float | None = None,
                rescale: bool = True, before_stop: bool = False) -> Convergence:
    """Every eval_accuracy (or, for a log in no MLPerf format, its own accuracy lines) against the target.

    before_stop: only evaluations logged before the first run_stop count (the clock stopped
    there); the ones after it are counted in `after_stop`.
    """
    values: list[tuple[int, Any]] = []
    if log.format == FORMAT_FOREIGN and log.foreign is not None:
        for line, v, pct in log.foreign.accuracies:
            values.append((line, normalise_accuracy(f"{v}%" if pct else v, target, unit, rescale)))
    else:
        for e in log.all("eval_accuracy"):
            values.append((e.line, normalise_accuracy(e.value, target, unit, rescale)))
    values = [(ln, v) for ln, v in values if v is not None]
    after: list[tuple[int, Any]] = []
    if before_stop:
        stop = log.first("run_stop")
        if stop is not None:
            after = [(ln, v) for ln, v in values if ln > stop.line]
            values = [(ln, v) for ln, v in values if ln < stop.line]
    late = next((ln for ln, v in after if meets(v, target, float32, below)), None)
    if not values:
        return Convergence(target, None, None, False, None, 0, len(after), after[0][0] if after else None, late)
    best = max((v for _, v in values), key=lambda a: _ratio(a, target))
    reached_line = next((ln for ln, v in values if meets(v, target, float32, below)), None)
    return Convergence(target, best, values[-1][1], reached_line is not None, reached_line, len(values),
                       len(after), after[0][0] if after else None, late)


@dataclass(frozen=True)
class EntryScore:
    """The result's score in minutes (None when it cannot be scored) and what went into it."""

    minutes: float | None
    used: tuple[int, ...]  # indexes into the scored runs that made the mean
    dropped: tuple[int, ...]
    why: str = ""
    invalid: bool = False  # too many non-converged runs under the round's policy


def olympic_score(minutes: list[float], converged: list[bool], policy: str, allowed_nonconverged: int | None,
                  start_order: list[float] | None = None, first_converged: int | None = None) -> EntryScore:
    """Drop the fastest and the slowest run, mean of the rest; non-converged runs per the round's policy.

    policy "count": a non-converged run's measured time stays in (v0.6).
    policy "drop-one": a non-converged run is the slowest and is dropped; more than
    `allowed_nonconverged` makes the result invalid (v0.7 and later).
    policy "infinite": a non-converged run counts as infinite time, so one is the dropped
    slowest and two leave no finite score (the v0.5 verifier). With `first_converged` N,
    the runs are taken in `start_order` (run_start times) and only the first N that
    converge are scored (v0.5 NCF: 50 of 100).
    """
    n = len(minutes)
    idx = list(range(n))
    if policy == "infinite" and first_converged is not None:
        order = sorted(idx, key=lambda i: (start_order[i] if start_order else 0.0, i))
        picked = [i for i in order if converged[i]][:first_converged]
        if len(picked) < first_converged:
            return EntryScore(None, (), (), why=f"{len(picked)} of {n} runs converged; the round scores the first "
                                                 f"{first_converged} that converge", invalid=True)
        idx = picked
    if len(idx) < 3:
        return EntryScore(None, (), (), why=f"{len(idx)} timed run(s); the olympic mean needs at least 3")
    if policy == "drop-one":
        bad = [i for i in idx if not converged[i]]
        if len(bad) > (allowed_nonconverged or 0):
            return EntryScore(None, (), tuple(bad), why=f"{len(bad)} runs did not converge", invalid=True)
        good = sorted((i for i in idx if converged[i]), key=lambda i: minutes[i])
        if not good:
            return EntryScore(None, (), tuple(bad), why="no run converged")
        if bad:
            dropped = (good[0], *bad)
            used = tuple(good[1:])
        else:
            dropped = (good[0], good[-1])
            used = tuple(good[1:-1])
    else:
        def key(i: int) -> float:
            return minutes[i] if policy != "infinite" or converged[i] else math.inf
        order = sorted(idx, key=lambda i: (key(i), i))
        dropped = (order[0], order[-1])
        used = tuple(order[1:-1])
        if policy == "infinite":
            inf = [i for i in used if not converged[i]]
            if inf:
                bad = [i for i in idx if not converged[i]]
                return EntryScore(None, (), tuple(bad), why=f"{len(bad)} runs did not converge; the round counts each "
                                                            "as infinite time", invalid=True)
    if not used:
        return EntryScore(None, used, dropped, why="no run left after dropping the fastest and the slowest")
    return EntryScore(sum(minutes[i] for i in used) / len(used), used, dropped)
