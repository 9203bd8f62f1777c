"""Check kinds for the compliance (audit) tests; they judge what checker.audit read and recomputed."""

from __future__ import annotations

from collections.abc import Iterator

from ..audit import evaluate, required_tests
from ..inference_facts import ResultFacts, TreeFacts
from .core import Hit
from .inference_kinds import kind
from .ruleset import Rule, Ruleset


def _expected_where(r: ResultFacts, test: str) -> str:
    base = f"{r.res.submitter_rel}/audit".lstrip("/")
    return f"{base}/{r.res.system}/{r.res.benchmark_dir}/{r.res.scenario_dir}/{test}"


@kind("audit_missing", "result")
def audit_missing(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Every compliance test the round applies to the result's benchmark is present.

    A submitter with no audit/ folder at all gets one inf.layout.audit-missing finding instead of one per test.
    """
    if r.audit is None:
        return
    has_audit = r.system is not None and r.system.submitter.parts.get("audit", False)
    if not has_audit and not r.audit.tests:
        return
    for test in required_tests(rs, r.benchmark):
        if test not in r.audit.tests:
            yield Hit({"test": test, "where": _expected_where(r, test)}, r.res.id)


def _theirs_note(theirs: str | None, ours: str | None) -> str:
    if theirs is None:
        return ""
    if theirs == ours:
        return " (the submitter's verify output agrees)"
    return f" (the submitter's verify output says TEST {theirs})"


@kind("audit_recomputed", "result")
def audit_recomputed(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A recomputed compliance check fails (performance window, TEST04 B vs A, or TEST01 responses)."""
    checks = rule.params.get("checks", [])
    for o in evaluate(r, rs):
        if o.check in checks and o.ours == "FAIL":
            yield Hit({"test": o.test, "detail": o.detail, "theirs": _theirs_note(o.theirs, o.ours)}, o.path)


@kind("audit_unverifiable", "result")
def audit_unverifiable(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A compliance check that cannot be recomputed from what was shipped, and why."""
    for o in evaluate(r, rs):
        if o.ours is None:
            yield Hit({"test": o.test, "check": o.check, "detail": o.detail}, o.path)


@kind("audit_verify_missing", "result")
def audit_verify_missing(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A compliance test folder lacks the output of its verify script."""
    if r.audit is None:
        return
    names = {"performance": "verify_performance.txt", "responses": "verify_accuracy.txt",
             "test4": "verify_test4_performance.txt"}
    for o in evaluate(r, rs):
        if o.theirs is None and not _has_output(r, o.test, o.check):
            folder = r.audit.tests.get(o.test) or r.audit.tests.get("TEST04-A") or r.audit.tests.get("TEST04-B")
            yield Hit({"test": o.test, "output": names[o.check]}, folder.rel if folder else r.res.id)


def _has_output(r: ResultFacts, test: str, check: str) -> bool:
    """A verify output of the right kind exists, even when it states no verdict."""
    assert r.audit is not None
    want = {"performance": "performance", "responses": "accuracy", "test4": "test4"}[check]
    tests = [r.audit.tests.get(n) for n in (("TEST04-A", "TEST04-B") if test == "TEST04" else (test,))]
    return any(v.output.kind == want for t in tests if t is not None for v in t.verify)


@kind("audit_verify_fail", "result")
def audit_verify_fail(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The submitter's own verify output says FAIL for a check that cannot be recomputed here."""
    for o in evaluate(r, rs):
        if o.theirs == "FAIL" and o.ours is None:
            reason = _reason(r, o.theirs_rel)
            yield Hit({"test": o.test, "reason": f" ({reason})" if reason else ""}, o.theirs_rel or o.path)


def _reason(r: ResultFacts, rel: str | None) -> str:
    assert r.audit is not None
    for t in r.audit.tests.values():
        for v in t.verify:
            if v.rel == rel:
                return v.output.reason
    return ""


@kind("audit_verify_disagree", "result")
def audit_verify_disagree(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The submitter's verify output says FAIL where the recomputation passes (the reverse is in the failure)."""
    for o in evaluate(r, rs):
        if o.theirs == "FAIL" and o.ours == "PASS":
            yield Hit({"test": o.test, "check": o.check, "theirs": "TEST FAIL", "ours": "PASS",
                       "detail": o.detail}, o.theirs_rel or o.path)


@kind("audit_verify_stale", "result")
def audit_verify_stale(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The scores a verify output states are not the scores of the logs shipped beside it."""
    for o in evaluate(r, rs):
        if o.stated:
            yield Hit({"detail": o.stated}, o.theirs_rel or o.path)


@kind("audit_orphans", "tree")
def audit_orphans(t: TreeFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Compliance-test folders that belong to no result."""
    for rel in t.audit.orphans:
        yield Hit({"path": rel}, rel)


@kind("audit_layout", "tree")
def audit_layout(t: TreeFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Compliance-test folders laid out other than the round's layout."""
    for rel, detail in t.audit.layout:
        yield Hit({"detail": detail}, rel)
