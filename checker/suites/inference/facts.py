"""The parse stage for inference: discovered folders -> typed, frozen facts the checks read.

Every file is read at most once, leniently; what cannot be read becomes a recorded problem on
the facts, which a rule turns into a finding. Later stages (compliance tests, re-scoring) add
their outcomes to a result's facts with `dataclasses.replace`, never by mutation.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...fs import list_dir, read_text
from ...options import ValidateOptions
from ...resources import SchemaCache
from .accuracy_txt import AccuracyTxt, parse_accuracy_txt
from .discover import InferenceResult, InferenceTree, RunDir, Skipped, Submitter, join
from .loadgen import DetailLog, KeyNames, SummaryLog, canonical_scenario, parse_detail, parse_summary
from .ruledata import Benchmark, InferenceRound

if TYPE_CHECKING:
    from .compliance import ComplianceFacts, ComplianceTree
    from .rescore import RescoreOutcome

SUMMARY = "mlperf_log_summary.txt"
DETAIL = "mlperf_log_detail.txt"
ACCURACY_LOG = "mlperf_log_accuracy.json"
ACCURACY_TXT = "accuracy.txt"


@dataclass(frozen=True)
class RunFacts:
    rel: str
    name: str
    files: tuple[str, ...]
    dirs: tuple[str, ...] = ()
    summary: SummaryLog | None = None
    detail: DetailLog | None = None
    problems: Mapping[str, str] = field(default_factory=dict)  # file -> why it could not be used
    absent: frozenset[str] = frozenset()  # files known absent from this copy


@dataclass(frozen=True)
class SystemFacts:
    name: str
    rel: str | None  # relative path of the JSON, None when missing
    submitter: Submitter
    data: Mapping[str, Any] | None = None
    problem: str | None = None
    schemas: SchemaCache = field(default_factory=SchemaCache, compare=False)  # shared by one run
    # results folders that name no description and take this one as theirs, renamed: (folder, why)
    claimed_as: tuple[tuple[str, str], ...] = ()
    results: int = 0  # result folders this description describes (0: an orphan)


@dataclass(frozen=True)
class ResultFacts:
    res: InferenceResult
    benchmark: str | None  # canonical, None when unknown
    scenario: str | None
    bench: Benchmark | None
    system: SystemFacts
    runs: tuple[RunFacts, ...]
    accuracy: RunFacts | None
    accuracy_txt: AccuracyTxt | None
    measurements_rel: str | None
    measurements_files: tuple[str, ...]
    other_measurements: tuple[str, ...]  # measurements/ system folders present
    code_rel: str | None
    code_ok: bool
    known_absent: frozenset[str]
    code_via: str | None = None  # a code/<benchmark> file naming the folder the code is in (followed)
    suite: str | None = None  # the system's suite (datacenter, edge) in rounds with suites
    inferred_from: str | None = None  # the scenario of the run an inferred result's folder holds
    siblings: frozenset[str] = frozenset()  # scenarios present for the same system and benchmark
    compliance: ComplianceFacts | None = None  # set by the compliance stage
    rescore: RescoreOutcome | None = None  # set by the rescore stage

    @property
    def division(self) -> str:
        return self.res.division.lower()

    @property
    def run_scenario(self) -> str | None:
        """The scenario the runs were made in (an inferred result's folder holds another scenario's run)."""
        return self.inferred_from or self.scenario


@dataclass(frozen=True)
class TreeFacts:
    tree: InferenceTree
    skipped: tuple[Skipped, ...]  # links and special files met anywhere (discovery and the parse stage)
    systems: Mapping[tuple[str, str], SystemFacts]  # (submitter rel, system name) -> facts
    results: tuple[ResultFacts, ...]
    compliance: ComplianceTree | None = None  # set by the compliance stage
    # performance runs carrying each shipped round's seeds: ((round, seeds, runs), ...)
    seed_rounds: tuple[tuple[str, tuple[int, ...], int], ...] = ()
    round_note: str | None = None  # set when the tree named no round and the newest was applied


def _read_run(root: Path, run: RunDir, known_absent: frozenset[str], max_bytes: int,
              wanted: tuple[str, ...], names: KeyNames) -> RunFacts:
    problems: dict[str, str] = {}
    absent: set[str] = set()
    summary: SummaryLog | None = None
    detail: DetailLog | None = None
    for fname in wanted:
        rel = f"{run.rel}/{fname}"
        if fname not in run.files:
            if rel in known_absent:
                absent.add(fname)
            continue
        tf = read_text(root / rel, max_bytes)
        if tf.text is None:
            problems[fname] = "; ".join(tf.problems)
            continue
        if not tf.text.strip():
            problems[fname] = "is empty"
            continue
        if fname == SUMMARY:
            s = parse_summary(tf.text, names)
            if s.recognized:
                summary = s
            else:
                problems[fname] = "holds no LoadGen summary (no scenario, mode, verdict or error count)"
        elif fname == DETAIL:
            d = parse_detail(tf.text, names)
            if d.scenario is None and d.mode is None:
                problems[fname] = "holds no usable LoadGen settings: no scenario or test mode (not a LoadGen detail log?)"
            else:
                detail = d
    return RunFacts(run.rel, run.name, run.files, run.dirs, summary, detail, problems, frozenset(absent))


def _find_dir(parent: Path, names: list[str]) -> str | None:
    """The first child folder of `parent` whose name matches one of `names`, case-insensitively."""
    entry = list_dir(parent)
    lower = {d.lower(): d for d in entry.dirs}
    for n in names:
        if n.lower() in lower:
            return lower[n.lower()]
    return None


def _read_system(root: Path, name: str, rel: str, sub: Submitter, max_bytes: int,
                 schemas: SchemaCache) -> SystemFacts:
    tf = read_text(root / rel, max_bytes)
    problem: str | None = None
    data: Any = None
    if tf.text is None:
        problem = "; ".join(tf.problems)
    else:
        try:
            data = json.loads(tf.text)
        except ValueError as exc:
            problem = str(exc)
        except RecursionError:
            problem = "nested deeper than a system description can be"
        if problem is None and not isinstance(data, dict):
            problem, data = f"top level is a JSON {type(data).__name__}, not an object", None
    return SystemFacts(name, rel, sub, data=data, problem=problem, schemas=schemas)


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _why_renamed(folder: str, desc: SystemFacts) -> str | None:
    """Why `desc` is probably the description of results folder `folder`, renamed (None when it is not)."""
    f, d = _norm(folder), _norm(desc.name)
    if f and f == d:
        return "the same name but for case and punctuation"
    if f and d and (f.startswith(d) or d.startswith(f)):
        return "the same name but for a suffix"
    name = desc.data.get("system_name") if desc.data else None
    if isinstance(name, str) and f and _norm(name) == f:
        return "its system_name is the folder's name"
    return None


REDIRECT_MAX_BYTES = 4096


def code_redirect(sub_path: Path, names: list[str], dirs: list[str]) -> tuple[str, str] | None:
    """A code/<benchmark> file that names the folder the code is in: (file, folder), followed only to a real
    folder directly in code/ (never a link, never outside). Text, or a Cygwin symlink stub ('!<symlink>'
    then the target in UTF-16 with a byte-order mark)."""
    code = sub_path / "code"
    listing = list_dir(code)
    lower = {f.lower(): f for f in listing.files}
    for n in names:
        f = lower.get(n.lower())
        if f is None:
            continue
        tf = read_text(code / f, REDIRECT_MAX_BYTES)  # NUL bytes dropped: UTF-16 ASCII reads as text
        text = tf.text or ""
        if text.startswith("!<symlink>"):
            text = text[len("!<symlink>"):].lstrip("\ufffd\ufeff")  # the stub's UTF-16 byte-order mark
        target = text.replace("\x00", "").strip().strip("/").strip()
        if target in dirs and "/" not in target and target not in (".", ".."):
            return f, target
    return None


def inferred_scenario(rnd: InferenceRound, scenario: str | None, suite: str | None,
                      runs: tuple[RunFacts, ...]) -> str | None:
    """The scenario of the run a folder holds when the round's committee exception derives the folder's
    scenario from it (an edge Offline folder holding the SingleStream run); None otherwise."""
    inf = rnd.suites.inferred if rnd.suites else None
    if inf is None or scenario not in inf.to or suite not in inf.suites or not runs:
        return None
    logged = {run.summary.scenario if run.summary else run.detail.scenario if run.detail else None for run in runs}
    return inf.from_ if logged == {inf.from_} else None


def match_renamed(tree: InferenceTree, systems: dict[tuple[str, str], SystemFacts]) -> None:
    """Results folders without systems/<folder>.json take the one unclaimed description that is plainly
    theirs, renamed (exactly one candidate, claimed by exactly one folder); ambiguous cases stay missing."""
    for sub in tree.submitters:
        folders = sorted({r.system for r in tree.results if r.submitter_rel == sub.rel})
        lacking = [f for f in folders if (sub.rel, f) not in systems]
        unclaimed = [systems[(sub.rel, n)] for n in sorted(sub.systems) if n not in folders]
        matches: dict[str, list[tuple[str, str]]] = {}
        for folder in lacking:
            hits = [(d.name, why) for d in unclaimed for why in [_why_renamed(folder, d)] if why]
            if len(hits) == 1:
                matches.setdefault(hits[0][0], []).append((folder, hits[0][1]))
        for name, claims in matches.items():
            if len(claims) == 1:
                systems[(sub.rel, name)] = dataclasses.replace(systems[(sub.rel, name)], claimed_as=tuple(claims))


# A whole round's run logs (v0.7: 1,271 detail logs, 418 MB) are most of validate's work: above this
# many bytes of them they are read over the run's worker processes (--jobs), below it in this one.
POOL_BYTES = 64 << 20


def _log_bytes(root: Path, runs: Sequence[RunDir]) -> int:
    total = 0
    for run in runs:
        for name in (SUMMARY, DETAIL):
            if name in run.files:
                try:
                    total += os.lstat(root / run.rel / name).st_size
                except OSError:
                    pass  # reading it says why
    return total


def _read_run_logs(args: tuple[Path, Sequence[RunDir], frozenset[str], int]) -> list[RunFacts]:
    """The summary and detail logs of some run folders, their keys spelt through one KeyNames."""
    root, runs, known_absent, max_bytes = args
    names = KeyNames()
    return [_read_run(root, run, known_absent, max_bytes, (SUMMARY, DETAIL), names) for run in runs]


def read_runs(root: Path, runs: Sequence[RunDir], opts: ValidateOptions) -> dict[str, RunFacts]:
    """The summary and detail log of every run folder, by its path; over worker processes for a big tree
    (in chunks, each a task)."""
    from ...rescore.jobs import workers_for

    workers = min(workers_for(opts.jobs), len(runs))
    if workers <= 1 or _log_bytes(root, runs) < POOL_BYTES:
        read = _read_run_logs((root, runs, opts.known_absent, opts.max_bytes))
        return {run.rel: facts for run, facts in zip(runs, read, strict=True)}
    size = max(1, len(runs) // (8 * workers))
    work = [(root, runs[i:i + size], opts.known_absent, opts.max_bytes) for i in range(0, len(runs), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        read = [facts for chunk in pool.map(_read_run_logs, work) for facts in chunk]
        return {run.rel: facts for run, facts in zip(runs, read, strict=True)}


def build_facts(tree: InferenceTree, rnd: InferenceRound, opts: ValidateOptions,
                accuracy_only: bool = False) -> TreeFacts:
    """Read every file the inference rules look at, once; with `accuracy_only` (re-scoring alone) only
    each result's accuracy folder: no performance runs, systems, measurements or code."""
    root = tree.root
    known_absent, max_bytes = opts.known_absent, opts.max_bytes
    skipped: list[Skipped] = list(tree.skipped)
    seen = {s.rel for s in skipped}

    def note(rel: str, others: list[tuple[str, str]]) -> None:
        """Links and special files met while reading measurements/ and code/ are reported like discovery's."""
        for n, kind in others:
            if f"{rel}/{n}" not in seen:
                seen.add(f"{rel}/{n}")
                skipped.append(Skipped(f"{rel}/{n}", kind))

    schemas = SchemaCache()
    systems: dict[tuple[str, str], SystemFacts] = {}
    for sub in tree.submitters:
        for name, rel in sub.systems.items():
            if not accuracy_only:
                systems[(sub.rel, name)] = _read_system(root, name, rel, sub, max_bytes, schemas)
    match_renamed(tree, systems)
    renamed = {(sub_rel, folder): sf for (sub_rel, _), sf in systems.items() for folder, _ in sf.claimed_as}
    subs = {s.rel: s for s in tree.submitters}
    listings: dict[str, list[str]] = {}  # measurements/ folders per submitter, listed once
    run_dirs = [run for res in tree.results for run in ((() if accuracy_only else res.runs)
                                                        + ((res.accuracy,) if res.accuracy is not None else ()))]
    logs = read_runs(root, run_dirs, opts)
    results: list[ResultFacts] = []
    for res in tree.results:
        sub = subs[res.submitter_rel]
        bench_name = rnd.benchmark_of(res.benchmark_dir, res.division)
        scenario = rnd.scenario_of(res.scenario_dir) or rnd.scenario_of(canonical_scenario(res.scenario_dir) or "")
        bench = rnd.benchmarks.get(bench_name) if bench_name else None
        sysf = (systems.get((res.submitter_rel, res.system)) or renamed.get((res.submitter_rel, res.system))
                or SystemFacts(res.system, None, sub, schemas=schemas))
        runs = () if accuracy_only else tuple(logs[r.rel] for r in res.runs)
        acc: RunFacts | None = None
        acc_txt: AccuracyTxt | None = None
        if res.accuracy is not None:
            acc = logs[res.accuracy.rel]
            absent = set(acc.absent) | {f for f in (ACCURACY_TXT, ACCURACY_LOG)
                                        if f not in res.accuracy.files and f"{res.accuracy.rel}/{f}" in known_absent}
            problems = dict(acc.problems)
            if ACCURACY_TXT in res.accuracy.files:
                tf = read_text(root / res.accuracy.rel / ACCURACY_TXT, max_bytes)
                if tf.text is None:
                    problems[ACCURACY_TXT] = "; ".join(tf.problems)
                elif not tf.text.strip():
                    problems[ACCURACY_TXT] = "is empty"
                else:
                    acc_txt = parse_accuracy_txt(tf.text, bench.accuracy.pattern if bench else None)
            acc = dataclasses.replace(acc, problems=problems, absent=frozenset(absent))
        names = [res.benchmark_dir] + ([bench_name] if bench_name else []) + (
            [*bench.folders, *bench.aliases] if bench else [])
        sub_path = root / res.submitter_rel if res.submitter_rel else root
        # enter only folders a listing showed as real folders: a linked measurements/ or code/ is not followed
        if accuracy_only:
            sub = dataclasses.replace(sub, parts=frozenset())  # nothing outside the accuracy folder is read
        if "measurements" in sub.parts and res.submitter_rel not in listings:
            listings[res.submitter_rel] = list_dir(sub_path / "measurements").dirs
        other_meas = tuple(listings.get(res.submitter_rel, ())) if "measurements" in sub.parts else ()
        meas_rel: str | None = None
        meas_files: tuple[str, ...] = ()
        if res.system in other_meas:
            meas_sys = sub_path / "measurements" / res.system
            b = _find_dir(meas_sys, names)
            if b is not None:
                s = _find_dir(meas_sys / b, [res.scenario_dir] + ([scenario] if scenario else []))
                if s is not None:
                    meas_rel = join(res.submitter_rel, "measurements", res.system, b, s)
                    entry = list_dir(root / meas_rel)
                    meas_files = tuple(entry.files)
                    note(meas_rel, entry.others)
        code_rel: str | None = None
        code_ok = False
        code_via: str | None = None
        if "code" in sub.parts:
            code_entry = list_dir(sub_path / "code")
            b = _find_dir(sub_path / "code", names)
            if b is None:
                redirect = code_redirect(sub_path, names, code_entry.dirs)
                if redirect is not None:
                    code_via, b = join(res.submitter_rel, "code", redirect[0]), redirect[1]
            if b is not None:
                code_rel = join(res.submitter_rel, "code", b)
                entry = list_dir(sub_path / "code" / b)
                code_ok = bool(entry.dirs or entry.files)
                note(code_rel, entry.others)
        suite = rnd.suite_of(sysf.data)
        results.append(ResultFacts(
            res=res, benchmark=bench_name, scenario=scenario, bench=bench, system=sysf, runs=runs, accuracy=acc,
            accuracy_txt=acc_txt, measurements_rel=meas_rel, measurements_files=meas_files,
            other_measurements=other_meas, code_rel=code_rel, code_ok=code_ok, known_absent=known_absent,
            code_via=code_via, suite=suite, inferred_from=inferred_scenario(rnd, scenario, suite, runs),
        ))
    # the scenarios present for each system and benchmark (a suite's required scenarios), and the
    # result folders each description describes (one with none is an orphan)
    groups: dict[tuple[str, str, str | None], set[str]] = {}
    for r in results:
        if r.scenario is not None:
            groups.setdefault((r.res.submitter_rel, r.res.system, r.benchmark), set()).add(r.scenario)
    results = [dataclasses.replace(r, siblings=frozenset(groups.get((r.res.submitter_rel, r.res.system,
                                                                       r.benchmark), ()))) for r in results]
    for key, sf in systems.items():
        n = sum(1 for r in results if r.system is sf or (r.res.submitter_rel, r.res.system) == key)
        systems[key] = dataclasses.replace(sf, results=n)
    results = [dataclasses.replace(r, system=systems.get((r.res.submitter_rel, r.system.name), r.system))
               if r.system.rel is not None else r for r in results]
    return TreeFacts(tree, tuple(skipped), systems, tuple(results))
