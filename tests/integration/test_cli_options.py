"""Options that cannot fail silently (issue 16) and outputs that never land in a submission (issue 15, item 9).

Each refusal: exit 2, a message naming the problem, before any validation runs, and nothing written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.hostile.base import ACC, RESULT, SUBMITTER, write_builtin
from tests.hostile.harness import run_cli, snapshot


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return write_builtin(tmp_path / "sub")


@pytest.fixture()
def no_run(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record validation runs: a refusal must come before any."""
    import checker.api

    calls: list[Path] = []
    real = checker.api.validate

    def spy(root: Path, options: object = None) -> object:
        calls.append(root)
        return real(root, options)  # type: ignore[arg-type]

    monkeypatch.setattr(checker.api, "validate", spy)
    return calls


def _refused(args: list[str], *needles: str) -> str:
    run = run_cli(args, timeout=60)
    assert run.code == 2, (run.code, run.stderr, run.stdout[-500:])
    for n in needles:
        assert n in run.stderr, (n, run.stderr)
    assert "Traceback" not in run.stderr
    return run.stderr


# ------------------------------------------------------------------------------ --select / --ignore


def test_select_prefix_matching_no_rule_is_refused_with_a_suggestion(tree: Path, no_run: list[Path]) -> None:
    err = _refused(["validate", str(tree), "--select", "inf.typo"], "--select 'inf.typo' matches no rule id",
                   "Did you mean", "mlcheck rules")
    assert not no_run
    _refused(["validate", str(tree), "--ignore", "inf.loadgen.min-querys"], "--ignore 'inf.loadgen.min-querys'",
             "Did you mean 'inf.loadgen.min-queries'")
    _refused(["validate", str(tree), "--select", "train.runs"], "matches no rule id of inference v0.5")
    assert "inference v0.5" in err


def test_select_prefixes_that_match_run(tree: Path) -> None:
    run = run_cli(["validate", str(tree), "--select", "inf.loadgen", "--select", "inf.accuracy", "-f", "json"])
    assert run.code == 0, run.stderr
    rules = {f["rule"] for f in json.loads(run.stdout)["findings"]}
    assert rules and all(r.startswith(("inf.loadgen", "inf.accuracy")) for r in rules)


# ------------------------------------------------------------------------------ --dataset


def _lines(path: Path, n: int, fmt: str) -> Path:
    path.write_text("".join(fmt.format(i=i) for i in range(n)))
    return path


def test_unknown_dataset_name_lists_the_known_ones(tree: Path, no_run: list[Path]) -> None:
    _refused(["validate", str(tree), "--dataset", f"imgnet={tree}"], "unknown --dataset name 'imgnet'",
             "Did you mean 'imagenet'", "coco, imagenet, wmt16")  # the v0.5 round's data sets
    assert not no_run


def test_ground_truth_that_cannot_be_its_data_set_is_refused_before_scoring(tree: Path, tmp_path: Path,
                                                                          no_run: list[Path]) -> None:
    labels = _lines(tmp_path / "val_map.txt", 50000, "ILSVRC2012_val_{i:08d}.JPEG {i}\n")
    reference = _lines(tmp_path / "newstest2014.de", 3003, "Satz {i}.\n")
    _refused(["validate", str(tree), "--dataset", f"wmt16={labels}"],
             f"--dataset wmt16={labels} has 50,000 lines; the wmt16 ground truth has 3,003",
             f"did you mean --dataset imagenet={labels}?")
    _refused(["validate", str(tree), "--dataset", f"imagenet={reference}"], "has 3,003 lines",
             "the imagenet ground truth has 50,000", f"did you mean --dataset wmt16={reference}?")
    _refused(["validate", str(tree), "--dataset", f"coco={labels}"], "is not a JSON object")
    wrong_form = _lines(tmp_path / "words.txt", 50000, "word{i} word\n")
    _refused(["validate", str(tree), "--dataset", f"imagenet={wrong_form}"], "does not look like an ImageNet label map")
    _refused(["rescore", str(tree), "--dataset", f"wmt16={labels}"], "has 50,000 lines")
    assert not no_run


def test_dataset_for_a_training_tree_is_refused(tmp_path: Path) -> None:
    sub = tmp_path / "Org"
    (sub / "results" / "sys" / "resnet").mkdir(parents=True)
    (sub / "results" / "sys" / "resnet" / "result_0.txt").write_text(":::MLL 1 run_start: {}\n")
    _refused(["validate", str(sub), "--dataset", f"imagenet={tmp_path}"], "a training run has none")


# ------------------------------------------------------------------------------ output paths


