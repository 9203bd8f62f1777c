"""The engine: check kinds chosen by name from a plain registry, run over typed facts.

A check kind is a typed Python function. It receives the facts of one scope (the tree,
one submitter, one system or one result), the rule and the ruleset, and yields Hits:
the fields for the rule's message template, the file and line, and optionally a
severity other than the rule's (a kind may report a milder variant, e.g. a configured
value below the rule that the run itself still met).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..findings import Finding, Severity
from .ruleset import Ruleset


@dataclass(frozen=True)
class Hit:
    fields: dict[str, Any]
    path: str
    line: int | None = None
    severity: Severity | None = None
    result: str | None = None  # defaults to the scope's result id
    message: str | None = None  # a full message, for kinds whose wording varies
    source: str | None = None  # a more precise source than the rule's, for kinds whose checks have their own


@dataclass(frozen=True)
class Kind:
    scope: str  # "tree", "submitter", "system" or "result"
    fn: Callable[..., Iterable[Hit]]
    doc: str = ""


@dataclass
class Registry:
    """Check kinds by name. One registry per suite; built once, read-only after."""

    kinds: dict[str, Kind] = field(default_factory=dict)

    def kind(self, name: str, scope: str) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
        def deco(fn: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
            if name in self.kinds:
                raise ValueError(f"check kind {name} registered twice")
            self.kinds[name] = Kind(scope, fn, (fn.__doc__ or "").strip().split("\n")[0])
            return fn

        return deco

    def names(self) -> frozenset[str]:
        return frozenset(self.kinds)


_SOURCE_KEY = re.compile(r"(?<![\w.-])([A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9])(?![\w-])")


def source_text(ruleset: Ruleset, source: str) -> str:
    """A rule's source with the keys of the ruleset's `sources` it names spelled out (document and commit)."""
    table = ruleset.data.get("sources") or {}
    if source in table:
        return str(table[source])
    keys = list(dict.fromkeys(k for k in _SOURCE_KEY.findall(source) if k in table))
    if not keys:
        return source
    return f"{source} [" + "; ".join(f"{k}: {table[k]}" for k in keys) + "]"


def run_scope(registry: Registry, ruleset: Ruleset, scope: str, facts: Any,
              result_id: str | None = None, division: str | None = None,
              benchmark: str | None = None, scenario: str | None = None,
              selected: Callable[[str], bool] | None = None) -> Iterator[Finding]:
    """Run every rule of `scope` over `facts` and turn hits into findings."""
    for rule in ruleset.rules:
        kind = registry.kinds.get(rule.kind)
        if kind is None or kind.scope != scope:
            continue
        if selected is not None and not selected(rule.id):
            continue
        if not rule.applies_to(division, benchmark, scenario):
            continue
        for hit in kind.fn(facts, rule, ruleset):
            yield Finding(
                rule=rule.id,
                severity=hit.severity or rule.severity,
                path=hit.path,
                message=hit.message or rule.render(hit.fields),
                result=hit.result if hit.result is not None else result_id,
                line=hit.line,
                source=source_text(ruleset, hit.source or rule.source),
            )
