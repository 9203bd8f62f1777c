"""Walk a submission tree into typed records, without reading any file's content.

Inference layout (v0.5 and later):
    <division>/<submitter>/{systems,measurements,results,code,audit}
    results/<system>/<benchmark>/<scenario>/{accuracy, performance/run_N}

The validated root may be the folder holding the division folders, a division folder,
or one submitter folder; the records always carry paths relative to the validated root.
Symbolic links are never followed; the ones met are reported.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NotASubmission

DIVISIONS = ("closed", "open")
SUBMITTER_PARTS = ("systems", "measurements", "results", "code", "audit")
# Files that belong to the operating system or editors, never to a submission.
JUNK = {".DS_Store", "Thumbs.db", "__MACOSX", ".git"}


@dataclass
class Entry:
    """A directory listing: regular files, folders and everything else (links, devices …)."""

    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    others: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    error: str | None = None


def list_dir(path: Path) -> Entry:
    """List a folder without following links; an unreadable folder gives an error, not an exception."""
    out = Entry()
    try:
        with os.scandir(path) as it:
            items = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        out.error = exc.strerror or str(exc)
        return out
    for e in items:
        try:
            st = e.stat(follow_symlinks=False)
        except OSError as exc:
            out.others.append((e.name, f"unreadable ({exc.strerror})"))
            continue
        if stat.S_ISLNK(st.st_mode):
            out.others.append((e.name, "symbolic link"))
        elif stat.S_ISDIR(st.st_mode):
            out.dirs.append(e.name)
        elif stat.S_ISREG(st.st_mode):
            out.files.append(e.name)
        else:
            out.others.append((e.name, "special file (FIFO, socket or device)"))
    return out


@dataclass
class RunDir:
    """One performance run folder (or the accuracy folder)."""

    rel: str  # relative to the validated root
    name: str
    files: list[str]


@dataclass
class InferenceResult:
    """One results/<system>/<benchmark>/<scenario> folder and what surrounds it."""

    id: str  # relative path of the result folder
    division: str
    submitter: str
    system: str
    benchmark_dir: str
    scenario_dir: str
    submitter_rel: str  # relative path of the submitter folder
    files: list[str]  # files directly in the result folder
    subdirs: list[str]
    accuracy: RunDir | None
    performance_dir: str | None  # the name of the performance folder as found ('performance', 'Performance')
    runs: list[RunDir]  # performance/run_N, or performance/ itself when it holds the logs directly
    runs_flat: bool = False  # logs directly in performance/ rather than in run_N


@dataclass
class Submitter:
    rel: str
    division: str
    name: str
    parts: dict[str, bool]
    systems: dict[str, str]  # system name -> relative path of its JSON
    other_system_files: list[str]


@dataclass
class Links:
    """Paths that are links or special files: never followed, always reported."""

    rel: str
    kind: str


@dataclass
class InferenceTree:
    root: Path
    submitters: list[Submitter]
    results: list[InferenceResult]
    skipped: list[Links]
    unreadable: list[tuple[str, str]]


def _rel(root: Path, path: Path) -> str:
    r = path.relative_to(root).as_posix()
    return "" if r == "." else r


def _join(*parts: str) -> str:
    """A relative path from parts; an empty part (the root itself) adds nothing, so no leading '/'."""
    return "/".join(p for p in parts if p)


def locate_submitters(root: Path) -> list[tuple[Path, str, str]]:
    """Find (submitter folder, division, submitter) under `root`, whatever level root is at."""
    if not root.exists():
        raise NotASubmission(f"{root} does not exist", "Give the folder that holds closed/ or open/.")
    if not root.is_dir():
        raise NotASubmission(
            f"{root} is not a folder",
            "mlcheck validate takes a submission folder (holding closed/ or open/), not a file.",
        )
    found: list[tuple[Path, str, str]] = []
    top = list_dir(root)
    if top.error:
        raise NotASubmission(f"{root} cannot be read: {top.error}")
    divs = [d for d in top.dirs if d.lower() in DIVISIONS]
    if divs:
        for d in divs:
            entry = list_dir(root / d)
            for s in entry.dirs:
                found.append((root / d / s, d, s))
        return found
    if root.name.lower() in DIVISIONS:
        for s in top.dirs:
            found.append((root / s, root.name, s))
        return found
    if any(p in top.dirs for p in ("results", "systems")) and root.parent.name.lower() in DIVISIONS:
        return [(root, root.parent.name, root.name)]
    raise NotASubmission(
        f"{root} is not an MLPerf inference submission",
        "Expected closed/ or open/ division folders, each holding <submitter>/results, systems, "
        "measurements and code.",
    )


def discover_inference(root: Path) -> InferenceTree:
    """Enumerate every result folder of an inference submission tree."""
    root = root.resolve()
    tree = InferenceTree(root=root, submitters=[], results=[], skipped=[], unreadable=[])
    for sub_path, division, submitter in locate_submitters(root):
        sub_rel = _rel(root, sub_path)
        entry = list_dir(sub_path)
        if entry.error:
            tree.unreadable.append((sub_rel, entry.error))
            continue
        for name, kind in entry.others:
            tree.skipped.append(Links(_join(sub_rel, name), kind))
        parts = {p: p in entry.dirs for p in SUBMITTER_PARTS}
        systems: dict[str, str] = {}
        other: list[str] = []
        if parts["systems"]:
            sys_entry = list_dir(sub_path / "systems")
            for name, kind in sys_entry.others:
                tree.skipped.append(Links(_join(sub_rel, "systems", name), kind))
            for f in sys_entry.files:
                if f.lower().endswith(".json"):
                    systems[f[: -len(".json")]] = _join(sub_rel, "systems", f)
                else:
                    other.append(_join(sub_rel, "systems", f))
        tree.submitters.append(Submitter(sub_rel, division, submitter, parts, systems, other))
        if parts["results"]:
            _walk_results(tree, sub_path / "results", sub_rel, division, submitter)
    return tree


def _walk_results(tree: InferenceTree, results: Path, sub_rel: str, division: str, submitter: str) -> None:
    root = tree.root
    sys_entry = list_dir(results)
    for name, kind in sys_entry.others:
        tree.skipped.append(Links(_rel(root, results / name), kind))
    for system in sys_entry.dirs:
        bench_entry = list_dir(results / system)
        if bench_entry.error:
            tree.unreadable.append((_rel(root, results / system), bench_entry.error))
            continue
        for name, kind in bench_entry.others:
            tree.skipped.append(Links(_rel(root, results / system / name), kind))
        for bench in bench_entry.dirs:
            sc_entry = list_dir(results / system / bench)
            if sc_entry.error:
                tree.unreadable.append((_rel(root, results / system / bench), sc_entry.error))
                continue
            for name, kind in sc_entry.others:
                tree.skipped.append(Links(_rel(root, results / system / bench / name), kind))
            for scenario in sc_entry.dirs:
                tree.results.append(
                    _result(tree, results / system / bench / scenario, sub_rel, division, submitter,
                            system, bench, scenario)
                )


def _result(tree: InferenceTree, path: Path, sub_rel: str, division: str, submitter: str,
            system: str, bench: str, scenario: str) -> InferenceResult:
    root = tree.root
    rel = _rel(root, path)
    entry = list_dir(path)
    if entry.error:
        tree.unreadable.append((rel, entry.error))
    for name, kind in entry.others:
        tree.skipped.append(Links(f"{rel}/{name}", kind))
    accuracy = None
    acc_name = next((d for d in entry.dirs if d.lower() == "accuracy"), None)
    if acc_name:
        acc = list_dir(path / acc_name)
        for name, kind in acc.others:
            tree.skipped.append(Links(f"{rel}/{acc_name}/{name}", kind))
        accuracy = RunDir(f"{rel}/{acc_name}", acc_name, acc.files)
    perf_name = next((d for d in entry.dirs if d.lower() == "performance"), None)
    runs: list[RunDir] = []
    flat = False
    if perf_name:
        perf = list_dir(path / perf_name)
        for name, kind in perf.others:
            tree.skipped.append(Links(f"{rel}/{perf_name}/{name}", kind))
        for d in perf.dirs:
            run = list_dir(path / perf_name / d)
            for name, kind in run.others:
                tree.skipped.append(Links(f"{rel}/{perf_name}/{d}/{name}", kind))
            runs.append(RunDir(f"{rel}/{perf_name}/{d}", d, run.files))
        if not runs and any(f.startswith("mlperf_log_") for f in perf.files):
            runs.append(RunDir(f"{rel}/{perf_name}", perf_name, perf.files))
            flat = True
    runs.sort(key=lambda r: _run_key(r.name))
    return InferenceResult(
        id=rel, division=division, submitter=submitter, system=system, benchmark_dir=bench,
        scenario_dir=scenario, submitter_rel=sub_rel, files=entry.files, subdirs=entry.dirs,
        accuracy=accuracy, performance_dir=perf_name, runs=runs, runs_flat=flat,
    )


def _run_key(name: str) -> tuple[int, str]:
    tail = name.rpartition("_")[2]
    return (int(tail), name) if tail.isdigit() else (1 << 30, name)
