"""CLI glue for `mlcheck rescore RESULT_OR_ROOT`: re-compute accuracy from the shipped accuracy logs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError


def register(app: typer.Typer) -> None:
    """Add the rescore command to the CLI."""
    app.command("rescore")(rescore_cmd)


CONFIG_MAX_BYTES = 1 << 20
CONFIG_HELP = "e.g.\ndatasets:\n  imagenet: data/val_map.txt\n  wmt16: data/newstest2014.de\njobs: 2"


def read_config(path: Path) -> dict[str, Any]:
    """A YAML config: `datasets: {imagenet: PATH, ...}`, optional `jobs`; paths relative to the file.

    Size, encoding and nesting are bounded; a value of the wrong type is a usage error naming the key.
    """
    from ..escape import visible
    from ..inputs import load_yaml, type_name

    where = f"config {visible(str(path))}"
    doc = load_yaml(path, "config", CONFIG_MAX_BYTES, UsageError)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise UsageError(f"{where} must be a mapping with a 'datasets' mapping, got {type_name(doc)}", CONFIG_HELP)
    unknown = sorted(visible(str(k)) for k in doc if k not in ("datasets", "jobs"))
    if unknown:
        raise UsageError(f"{where} has unknown keys: {', '.join(unknown)}", "Known: datasets, jobs.")
    raw_sets = doc.get("datasets") or {}
    if not isinstance(raw_sets, dict):
        raise UsageError(f"{where}: 'datasets' must be a mapping of NAME: PATH, got {type_name(raw_sets)}",
                         CONFIG_HELP)
    datasets: dict[str, Path] = {}
    for name, value in raw_sets.items():
        if not isinstance(name, str) or not name.strip():
            raise UsageError(f"{where}: datasets: every name must be a word, got {type_name(name)} "
                             f"({visible(str(name))})", CONFIG_HELP)
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"{where}: 'datasets.{visible(name)}' must be a path, got {type_name(value)}",
                             CONFIG_HELP)
        datasets[name.strip().lower()] = path.parent / value
    jobs = doc.get("jobs", 0)
    # bool is an int in Python; `jobs: yes` is not a number of processes
    if isinstance(jobs, bool) or not isinstance(jobs, int) or not 0 <= jobs <= 4096:
        shown = visible(str(jobs)) if isinstance(jobs, (str, int, float)) else type_name(jobs)
        raise UsageError(f"{where}: 'jobs' must be a whole number of processes (0: one per core), got {shown}",
                         CONFIG_HELP)
    return {"datasets": datasets, "jobs": jobs}


def find_root(target: Path) -> tuple[Path, str | None]:
    """(submission root holding closed/ or open/, the target's path relative to it or None for the root)."""
    target = target.resolve()
    for cand in (target, *target.parents):
        if any((cand / d).is_dir() for d in ("closed", "open")):
            rel = target.relative_to(cand).as_posix()
            return cand, (rel if rel != "." else None)
    raise UsageError(f"{target} is not inside a submission tree (no closed/ or open/ above it)",
                     "Give a result folder (…/results/<system>/<benchmark>/<scenario>) or the submission root.")


def rescore_cmd(
    target: Annotated[Path, typer.Argument(help="A result folder, or a submission root to re-score every result.")],
    dataset: Annotated[list[str], typer.Option("--dataset", help="NAME=PATH ground truth: imagenet, coco, wmt16; "
                                               "originals=DIR for untruncated logs.")] = [],
    config: Annotated[Path | None, typer.Option("--config", help="YAML file giving datasets (and jobs).")] = None,
    original_log: Annotated[Path | None, typer.Option("--original-log", help="The untruncated accuracy log of "
                                                         "a single result (checked against accuracy.txt's hash).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Processes (0: one per core).")] = 0,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", help="Paths known absent from this copy.")] = None,
) -> None:
    """Re-score accuracy logs with real evaluators and compare with accuracy.txt."""
    from ..api import read_known_absent, validate
    from ..cli import parse_datasets, progress_bar
    from ..options import ValidateOptions

    if format not in ("text", "json"):
        raise UsageError(f"unknown format '{format}'", "Use --format text or --format json.")
    datasets: dict[str, Path] = {}
    if config is not None:
        cfg = read_config(config)
        datasets.update(cfg["datasets"])
        jobs = jobs or cfg["jobs"]
    datasets.update(parse_datasets(dataset))
    if original_log is not None:
        datasets["originals"] = original_log
    if not any(k != "originals" for k in datasets):
        raise UsageError("no ground truth given", "Pass --dataset imagenet=val_map.txt (or coco=, wmt16=), or --config.")
    root, rel = find_root(target)
    opts = ValidateOptions(known_absent=read_known_absent(known_absent) if known_absent else frozenset(),
                           datasets=datasets, jobs=jobs, progress=progress_bar(),
                           select=("inf.rescore", "inf.accuracy"))
    if rel is not None:
        from ..suites.inference.discover import DIVISION_NAMES, discover_inference

        tree = discover_inference(root, DIVISION_NAMES, ("results",))
        ids = {r.id for r in tree.results if r.id == rel or r.id.startswith(rel + "/")}
        if not ids:
            raise UsageError(f"{target} holds no inference result")
        if original_log is not None and len(ids) != 1:
            raise UsageError("--original-log needs a single result folder")
        opts = dataclasses.replace(opts, only_results=frozenset(ids))
    elif original_log is not None:
        raise UsageError("--original-log needs a single result folder")
    report = validate(root, opts)
    rows: list[dict[str, Any]] = []
    for r in report.results:
        acc = r.accuracy
        rows.append({"result": r.id, "metric": acc.metric if acc else None,
                     "reported": acc.reported if acc else None, "rescored": acc.rescored if acc else None,
                     "findings": [f.to_dict() for f in report.findings_for(r.id)
                                  if f.rule.startswith(("inf.rescore", "inf.accuracy"))]})
    if format == "json":
        typer.echo(json.dumps({"root": str(root), "results": rows, "summary": report.summary}, indent=2))
    else:
        for row in rows:
            resc = "—" if row["rescored"] is None else f"{row['rescored']:.3f}"
            typer.echo(f"{row['result']}: {row['metric']} reported {row['reported']}, re-scored {resc}")
            for f in row["findings"]:
                typer.echo(f"  {f['severity']:7} {f['rule']}: {f['message']}")
    raise typer.Exit(report.exit_code())
