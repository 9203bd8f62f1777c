"""The library entry point: validate(root, options) -> Report. The CLI is glue over this."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .discover import discover_inference, locate_submitters
from .engine.core import run_scope
from .engine.ruleset import Ruleset, available_rounds, load_ruleset
from .errors import NotASubmission, UsageError
from .findings import Finding, Report, ResultRecord, Severity
from .parse.textio import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .inference_facts import ResultFacts, TreeFacts
    from .waivers import Waiver

# The inference check kinds, facts and evaluators are imported when an inference tree is
# validated (they pull in numpy, the audit and rescore kinds): a training run or another
# command does not pay for them.
from .training.validate import looks_like_training
from .training.validate import register as _register_training


@dataclass
class ValidateOptions:
    """Everything `mlcheck validate` can be told. Plain data; nothing global."""

    suite: str | None = None  # auto-detected when None
    round: str | None = None  # auto-detected when None
    rules_file: Path | None = None
    known_absent: frozenset[str] = frozenset()
    datasets: dict[str, Path] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    max_bytes: int = DEFAULT_MAX_BYTES
    jobs: int = 0  # 0: as many as there are cores (re-scoring)
    progress: bool = False
    only_results: frozenset[str] | None = None  # result ids to keep (changed-only validation)
    audit_responses: str = "small"  # TEST01 response comparison: off, small (size cap in rules) or all
    waivers: tuple[Waiver, ...] = ()  # accepted exceptions; waived findings stay in the report, marked

    def selected(self, rule_id: str) -> bool:
        """flake8-style selection: --select and --ignore take rule-id prefixes."""
        if self.select and not any(rule_id.startswith(p) for p in self.select):
            return False
        return not any(rule_id.startswith(p) for p in self.ignore)


# Suites other than inference register a validator here: name -> (detect, validate).
SuiteValidator = Callable[[Path, ValidateOptions], Report]
SUITES: dict[str, SuiteValidator] = {}
_register_training(SUITES)


def read_known_absent(path: Path) -> frozenset[str]:
    """A list of files, one per line, that are known to be absent from this copy of a submission."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
    return frozenset(line.strip().strip("/") for line in lines if line.strip() and not line.startswith("#"))


def detect_suite(root: Path) -> str:
    """inference when the tree has closed/ or open/ division folders; training otherwise."""
    try:
        locate_submitters(root)
        return "inference"
    except NotASubmission:
        # positive detection: results/<system>/<benchmark>/result_*.txt under the root or a submitter folder
        if "training" in SUITES and looks_like_training(root):
            return "training"
        raise


def detect_round(suite: str, root: Path, requested: str | None) -> str:
    rounds = available_rounds(suite)
    if requested:
        if requested not in rounds:
            raise UsageError(f"no {suite} rules for round '{requested}'", f"Known rounds: {', '.join(rounds)}.")
        return requested
    # v0.5 is the only inference round with rules; a later round file makes detection necessary
    base = [r for r in rounds if "-" not in r]
    if len(base) == 1:
        return base[0]
    for r in sorted(base, reverse=True):
        if r in str(root):
            return r
    raise UsageError(f"cannot tell which {suite} round {root} belongs to", "Pass --round, e.g. --round v0.5.")


def validate(root: Path, options: ValidateOptions | None = None) -> Report:
    """Validate a submission tree and return the Report (never raises for problems in the tree)."""
    opts = options or ValidateOptions()
    root = Path(root)
    suite = opts.suite or detect_suite(root)
    if suite != "inference":
        if suite not in SUITES:
            raise UsageError(f"unknown suite '{suite}'", "Known suites: " + ", ".join(["inference", *SUITES]))
        report = SUITES[suite](root, opts)
    else:
        round_name = detect_round("inference", root, opts.round) if not opts.rules_file else (opts.round or "custom")
        from .engine.inference_kinds import REGISTRY as INFERENCE_KINDS

        ruleset = load_ruleset("inference", round_name, opts.rules_file, INFERENCE_KINDS.names())
        report = validate_inference(root, ruleset, opts)
    if opts.waivers:
        from .waivers import apply_waivers

        apply_waivers(report, list(opts.waivers))
    return report


