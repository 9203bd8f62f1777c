"""The records every stage hands on: Severity, Finding, ResultRecord and the Report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    """How much a finding matters: errors make a result invalid, warnings need --strict to fail."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


@dataclass(frozen=True)
class Finding:
    """One observation about a submission, tied to a rule id and a file."""

    rule: str
    severity: Severity
    path: str  # relative to the validated root, '/'-separated; "" for the root itself
    message: str
    result: str | None = None  # the id of the result it belongs to, if any
    line: int | None = None
    pointer: str | None = None  # JSON pointer inside `path`, where useful
    waived: str | None = None  # the justification of the waiver covering it; waived findings never fail a run
    source: str = ""  # where the rule comes from (document, commit), as the rules file states it

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "result": self.result,
            "message": self.message,
        }
        if self.line is not None:
            out["line"] = self.line
        if self.pointer is not None:
            out["pointer"] = self.pointer
        if self.waived is not None:
            out["waived"] = self.waived
        if self.source:
            out["source"] = self.source
        return out


@dataclass
class Metric:
    name: str
    value: float | None
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "unit": self.unit}


@dataclass
class Accuracy:
    metric: str
    reported: float | None
    target: float | None
    rescored: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "reported": self.reported,
            "target": self.target,
            "rescored": self.rescored,
        }


@dataclass
class ResultRecord:
    """One result as reported: who, what, the headline metric and accuracy, and its verdict.

    `depends` lists files outside the result folder (system description, measurements)
    whose error findings also make the result invalid.
    """

    id: str
    division: str
    submitter: str
    system: str
    benchmark: str
    scenario: str
    metric: Metric | None = None
    accuracy: Accuracy | None = None
    depends: tuple[str, ...] = ()
    valid: bool = True
    # why the result is invalid whatever its findings (a training score the round's policy refuses); not output
    invalid_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "division": self.division,
            "submitter": self.submitter,
            "system": self.system,
            "benchmark": self.benchmark,
            "scenario": self.scenario,
            "valid": self.valid,
            "metric": self.metric.to_dict() if self.metric else None,
            "accuracy": self.accuracy.to_dict() if self.accuracy else None,
        }
        out.update(self.extra)
        return out


SCOPES = ("tree", "submitter", "system", "result")


@dataclass(frozen=True)
class RuleInfo:
    """One rule of the catalogue a report was judged by (for formats that list rules: JUnit, SARIF)."""

    id: str
    severity: str
    message: str = ""
    source: str = ""
    help: str = ""
    scope: str = "result"  # tree, submitter, system or result
    applies: dict[str, list[str]] = field(default_factory=dict)

    def applies_to(self, result: ResultRecord) -> bool:
        """True when the rule's result scope and its divisions/benchmarks/scenarios include `result`."""
        return self.scope == "result" and not self.why_not(result)

    def why_not(self, result: ResultRecord) -> str:
        """One line saying why the rule does not apply to `result` ('' when it does)."""
        if self.scope != "result":
            return f"a {self.scope}-level rule"
        for key, value in (("divisions", result.division.lower()), ("benchmarks", result.benchmark),
                           ("scenarios", result.scenario)):
            allowed = self.applies.get(key)
            if allowed and value not in allowed:
                return f"applies to {key} {', '.join(allowed)} only, not {value}"
        return ""


@dataclass
class Report:
    """Everything one run found: results, findings, and the ruleset that judged them."""

    tool: str
    suite: str
    round: str
    root: str
    ruleset: dict[str, Any]
    results: list[ResultRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    waivers: list[dict[str, Any]] = field(default_factory=list)  # every waiver given, with what it matched
    rules: tuple[RuleInfo, ...] = ()  # the rule catalogue the run was judged by

    def finalize(self) -> None:
        """Sort findings deterministically and decide each result's validity."""
        self.findings.sort(key=lambda f: (f.path, f.line or 0, -f.severity.rank, f.rule, f.message))
        errors_by_result: set[str] = set()
        error_paths: set[str] = set()
        for f in self.findings:
            if f.severity is Severity.ERROR and f.waived is None:
                if f.result is not None:
                    errors_by_result.add(f.result)
                else:
                    error_paths.add(f.path)
        for r in self.results:
            r.valid = (not r.invalid_reason and r.id not in errors_by_result
                       and not any(d in error_paths for d in r.depends))
        self.results.sort(key=lambda r: r.id)

    def count(self, severity: Severity) -> int:
        """Findings of this severity that count: waived ones do not."""
        return sum(1 for f in self.findings if f.severity is severity and f.waived is None)

    @property
    def summary(self) -> dict[str, int]:
        valid = sum(1 for r in self.results if r.valid)
        return {
            "results": len(self.results),
            "valid": valid,
            "invalid": len(self.results) - valid,
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "infos": self.count(Severity.INFO),
            "waived": sum(1 for f in self.findings if f.waived is not None),
        }

    def exit_code(self, strict: bool = False) -> int:
        """0 clean, 1 errors (or warnings under strict)."""
        if self.count(Severity.ERROR):
            return 1
        if strict and self.count(Severity.WARNING):
            return 1
        return 0

    def findings_for(self, result_id: str | None) -> list[Finding]:
        return [f for f in self.findings if f.result == result_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "suite": self.suite,
            "round": self.round,
            "root": self.root,
            "ruleset": self.ruleset,
            "summary": self.summary,
            "results": [r.to_dict() for r in self.results],
            "findings": [f.to_dict() for f in self.findings],
            "skipped": self.skipped,
            "waivers": self.waivers,
        }
