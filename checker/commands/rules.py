"""`mlcheck rules [PREFIX]`: the rule ids of a round with severity, a one-line description and the source.

Also the checks the other commands make against the rule catalogue before a run: --select and
--ignore prefixes must match a rule id ("did you mean"), and --dataset names and files must fit
the data sets the round's benchmarks use.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from ..engine.rules import Ruleset, RulesFiles, available_rounds
from ..errors import RulesetError, UsageError

SUITES = ("inference", "training")
PREFIXES = {"inf": "inference", "train": "training"}
ORIGINALS = "originals"  # --dataset originals=DIR: the untruncated accuracy logs (re-scoring)


def register(app: typer.Typer) -> None:
    """Add the rules command to the CLI."""
    app.command("rules")(rules_cmd)


def load_ruleset(suite: str, round_name: str, rules_file: Path | None = None,
                 files: RulesFiles | None = None) -> Ruleset:
    """A suite's ruleset (typed params and round model)."""
    from ..api import load_suite_ruleset, suite_of

    return load_suite_ruleset(suite_of(suite), round_name, rules_file, files)


def _base_rounds(suite: str) -> list[str]:
    """The shipped rounds of a suite, oldest first (variants such as v0.5-sample after their base)."""
    def key(name: str) -> tuple[tuple[int, ...], str]:
        nums = tuple(int(x) for x in re.findall(r"\d+", name.split("-")[0]))
        return nums, name

    return sorted(available_rounds(suite), key=key)


def load_rulesets(suite: str | None = None, round: str | None = None,
                  rules_file: Path | None = None, files: RulesFiles | None = None) -> list[Ruleset]:
    """The rulesets a run may use: the --rules file, the --round of the suite(s), or every shipped round."""
    suites = [suite] if suite else list(SUITES)
    out: list[Ruleset] = []
    failed: RulesetError | None = None
    for s in suites:
        if rules_file is not None:
            try:
                out.append(load_ruleset(s, round or "custom", rules_file, files))
            except RulesetError as exc:
                if suite:
                    raise  # the suite was named: its file must be for it
                failed = failed or exc  # the first suite tried says why (inference, then training)
            continue
        rounds = _base_rounds(s)
        if round is not None:
            rounds = [r for r in rounds if r == round]
        out.extend(load_ruleset(s, r, files=files) for r in rounds)
    if not out and rules_file is not None and failed is not None:
        raise failed  # the file is for no suite: say why, as loading it for the run would
    if not out and round is not None:
        known = "; ".join(f"{s}: {', '.join(_base_rounds(s))}" for s in suites)
        raise UsageError(f"no rules for round '{round}'", f"Known rounds: {known}.")
    return out


def rule_ids(rulesets: Iterable[Ruleset]) -> list[str]:
    """Every rule id of these rulesets, sorted, without repeats."""
    return sorted({r.id for rs in rulesets for r in rs.rules})


def check_prefixes(option: str, prefixes: Iterable[str], ids: list[str], where: str) -> None:
    """Refuse a --select/--ignore prefix that matches no rule id, suggesting the nearest ones."""
    for prefix in prefixes:
        if any(i.startswith(prefix) for i in ids):
            continue
        stems = sorted({".".join(i.split(".")[:n]) for i in ids for n in range(1, i.count(".") + 2)})
        near = difflib.get_close_matches(prefix, stems, n=3, cutoff=0.6)
        hint = (f"Did you mean {' or '.join(repr(n) for n in near)}? " if near else "")
        raise UsageError(f"{option} '{prefix}' matches no rule id of {where}",
                         hint + "`mlcheck rules` lists them; a prefix selects every id that starts with it.")


@dataclass(frozen=True)
class DatasetSpec:
    """What the rules say about one ground-truth data set: its sample counts and evaluator."""

    name: str
    samples: frozenset[int]
    evaluator: str
    benchmarks: tuple[str, ...]


def dataset_specs(rulesets: Iterable[Ruleset]) -> dict[str, DatasetSpec]:
    """dataset name -> spec, from the benchmarks of the inference rulesets (`dataset`, `dataset_samples`)."""
    found: dict[str, dict[str, Any]] = {}
    for rs in rulesets:
        if rs.suite != "inference":
            continue
        for bench, spec in rs.model.benchmarks.items():
            entry = found.setdefault(spec.dataset, {"samples": set(), "evaluator": "", "benchmarks": set()})
            entry["samples"].update(spec.allowed_samples)
            entry["evaluator"] = entry["evaluator"] or (spec.rescore.evaluator if spec.rescore else "")
            entry["benchmarks"].add(str(bench))
    return {n: DatasetSpec(n, frozenset(e["samples"]), e["evaluator"], tuple(sorted(e["benchmarks"])))
            for n, e in found.items()}


