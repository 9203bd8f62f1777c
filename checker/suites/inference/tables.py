"""Round-wide inference tables for the review committee: published counts, per-result rows, framework x hardware."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...engine.rules import load_ruleset
from ...errors import UsageError
from ...findings import Report
from ...review.tables import FORMATS, Table, render_csv, render_markdown, render_text
from .kinds import REGISTRY
from .ruledata import InferenceRound


@dataclass
class InferenceTables:
    counts: list[Table] = field(default_factory=list)  # one per division: every result in the tree
    valid_counts: list[Table] = field(default_factory=list)  # one per division: results with no error finding
    results: Table | None = None
    matrix: Table | None = None
    unknown: Table | None = None
    raw_results: list[dict[str, Any]] = field(default_factory=list)


def _round(report: Report) -> InferenceRound:
    """The round data a report was judged by (its scenarios, benchmarks and categories, in the round's order)."""
    rnd: InferenceRound = load_ruleset("inference", report.round, REGISTRY, InferenceRound).model
    return rnd


def _fmt_num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:.4g}" if abs(v) < 1000 else f"{v:,.0f}"


def build_tables(reports: list[Report]) -> InferenceTables:
    """Derive every inference table from validated reports.

    The count table counts every result of the tree: a round's published record holds exactly the
    results the round accepted, so counting them reproduces its published table whatever mlcheck's own
    verdicts; a second table counts only the results mlcheck finds valid, for review.
    """
    out = InferenceTables()
    counts: dict[str, dict[str, dict[str, int]]] = {}
    valid_counts: dict[str, dict[str, dict[str, int]]] = {}
    names: dict[str, str] = {}
    matrix: dict[str, set[str]] = {}
    unknown: list[list[str]] = []
    rows: list[list[str]] = []
    seen_systems: set[tuple[str, str, str]] = set()
    scenarios: list[str] = []
    categories: list[str] = []
    for rep in reports:
        if rep.suite != "inference":
            continue
        rnd = _round(rep)
        scenarios = scenarios or list(rnd.scenarios)
        cats = rnd.categories
        categories = categories or (list(cats.order) if cats else [])
        for b, spec in rnd.benchmarks.items():
            names[b] = spec.name
        for r in rep.results:
            sysd: dict[str, Any] = r.extra.get("system_description") or {}
            cat, device = cats.hardware_category(sysd) if sysd and cats else (None, "")
            framework = str(sysd.get("framework") or "")
            fws = cats.framework_names(framework) if framework and cats else []
            acc = str(sysd.get("accelerator_model_name") or "")
            n = sysd.get("accelerators_per_node")
            accel = f"{acc} x{n}" if acc and n not in (None, 0, "0") else (acc or str(sysd.get("host_processor_model_name") or ""))
            metric = r.metric.value if r.metric else None
            unit = r.metric.unit if r.metric else ""
            accuracy = r.accuracy.rescored if r.accuracy and r.accuracy.rescored is not None else (
                r.accuracy.reported if r.accuracy else None)
            # which of several runs the value is (v0.7 Server: the last VALID one, as the round's table)
            run = f" ({r.extra['metric_run']})" if r.extra.get("metric_run") and r.extra["metric_run"] != "run_1" else ""
            rows.append([r.division, r.submitter, r.system, accel, "/".join(fws) or framework[:40], names.get(r.benchmark, r.benchmark),
                         r.scenario, f"{_fmt_num(metric)} {unit}{run}".strip(), _fmt_num(accuracy),
                         "yes" if r.valid else "no"])
            out.raw_results.append({"division": r.division, "submitter": r.submitter, "system": r.system,
                                    "accelerator": accel, "framework": framework, "benchmark": r.benchmark,
                                    "benchmark_name": names.get(r.benchmark, r.benchmark), "scenario": r.scenario,
                                    "metric": metric, "unit": unit, "accuracy": accuracy, "valid": r.valid,
                                    "category": cat})
            if r.scenario in scenarios:
                # the round's table: per division, and per suite in rounds that have suites
                group = f"{r.division.lower()} division" + (f", {r.extra['suite']} suite" if r.extra.get("suite") else "")
                for table, include in ((counts, True), (valid_counts, r.valid)):
                    if include:
                        d = table.setdefault(group, {})
                        d.setdefault(r.benchmark, dict.fromkeys(scenarios, 0))[r.scenario] += 1
            key = (r.submitter, r.system, r.division)
            if key in seen_systems or cats is None:
                continue
            seen_systems.add(key)
            if cat is None or not fws:
                why = (f"hardware '{device or 'not stated'}' matches no category" if cat is None
                       else f"framework '{framework or 'not stated'}' is not in the round's table")
                unknown.append([r.submitter, r.system, framework, device, why])
                continue
            for fw in fws:
                matrix.setdefault(fw, set()).add(cat)
    out.counts = _count_tables(counts, names, scenarios, "Results per benchmark and scenario",
                               "every result in the tree (the published record)")
    out.valid_counts = _count_tables(valid_counts, names, scenarios, "Valid results per benchmark and scenario",
                                     "only results with no error finding")
    rows.sort(key=lambda x: (x[0], x[1].lower(), x[2].lower(), x[5], scenarios.index(x[6]) if x[6] in scenarios else 9))
    out.results = Table("Results", ["division", "submitter", "system", "accelerator (count)", "framework",
                                    "benchmark", "scenario", "metric", "accuracy", "valid"], rows)
    if categories:  # rounds with a framework x hardware table (v0.5's committee data)
        out.matrix = Table("Frameworks by hardware category", ["framework", *categories],
                           [[fw, *("X" if c in found else "" for c in categories)] for fw, found in sorted(matrix.items())],
                           "derived from the system descriptions: the accelerator decides, else the host processor")
        out.unknown = Table("Systems not placed in the matrix", ["submitter", "system", "framework", "device", "why"],
                            sorted(unknown), "listed, not guessed")
    return out


