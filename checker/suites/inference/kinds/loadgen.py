"""Check kinds for the LoadGen logs of a result: summary and detail logs of every run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..facts import DETAIL, SUMMARY, ResultFacts, RunFacts, TreeFacts
from ..loadgen import SummaryLog, to_number
from ..ruledata import InferenceRound, MetricSpec


def setting(run: RunFacts, key: str) -> float | int | None:
    """A test setting as the run used it: the summary's parameters first, then the detail log's."""
    if run.summary is not None:
        v = run.summary.param(key)
        if v is not None:
            return v
    if run.detail is not None:
        return to_number(run.detail.effective.get(key))
    return None


def all_runs(r: ResultFacts) -> list[tuple[RunFacts, bool]]:
    """(run, is_accuracy) for every run folder of the result."""
    out = [(run, False) for run in r.runs]
    if r.accuracy is not None:
        out.append((r.accuracy, True))
    return out


@kind("log_readable", "result")
def log_readable(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Every LoadGen log present can be read and parsed."""
    for run, _ in all_runs(r):
        for fname, why in sorted(run.problems.items()):
            if fname in (SUMMARY, DETAIL):
                yield Hit({"file": fname, "why": why}, f"{run.rel}/{fname}")


@kind("log_scenario", "result")
def log_scenario(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The scenario the logs state is the scenario of the folder (or of the run an inferred result holds)."""
    if r.run_scenario is None:
        return
    for run, is_acc in all_runs(r):
        want = r.run_scenario
        # an inferred result's accuracy run may be its own folder's scenario or the run's
        accepted = {want, r.scenario} if is_acc and r.inferred_from else {want}
        raw_s = run.summary.fields.get("scenario") if run.summary else None
        raw_d = run.detail.effective.get("scenario") if run.detail else None
        for fname, got, raw in ((SUMMARY, run.summary.scenario if run.summary else None, raw_s),
                                (DETAIL, run.detail.scenario if run.detail else None, raw_d)):
            if got is not None and got not in accepted:
                yield Hit({"got": got, "want": want}, f"{run.rel}/{fname}")
            elif got is None and raw not in (None, ""):
                yield Hit({"got": f"'{str(raw)[:60]}' (not a scenario)", "want": want}, f"{run.rel}/{fname}")


@kind("log_mode", "result")
def log_mode(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Performance runs are Performance-mode runs; the accuracy run is an Accuracy-mode run."""
    for run, is_acc in all_runs(r):
        want = "Accuracy" if is_acc else "Performance"
        for fname, got, raw in ((SUMMARY, run.summary.mode if run.summary else None,
                                 run.summary.fields.get("mode") if run.summary else None),
                                (DETAIL, run.detail.mode if run.detail else None,
                                 run.detail.effective.get("test_mode") if run.detail else None)):
            if got is None and raw not in (None, ""):
                got = f"'{str(raw)[:40]}' (unknown)"
            if got is not None and got not in (want, "Submission"):
                yield Hit({"folder": run.rel, "got": got, "want": want}, f"{run.rel}/{fname}")


@kind("log_result_valid", "result")
def log_result_valid(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """LoadGen's own verdict on each performance run."""
    for run in r.runs:
        s = run.summary
        if s is None or s.valid is not False:
            continue
        why = [k.replace("_", " ") for k in ("min_duration_satisfied", "min_queries_satisfied",
                                            "performance_constraints_satisfied")
               if s.fields.get(k, "").lower().startswith("no")]
        yield Hit({"why": ("not met: " + ", ".join(why)) if why else "see the summary"}, f"{run.rel}/{SUMMARY}")


@kind("log_verdict", "result")
def log_verdict(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A performance run's summary states LoadGen's verdict ('Result is : VALID')."""
    for run in r.runs:
        if run.summary is not None and run.summary.valid is None:
            yield Hit({}, f"{run.rel}/{SUMMARY}")


@kind("log_conflicts", "result")
def log_conflicts(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A summary states the same key twice with different values."""
    for run, _ in all_runs(r):
        if run.summary is None:
            continue
        for key, first, later in run.summary.conflicts[:5]:
            yield Hit({"key": key, "first": first[:60], "later": later[:60]}, f"{run.rel}/{SUMMARY}")


@kind("log_error_count", "result")
def log_error_count(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The summary's error count matches the ERROR lines of the detail log."""
    for run, _ in all_runs(r):
        s, d = run.summary, run.detail
        if s is None or d is None or s.errors_reported is None:
            continue
        if s.errors_reported != len(d.errors):
            shown = "more than can be counted" if s.errors_reported >= sys.maxsize else str(s.errors_reported)
            yield Hit({"got": shown, "want": len(d.errors)}, f"{run.rel}/{SUMMARY}")


@kind("log_timestamps", "result")
def log_timestamps(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The detail log's clock runs forward (POWER_END after POWER_BEGIN)."""
    for run, _ in all_runs(r):
        if run.detail is not None and run.detail.power_inverted:
            yield Hit({}, f"{run.rel}/{DETAIL}")


class Runs(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    runs: Literal["performance", "accuracy"]


@kind("log_seeds", "result", Runs)
def log_seeds(r: ResultFacts, rule: Rule, p: Runs, rs: Ruleset) -> Iterator[Hit]:
    """The RNG seeds are the round's (performance runs; the accuracy run, which runs every sample once,
    apart)."""
    rnd: InferenceRound = rs.model
    for run, is_acc in all_runs(r):
        if is_acc != (p.runs == "accuracy"):
            continue
        for name, want in rnd.constants.seeds.value.items():
            raw = run.summary.params.get(name) if run.summary else None
            if raw is not None and run.summary is not None and run.summary.param(name) is None:
                yield Hit({"seed": name, "got": f"'{raw[:40]}…' (not a number)" if len(raw) > 40 else f"'{raw}'",
                           "want": want}, f"{run.rel}/{SUMMARY}")
                continue
            got = setting(run, name)
            if got is not None and int(got) != int(want):
                fname = SUMMARY if run.summary and run.summary.param(name) is not None else DETAIL
                yield Hit({"seed": name, "got": int(got), "want": want}, f"{run.rel}/{fname}")


@kind("round_seeds", "tree")
def round_seeds(t: TreeFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The tree's performance runs carry another shipped round's seeds than the rules applied."""
    rnd: InferenceRound = rs.model
    mine = tuple(sorted(rnd.constants.seeds.value.values()))
    for name, seeds, n in t.seed_rounds:
        if seeds != mine:
            yield Hit({"count": n, "other": name, "applied": rs.round}, "")


@kind("round_undetermined", "tree")
def round_undetermined(t: TreeFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The tree named no round (no seeds, benchmark or compliance folder of one): the newest was applied."""
    if t.round_note is not None:
        yield Hit({"why": t.round_note}, "")


@kind("log_builds", "result")
def log_builds(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The runs of one result were made with one LoadGen build (the version and commit the detail logs state)."""
    builds: dict[str, str] = {}  # build -> first run that states it
    for run, _ in all_runs(r):
        v = run.detail.loadgen_version if run.detail else None
        if v:
            builds.setdefault(v, run.rel)
    if len(builds) > 1:
        (first, where), *others = builds.items()
        for build, rel in others:
            yield Hit({"first": first, "where": where, "other": build, "other_where": rel}, f"{rel}/{DETAIL}")


@kind("log_summary_complete", "result")
def log_summary_complete(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A performance run's summary holds every section and key LoadGen always writes."""
    rnd: InferenceRound = rs.model
    scen = rnd.scenarios.get(r.run_scenario or "")
    for run in r.runs:
        s = run.summary
        if s is None:
            continue
        for section in rnd.loadgen_summary.sections:
            present = s.params if section.part == "params" else s.fields
            missing = [k for k in section.keys if k not in present]
            total = len(section.keys)
            if section.scenario_metric and scen is not None:
                total += 1
                if not _states_metric(s, scen.metric):
                    missing.append(scen.metric.summary_key)
            if not missing:
                continue
            what = (f"its {section.name} section" if len(missing) == total
                    else f"{', '.join(missing[:6])}{' …' if len(missing) > 6 else ''} of its {section.name} section")
            yield Hit({"what": what, "count": len(missing)}, f"{run.rel}/{SUMMARY}")


def _states_metric(s: SummaryLog, m: MetricSpec) -> bool:
    """The summary holds the scenario's metric line: under its own key, or the older LoadGen's fallback
    (whatever its value: a value that is not a number is another rule's concern)."""
    if m.summary_key in s.fields:
        return True
    if m.fallback_percentile is not None and m.fallback_percentile in s.percentiles_ns:
        return True
    return m.fallback_param is not None and m.fallback_param in s.params


@kind("log_performance_sample_count", "result")
def log_performance_sample_count(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """performance_sample_count is at least the model's (capped by the data set, as LoadGen caps it)."""
    if r.bench is None:
        return
    want = min(r.bench.performance_sample_count.value, r.bench.dataset_samples.value)
    for run in r.runs:
        got = setting(run, "performance_sample_count")
        if got is not None and int(got) < want:
            yield Hit({"got": int(got), "want": want, "benchmark": r.benchmark}, f"{run.rel}/{SUMMARY}")


class Minimum(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A run setting that must reach the round's minimum. A configured value below it that the detail
    log proves the run still met is reported with `configured_severity`."""

    setting: Literal["min_duration", "min_query_count", "samples_per_query"]
    configured_severity: Severity


def _issued_queries(run: RunFacts) -> int | None:
    """Queries the run proves it issued: MLLOG's result_query_count, else the v0.5 generated count."""
    if run.detail is None:
        return None
    issued = to_number(run.detail.results.get("query_count"))
    return int(issued) if issued is not None else run.detail.generated_queries


@kind("log_minimum", "result", Minimum)
def log_minimum(r: ResultFacts, rule: Rule, p: Minimum, rs: Ruleset) -> Iterator[Hit]:
    """The run lasted, issued or held at least the round's minimum (configured, else proven by the detail log)."""
    rnd: InferenceRound = rs.model
    scenario = r.run_scenario
    if scenario is None:
        return
    if p.setting == "min_query_count" and scenario == "Offline":
        return
    if p.setting == "samples_per_query" and scenario != "Offline":
        return
    for run in r.runs:
        path = f"{run.rel}/{SUMMARY}"
        if p.setting == "min_duration":
            need = rnd.constants.min_duration_ms.value
            got = setting(run, "min_duration_ms")
            proven = run.detail.duration_ns / 1e6 if run.detail is not None and run.detail.duration_ns else None
            fields = {"setting": "min_duration", "configured": f"{got:g} ms" if got is not None else "",
                      "required": f"{need} ms"}
            proof = (f"the detail log shows the run lasted {proven / 1000:.1f} s" if proven is not None
                     else "the logs do not prove the run's length")
        elif p.setting == "min_query_count":
            need = rnd.min_queries(r.benchmark, scenario)
            got = setting(run, "min_query_count")
            issued = _issued_queries(run)
            proven = float(issued) if issued is not None else None
            fields = {"setting": "min_query_count", "configured": f"{got:g}" if got is not None else "",
                      "required": f"{need} queries ({scenario})"}
            proof = (f"the detail log shows {issued} queries generated" if issued is not None
                     else "the detail log does not prove more")
        else:
            need = rnd.constants.offline_min_samples_per_query.value
            got = setting(run, "samples_per_query")
            generated = run.detail.generated_samples_per_query if run.detail else None
            proven = float(generated) if generated is not None else None
            fields = {"setting": "samples_per_query",
                      "configured": f"{got:g}" if got is not None else "not stated in the summary",
                      "required": f"{need} samples in the Offline query"}
            proof = (f"the detail log shows a query of {generated} samples" if generated is not None
                     else "the detail log does not prove more")
            if got is None and proven is None:
                continue
        if got is not None and got >= need:
            continue
        if got is None and p.setting != "samples_per_query":
            continue
        if proven is not None and proven >= need:
            if got is not None:
                yield Hit({**fields, "proof": proof + ", which meets it"}, path, severity=p.configured_severity)
            continue
        yield Hit({**fields, "proof": proof}, path)


class LatencyCheck(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # bound: the tail latency is within the bound; intervals: no MultiStream query at the tail spans two
    # intervals; missing: the summary states the percentile the bound is checked at
    check: Literal["bound", "intervals", "missing"]


@kind("log_latency", "result", LatencyCheck)
def log_latency(r: ResultFacts, rule: Rule, p: LatencyCheck, rs: Ruleset) -> Iterator[Hit]:
    """Server: tail latency within the bound. MultiStream: no query at the tail spans two intervals."""
    lat = r.bench.latency.get(r.run_scenario or "") if r.bench is not None else None
    if lat is None:
        return
    for run in r.runs:
        s = run.summary
        if s is None:
            continue
        path = f"{run.rel}/{SUMMARY}"
        fields = {"percentile": lat.percentile, "bound": lat.bound_ms, "benchmark": r.benchmark,
                  "scenario": r.run_scenario}
        if r.run_scenario == "MultiStream" and s.intervals:
            spans = s.intervals.get(lat.percentile)
            if p.check == "intervals" and spans is not None and spans > 1:
                yield Hit({**fields, "spans": spans}, path)
            continue
        got = s.percentiles_ns.get(lat.percentile)
        if got is None:
            if p.check == "missing":
                yield Hit(fields, path)
        elif p.check == "bound" and got > lat.bound_ms * 1e6:
            yield Hit({**fields, "got": f"{got / 1e6:.3f}"}, path)


@kind("log_target_latency", "result")
def log_target_latency(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The configured latency target does not exceed the scenario's bound."""
    lat = r.bench.latency.get(r.run_scenario or "") if r.bench is not None else None
    if lat is None:
        return
    allowed_ms = max(lat.bound_ms, lat.interval_ms or 0.0)
    for run in r.runs:
        got = setting(run, "target_latency_ns")
        if got is None or got <= 0:
            continue
        if got > allowed_ms * 1e6 + 1:
            yield Hit({"got": f"{got / 1e6:g}", "want": f"{allowed_ms:g}", "benchmark": r.benchmark,
                       "scenario": r.run_scenario}, f"{run.rel}/{SUMMARY}")


class Errors(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # the round's benign ERROR lines are reported apart (benign: true), once per file and reason
    benign: bool


@kind("log_errors", "result", Errors)
def log_errors(r: ResultFacts, rule: Rule, p: Errors, rs: Ruleset) -> Iterator[Hit]:
    """ERROR lines in detail logs: the round's known-benign ones apart from the rest."""
    rnd: InferenceRound = rs.model
    for run, _ in all_runs(r):
        if run.detail is None:
            continue
        seen: set[str] = set()
        for e in run.detail.errors:
            b = rnd.benign(e.text, r.run_scenario)
            if not p.benign and b is None:
                yield Hit({"text": e.text[:300]}, f"{run.rel}/{DETAIL}", line=e.line)
            elif p.benign and b is not None and b.reason not in seen:
                seen.add(b.reason)
                yield Hit({"text": e.text[:200], "reason": b.reason}, f"{run.rel}/{DETAIL}", line=e.line)


@kind("log_malformed", "result")
def log_malformed(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Lines of a detail log that could not be parsed (the first five of each log)."""
    for run, _ in all_runs(r):
        if run.detail is None:
            continue
        for bad in run.detail.problems[:5]:
            yield Hit({"line": bad.line, "text": bad.text}, f"{run.rel}/{DETAIL}", line=bad.line)


KINDS = (log_readable, log_scenario, log_mode, log_result_valid, log_verdict, log_conflicts, log_error_count,
         log_timestamps, log_seeds, round_seeds, round_undetermined, log_builds, log_summary_complete, log_performance_sample_count, log_minimum, log_latency, log_target_latency,
         log_errors, log_malformed)
