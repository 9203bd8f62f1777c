"""Compliance (audit) tests: find each test's folder, read what it holds, and recompute its verdict.

Layouts read: `<submitter>/<folder>/<system>/<benchmark>/<scenario>/<TEST>/` (the folder is the
round's: audit/ in v0.5, compliance/ later), the same without the system level when a
submitter has one system, and result-local test folders (`results/<system>/<benchmark>/<scenario>/
TEST01` or `test_01`). Inside a test folder the run may sit in performance/run_1/, performance/ or the
folder itself. Which tests apply, which are paired, and the tolerances are the round's
`compliance:` data; nothing here is round-specific.

This stage runs once per validation: it reads every test folder and starts the TEST01-style response
comparisons where asked (in the validation's worker processes, with the accuracy-log scans); once they
are in, it recomputes every check and hands each result its frozen ComplianceFacts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ...fs import list_dir, read_text
from ...options import ValidateOptions
from ...rescore.jobs import Pending, later_here
from .accuracy_txt import parse_accuracy_txt
from .discover import join
from .facts import ACCURACY_LOG, SUMMARY, ResultFacts, TreeFacts
from .loadgen import KeyNames, SummaryLog, canonical_scenario, parse_summary
from .records import summary_value
from .ruledata import Compliance, InferenceRound, TestPair
from .verify import ResponseComparison, VerifyOutput, compare_responses, is_truncated, parse_verify

_TEST = re.compile(r"^test_?0?(\d)(?:[-_]?([ab]))?$", re.IGNORECASE)
_VERIFY = re.compile(r"verify.*\.txt$|.*verify.*result.*\.txt$", re.IGNORECASE)
# what a verify script prints, by the check it decides
OUTPUT_KIND = {"performance": "performance", "responses": "accuracy", "pair": "test4"}


def canonical_test(name: str) -> str | None:
    """'TEST01', 'test_01', 'TEST04-A', 'test04a' -> 'TEST01' / 'TEST04-A'; None for other folders."""
    m = _TEST.match(name)
    if not m:
        return None
    return f"TEST0{m.group(1)}" + (f"-{m.group(2).upper()}" if m.group(2) else "")


@dataclass(frozen=True)
class VerifyFile:
    rel: str
    output: VerifyOutput


@dataclass(frozen=True)
class TestFolder:
    """One compliance-test folder and what could be read from it."""

    name: str  # canonical: TEST01, TEST03, TEST04-A, TEST04-B, TEST05
    rel: str
    summary_rel: str | None
    summary: SummaryLog | None
    problems: tuple[str, ...]
    sampled_log_rel: str | None  # a responses test: the performance run's sampled accuracy log
    verify: tuple[VerifyFile, ...]
    responses: ResponseComparison | None = None
    responses_note: str = ""  # why the responses were not compared
    # the accuracy fallback (TEST01 in later rounds): the baseline and compliance scores, where shipped
    fallback: tuple[float | None, float | None] | None = None

    def output(self, check: str) -> VerifyFile | None:
        """The verify output deciding `check` (performance, responses or pair), if the folder has one."""
        want = OUTPUT_KIND[check]
        return next((v for v in self.verify if v.output.kind == want), None)


@dataclass(frozen=True)
class Outcome:
    """One recomputed check of one test, beside what the submitter's verify output said."""

    test: str  # a test, or a pair's name (TEST04)
    check: str  # "performance", "responses" or "pair"
    ours: str | None  # PASS, FAIL, or None when it cannot be recomputed
    detail: str
    path: str
    theirs: str | None = None
    theirs_rel: str | None = None
    theirs_reason: str = ""
    has_output: bool = False  # a verify output of the right kind exists, even when it states no verdict
    folder: str = ""  # the test folder (the first of a pair)
    stated: str = ""  # where the verify output's stated scores differ from the shipped logs
    crashed: str = ""  # the verify script died (its exception), and nothing else settles the check
    settled: str = ""  # a failed response check the accuracy fallback settles: how (the delta and the limit)


