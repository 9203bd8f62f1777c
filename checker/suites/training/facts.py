"""Parse stage for training: read logs and system descriptions into typed facts the check kinds judge.

Everything round-specific comes from the round model (ruledata.TrainingRound): the benchmarks
and their targets, how runs are timed and judged, how non-converged runs are scored, which
schema a system description is read with.
"""

from __future__ import annotations

import ast
import difflib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...fs import read_text
from ...resources import SchemaCache
from .discover import RunFile, TrainingEntry, TrainingSubmitter, TrainingTree
from .log import RecordCache, TrainingLog, parse_training_log_bytes, read_log_bytes
from .ruledata import Benchmark, Training
from .scoring import Convergence, EntryScore, RunTime, convergence, olympic_score, run_time


@dataclass(frozen=True)
class SchemaCheck:
    """A system description against its round's schema: each kind of problem, in order."""

    errors: tuple[tuple[str, str], ...] = ()  # (field path, the schema's message) for a field's value
    missing: tuple[str, ...] = ()  # required fields not there ("a or b" where either will do)
    misspelt: tuple[tuple[str, str], ...] = ()  # (field, the round's field it is close to)
    unknown: tuple[str, ...] = ()  # fields the round's description does not define


@dataclass(frozen=True)
class ReadContext:
    """What reading the files of one run needs: size limit, the run's schema and record caches."""

    root: Path
    max_bytes: int
    schemas: SchemaCache
    records: RecordCache


@dataclass
class SystemFacts:
    """A system description as found: where, what form, the data read, what was wrong, a summary."""

    submitter: TrainingSubmitter
    system: str
    rel: str | None  # None when missing
    expected: str  # where the round expects it
    form: str = "missing"  # json, log-dump, entry.json, missing, unreadable
    data: dict[str, Any] | None = None
    problem: str | None = None
    problem_line: int | None = None
    schema: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    check: SchemaCheck = SchemaCheck()


@dataclass
class RunFacts:
    """One run: its file, parsed log, time to train, the target it is held to, and its convergence."""

    file: RunFile
    log: TrainingLog | None = None
    problem: str | None = None
    time: RunTime | None = None
    conv: Convergence | None = None
    target: Any = None  # the target this run is held to (BERT's depends on its batch size)
    target_note: str = ""  # why this run's target differs from the benchmark's
    converged: bool = False  # reached the target (and, where the round asks it, said success)

    @property
    def minutes(self) -> float | None:
        return self.time.seconds / 60.0 if self.time and self.time.seconds is not None else None

    @property
    def status(self) -> str | None:
        if self.log is None:
            return None
        stop = self.log.first("run_stop")
        s = stop.metadata.get("status") if stop else None
        return str(s) if s is not None else None

    @property
    def start_time(self) -> float | None:
        """run_start's time in seconds since the epoch (the v0.5 verifier orders runs by it)."""
        ev = self.log.first("run_start") if self.log is not None else None
        return ev.time_s if ev is not None else None


@dataclass
class EntryFacts:
    """One system x benchmark result: its runs, system, the round's data for it, and its score."""

    entry: TrainingEntry
    benchmark: str | None
    bench: Benchmark | None  # the round's data for the benchmark (None: not a benchmark of the round)
    system: SystemFacts
    division: str
    runs: list[RunFacts] = field(default_factory=list)
    score: EntryScore | None = None
    scored: list[RunFacts] = field(default_factory=list)  # the runs that entered the olympic mean's input
    named_benchmark: str | None = None  # for logs directly in results/<system>/: what the logs name
    submitter: str = ""  # the submitter's name (v0.5: submission.json's org)

    @property
    def target(self) -> float | dict[str, float] | None:
        return self.bench.target.value if self.bench is not None else None


@dataclass
class SubmitterFacts:
    """A submitter folder, the org its submission.json names, and what was wrong with that file."""

    sub: TrainingSubmitter
    submission_problem: str | None = None
    submission_line: int | None = None
    org: str | None = None


@dataclass
class TreeFacts:
    """Everything the training check kinds look at."""

    tree: TrainingTree
    round: str
    systems: dict[tuple[str, str], SystemFacts] = field(default_factory=dict)
    entries: list[EntryFacts] = field(default_factory=list)
    submitters: list[SubmitterFacts] = field(default_factory=list)


_DUMP_LINE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*:\s*(\{.*\})\s*$")


