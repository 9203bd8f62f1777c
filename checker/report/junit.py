"""JUnit XML: one testsuite per result, one testcase per rule of the ruleset.

In a result's testsuite a rule that applies to the result (a result-level rule whose
divisions, benchmarks and scenarios include it) is a testcase that fails when the rule
reported an error there; a rule that does not apply is a skipped testcase. The rules of
the tree, submitters and system descriptions form one more testsuite, "submission".
Warnings and notes go to the testcase's system-out; waived errors do not fail.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence

from ..findings import Finding, Report, ResultRecord, Severity
from .catalog import RuleInfo, load_catalog

SUBMISSION = "submission"
# characters XML 1.0 cannot hold (control characters, lone surrogates from non-UTF-8 file names)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """Text safe for XML 1.0: each character it cannot hold becomes a visible \\x.. / \\u.... escape."""
    return _NOT_XML.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), value)


def _line(f: Finding) -> str:
    where = f.path + (f":{f.line}" if f.line else "")
    waived = f" (waived: {f.waived})" if f.waived else ""
    return f"{f.severity.value}: {where}: {f.message}{waived}"


def _case(suite: ET.Element, classname: str, rule: str, findings: list[Finding],
          skip_reason: str | None) -> tuple[int, int]:
    """Add one testcase; return (failed, skipped)."""
    case = ET.SubElement(suite, "testcase", {"classname": xml_text(classname), "name": xml_text(rule)})
    errors = [f for f in findings if f.severity is Severity.ERROR and f.waived is None]
    other = [f for f in findings if f not in errors]
    if errors:
        fail = ET.SubElement(case, "failure", {"type": xml_text(rule), "message": xml_text(errors[0].message)})
        fail.text = xml_text("\n".join(_line(f) for f in errors))
    elif skip_reason is not None and not findings:
        ET.SubElement(case, "skipped", {"message": xml_text(skip_reason)})
        return 0, 1
    if other:
        ET.SubElement(case, "system-out").text = xml_text("\n".join(_line(f) for f in other))
    return (1 if errors else 0), 0


def _suite(root: ET.Element, name: str, props: dict[str, str]) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", {"name": xml_text(name)})
    if props:
        pe = ET.SubElement(suite, "properties")
        for k, v in props.items():
            ET.SubElement(pe, "property", {"name": k, "value": xml_text(v)})
    return suite


def _props(r: ResultRecord) -> dict[str, str]:
    out = {"division": r.division, "submitter": r.submitter, "system": r.system,
           "benchmark": r.benchmark, "scenario": r.scenario or "", "valid": str(r.valid).lower()}
    if r.metric is not None and r.metric.value is not None:
        out["metric"] = f"{r.metric.value:g} {r.metric.unit}"
    return out


def render_junit(report: Report, rules: Sequence[RuleInfo] | None = None) -> str:
    """The report as JUnit XML (rules: the catalogue; loaded from the report's ruleset when None)."""
    catalog = list(rules) if rules is not None else load_catalog(report)
    known = {r.id for r in catalog}
    for f in report.findings:
        if f.rule not in known:
            known.add(f.rule)
            catalog.append(RuleInfo(f.rule, f.severity.value, scope="unknown"))
    result_ids = {r.id for r in report.results}
    by_result: dict[str | None, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in report.findings:
        # findings of no result, or of a result the report does not list, belong to the submission
        by_result[f.result if f.result in result_ids else None][f.rule].append(f)
    top = ET.Element("testsuites", {"name": f"mlcheck {report.suite} {report.round}"})
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def add_suite(name: str, props: dict[str, str], cases: list[tuple[str, list[Finding], str | None]]) -> None:
        suite = _suite(top, name, props)
        counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
        for rule_id, findings, skip in cases:
            fl, sk = _case(suite, name, rule_id, findings, skip)
            counts["failures"] += fl
            counts["skipped"] += sk
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v

    found = by_result.get(None, {})
    add_suite(SUBMISSION, {"root": report.root},
              [(rule.id, found.get(rule.id, []), None) for rule in catalog
               if rule.scope in ("tree", "submitter", "system") or rule.id in found])
    for r in report.results:
        found = by_result.get(r.id, {})
        cases: list[tuple[str, list[Finding], str | None]] = []
        for rule in catalog:
            if rule.scope == "result":
                cases.append((rule.id, found.get(rule.id, []),
                              None if rule.applies_to(r) else f"does not apply: {rule.why_not(r)}"))
            elif rule.id in found:  # a rule of another level that reported on this result
                cases.append((rule.id, found[rule.id], None))
        add_suite(r.id, _props(r), cases)
    for k, v in totals.items():
        top.set(k, str(v))
    ET.indent(top, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"
