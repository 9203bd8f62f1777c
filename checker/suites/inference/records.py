"""A result as the report shows it: its headline metric and accuracy, as the round's rules define them."""

from __future__ import annotations

from ...findings import Accuracy, Metric, ResultRecord
from .facts import ResultFacts, RunFacts
from .loadgen import SummaryLog
from .ruledata import InferenceRound, MetricSpec

SYSTEM_FIELDS = ("system_name", "accelerator_model_name", "accelerators_per_node", "host_processor_model_name",
                 "host_processors_per_node", "framework", "status")


def summary_value(summary: SummaryLog, spec: MetricSpec) -> float | None:
    """A scenario's headline value as a summary states it, in the summary's unit (ns for latencies)."""
    v = summary.number(spec.summary_key)
    if v is None and spec.fallback_percentile is not None:
        v = summary.percentiles_ns.get(spec.fallback_percentile)
    if v is None and spec.fallback_param is not None:
        v = summary.param(spec.fallback_param)
    return float(v) if v is not None else None


def reported_run(r: ResultFacts, rnd: InferenceRound) -> RunFacts | None:
    """The performance run the round's results table reports: the first with a summary, or in rounds that
    say so (v0.7 Server) the last VALID one."""
    scen = rnd.scenarios.get(r.scenario or "")
    with_summary = [run for run in r.runs if run.summary is not None]
    if scen is not None and scen.report_run is not None and scen.report_run.value == "last_valid":
        valid = [run for run in with_summary if run.summary is not None and run.summary.valid]
        if valid:
            return valid[-1]
    return with_summary[0] if with_summary else None


def headline_metric(r: ResultFacts, rnd: InferenceRound) -> Metric | None:
    """SingleStream p90 latency (ms), MultiStream samples per query, Server scheduled QPS, Offline samples/s;
    an inferred result's value as the round's exception derives it from the run it holds."""
    scen = rnd.scenarios.get(r.scenario or "")
    if scen is None:
        return None
    spec = scen.metric
    run = reported_run(r, rnd)
    value: float | None = None
    if run is not None and run.summary is not None:
        inf = rnd.suites.inferred if rnd.suites else None
        if r.inferred_from is not None and inf is not None:
            v = run.summary.number(inf.metric_key)
            value = float(v) if v is not None else None
        else:
            raw = summary_value(run.summary, spec)
            value = None if raw is None else raw * spec.scale
    return Metric(spec.name, None if value is None else round(value, 6), spec.unit)


def accuracy_record(r: ResultFacts) -> Accuracy | None:
    if r.bench is None:
        return None
    spec = r.bench.accuracy
    reported = r.accuracy_txt.value if r.accuracy_txt else None
    target = round(spec.target, 6) if r.division == "closed" else None
    rescored = r.rescore.value if r.rescore else None
    return Accuracy(spec.metric, reported, target, rescored)


def result_record(r: ResultFacts, rnd: InferenceRound) -> ResultRecord:
    """The JSON-facing record of one result."""
    rec = ResultRecord(
        id=r.res.id, division=r.res.division, submitter=r.res.submitter, system=r.res.system,
        benchmark=r.benchmark or r.res.benchmark_dir, scenario=r.scenario or r.res.scenario_dir,
        metric=headline_metric(r, rnd), accuracy=accuracy_record(r),
    )
    if r.system.data:
        rec.extra["system_description"] = {k: r.system.data.get(k) for k in SYSTEM_FIELDS if k in r.system.data}
    if r.suite is not None:
        rec.extra["suite"] = r.suite
    run = reported_run(r, rnd)
    if run is not None and len(r.runs) > 1:
        rec.extra["metric_run"] = run.name  # which of several runs the value is from
    if r.inferred_from is not None:
        rec.extra["inferred_from"] = r.inferred_from
    return rec
