"""The typed round model of an inference ruleset: what the rules file states besides its rules.

Built once per ruleset by the loader (msgspec converts the merged YAML into these records and
refuses unknown, missing or mistyped keys). Every round fact the checks use is here; nothing
round-specific has a default in Python. A value that carries its source is a `Sourced`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")


def _number(v: Any) -> float | None:
    """A count as written in a system description (number or string); None for junk, NaN or infinity."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        return None
    try:
        f = float(v.strip() if isinstance(v, str) else v)
    except (ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


class Data(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of the round-model records."""


class Sourced(Data, Generic[T], frozen=True, forbid_unknown_fields=True, kw_only=True):
    value: T
    source: str


# ---------------------------------------------------------------- scenarios

class MetricSpec(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A scenario's headline metric: its name and unit, the summary key it is read from, a scale."""

    name: str
    unit: str
    summary_key: str
    scale: float
    # keys tried in order when the summary lacks summary_key (older LoadGen builds)
    fallback_percentile: float | None = None  # a latency percentile of the summary, in ns
    fallback_param: str | None = None  # a test parameter of the summary


class Scenario(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    aliases: list[str]
    metric: MetricSpec
    runs_required: Sourced[int]
    min_query_count: Sourced[int]
    latency_metric: bool  # lower is better (the compliance tests compare it the other way round)
    # which performance run the round's results table reports: the first, or the last VALID one
    report_run: Sourced[Literal["first", "last_valid"]] | None = None


# ---------------------------------------------------------------- benchmarks

class AccuracySpec(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    metric: str
    unit: str
    reference: float
    fraction: float
    source: str
    documented_reference: float | None = None
    applied: Literal["reference", "documented_reference"] = "reference"
    # the accuracy.txt line the round's accuracy script prints for this benchmark: one regular
    # expression with a group `value`, and `good`/`total` where the line states the sample counts
    pattern: str

    def __post_init__(self) -> None:
        try:
            groups = re.compile(self.pattern).groupindex
        except re.error as exc:
            raise ValueError(f"accuracy pattern {self.pattern!r} is not a regular expression: {exc}") from exc
        if "value" not in groups:
            raise ValueError(f"accuracy pattern {self.pattern!r} has no (?P<value>...) group")

    @property
    def applied_reference(self) -> float:
        if self.applied == "documented_reference" and self.documented_reference is not None:
            return self.documented_reference
        return self.reference

    @property
    def target(self) -> float:
        """reference x fraction, as the round applied it."""
        return self.applied_reference * self.fraction


class Latency(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    bound_ms: float
    percentile: float
    source: str
    interval_ms: float | None = None


class RescoreSpec(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Which evaluator re-scores the benchmark and the options the round allows it."""

    evaluator: str
    payload_bytes: Sourced[list[int]] | None = None
    payload_multiple: Sourced[int] | None = None
    class_offsets: Sourced[list[int]] | None = None
    use_inv_map: Sourced[bool | None] | None = None
    remove_48_empty_images: Sourced[bool | None] | None = None

    def params(self) -> dict[str, Any]:
        """The evaluator's options as plain values (absent ones left out)."""
        out: dict[str, Any] = {}
        for name in ("payload_bytes", "payload_multiple", "class_offsets", "use_inv_map", "remove_48_empty_images"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v.value
        return out


class Benchmark(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    aliases: list[str]  # other folder spellings seen, accepted with a warning
    folders: list[str] = []  # folder spellings the round's rules accept as they are (besides the id)
    dataset: str
    dataset_samples: Sourced[int]
    performance_sample_count: Sourced[int]
    accuracy: AccuracySpec
    latency: dict[str, Latency] = {}
    dataset_samples_allowed: Sourced[list[int]] | None = None
    min_query_count: Sourced[dict[str, int]] | None = None
    rescore: RescoreSpec | None = None
    # TEST01's accuracy fallback: baseline and compliance accuracy must agree within this (relative)
    compliance_accuracy_delta: Sourced[float] | None = None

    @property
    def allowed_samples(self) -> list[int]:
        if self.dataset_samples_allowed is not None:
            return list(self.dataset_samples_allowed.value)
        return [self.dataset_samples.value]


# ---------------------------------------------------------------- compliance tests

class ComplianceTest(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    checks: list[Literal["performance", "responses", "pair"]]
    benchmarks: list[str]
    scenarios: list[str] | None = None  # None: every scenario
    tolerance: float | None = None  # the performance window, when not the round's performance_tolerance


class TestPair(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Two tests judged together (TEST04: B, the repeated sample, may not be much faster than A)."""

    name: str
    a: str
    b: str
    faster_tolerance: float


class Relaxed(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    tolerance: float
    reference_p90_ns_at_most: float


class AccuracyFallback(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """TEST01: where responses differ, the reference script's score of the accuracy run's matching subset
    (baseline) and of the test's sampled responses (compliance), as two accuracy.txt-style files."""

    baseline: str
    compliance: str


class Compliance(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    source: str
    folder: str  # the submitter folder holding the tests (audit/ in v0.5, compliance/ later)
    tests: dict[str, ComplianceTest]
    pairs: list[TestPair]
    performance_tolerance: float
    singlestream_relaxed: Relaxed
    invalid_run_fails: bool
    # TEST01 response comparison reads both accuracy logs; by default only when together they are this
    # small (keeps validate fast); `--audit-responses all` compares every pair. A tool setting.
    response_compare_max_bytes: int
    accuracy_fallback: AccuracyFallback | None = None

    def applicable(self, benchmark: str | None, scenario: str | None = None) -> list[str]:
        """The tests that apply to `benchmark` (in `scenario`), in the round's order."""
        if benchmark is None:
            return []
        return [name for name, t in self.tests.items() if benchmark in t.benchmarks
                and (t.scenarios is None or scenario is None or scenario in t.scenarios)]

    def pair_of(self, test: str) -> TestPair | None:
        return next((p for p in self.pairs if test in (p.a, p.b)), None)


# ---------------------------------------------------------------- the rest

class Framework(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    match: str
    categories: list[str]


class HardwareMatch(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    match: str
    category: str


class Categories(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    source: str
    frameworks: dict[str, Framework]
    hardware: list[HardwareMatch]
    # a framework matching both keeps only the more specific one: {specific: general}
    prefer: dict[str, str] = {}
    order: list[str]  # the categories in the order tables show them

    def hardware_category(self, data: Mapping[str, Any]) -> tuple[str | None, str]:
        """(category, the device it was derived from); the accelerator decides, else the host processor."""
        acc = str(data.get("accelerator_model_name") or "").strip()
        n_acc = _number(data.get("accelerators_per_node"))
        none = acc.lower() in ("n/a", "na", "none", "-")
        device = acc if acc and not none and (n_acc is None or n_acc > 0) else ""
        if not device:
            device = str(data.get("host_processor_model_name") or "").strip()
        for entry in self.hardware:
            if re.search(entry.match, device, re.IGNORECASE):
                return entry.category, device
        return None, device

    def framework_names(self, framework: str) -> list[str]:
        """The frameworks of the round's table that a description's framework string names."""
        out = [name for name, f in self.frameworks.items() if re.search(f.match, framework, re.IGNORECASE)]
        for specific, general in self.prefer.items():
            if specific in out and general in out:
                out.remove(general)
        return out


class Benign(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pattern: str
    reason: str
    scenarios: list[str] | None = None

    def matches(self, text: str, scenario: str | None) -> bool:
        return bool(re.search(self.pattern, text)) and (not self.scenarios or scenario in self.scenarios)


class Family(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    match: str  # a regular expression over the open result's model folder name (case-insensitive)
    benchmark: str


class OpenFamilies(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    source: str
    families: list[Family]


class SuiteBenchmark(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    required: list[str]
    optional: list[str] = []


class Inferred(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A committee exception: a scenario's folder holding another scenario's run, its value derived."""

    source: str
    from_: str = msgspec.field(name="from")
    to: list[str]
    suites: list[str]
    metric_key: str  # the summary field the derived value is read from
    tolerance: float  # how far that field may be from what the run's mean latency gives


class Suites(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    source: str
    field: str  # the system-description field naming the suite
    benchmarks: dict[str, dict[str, SuiteBenchmark]]  # suite -> benchmark -> scenarios
    inferred: Inferred | None = None


class Constants(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    min_duration_ms: Sourced[int]
    offline_min_samples_per_query: Sourced[int]
    seeds: Sourced[dict[str, int]]


class Layout(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    divisions: list[str]
    # the folders a submitter folder may hold; the layout rules say which are required
    submitter_parts: list[str]


class SummarySection(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One section of the summary LoadGen writes for a performance run, and the keys it always holds."""

    name: str
    part: Literal["fields", "params"]  # the results and stats sections, or 'Test Parameters Used'
    keys: list[str]  # canonical key names (checker.suites.inference.loadgen.canonical_key)
    scenario_metric: bool = False  # the section also holds the scenario's headline metric


class LoadgenSummary(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    source: str
    sections: list[SummarySection]


class InferenceRound(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    constants: Constants
    loadgen_summary: LoadgenSummary
    layout: Layout
    scenarios: dict[str, Scenario]
    benchmarks: dict[str, Benchmark]
    compliance: Compliance
    benign_errors: list[Benign]
    categories: Categories | None = None  # the framework x hardware table (v0.5 committee data)
    open_families: OpenFamilies | None = None
    suites: Suites | None = None

    def benchmark_of(self, folder: str, division: str | None = None) -> str | None:
        """The canonical benchmark a results folder names (case-insensitive, folder spellings and aliases
        included; in the open division also the model families of the round)."""
        low = folder.lower()
        for name, b in self.benchmarks.items():
            if low == name.lower() or low in (a.lower() for a in (*b.folders, *b.aliases)):
                return name
        if division is not None and division.lower() == "open" and self.open_families is not None:
            for fam in self.open_families.families:
                if re.search(fam.match, folder, re.IGNORECASE):
                    return fam.benchmark
        return None

    def suite_of(self, system: Mapping[str, Any] | None) -> str | None:
        """The suite a system description names (None when the round has no suites or it names none)."""
        if self.suites is None or system is None:
            return None
        v = system.get(self.suites.field)
        return v if isinstance(v, str) and v in self.suites.benchmarks else None

    def scenario_of(self, folder: str) -> str | None:
        low = folder.lower()
        for name, s in self.scenarios.items():
            if low == name.lower() or low in (a.lower() for a in s.aliases):
                return name
        return None

    def min_queries(self, benchmark: str | None, scenario: str) -> int:
        b = self.benchmarks.get(benchmark or "")
        if b is not None and b.min_query_count is not None and scenario in b.min_query_count.value:
            return b.min_query_count.value[scenario]
        return self.scenarios[scenario].min_query_count.value

    def benign(self, text: str, scenario: str | None) -> Benign | None:
        return next((b for b in self.benign_errors if b.matches(text, scenario)), None)
