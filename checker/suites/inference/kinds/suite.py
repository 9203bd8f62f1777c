"""Check kinds for the suites of later rounds: which benchmarks and scenarios a datacenter or edge system
submits, and the committee exception of results inferred from another scenario's run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..facts import SUMMARY, ResultFacts
from ..ruledata import InferenceRound


class Membership(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # benchmark: the benchmark is in the system's suite; scenario: the scenario is one the suite requires
    # or allows for it; required: every scenario the suite requires for it is submitted
    check: Literal["benchmark", "scenario", "required"]


@kind("suite_membership", "result", Membership)
def suite_membership(r: ResultFacts, rule: Rule, p: Membership, rs: Ruleset) -> Iterator[Hit]:
    """A result belongs to its system's suite: the benchmark, the scenario, and the suite's required scenarios."""
    rnd: InferenceRound = rs.model
    if rnd.suites is None or r.suite is None or r.benchmark is None or r.scenario is None:
        return
    table = rnd.suites.benchmarks[r.suite]
    spec = table.get(r.benchmark)
    fields = {"suite": r.suite, "benchmark": r.benchmark, "scenario": r.scenario, "system": r.res.system}
    if p.check == "benchmark":
        if spec is None:
            yield Hit({**fields, "allowed": sorted(table)}, r.res.id)
        return
    if spec is None:
        return  # reported by the benchmark check
    allowed = [*spec.required, *spec.optional]
    if p.check == "scenario":
        if r.scenario not in allowed:
            yield Hit({**fields, "allowed": allowed}, r.res.id)
        return
    missing = [s for s in spec.required if s not in r.siblings]
    if missing and r.scenario in allowed:
        yield Hit({**fields, "missing": missing}, r.res.id)


@kind("inferred_result", "result")
def inferred_result(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A result inferred from another scenario's run (a committee exception): its value checked against
    what the run's mean latency gives. An info finding when it holds, an error when it does not."""
    rnd: InferenceRound = rs.model
    inf = rnd.suites.inferred if rnd.suites else None
    if inf is None or r.inferred_from is None:
        return
    for run in r.runs:
        s = run.summary
        if s is None:
            continue
        stated = s.number(inf.metric_key)
        mean = s.number("mean_latency_ns")
        formula = 1e9 / float(mean) if mean else None
        fields = {"scenario": r.scenario, "run_scenario": r.inferred_from, "key": inf.metric_key,
                  "stated": "none" if stated is None else f"{float(stated):.6g}",
                  "formula": "none" if formula is None else f"{formula:.6g}"}
        ok = stated is not None and formula is not None and abs(float(stated) - formula) <= inf.tolerance * formula
        yield Hit(fields, f"{run.rel}/{SUMMARY}", severity=None if ok else Severity.ERROR)


KINDS = (suite_membership, inferred_result)
