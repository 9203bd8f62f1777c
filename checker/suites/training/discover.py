"""Walk a training submission tree into typed records, without reading any file's content.

v0.6 layout (and later rounds):
    <submitter>/{systems/<system>.json, benchmarks/<benchmark>/…, results/<system>/<benchmark>/result_*.txt}
v0.5 layout, as published (`v0.5.0/<org>/[<group>/]<submission>/`):
    <submission>/{submission.json, code/…, results/<entry>/entry.json, results/<entry>/<benchmark>/result_<i>.txt}

The validated root is one submitter (or submission) folder, or any folder above such folders
(a round root such as `v0.5.0/`, an org folder, a group folder). Result logs are every
`result_*.txt`, as the round's tools glob them; logs placed directly in `results/<system>/`
make a result whose benchmark the log names. Every other file under `results/` is listed,
so that it is reported, never silently skipped. Files known to be absent from this copy
(ValidateOptions.known_absent) still make up their result.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import NotASubmission
from ...fs import JUNK, list_dir

RESULT_GLOB = "result_*.txt"  # what the round's summarizer and package checker read
RESULT_NUMBERED = re.compile(r"^result_(\d+)\.txt$")
# Folders a submitter folder holds that never hold another submitter folder.
_NOT_SUBMITTERS = {"code", "benchmarks", "benchmark", "systems", "results", "src"}
_MAX_DEPTH = 4  # round root / org / group / submission


def is_result_file(name: str) -> bool:
    """A result log by the round tools' glob, result_*.txt."""
    return fnmatch.fnmatchcase(name, RESULT_GLOB)


def is_junk(name: str) -> bool:
    """Operating-system litter (.DS_Store, Thumbs.db) and hidden files such as .gitkeep."""
    return name in JUNK or name.startswith(".")


@dataclass(frozen=True)
class RunFile:
    """One result_*.txt: its path relative to the validated root, index (None when not result_<i>.txt), absent."""

    name: str
    rel: str
    index: int | None
    absent: bool = False


@dataclass
class TrainingEntry:
    """One results/<system>/<benchmark> folder (or results/<system> holding logs itself) and its run logs."""

    id: str  # relative path of the folder, e.g. NVIDIA/results/dgx1/gnmt
    submitter: str
    submitter_rel: str
    system: str
    benchmark_dir: str  # "" when the logs sit directly in results/<system>/
    runs: list[RunFile] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)  # other files of the folder, root-relative
    junk: list[str] = field(default_factory=list)  # .DS_Store, hidden files of the folder, root-relative

    @property
    def loose(self) -> bool:
        """The logs sit directly in results/<system>/, without a benchmark folder."""
        return self.benchmark_dir == ""


@dataclass
class TrainingSubmitter:
    """One submitter (v0.5: submission) folder and the parts it holds."""

    name: str
    rel: str  # "" when the validated root is the submitter folder
    parts: dict[str, bool] = field(default_factory=dict)
    submission_json: str | None = None  # v0.5-style submission.json, root-relative
    system_files: dict[str, str] = field(default_factory=dict)  # system -> systems/<system>.json
    entry_jsons: dict[str, str] = field(default_factory=dict)  # system -> results/<system>/entry.json
    result_systems: list[str] = field(default_factory=list)


@dataclass
class TrainingTree:
    """Everything discovery found: submitters, entries, paths it would not follow, files it will not read."""

    root: Path
    submitters: list[TrainingSubmitter] = field(default_factory=list)
    entries: list[TrainingEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rel, why)
    unread: list[tuple[str, bool]] = field(default_factory=list)  # (rel, is junk): files under results/ not read


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _is_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def has_training_results(folder: Path) -> bool:
    """True when folder/results/<system>/[<benchmark>/]result_*.txt exists (one submitter)."""
    results = folder / "results"
    if not _is_dir(results):
        return False
    for system in list_dir(results).dirs:
        sl = list_dir(results / system)
        if any(is_result_file(f) for f in sl.files):
            return True
        for bench in sl.dirs:
            if any(is_result_file(f) for f in list_dir(results / system / bench).files):
                return True
    return False


def _submitter_dirs(root: Path, depth: int = _MAX_DEPTH) -> list[tuple[Path, str, bool]]:
    """(folder, rel, has results/) of every submitter folder at or under root, not below another one."""
    if _is_dir(root / "results"):
        return [(root, "", True)]
    out: list[tuple[Path, str, bool]] = []
    if (root / "submission.json").is_file() or _is_dir(root / "systems"):
        return [(root, "", False)]
    if depth == 0:
        return out
    for d in list_dir(root).dirs:
        if d in JUNK or d.startswith(".") or d in _NOT_SUBMITTERS:
            continue
        for path, rel, full in _submitter_dirs(root / d, depth - 1):
            out.append((path, _join(d, rel), full))
    return out


def looks_like_training(root: Path) -> bool:
    """Positive detection: the root, or a folder under it (a round root, org or group folder), holds result logs."""
    return any(full and has_training_results(path) for path, _, full in _submitter_dirs(root))


