"""Compliance (audit) tests: find each test's folder, read what it holds, and recompute its verdict.

Layouts read (v0.5): `<submitter>/audit/<system>/<benchmark>/<scenario>/TEST01|TEST03|TEST04-A|TEST04-B|TEST05/`,
the same without the system level when a submitter has one system, and result-local test folders
(`results/<system>/<benchmark>/<scenario>/TEST01` or `test_01`). Inside a test folder the run may sit in
performance/run_1/, performance/ or the folder itself. Which tests apply, and the tolerances, are the
`audit:` data of the round's rules; nothing here is round-specific.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .discover import list_dir
from .parse.audit import ResponseComparison, VerifyOutput, compare_responses, parse_verify
from .parse.loadgen import SummaryLog, canonical_scenario, parse_summary
from .parse.textio import read_text

if TYPE_CHECKING:
    from .discover import InferenceTree
    from .engine.ruleset import Ruleset
    from .inference_facts import ResultFacts

SUMMARY = "mlperf_log_summary.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"
_TEST = re.compile(r"^test_?0?(\d)(?:[-_]?([ab]))?$", re.IGNORECASE)
_VERIFY = re.compile(r"verify.*\.txt$|.*verify.*result.*\.txt$", re.IGNORECASE)


def canonical_test(name: str) -> str | None:
    """'TEST01', 'test_01', 'TEST04-A', 'test04a' -> the round's spelling; None for other folders."""
    m = _TEST.match(name)
    if not m:
        return None
    return f"TEST0{m.group(1)}" + (f"-{m.group(2).upper()}" if m.group(2) else "")


@dataclass
class VerifyFile:
    rel: str
    output: VerifyOutput


@dataclass
class AuditTest:
    """One compliance-test folder and what could be read from it."""

    name: str  # canonical: TEST01, TEST03, TEST04-A, TEST04-B, TEST05
    rel: str
    summary_rel: str | None = None
    summary: SummaryLog | None = None
    problems: list[str] = field(default_factory=list)
    sampled_log_rel: str | None = None  # TEST01: the performance run's sampled accuracy log
    verify: list[VerifyFile] = field(default_factory=list)
    responses: ResponseComparison | None = None
    responses_note: str = ""  # why the responses were not compared


@dataclass
class AuditFacts:
    """The compliance tests found for one result."""

    tests: dict[str, AuditTest] = field(default_factory=dict)
    folders: list[str] = field(default_factory=list)


@dataclass
class AuditTree:
    """Audit folders that belong to no result, and layout notes."""

    orphans: list[str] = field(default_factory=list)
    layout: list[tuple[str, str]] = field(default_factory=list)  # (path, detail)


@dataclass(frozen=True)
class Outcome:
    """One recomputed check of one test, beside what the submitter's verify output said."""

    test: str
    check: str  # "performance", "responses" or "test4"
    ours: str | None  # PASS, FAIL, or None when it cannot be recomputed
    detail: str
    path: str
    theirs: str | None = None
    theirs_rel: str | None = None
    stated: str = ""  # where the verify output's stated scores differ from the shipped logs


def audit_config(rs: Ruleset) -> dict[str, Any]:
    """The round's `audit:` data (empty when the round defines none)."""
    cfg: dict[str, Any] = rs.data.get("audit", {})
    return cfg


def required_tests(rs: Ruleset, benchmark: str | None) -> list[str]:
    """The tests that apply to `benchmark` in this round, in the round's order."""
    if benchmark is None:
        return []
    return [name for name, t in audit_config(rs).get("tests", {}).items() if benchmark in t.get("benchmarks", [])]


# ---------------------------------------------------------------- reading

def _walk_files(root: Path, rel: str, depth: int = 3) -> list[str]:
    """Files under a test folder, relative to it, links never followed."""
    out: list[str] = []
    stack = [("", depth)]
    while stack:
        sub, d = stack.pop()
        entry = list_dir(root / rel / sub if sub else root / rel)
        out.extend(f"{sub}/{f}" if sub else f for f in entry.files)
        if d > 0:
            stack.extend(((f"{sub}/{x}" if sub else x), d - 1) for x in entry.dirs)
    return sorted(out)


