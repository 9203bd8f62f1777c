"""Walk a training submission tree into typed records, without reading any file's content.

v0.6 layout (and later rounds):
    <submitter>/{systems/<system>.json, benchmarks/<benchmark>/…, results/<system>/<benchmark>/result_<i>.txt}
v0.5-style variant:
    <submitter>/{submission.json, code/…, results/<entry>/entry.json, results/<entry>/<benchmark>/result_<i>.txt}

The validated root is one submitter folder or a folder holding several. Files known to be
absent from this copy (ValidateOptions.known_absent) still make up their result, so a
result whose every log is absent is reported rather than silently lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NotASubmission
from ..fs import JUNK, list_dir

RESULT_FILE = re.compile(r"^result_(\d+)\.txt$")


@dataclass(frozen=True)
class RunFile:
    """One result_<i>.txt: its path relative to the validated root, index, and whether it is known absent."""

    name: str
    rel: str
    index: int | None
    absent: bool = False


@dataclass
class TrainingEntry:
    """One results/<system>/<benchmark> folder and its run logs."""

    id: str  # relative path of the folder, e.g. NVIDIA/results/dgx1/gnmt
    submitter: str
    submitter_rel: str
    system: str
    benchmark_dir: str
    runs: list[RunFile] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)  # other files, root-relative


@dataclass
class TrainingSubmitter:
    """One submitter folder and the parts it holds."""

    name: str
    rel: str  # "" when the validated root is the submitter folder
    parts: dict[str, bool] = field(default_factory=dict)
    submission_json: str | None = None  # v0.5-style submission.json, root-relative
    system_files: dict[str, str] = field(default_factory=dict)  # system -> systems/<system>.json
    entry_jsons: dict[str, str] = field(default_factory=dict)  # system -> results/<system>/entry.json
    result_systems: list[str] = field(default_factory=list)


@dataclass
class TrainingTree:
    """Everything discovery found: submitters, entries, and paths it would not follow."""

    root: Path
    submitters: list[TrainingSubmitter] = field(default_factory=list)
    entries: list[TrainingEntry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rel, why)


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def has_training_results(folder: Path) -> bool:
    """True when folder/results/<system>/<benchmark>/result_*.txt exists (one submitter)."""
    results = folder / "results"
    if not results.is_dir() or results.is_symlink():
        return False
    for system in list_dir(results).dirs:
        for bench in list_dir(results / system).dirs:
            if any(RESULT_FILE.match(f) for f in list_dir(results / system / bench).files):
                return True
    return False


def looks_like_training(root: Path) -> bool:
    """Positive detection: the root, or a folder right under it, holds training result logs."""
    if has_training_results(root):
        return True
    return any(has_training_results(root / d) for d in list_dir(root).dirs if d not in JUNK)


def locate_training_submitters(root: Path, known_absent: frozenset[str] = frozenset()) -> list[tuple[Path, str]]:
    """(folder, rel) of each submitter: the root itself, or its sub-folders that have results/."""
    if not root.is_dir():
        raise NotASubmission(f"{root} is not a folder", "Pass the submission folder.")
    if (root / "results").is_dir() and not (root / "results").is_symlink():
        return [(root, "")]
    found: list[tuple[Path, str]] = []
    partial: list[tuple[Path, str]] = []
    absent_subs = {p.split("/")[0] for p in known_absent if "/results/" in p}
    for d in list_dir(root).dirs:
        if d in JUNK:
            continue
        if ((root / d / "results").is_dir() and not (root / d / "results").is_symlink()) or d in absent_subs:
            found.append((root / d, d))
        elif (root / d / "systems").is_dir() or (root / d / "submission.json").is_file():
            partial.append((root / d, d))  # a submitter folder without results/: reported by the layout rule
    if found:
        found = sorted(found + partial, key=lambda x: x[1])
    if not found:
        raise NotASubmission(
            f"{root} holds no training submission (no results/<system>/<benchmark>/result_*.txt)",
            "Pass a submitter folder or the folder that holds submitter folders.",
        )
    return found


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
        systems = list_dir(path / "results") if sub.parts["results"] else None
        system_names = sorted(set(systems.dirs if systems else []) | {s for s, _ in absent_by_entry})
        for other, why in (systems.others if systems else []):
            tree.skipped.append((_join(rel, "results", other), why))
        for system in system_names:
            if system in JUNK:
                continue
            sub.result_systems.append(system)
            sdir = path / "results" / system
            sl = list_dir(sdir)
            if "entry.json" in sl.files:
                sub.entry_jsons[system] = _join(rel, "results", system, "entry.json")
            benches = sorted(set(sl.dirs) | {b for s, b in absent_by_entry if s == system})
            for bench in benches:
                if bench in JUNK:
                    continue
                erel = _join(rel, "results", system, bench)
                entry = TrainingEntry(erel, name, rel, system, bench)
                bl = list_dir(sdir / bench)
                for f in bl.files:
                    m = RESULT_FILE.match(f)
                    if m:
                        entry.runs.append(RunFile(f, _join(erel, f), int(m.group(1))))
                    elif f not in JUNK and not f.startswith("."):
                        entry.stray.append(_join(erel, f))
                for other, why in bl.others:
                    tree.skipped.append((_join(erel, other), why))
                present = {r.name for r in entry.runs}
                for f in sorted(absent_by_entry.get((system, bench), [])):
                    if f not in present:
                        m = RESULT_FILE.match(f)
                        entry.runs.append(RunFile(f, _join(erel, f), int(m.group(1)) if m else None, absent=True))
                entry.runs.sort(key=lambda r: (r.index if r.index is not None else 10**9, r.name))
                tree.entries.append(entry)
        tree.submitters.append(sub)
    tree.entries.sort(key=lambda e: e.id)
    return tree
