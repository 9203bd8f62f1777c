"""What changed between two versions of a submission: results, metrics, accuracy, validity and findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..findings import Finding, Report, ResultRecord
from ..report.escape import md, md_code, visible

FORMATS = ("text", "json", "markdown")


@dataclass
class Change:
    result: str
    what: str  # "metric", "accuracy" or "valid"
    old: Any
    new: Any


@dataclass
class ReportDiff:
    """Results added and removed, value changes per result, and findings fixed and introduced.

    A finding of a result that the new version no longer has was not fixed: it went with its
    result, and is counted under `removed_findings`.
    """

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    introduced: list[Finding] = field(default_factory=list)
    removed_findings: list[Finding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changes or self.fixed or self.introduced
                    or self.removed_findings)

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed,
                "changes": [{"result": c.result, "what": c.what, "old": c.old, "new": c.new} for c in self.changes],
                "fixed": [f.to_dict() for f in self.fixed],
                "introduced": [f.to_dict() for f in self.introduced],
                "removed_findings": [f.to_dict() for f in self.removed_findings]}


def _accuracy(r: ResultRecord) -> float | None:
    if r.accuracy is None:
        return None
    return r.accuracy.rescored if r.accuracy.rescored is not None else r.accuracy.reported


def _key(f: Finding) -> tuple[str, str, str | None, str]:
    return (f.rule, f.path, f.result, f.message)


def diff_reports(old: Report, new: Report) -> ReportDiff:
    """Compare two validated versions of one submission, result by result (ids are paths in the tree)."""
    out = ReportDiff()
    o = {r.id: r for r in old.results}
    n = {r.id: r for r in new.results}
    out.added = sorted(set(n) - set(o))
    out.removed = sorted(set(o) - set(n))
    for rid in sorted(set(o) & set(n)):
        a, b = o[rid], n[rid]
        ma, mb = (a.metric.value if a.metric else None), (b.metric.value if b.metric else None)
        if ma != mb:
            out.changes.append(Change(rid, "metric", ma, mb))
        if _accuracy(a) != _accuracy(b):
            out.changes.append(Change(rid, "accuracy", _accuracy(a), _accuracy(b)))
        if a.valid != b.valid:
            out.changes.append(Change(rid, "valid", a.valid, b.valid))
    ok, nk = {_key(f): f for f in old.findings}, {_key(f): f for f in new.findings}
    gone = set(out.removed)
    for k in sorted(set(ok) - set(nk), key=lambda k: (k[1], k[0], k[3])):
        (out.removed_findings if ok[k].result in gone else out.fixed).append(ok[k])
    out.introduced = [nk[k] for k in sorted(set(nk) - set(ok), key=lambda k: (k[1], k[0], k[3]))]
    return out


def _change_text(c: Change) -> str:
    if c.what == "metric" and isinstance(c.old, (int, float)) and isinstance(c.new, (int, float)) and c.old:
        return f"{c.result}: metric {c.old:g} -> {c.new:g} ({(c.new / c.old - 1) * 100:+.1f} %)"
    return f"{c.result}: {c.what} {c.old} -> {c.new}"


def _finding_text(f: Finding) -> str:
    return f"{f.severity.value} {f.rule} {f.path}: {f.message}"


def render_diff(d: ReportDiff, fmt: str) -> str:
    """The diff as text, markdown or JSON (names from the submissions escaped for each)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown diff format '{fmt}'", "Known formats: " + ", ".join(FORMATS))
    if fmt == "json":
        return json.dumps(d.to_dict(), indent=2) + "\n"
    sections: list[tuple[str, list[str], bool]] = [
        ("Results added", d.added, True), ("Results removed", d.removed, True),
        ("Changed", [_change_text(c) for c in d.changes], False),
        ("Findings fixed", [_finding_text(f) for f in d.fixed], False),
        ("Findings introduced", [_finding_text(f) for f in d.introduced], False),
        ("Findings of removed results", [_finding_text(f) for f in d.removed_findings], False)]
    lines: list[str] = []
    for title, items, is_id in sections:
        if fmt == "markdown":
            lines += [f"## {title} ({len(items)})", ""]
            lines += [f"- {md_code(x, in_table=False)}" if is_id else f"- {md(x, line_start=True)}" for x in items]
            lines.append("")
        else:
            lines.append(f"{title}: {len(items)}")
            lines += [f"  {visible(x)}" for x in items]
    if d.empty:
        lines.append("no differences")
    return "\n".join(lines).rstrip("\n") + "\n"
