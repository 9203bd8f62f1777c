"""The inference suite: discover -> facts -> compliance tests -> rescore, then the rules over its scopes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from ...engine.rules import Ruleset, available_rounds
from ...engine.run import Scope
from ...errors import NotASubmission, UsageError
from ...findings import ResultRecord
from ...options import ValidateOptions
from ..base import Suite
from .compliance import attach_compliance
from .discover import discover_inference, locate_submitters
from .facts import TreeFacts, build_facts
from .kinds import REGISTRY
from .records import result_record
from .rescore import attach_rescore
from .ruledata import InferenceRound

NAME = "inference"


def detect(root: Path) -> bool:
    """An inference tree has closed/ or open/ division folders (or is one, or a submitter folder in one)."""
    try:
        locate_submitters(root)
    except NotASubmission:
        return False
    return True


def detect_round(root: Path, opts: ValidateOptions) -> str:
    """The round of an inference tree: --round when given, else the only base round, else named in the path."""
    rounds = available_rounds(NAME)
    if opts.round:
        if opts.rules_file is None and opts.round not in rounds:
            raise UsageError(f"no {NAME} rules for round '{opts.round}'", f"Known rounds: {', '.join(rounds)}.")
        return opts.round
    if opts.rules_file is not None:
        return "custom"
    base = [r for r in rounds if "-" not in r]
    if len(base) == 1:
        return base[0]
    for r in sorted(base, reverse=True):
        if r in str(root):
            return r
    raise UsageError(f"cannot tell which {NAME} round {root} belongs to", "Pass --round, e.g. --round v0.5.")


def build(root: Path, ruleset: Ruleset, opts: ValidateOptions) -> TreeFacts:
    """Every stage, each handing frozen records to the next."""
    rnd: InferenceRound = ruleset.model
    tree = discover_inference(root, tuple(rnd.layout.divisions), tuple(rnd.layout.submitter_parts))
    facts = attach_compliance(build_facts(tree, rnd, opts), rnd, opts)
    if opts.only_results is not None:
        keep = opts.only_results
        facts = dataclasses.replace(facts, results=tuple(r for r in facts.results if r.res.id in keep))
    return attach_rescore(facts, opts)


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
    for r in facts.results:
        yield Scope("result", r, result=r.res.id, division=r.division, benchmark=r.benchmark, scenario=r.scenario)


def records(facts: TreeFacts, ruleset: Ruleset) -> list[ResultRecord]:
    return [result_record(r, ruleset.model) for r in facts.results]


SUITE = Suite(name=NAME, registry=REGISTRY, model=InferenceRound, detect=detect, detect_round=detect_round,
              build=build, scopes=scopes, records=records,
              result_ids=lambda facts: [r.res.id for r in facts.results])
