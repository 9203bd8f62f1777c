"""The training suite: discover -> facts (logs, system descriptions, scores), then the rules over its scopes."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from ...engine.rules import Ruleset, RulesFiles, available_rounds, load_round_model
from ...engine.run import Scope
from ...errors import UsageError
from ...findings import ResultRecord
from ...fs import list_dir
from ...options import ValidateOptions
from ...resources import SchemaCache
from ..base import RoundChoice, Staged, Suite, at_once
from .discover import discover_training, looks_like_training
from .facts import ReadContext, TreeFacts, build_facts
from .kinds import REGISTRY
from .log import FORMAT_V05, FORMAT_V06, FORMAT_V07, RecordCache, detect_format_bytes
from .records import result_record
from .ruledata import TrainingRound

NAME = "training"
FORMAT_TOKENS = {FORMAT_V05: ":::MLPv0.5.0", FORMAT_V06: ":::MLL", FORMAT_V07: ":::MLLOG"}
# Folder names that name a round: v0.5.0 (the v0.5 round root as published), training_v0.7,
# training_results_v0.6, v0.7. Nothing looser: a path of the user's own must not pick a round.
_ROUND_DIR = re.compile(r"^(?:training_)?(?:results_)?v(\d+)\.(\d+)(?:\.\d+)?$", re.IGNORECASE)
_HEAD_BYTES = 256 * 1024  # enough to reach a log's first MLPerf token


def detect(root: Path) -> bool:
    """A training tree holds result logs: results/<system>/[<benchmark>/]result_*.txt, at the root or below."""
    return looks_like_training(root)


def named_round(root: Path) -> tuple[str, str] | None:
    """(round, folder) when the root, a folder above it, or a round root right under it names a round."""
    try:
        here = root.resolve()
    except OSError:
        return None
    for p in (here, *here.parents):
        m = _ROUND_DIR.match(p.name)
        if m:
            return f"v{int(m.group(1))}.{int(m.group(2))}", p.name
    inner = [d for d in list_dir(here).dirs if _ROUND_DIR.match(d)]
    if len(inner) == 1:
        m = _ROUND_DIR.match(inner[0])
        assert m is not None
        return f"v{int(m.group(1))}.{int(m.group(2))}", inner[0]
    return None


def _head(path: Path) -> bytes | None:
    """The first bytes of a regular file (never a link), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            return fh.read(_HEAD_BYTES)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def log_formats(root: Path, known_absent: frozenset[str] = frozenset()) -> Counter[str]:
    """How many results' logs are in each MLPerf format (the first present log of each result decides)."""
    tree = discover_training(root, known_absent)
    found: Counter[str] = Counter()
    for entry in tree.entries:
        for rf in entry.runs:
            if rf.absent:
                continue
            data = _head(root / rf.rel)
            if data is None:
                continue
            fmt = detect_format_bytes(data.replace(b"\x00", b""))
            if fmt in FORMAT_TOKENS:
                found[fmt] += 1
                break
    return found


def _log_format(round_name: str, files: RulesFiles) -> str:
    """The log format a shipped round's rules name."""
    rnd: TrainingRound = load_round_model(NAME, round_name, TrainingRound, files)
    return rnd.training.log_format.value


def _base_rounds(files: RulesFiles) -> dict[str, str]:
    """Every shipped base round (no -variant), oldest first, with the log format its rules name."""
    names = sorted((r for r in available_rounds(NAME) if "-" not in r),
                   key=lambda r: tuple(int(x) for x in re.findall(r"\d+", r)))
    return {name: _log_format(name, files) for name in names}


