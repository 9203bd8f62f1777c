"""The rule catalogue a report was judged by, for formats that list rules (JUnit, SARIF).

A Report carries its catalogue (every rule of its ruleset with its scope); a rule seen only in
findings (a report read back from JSON, or built by hand) is added with an unknown scope.
"""

from __future__ import annotations

from ..findings import SCOPES, Report, RuleInfo

__all__ = ["SCOPES", "RuleInfo", "load_catalog"]


def load_catalog(report: Report) -> list[RuleInfo]:
    """The rules of the report's ruleset, in file order, plus any rule seen only in findings."""
    rules = list(report.rules)
    known = {r.id for r in rules}
    for f in report.findings:
        if f.rule not in known:
            known.add(f.rule)
            rules.append(RuleInfo(id=f.rule, severity=f.severity.value, scope="unknown"))
    return rules
