"""Check kinds for inference submissions. Round-specific numbers come from the ruleset, never from here."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema

from ..findings import Severity
from ..inference_facts import (
    ACCURACY_LOG,
    ACCURACY_TXT,
    DETAIL,
    SUMMARY,
    ResultFacts,
    RunFacts,
    SystemFacts,
    TreeFacts,
)
from ..parse.loadgen import to_number
from ..resources import load_schema
from .core import Hit, Registry
from .ruleset import Rule, Ruleset

REGISTRY = Registry()
kind = REGISTRY.kind


# ---------------------------------------------------------------- helpers

def _setting(run: RunFacts, key: str) -> float | int | None:
    """A test setting as the run used it: the summary's parameters first, then the detail log's."""
    if run.summary is not None:
        v = run.summary.param(key)
        if v is not None:
            return v
    if run.detail is not None:
        return to_number(run.detail.effective.get(key))
    return None


def _min_query_count(rs: Ruleset, r: ResultFacts) -> int | None:
    if r.scenario is None:
        return None
    per = dict(rs.constant("min_query_count"))
    per.update(r.bench.get("min_query_count", {}).get("value", {}))
    v = per.get(r.scenario)
    return int(v) if v is not None else None


def _usable_runs(r: ResultFacts) -> list[RunFacts]:
    return [run for run in r.runs if run.summary is not None or run.detail is not None]


def _accuracy_target(bench: dict[str, Any]) -> tuple[float, float, float] | None:
    acc = bench.get("accuracy")
    if not acc:
        return None
    ref = float(acc["documented_reference"] if acc.get("applied") == "documented_reference" else acc["reference"])
    frac = float(acc["fraction"])
    return ref * frac, ref, frac


def accuracy_target(bench: dict[str, Any]) -> float | None:
    """The closed-division target as the round applied it (reference x fraction)."""
    t = _accuracy_target(bench)
    return t[0] if t else None


def _ms(ns: float) -> str:
    return f"{ns / 1e6:.3f}"


# ---------------------------------------------------------------- tree and submitter scope

@kind("submitter_parts", "submitter")
def submitter_parts(sub: Any, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The submitter folder holds the parts the layout requires."""
    for part in rule.params.get("required", []):
        if not sub.parts.get(part, False):
            yield Hit({"part": part}, sub.rel)


