"""Walk an inference submission tree into typed records, without reading any file's content.

Inference layout (v0.5 and later):
    <division>/<submitter>/{systems,measurements,results,code,<compliance folder>}
    results/<system>/<benchmark>/<scenario>/{accuracy, performance/run_N}

The validated root may be the folder holding the division folders, a division folder,
or one submitter folder; the records always carry paths relative to the validated root.
Which division and submitter-part names exist is the round's layout data. Symbolic links
are never followed; the ones met are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...errors import NotASubmission
from ...fs import Entry, list_dir

# Used only to recognise an inference tree before a round is chosen; the round's layout data
# (layout.divisions) decides from then on.
DIVISION_NAMES = ("closed", "open")


@dataclass(frozen=True)
class RunDir:
    """One performance run folder (or the accuracy folder)."""

    rel: str  # relative to the validated root
    name: str
    files: tuple[str, ...]
    dirs: tuple[str, ...] = ()  # folders inside it (a folder where a log should be is reported as such)


@dataclass(frozen=True)
class InferenceResult:
    """One results/<system>/<benchmark>/<scenario> folder and what surrounds it."""

    id: str  # relative path of the result folder
    division: str
    submitter: str
    system: str
    benchmark_dir: str
    scenario_dir: str
    submitter_rel: str  # relative path of the submitter folder
    files: tuple[str, ...]  # files directly in the result folder
    subdirs: tuple[str, ...]
    accuracy: RunDir | None
    performance_dir: str | None  # the name of the performance folder as found ('performance', 'Performance')
    runs: tuple[RunDir, ...]  # performance/run_N, or performance/ itself when it holds the logs directly
    runs_flat: bool = False  # logs directly in performance/ rather than in run_N


@dataclass(frozen=True)
class Submitter:
    rel: str
    division: str
    name: str
    parts: frozenset[str]  # the submitter parts present as real folders
    systems: dict[str, str]  # system name -> relative path of its JSON
    other_system_files: tuple[str, ...]


@dataclass(frozen=True)
class Skipped:
    """A path that is a link or a special file: never followed, always reported."""

    rel: str
    kind: str


@dataclass(frozen=True)
class InferenceTree:
    root: Path
    submitters: tuple[Submitter, ...]
    results: tuple[InferenceResult, ...]
    skipped: tuple[Skipped, ...]
    unreadable: tuple[tuple[str, str], ...]


@dataclass
class _Walk:
    """What the walk collects on its way (turned into the frozen tree at the end)."""

    root: Path
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    def rel(self, path: Path) -> str:
        r = path.relative_to(self.root).as_posix()
        return "" if r == "." else r

    def listing(self, path: Path) -> Entry:
        """List `path`, noting its links and special files and whether it could be read."""
        entry = list_dir(path)
        rel = self.rel(path)
        if entry.error:
            self.unreadable.append((rel, entry.error))
        for name, kind in entry.others:
            self.skipped.append(Skipped(join(rel, name), kind))
        return entry


def join(*parts: str) -> str:
    """A relative path from parts; an empty part (the root itself) adds nothing, so no leading '/'."""
    return "/".join(p for p in parts if p)


def locate_submitters(root: Path, divisions: tuple[str, ...] = DIVISION_NAMES) -> list[tuple[Path, str, str]]:
    """Find (submitter folder, division, submitter) under `root`, whatever level root is at."""
    if not root.exists():
        raise NotASubmission(f"{root} does not exist", "Give the folder that holds closed/ or open/.")
    if not root.is_dir():
        raise NotASubmission(
            f"{root} is not a folder",
            "mlcheck validate takes a submission folder (holding closed/ or open/), not a file.",
        )
    top = list_dir(root)
    if top.error:
        raise NotASubmission(f"{root} cannot be read: {top.error}")
    names = tuple(d.lower() for d in divisions)
    divs = [d for d in top.dirs if d.lower() in names]
    if divs:
        return [(root / d / s, d, s) for d in divs for s in list_dir(root / d).dirs]
    if root.name.lower() in names:
        return [(root / s, root.name, s) for s in top.dirs]
    if any(p in top.dirs for p in ("results", "systems")) and root.parent.name.lower() in names:
        return [(root, root.parent.name, root.name)]
    raise NotASubmission(
        f"{root} is not an MLPerf inference submission",
        "Expected closed/ or open/ division folders, each holding <submitter>/results, systems, "
        "measurements and code.",
    )


def discover_inference(root: Path, divisions: tuple[str, ...], parts: tuple[str, ...]) -> InferenceTree:
    """Enumerate every result folder of an inference submission tree."""
    walk = _Walk(root.resolve())
    submitters: list[Submitter] = []
    results: list[InferenceResult] = []
    for sub_path, division, name in locate_submitters(walk.root, divisions):
        sub_rel = walk.rel(sub_path)
        entry = walk.listing(sub_path)
        if entry.error:
            continue
        present = frozenset(p for p in parts if p in entry.dirs)
        systems: dict[str, str] = {}
        other: list[str] = []
        if "systems" in present:
            for f in walk.listing(sub_path / "systems").files:
                if f.lower().endswith(".json"):
                    systems[f[: -len(".json")]] = join(sub_rel, "systems", f)
                else:
                    other.append(join(sub_rel, "systems", f))
        submitters.append(Submitter(sub_rel, division, name, present, systems, tuple(other)))
        if "results" in present:
            results.extend(_walk_results(walk, sub_path / "results", sub_rel, division, name))
    return InferenceTree(walk.root, tuple(submitters), tuple(results), tuple(walk.skipped), tuple(walk.unreadable))


def _walk_results(walk: _Walk, results: Path, sub_rel: str, division: str,
                  submitter: str) -> list[InferenceResult]:
    out: list[InferenceResult] = []
    for system in walk.listing(results).dirs:
        for bench in walk.listing(results / system).dirs:
            for scenario in walk.listing(results / system / bench).dirs:
                out.append(_result(walk, results / system / bench / scenario, sub_rel, division, submitter,
                                   system, bench, scenario))
    return out


def _result(walk: _Walk, path: Path, sub_rel: str, division: str, submitter: str,
            system: str, bench: str, scenario: str) -> InferenceResult:
    rel = walk.rel(path)
    entry = walk.listing(path)
    accuracy = None
    acc_name = next((d for d in entry.dirs if d.lower() == "accuracy"), None)
    if acc_name:
        acc = walk.listing(path / acc_name)
        accuracy = RunDir(f"{rel}/{acc_name}", acc_name, tuple(acc.files), tuple(acc.dirs))
    perf_name = next((d for d in entry.dirs if d.lower() == "performance"), None)
    runs: list[RunDir] = []
    flat = False
    if perf_name:
        perf = walk.listing(path / perf_name)
        for d in perf.dirs:
            run = walk.listing(path / perf_name / d)
            runs.append(RunDir(f"{rel}/{perf_name}/{d}", d, tuple(run.files), tuple(run.dirs)))
        if not runs and any(f.startswith("mlperf_log_") for f in perf.files):
            runs.append(RunDir(f"{rel}/{perf_name}", perf_name, tuple(perf.files), ()))
            flat = True
    runs.sort(key=lambda r: _run_key(r.name))
    return InferenceResult(
        id=rel, division=division, submitter=submitter, system=system, benchmark_dir=bench,
        scenario_dir=scenario, submitter_rel=sub_rel, files=tuple(entry.files), subdirs=tuple(entry.dirs),
        accuracy=accuracy, performance_dir=perf_name, runs=tuple(runs), runs_flat=flat,
    )


def _run_key(name: str) -> tuple[int, str]:
    tail = name.rpartition("_")[2]
    return (int(tail), name) if tail.isdigit() else (1 << 30, name)