def test_outputs_inside_the_root_are_refused(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             no_run: list[Path]) -> None:
    hard = tmp_path / "hard.txt"
    os.link(tree / ACC / "accuracy.txt", hard)  # the same file under another name (changes its ctime: first)
    before = snapshot(tree)
    inside = tree / "closed" / "report.json"
    _refused(["validate", str(tree), "-o", str(inside)], "--output", "is inside the validated folder",
             "never writes inside a submission")
    _refused(["validate", str(tree), "--report", f"json={tree / RESULT / 'r.json'}"], "--report json")
    link = tmp_path / "innocent"
    link.symlink_to(tree / "closed")  # a folder outside that leads inside
    _refused(["validate", str(tree), "-o", str(link / "r.txt")], "it resolves to")
    final = tmp_path / "r.txt"
    final.symlink_to(tree / ACC / "accuracy.txt")  # an existing file that is a link to one inside
    _refused(["validate", str(tree), "-f", "json", "-o", str(final)], "is inside the validated folder")
    _refused(["validate", str(tree), "-o", str(hard)], "is a hard link to", "accuracy.txt")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tree / "summary.md"))
    _refused(["validate", str(tree), "-f", "github"], "$GITHUB_STEP_SUMMARY")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    _refused(["report", str(tree), "-f", "html", "-o", str(tree / "review.html")], "is inside the validated folder")
    _refused(["report", str(tmp_path), str(tree), "-o", str(link / "review.html")], "is inside")
    _refused(["diff", str(tree), str(tree), "-o", str(tree / "d.txt")], "is inside")
    assert not no_run
    assert snapshot(tree) == before  # nothing written, nothing truncated


def test_outputs_that_cannot_be_written_are_refused_before_the_run(tree: Path, tmp_path: Path,
                                                                   no_run: list[Path]) -> None:
    _refused(["validate", str(tree), "-o", str(tmp_path / "no" / "such" / "r.txt")], "does not exist")
    _refused(["validate", str(tree), "--report", f"junit={tmp_path}"], "is a folder")
    (tmp_path / "afile").write_text("x")
    _refused(["validate", str(tree), "-o", str(tmp_path / "afile" / "r.txt")], "cannot be written: Not a directory")
    _refused(["report", str(tree), "-o", str(tmp_path / "missing" / "r.html")], "does not exist")
    assert not no_run


