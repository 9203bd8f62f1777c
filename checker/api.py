"""The library entry point: validate(root, options) -> Report. The CLI is glue over this.

Every suite goes through the same pipeline: detect the suite and the round, load the round's
ruleset (typed params, typed round model), build the facts with the suite's stages, run the rules
over the scopes the suite lays out (the registry's early kinds while the suite's last stage still runs,
its late kinds after), and hand the findings and result records to a Report.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from pathlib import Path

from . import __version__
from .engine.rules import Ruleset, RulesFiles, load_ruleset
from .engine.run import run_rules
from .errors import NotASubmission, UsageError
from .findings import Report, RuleInfo
from .options import ValidateOptions
from .rescore.jobs import Workers, workers_for
from .suites.base import Suite
from .suites.inference.suite import SUITE as INFERENCE


class _Suites(Mapping[str, Suite]):
    """The suites by name, in the order their layouts are tried; each suite's modules are imported when
    it is first used (an inference run never loads training's)."""

    def __init__(self, modules: dict[str, str]) -> None:
        self._modules = modules

    def __getitem__(self, name: str) -> Suite:
        suite: Suite = importlib.import_module(self._modules[name]).SUITE
        return suite

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


SUITES: Mapping[str, Suite] = _Suites({"inference": "checker.suites.inference.suite",
                                       "training": "checker.suites.training.suite"})

__all__ = ["SUITES", "ValidateOptions", "detect_suite", "load_suite_ruleset", "read_known_absent", "validate"]


def read_known_absent(path: Path) -> frozenset[str]:
    """A list of files, one per line, that are known to be absent from this copy of a submission."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not a UTF-8 text file (byte {exc.start})") from exc
    return frozenset(line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#"))


def detect_suite(root: Path) -> str:
    """The suite whose layout the tree has: inference (closed/ or open/), else training."""
    for name in SUITES:
        if SUITES[name].detect(root):
            return name
    # say why it is not an inference tree (the most specific message the layouts give)
    from .suites.inference.discover import locate_submitters

    locate_submitters(root)
    raise NotASubmission(f"{root} is not an MLPerf submission")


def suite_of(name: str) -> Suite:
    if name not in SUITES:
        raise UsageError(f"unknown suite '{name}'", "Known suites: " + ", ".join(SUITES))
    return SUITES[name]


def load_suite_ruleset(suite: Suite, round_name: str, rules_file: Path | None = None,
                       files: RulesFiles | None = None) -> Ruleset:
    """A suite's ruleset for a round (or a rules file of the user's), with its typed round model; `files`
    are the rules files the run has read already (each file is parsed once a run)."""
    return load_ruleset(suite.name, round_name, suite.registry, suite.model, rules_file, files)


def rule_catalogue(ruleset: Ruleset) -> tuple[RuleInfo, ...]:
    """Every rule the run was judged by, for the formats that list rules (JUnit, SARIF)."""
    return tuple(RuleInfo(id=r.id, severity=r.severity.value, message=r.message,
                          source=ruleset.source_text(r.source), help=r.help, scope=r.scope,
                          applies=r.applies.to_dict()) for r in ruleset.rules)


def rescore(root: Path, options: ValidateOptions, files: RulesFiles | None = None) -> Report:
    """Re-score an inference tree's accuracy logs without the rest of validate: discovery, the accuracy
    folders, the evaluators, and the accuracy and rescore rules (options.select narrows them further).
    `files`: the rules files this run has read already."""
    from .suites.inference import suite as inference

    files = files if files is not None else RulesFiles()
    ruleset = load_suite_ruleset(INFERENCE, INFERENCE.detect_round(root, options, files).round,
                                 options.rules_file, files)
    facts = inference.build_accuracy(root, ruleset, options)
    report = Report(tool=f"mlcheck {__version__}", suite=INFERENCE.name, round=ruleset.round, root=str(root),
                    ruleset=ruleset.describe(), rules=rule_catalogue(ruleset))

    def selected(rule_id: str) -> bool:
        return rule_id.startswith(RESCORE_RULES) and options.selected(rule_id)

    report.findings.extend(run_rules(INFERENCE.registry, ruleset, inference.result_scopes(facts, options), selected))
    report.results.extend(INFERENCE.records(facts, ruleset))
    report.finalize()
    return report


RESCORE_RULES = ("inf.rescore.", "inf.accuracy.", "inf.layout.known-absent", "inf.layout.accuracy-files")


def validate(root: Path, options: ValidateOptions | None = None, files: RulesFiles | None = None,
             workers: Workers | None = None) -> Report:
    """Validate a submission tree and return the Report (never raises for problems in the tree).
    `files`: the rules files this run has read already (the CLI's option checks read them first).
    `workers`: worker processes the caller started already (the CLI starts them first thing, so that
    they import the reader meanwhile) and stops; without them, a suite that asks for workers gets
    them started here."""
    opts = options or ValidateOptions()
    root = Path(root)
    files = files if files is not None else RulesFiles()
    suite = suite_of(opts.suite or detect_suite(root))
    started = nullcontext(workers) if workers is not None else Workers(workers_for(opts.jobs) if suite.prestart else 1)
    with started as running:
        choice = suite.detect_round(root, opts, files)
        ruleset = load_suite_ruleset(suite, choice.round, opts.rules_file, files)
        described = {**ruleset.describe(), **({"chosen_by": choice.how} if choice.how else {})}
        report = Report(tool=f"mlcheck {__version__}", suite=suite.name, round=ruleset.round, root=str(root),
                        ruleset=described, rules=rule_catalogue(ruleset))
        given = running if suite.prestart and running.pool is not None else None
        with suite.start(root, ruleset, opts, given) as staged:
            # the early rules run while the last stage runs
            report.findings.extend(run_rules(suite.registry, ruleset, suite.scopes(staged.facts, opts),
                                             opts.selected, late=False))
            facts = staged.finish()
    report.findings.extend(run_rules(suite.registry, ruleset, suite.scopes(facts, opts), opts.selected, late=True))
    report.results.extend(suite.records(facts, ruleset))
    report.finalize()
    if opts.waivers:
        from .waivers import apply_waivers

        apply_waivers(report, list(opts.waivers))
    return report
