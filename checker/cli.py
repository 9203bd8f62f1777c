"""The command line: a thin Typer layer. Each command parses options, calls the library, renders, exits.

Exit codes: 0 clean; 1 errors (or warnings with --strict); 2 usage error or not a submission;
3 internal error (a bug in mlcheck); 4 signature or content mismatch (verify).

Options are checked before a run, so that none fails silently after minutes of validation: an
unknown format, a --select prefix that matches no rule, an unknown --dataset name or a ground
truth that cannot be its data set, an output path inside the submission or not writable.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from . import __version__
from .commands.common import (
    check_choice,
    check_outputs,
    load_known_absent,
    parse_datasets,
    parse_report_targets,
    progress_bar,
    write_output,
)
from .errors import MlcheckError, UsageError

if TYPE_CHECKING:
    from .rescore.jobs import Workers

EXIT_CODES = ("Exit codes: 0 no errors; 1 errors, or warnings with --strict; 2 usage error, not a "
              "submission, or an output path refused (checked before the run); 3 internal error (a bug "
              "in mlcheck).")


# ------------------------------------------------------------------------------ help

def _metavar(p: Any) -> str:
    """The option's metavar, else a word for its value: PATH for paths, N for integers, else its name."""
    if p.metavar:
        return str(p.metavar)
    desc = getattr(p, "type_descriptor", None)  # newer Typer; older ones carry a Click type
    ptype = getattr(p, "type", None)
    if getattr(desc, "is_path", False) or "Path" in type(ptype).__name__:
        return "PATH"
    if getattr(desc, "annotation", None) is int or getattr(ptype, "name", "") == "integer":
        return "N"
    return (p.name or "value").upper().replace("_", "-")


def _param_name(p: Any) -> str:
    name = p.metavar or (p.name or "").upper()
    return name if p.nargs == 1 or name.endswith("...") else name + "..."


def _default_text(p: Any) -> str:
    d = p.default
    if d is None or d is False or d == [] or d == () or callable(d) or p.is_flag:
        return ""
    return f"  [default: {d}]"


