"""A result's headline metric and accuracy record, as the round's rules define them."""

from __future__ import annotations

from .engine.inference_kinds import accuracy_target
from .engine.ruleset import Ruleset
from .findings import Accuracy, Metric
from .inference_facts import ResultFacts


def headline_metric(r: ResultFacts, ruleset: Ruleset) -> Metric | None:
    """SingleStream p90 latency (ms), MultiStream samples per query, Server scheduled QPS, Offline samples/s.

    Taken from the first performance run, as the round's results tables report it.
    """
    if r.scenario is None:
        return None
    spec = ruleset.data.get("scenarios", {}).get(r.scenario, {}).get("metric")
    if not spec:
        return None
    metric = Metric(spec["name"], None, spec["unit"])
    for run in r.runs:
        if run.summary is None:
            continue
        value = run.summary.number(spec["summary_key"])
        if value is None and r.scenario == "SingleStream":
            value = run.summary.percentiles_ns.get(90.0)
        if value is None and r.scenario == "MultiStream":
            value = run.summary.param("samples_per_query")
        if value is not None:
            metric.value = round(float(value) * float(spec.get("scale", 1)), 6)
        break
    return metric


def accuracy_record(r: ResultFacts) -> Accuracy | None:
    acc = r.bench.get("accuracy")
    if not acc:
        return None
    reported = r.accuracy_txt.value if r.accuracy_txt else None
    target = accuracy_target(r.bench) if r.res.division.lower() == "closed" else None
    rescored = r.rescore.get("value") if r.rescore else None
    return Accuracy(acc["metric"], reported, round(target, 6) if target is not None else None, rescored)