@dataclass(frozen=True)
class ComplianceFacts:
    """The compliance tests found for one result, and every check recomputed."""

    tests: Mapping[str, TestFolder]
    folders: tuple[str, ...]
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class ComplianceTree:
    """Compliance folders that belong to no result, and layout notes."""

    orphans: tuple[str, ...]
    layout: tuple[tuple[str, str], ...]  # (path, detail)


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


def _fallback(root: Path, rel: str, files: list[str], cfg: Compliance,
              pattern: str | None) -> tuple[float | None, float | None] | None:
    """The baseline and compliance accuracy a responses test ships for the fallback, by the benchmark's pattern."""
    fb = cfg.accuracy_fallback
    if fb is None or pattern is None:
        return None
    found: list[float | None] = []
    for want in (fb.baseline, fb.compliance):
        f = next((f for f in sorted(files, key=_preference) if f.rpartition("/")[2] == want), None)
        if f is None:
            return None
        tf = read_text(root / rel / f, 1 << 20)
        found.append(parse_accuracy_txt(tf.text, pattern).value if tf.text else None)
    return found[0], found[1]


def read_test(root: Path, rel: str, name: str, cfg: Compliance, known_absent: frozenset[str],
              max_bytes: int, pattern: str | None, names: KeyNames) -> TestFolder:
    """Read one test folder: its run summary, its sampled responses log and the verify outputs
    (`names`: the run's key spellings, shared by the folders it reads)."""
    files = _walk_files(root, rel)
    problems: list[str] = []
    summary: SummaryLog | None = None
    summary_rel: str | None = None
    for f in sorted((f for f in files if f.rpartition("/")[2] == SUMMARY), key=_preference):
        tf = read_text(root / rel / f, max_bytes)
        if tf.text is None:
            problems.append(f"{f}: {'; '.join(tf.problems)}")
            continue
        s = parse_summary(tf.text, names)
        if s.mode == "Accuracy" or (s.scenario is None and not s.fields):
            continue
        summary, summary_rel = s, f"{rel}/{f}"
        break
    if summary is None:
        absent = [a for a in known_absent if a.startswith(rel + "/") and a.endswith(SUMMARY)]
        problems.append("its summary log is absent from this copy" if absent
                        else "it holds no performance-mode mlperf_log_summary.txt")
    sampled: str | None = None
    note = ""
    spec = cfg.tests.get(name)
    if spec is not None and "responses" in spec.checks:
        logs = sorted((f for f in files if f.rpartition("/")[2] == ACCURACY_LOG), key=_preference)
        if logs:
            sampled = f"{rel}/{logs[0]}"
        else:
            absent = sorted((a for a in known_absent if a.startswith(rel + "/") and a.endswith(ACCURACY_LOG)),
                            key=lambda a: _preference(a[len(rel) + 1:]))
            note = (f"{absent[0]} is absent from this copy" if absent
                    else "no mlperf_log_accuracy.json of the sampled responses")
    verify: list[VerifyFile] = []
    for f in files:
        if "/" in f or not _VERIFY.match(f):
            continue
        tf = read_text(root / rel / f, max_bytes)
        if tf.text is not None:
            verify.append(VerifyFile(f"{rel}/{f}", parse_verify(tf.text)))
    fallback = _fallback(root, rel, files, cfg, pattern) if spec is not None and "responses" in spec.checks else None
    return TestFolder(name, rel, summary_rel, summary, tuple(problems), sampled, tuple(verify), None, note, fallback)


def _pattern(r: ResultFacts) -> str | None:
    return r.bench.accuracy.pattern if r.bench else None


@dataclass
class _Found:
    """What the walk collects: test folders per result, and notes."""

    tests: dict[str, dict[str, TestFolder]]
    folders: dict[str, list[str]]
    orphans: list[str]
    layout: list[tuple[str, str]]
    names: KeyNames  # the summaries' key spellings

    def add(self, result: str, test: TestFolder) -> None:
        have = self.tests.setdefault(result, {})
        if test.name in have:
            self.layout.append((test.rel, f"a second {test.name} for {result}; {have[test.name].rel} is used"))
            return
        have[test.name] = test