def _count_tables(counts: dict[str, dict[str, dict[str, int]]], names: dict[str, str], scenarios: list[str],
                  title: str, note: str) -> list[Table]:
    """One table per division, laid out as the round's published count table, with a total row."""
    out = []
    for div in sorted(counts):
        body = []
        totals = dict.fromkeys(scenarios, 0)
        for b in sorted(counts[div], key=lambda x: (names.get(x) or x).lower()):
            c = counts[div][b]
            body.append([names.get(b, b), *(str(c[s]) for s in scenarios), str(sum(c.values()))])
            for s in scenarios:
                totals[s] += c[s]
        body.append(["total", *(str(totals[s]) for s in scenarios), str(sum(totals.values()))])
        out.append(Table(f"{title} ({div})", ["model", *scenarios, "total"], body, note))
    return out


def all_tables(t: InferenceTables) -> list[Table]:
    return [*t.counts, *t.valid_counts, *(x for x in (t.matrix, t.unknown, t.results) if x is not None)]


def _json(t: InferenceTables) -> str:
    def tab(x: Table | None) -> dict[str, Any] | None:
        return None if x is None else {"title": x.title, "header": x.header, "rows": x.rows, "note": x.note}

    doc = {"counts": [tab(c) for c in t.counts], "valid_counts": [tab(c) for c in t.valid_counts], "matrix": tab(t.matrix), "unknown": tab(t.unknown),
           "results": t.raw_results}
    return json.dumps(doc, indent=2) + "\n"


def render_inference_report(reports: list[Report], fmt: str) -> str:
    """The round-wide inference report in text, markdown, csv or json (html is the review page,
    checker.review.html.render_review)."""
    if fmt not in FORMATS or fmt == "html":
        raise UsageError(f"unknown report format '{fmt}'", "Known formats: text, markdown, csv, json.")
    t = build_tables(reports)
    if fmt == "json":
        return _json(t)
    return {"text": render_text, "markdown": render_markdown, "csv": render_csv}[fmt](all_tables(t))
