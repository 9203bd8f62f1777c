"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

tool.driver.rules lists every rule of the ruleset with its message template and source as
help; every finding is a result with a physical location (the file relative to the current
directory, which is the repository root in GitHub Actions, and the line when known).
Waived findings carry an accepted external suppression with the waiver's justification;
the run's properties keep the summary, the waivers and what was skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..findings import Finding, Report, Severity
from .catalog import RuleInfo, load_catalog
from .github import repo_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rule_name(rule_id: str) -> str:
    """A PascalCase name from a rule id: inf.loadgen.min-queries -> LoadgenMinQueries."""
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", rule_id) if p]
    return "".join(p[:1].upper() + p[1:] for p in parts[1:] or parts)


def uri(report: Report, path: str) -> str:
    """A URI reference for the finding's file: relative to the repository root when possible."""
    p = repo_path(report, path)
    if p.startswith("/"):
        return "file://" + quote(p, safe="/")
    return quote(p, safe="/")


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    short = rule.message or rule.id
    help_lines = [f"Rule {rule.id} ({rule.severity})."]
    if rule.message:
        help_lines.append(f"Message: {rule.message}")
    if rule.help:
        help_lines.append(rule.help)
    if rule.source:
        help_lines.append(f"Source: {rule.source}")
    if rule.applies:
        help_lines.append("Applies to " + "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(rule.applies.items())))
    text = "\n".join(help_lines)
    md = "\n\n".join(help_lines)
    out: dict[str, Any] = {
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": {"text": short},
        "fullDescription": {"text": short + (f" (source: {rule.source})" if rule.source else "")},
        "help": {"text": text, "markdown": md},
        "defaultConfiguration": {"level": LEVEL.get(_severity(rule.severity), "warning")},
        "properties": {"tags": list(dict.fromkeys(rule.id.split(".")[:2])), "scope": rule.scope},
    }
    return out


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        return Severity.WARNING


def _fingerprint(f: Finding) -> str:
    return hashlib.sha256(f"{f.rule}\0{f.path}\0{f.result or ''}\0{f.message}".encode()).hexdigest()


def _result(report: Report, f: Finding, index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {}
    location: dict[str, Any] = {"artifactLocation": {"uri": uri(report, f.path)}}
    if f.line is not None and f.line >= 1:
        region["startLine"] = f.line
        location["region"] = region
    out: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"mlcheckFinding/v1": _fingerprint(f)},
    }
    props: dict[str, Any] = {}
    if f.result is not None:
        props["result"] = f.result
    if f.pointer is not None:
        props["pointer"] = f.pointer
    if props:
        out["properties"] = props
    if f.waived is not None:
        out["suppressions"] = [{"kind": "external", "status": "accepted", "justification": f.waived}]
    return out


def render_sarif(report: Report, rules: Sequence[RuleInfo] | None = None) -> str:
    """The report as a SARIF 2.1.0 log with one run."""
    catalog = list(rules) if rules is not None else load_catalog(report)
    index: dict[str, int] = {}
    for r in catalog:
        index.setdefault(r.id, len(index))
    catalog = [r for i, r in enumerate(catalog) if index[r.id] == i]  # first of any duplicate id
    for f in report.findings:
        if f.rule not in index:
            index[f.rule] = len(catalog)
            catalog.append(RuleInfo(f.rule, f.severity.value, scope="unknown"))
    version = report.tool.split()[-1] if report.tool.startswith("mlcheck ") else __version__
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mlcheck",
                "version": version,
                "rules": [_descriptor(r) for r in catalog],
            }},
            "invocations": [{"executionSuccessful": True}],
            "results": [_result(report, f, index) for f in report.findings],
            "properties": {
                "suite": report.suite, "round": report.round, "root": report.root,
                "ruleset": report.ruleset, "summary": report.summary,
                "waivers": report.waivers, "skipped": report.skipped,
            },
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