class Compare(Protocol):
    """Starts a response comparison (compare_responses with its arguments) and hands back its pending result."""

    def __call__(self, fn: Callable[[Path, Path, int | None], ResponseComparison],
                 *args: Any) -> Pending[ResponseComparison]: ...


@dataclass
class _Started:
    """A responses test whose comparison was decided when it was read: why not (note), or the comparison."""

    note: str
    comparison: Pending[ResponseComparison] | None = None


def start_compliance(facts: TreeFacts, rnd: InferenceRound, opts: ValidateOptions,
                     compare: Compare = later_here) -> PendingCompliance:
    """Find every compliance-test folder and read it; start each TEST01-style response comparison
    through `compare` (a validation's worker processes; by default, in this process when attach() asks)."""
    cfg = rnd.compliance
    root = facts.tree.root
    ka, mb = opts.known_absent, opts.max_bytes
    found = _Found({}, {}, [], [], KeyNames())
    by_key: dict[tuple[str, str, str, str], ResultFacts] = {}
    by_bench: dict[tuple[str, str, str], list[ResultFacts]] = {}
    for r in facts.results:
        bench = r.benchmark or r.res.benchmark_dir.lower()
        scen = r.scenario or r.res.scenario_dir
        by_key[(r.res.submitter_rel, r.res.system.lower(), bench, scen)] = r
        by_bench.setdefault((r.res.submitter_rel, bench, scen), []).append(r)
        for d in r.res.subdirs:  # result-local test folders
            name = canonical_test(d)
            if name is not None:
                found.add(r.res.id, read_test(root, f"{r.res.id}/{d}", name, cfg, ka, mb, _pattern(r),
                                              found.names))

    for sub in facts.tree.submitters:
        if cfg.folder not in sub.parts:
            continue
        base = join(sub.rel, cfg.folder)
        systems = {s.lower() for s in sub.systems} | {r.res.system.lower() for r in facts.results
                                                      if r.res.submitter_rel == sub.rel}
        for first in list_dir(root / base).dirs:
            if first.lower() not in systems and rnd.benchmark_of(first, sub.division) is not None:
                found.layout.append((f"{base}/{first}", (f"compliance tests sit in {cfg.folder}/<benchmark>/ without "
                                                         "the <system>/ level; matched by benchmark and scenario")))
                _walk_bench(root, f"{base}/{first}", None, first, sub.rel, sub.division, by_key, by_bench, rnd, ka, mb,
                            found)
                continue
            for bench_dir in list_dir(root / base / first).dirs:
                _walk_bench(root, f"{base}/{first}/{bench_dir}", first, bench_dir, sub.rel, sub.division, by_key,
                            by_bench, rnd, ka, mb, found)
    started: dict[tuple[str, str], _Started] = {}
    if opts.audit_responses != "off":
        for r in facts.results:
            for name, test in found.tests.get(r.res.id, {}).items():
                if test.sampled_log_rel is not None:
                    started[(r.res.id, name)] = _start(root, r, test, cfg, opts.audit_responses, compare)
    pending = PendingCompliance(rnd, opts, found, started, {})
    waiting = {rid for (rid, _), s in started.items() if s.comparison is not None}
    # the results no comparison is pending for are judged now, not after the last stage
    pending.done.update((r.res.id, pending.judge(r)) for r in facts.results if r.res.id not in waiting)
    return pending


@dataclass
class PendingCompliance:
    """The compliance tests as read, their response comparisons perhaps still running (they read
    accuracy logs, as the rescore jobs do, in the same worker processes); attach() waits for them,
    recomputes the checks of the results that had one and hands each result its frozen ComplianceFacts."""

    rnd: InferenceRound
    opts: ValidateOptions
    found: _Found
    started: dict[tuple[str, str], _Started]
    done: dict[str, ComplianceFacts]  # by result id: those judged already

    def judge(self, r: ResultFacts) -> ComplianceFacts:
        """The result's tests (with their comparisons, waited for) and every check recomputed."""
        tests = self.found.tests.get(r.res.id, {})
        if self.opts.audit_responses != "off":
            tests = {n: _compared(t, self.started.get((r.res.id, n))) for n, t in tests.items()}
        else:
            tests = {n: dataclasses.replace(t, responses_note=t.responses_note or "the response comparison was "
                                            "switched off (--audit-responses off)") if t.sampled_log_rel else t
                     for n, t in tests.items()}
        c = ComplianceFacts(tests, tuple(self.found.folders.get(r.res.id, ())), ())
        return dataclasses.replace(c, outcomes=tuple(evaluate(r, c, self.rnd)))

    def attach(self, facts: TreeFacts) -> TreeFacts:
        found = self.found
        results = tuple(dataclasses.replace(r, compliance=self.done.get(r.res.id) or self.judge(r))
                        for r in facts.results)
        return dataclasses.replace(facts, results=results,
                                   compliance=ComplianceTree(tuple(found.orphans), tuple(found.layout)))