def validate_inference(root: Path, ruleset: Ruleset, opts: ValidateOptions) -> Report:
    tree = discover_inference(root)
    from .inference_facts import Options as FactOptions
    from .inference_facts import build_facts

    fopts = FactOptions(known_absent=opts.known_absent, max_bytes=opts.max_bytes, datasets=dict(opts.datasets),
                        audit_responses=opts.audit_responses)
    facts = build_facts(tree, ruleset, fopts)
    if opts.only_results is not None:
        keep = opts.only_results
        facts.results = [r for r in facts.results if r.res.id in keep]
    # every accuracy log is scanned (structure, coverage); re-scored where ground truth is given
    from .rescore.stage import rescore_inference  # imported late: numpy and friends

    rescore_inference(tree.root, facts, ruleset, opts)
    report = Report(tool=f"mlcheck {__version__}", suite="inference", round=ruleset.round,
                    root=str(root), ruleset=ruleset.describe())
    report.findings.extend(run_inference_rules(facts, ruleset, opts))
    for r in facts.results:
        report.results.append(result_record(r, ruleset))
    report.finalize()
    return report


def run_inference_rules(facts: TreeFacts, ruleset: Ruleset, opts: ValidateOptions) -> list[Finding]:
    from .engine.inference_kinds import REGISTRY as INFERENCE_KINDS

    sel = opts.selected
    out: list[Finding] = []
    out.extend(run_scope(INFERENCE_KINDS, ruleset, "tree", facts, selected=sel))
    used_subs = {r.res.submitter_rel for r in facts.results} if opts.only_results is not None else None
    for sub in facts.submitters:
        if used_subs is not None and sub.rel not in used_subs:
            continue
        out.extend(run_scope(INFERENCE_KINDS, ruleset, "submitter", sub, division=sub.division, selected=sel))
    used_systems = {(r.res.submitter_rel, r.res.system) for r in facts.results}
    for key, sysf in sorted(facts.systems.items()):
        if opts.only_results is not None and key not in used_systems:
            continue
        out.extend(run_scope(INFERENCE_KINDS, ruleset, "system", sysf, division=sysf.submitter.division,
                             selected=sel))
    for r in facts.results:
        out.extend(run_scope(INFERENCE_KINDS, ruleset, "result", r, result_id=r.res.id,
                             division=r.res.division.lower(), benchmark=r.benchmark, scenario=r.scenario,
                             selected=sel))
    return out


def result_record(r: ResultFacts, ruleset: Ruleset) -> ResultRecord:
    from .metrics import accuracy_record, headline_metric

    rec = ResultRecord(
        id=r.res.id, division=r.res.division, submitter=r.res.submitter, system=r.res.system,
        benchmark=r.benchmark or r.res.benchmark_dir, scenario=r.scenario or r.res.scenario_dir,
        metric=headline_metric(r, ruleset), accuracy=accuracy_record(r),
    )
    sysdata = r.system.data if r.system else None
    if sysdata:
        rec.extra["system_description"] = {
            k: sysdata.get(k) for k in ("system_name", "accelerator_model_name", "accelerators_per_node",
                                        "host_processor_model_name", "host_processors_per_node",
                                        "framework", "status")
            if k in sysdata
        }
    return rec


def matches_any(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatch(path, p) for p in patterns)


def finding(rule: str, severity: Severity, path: str, message: str, result: str | None = None,
            line: int | None = None) -> Finding:
    """Build a Finding outside the rule engine (tool-level notes such as skipped results)."""
    return Finding(rule, severity, path, message, result, line)


def describe_options(opts: ValidateOptions) -> dict[str, Any]:
    return {"select": list(opts.select), "ignore": list(opts.ignore),
            "known_absent": len(opts.known_absent), "datasets": sorted(opts.datasets)}