def test_an_output_beside_the_root_is_written(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run = run_cli(["validate", str(tree), "-f", "json", "-o", str(out), "--report", f"text={tmp_path / 'r.txt'}"])
    assert run.code == 0 and json.loads(out.read_text())["summary"]["results"] == 1
    assert (tmp_path / "r.txt").read_text().startswith("PASSED with warnings")
    dev = run_cli(["validate", str(tree), "-f", "json", "-o", os.devnull])  # a device is written as is
    assert dev.code == 0, dev.stderr


# ------------------------------------------------------------------------------ --known-absent


def _absent_list(tmp_path: Path, paths: list[str]) -> Path:
    p = tmp_path / "ABSENT.txt"
    p.write_text("".join(x + "\n" for x in paths))
    return p


@pytest.mark.parametrize("level", ["tree", "division", "submitter"])
def test_known_absent_matches_at_every_root_level(level: str, tree: Path, tmp_path: Path) -> None:
    log = f"{ACC}/mlperf_log_accuracy.json"
    (tree / log).unlink()
    listed = _absent_list(tmp_path, [log])  # written relative to the tree's top, as the corpus lists are
    root = {"tree": tree, "division": tree / "closed", "submitter": tree / "closed" / SUBMITTER}[level]
    run = run_cli(["validate", str(root), "--known-absent", str(listed), "-f", "json"])
    doc = json.loads(run.stdout)
    absent = [f for f in doc["findings"] if f["rule"] == "inf.layout.known-absent"]
    assert len(absent) == 1 and absent[0]["severity"] == "info", doc["findings"]
    assert absent[0]["path"].endswith("accuracy/mlperf_log_accuracy.json")
    assert not [f for f in doc["findings"] if f["rule"] == "inf.layout.accuracy-files"]
    assert "lies under" not in run.stderr


def test_a_known_absent_list_for_another_folder_is_warned(tree: Path, tmp_path: Path) -> None:
    listed = _absent_list(tmp_path, ["closed/Other/results/x/resnet/Offline/accuracy/mlperf_log_accuracy.json",
                                     "open/Else/results/y.txt"])
    run = run_cli(["validate", str(tree / "closed" / SUBMITTER), "--known-absent", str(listed)])
    assert "mlcheck: warning: none of the 2 paths in --known-absent" in run.stderr
    assert "lies under" in run.stderr and run.code == 0


# ------------------------------------------------------------------------------ mlcheck rules


def test_rules_lists_ids_with_severity_description_and_source() -> None:
    run = run_cli(["rules", "inf.loadgen"])
    assert run.code == 0, run.stderr
    ids = re.findall(r"^(inf\.\S+)\s+(error|warning|note)\s+\S", run.stdout, re.MULTILINE)
    assert len(ids) >= 10 and all(i.startswith("inf.loadgen") for i, _ in ids)
    assert ("inf.loadgen.min-queries", "error") in ids
    assert "source: appendix" in run.stdout and "source: rules" in run.stdout
    doc = json.loads(run_cli(["rules", "--format", "json"]).stdout)
    assert {r["suite"] for r in doc} == {"inference", "training"}
    known = next(r for r in doc if r["id"] == "inf.layout.known-absent")
    assert known["severity"] == "info" and known["source"] == "committee" and "absent" in known["description"]
    assert all(r["description"] and r["source"] for r in doc)
    training = run_cli(["rules", "--suite", "training", "--round", "v0.6", "--format", "json"])
    assert {r["round"] for r in json.loads(training.stdout)} == {"v0.6"}


def test_rules_refuses_an_unknown_prefix_or_round() -> None:
    run = run_cli(["rules", "inf.lodgen"])
    assert run.code == 2 and "Did you mean 'inf.loadgen'" in run.stderr
    run = run_cli(["rules", "--round", "v9"])
    assert run.code == 2 and "Known rounds" in run.stderr


# ------------------------------------------------------------------------------ help


def _commands() -> list[str]:
    from checker.cli import app

    return sorted((c.name or (c.callback.__name__ if c.callback else "")).replace("_cmd", "")
                  for c in app.registered_commands)


def test_version_and_short_help() -> None:
    from checker import __version__

    for flag in ("--version", "-V"):
        run = run_cli([flag])
        assert run.code == 0 and run.stdout.strip() == f"mlcheck {__version__}"
    run = run_cli(["-h"])
    assert run.code == 0 and "Usage: mlcheck [OPTIONS] COMMAND [ARGS]..." in run.stdout
    for name in _commands():
        assert name in run.stdout


@pytest.mark.parametrize("command", _commands())
def test_help_names_values_with_words(command: str) -> None:
    run = run_cli([command, "-h"])
    assert run.code == 0 and run.stdout.startswith(f"Usage: mlcheck {command} [OPTIONS]"), run.stdout
    for typename in ("<str>", "<int>", "<path>", "<bool>", "<list", "{root", "{ROOT", "<Path", "TEXT", "INTEGER"):
        assert typename not in run.stdout, (command, typename)
    assert "-h, --help" in run.stdout


def test_validate_help_lists_formats_metavars_and_exit_codes() -> None:
    from checker.report import FORMATS

    out = run_cli(["validate", "--help"]).stdout
    flat = " ".join(out.split())
    assert "Usage: mlcheck validate [OPTIONS] ROOT" in out
    for word in ("--format FORMAT", "--output PATH", "--report FORMAT=PATH", "--select PREFIX", "--ignore PREFIX",
                 "--dataset NAME=PATH", "--show LEVEL", "--color WHEN", "--jobs N"):
        assert word in flat, word
    assert "--strict " in out and "--strict <" not in out
    for name in FORMATS:
        assert name in flat.split("One of: ")[1].split(")")[0], name
    assert "Exit codes: 0 no errors; 1 errors, or warnings with --strict; 2" in flat


def test_report_and_rescore_refuse_what_validate_refuses(tree: Path, tmp_path: Path) -> None:
    shutil.copytree(tree, tmp_path / "copy")
    _refused(["report", str(tree), "--format", "pdf"], "unknown report format 'pdf'")
    _refused(["rescore", str(tree), "--dataset", f"imgnet={tree}"], "unknown --dataset name")
    _refused(["diff", str(tree), str(tmp_path / "copy"), "--format", "xml"], "unknown diff format")


# ------------------------------------------------------------------------------ the process's BLAS threads

@pytest.mark.parametrize(("given", "kept"), [(None, "1"), ("3", "3")])
def test_the_command_runs_blas_on_one_thread_unless_the_user_says(monkeypatch: pytest.MonkeyPatch,
                                                                  given: str | None, kept: str) -> None:
    import sys

    import checker.cli

    if given is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", given)
    monkeypatch.setattr(sys, "argv", ["mlcheck", "--version"])
    with pytest.raises(SystemExit):
        checker.cli.main()
    assert os.environ["OPENBLAS_NUM_THREADS"] == kept


# ------------------------------------------------------------------------------ start-up

def test_a_run_builds_only_the_command_it_names(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Typer builds every registered command's options at each start; a run naming its command builds that
    one, and the group keeps them all for help, and for the next run in the same process."""
    import sys

    import typer.main

    import checker.cli

    built: list[str] = []
    real = typer.main.get_command_from_info

    def spy(*args: object, **kw: object) -> object:
        built.append(checker.cli._command_name(kw.get("command_info", args[0] if args else None)))
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(typer.main, "get_command_from_info", spy)
    every = len(checker.cli.app.registered_commands)
    monkeypatch.setattr(sys, "argv", ["mlcheck", "version"])
    with pytest.raises(SystemExit):
        checker.cli.main()
    assert built == ["version"] and "mlcheck" in capsys.readouterr().out
    assert len(checker.cli.app.registered_commands) == every > 5
    built.clear()
    monkeypatch.setattr(sys, "argv", ["mlcheck", "--help"])
    with pytest.raises(SystemExit):
        checker.cli.main()
    assert len(built) == every and "validate" in capsys.readouterr().out