def _walk_bench(root: Path, rel: str, system: str | None, bench_dir: str, sub_rel: str, division: str,
                by_key: dict[tuple[str, str, str, str], ResultFacts],
                by_bench: dict[tuple[str, str, str], list[ResultFacts]], rnd: InferenceRound,
                known_absent: frozenset[str], max_bytes: int, found: _Found) -> None:
    bench = rnd.benchmark_of(bench_dir, division) or bench_dir.lower()
    for scen_dir in list_dir(root / rel).dirs:
        scen = canonical_scenario(scen_dir) or scen_dir
        srel = f"{rel}/{scen_dir}"
        if system is not None:
            target = by_key.get((sub_rel, system.lower(), bench, scen))
        else:
            cands = by_bench.get((sub_rel, bench, scen), [])
            target = cands[0] if len(cands) == 1 else None
        if target is None:
            found.orphans.append(srel)
            continue
        found.folders.setdefault(target.res.id, []).append(srel)
        for d in list_dir(root / srel).dirs:
            name = canonical_test(d)
            if name is None:
                found.layout.append((f"{srel}/{d}", f"'{d}' is not a compliance test of the round"))
                continue
            found.add(target.res.id, read_test(root, f"{srel}/{d}", name, rnd.compliance, known_absent, max_bytes,
                                               _pattern(target), found.names))


def _start(root: Path, r: ResultFacts, test: TestFolder, cfg: Compliance, mode: str,
           compare: Compare) -> _Started:
    """Start comparing a responses test's sampled log with the accuracy run's, when both are here (and small)."""
    acc = r.accuracy
    acc_rel = f"{acc.rel}/{ACCURACY_LOG}" if acc is not None else None
    if acc is None or acc_rel is None or ACCURACY_LOG not in acc.files:
        return _Started(f"the accuracy run's log {acc_rel} is absent from this copy" if acc_rel in r.known_absent
                        else "the result has no accuracy-run mlperf_log_accuracy.json to compare with")
    assert test.sampled_log_rel is not None
    a, p = root / acc_rel, root / test.sampled_log_rel
    try:
        size, unread = a.stat().st_size + p.stat().st_size, ""
    except OSError as exc:
        size, unread = -1, f"cannot read the logs: {exc.strerror}"
    limit = cfg.response_compare_max_bytes
    cut = [x for x, path in (("accuracy run's", a), ("test's sampled", p)) if is_truncated(path)]
    if cut:
        return _Started(f"the {' and the '.join(cut)} accuracy log is truncated; the responses cannot be compared")
    if unread:
        return _Started(unread)
    if mode == "small" and size > limit:
        return _Started(f"the two logs hold {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB compared by default "
                        "(--audit-responses all compares them)")
    return _Started("", compare(compare_responses, a, p, r.bench.dataset_samples.value if r.bench else None))


def _compared(test: TestFolder, started: _Started | None) -> TestFolder:
    """The test with its comparison's result (waited for), or the note saying why there is none."""
    if started is None:
        return test
    note, comparison = started.note, None
    if started.comparison is not None:
        try:
            comparison = started.comparison.result()
        except OSError as exc:
            note = f"cannot read the logs: {exc.strerror}"
    return dataclasses.replace(test, responses=comparison, responses_note=note or test.responses_note)


# ---------------------------------------------------------------- recomputing

