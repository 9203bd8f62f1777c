"""Check kinds for the layout of an inference submission: folders, their names and the files they hold."""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..discover import Submitter, join
from ..facts import ResultFacts, RunFacts, TreeFacts
from ..ruledata import InferenceRound


class Parts(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    required: list[str]


@kind("submitter_parts", "submitter", Parts)
def submitter_parts(sub: Submitter, rule: Rule, p: Parts, rs: Ruleset) -> Iterator[Hit]:
    """The submitter folder holds the parts the layout requires."""
    for part in p.required:
        if part not in sub.parts:
            yield Hit({"part": part}, sub.rel)


class TreePaths(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    which: Literal["skipped", "unreadable"]


@kind("tree_paths", "tree", TreePaths)
def tree_paths(t: TreeFacts, rule: Rule, p: TreePaths, rs: Ruleset) -> Iterator[Hit]:
    """Links and special files (never followed) or folders that cannot be listed, each reported."""
    if p.which == "skipped":
        for s in t.skipped:
            yield Hit({"path": s.rel, "what": s.kind}, s.rel)
    else:
        for rel, why in t.tree.unreadable:
            yield Hit({"path": rel, "why": why}, rel)


class Folder(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    folder: Literal["benchmark", "scenario", "performance"]


def _folder(r: ResultFacts, folder: str, rnd: InferenceRound) -> tuple[str | None, str | None, list[str]]:
    """(as found, as the rules spell it, what the round knows) for one of the result's folders."""
    if folder == "benchmark":
        return r.res.benchmark_dir, r.benchmark, sorted(rnd.benchmarks)
    if folder == "scenario":
        return r.res.scenario_dir, r.scenario, sorted(rnd.scenarios)
    return r.res.performance_dir, "performance" if r.res.performance_dir else None, ["performance"]


@kind("folder_known", "result", Folder)
def folder_known(r: ResultFacts, rule: Rule, p: Folder, rs: Ruleset) -> Iterator[Hit]:
    """The result's benchmark (or scenario) folder names one of the round's."""
    got, canonical, known = _folder(r, p.folder, rs.model)
    if canonical is None:
        yield Hit({"got": got, "expected": known}, r.res.id)


@kind("folder_spelling", "result", Folder)
def folder_spelling(r: ResultFacts, rule: Rule, p: Folder, rs: Ruleset) -> Iterator[Hit]:
    """A folder uses another spelling (an alias, other case) than the rules."""
    got, canonical, _ = _folder(r, p.folder, rs.model)
    accepted = [canonical, *r.bench.folders] if p.folder == "benchmark" and r.bench is not None else [canonical]
    if canonical is not None and got not in accepted:
        path = f"{r.res.id}/{got}" if p.folder == "performance" else r.res.id
        yield Hit({"got": got, "want": canonical}, path)


class RunFolder(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    folder: Literal["accuracy", "performance"]


@kind("run_folder", "result", RunFolder)
def run_folder(r: ResultFacts, rule: Rule, p: RunFolder, rs: Ruleset) -> Iterator[Hit]:
    """The result has an accuracy/ folder, or a performance/ folder holding runs."""
    if (r.accuracy is None) if p.folder == "accuracy" else (not r.res.runs):
        yield Hit({"folder": p.folder}, r.res.id)


class Pattern(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    glob: str  # e.g. *.json; {system} and {scenario} stand for the result's folder names
    means: str  # what the file is, for the message


class Files(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    where: Literal["accuracy", "runs", "measurements"]
    files: list[str | Pattern]


def _glob(want: Pattern, r: ResultFacts, escape: bool = False) -> str:
    """The pattern with the result's system and scenario folder names in place (escaped when matching)."""
    esc = glob.escape if escape else str
    return want.glob.replace("{system}", esc(r.res.system)).replace("{scenario}", esc(r.res.scenario_dir))


def _missing(files: tuple[str, ...], absent: frozenset[str], want: str | Pattern, r: ResultFacts) -> bool:
    if isinstance(want, Pattern):
        return not any(fnmatch.fnmatch(f.lower(), _glob(want, r, escape=True).lower()) for f in files)
    return want not in files and want not in absent


@kind("required_files", "result", Files)
def required_files(r: ResultFacts, rule: Rule, p: Files, rs: Ruleset) -> Iterator[Hit]:
    """A folder of the result holds every required file (files known absent from a copy are reported apart)."""
    if p.where == "measurements":
        if r.measurements_rel is None:
            return
        lower = tuple(f.lower() for f in r.measurements_files)
        for want in p.files:
            if isinstance(want, str) and want.lower() in lower:
                continue
            if isinstance(want, str) and want == "user.conf":
                split = sorted(f for f in r.measurements_files if f.lower().startswith("user") and ".conf" in f.lower())
                if split:
                    yield Hit({"folder": r.measurements_rel, "file": want, "problem": "is missing",
                               "note": f" (it is split into {', '.join(split)})"}, r.measurements_rel,
                              severity=Severity.INFO)
                    continue
            if _missing(lower, frozenset(), want, r):
                name = f"{want.means} ({_glob(want, r)})" if isinstance(want, Pattern) else want
                yield Hit({"folder": r.measurements_rel, "file": name, "problem": "is missing", "note": ""},
                          r.measurements_rel)
        return
    runs: list[RunFacts] = ([r.accuracy] if r.accuracy else []) if p.where == "accuracy" else list(r.runs)
    for run in runs:
        for want in p.files:
            if isinstance(want, str) and want in run.dirs:
                yield Hit({"folder": run.rel, "file": want, "problem": "is a directory, not a file,", "note": ""},
                          f"{run.rel}/{want}")
            elif _missing(run.files, run.absent, want, r):
                name = f"{want.means} ({_glob(want, r)})" if isinstance(want, Pattern) else want
                yield Hit({"folder": run.rel, "file": name, "problem": "is missing", "note": ""}, run.rel)


@kind("run_naming", "result")
def run_naming(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Run folders are named run_1, run_2, … under performance/."""
    perf = f"{r.res.id}/{r.res.performance_dir}"
    if r.res.runs_flat:
        yield Hit({"folder": perf, "got": "the logs directly in it", "want": "run_1/"}, perf)
        return
    names = [run.name for run in r.runs]
    want = [f"run_{i}" for i in range(1, len(names) + 1)]
    if names and names != want:
        yield Hit({"folder": perf, "got": ", ".join(names), "want": ", ".join(want)}, perf)


@kind("run_count", "result")
def run_count(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The scenario's number of performance runs (extra runs are a note: the first is reported)."""
    rnd: InferenceRound = rs.model
    if r.scenario is None or not r.res.runs:
        return
    want = rnd.scenarios[r.scenario].runs_required.value
    got = len(r.res.runs)
    if got != want:
        yield Hit({"scenario": r.scenario, "want": want, "got": got,
                   "note": "; the first is reported" if got > want else ""},
                  f"{r.res.id}/{r.res.performance_dir}", severity=Severity.INFO if got > want else None)


@kind("measurements_dir", "result")
def measurements_dir(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """measurements/<system>/<benchmark>/<scenario> exists for the result."""
    if r.measurements_rel is None:
        want = join(r.res.submitter_rel, "measurements", r.res.system, r.res.benchmark_dir, r.res.scenario_dir)
        others = [m for m in r.other_measurements if m != r.res.system]
        hint = f" (measurements/ holds {', '.join(others)} instead)" if others else ""
        yield Hit({"want": want, "hint": hint}, r.res.id)


@kind("code_dir", "result")
def code_dir(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """code/<benchmark>/<implementation> is present."""
    if not r.code_ok:
        want = join(r.res.submitter_rel, "code", r.res.benchmark_dir, "<implementation>")
        yield Hit({"want": want}, r.code_rel or r.res.id)


@kind("code_redirect", "result")
def code_redirect(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """code/<benchmark> is a file naming the folder the code is in, and that folder is followed."""
    if r.code_via is not None and r.code_rel is not None:
        yield Hit({"file": r.code_via, "folder": r.code_rel}, r.code_via)


@kind("known_absent", "result")
def known_absent(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Files the user declared absent from this copy (e.g. a size-limited mirror)."""
    for run in ([r.accuracy] if r.accuracy else []) + list(r.runs):
        for f in sorted(run.absent):
            yield Hit({"file": f"{run.rel}/{f}"}, f"{run.rel}/{f}")


KINDS = (submitter_parts, tree_paths, folder_known, folder_spelling, run_folder, required_files, run_naming,
         run_count, measurements_dir, code_dir, code_redirect, known_absent)
