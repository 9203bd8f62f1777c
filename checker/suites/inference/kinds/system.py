"""Check kinds for system descriptions (systems/<system>.json)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Literal

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..discover import join
from ..facts import ResultFacts, SystemFacts
from ..ruledata import InferenceRound


class Schema(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    schema: str  # a schema shipped in schemas/, e.g. inference/v0.5/system_desc.schema.json


@kind("system_present", "result")
def system_present(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The result's system has a description in systems/."""
    if r.system.rel is None:
        yield Hit({"want": join(r.res.submitter_rel, "systems", f"{r.res.system}.json"), "system": r.res.system},
                  r.res.id)


@kind("system_renamed", "system")
def system_renamed(s: SystemFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A results folder names no description, and this one is plainly its own, renamed."""
    for folder, why in s.claimed_as:
        yield Hit({"want": folder, "found": s.rel, "why": why}, s.rel or "")


@kind("system_orphan", "system")
def system_orphan(s: SystemFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """A system description no results folder uses."""
    if s.rel is not None and s.results == 0 and not s.claimed_as:
        yield Hit({"system": s.name}, s.rel)


@kind("system_json", "system")
def system_json(s: SystemFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The system description is a readable JSON object."""
    if s.rel is not None and s.problem is not None:
        yield Hit({"why": s.problem}, s.rel)


@kind("system_schema", "system", Schema)
def system_schema(s: SystemFacts, rule: Rule, p: Schema, rs: Ruleset) -> Iterator[Hit]:
    """Required fields and their types, from the round's system-description schema."""
    if s.rel is None or s.data is None:
        return
    _, validator = s.schemas.get(p.schema)
    for err in sorted(validator.iter_errors(dict(s.data)), key=lambda e: (list(e.absolute_path), e.message)):
        if err.validator == "additionalProperties":
            continue  # reported field by field by system_unknown_fields
        where = "/".join(str(x) for x in err.absolute_path)
        if err.validator == "required":
            m = re.match(r"'([^']+)' is a required property", err.message)
            yield Hit({"field": f"'{m.group(1)}'" if m else "(required)", "problem": "is missing"}, s.rel)
        elif err.validator == "anyOf" and not where:
            yield Hit({"field": "host_processor_core_count or host_processor_vcpu_count", "problem": "is missing"},
                      s.rel)
        else:
            yield Hit({"field": f"'{where}'" if where else "(top level)", "problem": f"is invalid: {err.message}"},
                      s.rel)


@kind("system_unknown_fields", "system", Schema)
def system_unknown_fields(s: SystemFacts, rule: Rule, p: Schema, rs: Ruleset) -> Iterator[Hit]:
    """Fields the round's schema does not know (often misspellings)."""
    if s.rel is None or s.data is None:
        return
    known = list(s.schemas.get(p.schema)[0].get("properties", {}))
    for f in sorted(s.data):
        if f not in known:
            close = difflib.get_close_matches(f, known, n=1, cutoff=0.75)
            yield Hit({"field": f, "hint": f" (did you mean '{close[0]}'?)" if close else ""}, s.rel)


def _norm(v: str) -> str:
    return re.sub(r"[^0-9a-z]", "", v.lower())


class Consistency(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # fields the round compares case-insensitively (a case-only difference is then no finding)
    ignore_case: tuple[Literal["division", "submitter"], ...] = ()


@kind("system_consistency", "system", Consistency)
def system_consistency(s: SystemFacts, rule: Rule, p: Consistency, rs: Ruleset) -> Iterator[Hit]:
    """submitter and division in the description agree with the folders it sits in."""
    if s.rel is None or s.data is None:
        return
    for fld, want in (("division", s.submitter.division), ("submitter", s.submitter.name)):
        got = s.data.get(fld)
        if isinstance(got, str) and fld in p.ignore_case and got.lower() == want.lower():
            continue
        if isinstance(got, str) and got != want:
            sev = Severity.WARNING if _norm(got) == _norm(want) else None
            yield Hit({"field": fld, "got": got, "want": want}, s.rel, severity=sev)


class Category(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # listed: the framework is allowed for the hardware category; unknown: either is not in the table
    check: Literal["listed", "unknown"]


@kind("system_category", "system", Category)
def system_category(s: SystemFacts, rule: Rule, p: Category, rs: Ruleset) -> Iterator[Hit]:
    """The framework is allowed for the system's hardware category (the round's table)."""
    if s.rel is None or s.data is None:
        return
    cats = rs.model.categories if isinstance(rs.model, InferenceRound) else None
    if cats is None:
        return
    cat, device = cats.hardware_category(s.data)
    framework = str(s.data.get("framework") or "")
    names = cats.framework_names(framework) if cat is not None else []
    if p.check == "unknown":
        if cat is None:
            yield Hit({"what": "hardware", "name": device or "no device named", "note": ""}, s.rel)
        elif not names:
            yield Hit({"what": "framework", "name": framework, "note": f" ({cat} system)"}, s.rel)
        return
    if cat is None or not names:
        return
    if not any(cat in cats.frameworks[n].categories for n in names):
        allowed = sorted(n for n, e in cats.frameworks.items() if cat in e.categories)
        yield Hit({"framework": "/".join(names), "category": cat, "device": device, "allowed": ", ".join(allowed)},
                  s.rel)


KINDS = (system_present, system_renamed, system_orphan, system_json, system_schema, system_unknown_fields, system_consistency, system_category)