def score(summary: SummaryLog, scenario: str | None, rnd: InferenceRound) -> float | None:
    """The scenario's headline value as the verify scripts read it (SingleStream p90 in ns)."""
    scen = rnd.scenarios.get(summary.scenario or scenario or "")
    return summary_value(summary, scen.metric) if scen is not None else None


def _tolerance(cfg: Compliance, base: float, scenario: str | None, reference: float) -> float:
    relaxed = cfg.singlestream_relaxed
    if scenario == "SingleStream" and reference <= relaxed.reference_p90_ns_at_most:
        return relaxed.tolerance
    return base


def _stated(test: TestFolder, kind: str, shipped: dict[str, float]) -> str:
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


def _theirs(tests: list[TestFolder | None], check: str) -> dict[str, object]:
    """What the submitter's verify output of `check` said, for Outcome's theirs_* fields: the first
    output stating a verdict, else the first output of that kind."""
    outputs = [v for t in tests if t is not None for v in [t.output(check)] if v is not None]
    if not outputs:
        return {}
    v = next((v for v in outputs if v.output.verdict is not None), outputs[0])
    return {"theirs": v.output.verdict, "theirs_rel": v.rel, "theirs_reason": v.output.reason, "has_output": True}


def evaluate(r: ResultFacts, c: ComplianceFacts, rnd: InferenceRound) -> list[Outcome]:
    """Recompute every check of every compliance test present for a result."""
    cfg = rnd.compliance
    out: list[Outcome] = []
    ref_run = next((run for run in r.runs if run.summary is not None), None)
    ref = score(ref_run.summary, r.scenario, rnd) if ref_run and ref_run.summary else None
    for name, test in sorted(c.tests.items()):
        checks = cfg.tests[name].checks if name in cfg.tests else []
        if "performance" in checks:
            tol = cfg.tests[name].tolerance if name in cfg.tests else None
            out.append(_performance(r, test, ref, cfg, rnd, cfg.performance_tolerance if tol is None else tol))
        if "responses" in checks:
            delta = r.bench.compliance_accuracy_delta.value if r.bench and r.bench.compliance_accuracy_delta else None
            out.append(_responses(test, delta))
    for pair in cfg.pairs:
        if pair.a in c.tests or pair.b in c.tests:
            out.append(_pair(r, c, pair, cfg, rnd))
    return out


def _performance(r: ResultFacts, test: TestFolder, ref: float | None, cfg: Compliance,
                 rnd: InferenceRound, tolerance: float) -> Outcome:
    theirs = _theirs([test], "performance")
    path = test.summary_rel or test.rel

    def outcome(ours: str | None, detail: str, stated: str = "") -> Outcome:
        return Outcome(test.name, "performance", ours, detail, path, folder=test.rel, stated=stated,
                       **theirs)  # type: ignore[arg-type]

    if test.summary is None:
        return outcome(None, "; ".join(test.problems))
    got = score(test.summary, r.scenario, rnd)
    if ref is None or got is None:
        return outcome(None, "the submission's performance run states no score" if ref is None
                       else "the test's log states no score")
    stated = _stated(test, "performance", {"reference score": ref, "test score": got})
    if cfg.invalid_run_fails and test.summary.valid is False:
        return outcome("FAIL", "the test's run is INVALID according to LoadGen", stated)
    tol = _tolerance(cfg, tolerance, r.run_scenario, ref)
    ok = ref * (1 - tol) < got < ref * (1 + tol)
    detail = (f"score {_fmt(got)} vs the submission's {_fmt(ref)} ({(got / ref - 1) * 100:+.1f} %, "
              f"allowed ±{tol * 100:g} %)")
    return outcome("PASS" if ok else "FAIL", detail, stated)


