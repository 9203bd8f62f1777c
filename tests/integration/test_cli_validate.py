"""The validate command end to end: exit codes, JSON report schema, usage errors, no writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reference_logs" / "inference_v0.5"
needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="reference_logs sample not generated")


def mlcheck(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, env={**os.environ, **(env or {})}, timeout=120)


def test_not_a_submission_is_exit_2(tmp_path: Path) -> None:
    p = mlcheck("validate", str(tmp_path))
    assert p.returncode == 2
    assert "not an MLPerf" in p.stderr and "help:" in p.stderr
    assert "Traceback" not in p.stderr


def test_missing_path_and_file_root(tmp_path: Path) -> None:
    assert mlcheck("validate", str(tmp_path / "nope")).returncode == 2
    f = tmp_path / "file.txt"
    f.write_text("x")
    p = mlcheck("validate", str(f))
    assert p.returncode == 2 and "not a folder" in p.stderr


def test_unknown_round_and_format(tmp_path: Path) -> None:
    (tmp_path / "closed" / "X" / "results").mkdir(parents=True)
    p = mlcheck("validate", str(tmp_path), "--round", "v9.9")
    assert p.returncode == 2 and "v0.5" in p.stderr
    p = mlcheck("validate", str(tmp_path), "--format", "nope")
    assert p.returncode == 2 and "Known formats" in p.stderr


def test_bad_option_is_usage_error() -> None:
    p = mlcheck("validate", "--no-such-option")
    assert p.returncode == 2


def test_bad_rules_file_is_tool_error(tmp_path: Path) -> None:
    (tmp_path / "closed" / "X" / "results").mkdir(parents=True)
    rules = tmp_path / "r.yaml"
    rules.write_text("schema: mlcheck-rules/1\nsuite: inference\nround: v0.5\nrules:\n"
                     "  - {id: inf.x.y, severity: error, kind: no_such_kind, message: m, source: s}\n")
    p = mlcheck("validate", str(tmp_path), "--rules", str(rules))
    assert p.returncode == 2 and "unknown check kind 'no_such_kind'" in p.stderr


@needs_sample
def test_json_report_matches_schema_and_exit_0(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    p = mlcheck("validate", str(SAMPLE), "--round", "v0.5-sample", "--format", "json", "--output", str(out))
    assert p.returncode == 0, p.stderr
    report = json.loads(out.read_text())
    schema = json.loads((REPO / "schemas/report.schema.json").read_text())
    jsonschema.validate(report, schema)
    assert report["suite"] == "inference" and report["round"] == "v0.5-sample"
    assert report["summary"]["errors"] == 0
    for r in report["results"]:
        assert not r["id"].startswith("/") and "\\" not in r["id"]
        assert r["scenario"] in ("SingleStream", "MultiStream", "Server", "Offline")


@needs_sample
def test_errors_exit_1_and_strict(tmp_path: Path) -> None:
    p = mlcheck("validate", str(SAMPLE), "--round", "v0.5", "--format", "text")
    assert p.returncode == 1
    assert "FAILED" in p.stdout and "PASSED" not in p.stdout
    p = mlcheck("validate", str(SAMPLE), "--round", "v0.5-sample", "--strict", "--format", "json")
    report = json.loads(p.stdout)
    assert p.returncode == (1 if report["summary"]["warnings"] else 0)


@needs_sample
def test_select_and_ignore(tmp_path: Path) -> None:
    p = mlcheck("validate", str(SAMPLE), "--round", "v0.5", "--format", "json", "--ignore", "inf.loadgen.min-")
    report = json.loads(p.stdout)
    assert not [f for f in report["findings"] if f["rule"].startswith("inf.loadgen.min-")]
    p = mlcheck("validate", str(SAMPLE), "--round", "v0.5", "--format", "json", "--select", "inf.loadgen")
    report = json.loads(p.stdout)
    assert report["findings"] and all(f["rule"].startswith("inf.loadgen") for f in report["findings"])


@needs_sample
def test_validation_writes_nothing_in_the_tree(tmp_path: Path) -> None:
    tree = tmp_path / "t"
    shutil.copytree(SAMPLE, tree)
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tree.rglob("*")}
    p = mlcheck("validate", str(tree), "--round", "v0.5", "--format", "json")
    assert p.returncode == 1
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tree.rglob("*")}
    assert before == after