def locate_training_submitters(root: Path, known_absent: frozenset[str] = frozenset()) -> list[tuple[Path, str]]:
    """(folder, rel) of each submitter: the root itself, or the folders under it that have results/."""
    if not root.is_dir():
        raise NotASubmission(f"{root} is not a folder", "Pass the submission folder.")
    found = _submitter_dirs(root)
    if len(found) == 1 and found[0][1] == "":
        return [(root, "")]
    rels = {rel for _, rel, _ in found}
    # a submitter whose results/ this copy lacks entirely, known only from the list of absent files
    for p in known_absent:
        if "/results/" in p:
            rel = p.split("/results/")[0]
            if rel not in rels and not any(rel.startswith(r + "/") for r in rels if r):
                found.append((root / rel, rel, True))
                rels.add(rel)
    if not any(full for _, _, full in found):
        raise NotASubmission(
            f"{root} holds no training submission (no results/<system>/<benchmark>/result_*.txt)",
            "Pass a submitter folder or the folder that holds submitter folders.",
        )
    # a folder with systems/ or submission.json but no results/ is kept: the layout rule reports it
    return sorted(((p, r) for p, r, _ in found), key=lambda x: x[1])


def _absent_for(known_absent: frozenset[str], rel: str, folder_name: str) -> list[str]:
    """Known-absent paths of one submitter, relative to that submitter folder.

    When the validated root is the submitter folder itself, a list written for the parent
    folder (paths starting with the submitter's name) matches too.
    """
    out = []
    for p in known_absent:
        if rel:
            if p.startswith(rel + "/"):
                out.append(p[len(rel) + 1:])
        elif p.startswith(folder_name + "/"):
            out.append(p[len(folder_name) + 1:])
        else:
            out.append(p)
    return out


def _run_file(name: str, rel: str, absent: bool = False) -> RunFile:
    m = RESULT_NUMBERED.match(name)
    return RunFile(name, rel, int(m.group(1)) if m else None, absent)


def _add_absent(entry: TrainingEntry, absent: list[str]) -> None:
    present = {r.name for r in entry.runs}
    for f in sorted(absent):
        if f not in present and is_result_file(f):
            entry.runs.append(_run_file(f, _join(entry.id, f), absent=True))


def _sort_runs(entry: TrainingEntry) -> None:
    entry.runs.sort(key=lambda r: (r.index if r.index is not None else 10**9, r.name))


def discover_training(root: Path, known_absent: frozenset[str] = frozenset()) -> TrainingTree:
    """Walk the tree: submitters, their system descriptions and result folders."""
    root = Path(root)
    tree = TrainingTree(root)
    for path, rel in locate_training_submitters(root, known_absent):
        name = path.name if rel else root.resolve().name
        sub = TrainingSubmitter(name, rel)
        listing = list_dir(path)
        for other, why in listing.others:
            tree.skipped.append((_join(rel, other), why))
        for part in ("systems", "results", "benchmarks", "code"):
            sub.parts[part] = part in listing.dirs
        if "submission.json" in listing.files:
            sub.submission_json = _join(rel, "submission.json")
        if sub.parts["systems"]:
            sl = list_dir(path / "systems")
            for f in sl.files:
                if f.endswith(".json"):
                    sub.system_files[f[:-5]] = _join(rel, "systems", f)
            for other, why in sl.others:
                tree.skipped.append((_join(rel, "systems", other), why))
        absent_by_entry: dict[tuple[str, str], list[str]] = {}
        for p in _absent_for(known_absent, rel, path.name):
            parts = p.split("/")
            if len(parts) == 4 and parts[0] == "results":
                absent_by_entry.setdefault((parts[1], parts[2]), []).append(parts[3])
            elif len(parts) == 3 and parts[0] == "results":
                absent_by_entry.setdefault((parts[1], ""), []).append(parts[2])
        systems = list_dir(path / "results") if sub.parts["results"] else None
        system_names = sorted(set(systems.dirs if systems else []) | {s for s, _ in absent_by_entry})
        for other, why in (systems.others if systems else []):
            tree.skipped.append((_join(rel, "results", other), why))
        for f in (systems.files if systems else []):
            tree.unread.append((_join(rel, "results", f), is_junk(f)))
        for system in system_names:
            if system in JUNK:
                continue
            sub.result_systems.append(system)
            sdir = path / "results" / system
            srel = _join(rel, "results", system)
            sl = list_dir(sdir)
            for other, why in sl.others:
                tree.skipped.append((_join(srel, other), why))
            loose = TrainingEntry(srel, name, rel, system, "")
            for f in sl.files:
                if f == "entry.json":
                    sub.entry_jsons[system] = _join(srel, f)
                elif is_result_file(f):
                    loose.runs.append(_run_file(f, _join(srel, f)))
                else:
                    tree.unread.append((_join(srel, f), is_junk(f)))
            _add_absent(loose, absent_by_entry.get((system, ""), []))
            if loose.runs:
                _sort_runs(loose)
                tree.entries.append(loose)
            benches = sorted(set(sl.dirs) | {b for s, b in absent_by_entry if s == system and b})
            for bench in benches:
                if bench in JUNK:
                    continue
                erel = _join(srel, bench)
                entry = TrainingEntry(erel, name, rel, system, bench)
                bl = list_dir(sdir / bench)
                for f in bl.files:
                    if is_result_file(f):
                        entry.runs.append(_run_file(f, _join(erel, f)))
                    elif is_junk(f):
                        entry.junk.append(_join(erel, f))
                    else:
                        entry.stray.append(_join(erel, f))
                for other, why in bl.others:
                    tree.skipped.append((_join(erel, other), why))
                for d in bl.dirs:
                    tree.unread.append((_join(erel, d) + "/", is_junk(d)))
                _add_absent(entry, absent_by_entry.get((system, bench), []))
                _sort_runs(entry)
                tree.entries.append(entry)
        tree.submitters.append(sub)
    tree.entries.sort(key=lambda e: e.id)
    return tree