def _preference(path: str) -> tuple[int, str]:
    """Where a test's run logs usually sit: performance/run_1 first, accuracy/ last."""
    low = path.lower()
    if low.startswith("performance/run_1/"):
        return 0, path
    if low.startswith("performance/"):
        return 1, path
    if "/" not in low:
        return 2, path
    if low.startswith("accuracy/"):
        return 4, path
    return 3, path


def read_test(root: Path, rel: str, name: str, known_absent: frozenset[str], max_bytes: int) -> AuditTest:
    """Read one test folder: its run summary, its TEST01 sampled log and the verify outputs."""
    test = AuditTest(name, rel)
    files = _walk_files(root, rel)
    summaries = sorted((f for f in files if f.rpartition("/")[2] == SUMMARY), key=_preference)
    for f in summaries:
        tf = read_text(root / rel / f, max_bytes)
        if tf.text is None:
            test.problems.append(f"{f}: {'; '.join(tf.problems)}")
            continue
        s = parse_summary(tf.text)
        if s.mode == "Accuracy" or (s.scenario is None and not s.fields):
            continue
        test.summary, test.summary_rel = s, f"{rel}/{f}"
        break
    if test.summary is None:
        absent = [a for a in known_absent if a.startswith(rel + "/") and a.endswith(SUMMARY)]
        test.problems.append("its summary log is absent from this copy" if absent
                             else "it holds no performance-mode mlperf_log_summary.txt")
    if name == "TEST01":
        logs = sorted((f for f in files if f.rpartition("/")[2] == ACCURACY_LOG), key=_preference)
        if logs:
            test.sampled_log_rel = f"{rel}/{logs[0]}"
        else:
            absent = sorted((a for a in known_absent if a.startswith(rel + "/") and a.endswith(ACCURACY_LOG)),
                            key=lambda a: _preference(a[len(rel) + 1:]))
            test.responses_note = (f"{absent[0]} is absent from this copy" if absent
                                   else "no mlperf_log_accuracy.json of the sampled responses")
    for f in files:
        if "/" in f or not _VERIFY.match(f):
            continue
        tf = read_text(root / rel / f, max_bytes)
        if tf.text is not None:
            test.verify.append(VerifyFile(f"{rel}/{f}", parse_verify(tf.text)))
    return test


def attach_audit(tree: InferenceTree, results: list[ResultFacts], rs: Ruleset, known_absent: frozenset[str],
                 max_bytes: int, responses: str = "small") -> AuditTree:
    """Find every compliance-test folder, read it, and hang it on the result it belongs to."""
    from .inference_facts import benchmark_index

    root = tree.root
    out = AuditTree()
    bidx = benchmark_index(rs)
    by_key: dict[tuple[str, str, str, str], ResultFacts] = {}
    by_bench: dict[tuple[str, str, str], list[ResultFacts]] = {}
    for r in results:
        r.audit = AuditFacts()
        bench = r.benchmark or r.res.benchmark_dir.lower()
        scen = r.scenario or r.res.scenario_dir
        by_key[(r.res.submitter_rel, r.res.system.lower(), bench, scen)] = r
        by_bench.setdefault((r.res.submitter_rel, bench, scen), []).append(r)
        for d in r.res.subdirs:  # result-local test folders
            name = canonical_test(d)
            if name is not None:
                _add(r, read_test(root, f"{r.res.id}/{d}", name, known_absent, max_bytes), out)

    for sub in tree.submitters:
        if not sub.parts.get("audit"):
            continue
        base = f"{sub.rel}/audit".lstrip("/")
        systems = {s.lower() for s in sub.systems} | {r.res.system.lower() for r in results
                                                      if r.res.submitter_rel == sub.rel}
        for first in list_dir(root / base).dirs:
            if first.lower() not in systems and first.lower() in bidx:
                out.layout.append((f"{base}/{first}", ("compliance tests sit in audit/<benchmark>/ without the "
                                                     "<system>/ level; matched by benchmark and scenario")))
                _walk_bench(root, f"{base}/{first}", None, first, sub.rel, by_key, by_bench, bidx,
                            known_absent, max_bytes, out)
                continue
            for bench_dir in list_dir(root / base / first).dirs:
                _walk_bench(root, f"{base}/{first}/{bench_dir}", first, bench_dir, sub.rel, by_key, by_bench,
                            bidx, known_absent, max_bytes, out)
    for r in results:
        if r.audit is not None and responses != "off":
            _compare(root, r, rs, responses)
    return out


