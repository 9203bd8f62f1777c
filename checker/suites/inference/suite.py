"""The inference suite: discover -> facts -> compliance tests -> rescore, then the rules over its scopes."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ...engine.rules import Ruleset, RulesFiles, available_rounds, load_round_model
from ...engine.run import Scope
from ...errors import NotASubmission, UsageError
from ...findings import ResultRecord
from ...fs import list_dir, read_text
from ...options import ValidateOptions
from ..base import RoundChoice, Staged, Suite
from .compliance import start_compliance
from .discover import discover_inference, locate_submitters
from .facts import SUMMARY, TreeFacts, build_facts
from .kinds import REGISTRY
from .kinds.loadgen import setting
from .records import result_record
from .rescore import PendingRescore
from .ruledata import InferenceRound

if TYPE_CHECKING:
    from ...rescore.jobs import Workers

NAME = "inference"


def detect(root: Path) -> bool:
    """An inference tree has closed/ or open/ division folders (or is one, or a submitter folder in one)."""
    try:
        locate_submitters(root)
    except NotASubmission:
        return False
    return True


def _base_rounds(files: RulesFiles) -> dict[str, InferenceRound]:
    """Every shipped base round (no -variant) with its round data (read through the run's `files`)."""
    return {name: load_round_model(NAME, name, InferenceRound, files)
            for name in available_rounds(NAME) if "-" not in name}


# the three seeds lines of a summary's Test Parameters Used section (enough to tell a round)
# a seed is a 64-bit number: a longer digit run is not a seed (and int() of 5,000 digits raises)
_SEED_LINE = re.compile(r"^(?:qsl|sample_index|schedule)_rng_seed\s*:\s*(\d{1,20})\s*$", re.MULTILINE)


def _seeds(rnd: InferenceRound) -> tuple[int, ...]:
    return tuple(sorted(rnd.constants.seeds.value.values()))


def _evidence(root: Path, rounds: dict[str, InferenceRound], limit: int = 20) -> dict[str, list[str]]:
    """What the tree says of each round: its compliance folder, its benchmark folders, its seeds in the logs
    (a few results are enough; files are read only as far as a summary's seed lines)."""
    found: dict[str, list[str]] = {r: [] for r in rounds}
    by_seeds = {_seeds(m): r for r, m in rounds.items()}
    seen_logs = 0
    for sub_path, division, _ in locate_submitters(root):
        parts = set(list_dir(sub_path).dirs)
        if "results" not in parts:
            continue
        for r, m in rounds.items():
            if m.compliance.folder in parts:
                found[r].append(f"a {m.compliance.folder}/ folder")
        results = sub_path / "results"
        for system in list_dir(results).dirs:
            for bench in list_dir(results / system).dirs:
                for r, m in rounds.items():
                    if m.benchmark_of(bench, division) is not None:
                        found[r].append(f"benchmark folder {bench}")
                if seen_logs >= limit:
                    continue
                for scen in list_dir(results / system / bench).dirs:
                    # descend through listed real folders only: a linked folder is never followed
                    if "performance" not in list_dir(results / system / bench / scen).dirs:
                        continue
                    if "run_1" not in list_dir(results / system / bench / scen / "performance").dirs:
                        continue
                    tf = read_text(results / system / bench / scen / "performance" / "run_1" / SUMMARY, 1 << 20)
                    if tf.text is None:
                        continue
                    seeds = tuple(sorted(int(v) for v in _SEED_LINE.findall(tf.text)))
                    if seeds in by_seeds:
                        found[by_seeds[seeds]].append("its seeds in the logs")
                    seen_logs += 1
                    break
    return found


def detect_round(root: Path, opts: ValidateOptions, files: RulesFiles) -> RoundChoice:
    """The round of an inference tree: --round when given; else the round the tree's evidence names
    (the seeds in its logs first, then its benchmark and compliance folders). Never a silent default."""
    return RoundChoice(_detect_round(root, opts, files))


def _detect_round(root: Path, opts: ValidateOptions, files: RulesFiles) -> str:
    rounds = available_rounds(NAME)
    if opts.round:
        if opts.rules_file is None and opts.round not in rounds:
            raise UsageError(f"no {NAME} rules for round '{opts.round}'", f"Known rounds: {', '.join(rounds)}.")
        return opts.round
    if opts.rules_file is not None:
        return "custom"
    base = _base_rounds(files)
    if len(base) == 1:
        return next(iter(base))
    found = _evidence(root, base)
    seeds = [r for r, ev in found.items() if "its seeds in the logs" in ev]
    if len(seeds) == 1:
        return seeds[0]
    score = {r: len(set(ev)) for r, ev in found.items()}
    best = sorted(score.items(), key=lambda kv: -kv[1])
    if best and best[0][1] > 0 and (len(best) == 1 or best[0][1] > best[1][1]):
        return best[0][0]
    if all(n == 0 for n in score.values()):
        return newest(base)  # nothing to tell by: inf.round.undetermined says so in the report
    raise UsageError(f"cannot tell which {NAME} round {root} belongs to (its logs carry no round's seeds and its "
                     "folders fit several rounds)", "Pass --round, e.g. --round v0.7.")


def newest(rounds: dict[str, InferenceRound]) -> str:
    return max(rounds, key=lambda r: tuple(int(x) for x in re.findall(r"\d+", r)))


def round_note(facts: TreeFacts, base: dict[str, InferenceRound], opts: ValidateOptions) -> str | None:
    """Why the round was not told by the tree (None when it was, or --round or --rules chose it): its
    logs carry no shipped round's seeds, and no folder is a benchmark or compliance folder of one."""
    if opts.round or opts.rules_file is not None or len(base) < 2 or facts.seed_rounds:
        return None
    if any(r.benchmark is not None for r in facts.results):
        return None
    if any(m.compliance.folder in s.parts for m in base.values() for s in facts.tree.submitters):
        return None
    return (f"the tree names no round (no logs with a round's seeds, no benchmark or compliance folder of one); "
            f"the newest round, {newest(base)}, was applied")


def _seed_rounds(facts: TreeFacts, base: dict[str, InferenceRound]) -> tuple[tuple[str, tuple[int, ...], int], ...]:
    """How many performance runs carry each shipped round's seeds (a tree of another round shows here)."""
    rounds = {_seeds(m): r for r, m in base.items()}
    counts: dict[tuple[int, ...], int] = {}
    for r in facts.results:
        for run in r.runs:
            vals = [setting(run, k) for k in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")]
            key = tuple(sorted(int(v) for v in vals if v is not None))
            if key in rounds:
                counts[key] = counts.get(key, 0) + 1
    return tuple((rounds[k], k, n) for k, n in sorted(counts.items(), key=lambda kv: rounds[kv[0]]))


@contextmanager
def start(root: Path, ruleset: Ruleset, opts: ValidateOptions, workers: Workers | None = None) -> Iterator[Staged]:
    """Every stage, each handing frozen records to the next. The accuracy logs are scanned, and the
    compliance tests' responses compared, in worker processes while the other facts are read (and judged
    by the early rules); finish() waits for them and recomputes the compliance checks."""
    rnd: InferenceRound = ruleset.model
    tree = discover_inference(root, tuple(rnd.layout.divisions), tuple(rnd.layout.submitter_parts))
    with PendingRescore(tree, rnd, opts, workers) as rescore:
        facts = build_facts(tree, rnd, opts)
        compliance = start_compliance(facts, rnd, opts, rescore.call)
        base = _base_rounds(ruleset.library)
        facts = dataclasses.replace(facts, seed_rounds=_seed_rounds(facts, base))
        facts = _only(dataclasses.replace(facts, round_note=round_note(facts, base, opts)), opts)
        yield Staged(facts, lambda: compliance.attach(rescore.attach(facts)))


def build_accuracy(root: Path, ruleset: Ruleset, opts: ValidateOptions) -> TreeFacts:
    """Re-scoring alone: discovery, each result's accuracy folder, and the rescore stage (no performance
    runs, systems, measurements, code or compliance tests)."""
    rnd: InferenceRound = ruleset.model
    tree = discover_inference(root, tuple(rnd.layout.divisions), ("results",))
    with PendingRescore(tree, rnd, opts) as rescore:
        return rescore.attach(_only(build_facts(tree, rnd, opts, accuracy_only=True), opts))


def _only(facts: TreeFacts, opts: ValidateOptions) -> TreeFacts:
    """The results --only names (all when it names none)."""
    if opts.only_results is None:
        return facts
    keep = opts.only_results
    return dataclasses.replace(facts, results=tuple(r for r in facts.results if r.res.id in keep))


def result_scopes(facts: TreeFacts, opts: ValidateOptions) -> Iterator[Scope]:
    """Each result alone (re-scoring runs the result rules only)."""
    for r in facts.results:
        yield Scope("result", r, result=r.res.id, division=r.division, benchmark=r.benchmark, scenario=r.scenario,
                    system_type=r.suite)


def scopes(facts: TreeFacts, opts: ValidateOptions) -> Iterator[Scope]:
    """The tree, each submitter, each system and each result (only those of kept results when narrowed)."""
    narrowed = opts.only_results is not None
    yield Scope("tree", facts)
    used_subs = {r.res.submitter_rel for r in facts.results}
    for sub in facts.tree.submitters:
        if not narrowed or sub.rel in used_subs:
            yield Scope("submitter", sub, division=sub.division)
    used_systems = {(r.res.submitter_rel, r.system.name) for r in facts.results}
    for key, sysf in sorted(facts.systems.items()):
        if not narrowed or key in used_systems:
            yield Scope("system", sysf, division=sysf.submitter.division)
    yield from result_scopes(facts, opts)


def records(facts: TreeFacts, ruleset: Ruleset) -> list[ResultRecord]:
    return [result_record(r, ruleset.model) for r in facts.results]


SUITE = Suite(name=NAME, registry=REGISTRY, model=InferenceRound, detect=detect, detect_round=detect_round,
              start=start, prestart=True, scopes=scopes, records=records,
              result_ids=lambda facts: [r.res.id for r in facts.results])
