"""What the commands share: parsing NAME=PATH options, checking outputs and rule options before a run,
reading known-absent lists, writing reports, and the progress bar drawn on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import UsageError


def parse_datasets(values: list[str]) -> dict[str, Path]:
    """NAME=PATH pairs from --dataset (names are checked against the rules with check_dataset_options)."""
    out: dict[str, Path] = {}
    for v in values:
        name, sep, path = v.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--dataset takes NAME=PATH, got '{v}'", "e.g. --dataset imagenet=val_map.txt")
        out[name.strip().lower()] = Path(path)
    return out


def parse_report_targets(values: list[str]) -> list[tuple[str, Path]]:
    """FORMAT=PATH pairs from --report."""
    out = []
    for v in values:
        fmt, sep, path = v.partition("=")
        if not sep or not fmt or not path:
            raise UsageError(f"--report takes FORMAT=PATH, got '{v}'", "e.g. --report json=mlcheck.json")
        out.append((fmt, Path(path)))
    return out


def progress_bar() -> Callable[[str, int, int], None] | None:
    """A progress callback drawing a Rich bar on a terminal's stderr (None when stderr is not a terminal)."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    state: dict[str, Any] = {}

    def tick(what: str, done: int, total: int) -> None:
        if "bar" not in state:
            bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           console=Console(file=sys.stderr), transient=True)
            bar.start()
            state.update(bar=bar, task=bar.add_task(what, total=total))
        state["bar"].update(state["task"], completed=done)
        if done >= total:
            state.pop("bar").stop()

    return tick


def write_output(text: str, output: Path | None) -> None:
    """Write a rendered report to `output`, or stdout."""
    from ..report.outputs import write_text

    write_text(text, output)


def check_choice(option: str, value: str, choices: Iterable[str]) -> str:
    """Refuse a value that is not one of `choices`, listing them."""
    choices = list(choices)
    if value not in choices:
        raise UsageError(f"{option} takes {', '.join(choices[:-1])} or {choices[-1]}, got '{value}'")
    return value


def check_outputs(paths: Iterable[tuple[str, Path]], roots: Iterable[Path]) -> None:
    """Refuse, before the run, every output path inside a validated root or that cannot be written."""
    from ..report.outputs import check_output

    roots = list(roots)
    for label, path in paths:
        check_output(path, roots, label)


def load_known_absent(path: Path | None, root: Path | Iterable[Path]) -> frozenset[str]:
    """The --known-absent list, its paths made relative to ROOT (the tree root, a division or a submitter).

    A list is written relative to the top of a tree (closed/X/results/...). When ROOT is a division
    or submitter folder, the leading folders that ROOT itself is are dropped. A list none of whose
    paths lie under ROOT is almost certainly the wrong list, or relative to another folder: warned.
    """
    from ..api import read_known_absent
    from ..escape import visible

    if path is None:
        return frozenset()
    listed = read_known_absent(path)
    roots = [Path(root)] if isinstance(root, (str, Path)) else [Path(r) for r in root]
    out: set[str] = set()
    for r in roots:
        parts = r.resolve().parts
        under = 0
        for p in listed:
            pp = PurePosixPath(p).parts
            k = next((k for k in range(min(len(parts), len(pp) - 1), 0, -1) if tuple(parts[-k:]) == pp[:k]), 0)
            rel = PurePosixPath(*pp[k:]).as_posix() if pp else ""
            out.add(rel)
            if rel and (r / PurePosixPath(rel).parts[0]).exists():
                under += 1
        if listed and not under:
            example = visible(sorted(listed)[0])
            sys.stderr.write(f"mlcheck: warning: none of the {len(listed)} paths in --known-absent "
                             f"{visible(str(path))} lies under {visible(str(r))} (e.g. '{example}'); "
                             "the list is for another folder, so it changes nothing\n")
    return frozenset(out)