def _walk_bench(root: Path, rel: str, system: str | None, bench_dir: str, sub_rel: str,
                by_key: dict[tuple[str, str, str, str], ResultFacts],
                by_bench: dict[tuple[str, str, str], list[ResultFacts]], bidx: dict[str, str],
                known_absent: frozenset[str], max_bytes: int, out: AuditTree) -> None:
    bench = bidx.get(bench_dir.lower(), bench_dir.lower())
    for scen_dir in list_dir(root / rel).dirs:
        scen = canonical_scenario(scen_dir) or scen_dir
        srel = f"{rel}/{scen_dir}"
        if system is not None:
            target = by_key.get((sub_rel, system.lower(), bench, scen))
        else:
            cands = by_bench.get((sub_rel, bench, scen), [])
            target = cands[0] if len(cands) == 1 else None
        entry = list_dir(root / srel)
        tests = [(d, canonical_test(d)) for d in entry.dirs]
        if target is None:
            out.orphans.append(srel)
            continue
        assert target.audit is not None
        target.audit.folders.append(srel)
        for d, name in tests:
            if name is None:
                out.layout.append((f"{srel}/{d}", f"'{d}' is not a compliance test of the round"))
                continue
            _add(target, read_test(root, f"{srel}/{d}", name, known_absent, max_bytes), out)


def _add(r: ResultFacts, test: AuditTest, out: AuditTree) -> None:
    assert r.audit is not None
    if test.name in r.audit.tests:
        out.layout.append((test.rel, (f"a second {test.name} for {r.res.id}; "
                                     f"{r.audit.tests[test.name].rel} is used")))
        return
    r.audit.tests[test.name] = test


def _compare(root: Path, r: ResultFacts, rs: Ruleset, mode: str) -> None:
    """TEST01: compare the sampled responses with the accuracy run's, when both logs are here and small enough."""
    assert r.audit is not None
    test = r.audit.tests.get("TEST01")
    if test is None or test.sampled_log_rel is None:
        return
    acc = r.accuracy
    acc_rel = f"{acc.rel}/{ACCURACY_LOG}" if acc is not None else None
    if acc is None or acc_rel is None or ACCURACY_LOG not in acc.files:
        absent = acc_rel is not None and acc_rel in r.known_absent
        test.responses_note = (f"the accuracy run's log {acc_rel} is absent from this copy" if absent
                               else "the result has no accuracy-run mlperf_log_accuracy.json to compare with")
        return
    a, p = root / acc_rel, root / test.sampled_log_rel
    try:
        size = a.stat().st_size + p.stat().st_size
    except OSError as exc:
        test.responses_note = f"cannot read the logs: {exc.strerror}"
        return
    limit = int(audit_config(rs).get("response_compare_max_bytes", 0))
    if mode == "small" and size > limit:
        test.responses_note = (f"the two logs hold {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB "
                               "compared by default (--audit-responses all compares them)")
        return
    try:
        ds = r.bench.get("dataset_samples", {}).get("value")
        test.responses = compare_responses(a, p, int(ds) if ds else None)
    except OSError as exc:
        test.responses_note = f"cannot read the logs: {exc.strerror}"


# ---------------------------------------------------------------- recomputing

