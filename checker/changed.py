"""Changed-only validation: validate just the results whose files changed since a git ref.

A result depends on its own folder, its system description, its measurements folder and
its benchmark's code folder; a change to any of them selects the result. A change to the
rule files the run uses selects everything. Files changed inside a submitter that belong
to no result (its README, audit/ …) select every result of that submitter, so its
submitter-level rules run. The tree-level rules always run. Every result left out is
listed in Report.skipped with the reason.

"Changed since REF" is measured from the merge base of REF and HEAD to the working tree
(as `git diff REF...` plus uncommitted and untracked files), so a pull-request gate sees
the PR's own changes, and a local run also sees edits not yet committed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import UsageError
from .findings import Report
from .options import ValidateOptions
from .suites.inference.discover import InferenceResult
from .suites.inference.ruledata import InferenceRound


@dataclass(frozen=True)
class ChangePlan:
    """What changed since `ref` under the validated root, and which results that selects."""

    ref: str
    base: str  # the merge-base commit the changes are measured from
    changed: tuple[str, ...]  # changed paths relative to the validated root, sorted
    only_results: frozenset[str] | None  # None: everything must be validated
    reason: str = ""  # why everything is validated, when it is
    skipped: list[dict[str, Any]] = field(default_factory=list)


def changed_paths(root: Path, ref: str) -> tuple[str, list[str], list[str]]:
    """(merge-base sha, paths changed under root relative to root, changed paths relative to the repo)."""
    import git  # imported late: only this option needs it

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise UsageError(f"--changed-since needs a git repository; {root} is not inside one",
                         "Run in a clone of the submission repository, or drop --changed-since.") from exc
    try:
        target = repo.commit(ref)
        head = repo.head.commit
    except (git.BadName, ValueError) as exc:
        raise UsageError(f"--changed-since: '{ref}' is not a commit of this repository",
                         "Give a branch, tag or sha; in GitHub Actions fetch it first "
                         "(actions/checkout with fetch-depth: 0).") from exc
    bases = repo.merge_base(target, head)
    base = bases[0] if bases else target
    repo_paths: set[str] = set()
    for d in base.diff(None):  # merge base -> working tree: committed, staged and unstaged changes
        for p in (d.a_path, d.b_path):
            if p:
                repo_paths.add(p)
    repo_paths.update(repo.untracked_files)
    top = Path(str(repo.working_tree_dir)).resolve()
    try:
        root_rel = PurePosixPath(Path(root).resolve().relative_to(top).as_posix())
    except ValueError as exc:  # pragma: no cover - search_parent_directories guarantees it
        raise UsageError(f"{root} is outside the git work tree {top}") from exc
    under: list[str] = []
    for p in sorted(repo_paths):
        rel = _relative_to(PurePosixPath(p), root_rel)
        if rel is not None:
            under.append(rel)
    return base.hexsha, under, sorted(repo_paths)


def _relative_to(path: PurePosixPath, root: PurePosixPath) -> str | None:
    if str(root) in ("", "."):
        return path.as_posix()
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def _key(name: str, index: Callable[[str], str | None]) -> str:
    return index(name) or name.lower()


def plan_inference(root: Path, ref: str, base: str, changed: list[str], rule_files_changed: list[str],
                   rnd: InferenceRound) -> ChangePlan:
    """Map changed paths onto the results of an inference tree (see the module docstring)."""
    from .suites.inference.discover import discover_inference

    tree = discover_inference(root, tuple(rnd.layout.divisions), tuple(rnd.layout.submitter_parts))
    bench_index, scen_index = rnd.benchmark_of, rnd.scenario_of
    if rule_files_changed:
        return ChangePlan(ref, base, tuple(changed), None,
                          reason="rule files changed: " + ", ".join(rule_files_changed))
    selected: set[str] = set()
    for path in changed:
        parts = path.split("/")
        hits = {r.id for r in tree.results
                if _depends(r, parts, bench_index, scen_index)}
        selected |= hits
        if hits:
            continue
        for sub in tree.submitters:
            sp = _split(sub.rel)
            rest = parts[len(sp):]
            if parts[: len(sp)] == sp and rest and not (len(rest) >= 5 and rest[0] == "results"):
                # inside the submitter but no result's: its submitter-level rules must run
                selected |= {r.id for r in tree.results if r.submitter_rel == sub.rel}
    skipped = [{"kind": "result", "id": r.id, "reason": f"unchanged since {ref} (merge base {base[:12]})"}
               for r in sorted(tree.results, key=lambda r: r.id) if r.id not in selected]
    return ChangePlan(ref, base, tuple(changed), frozenset(selected), skipped=skipped)


def _split(rel: str) -> list[str]:
    return rel.split("/") if rel else []


def _depends(res: InferenceResult, parts: list[str], bench_index: Callable[[str], str | None],
             scen_index: Callable[[str], str | None]) -> bool:
    """Does the result depend on the changed file whose path components are `parts`?"""
    if parts[: len(_split(res.id))] == _split(res.id):
        return True
    sp = _split(res.submitter_rel)
    if parts[: len(sp)] != sp:
        return False
    rest = parts[len(sp):]
    bench = _key(res.benchmark_dir, bench_index)
    if len(rest) == 2 and rest[0] == "systems":
        return rest[1].lower() == f"{res.system}.json".lower()
    if len(rest) >= 3 and rest[0] == "measurements" and rest[1] == res.system:
        # a file directly in measurements/<system>/ concerns all its results; below, match the folders
        if len(rest) == 3:
            return True
        if _key(rest[2], bench_index) != bench:
            return False
        return len(rest) == 4 or _key(rest[3], scen_index) == _key(res.scenario_dir, scen_index)
    if len(rest) >= 2 and rest[0] == "code":
        return len(rest) == 2 or _key(rest[1], bench_index) == bench  # code/README concerns every benchmark
    return False


def _rule_files(root: Path, options: ValidateOptions) -> tuple[str, list[Path], InferenceRound | None]:
    """The suite and the rule files this run uses, with the round's data (inference)."""
    from .api import SUITES, detect_suite, load_suite_ruleset
    from .engine.rules import RulesFiles, rules_root

    suite = options.suite or detect_suite(root)
    if suite != "inference":
        return suite, [], None
    s = SUITES[suite]
    read = RulesFiles()
    ruleset = load_suite_ruleset(s, s.detect_round(root, options, read).round, options.rules_file, read)
    folder = Path(options.rules_file).parent if options.rules_file else rules_root() / "inference"
    files = [(folder / PurePosixPath(f).name).resolve() for f in ruleset.files]
    return suite, files, ruleset.model


