"""CLI glue for `mlcheck rescore RESULT_OR_ROOT`: re-compute accuracy from the shipped accuracy logs."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from ..findings import Finding, ResultRecord, Severity


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


RESCORE_RULES = ("inf.rescore", "inf.accuracy")
# also run, so that a result left un-scored can say why (they do not change the exit code)
WHY_RULES = ("inf.layout.known-absent", "inf.layout.accuracy-files")


def why_not_rescored(r: ResultRecord, findings: list[Finding]) -> str:
    """Why a result has no re-scored accuracy, from its findings."""
    if r.accuracy is None:
        return "no accuracy record (accuracy/ or accuracy.txt is missing)"
    for f in findings:
        if f.rule == "inf.layout.known-absent" and f.path.endswith("mlperf_log_accuracy.json"):
            return "accuracy log absent from this copy (--known-absent)"
    for f in findings:
        if f.rule.startswith("inf.rescore.") and f.severity is Severity.ERROR:
            return f"could not be re-scored ({f.rule}): {f.message}"
    for f in findings:
        if f.rule == "inf.accuracy.rescore-skipped":
            return f.message.removeprefix("re-scoring skipped: ")
        if f.rule == "inf.rescore.truncated":
            return "the accuracy log is truncated (re-scoring needs the original: --dataset originals=DIR)"
    for f in findings:
        if f.rule == "inf.layout.accuracy-files" and "mlperf_log_accuracy.json" in f.message:
            return "no accuracy log (mlperf_log_accuracy.json) in accuracy/"
    return "not re-scored (no finding says why)"


def summary_line(rows: list[dict[str, Any]]) -> str:
    """re-scored N of M results: a matched, b differed; c skipped: reasons with counts."""
    scored = [r for r in rows if r["rescored"] is not None]
    differed = sum(1 for r in scored if r["differs"])
    skipped = Counter(r["why"] for r in rows if r["rescored"] is None)
    line = (f"re-scored {len(scored)} of {len(rows)} result{'s' if len(rows) != 1 else ''}: "
            f"{len(scored) - differed} matched accuracy.txt, {differed} differed")
    if skipped:
        line += f"; {sum(skipped.values())} skipped: " + "; ".join(
            f"{n} {why}" for why, n in sorted(skipped.items(), key=lambda x: (-x[1], x[0])))
    return line


def rescore_cmd(
    target: Annotated[Path, typer.Argument(metavar="TARGET", help="A result folder, or a submission root to "
                                           "re-score every result.")],
    dataset: Annotated[list[str], typer.Option("--dataset", metavar="NAME=PATH", help="Ground truth: imagenet, "
                                               "coco, wmt16; originals=DIR for untruncated logs.")] = [],
    config: Annotated[Path | None, typer.Option("--config", metavar="PATH", help="YAML file giving datasets "
                                                "(and jobs).")] = None,
    original_log: Annotated[Path | None, typer.Option("--original-log", metavar="PATH", help="The untruncated "
                                                      "accuracy log of a single result (checked against "
                                                      "accuracy.txt's hash).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")] = "text",
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N", help="Processes (0: one per core).")] = 0,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", metavar="PATH", help="Paths known "
                                                      "absent from this copy.")] = None,
) -> None:
    """Re-score accuracy logs with real evaluators and compare with accuracy.txt."""
    from ..api import rescore
    from ..escape import visible
    from ..options import ValidateOptions
    from .common import load_known_absent, parse_datasets, progress_bar
    from .rules import check_rule_options

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
    from ..engine.rules import RulesFiles

    files = RulesFiles()  # parsed once for the option checks and the run
    check_rule_options(root, "inference", None, None, (), (), datasets, files)
    opts = ValidateOptions(known_absent=load_known_absent(known_absent, root),
                           datasets=datasets, jobs=jobs, progress=progress_bar(),
                           select=RESCORE_RULES + WHY_RULES)
    if rel is not None:
        from ..suites.inference.discover import DIVISION_NAMES, discover_inference

        tree = discover_inference(root, DIVISION_NAMES, ("results",))
        ids = {r.id for r in tree.results if r.id == rel or r.id.startswith(rel + "/")}
        if not ids:
            raise UsageError(f"{visible(str(target))} holds no inference result")
        if original_log is not None and len(ids) != 1:
            raise UsageError("--original-log needs a single result folder")
        opts = dataclasses.replace(opts, only_results=frozenset(ids))
    elif original_log is not None:
        raise UsageError("--original-log needs a single result folder")
    report = rescore(root, opts, files)
    rows: list[dict[str, Any]] = []
    for r in report.results:
        acc = r.accuracy
        mine = report.findings_for(r.id)
        rows.append({"result": r.id, "metric": acc.metric if acc else None,
                     "reported": acc.reported if acc else None, "rescored": acc.rescored if acc else None,
                     "differs": any(f.rule == "inf.rescore.mismatch" for f in mine),
                     "why": None if acc is not None and acc.rescored is not None else why_not_rescored(r, mine),
                     "findings": [f.to_dict() for f in mine if f.rule.startswith(RESCORE_RULES)]})
    # the exit code is re-scoring's own: layout findings only explain a skipped result
    code = 1 if any(f.severity is Severity.ERROR and f.waived is None and f.rule.startswith(RESCORE_RULES)
                    for f in report.findings) else 0
    if format == "json":
        typer.echo(json.dumps({"root": str(root), "results": rows, "summary": report.summary,
                               "rescore_summary": summary_line(rows)}, indent=2))
        raise typer.Exit(code)
    for row in rows:
        if row["rescored"] is None:
            resc = f"— {row['why']}"
        else:
            resc = f"{row['rescored']:.3f}" + (" (differs)" if row["differs"] else " (matches)")
        reported = "nothing" if row["reported"] is None else row["reported"]
        typer.echo(visible(f"{row['result']}: {row['metric']} reported {reported}, re-scored {resc}"))
        for f in row["findings"]:
            # the method note and the skip note are said on the result's line already
            if f["rule"] in ("inf.rescore.method", "inf.accuracy.rescore-skipped"):
                continue
            typer.echo(visible(f"  {f['severity']:7} {f['rule']}: {f['message']}"))
    typer.echo(summary_line(rows))
    raise typer.Exit(code)