def _loose(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return text


def read_system(ctx: ReadContext, sub: TrainingSubmitter, system: str, rnd: Training) -> SystemFacts:
    """Read a system description: systems/<system>.json, else the v0.5-style results/<system>/entry.json."""
    expected = "/".join(p for p in (sub.rel, "systems", f"{system}.json") if p)
    rel = sub.system_files.get(system)
    schema = rnd.system_schema.value
    form = "json"
    if rel is None and system in sub.entry_jsons:
        rel, form, schema = sub.entry_jsons[system], "entry.json", rnd.entry_schema.value
    facts = SystemFacts(sub, system, rel, expected, schema=schema)
    if rel is None:
        return facts
    tf = read_text(ctx.root / rel, ctx.max_bytes)
    if tf.text is None:
        facts.form, facts.problem = "unreadable", "; ".join(tf.problems)
        return facts
    try:
        data = json.loads(tf.text)
    except json.JSONDecodeError as exc:
        data = None
        lines = [ln for ln in tf.text.split("\n") if ln.strip()]
        dump = [_DUMP_LINE.match(ln) for ln in lines]
        if lines and all(dump):
            data = {}
            for m in dump:
                assert m is not None
                try:
                    payload = json.loads(m.group(2))
                except ValueError:
                    payload = {"value": _loose(m.group(2))}
                data[m.group(1)] = payload.get("value") if isinstance(payload, dict) else payload
            facts.form = "log-dump"
            facts.problem = (f"is not JSON: it is a dump of {len(lines)} log lines ('key: {{\"value\": …}}'), "
                             f"keys {', '.join(sorted(data))}; read as key/value pairs")
            facts.problem_line = 1
        else:
            facts.form = "unreadable"
            facts.problem = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            facts.problem_line = exc.lineno
    if data is not None and not isinstance(data, dict):
        facts.problem = f"is a JSON {type(data).__name__}, not an object"
        data = None
    if data is not None:
        if facts.form != "log-dump":
            facts.form = form
        facts.data = data
        facts.summary = summarise_system(data)
        if facts.schema:
            facts.check = check_schema(data, facts.schema, facts.form, ctx.schemas)
    return facts


_REQUIRED = re.compile(r"'([^']+)' is a required property")


def check_schema(data: dict[str, Any], schema_name: str, form: str, schemas: SchemaCache) -> SchemaCheck:
    """Required fields, their types, and unknown (often misspelled) fields, per the round's schema.

    A field close to one of the schema's (a misspelling) is named with that field; the fields of a
    dump of log lines (form log-dump) are not listed as unknown, as they are not a description's.
    """
    schema, validator = schemas.get(schema_name)
    missing: list[str] = []
    errors: list[tuple[str, str]] = []
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message)):
        if err.validator == "required" and not err.absolute_path:
            m = _REQUIRED.match(err.message)
            missing.append(m.group(1) if m else err.message)
        elif err.validator == "anyOf" and not err.absolute_path:
            # the one top-level anyOf of the schemas: either of two fields
            alternatives = [str(s["required"][0]) for s in err.validator_value
                            if isinstance(s, dict) and len(s.get("required", ())) == 1]
            missing.append(" or ".join(alternatives) if alternatives else err.message)
        else:
            errors.append(("/".join(str(p) for p in err.absolute_path) or "(the description)", err.message))
    known = list(schema.get("properties", {}))
    misspelt: list[tuple[str, str]] = []
    unknown: list[str] = []
    for f in sorted(data):
        if f in known:
            continue
        close = difflib.get_close_matches(f.replace(" ", "_"), known, n=1, cutoff=0.8)
        if close:
            misspelt.append((f, close[0]))
        else:
            unknown.append(f)
    return SchemaCheck(tuple(errors), tuple(missing), tuple(misspelt),
                       tuple(unknown) if form != "log-dump" else ())


def _get(d: dict[str, Any], *names: str) -> Any:
    """A field by name, tolerating case, spaces for underscores, and 'processors' for 'processor'."""
    norm = {re.sub(r"[\s-]+", "_", str(k).strip().lower()).replace("processors_", "processor_"): v for k, v in d.items()}
    for n in names:
        if n in d and d[n] not in (None, ""):
            return d[n]
        k = n.replace("processors_", "processor_")
        if k in norm and norm[k] not in (None, ""):
            return norm[k]
    return None


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        m = re.match(r"^\s*(\d+)", v)
        return int(m.group(1)) if m else None
    return None