def choose_training_round(root: Path, known_absent: frozenset[str] = frozenset(),
                          files: RulesFiles | None = None) -> RoundChoice:
    """The round of a training tree, from its round-root name and its logs' format; never silently another round.

    A folder name (v0.5.0, training_v0.7, …) decides when the logs agree with it; logs in two
    MLPerf formats, a name the logs contradict, or a round without rules are usage errors
    that ask for --round. Without a name, the format decides: the shipped round whose rules
    name it (the latest such round; later rounds than the shipped ones may write it too).
    """
    files = files if files is not None else RulesFiles()
    named = named_round(root)
    formats = log_formats(root, known_absent)
    seen = ", ".join(f"{n} with {FORMAT_TOKENS[f]} lines" for f, n in formats.most_common())
    if named is not None:
        rnd, folder = named
        if rnd not in available_rounds(NAME):
            raise UsageError(f"{root} is named for training round {rnd} ('{folder}'), which mlcheck has no rules for",
                             f"Known rounds: {', '.join(available_rounds(NAME))}. Pass --round to judge it by one of "
                             "them.")
        if formats and set(formats) != {_log_format(rnd, files)}:
            raise UsageError(f"{root} is named for training round {rnd} ('{folder}') but its logs are in another "
                             f"round's format ({seen})", "Pass --round to choose the rules.")
        return RoundChoice(rnd, f"folder name '{folder}'" + (f"; logs agree ({seen})" if seen else ""))
    rounds = _base_rounds(files)
    by_logs = {[r for r, f in rounds.items() if f == fmt][-1] for fmt in formats if fmt in rounds.values()}
    if not by_logs:
        raise UsageError(f"cannot tell which training round {root} belongs to: no log is in an MLPerf format",
                         "Pass --round, e.g. --round v0.6.")
    if len(by_logs) > 1:
        raise UsageError(f"the logs of {root} are in the formats of several training rounds ({seen})",
                         "Pass --round to choose the rules; the logs in other formats are then reported.")
    (rnd,) = by_logs
    how = f"log format ({seen})"
    if rnd == list(rounds)[-1]:
        how += "; later rounds write this format too, pass --round to choose another"
    return RoundChoice(rnd, how)


def detect_round(root: Path, opts: ValidateOptions, files: RulesFiles) -> RoundChoice:
    """The round of a training tree: --round (or --rules) when given, else choose_training_round."""
    if opts.rules_file is not None:
        return RoundChoice(opts.round or "custom", "--rules")
    if opts.round:
        if opts.round not in available_rounds(NAME):
            raise UsageError(f"no training rules for round '{opts.round}'",
                             "Known rounds: " + ", ".join(available_rounds(NAME)) + ".")
        return RoundChoice(opts.round, "--round")
    return choose_training_round(root, opts.known_absent, files)


def build(root: Path, ruleset: Ruleset, opts: ValidateOptions) -> TreeFacts:
    """Discover the tree, read every log and system description, score each result.

    The run's caches (the shipped schemas, the v0.6 records already interpreted) live as long
    as this call.
    """
    rnd: TrainingRound = ruleset.model
    tree = discover_training(root, opts.known_absent)
    ctx = ReadContext(tree.root, opts.max_bytes, SchemaCache(), RecordCache())
    facts = build_facts(tree, ruleset.round, rnd.training, ctx)
    if opts.only_results is not None:
        keep = opts.only_results
        facts = dataclasses.replace(facts, entries=[e for e in facts.entries if e.entry.id in keep])
    return facts


def scopes(facts: TreeFacts, opts: ValidateOptions) -> Iterator[Scope]:
    """The tree, each submitter, each system that holds a result, each result."""
    yield Scope("tree", facts)
    for sub in facts.submitters:
        yield Scope("submitter", sub)
    used = {(e.entry.submitter_rel, e.entry.system) for e in facts.entries}
    for key, sysf in sorted(facts.systems.items()):
        if key not in used:
            continue
        division = sysf.summary.get("division")
        yield Scope("system", sysf, division=division.lower() if isinstance(division, str) else None)
    for e in facts.entries:
        yield Scope("result", e, result=e.entry.id, division=e.division, benchmark=e.benchmark)


def records(facts: TreeFacts, ruleset: Ruleset) -> list[ResultRecord]:
    return [result_record(e) for e in facts.entries]


def start(root: Path, ruleset: Ruleset, opts: ValidateOptions, workers: object = None) -> AbstractContextManager[Staged]:
    """Every stage at once (no worker processes: `workers` is never given, the suite asks for none)."""
    return at_once(build(root, ruleset, opts))


SUITE = Suite(name=NAME, registry=REGISTRY, model=TrainingRound, detect=detect, detect_round=detect_round,
              start=start, scopes=scopes, records=records,
              result_ids=lambda facts: [e.entry.id for e in facts.entries])
