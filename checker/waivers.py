"""Waivers: findings a submitter and the committee agreed to accept, each with its justification.

A waivers file is a YAML list of entries::

    - rule: inf.system.category          # a rule id, or a rule-id prefix as for --select/--ignore
      path: "closed/Acme/systems/*.json" # a glob over the finding's path (relative to the validated root)
      justification: "DSP category agreed with the review committee on 2019-09-20"

A waived finding stays in the report, marked with the justification, but no longer counts as an
error or warning. Every waiver is listed in the report with the number of findings it covered,
so a waiver that matches nothing is visible too.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .escape import visible
from .findings import Finding, Report
from .inputs import load_yaml, type_name

FIELDS = ("rule", "path", "justification")
MAX_BYTES = 1 << 20  # a waivers file is a short list; anything larger is not one
HELP = "Each entry needs rule (id or prefix), path (glob) and justification, e.g.\n" \
       "  - {rule: inf.system.category, path: 'closed/Acme/systems/*.json', justification: '...'}"


@dataclass(frozen=True)
class Waiver:
    """One accepted exception: a rule (id or prefix), a path glob and why it is accepted."""

    rule: str
    path: str
    justification: str

    def covers(self, finding: Finding) -> bool:
        """True when the finding's rule starts with `rule` and its path matches the glob."""
        return finding.rule.startswith(self.rule) and fnmatch.fnmatchcase(finding.path, self.path)


def parse_waivers(doc: Any, source: str = "waivers") -> list[Waiver]:
    """Check a loaded YAML document and turn it into waivers; a malformed entry is a UsageError."""
    if doc is None:
        return []
    if isinstance(doc, dict) and set(doc) == {"waivers"}:
        doc = doc["waivers"]  # allow a top-level `waivers:` key as well as a bare list
    if not isinstance(doc, list):
        raise UsageError(f"{source}: expected a list of waivers, got {type_name(doc)}", HELP)
    out: list[Waiver] = []
    for i, entry in enumerate(doc, start=1):
        where = f"{source}: waiver {i}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where} is {type_name(entry)}, not a mapping", HELP)
        unknown = sorted(visible(str(k)) for k in entry if k not in FIELDS)
        if unknown:
            raise UsageError(f"{where} has unknown field(s): {', '.join(unknown)}", HELP)
        for name in FIELDS:
            value = entry.get(name)
            if not isinstance(value, str):
                got = "nothing (the field is missing)" if name not in entry else type_name(value)
                raise UsageError(f"{where} needs a non-empty string '{name}', got {got}", HELP)
            if not value.strip():
                raise UsageError(f"{where} needs a non-empty string '{name}', got an empty one", HELP)
        out.append(Waiver(entry["rule"].strip(), entry["path"].strip().lstrip("/"),
                          entry["justification"].strip()))
    return out


def load_waivers(path: Path) -> list[Waiver]:
    """Read a waivers YAML file (a list of {rule, path, justification}); size, encoding and shape bounded."""
    doc = load_yaml(Path(path), "waivers file", MAX_BYTES, UsageError)
    return parse_waivers(doc, f"waivers file {visible(str(path))}")


def apply_waivers(report: Report, waivers: list[Waiver]) -> Report:
    """Mark every finding a waiver covers (first matching waiver wins), list the waivers, re-decide validity."""
    matched = [0] * len(waivers)
    marked: list[Finding] = []
    for f in report.findings:
        for i, w in enumerate(waivers):
            if w.covers(f):
                matched[i] += 1
                f = dataclasses.replace(f, waived=w.justification)
                break
        marked.append(f)
    report.findings = marked
    report.waivers = [{"rule": w.rule, "path": w.path, "justification": w.justification, "matched": n}
                      for w, n in zip(waivers, matched)]
    report.finalize()
    return report