LINE_EVALUATORS = ("imagenet_top1", "bleu_moses", "sacrebleu")  # ground truth with one line per sample


def _count_lines(path: Path, stop: int) -> int:
    """Lines of a text file, counting at most `stop` + 1 (a huge file is not read to its end)."""
    n = 0
    last = b"\n"
    with path.open("rb") as fh:
        while n <= stop:
            block = fh.read(1 << 20)
            if not block:
                break
            n += block.count(b"\n")
            last = block[-1:]
    return n + (0 if last == b"\n" else 1)


def check_datasets(datasets: dict[str, Path], specs: dict[str, DatasetSpec]) -> None:
    """Refuse unknown --dataset names, and ground truth whose size or format cannot be its data set's."""
    known = sorted(specs)
    for name, path in datasets.items():
        if name == ORIGINALS:
            continue
        spec = specs.get(name)
        if spec is None:
            near = difflib.get_close_matches(name, known, n=1)
            raise UsageError(f"unknown --dataset name '{name}'",
                             (f"Did you mean '{near[0]}'? " if near else "")
                             + f"Known: {', '.join([*known, ORIGINALS])} ({ORIGINALS}=DIR: untruncated logs).")
        if not path.is_file():
            continue  # a folder (the loader finds the file in it) or missing: the loader says which
        if spec.evaluator in LINE_EVALUATORS and spec.samples:
            _check_lines(name, path, spec, specs)
        elif spec.evaluator == "coco_map":
            _check_json(name, path)


def _check_lines(name: str, path: Path, spec: DatasetSpec, specs: dict[str, DatasetSpec]) -> None:
    # counted up to twice the largest data set: enough to name the one a file fits, bounded for a huge one
    limit = 2 * max(n for s in specs.values() for n in s.samples)
    try:
        n = _count_lines(path, limit)
        with path.open("rb") as fh:
            head = fh.readline(4096)
    except OSError as exc:
        raise UsageError(f"cannot read --dataset {name}={path}: {exc.strerror}") from exc
    want = " or ".join(f"{s:,}" for s in sorted(spec.samples))
    got = f"more than {limit:,}" if n > limit else f"{n:,}"
    where = f"benchmarks {', '.join(spec.benchmarks)}: dataset_samples"
    if n not in spec.samples:
        others = [o for o, s in specs.items() if o != name and n in s.samples]
        hint = (f"It has as many lines as the {others[0]} ground truth: did you mean --dataset {others[0]}={path}?"
                if others else f"Give the {name} file with one line per sample.")
        raise UsageError(f"--dataset {name}={path} has {got} lines; the {name} ground truth has {want} "
                         f"(rules: {where})", hint)
    if spec.evaluator == "imagenet_top1" and not re.fullmatch(rb"\S+\s+-?\d+\s*", head):
        raise UsageError(f"--dataset {name}={path} does not look like an ImageNet label map: "
                         f"its first line is not '<file name> <label>'",
                         "Give val_map.txt (line i: the file name and the label of sample i).")


def _check_json(name: str, path: Path) -> None:
    try:
        with path.open("rb") as fh:
            start = fh.read(4096).lstrip()[:1]
    except OSError as exc:
        raise UsageError(f"cannot read --dataset {name}={path}: {exc.strerror}") from exc
    if start != b"{":
        raise UsageError(f"--dataset {name}={path} is not a JSON object; the {name} ground truth is "
                         "a COCO instances file", "Give instances_val2017.json.")


def check_rule_options(root: Path, suite: str | None, round: str | None, rules_file: Path | None,
                       select: Iterable[str], ignore: Iterable[str], datasets: dict[str, Path],
                       files: RulesFiles | None = None) -> None:
    """--select/--ignore prefixes and --dataset names and files, against the rules the run will use
    (read through the run's `files`, so the run does not parse them again)."""
    files = files if files is not None else RulesFiles()

    select, ignore = list(select), list(ignore)
    if not (select or ignore or datasets):
        return
    if suite is None and rules_file is None:
        from ..api import detect_suite

        suite = detect_suite(root)  # not a submission: refused here, as the run would
    if datasets and suite == "training":
        raise UsageError("--dataset is for re-scoring inference accuracy logs; a training run has none",
                         "Leave out --dataset (training scores come from the result logs).")
    if round is None and rules_file is None and suite is not None:
        from ..api import SUITES
        from ..options import ValidateOptions

        if suite in SUITES:  # the round the run will use, as it detects it
            round = SUITES[suite].detect_round(root, ValidateOptions(suite=suite), files).round
    rulesets = load_rulesets(suite, round, rules_file, files)
    ids = rule_ids(rulesets)
    where = ", ".join(sorted({f"{rs.suite} {rs.round}" for rs in rulesets}))
    check_prefixes("--select", select, ids, where)
    check_prefixes("--ignore", ignore, ids, where)
    if datasets:
        check_datasets(datasets, dataset_specs(rulesets))


