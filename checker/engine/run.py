"""Run every rule over the scopes a suite lays out, turning hits into findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..findings import Finding
from .registry import Registry
from .rules import Rule, Ruleset


@dataclass(frozen=True)
class Scope:
    """One unit the rules of a scope run over: its facts and where it sits (for `applies`)."""

    scope: str  # tree, submitter, system or result
    facts: Any
    result: str | None = None  # the result id findings belong to
    division: str | None = None
    benchmark: str | None = None
    scenario: str | None = None
    system_type: str | None = None


def run_rules(registry: Registry, ruleset: Ruleset, scopes: Iterable[Scope],
              selected: Callable[[str], bool] | None = None, late: bool | None = None) -> list[Finding]:
    """Every selected rule of each scope's kind over that scope's facts; with `late` given, only the
    rules whose kinds are (True) or are not (False) the registry's late kinds."""
    by_scope: dict[str, list[tuple[Rule, Any]]] = {}
    for rule in ruleset.rules:
        if selected is not None and not selected(rule.id):
            continue
        if late is not None and registry.is_late(rule.kind) != late:
            continue
        k = registry.get(rule.kind)
        if k is not None:
            by_scope.setdefault(k.scope, []).append((rule, k.fn))
    out: list[Finding] = []
    for sc in scopes:
        for rule, fn in by_scope.get(sc.scope, ()):
            if not rule.applies.admits(sc.division, sc.benchmark, sc.scenario, sc.system_type):
                continue
            for hit in fn(sc.facts, rule, rule.params, ruleset):
                out.append(Finding(
                    rule=rule.id, severity=hit.severity or rule.severity, path=hit.path,
                    message=rule.render(hit.fields),
                    result=hit.result if hit.result is not None else sc.result, line=hit.line,
                    source=ruleset.source_text(hit.source or rule.source),
                ))
    return out
