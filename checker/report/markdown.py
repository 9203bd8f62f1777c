"""Markdown: the report as GitHub-flavoured Markdown (the GitHub job summary uses it too)."""

from __future__ import annotations

from collections import defaultdict

from ..findings import Finding, Report, ResultRecord, Severity
from .escape import md, md_code

VERDICT = {True: "valid", False: "**INVALID**"}
MAX_SKIPPED_LISTED = 200  # a changed-only run of a large tree skips thousands; list the first ones


def num(v: float | None) -> str:
    """A number as people read it: integers plain, others to 6 significant digits; '-' for none."""
    if v is None:
        return "-"
    if v == int(v) and abs(v) < 1e12:
        return f"{int(v)}"
    return f"{v:.6g}"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (or a list item): escaped, on one line, nothing live."""
    return md(text)


def code(text: str, in_table: bool = True) -> str:
    """A code span for a path or rule id; '(root)' for the empty path."""
    return md_code(text, in_table)


def verdict_word(report: Report, strict: bool = False) -> str:
    """FAILED, FAILED (strict: N warnings), passed with warnings, or passed."""
    s = report.summary
    if s["errors"]:
        return "FAILED"
    if strict and s["warnings"]:
        return f"FAILED (strict: {s['warnings']} warning{'s' if s['warnings'] != 1 else ''})"
    return "passed with warnings" if s["warnings"] else "passed"


def _metric(r: ResultRecord) -> str:
    return f"{num(r.metric.value)} {r.metric.unit}" if r.metric and r.metric.value is not None else "-"


def _accuracy(r: ResultRecord) -> tuple[str, str]:
    if r.accuracy is None:
        return "-", "-"
    acc = r.accuracy
    shown = num(acc.rescored if acc.rescored is not None else acc.reported)
    if acc.rescored is not None:
        shown += " (re-scored)"
    return shown, num(acc.target)


def _where(f: Finding) -> str:
    return code(f.path + (f":{f.line}" if f.line else ""))


def render_markdown(report: Report, strict: bool = False) -> str:
    """Headline, counts, results table, findings by result, waivers and what was skipped."""
    s = report.summary
    verdict = verdict_word(report, strict)
    files = ", ".join(report.ruleset.get("files", [])) or report.round
    digest = str(report.ruleset.get("digest", ""))[:12]
    out = [f"## mlcheck {md(report.suite)} {md(report.round)}: {verdict}", ""]
    out.append(f"Validated {code(report.root)} with {cell(files)}"
               + (f" (sha256 {digest}…)" if digest else "") + f" by {cell(report.tool)}.")
    out += ["", "| results | valid | invalid | errors | warnings | notes | waived |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            (f"| {s['results']} | {s['valid']} | {s['invalid']} | {s['errors']} | {s['warnings']} "
             f"| {s['infos']} | {s.get('waived', 0)} |"), ""]
    if report.results:
        out += ["### Results", "", "| result | benchmark | scenario | metric | accuracy | target | verdict |",
                "|---|---|---|---:|---:|---:|---|"]
        for r in report.results:
            acc, target = _accuracy(r)
            out.append(f"| {code(r.id)} | {cell(r.benchmark)} | {cell(r.scenario or '-')} | {cell(_metric(r))} "
                       f"| {cell(acc)} | {cell(target)} | {VERDICT[r.valid]} |")
        out.append("")
    active = [f for f in report.findings if f.waived is None]
    if active:
        out += ["### Findings", ""]
        groups: dict[str | None, list[Finding]] = defaultdict(list)
        for f in active:
            groups[f.result].append(f)
        for key in sorted(groups, key=lambda k: (k is not None, k or "")):
            out += [f"#### {code(key, in_table=False) if key else 'Submission'}", "",
                    "| severity | rule | file | message |", "|---|---|---|---|"]
            for f in groups[key]:
                sev = "**error**" if f.severity is Severity.ERROR else f.severity.value
                out.append(f"| {sev} | {code(f.rule)} | {_where(f)} | {cell(f.message)} |")
            out.append("")
    waived = [f for f in report.findings if f.waived is not None]
    if waived:
        out += ["### Waived findings", "", "| severity | rule | file | message | justification |",
                "|---|---|---|---|---|"]
        for f in waived:
            out.append(f"| {f.severity.value} | {code(f.rule)} | {_where(f)} | {cell(f.message)} "
                       f"| {cell(f.waived or '')} |")
        out.append("")
    if report.waivers:
        out += ["### Waivers", "", "| rule | path | justification | matched |", "|---|---|---|---:|"]
        for w in report.waivers:
            out.append(f"| {code(str(w.get('rule', '')))} | {code(str(w.get('path', '')))} "
                       f"| {cell(str(w.get('justification', '')))} | {w.get('matched', 0)} |")
        out.append("")
    if report.skipped:
        out += ["### Skipped", ""]
        for item in report.skipped[:MAX_SKIPPED_LISTED]:
            what = item.get("id") or item.get("path") or item.get("kind", "")
            reason = item.get("reason", "")
            out.append(f"- {code(str(what), in_table=False)}: {cell(str(reason))}" if what
                       else f"- {md(str(reason), line_start=True)}")
        if len(report.skipped) > MAX_SKIPPED_LISTED:
            out.append(f"- … and {len(report.skipped) - MAX_SKIPPED_LISTED} more (see the JSON report)")
        out.append("")
    return "\n".join(out)