class _Help:
    """Help in words: usage with ROOT and FORMAT, options with their metavars, no Python type names."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = ["[OPTIONS]"]
        for p in self.params:  # type: ignore[attr-defined]
            if isinstance(p, TyperArgument):
                name = _param_name(p)
                pieces.append(name if p.required or name.startswith("[") else f"[{name}]")
        return pieces

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.format_usage(ctx, formatter)  # type: ignore[attr-defined]
        text = inspect.cleandoc(getattr(self, "help", None) or "")
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)
        params = [p for p in self.get_params(ctx) if not getattr(p, "hidden", False)]  # type: ignore[attr-defined]
        args = [(_param_name(p).strip("[]"), p.help or "") for p in params if isinstance(p, TyperArgument)]
        opts = []
        for p in params:
            if not isinstance(p, TyperOption):
                continue
            short = [o for o in p.opts if not o.startswith("--")]
            long = [o for o in p.opts if o.startswith("--")]
            first = ", ".join(short + long) if short else "    " + ", ".join(long)
            if not p.is_flag and not getattr(p, "count", False):
                first += f" {_metavar(p)}"
            extra = " (required)" if p.required else ""
            extra += " (repeatable)" if getattr(p, "multiple", False) else ""
            opts.append((first, (p.help or "") + extra + _default_text(p)))
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)
        self.format_commands_list(ctx, formatter)
        epilog = getattr(self, "epilog", None)
        if epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(inspect.cleandoc(epilog))

    def format_commands_list(self, ctx: Any, formatter: Any) -> None:
        """Groups list their commands; commands have none."""


class MlcheckCommand(_Help, TyperCommand):
    """A command whose help names values as words (ROOT, FORMAT, PATH)."""


class MlcheckGroup(_Help, TyperGroup):
    """The mlcheck group: -h/--help, --version, and the commands with their one-line help."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return ["[OPTIONS]", "COMMAND", "[ARGS]..."]

    def format_commands_list(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not getattr(cmd, "hidden", False):
                rows.append((name, cmd.get_short_help_str(limit=300)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    name="mlcheck",
    help="Check MLPerf submissions, re-score their accuracy logs, and package signed results.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=MlcheckGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"mlcheck {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main_options(
    version: Annotated[bool, typer.Option("--version", "-V", help="Print mlcheck's version and exit.",
                                          is_eager=True, callback=_print_version)] = False,
) -> None:
    """Check MLPerf submissions, re-score their accuracy logs, and package signed results."""


# Commands that live in their own modules; each module has register(app).
COMMAND_MODULES = ("checker.commands.rescore", "checker.commands.package", "checker.commands.report",
                   "checker.commands.review", "checker.commands.rules")


# ------------------------------------------------------------------------------ option parsing


def resolve_format(fmt: str) -> str:
    """auto: github under GitHub Actions, text otherwise."""
    if fmt == "auto":
        return "github" if os.environ.get("GITHUB_ACTIONS") == "true" and _has_format("github") else "text"
    return fmt


def _has_format(name: str) -> bool:
    from .report import FORMATS

    return name in FORMATS


def format_names() -> str:
    """Every output format of validate, for its --format help."""
    from .report import FORMATS

    return ", ".join(["auto", *FORMATS])


def check_formats(names: list[str]) -> None:
    """Refuse an unknown output format before the (possibly long) validation runs."""
    from .report import FORMATS

    for name in names:
        if name not in FORMATS:
            raise UsageError(f"unknown output format '{name}'", "Known formats: " + ", ".join(sorted(FORMATS)))


def _audit_mode(value: str) -> str:
    return check_choice("--audit-responses", value, ("off", "small", "all"))


def step_summary_target(formats: Iterable[str]) -> list[tuple[str, Path]]:
    """$GITHUB_STEP_SUMMARY as an output, when a github report is written and Actions set it."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    return [("$GITHUB_STEP_SUMMARY", Path(target))] if target and "github" in formats else []


# ------------------------------------------------------------------------------ validate

@app.command(epilog=EXIT_CODES)
def validate(
    root: Annotated[Path, typer.Argument(metavar="ROOT", help="The submission folder: the one holding closed/ and "
                                         "open/, a division folder or a submitter folder; for training, a "
                                         "submitter folder or a folder of them.")],
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="One of: " + format_names()
                                        + " (auto: github under GitHub Actions, else text).")] = "auto",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH", help="Write the report here "
                                                "instead of stdout (never inside ROOT).")] = None,
    report: Annotated[list[str], typer.Option("--report", metavar="FORMAT=PATH", help="Also write a report in "
                                              "FORMAT to PATH.")] = [],
    round: Annotated[str | None, typer.Option("--round", metavar="ROUND", help="The rules round, e.g. v0.5 "
                                              "(detected from the tree).")] = None,
    suite: Annotated[str | None, typer.Option("--suite", metavar="SUITE", help="inference or training "
                                              "(detected from the tree).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", metavar="PATH", help="A rules YAML file to use instead "
                                               "of the shipped round.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the run too.")] = False,
    show: Annotated[str | None, typer.Option("--show", metavar="LEVEL", help="Findings the text report lists: "
                                             "errors, warnings (and errors) or all (notes and waived too); "
                                             "default: what fails the run (errors; with --strict, warnings). "
                                             "Every rule is counted in the tally either way.")] = None,
    show_info: Annotated[bool, typer.Option("--show-info", hidden=True, help="Same as --show all.")] = False,
    color: Annotated[str, typer.Option("--color", metavar="WHEN", help="auto (on a terminal, unless NO_COLOR; "
                                       "FORCE_COLOR forces), always or never.")] = "auto",
    known_absent: Annotated[Path | None, typer.Option("--known-absent", metavar="PATH", help="A file listing "
                                                      "paths known to be absent from this copy, relative to the "
                                                      "tree's top folder or to ROOT.")] = None,
    dataset: Annotated[list[str], typer.Option("--dataset", metavar="NAME=PATH", help="Ground truth for "
                                               "re-scoring: imagenet, coco or wmt16.")] = [],
    select: Annotated[list[str], typer.Option("--select", metavar="PREFIX", help="Only rules whose id starts "
                                              "with PREFIX (`mlcheck rules` lists them).")] = [],
    ignore: Annotated[list[str], typer.Option("--ignore", metavar="PREFIX", help="Skip rules whose id starts "
                                              "with PREFIX.")] = [],
    max_file_size: Annotated[int, typer.Option("--max-file-size", metavar="BYTES", help="Largest file read "
                                               "whole.")] = 64 * 1024 * 1024,
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N", help="Processes for re-scoring "
                                      "(0: one per core).")] = 0,
    audit_responses: Annotated[str, typer.Option("--audit-responses", metavar="MODE", help="TEST01 response "
                                                 "comparison: off, small (logs under the rules' size cap) or "
                                                 "all.")] = "small",
    changed_since: Annotated[str | None, typer.Option("--changed-since", metavar="REF", help="Validate only "
                                                      "the results whose files changed since this git ref (and "
                                                      "what they depend on).")] = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", metavar="PATH", help="YAML list of {rule, path, "
                                                 "justification}: matching findings are kept, marked waived, "
                                                 "and do not fail the run.")] = None,
) -> None:
    """Validate a submission against its round's rules."""
    targets = parse_report_targets(report)
    fmt = resolve_format(format)
    formats = [fmt, *(t for t, _ in targets)]
    check_formats(formats)
    if show is not None:
        from .report.text import SHOW

        check_choice("--show", show, SHOW)
    check_choice("--color", color, ("auto", "always", "never"))
    datasets = parse_datasets(dataset)
    outputs = [("--output", output)] if output is not None else []
    outputs += [(f"--report {t}", p) for t, p in targets] + step_summary_target(formats)
    check_outputs(outputs, [root])
    # before the rules and the tree are read (--changed-since validates through its own runs)
    workers = _inference_workers(root, suite, 1 if changed_since else jobs)
    try:
        from .api import validate as run_validate
        from .changed import validate_changed
        from .commands.rules import check_rule_options
        from .engine.rules import RulesFiles
        from .options import ValidateOptions
        from .report import render
        from .waivers import load_waivers

        files = RulesFiles()  # the rules files this run reads, parsed once for the checks and the run
        check_rule_options(root, suite, round, rules, select, ignore, datasets, files)
        opts = ValidateOptions(
            suite=suite, round=round, rules_file=rules,
            known_absent=load_known_absent(known_absent, root),
            datasets=datasets, select=tuple(select), ignore=tuple(ignore),
            max_bytes=max_file_size, jobs=jobs, progress=progress_bar(),
            audit_responses=_audit_mode(audit_responses),
            waivers=tuple(load_waivers(waivers)) if waivers else (),
        )
        if changed_since:
            result = validate_changed(root, changed_since, opts)
        else:
            result = run_validate(root, opts, files, workers)
        level = show or ("all" if show_info else None)
        for tfmt, tpath in targets:
            # a text report in a file: a fixed, readable width and no colour
            write_output(render(result, tfmt, strict, width=100, color=False, show=level), tpath)
        if fmt == "text" and output is None:
            from .report.text import color_wanted, terminal_width

            text = render(result, fmt, strict, width=terminal_width(), color=color_wanted(None, color), show=level)
        else:
            text = render(result, fmt, strict, width=100, color=color == "always", show=level)
        write_output(text, output)
        if "github" in formats:
            from .report.github import write_step_summary

            write_step_summary(result, strict=strict)  # appends to $GITHUB_STEP_SUMMARY when Actions set it
        if output is not None and sys.stderr.isatty():
            from .report.text import verdict_text

            sys.stderr.write(verdict_text(result, strict) + f" (report: {output})\n")
        raise typer.Exit(result.exit_code(strict))
    finally:
        workers.close()


def _inference_workers(root: Path, suite: str | None, jobs: int) -> Workers:
    """An inference validation's worker processes, started before the rules and the tree are read, so that
    they import the accuracy-log reader meanwhile (~0.05 s); none for another suite or one worker."""
    from .rescore.jobs import Workers, workers_for
    from .suites.inference.discover import locate_submitters

    if suite not in (None, "inference") or workers_for(jobs) <= 1:
        return Workers(1)
    try:
        locate_submitters(root)
    except (MlcheckError, OSError):  # not an inference tree (the run says why)
        return Workers(1)
    return Workers(workers_for(jobs))


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
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = MlcheckCommand


_register_commands()


def _own_file(exc: BaseException) -> str | None:
    """The path of an OSError inside mlcheck's own package or data folders (rules, schemas, modules)."""
    from .resources import is_own_path

    name = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
    return name if isinstance(name, str) and is_own_path(name) else None


def _command_name(info: Any) -> str:
    """The name a registered command is invoked by (Typer's own rule when none was given)."""
    return str(info.name or typer.main.get_command_name(info.callback.__name__))


def main() -> None:
    """Console entry point: one place turns mlcheck's own errors into messages and exit codes."""
    from .escape import visible

    # The command spreads its work over processes and never calls BLAS. numpy's OpenBLAS starts a thread
    # per core when numpy is imported, and that thread spins for a while, taking a core from the worker
    # processes (~0.1 s of CPU per validation of the v0.5 corpus). So the command runs BLAS on one
    # thread unless the user set otherwise (numpy is imported later than this, by the commands that
    # need it); the library leaves the setting alone.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    every = app.registered_commands
    # Typer builds the options of every registered command at each start (~0.03 s for mlcheck's ten, most
    # of it evaluating their annotations): a run that names its command first gets that command alone.
    # Without one (help, --version, a mistyped name) the group has them all, to list or suggest.
    named = sys.argv[1] if len(sys.argv) > 1 else ""
    app.registered_commands = [c for c in every if _command_name(c) == named] or every
    try:
        # without standalone mode Click returns the code of typer.Exit instead of exiting
        rv = app(prog_name="mlcheck", standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except MlcheckError as exc:
        # a message may quote a name from the submission: one line, nothing a terminal would run
        sys.stderr.write(f"mlcheck: error: {visible(exc.message)}\n")
        if exc.help:  # mlcheck's own words, on several lines where it says so
            sys.stderr.write("  help: " + "\n".join(visible(line) for line in exc.help.split("\n")) + "\n")
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
        own = _own_file(exc)
        if own is not None:  # mlcheck's installation, not the tree, is unreadable: no bug to report
            sys.stderr.write(f"mlcheck: error: cannot read its own file {visible(own)} "
                             f"({visible(getattr(exc, 'strerror', None) or exc)})\n"
                             "  help: mlcheck's installation is not readable by this user; install it where "
                             "the user can read it.\n")
            sys.exit(2)
        sys.stderr.write(f"mlcheck: internal error: {type(exc).__name__}: {visible(exc)}\n"
                         "  help: this is a bug in mlcheck; please report it with the command you ran.\n")
        if os.environ.get("MLCHECK_DEBUG"):
            raise
        sys.exit(3)
    finally:
        app.registered_commands = every


def run() -> None:
    """The installed command: main(), then, once stdout and stderr are flushed, the process ends without
    the interpreter's teardown (freeing a large tree's facts object by object costs ~0.07 s of a
    validation and does nothing for a finished command; every file and worker pool is closed by then).
    In-process callers (the tests) use main(), which raises SystemExit as usual."""
    try:
        main()
        code: str | int | None = 0
    except SystemExit as exc:
        code = exc.code
    if not isinstance(code, int):  # sys.exit(None) or sys.exit("message"): the interpreter's own way
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: let the interpreter report and exit as it does
        sys.exit(code)
    os._exit(code & 0xFF)


if __name__ == "__main__":
    run()