def _none_like(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip().lower() in ("", "na", "n/a", "none", "-"))


def summarise_system(data: dict[str, Any]) -> dict[str, Any]:
    """Processor, count, software, status and name from any of the real description shapes."""
    d = dict(data)
    entry = d.get("entry")
    if isinstance(entry, str):
        entry = _loose(entry)
    if isinstance(entry, dict):  # the log-dump form nests the v0.5 entry fields under 'entry'
        for k, v in entry.items():
            d.setdefault(k, v)
    nodes = d.get("nodes")
    if isinstance(nodes, str):
        nodes = _loose(nodes)
    if isinstance(nodes, dict):
        nodes = [nodes]
    out: dict[str, Any] = {}
    n_nodes = _int(_get(d, "number_of_nodes"))
    accel = _get(d, "accelerator_model_name")
    per = _int(_get(d, "accelerators_per_node"))
    if not _none_like(accel) and per:
        out["processor"], out["processor_count"] = str(accel), per * (n_nodes or 1)
    elif _get(d, "host_processor_model_name") and not isinstance(nodes, list):
        out["processor"] = str(_get(d, "host_processor_model_name"))
        hp = _int(_get(d, "host_processors_per_node"))
        out["processor_count"] = (hp or 1) * (n_nodes or 1)
    if "processor" not in out and isinstance(nodes, list) and nodes and all(isinstance(n, dict) for n in nodes):
        count, name = 0, None
        for n in nodes:
            acc, na, nn = n.get("accelerator"), _int(n.get("num_accelerators")), _int(n.get("num_nodes")) or 1
            if not _none_like(acc) and na:
                count += na * nn
                name = name or str(acc)
        if name:
            out["processor"], out["processor_count"] = name, count
        else:
            cpu = _get(d, "host_processor_model_name") or nodes[0].get("cpu")
            hp = _int(_get(d, "host_processors_per_node"))
            m = re.match(r"^\s*(\d+)\s*x\s*(.*)$", str(cpu or ""))
            if hp is None and m:
                hp, cpu = int(m.group(1)), m.group(2)
            out["processor"] = str(cpu) if cpu else None
            out["processor_count"] = sum((_int(n.get("num_nodes")) or 1) for n in nodes) * (hp or 1)
    software = _get(d, "framework")
    if software:
        out["software"] = str(software)
    for k in ("status", "division", "system_name"):
        v = _get(d, k)
        if v is not None:
            out[k] = str(v)
    if "system_name" not in out:
        for k in ("platform", "hardware"):
            if _get(d, k):
                out["system_name"] = str(_get(d, k))
                break
    return out


def read_run(ctx: ReadContext, rf: RunFile, time_from: str) -> RunFacts:
    """Read and parse one result log and derive its time (convergence is judged later, with the run's target)."""
    run = RunFacts(rf)
    if rf.absent:
        return run
    data, problems = read_log_bytes(ctx.root / rf.rel, ctx.max_bytes)
    if data is None:
        run.problem = "; ".join(problems)
        return run
    run.log = parse_training_log_bytes(data, ctx.records)
    run.time = run_time(run.log, time_from)
    return run


def _log_value(runs: list[RunFacts], key: str) -> str | None:
    for r in runs:
        if r.log is not None:
            e = r.log.first(key)
            if e is not None and isinstance(e.value, str) and e.value:
                return e.value
    return None


def _named_benchmark(runs: list[RunFacts]) -> str | None:
    """The benchmark the logs name: submission_benchmark, or the v0.5 line's benchmark field."""
    for r in runs:
        if r.log is None:
            continue
        ev = r.log.first("submission_benchmark")
        if ev is not None and isinstance(ev.value, str) and ev.value:
            return ev.value
        if r.log.benchmark:
            return r.log.benchmark
    return None


def run_target(bench: Benchmark | None, division: str, log: TrainingLog | None) -> tuple[Any, str]:
    """The target a run is held to, and a note when an alternative of the round's applies.

    An alternative (target.alternatives) applies in its division when the log's `key` is at
    least `at_least`: BERT closed at a global batch size of 8192 or more targets 0.706.
    """
    if bench is None:
        return None, ""
    for alt in bench.target.alternatives:
        if alt.division and alt.division != division:
            continue
        ev = log.first(alt.key) if log is not None else None
        v = ev.value if ev is not None else None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= alt.at_least:
            return alt.value, f"{alt.key} {v} is at least {alt.at_least}, so the target is {alt.value}"
    return bench.target.value, ""