def score(summary: SummaryLog, scenario: str | None, rs: Ruleset) -> float | None:
    """The scenario's headline value as the verify scripts read it (SingleStream p90 in ns)."""
    scen = summary.scenario or scenario
    spec = rs.data.get("scenarios", {}).get(scen or "", {}).get("metric")
    if not spec:
        return None
    v = summary.number(spec["summary_key"])
    if v is None and scen == "SingleStream":
        v = summary.percentiles_ns.get(90.0)
    if v is None and scen == "MultiStream":
        v = summary.param("samples_per_query")
    return float(v) if v is not None else None


def _tolerance(cfg: dict[str, Any], scenario: str | None, reference: float) -> float:
    relaxed = cfg.get("singlestream_relaxed", {})
    if scenario == "SingleStream" and relaxed and reference <= float(relaxed["reference_p90_ns_at_most"]):
        return float(relaxed["tolerance"])
    return float(cfg.get("performance_tolerance", 0.10))


def _theirs(test: AuditTest | None, kinds: tuple[str, ...]) -> tuple[str | None, str | None]:
    if test is None:
        return None, None
    for v in test.verify:
        if v.output.kind in kinds:
            return v.output.verdict, v.rel
    return None, None


def _stated(test: AuditTest, kind: str, shipped: dict[str, float]) -> str:
    """Scores a verify output states that differ (beyond rounding) from the shipped logs."""
    diffs = []
    for v in test.verify:
        if v.output.kind != kind:
            continue
        for key, value in shipped.items():
            said = v.output.values.get(key)
            if said is not None and abs(said - value) > max(0.011, abs(value) * 1e-5):
                diffs.append(f"{v.rel} states {key} {_fmt(said)}, the shipped log gives {_fmt(value)}")
    return "; ".join(diffs)


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def evaluate(r: ResultFacts, rs: Ruleset) -> list[Outcome]:
    """Recompute every check of every compliance test present for a result."""
    if r.audit is None:
        return []
    cfg = audit_config(rs)
    spec = cfg.get("tests", {})
    out: list[Outcome] = []
    ref_run = next((run for run in r.runs if run.summary is not None), None)
    ref = score(ref_run.summary, r.scenario, rs) if ref_run and ref_run.summary else None
    for name, test in sorted(r.audit.tests.items()):
        checks = spec.get(name, {}).get("checks", [])
        if "performance" in checks:
            out.append(_performance(r, test, ref, cfg, rs))
        if "responses" in checks:
            out.append(_responses(test))
    if any("test4" in spec.get(n, {}).get("checks", []) for n in r.audit.tests):
        out.append(_test4(r, cfg, rs))
    return out


def _performance(r: ResultFacts, test: AuditTest, ref: float | None, cfg: dict[str, Any],
                 rs: Ruleset) -> Outcome:
    theirs, trel = _theirs(test, ("performance",))
    path = test.summary_rel or test.rel
    if test.summary is None:
        return Outcome(test.name, "performance", None, "; ".join(test.problems), path, theirs, trel)
    got = score(test.summary, r.scenario, rs)
    if ref is None or got is None:
        why = "the submission's performance run states no score" if ref is None else "the test's log states no score"
        return Outcome(test.name, "performance", None, why, path, theirs, trel)
    tol = _tolerance(cfg, r.scenario, ref)
    if cfg.get("invalid_run_fails") and test.summary.valid is False:
        return Outcome(test.name, "performance", "FAIL", "the test's run is INVALID according to LoadGen",
                       path, theirs, trel, _stated(test, "performance", {"reference score": ref, "test score": got}))
    ok = ref * (1 - tol) < got < ref * (1 + tol)
    detail = (f"score {_fmt(got)} vs the submission's {_fmt(ref)} ({(got / ref - 1) * 100:+.1f} %, "
              f"allowed ±{tol * 100:g} %)")
    stated = _stated(test, "performance", {"reference score": ref, "test score": got})
    return Outcome(test.name, "performance", "PASS" if ok else "FAIL", detail, path, theirs, trel, stated)


