"""The command line: a thin Typer layer. Each command parses options, calls the library, renders, exits.

Exit codes: 0 clean; 1 errors (or warnings with --strict); 2 usage error or not a submission;
3 internal error (a bug in mlcheck); 4 signature or content mismatch (verify).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from .errors import MlcheckError, UsageError

app = typer.Typer(
    name="mlcheck",
    help="Check MLPerf submissions, re-score their accuracy logs, and package signed results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Commands that live in their own modules; each module has register(app).
COMMAND_MODULES = ("checker.commands.rescore", "checker.commands.package", "checker.commands.report",
                   "checker.commands.review")


def parse_datasets(values: list[str]) -> dict[str, Path]:
    """NAME=PATH pairs from --dataset."""
    out: dict[str, Path] = {}
    for v in values:
        name, sep, path = v.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--dataset takes NAME=PATH, got '{v}'", "e.g. --dataset imagenet=val_map.txt")
        out[name.strip().lower()] = Path(path)
    return out


def parse_report_targets(values: list[str]) -> list[tuple[str, Path]]:
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


def resolve_format(fmt: str) -> str:
    if fmt == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" and _has_format("github") else "text"
    return fmt


def _has_format(name: str) -> bool:
    from .report import FORMATS

    return name in FORMATS


def write_output(text: str, output: Path | None) -> None:
    # file names that are not UTF-8 reach reports as lone surrogates; print them as \udcff escapes
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc


@app.command()
def validate(
    root: Annotated[Path, typer.Argument(help="The submission folder (holding closed/ or open/, or a training submitter).")],
    format: Annotated[str, typer.Option("--format", "-f", help="auto, text, json, or any registered format.")] = "auto",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")] = None,
    report: Annotated[list[str], typer.Option("--report", help="FORMAT=PATH; repeatable: write several formats from one run.")] = [],
    round: Annotated[str | None, typer.Option("--round", help="The rules round, e.g. v0.5 (auto-detected).")] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="inference or training (auto-detected).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="A rules YAML file to use instead of the shipped round.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the run too.")] = False,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", help="A file listing paths known to be absent from this copy.")] = None,
    dataset: Annotated[list[str], typer.Option("--dataset", help="NAME=PATH ground truth for re-scoring (imagenet, coco, wmt16).")] = [],
    select: Annotated[list[str], typer.Option("--select", help="Only rules whose id starts with this; repeatable.")] = [],
    ignore: Annotated[list[str], typer.Option("--ignore", help="Skip rules whose id starts with this; repeatable.")] = [],
    max_file_size: Annotated[int, typer.Option("--max-file-size", help="Largest file (bytes) read whole.")] = 64 * 1024 * 1024,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Processes for re-scoring (0: one per core).")] = 0,
    show_info: Annotated[bool, typer.Option("--show-info", help="Also print info-level notes in the text report.")] = False,
    audit_responses: Annotated[str, typer.Option("--audit-responses", help="TEST01 response comparison: off, small (logs under the rules' size cap) or all.")] = "small",
    changed_since: Annotated[str | None, typer.Option("--changed-since", help="Validate only the results whose files changed since this git ref (and what they depend on).")] = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", help="YAML list of {rule, path, justification}: matching findings are kept, marked waived, and do not fail the run.")] = None,
) -> None:
    """Validate a submission against its round's rules."""
    from .api import read_known_absent
    from .api import validate as run_validate
    from .changed import validate_changed
    from .options import ValidateOptions
    from .report import render
    from .report.github import write_step_summary
    from .report.text import render_text
    from .waivers import load_waivers

    opts = ValidateOptions(
        suite=suite, round=round, rules_file=rules,
        known_absent=read_known_absent(known_absent) if known_absent else frozenset(),
        datasets=parse_datasets(dataset), select=tuple(select), ignore=tuple(ignore),
        max_bytes=max_file_size, jobs=jobs, progress=progress_bar(),
        audit_responses=_audit_mode(audit_responses),
        waivers=tuple(load_waivers(waivers)) if waivers else (),
    )
    targets = parse_report_targets(report)
    fmt = resolve_format(format)
    check_formats([fmt, *(t for t, _ in targets)])
    if changed_since:
        result = validate_changed(root, changed_since, opts)
    else:
        result = run_validate(root, opts)
    for tfmt, tpath in targets:
        write_output(render(result, tfmt), tpath)
    text = render_text(result, show_info=show_info) if fmt == "text" else render(result, fmt)
    write_output(text, output)
    if "github" in (fmt, *(t for t, _ in targets)):
        write_step_summary(result)  # appends to $GITHUB_STEP_SUMMARY when GitHub Actions set it
    raise typer.Exit(result.exit_code(strict))


def check_formats(names: list[str]) -> None:
    """Refuse an unknown output format before the (possibly long) validation runs."""
    from .report import FORMATS

    for name in names:
        if name not in FORMATS:
            raise UsageError(f"unknown output format '{name}'", "Known formats: " + ", ".join(sorted(FORMATS)))


def _audit_mode(value: str) -> str:
    if value not in ("off", "small", "all"):
        raise UsageError(f"--audit-responses takes off, small or all, got '{value}'")
    return value


@app.command()
def version() -> None:
    """Print mlcheck's version."""
    typer.echo(f"mlcheck {__version__}")


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that command group is not part of this build
            raise
        module.register(app)


_register_commands()


def main() -> None:
    """Console entry point: one place turns mlcheck's own errors into messages and exit codes."""
    try:
        # without standalone mode Click returns the code of typer.Exit instead of exiting
        rv = app(standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except MlcheckError as exc:
        sys.stderr.write(f"mlcheck: error: {exc.message}\n")
        if exc.help:
            sys.stderr.write(f"  help: {exc.help}\n")
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("mlcheck: interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except BaseException as exc:
        # Click's (and Typer's vendored Click's) usage errors carry show() and an exit code
        show = getattr(exc, "show", None)
        code = getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(2 if code == 2 or type(exc).__name__.endswith(("UsageError", "Option", "Parameter",
                                                                    "Argument")) else code)
        if type(exc).__name__ == "Exit" and isinstance(code, int):
            sys.exit(code)
        sys.stderr.write(f"mlcheck: internal error: {type(exc).__name__}: {exc}\n"
                         "  help: this is a bug in mlcheck; please report it with the command you ran.\n")
        if os.environ.get("MLCHECK_DEBUG"):
            raise
        sys.exit(3)


if __name__ == "__main__":
    main()
