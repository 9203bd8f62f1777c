"""The rule catalogue a report was judged by, for formats that list rules (JUnit, SARIF).

A Report names its ruleset (suite, round, files, digest); the catalogue reloads those rules
so each format can show every rule's text and source, and which rules apply to which result.
When the rules cannot be reloaded unchanged (a --rules file elsewhere, an edited file), the
catalogue holds only the rules that produced findings: never rules the run did not use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import MlcheckError
from ..findings import Report, ResultRecord

SCOPES = ("tree", "submitter", "system", "result")


@dataclass(frozen=True)
class RuleInfo:
    """What a format needs to know about one rule."""

    id: str
    severity: str
    message: str = ""
    source: str = ""
    help: str = ""
    scope: str = "result"  # tree, submitter, system or result
    applies: dict[str, list[str]] = field(default_factory=dict)

    def applies_to(self, result: ResultRecord) -> bool:
        """True when the rule's result scope and its divisions/benchmarks/scenarios include `result`."""
        if self.scope != "result":
            return False
        for key, value in (("divisions", result.division.lower()), ("benchmarks", result.benchmark),
                           ("scenarios", result.scenario)):
            allowed = self.applies.get(key)
            if allowed and value not in allowed:
                return False
        return True

    def why_not(self, result: ResultRecord) -> str:
        """One line saying why the rule does not apply to `result`."""
        if self.scope != "result":
            return f"a {self.scope}-level rule"
        for key, value in (("divisions", result.division.lower()), ("benchmarks", result.benchmark),
                           ("scenarios", result.scenario)):
            allowed = self.applies.get(key)
            if allowed and value not in allowed:
                return f"applies to {key} {', '.join(allowed)} only, not {value}"
        return ""


def load_catalog(report: Report) -> list[RuleInfo]:
    """The rules of the report's ruleset, in file order, plus any rule seen only in findings."""
    rules = _load(report)
    known = {r.id for r in rules}
    for f in report.findings:
        if f.rule not in known:
            known.add(f.rule)
            rules.append(RuleInfo(id=f.rule, severity=f.severity.value, scope="unknown"))
    return rules


def _load(report: Report) -> list[RuleInfo]:
    from ..engine.ruleset import load_ruleset

    try:
        ruleset = load_ruleset(report.suite, report.round)
    except (MlcheckError, OSError, KeyError, ValueError):
        return []
    if ruleset.digest != report.ruleset.get("digest"):
        return []  # not the rules this report was judged by
    scopes = _scopes(report.suite)
    sources = ruleset.data.get("sources", {})
    out = []
    for r in ruleset.rules:
        source = sources.get(r.source, r.source) if isinstance(sources, dict) else r.source
        out.append(RuleInfo(id=r.id, severity=r.severity.value, message=r.message, source=str(source),
                            help=r.help, scope=scopes.get(r.kind, "result"),
                            applies={k: [str(x) for x in v] for k, v in r.applies.items()}))
    return out


def _scopes(suite: str) -> dict[str, str]:
    if suite == "inference":
        from ..engine.inference_kinds import REGISTRY

        return {name: k.scope for name, k in REGISTRY.kinds.items()}
    return {}