def _responses(test: AuditTest) -> Outcome:
    theirs, trel = _theirs(test, ("accuracy",))
    c = test.responses
    path = test.sampled_log_rel or test.rel
    if c is None:
        return Outcome(test.name, "responses", None, test.responses_note or "not compared", path, theirs, trel)
    if c.perf_entries == 0:
        return Outcome(test.name, "responses", None, "the sampled log holds no responses; nothing to compare",
                       path, theirs, trel)
    if c.perf_data_mismatch or c.missing_qsl_idxs:
        parts = []
        if c.perf_data_mismatch:
            parts.append(f"{c.perf_data_mismatch} of {c.perf_entries} sampled responses differ from the "
                         f"accuracy run's (e.g. qsl_idx {', '.join(map(str, c.examples))}; "
                         f"{c.perf_first_byte_mismatch} differ in the first byte, the round's script's criterion"
                         + (f"; {c.perf_length_mismatch} differ in length: the runs logged different formats"
                            if c.perf_length_mismatch else "") + ")")
        if c.missing_qsl_idxs:
            parts.append(f"{c.missing_qsl_idxs} sampled qsl_idx are not in the accuracy log")
        return Outcome(test.name, "responses", "FAIL", "; ".join(parts), path, theirs, trel)
    return Outcome(test.name, "responses", "PASS",
                   f"{c.perf_entries} sampled responses match the accuracy run's", path, theirs, trel)


def _test4(r: ResultFacts, cfg: dict[str, Any], rs: Ruleset) -> Outcome:
    assert r.audit is not None
    a, b = r.audit.tests.get("TEST04-A"), r.audit.tests.get("TEST04-B")
    theirs, trel = _theirs(a, ("test4",))
    if theirs is None:
        theirs, trel = _theirs(b, ("test4",))
    path = (b.summary_rel if b and b.summary_rel else None) or (b.rel if b else a.rel if a else r.res.id)
    if a is None or b is None or a.summary is None or b.summary is None:
        missing = [t.name for t in (a, b) if t is not None and t.summary is None]
        why = (f"{' and '.join(missing)} holds no readable run summary" if missing
               else "TEST04-A and TEST04-B are needed together")
        return Outcome("TEST04", "test4", None, why, path, theirs, trel)
    sa, sb = score(a.summary, r.scenario, rs), score(b.summary, r.scenario, rs)
    if sa is None or sb is None:
        return Outcome("TEST04", "test4", None, "a TEST04 log states no score", path, theirs, trel)
    tol = _tolerance({**cfg, "performance_tolerance": cfg.get("test04_faster_tolerance", 0.10)}, r.scenario, sa)
    latency = r.scenario == "SingleStream"
    faster = sb < sa * (1 - tol) if latency else sb > sa * (1 + tol)
    detail = (f"TEST04-B {_fmt(sb)} vs TEST04-A {_fmt(sa)} ({(sb / sa - 1) * 100:+.1f} %); B may not be faster "
              f"than A by more than {tol * 100:g} %")
    stated = " ".join(x for x in (_stated(a, "test4", {"TEST04-A score": sa, "TEST04-B score": sb}),
                                  _stated(b, "test4", {"TEST04-A score": sa, "TEST04-B score": sb})) if x)
    return Outcome("TEST04", "test4", "FAIL" if faster else "PASS", detail, path, theirs, trel, stated)


def agreement(outcomes: list[Outcome]) -> dict[str, int]:
    """Counts of how the recomputation compares with the submitters' own verify outputs."""
    out = {"agree": 0, "disagree": 0, "theirs_only": 0, "ours_only": 0, "neither": 0}
    for o in outcomes:
        if o.ours and o.theirs:
            out["agree" if o.ours == o.theirs else "disagree"] += 1
        elif o.theirs:
            out["theirs_only"] += 1
        elif o.ours:
            out["ours_only"] += 1
        else:
            out["neither"] += 1
    return out
