"""Check kinds for the closed division's hyperparameters, against the round's table (training.hyperparameters).

Three checks of the same table: every key is logged (hyperparameter_logged), logged once where the
round wants it once (hyperparameter_once), with a value the round allows (hyperparameter_values).
Every record of a key is checked, as the round's checker does; the first that breaks it is
reported. A check's own severity and source (in the table) replace the rule's.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from ....engine.registry import Hit, NoParams, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..facts import EntryFacts, RunFacts
from ..log import Event, TrainingLog
from ..ruledata import Check, Hyperparameters, TrainingRound
from .common import is_num, mlperf_runs


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
    if is_num(v) and is_num(allowed):
        return bool(v == allowed)
    return bool(v == allowed) and type(v) is type(allowed)


def _literal(x: Any) -> str:
    if isinstance(x, str):
        return f'"{x}"'
    if isinstance(x, bool):
        return "true" if x else "false"
    return f"{x:g}" if isinstance(x, float) else str(x)


def requirement(v: Any, c: Check, fold: bool = False, bool_strings: bool = False) -> str | None:
    """What v breaks of the check, worded from the check's own values (None when it breaks nothing)."""
    num = is_num(v)
    if c.positive and not (num and v > 0):
        return "must be a number above 0"
    if c.at_least is not None and not (num and v >= c.at_least):
        return f"must be a number of at least {_literal(c.at_least)}"
    if c.equals is not None and not _same(v, c.equals, fold):
        return f"must be {_literal(c.equals)}"
    if c.boolean and _as_bool(v, bool_strings) is None:
        also = ' (or the strings "True", "False", any case)' if bool_strings else ""
        return f"must be one of the booleans true, false{also}"
    if c.one_of is not None and not any(_same(v, a, fold) for a in c.one_of):
        how = " (compared case-insensitively)" if fold and any(isinstance(a, str) for a in c.one_of) else ""
        return "must be one of " + ", ".join(_literal(a) for a in c.one_of) + how
    if c.multiple_of is not None and not (num and _is_integer(v / c.multiple_of)):
        return f"must be a whole multiple of {_literal(c.multiple_of)}"
    if c.power_of_two_times is not None:
        base = c.power_of_two_times
        if not (num and v > 0 and base > 0 and _is_integer(math.log2(v / base))):
            return f"must be {_literal(base)} x 2^N for an integer N"
    if c.length is not None and not (isinstance(v, (list, tuple)) and len(v) == c.length):
        return f"must be a list of {c.length} values"
    if c.scaled is not None:
        sc = c.scaled
        x = v[sc.index] if isinstance(v, (list, tuple)) and len(v) > sc.index else None
        if not (is_num(x) and _is_integer((x / sc.base - 1) / sc.step)):
            return f"element {sc.index} must be {_literal(sc.base)} x (1 + {_literal(sc.step)} k) for an integer k"
    return None


def _metadata(ev: Event, c: Check, fold: bool) -> str | None:
    for mfield, allowed in c.metadata.items():
        mv = ev.metadata.get(mfield)
        if not any(_same(mv, a, fold) for a in allowed):
            return f"needs metadata {mfield} one of " + ", ".join(_literal(a) for a in allowed) + f" (got {mv!r})"
    return None


Checked = tuple[str, Check, str, int | None]  # key, check, condition (" (k is v)" or ""), the condition's line


def _checks(table: Hyperparameters, benchmark: str | None, log: TrainingLog) -> Iterator[Checked]:
    """The benchmark's keys, and the keys of each `when` whose condition holds in the log."""
    spec = table.benchmarks.get(benchmark or "")
    if spec is None:
        return
    for key, check in spec.keys.items():
        yield key, check, "", None
    for cond in spec.when:
        ev = log.first(cond.key)
        if ev is None or not _same(ev.value, cond.equals, table.case_insensitive):
            continue
        for key, check in cond.keys.items():
            yield key, check, f" ({cond.key} is {_literal(cond.equals)})", ev.line


def _severity(c: Check) -> Severity | None:
    return Severity(c.severity) if c.severity is not None else None


def _runs(e: EntryFacts, rs: Ruleset) -> Iterator[tuple[RunFacts, TrainingLog, Hyperparameters, list[Checked]]]:
    """Each MLPerf-format log of the result with the round's table and the checks that apply to it."""
    rnd: TrainingRound = rs.model
    table = rnd.training.hyperparameters
    if table is None:
        return
    for r, log in mlperf_runs(e):
        yield r, log, table, list(_checks(table, e.benchmark, log))


@kind("hyperparameter_logged", "result")
def hyperparameter_logged(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Every hyperparameter of the round's table for the benchmark is logged (conditional ones where they apply)."""
    for r, log, _, checks in _runs(e, rs):
        for key, check, cond, cond_line in checks:
            if log.first(key) is None:
                yield Hit({"key": key, "condition": cond}, r.file.rel, cond_line, severity=_severity(check),
                          source=check.source)


@kind("hyperparameter_once", "result")
def hyperparameter_once(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A hyperparameter the round wants once is not logged several times with different values."""
    for r, log, _, checks in _runs(e, rs):
        for key, check, _, _ in checks:
            if not check.once or log.count(key) < 2:
                continue
            evs = log.all(key)
            if len({repr(ev.value) for ev in evs}) > 1:
                yield Hit({"key": key, "count": len(evs)}, r.file.rel, evs[1].line, severity=_severity(check),
                          source=check.source)


@kind("hyperparameter_values", "result")
def hyperparameter_values(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Each logged hyperparameter has a value the round allows; every message states the allowed literals."""
    for r, log, table, checks in _runs(e, rs):
        fold = table.case_insensitive
        for key, check, cond, _ in checks:
            for ev in log.all(key) if log.count(key) else []:
                why = requirement(ev.value, check, fold, table.bool_strings) or _metadata(ev, check, fold)
                if why is not None:
                    yield Hit({"key": key, "value": repr(ev.value), "requirement": why, "condition": cond},
                              r.file.rel, ev.line, severity=_severity(check), source=check.source)
                    break


KINDS = (hyperparameter_logged, hyperparameter_once, hyperparameter_values)