def judge_run(run: RunFacts, ef: EntryFacts, rnd: Training) -> None:
    """Set the run's target and convergence by the round's way of judging it."""
    run.target, run.target_note = run_target(ef.bench, ef.division, run.log)
    if run.log is None or run.target is None or ef.bench is None:
        return
    t = ef.bench.target
    run.conv = convergence(run.log, run.target, t.unit, float32=rnd.compare_float32.value, below=t.below,
                           rescale=t.rescale_percent, before_stop=rnd.converge_before_run_stop.value)
    need = rnd.converged_status.value
    ok_status = need is None or run.status in need
    run.converged = bool(run.conv.reached and ok_status)


def build_facts(tree: TrainingTree, round_name: str, rnd: Training, ctx: ReadContext) -> TreeFacts:
    """Read every system description and log of the tree, then score each result."""
    facts = TreeFacts(tree, round_name)
    orgs: dict[str, str] = {}
    for sub in tree.submitters:
        sf = read_submission_json(ctx, sub)
        facts.submitters.append(sf)
        if sf.org:
            orgs[sub.rel] = sf.org
        for system in sub.result_systems:
            facts.systems[(sub.rel, system)] = read_system(ctx, sub, system, rnd)
    for entry in tree.entries:
        named = None
        bname = rnd.benchmark_of(entry.benchmark_dir) if not entry.loose else None
        runs = [read_run(ctx, rf, rnd.time_from_of(bname)) for rf in entry.runs]
        if entry.loose:
            # logs directly in results/<system>/: the benchmark is the one they name
            named = _named_benchmark(runs)
            bname = rnd.benchmark_of(named) if named else None
            if rnd.time_from_of(bname) != rnd.time_from_of(None):
                for r in runs:
                    if r.log is not None:
                        r.time = run_time(r.log, rnd.time_from_of(bname))
        bench = rnd.benchmarks.get(bname or "")
        sysf = facts.systems[(entry.submitter_rel, entry.system)]
        ef = EntryFacts(entry, bname, bench, sysf, "", runs, named_benchmark=named,
                        submitter=orgs.get(entry.submitter_rel, entry.submitter))
        division = sysf.summary.get("division") or _log_value(ef.runs, "submission_division") or "unknown"
        ef.division = str(division).lower()
        if not sysf.summary.get("status"):
            status = _log_value(ef.runs, "submission_status")
            if status:
                sysf.summary["status"] = status
        for r in ef.runs:
            judge_run(r, ef, rnd)
        score_entry(ef, rnd)
        facts.entries.append(ef)
    return facts


def score_entry(ef: EntryFacts, rnd: Training) -> None:
    """The olympic score of one result under the round's policy."""
    ef.scored = [r for r in ef.runs if r.minutes is not None]
    sel = ef.bench.score_runs if ef.bench is not None else None
    ef.score = olympic_score([r.minutes or 0.0 for r in ef.scored], [r.converged for r in ef.scored],
                             rnd.nonconverged.value, rnd.nonconverged.allowed,
                             start_order=[r.start_time if r.start_time is not None else math.inf for r in ef.scored],
                             first_converged=sel.first_converged if sel is not None else None)


def read_submission_json(ctx: ReadContext, sub: TrainingSubmitter) -> SubmitterFacts:
    """The v0.5-style submission.json: a JSON object naming the org (the submitter's name)."""
    out = SubmitterFacts(sub)
    if sub.submission_json is None:
        return out
    tf = read_text(ctx.root / sub.submission_json, ctx.max_bytes)
    if tf.text is None:
        out.submission_problem = "; ".join(tf.problems)
        return out
    try:
        data = json.loads(tf.text)
    except json.JSONDecodeError as exc:
        out.submission_problem = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        out.submission_line = exc.lineno
        return out
    if not isinstance(data, dict):
        out.submission_problem = f"is a JSON {type(data).__name__}, not an object"
    elif not isinstance(data.get("org"), str) or not data["org"].strip():
        out.submission_problem = "has no 'org'"
    else:
        out.org = data["org"].strip()
    return out