def plan_changes(root: Path, ref: str, options: ValidateOptions) -> ChangePlan:
    """Decide which results to validate for `--changed-since ref`."""
    base, changed, repo_changed = changed_paths(root, ref)
    suite, rule_files, rnd = _rule_files(root, options)
    if suite != "inference" or rnd is None:
        return ChangePlan(ref, base, tuple(changed), None,
                          reason=f"changed-only validation is not available for {suite}; everything validated")
    import git

    top = Path(str(git.Repo(root, search_parent_directories=True).working_tree_dir)).resolve()
    changed_abs = {(top / p).resolve() for p in repo_changed}
    rules_changed = sorted(_display(f, top) for f in rule_files if f in changed_abs)
    return plan_inference(root, ref, base, changed, rules_changed, rnd)


def _display(path: Path, top: Path) -> str:
    try:
        return path.relative_to(top).as_posix()
    except ValueError:
        return path.name


def validate_changed(root: Path, ref: str, options: ValidateOptions | None = None) -> Report:
    """Validate only what changed since `ref`; every result left out is listed in Report.skipped."""
    from .api import validate

    opts = options or ValidateOptions()
    plan = plan_changes(root, ref, opts)
    report = validate(root, dataclasses.replace(opts, only_results=plan.only_results))
    if plan.only_results is None:
        report.skipped.append({"kind": "note", "reason": f"--changed-since {ref}: {plan.reason}; "
                                                         "nothing was skipped"})
    report.skipped.extend(plan.skipped)
    return report
