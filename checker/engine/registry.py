"""Check kinds by name: each is a typed Python function with a typed params record.

A check kind receives the facts of one scope (the tree, one submitter, one system or one
result), its rule, the rule's params (already built and checked by the loader, never a dict)
and the ruleset; it yields Hits: the fields for the rule's message template, the file and
line, and optionally a severity other than the rule's (a kind may report a milder variant,
e.g. a configured value below the rule that the run itself still met) or a source more precise
than the rule's (an entry of the round's data that names its own).

A suite's registry is built from literal lists of kinds (no registration by import side effect).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from ..findings import Severity

SCOPES = ("tree", "submitter", "system", "result")


class Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every kind's params: unknown keys are a load error naming the rule and the key."""


class NoParams(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """For kinds that take no params."""


@dataclass(frozen=True)
class Hit:
    fields: dict[str, Any]
    path: str
    line: int | None = None
    severity: Severity | None = None
    result: str | None = None  # defaults to the scope's result id
    source: str | None = None  # a source more precise than the rule's (a check of the rule's data with its own)


CheckFn = Callable[[Any, Any, Any, Any], Iterable[Hit]]  # (facts, rule, params, ruleset) -> hits


@dataclass(frozen=True)
class Kind:
    name: str
    scope: str  # one of SCOPES
    fn: CheckFn
    params: type[Params]
    doc: str


def kind(name: str, scope: str, params: type[Params] = NoParams) -> Callable[[CheckFn], Kind]:
    """Turn a check function into a Kind; the suite lists its kinds in one literal tuple."""
    if scope not in SCOPES:
        raise ValueError(f"check kind {name}: unknown scope {scope}")

    def wrap(fn: CheckFn) -> Kind:
        return Kind(name, scope, fn, params, (fn.__doc__ or "").strip().split("\n")[0])

    return wrap


class Registry:
    """Check kinds by name, for one suite. Built once from a list of kinds; read-only after."""

    def __init__(self, kinds: Iterable[Kind], late: Iterable[Kind] = ()) -> None:
        """`late`: kinds that read what the suite's last stage adds (re-scoring); they run once it is in,
        the others while it still runs."""
        table: dict[str, Kind] = {}
        late = tuple(late)
        for k in (*kinds, *late):
            if k.name in table:
                raise ValueError(f"check kind {k.name} is listed twice")
            table[k.name] = k
        self._kinds = table
        self._late = frozenset(k.name for k in late)

    def is_late(self, name: str) -> bool:
        return name in self._late

    def get(self, name: str) -> Kind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def __iter__(self) -> Any:
        return iter(self._kinds.values())