def _responses(test: TestFolder, delta: float | None) -> Outcome:
    theirs = _theirs([test], "responses")
    c = test.responses
    path = test.sampled_log_rel or test.rel
    out = test.output("responses")
    crashed = out.output.crashed if out is not None else ""

    def outcome(ours: str | None, detail: str, **extra: str) -> Outcome:
        return Outcome(test.name, "responses", ours, detail, path, folder=test.rel, **theirs, **extra)  # type: ignore[arg-type]

    if c is None:
        base = outcome(None, test.responses_note or "not compared")
    elif c.perf_entries == 0:
        base = outcome(None, "the sampled log holds no responses; nothing to compare")
    elif c.perf_data_mismatch or c.missing_qsl_idxs:
        parts = []
        if c.perf_data_mismatch:
            parts.append(f"{c.perf_data_mismatch} of {c.perf_entries} sampled responses differ from the "
                         f"accuracy run's (e.g. qsl_idx {', '.join(map(str, c.examples))}; "
                         f"{c.perf_first_byte_mismatch} differ in the first byte, the round's script's criterion"
                         + (f"; {c.perf_length_mismatch} differ in length: the runs logged different formats"
                            if c.perf_length_mismatch else "") + ")")
        if c.missing_qsl_idxs:
            parts.append(f"{c.missing_qsl_idxs} sampled qsl_idx are not in the accuracy log")
        base = outcome("FAIL", "; ".join(parts))
    else:
        return outcome("PASS", f"{c.perf_entries} sampled responses match the accuracy run's")
    failed = base.ours == "FAIL" or (base.ours is None and (base.theirs == "FAIL" or crashed))
    if not failed:
        return base
    fb = _settle(test, delta)
    if fb is not None:
        ok, how = fb
        if ok:
            return outcome("PASS", f"{base.detail}; settled by the accuracy fallback: {how}", settled=how)
        return outcome("FAIL", f"{base.detail}; the accuracy fallback does not settle it: {how}")
    if crashed and base.ours is None and base.theirs is None:
        return outcome(None, base.detail, crashed=crashed)
    return base


def _settle(test: TestFolder, delta: float | None) -> tuple[bool, str] | None:
    """(within the limit, how) from the baseline and compliance accuracy, when both are shipped and stated."""
    if test.fallback is None or delta is None:
        return None
    b, c = test.fallback
    if b is None or c is None or b == 0:
        return None
    d = abs(c - b) / abs(b)
    return d <= delta + 1e-12, f"baseline {_fmt(b)} vs compliance {_fmt(c)}, delta {d * 100:.4f} % (limit {delta * 100:g} %)"


def _pair(r: ResultFacts, c: ComplianceFacts, pair: TestPair, cfg: Compliance, rnd: InferenceRound) -> Outcome:
    a, b = c.tests.get(pair.a), c.tests.get(pair.b)
    theirs = _theirs([a, b], "pair")
    path = (b.summary_rel if b and b.summary_rel else None) or (b.rel if b else a.rel if a else r.res.id)
    first = a or b
    folder = first.rel if first is not None else r.res.id

    def outcome(ours: str | None, detail: str, stated: str = "") -> Outcome:
        return Outcome(pair.name, "pair", ours, detail, path, folder=folder, stated=stated,
                       **theirs)  # type: ignore[arg-type]

    if a is None or b is None or a.summary is None or b.summary is None:
        missing = [t.name for t in (a, b) if t is not None and t.summary is None]
        return outcome(None, f"{' and '.join(missing)} holds no readable run summary" if missing
                       else f"{pair.a} and {pair.b} are needed together")
    sa, sb = score(a.summary, r.scenario, rnd), score(b.summary, r.scenario, rnd)
    if sa is None or sb is None:
        return outcome(None, f"a {pair.name} log states no score")
    tol = _tolerance(cfg, pair.faster_tolerance, r.run_scenario, sa)
    scen = rnd.scenarios.get(r.run_scenario or "")
    latency = scen is not None and scen.latency_metric
    faster = sb < sa * (1 - tol) if latency else sb > sa * (1 + tol)
    detail = (f"{pair.b} {_fmt(sb)} vs {pair.a} {_fmt(sa)} ({(sb / sa - 1) * 100:+.1f} %); B may not be faster "
              f"than A by more than {tol * 100:g} %")
    shipped = {f"{pair.a} score": sa, f"{pair.b} score": sb}
    stated = " ".join(x for x in (_stated(a, "test4", shipped), _stated(b, "test4", shipped)) if x)
    return outcome("FAIL" if faster else "PASS", detail, stated)


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