@kind("skipped_paths", "tree")
def skipped_paths(t: TreeFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Links and special files are never followed; each is reported."""
    for s in t.tree.skipped:
        yield Hit({"path": s.rel, "kind": s.kind}, s.rel)


@kind("unreadable_paths", "tree")
def unreadable_paths(t: TreeFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Folders that cannot be listed."""
    for rel, why in t.tree.unreadable:
        yield Hit({"path": rel, "why": why}, rel)


# ---------------------------------------------------------------- system scope

@kind("system_json", "system")
def system_json(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The system description is a readable JSON object."""
    if s.rel is not None and s.problem is not None:
        yield Hit({"why": s.problem}, s.rel)


@kind("system_schema", "system")
def system_schema(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Required fields and their types, from the round's system-description schema."""
    if s.rel is None or s.data is None:
        return
    schema = load_schema(rule.params["schema"])
    validator = jsonschema.Draft202012Validator(schema)
    for err in sorted(validator.iter_errors(s.data), key=lambda e: (list(e.absolute_path), e.message)):
        if err.validator == "additionalProperties":
            continue  # reported field by field by system_unknown_fields
        where = "/".join(str(p) for p in err.absolute_path)
        why = err.message
        if err.validator == "required":
            m = re.match(r"'([^']+)' is a required property", err.message)
            why = f"required field '{m.group(1)}' is missing" if m else err.message
        elif err.validator == "anyOf" and not where:
            why = "needs host_processor_core_count or host_processor_vcpu_count"
        elif where:
            why = f"field '{where}': {err.message}"
        yield Hit({"why": why}, s.rel)


@kind("system_unknown_fields", "system")
def system_unknown_fields(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Fields the round's schema does not know (often misspellings)."""
    if s.rel is None or s.data is None:
        return
    known = list(load_schema(rule.params["schema"]).get("properties", {}))
    for f in sorted(s.data):
        if f not in known:
            close = difflib.get_close_matches(f, known, n=1, cutoff=0.75)
            yield Hit({"field": f, "hint": f" (did you mean '{close[0]}'?)" if close else ""}, s.rel)


def _norm(v: str) -> str:
    return re.sub(r"[^0-9a-z]", "", v.lower())


@kind("system_consistency", "system")
def system_consistency(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """submitter and division in the description agree with the folders it sits in."""
    if s.rel is None or s.data is None:
        return
    for fld, want in (("division", s.submitter.division), ("submitter", s.submitter.name)):
        got = s.data.get(fld)
        if isinstance(got, str) and got != want:
            sev = Severity.WARNING if _norm(got) == _norm(want) else None
            yield Hit({"field": fld, "got": got, "want": want}, s.rel, severity=sev)


def hardware_category(rs: Ruleset, data: dict[str, Any]) -> tuple[str | None, str]:
    """(category, the device it was derived from); the accelerator decides, else the host processor."""
    cats = rs.data.get("categories", {})
    acc = str(data.get("accelerator_model_name") or "").strip()
    n_acc = to_number(data.get("accelerators_per_node"))
    device = acc if acc and acc.lower() not in ("n/a", "na", "none", "-") and (n_acc is None or n_acc > 0) else ""
    if not device:
        device = str(data.get("host_processor_model_name") or "").strip()
    for entry in cats.get("hardware", []):
        if re.search(entry["match"], device, re.IGNORECASE):
            return str(entry["category"]), device
    return None, device


def framework_names(rs: Ruleset, framework: str) -> list[str]:
    """The frameworks of the round's table that a description's framework string names."""
    out = []
    for name, entry in rs.data.get("categories", {}).get("frameworks", {}).items():
        if re.search(entry["match"], framework, re.IGNORECASE):
            out.append(name)
    # TF-Lite also matches TensorFlow's pattern; the more specific name wins
    if "TF-Lite" in out and "TensorFlow" in out:
        out.remove("TensorFlow")
    return out


@kind("system_category", "system")
def system_category(s: SystemFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The framework is allowed for the system's hardware category (the round's table)."""
    if s.rel is None or s.data is None:
        return
    cat, device = hardware_category(rs, s.data)
    framework = str(s.data.get("framework") or "")
    if cat is None:
        yield Hit({}, s.rel, severity=Severity.INFO,
                  message=f"hardware category of '{device or 'no device named'}' is unknown; not guessed")
        return
    names = framework_names(rs, framework)
    if not names:
        yield Hit({}, s.rel, severity=Severity.INFO,
                  message=f"framework '{framework}' is not in the round's framework table ({cat} system)")
        return
    table = rs.data["categories"]["frameworks"]
    if not any(cat in table[n]["categories"] for n in names):
        allowed = sorted({n for n, e in table.items() if cat in e["categories"]})
        yield Hit({"detail": f"framework {'/'.join(names)} is not listed for {cat} systems ({device}); "
                             f"the round lists {', '.join(allowed)}"}, s.rel)


# ---------------------------------------------------------------- result scope: layout

@kind("benchmark_known", "result")
def benchmark_known(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The benchmark folder names a benchmark of the round."""
    if r.benchmark is None:
        yield Hit({"got": r.res.benchmark_dir, "expected": sorted(rs.data.get("benchmarks", {}))}, r.res.id)


@kind("benchmark_alias", "result")
def benchmark_alias(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The benchmark folder uses an alias (resnet50 for resnet)."""
    if r.benchmark is not None and r.res.benchmark_dir != r.benchmark:
        yield Hit({"got": r.res.benchmark_dir, "want": r.benchmark}, r.res.id)


@kind("scenario_known", "result")
def scenario_known(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The scenario folder names a scenario."""
    if r.scenario is None:
        yield Hit({"got": r.res.scenario_dir, "expected": sorted(rs.data.get("scenarios", {}))}, r.res.id)


@kind("scenario_spelling", "result")
def scenario_spelling(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The scenario folder is spelled as the rules spell it."""
    if r.scenario is not None and r.res.scenario_dir != r.scenario:
        yield Hit({"got": r.res.scenario_dir, "want": r.scenario}, r.res.id)


@kind("accuracy_dir", "result")
def accuracy_dir(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The result has an accuracy/ folder."""
    if r.accuracy is None:
        yield Hit({}, r.res.id)


@kind("performance_dir", "result")
def performance_dir(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The result has a performance/ folder holding runs."""
    if not r.res.runs:
        yield Hit({}, r.res.id)


@kind("performance_spelling", "result")
def performance_spelling(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The performance folder is spelled in lower case."""
    if r.res.performance_dir is not None and r.res.performance_dir != "performance":
        yield Hit({"got": r.res.performance_dir}, f"{r.res.id}/{r.res.performance_dir}")


@kind("accuracy_files", "result")
def accuracy_files(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """accuracy/ holds every required file (files known absent from a copy are reported separately)."""
    if r.accuracy is None:
        return
    for f in rule.params.get("required", []):
        if f not in r.accuracy.files and f not in r.accuracy.absent:
            yield Hit({"file": f}, r.accuracy.rel)


@kind("run_files", "result")
def run_files(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Every performance run holds the required logs."""
    for run in r.runs:
        for f in rule.params.get("required", []):
            if f not in run.files and f not in run.absent:
                yield Hit({"run": run.rel.rpartition("/")[2] if run.name != r.res.performance_dir else run.name,
                           "file": f}, run.rel)


@kind("run_naming", "result")
def run_naming(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Run folders are named run_1, run_2, … under performance/."""
    if r.res.runs_flat:
        yield Hit({"detail": f"logs sit directly in {r.res.performance_dir}/; the layout puts them in run_1/"},
                  f"{r.res.id}/{r.res.performance_dir}")
        return
    names = [run.name for run in r.runs]
    want = [f"run_{i}" for i in range(1, len(names) + 1)]
    if names and names != want:
        yield Hit({"detail": f"run folders are {', '.join(names)}; the layout numbers them {', '.join(want)}"},
                  f"{r.res.id}/{r.res.performance_dir}")


@kind("run_count", "result")
def run_count(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The scenario's number of performance runs (Server 5, the others 1)."""
    if r.scenario is None or not r.res.runs:
        return
    want = int(rs.constant("runs_required").get(r.scenario, 1))
    got = len(r.res.runs)
    if got < want:
        yield Hit({"scenario": r.scenario, "want": want, "got": got}, f"{r.res.id}/{r.res.performance_dir}")
    elif got > want:
        yield Hit({"scenario": r.scenario, "want": want, "got": got}, f"{r.res.id}/{r.res.performance_dir}",
                  severity=Severity.INFO,
                  message=f"{r.scenario} needs {want} performance run(s); {got} are present, the first is reported")


@kind("measurements_dir", "result")
def measurements_dir(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """measurements/<system>/<benchmark>/<scenario> exists for the result."""
    if r.measurements_rel is None:
        base = f"{r.res.submitter_rel}/measurements".lstrip("/")
        want = f"{base}/{r.res.system}/{r.res.benchmark_dir}/{r.res.scenario_dir}"
        others = [m for m in r.other_measurements if m != r.res.system]
        hint = f" (measurements/ holds {', '.join(others)} instead)" if others else ""
        yield Hit({"want": want, "hint": hint}, r.res.id)


@kind("measurements_files", "result")
def measurements_files(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The measurements folder holds mlperf.conf, user.conf, README.md and the implementation JSON."""
    if r.measurements_rel is None:
        return
    files = r.measurements_files
    lower = {f.lower() for f in files}
    for f in rule.params.get("required", []):
        if f.lower() in lower:
            continue
        if f == "user.conf" and any(x.startswith("user") and ".conf" in x for x in lower):
            yield Hit({}, r.measurements_rel, severity=Severity.INFO,
                      message="user.conf is split into " + ", ".join(sorted(x for x in files if x.lower().startswith("user"))))
            continue
        yield Hit({"folder": r.measurements_rel, "file": f}, r.measurements_rel)
    if not any(f.lower().endswith(".json") for f in files):
        yield Hit({"folder": r.measurements_rel, "file": "the implementation JSON (<system>_<implementation>_<scenario>.json)"},
                  r.measurements_rel)


@kind("code_dir", "result")
def code_dir(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """code/<benchmark>/<implementation> is present."""
    if not r.code_ok:
        want = f"{r.res.submitter_rel}/code/{r.res.benchmark_dir}/<implementation>".lstrip("/")
        yield Hit({"want": want}, r.code_rel or r.res.id)


@kind("known_absent", "result")
def known_absent(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Files the user declared absent from this copy (e.g. a size-limited mirror)."""
    for run in ([r.accuracy] if r.accuracy else []) + r.runs:
        for f in sorted(run.absent):
            yield Hit({"file": f"{run.rel}/{f}"}, f"{run.rel}/{f}")


# ---------------------------------------------------------------- result scope: systems

@kind("system_present", "result")
def system_present(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The result's system has a description in systems/."""
    if r.system is None or r.system.rel is None:
        want = f"{r.res.submitter_rel}/systems/{r.res.system}.json".lstrip("/")
        yield Hit({"want": want, "system": r.res.system}, r.res.id)


# ---------------------------------------------------------------- result scope: LoadGen logs

def _all_runs(r: ResultFacts) -> list[tuple[RunFacts, bool]]:
    """(run, is_accuracy) for every run folder of the result."""
    out = [(run, False) for run in r.runs]
    if r.accuracy is not None:
        out.append((r.accuracy, True))
    return out


@kind("log_readable", "result")
def log_readable(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Every LoadGen log present can be read and parsed."""
    for run, _ in _all_runs(r):
        for fname, why in sorted(run.problems.items()):
            if fname in (SUMMARY, DETAIL):
                yield Hit({"file": fname, "why": why}, f"{run.rel}/{fname}")


@kind("log_scenario", "result")
def log_scenario(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The scenario the logs state is the scenario of the folder."""
    if r.scenario is None:
        return
    for run, _ in _all_runs(r):
        raw_s = run.summary.fields.get("scenario") if run.summary else None
        raw_d = run.detail.effective.get("scenario") if run.detail else None
        for fname, got, raw in ((SUMMARY, run.summary.scenario if run.summary else None, raw_s),
                                (DETAIL, run.detail.scenario if run.detail else None, raw_d)):
            if got is not None and got != r.scenario:
                yield Hit({"got": got, "want": r.scenario}, f"{run.rel}/{fname}")
            elif got is None and raw not in (None, ""):
                yield Hit({"got": f"'{str(raw)[:60]}' (not a scenario)", "want": r.scenario}, f"{run.rel}/{fname}")


@kind("log_mode", "result")
def log_mode(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Performance runs are Performance-mode runs; the accuracy run is an Accuracy-mode run."""
    for run, is_acc in _all_runs(r):
        want = "Accuracy" if is_acc else "Performance"
        for fname, log in ((SUMMARY, run.summary), (DETAIL, run.detail)):
            if log is None:
                continue
            got = log.mode
            raw = log.fields.get("mode") if fname == SUMMARY else log.effective.get("test_mode")  # type: ignore[union-attr]
            if got is None and raw not in (None, ""):
                got = f"'{str(raw)[:40]}' (unknown)"
            if got is not None and got not in (want, "Submission"):
                yield Hit({"folder": run.rel, "got": got, "want": want}, f"{run.rel}/{fname}")


@kind("log_result_valid", "result")
def log_result_valid(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """LoadGen's own verdict on each performance run."""
    for run in r.runs:
        s = run.summary
        if s is None or s.valid is not False:
            continue
        why = [k.replace("_", " ") for k in ("min_duration_satisfied", "min_queries_satisfied",
                                            "performance_constraints_satisfied")
               if s.fields.get(k, "").lower().startswith("no")]
        yield Hit({"why": ("not met: " + ", ".join(why)) if why else "see the summary"}, f"{run.rel}/{SUMMARY}")


@kind("log_seeds", "result")
def log_seeds(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The RNG seeds are the round's."""
    seeds: dict[str, int] = rs.constant("seeds")
    for run, _ in _all_runs(r):
        for name, want in seeds.items():
            raw = run.summary.params.get(name) if run.summary else None
            if raw is not None and run.summary is not None and run.summary.param(name) is None:
                yield Hit({"seed": name, "got": f"'{raw[:40]}…' (not a number)" if len(raw) > 40 else f"'{raw}'",
                           "want": want}, f"{run.rel}/{SUMMARY}")
                continue
            got = _setting(run, name)
            if got is not None and int(got) != int(want):
                fname = SUMMARY if run.summary and run.summary.param(name) is not None else DETAIL
                yield Hit({"seed": name, "got": int(got), "want": want}, f"{run.rel}/{fname}")


@kind("log_performance_sample_count", "result")
def log_performance_sample_count(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """performance_sample_count is at least the model's (capped by the data set, as LoadGen caps it)."""
    want_entry = r.bench.get("performance_sample_count")
    if not want_entry:
        return
    want = int(want_entry["value"])
    dataset = int(r.bench.get("dataset_samples", {}).get("value", want))
    want = min(want, dataset)
    for run in r.runs:
        got = _setting(run, "performance_sample_count")
        if got is not None and int(got) < want:
            yield Hit({"got": int(got), "want": want, "benchmark": r.benchmark}, f"{run.rel}/{SUMMARY}")


def _duration_s(run: RunFacts) -> float | None:
    """The measured length of the timed run, where the logs prove it."""
    d = run.detail
    if d is not None and d.duration_ns:
        return d.duration_ns / 1e9
    return None


@kind("log_min_duration", "result")
def log_min_duration(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The run lasted at least the minimum duration; a lower configured value is reported even when met."""
    need_ms = int(rs.constant("min_duration_ms"))
    milder = Severity(rule.params.get("configured_severity", "warning"))
    for run in r.runs:
        got = _setting(run, "min_duration_ms")
        if got is None:
            continue
        if got >= need_ms:
            continue
        measured = _duration_s(run)
        path = f"{run.rel}/{SUMMARY}"
        if measured is not None and measured * 1000 >= need_ms:
            yield Hit({"detail": f"min_duration is configured as {int(got)} ms, below the rule's {need_ms} ms; "
                                 f"the detail log shows the run lasted {measured:.1f} s, which meets it"},
                      path, severity=milder)
        else:
            shown = f"{measured:.1f} s" if measured is not None else "a length the logs do not prove"
            yield Hit({"detail": f"min_duration is configured as {int(got)} ms and the run lasted {shown}; "
                                 f"the rule requires {need_ms / 1000:g} s"}, path)


def _issued_queries(run: RunFacts) -> int | None:
    """Queries the run proves it issued: MLLOG's result_query_count, else the v0.5 generated count."""
    if run.detail is None:
        return None
    issued = to_number(run.detail.results.get("query_count"))
    return int(issued) if issued is not None else run.detail.generated_queries


@kind("log_min_queries", "result")
def log_min_queries(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The run issued at least the scenario's minimum query count (configured, else proven by the detail log)."""
    if r.scenario in (None, "Offline"):
        return
    need = _min_query_count(rs, r)
    if need is None:
        return
    milder = Severity(rule.params.get("configured_severity", "warning"))
    for run in r.runs:
        got = _setting(run, "min_query_count")
        if got is None or got >= need:
            continue
        generated = _issued_queries(run)
        path = f"{run.rel}/{SUMMARY}"
        if generated is not None and generated >= need:
            yield Hit({"detail": f"min_query_count is configured as {int(got)}, below the rule's {need} for "
                                 f"{r.scenario}; the detail log shows {generated} queries generated, which meets it"},
                      path, severity=milder)
        else:
            shown = f"{generated} were generated" if generated is not None else "the detail log does not prove more"
            yield Hit({"detail": f"min_query_count is {int(got)} and {shown}; {r.scenario} "
                                 f"{'for ' + r.benchmark if r.benchmark else ''} needs {need}".replace("  ", " ")},
                      path)


@kind("log_offline_samples", "result")
def log_offline_samples(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """An Offline query carries at least the minimum number of samples."""
    if r.scenario != "Offline":
        return
    need = int(rs.constant("offline_min_samples_per_query"))
    milder = Severity(rule.params.get("configured_severity", "warning"))
    for run in r.runs:
        got = _setting(run, "samples_per_query")
        generated = run.detail.generated_samples_per_query if run.detail else None
        path = f"{run.rel}/{SUMMARY}"
        if got is not None and got >= need:
            continue
        if got is None and generated is None:
            continue
        if generated is not None and generated >= need:
            if got is not None:
                yield Hit({"detail": f"samples_per_query is configured as {int(got)}; the detail log shows a query "
                                     f"of {generated} samples, which meets the minimum of {need}"},
                          path, severity=milder)
            continue
        shown = int(got) if got is not None else generated
        yield Hit({"detail": f"the Offline query holds {shown} samples; the minimum is {need}"}, path)


@kind("log_latency_bound", "result")
def log_latency_bound(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Server: tail latency within the bound. MultiStream: no query at the tail spans two intervals."""
    lat = r.bench.get("latency", {}).get(r.scenario or "")
    if not lat:
        return
    bound_ns = float(lat["bound_ms"]) * 1e6
    pct = float(lat["percentile"])
    for run in r.runs:
        s = run.summary
        if s is None:
            continue
        path = f"{run.rel}/{SUMMARY}"
        if r.scenario == "MultiStream" and s.intervals:
            spans = s.intervals.get(pct)
            if spans is not None and spans > 1:
                yield Hit({"detail": f"at the {pct:g}th percentile a query spans {spans:g} intervals; "
                                     f"queries must complete within one interval"}, path)
            continue
        got = s.percentiles_ns.get(pct)
        if got is None:
            yield Hit({"detail": f"the summary gives no {pct:g}th-percentile latency to check against "
                                 f"the {lat['bound_ms']} ms bound"}, path)
            continue
        if got > bound_ns:
            yield Hit({"detail": f"{pct:g}th-percentile latency is {_ms(got)} ms; the bound for {r.benchmark} "
                                 f"{r.scenario} is {lat['bound_ms']} ms"}, path)


@kind("log_target_latency", "result")
def log_target_latency(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The configured latency target does not exceed the scenario's bound."""
    lat = r.bench.get("latency", {}).get(r.scenario or "")
    if not lat:
        return
    allowed_ms = max(float(lat["bound_ms"]), float(lat.get("interval_ms", 0)))
    for run in r.runs:
        got = _setting(run, "target_latency_ns")
        if got is None or got <= 0:
            continue
        if got > allowed_ms * 1e6 + 1:
            yield Hit({"got": f"{got / 1e6:g}", "want": f"{allowed_ms:g}", "benchmark": r.benchmark,
                       "scenario": r.scenario}, f"{run.rel}/{SUMMARY}")


def _benign(rs: Ruleset, text: str, scenario: str | None) -> str | None:
    for b in rs.data.get("benign_errors", []):
        if re.search(b["pattern"], text) and (not b.get("scenarios") or scenario in b["scenarios"]):
            return str(b["reason"])
    return None


@kind("log_error_lines", "result")
def log_error_lines(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """ERROR lines in detail logs, except those the round lists as benign."""
    for run, _ in _all_runs(r):
        if run.detail is None:
            continue
        for e in run.detail.errors:
            if _benign(rs, e.text, r.scenario) is None:
                yield Hit({"text": e.text[:300]}, f"{run.rel}/{DETAIL}", line=e.line)


@kind("log_benign_errors", "result")
def log_benign_errors(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """ERROR lines the round lists as benign, reported once per file."""
    for run, _ in _all_runs(r):
        if run.detail is None:
            continue
        seen: set[str] = set()
        for e in run.detail.errors:
            reason = _benign(rs, e.text, r.scenario)
            if reason is not None and reason not in seen:
                seen.add(reason)
                yield Hit({"text": e.text[:200], "reason": reason}, f"{run.rel}/{DETAIL}", line=e.line)


@kind("log_malformed", "result")
def log_malformed(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Lines of a detail log that could not be parsed."""
    for run, _ in _all_runs(r):
        if run.detail is None:
            continue
        for p in run.detail.problems[:5]:
            yield Hit({"text": p.text}, f"{run.rel}/{DETAIL}", line=p.line)


@kind("log_verdict", "result")
def log_verdict(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A performance run's summary states LoadGen's verdict ('Result is : VALID')."""
    for run in r.runs:
        if run.summary is not None and run.summary.valid is None:
            yield Hit({}, f"{run.rel}/{SUMMARY}")


@kind("log_conflicts", "result")
def log_conflicts(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A summary states the same key twice with different values."""
    for run, _ in _all_runs(r):
        if run.summary is None:
            continue
        for key, first, later in run.summary.conflicts[:5]:
            yield Hit({"key": key, "first": first[:60], "later": later[:60]}, f"{run.rel}/{SUMMARY}")


@kind("log_error_count", "result")
def log_error_count(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The summary's error count matches the ERROR lines of the detail log."""
    for run, _ in _all_runs(r):
        s, d = run.summary, run.detail
        if s is None or d is None or s.errors_reported is None:
            continue
        if s.errors_reported != len(d.errors):
            shown = "more than can be counted" if s.errors_reported >= sys.maxsize else str(s.errors_reported)
            yield Hit({"got": shown, "want": len(d.errors)}, f"{run.rel}/{SUMMARY}")


@kind("log_timestamps", "result")
def log_timestamps(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The detail log's clock runs forward (POWER_END after POWER_BEGIN)."""
    for run, _ in _all_runs(r):
        if run.detail is not None and run.detail.power_inverted:
            yield Hit({}, f"{run.rel}/{DETAIL}")


# ---------------------------------------------------------------- result scope: accuracy

@kind("accuracy_txt", "result")
def accuracy_txt(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """accuracy.txt exists and states the benchmark's metric."""
    acc = r.accuracy
    if acc is None:
        return
    path = f"{acc.rel}/{ACCURACY_TXT}"
    if ACCURACY_TXT in acc.absent:
        yield Hit({"detail": "accuracy.txt is absent from this copy, so the accuracy cannot be established"}, path)
        return
    if ACCURACY_TXT not in acc.files:
        return  # reported by accuracy_files
    if ACCURACY_TXT in acc.problems:
        yield Hit({"detail": f"accuracy.txt {acc.problems[ACCURACY_TXT]}; the accuracy cannot be established"}, path)
        return
    want = r.bench.get("accuracy", {}).get("metric", "accuracy")
    if r.accuracy_txt is None or r.accuracy_txt.value is None:
        yield Hit({"detail": f"accuracy.txt states no {want} value"}, path)


@kind("accuracy_target", "result")
def accuracy_target_kind(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The accuracy (re-scored when available, else reported) meets reference x fraction."""
    t = _accuracy_target(r.bench)
    if t is None or r.accuracy is None:
        return
    target, ref, frac = t
    value, which = _checked_accuracy(r)
    if value is None:
        return
    if value + 1e-9 < target:
        yield Hit({"metric": f"{which} {r.bench['accuracy']['metric']}", "got": value, "want": round(target, 6),
                   "reference": ref, "fraction": frac}, f"{r.accuracy.rel}/{ACCURACY_TXT}")


def _checked_accuracy(r: ResultFacts) -> tuple[float | None, str]:
    if r.rescore and r.rescore.get("value") is not None:
        return float(r.rescore["value"]), "re-scored"
    if r.accuracy_txt is not None and r.accuracy_txt.value is not None:
        return r.accuracy_txt.value, "reported"
    return None, ""


@kind("accuracy_report", "result")
def accuracy_report(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Open division: the achieved accuracy, for the record."""
    value, _which = _checked_accuracy(r)
    if value is None or r.accuracy is None:
        return
    yield Hit({"metric": r.bench.get("accuracy", {}).get("metric", "accuracy"), "got": value},
              f"{r.accuracy.rel}/{ACCURACY_TXT}")


@kind("accuracy_coverage", "result")
def accuracy_coverage(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The accuracy run covers every sample of the data set."""
    acc = r.accuracy
    ds = r.bench.get("dataset_samples", {}).get("value")
    if acc is None or ds is None:
        return
    ds = int(ds)
    allowed = [int(x) for x in r.bench.get("dataset_samples_allowed", {}).get("value", [ds])]
    if acc.detail is not None and acc.detail.qsl_total is not None and acc.detail.qsl_total not in allowed:
        yield Hit({"detail": f"the accuracy run's QSL holds {acc.detail.qsl_total} samples; "
                             f"the {r.bench.get('dataset')} data set has {ds}"}, f"{acc.rel}/{DETAIL}")
    if r.accuracy_txt is not None and r.accuracy_txt.total is not None and r.accuracy_txt.total not in allowed:
        yield Hit({"detail": f"accuracy.txt scores {r.accuracy_txt.total} samples; the accuracy run must "
                             f"cover all {ds}"}, f"{acc.rel}/{ACCURACY_TXT}", line=r.accuracy_txt.line)
    if r.rescore and r.rescore.get("unique_samples") is not None and r.rescore["unique_samples"] not in allowed:
        yield Hit({"detail": f"mlperf_log_accuracy.json holds {r.rescore['unique_samples']} distinct samples; "
                             f"the data set has {ds}"}, f"{acc.rel}/{ACCURACY_LOG}")


@kind("rescore_status", "result")
def rescore_status(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Whether the accuracy log was re-scored, and why not."""
    if r.accuracy is None or r.bench.get("dataset") is None:
        return
    if r.rescore is not None:
        return
    path = f"{r.accuracy.rel}/{ACCURACY_LOG}"
    if ACCURACY_LOG not in r.accuracy.files:
        return  # reported by accuracy_files or known_absent
    if r.rescore_error is not None or (r.log_scan or {}).get("truncated"):
        return  # reported by inf.rescore.failed / inf.rescore.truncated
    yield Hit({"detail": f"re-scoring skipped: no ground truth given for {r.bench['dataset']} "
                         f"(--dataset {r.bench['dataset']}=PATH)"}, path)
from ..rescore import kinds as rescore_kinds  # noqa: F401
from . import audit_kinds  # noqa: F401
