"""Behaviour of the CI formats beyond their golden files: limits, escaping, schema, rule catalogue."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from formats_fixtures import CATALOG, OFFLINE, sample_report

from checker.api import SUITES, load_suite_ruleset, rule_catalogue
from checker.findings import Finding, Report, Severity
from checker.report import render
from checker.report.github import (
    STEP_SUMMARY_LIMIT,
    escape_data,
    escape_property,
    render_github,
    repo_path,
    step_summary,
    write_step_summary,
)
from checker.report.sarif import render_sarif

SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-2.1.0-subset.schema.json").read_text())


def many_findings(errors: int, warnings: int, root: str = "sub") -> Report:
    report = Report(tool="mlcheck 9.9.9", suite="inference", round="v0.5", root=root,
                    ruleset={"suite": "inference", "round": "v0.5", "files": [], "digest": "0" * 64})
    for i in range(errors):
        report.findings.append(Finding("inf.x.err", Severity.ERROR, f"a/f{i:03}.txt", f"error {i}", None, i + 1))
    for i in range(warnings):
        report.findings.append(Finding("inf.x.warn", Severity.WARNING, f"b/w{i:03}.txt", f"warning {i}"))
    report.finalize()
    return report


def test_escaping_follows_github_toolkit() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_at_most_ten_annotations_per_level_and_one_summary_notice() -> None:
    out = render_github(many_findings(25, 12)).splitlines()
    assert sum(line.startswith("::error ") for line in out) == 10
    assert sum(line.startswith("::warning ") for line in out) == 10
    notices = [line for line in out if line.startswith("::notice ")]
    assert len(notices) == 1
    assert "15 more errors and 2 more warnings" in notices[0]
    assert out[0].startswith("::error file=sub/a/f000.txt,line=1,title=inf.x.err::error 0")


def test_waived_and_info_findings_are_not_annotated() -> None:
    out = render_github(sample_report())
    assert "inf.accuracy.target" not in out and "inf.accuracy.rescore-skipped" not in out
    assert "1 waived" in out


def test_repo_path_relative_to_working_directory(tmp_path: Path) -> None:
    report = many_findings(0, 0, root=str(tmp_path / "repo" / "sub"))
    assert repo_path(report, "x/y.txt", cwd=tmp_path / "repo") == "sub/x/y.txt"
    assert repo_path(report, "", cwd=tmp_path / "repo") == "sub"
    elsewhere = repo_path(report, "x/y.txt", cwd=tmp_path / "other")
    assert elsewhere == (tmp_path / "repo" / "sub" / "x" / "y.txt").as_posix()  # outside: stays absolute
    assert repo_path(many_findings(0, 0, root="./sub/"), "x.txt") == "sub/x.txt"


def test_step_summary_is_truncated_under_the_limit() -> None:
    report = many_findings(3000, 0)
    full = step_summary(report)
    assert len(full.encode()) > 100_000
    cut = step_summary(report, limit=100_000)
    assert len(cut.encode()) < 100_000
    assert "truncated" in cut.splitlines()[-1]
    assert full.startswith(cut.split("\n> **Note:**")[0])
    assert len(step_summary(many_findings(200_000 // 40, 0)).encode()) < STEP_SUMMARY_LIMIT


def test_write_step_summary_appends_and_counts_existing_content(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step output\n")
    assert write_step_summary(sample_report(), {"GITHUB_STEP_SUMMARY": str(target)}) == target
    text = target.read_text()
    assert text.startswith("earlier step output\n## mlcheck inference v0.5: FAILED")
    assert write_step_summary(sample_report(), {}) is None
    target.write_text("x" * (STEP_SUMMARY_LIMIT - 10))  # already full: nothing more may be added
    write_step_summary(sample_report(), {"GITHUB_STEP_SUMMARY": str(target)})
    assert target.stat().st_size < STEP_SUMMARY_LIMIT


def test_sarif_matches_the_schema() -> None:
    log = json.loads(render_sarif(sample_report(), CATALOG))
    jsonschema.Draft7Validator(SARIF_SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("submission/")
    waived = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in waived] == ["inf.accuracy.target"]
    assert waived[0]["suppressions"][0]["justification"].startswith("re-run accepted")
    lines = {r["ruleId"]: r["locations"][0]["physicalLocation"].get("region") for r in run["results"]}
    assert lines["inf.loadgen.min-queries"] == {"startLine": 12}
    assert lines["inf.layout.audit-missing"] is None


def test_the_sarif_schema_can_fail() -> None:
    log = json.loads(render_sarif(sample_report(), CATALOG))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SARIF_SCHEMA)
    del log["runs"][0]["tool"]["driver"]["name"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SARIF_SCHEMA)


def _real_ruleset_report() -> Report:
    """The hand-built report, judged (as far as the formats can tell) by the shipped v0.5 rules."""
    report = sample_report()
    rs = load_suite_ruleset(SUITES["inference"], "v0.5")
    report.ruleset = rs.describe()
    report.rules = rule_catalogue(rs)
    return report


def test_registered_sarif_lists_every_rule_of_the_ruleset_with_help() -> None:
    rs = load_suite_ruleset(SUITES["inference"], "v0.5")
    log = json.loads(render(_real_ruleset_report(), "sarif"))
    jsonschema.validate(log, SARIF_SCHEMA)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {r.id for r in rs.rules} <= set(rules)
    for r in rs.rules:
        help_text = rules[r.id]["help"]["text"]
        assert r.message in help_text and rs.source_text(r.source) in help_text


def test_registered_junit_has_a_testcase_per_applied_rule_and_skips_the_rest() -> None:
    rs = load_suite_ruleset(SUITES["inference"], "v0.5")
    root = ET.fromstring(render(_real_ruleset_report(), "junit"))
    suite = next(s for s in root.iter("testsuite") if s.get("name") == OFFLINE)
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    open_only = [r.id for r in rs.rules if r.applies.divisions == ("open",)]
    assert open_only and all(cases[rid].find("skipped") is not None for rid in open_only if rid in cases)
    closed_rules = [r.id for r in rs.rules if r.applies.divisions == ("closed",)]
    assert closed_rules and all(cases[rid].find("skipped") is None for rid in closed_rules if rid in cases)
    assert int(root.get("tests", "0")) == sum(1 for _ in root.iter("testcase"))


def test_junit_failures_match_unwaived_errors() -> None:
    root = ET.fromstring(render(sample_report(), "junit"))
    failures = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failures == ["inf.loadgen.min-queries"]
    assert root.get("failures") == "1"


def test_csv_rows_and_formula_defusing() -> None:
    report = sample_report()
    report.results[0].submitter = "=HYPERLINK(\"x\")"
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert [r["model"] for r in rows] == ["gnmt", "resnet"]
    assert rows[0]["organization"].startswith("'=")
    assert rows[0]["valid"] == "false" and rows[0]["errors"] == "1"
    assert rows[1]["system"] == 'Acme Box, 8x "T4"' and rows[1]["platform"] == "box1"
    assert rows[1]["result"] == "1234.5" and rows[1]["units"] == "samples/s" and rows[1]["errors"] == "0"


def test_json_report_lists_waivers_and_matches_the_schema() -> None:
    schema = json.loads((Path(__file__).parents[2] / "schemas" / "report.schema.json").read_text())
    doc = json.loads(render(sample_report(), "json"))
    jsonschema.validate(doc, schema)
    assert doc["summary"]["waived"] == 1 and doc["summary"]["errors"] == 1
    assert doc["waivers"][0]["matched"] == 1
    assert [f["rule"] for f in doc["findings"] if "waived" in f] == ["inf.accuracy.target"]


def test_hostile_names_still_give_well_formed_junit_and_a_summary(tmp_path: Path) -> None:
    report = sample_report()
    bad = "closed/Acme/results/box\x01/\udcff.txt"
    report.findings.append(Finding("inf.layout.unreadable", Severity.ERROR, bad, "cannot read \x1b[31m", None))
    root = ET.fromstring(render(report, "junit"))  # parses: no control characters or surrogates left
    assert any("\\x01" in (c.findtext("failure") or "") for c in root.iter("testcase"))
    target = tmp_path / "summary.md"
    write_step_summary(report, {"GITHUB_STEP_SUMMARY": str(target)})
    summary = target.read_text()
    # the non-UTF-8 byte of the file name is shown as the byte it was (in a code span); ESC and \x01
    # as escapes (the message's backslash itself escaped for Markdown)
    assert "`closed/Acme/results/box\\x01/\\xff.txt`" in summary and "cannot read \\\\x1b\\[31m" in summary
    assert "\x1b" not in summary and "\x01" not in summary