# ------------------------------------------------------------------------------ the command


def describe(template: str, kind_doc: str = "") -> str:
    """One line for a rule: its message template ({field} shown as <field>), or, when the template is
    mostly placeholders, the one-line docstring of its check kind."""
    one = " ".join(template.split())
    words = re.sub(r"\{[a-z_]+\}", " ", one).split()
    if len(words) < 3 and kind_doc:
        return kind_doc
    return re.sub(r"\{([a-z_]+)\}", r"<\1>", one)


def _kind_docs(suite: str) -> dict[str, str]:
    from ..api import suite_of

    return {k.name: k.doc for k in suite_of(suite).registry}


def _rows(rulesets: list[Ruleset], prefix: str | None) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for rs in rulesets:
        docs = _kind_docs(rs.suite)
        for r in rs.rules:
            if prefix and not r.id.startswith(prefix):
                continue
            if (rs.round, r.id) in seen:
                continue
            seen.add((rs.round, r.id))
            text = rs.source_text(r.source)
            rows.append({"id": r.id, "severity": r.severity.value, "suite": rs.suite, "round": rs.round,
                         "description": describe(r.help.split("\n")[0] if r.help else r.message, docs.get(r.kind, "")),
                         "source": r.source, "source_text": str(text)})
    return rows


def rules_cmd(
    prefix: Annotated[str | None, typer.Argument(metavar="[PREFIX]", help="Only rule ids that start with this "
                                                 "(e.g. inf.loadgen), as --select takes them.")] = None,
    round: Annotated[str | None, typer.Option("--round", metavar="ROUND", help="The round (default: the latest "
                                              "shipped round of each suite).")] = None,
    suite: Annotated[str | None, typer.Option("--suite", metavar="SUITE", help="inference or training (default: "
                                              "from the prefix, else both).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", metavar="PATH", help="List a rules YAML file of "
                                               "your own instead.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="text or json.")] = "text",
) -> None:
    """List rule ids with their severity, a one-line description and the source, for --select and --ignore."""
    from ..report.text import color_wanted, terminal_width
    from .common import write_output

    if format not in ("text", "json"):
        raise UsageError(f"unknown format '{format}'", "Use --format text or --format json.")
    if suite is not None and suite not in SUITES:
        raise UsageError(f"unknown suite '{suite}'", "Known suites: " + ", ".join(SUITES) + ".")
    if suite is None and prefix:
        suite = PREFIXES.get(prefix.split(".")[0])
    if round is None and rules is None:
        suites = [suite] if suite else list(SUITES)
        rulesets = []
        for s in suites:
            base = [r for r in _base_rounds(s) if "-" not in r]
            if base:
                rulesets.append(load_ruleset(s, base[-1]))
    else:
        rulesets = load_rulesets(suite, round, rules)
    if prefix:
        check_prefixes("PREFIX", [prefix], rule_ids(rulesets),
                       ", ".join(f"{rs.suite} {rs.round}" for rs in rulesets))
    rows = _rows(rulesets, prefix)
    if format == "json":
        write_output(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", None)
        return
    write_output(render_rules(rulesets, rows, terminal_width(), color_wanted()), None)


def render_rules(rulesets: list[Ruleset], rows: list[dict[str, str]], width: int, color: bool) -> str:
    """The rule list for a terminal: per round, each id with severity, description and source."""
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..findings import Severity
    from ..report.escape import term
    from ..report.text import LABEL, STYLE

    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, markup=False, emoji=False, highlight=False)
    for rs in rulesets:
        mine = [r for r in rows if r["round"] == rs.round and r["suite"] == rs.suite]
        if not mine:
            continue
        console.print(term(f"{rs.suite} {rs.round}: {len(mine)} rules" + (f" — {rs.title}" if rs.title else ""),
                           "bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for r in mine:
            sev = Severity(r["severity"])
            body = term(r["description"])
            body.append("\n")
            # the source as written, with the `sources` it names spelled out (once, not repeated)
            text = r["source_text"]
            shown = text if text.startswith(r["source"]) else f"{r['source']} — {text}"
            body.append(term(f"source: {shown}", "dim"))
            grid.add_row(term(r["id"]), Text(LABEL[sev], style=STYLE[sev]), body)
        console.print(grid)
        console.print()
    console.print(Text("Select with --select PREFIX, skip with --ignore PREFIX (repeatable).", style="dim"))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
