"""Check kinds for the records of each training log: required keys, their counts, metadata and order."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ..facts import EntryFacts
from ..ruledata import TrainingRound
from .common import is_num, mlperf_runs


class Adjust(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A benchmark's changes to a rule's list of keys."""

    add: list[str] = msgspec.field(default_factory=list)
    remove: list[str] = msgspec.field(default_factory=list)


def _for_benchmark(keys: list[str], per: dict[str, Adjust], benchmark: str | None) -> list[str]:
    """`keys`, with the benchmark's per_benchmark add/remove applied."""
    adj = per.get(benchmark or "")
    if adj is None:
        return list(keys)
    drop = set(adj.remove)
    return [k for k in keys if k not in drop] + list(adj.add)


class Keys(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    required: list[str]  # keys logged at least once
    either: list[list[str]] = msgspec.field(default_factory=list)  # groups of keys of which one must be logged, e.g. [block_start, epoch_start]
    per_benchmark: dict[str, Adjust] = msgspec.field(default_factory=dict)


@kind("run_keys", "result", Keys)
def run_keys(e: EntryFacts, rule: Rule, p: Keys, rs: Ruleset) -> Iterator[Hit]:
    """Keys every run log must hold."""
    for r, log in mlperf_runs(e):
        for k in _for_benchmark(p.required, p.per_benchmark, e.benchmark):
            if log.first(k) is None:
                yield Hit({"key": k}, r.file.rel)
        for group in p.either:
            if not any(log.first(k) is not None for k in group):
                yield Hit({"key": " or ".join(group)}, r.file.rel)


class ExactlyOne(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    exactly_one: list[str]
    per_benchmark: dict[str, Adjust] = msgspec.field(default_factory=dict)


@kind("run_key_counts", "result", ExactlyOne)
def run_key_counts(e: EntryFacts, rule: Rule, p: ExactlyOne, rs: Ruleset) -> Iterator[Hit]:
    """Keys the round wants exactly once: more than one record with different values is a finding.

    The same value printed by many ranks is the duplicate-key note, as the round's checker only
    warns about it.
    """
    for r, log in mlperf_runs(e):
        for k in _for_benchmark(p.exactly_one, p.per_benchmark, e.benchmark):
            evs = log.all(k) if log.count(k) > 1 else []
            if len(evs) > 1:
                values = {repr(ev.value) for ev in evs}
                if len(values) > 1:
                    shown = ", ".join(sorted(values)[:4]) + (", …" if len(values) > 4 else "")
                    yield Hit({"key": k, "count": len(evs), "values": shown}, r.file.rel, evs[1].line)


class Metadata(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    fields: dict[str, list[str]]  # key -> the metadata fields each of its records carries


@kind("run_metadata", "result", Metadata)
def run_metadata(e: EntryFacts, rule: Rule, p: Metadata, rs: Ruleset) -> Iterator[Hit]:
    """Metadata fields records must carry (eval_accuracy's epoch_num, run_stop's status, …), first miss per key."""
    for r, log in mlperf_runs(e):
        for key, need in p.fields.items():
            for ev in log.all(key) if log.count(key) else []:
                miss = [f for f in need if f not in ev.metadata]
                if miss:
                    yield Hit({"key": key, "line": ev.line, "fields": miss}, r.file.rel, ev.line)
                    break


class Positive(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    positive: dict[str, str]  # key -> the metadata field whose value must be above 0


@kind("run_metadata_positive", "result", Positive)
def run_metadata_positive(e: EntryFacts, rule: Rule, p: Positive, rs: Ruleset) -> Iterator[Hit]:
    """A metadata field that must be a number above 0 where a record carries it, first break per key."""
    for r, log in mlperf_runs(e):
        for key, fname in p.positive.items():
            for ev in log.all(key) if log.count(key) else []:
                v = ev.metadata.get(fname)
                if fname in ev.metadata and not (is_num(v) and v > 0):
                    yield Hit({"key": key, "line": ev.line, "field": fname, "value": repr(v)}, r.file.rel, ev.line)
                    break


class Order(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    order: list[str]  # keys, in the order their first records must appear


@kind("run_order", "result", Order)
def run_order(e: EntryFacts, rule: Rule, p: Order, rs: Ruleset) -> Iterator[Hit]:
    """The round's lifecycle keys in log order (first occurrence of each), as the round's checker reads them.

    Time stamps are judged by the train.time.* kinds.
    """
    for r, log in mlperf_runs(e):
        seen = [(k, ev) for k in p.order if (ev := log.first(k)) is not None]
        for (k1, a), (k2, b) in zip(seen, seen[1:]):
            if b.line < a.line:
                yield Hit({"key": k2, "line": b.line, "before": k1, "before_line": a.line}, r.file.rel, b.line)


class AfterStop(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    keys: list[str]  # keys no record of which may follow run_stop


@kind("run_after_stop", "result", AfterStop)
def run_after_stop(e: EntryFacts, rule: Rule, p: AfterStop, rs: Ruleset) -> Iterator[Hit]:
    """No record of these keys after run_stop (the first one is reported)."""
    late_keys = set(p.keys)
    for r, log in mlperf_runs(e):
        stop = log.first("run_stop")
        if stop is None:
            continue
        late = next((ev for ev in log.events if ev.key in late_keys and ev.line > stop.line), None)
        if late is not None:
            yield Hit({"key": late.key, "line": late.line, "stop_line": stop.line}, r.file.rel, late.line)


@kind("run_bracketing", "result")
def run_bracketing(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """epoch, block and eval start/stop pairs match (one open epoch at run_stop is allowed)."""
    for r, log in mlperf_runs(e):
        for what in ("epoch", "block", "eval"):
            start, stop = f"{what}_start", f"{what}_stop"
            starts, stops = log.count(start), log.count(stop)
            ranks = max(1, log.count("run_start"))
            if stops > starts:
                first = log.first(stop)
                yield Hit({"count": stops, "key": stop, "other_count": starts, "other_key": start}, r.file.rel,
                          first.line if first else None)
            elif starts - stops > ranks:
                first = log.first(start)
                yield Hit({"count": starts, "key": start, "other_count": stops, "other_key": stop}, r.file.rel,
                          first.line if first else None)


@kind("init_time", "result")
def init_time(e: EntryFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Untimed initialisation (first init_start to init_stop) within the round's limit (training.init_limit_s)."""
    rnd: TrainingRound = rs.model
    limit = rnd.training.init_limit_s.value
    for r, log in mlperf_runs(e):
        a, b = log.first("init_start"), log.first("init_stop")
        if a is None or b is None:
            continue
        took = b.time_s - a.time_s
        if took > limit:
            yield Hit({"minutes": round(took / 60, 2), "limit": round(limit / 60, 2)}, r.file.rel, b.line)


class Status(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One of two checks, as the round words it: the statuses allowed, or that a status is given at all."""

    allowed: list[str] | None = None  # statuses any run may have
    nonconverged_allowed: list[str] = msgspec.field(default_factory=list)  # more statuses a run that did not reach the target may have
    required: bool = False  # run_stop must carry a status (any)

    def __post_init__(self) -> None:
        if (self.allowed is None) == (not self.required):
            raise ValueError("give either `allowed` (the statuses) or `required: true` (a status at all)")


@kind("run_status", "result", Status)
def run_status(e: EntryFacts, rule: Rule, p: Status, rs: Ruleset) -> Iterator[Hit]:
    """run_stop's status as the round wants it: one of `allowed`, or (`required`) any status at all.

    Fields: status, allowed (the statuses, "a or b"). A rule's message words the check its params give.
    """
    for r, log in mlperf_runs(e):
        stop = log.first("run_stop")
        if stop is None:
            continue
        st = r.status
        if st is None:
            if p.required:
                yield Hit({"status": "missing"}, r.file.rel, stop.line)
            continue
        if p.allowed is None or st in p.allowed or (st in p.nonconverged_allowed and not r.converged):
            continue
        yield Hit({"status": st, "allowed": " or ".join(p.allowed)}, r.file.rel, stop.line)


KINDS = (run_keys, run_key_counts, run_metadata, run_metadata_positive, run_order, run_after_stop, run_bracketing,
         init_time, run_status)
