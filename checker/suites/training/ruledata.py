"""The typed round model of a training ruleset: the `training:` section of rules/training/*.yaml.

Built once per ruleset by the loader (msgspec converts the merged YAML into these records and
refuses unknown, missing or mistyped keys). Every round fact the training stages and checks use
is here: the log format, how non-converged runs are scored, the benchmarks with their run counts
and targets, the closed-division hyperparameter table. Nothing round-specific has a default in
Python; an optional entry that is absent means the round has no such thing. A value that carries
its source is a `Sourced`.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")

TimeFrom = Literal["run_stop", "eval_result.timestamp"]  # run_stop - run_start, or eval_result's metadata.timestamp


class Data(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of the round-model records."""


class Sourced(Data, Generic[T], frozen=True, forbid_unknown_fields=True, kw_only=True):
    value: T
    source: str


# ---------------------------------------------------------------- benchmarks

class Runs(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How many result logs the rules ask for; and fewer, where the round's published record accepted it."""

    value: int
    source: str
    published_minimum: Sourced[int] | None = None


class Alternative(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Another target, for runs whose log states `key` at least `at_least` (in `division`, or in any)."""

    key: str
    at_least: int | float
    value: float
    source: str
    division: str | None = None


class Target(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The quality target: one value, or one per part (Mask R-CNN's box and mask AP)."""

    value: float | dict[str, float]
    unit: Literal["fraction", "bleu"]
    metric: str
    source: str
    # a logged value above 1 read as a percentage (False: compared raw, as the round's checker did)
    rescale_percent: bool
    below: float | None = None  # the logged value must also be under this (0.7.0: a fraction < 1.0)
    alternatives: list[Alternative] = []


class ScoreRuns(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Score only the first `first_converged` runs that converge, in run_start order (v0.5 NCF)."""

    first_converged: int
    order: Literal["run_start"]
    source: str


class Benchmark(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    title: str  # the column title of the published results table
    aliases: list[str]  # other folder names of the benchmark
    runs: Runs
    target: Target
    score_runs: ScoreRuns | None = None
    time_from: Sourced[TimeFrom] | None = None  # when not the round's time_from


# ---------------------------------------------------------------- hyperparameters

class Scaled(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Element `index` of a list is base x (1 + step k) for an integer k."""

    index: int
    base: float
    step: float


class Check(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What one hyperparameter must be; every key given applies (none: it need only be logged)."""

    present: bool = False  # only that it is logged (says so where no value is checked)
    positive: bool = False
    at_least: int | float | None = None
    equals: str | int | float | bool | None = None
    one_of: list[str | int | float | bool] | None = None
    boolean: bool = False
    multiple_of: float | None = None
    power_of_two_times: float | None = None
    length: int | None = None
    scaled: Scaled | None = None
    once: bool = False  # logged exactly once (or many times with one value)
    metadata: dict[str, list[str | int | float | bool]] = {}  # metadata field -> the values allowed
    severity: Literal["error", "warning", "info"] | None = None  # when this check's is not the rule's
    source: str | None = None  # when this check's is not the rule's


class When(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Checks that apply when the log's `key` has the value `equals` (ResNet's by opt_name; compared as
    the table compares values, ignoring case where it is case_insensitive)."""

    key: str
    equals: str | int | float | bool
    keys: dict[str, Check]


class BenchmarkHyperparameters(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    keys: dict[str, Check] = {}
    when: list[When] = []


class Hyperparameters(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The closed division's hyperparameter table and how its values are compared."""

    source: str
    case_insensitive: bool  # enumerated strings compared ignoring case, as the round judged them
    bool_strings: bool  # the strings "True"/"False" read as booleans
    benchmarks: dict[str, BenchmarkHyperparameters]


# ---------------------------------------------------------------- the round

class Nonconverged(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How a run that did not reach the target enters the olympic mean.

    count: its measured time stays in; drop-one: it is the slowest and is dropped, and more than
    `allowed` make the result invalid; infinite: it counts as infinite time (one is the dropped
    slowest, two leave no finite score).
    """

    value: Literal["count", "drop-one", "infinite"]
    source: str
    allowed: int | None = None  # drop-one: how many may fail

    def __post_init__(self) -> None:
        if (self.value == "drop-one") != (self.allowed is not None):
            raise ValueError("`allowed` is given with policy drop-one, and only with it")


class Training(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    log_format: Sourced[Literal["MLPv0.5.0", "MLL", "MLLOG"]]
    time_unit: Sourced[Literal["s", "ms"]]
    nonconverged: Nonconverged
    # run_stop statuses a converged run may have (null: any; a null entry: a log without run_stop)
    converged_status: Sourced[list[str | None] | None]
    compare_float32: Sourced[bool]  # accuracies and targets compared as float32 values
    converge_before_run_stop: Sourced[bool]  # only evaluations before run_stop count
    init_limit_s: Sourced[float]  # untimed initialisation, first init_start to init_stop
    time_from: Sourced[TimeFrom]  # how a run is timed, unless its benchmark says otherwise
    system_schema: Sourced[str]  # the schema of systems/<system>.json, under schemas/
    entry_schema: Sourced[str]  # the schema of a v0.5-style results/<system>/entry.json
    benchmarks: dict[str, Benchmark]
    hyperparameters: Hyperparameters | None = None  # the closed division's table (none: not checked)

    def benchmark_of(self, folder: str) -> str | None:
        """The canonical benchmark of a folder (or logged) name, aliases included (mask -> maskrcnn)."""
        low = folder.lower()
        for name, b in self.benchmarks.items():
            if low == name or low in (a.lower() for a in b.aliases):
                return name
        return None

    def time_from_of(self, benchmark: str | None) -> TimeFrom:
        b = self.benchmarks.get(benchmark or "")
        return b.time_from.value if b is not None and b.time_from is not None else self.time_from.value


class TrainingRound(Data, frozen=True, forbid_unknown_fields=True, kw_only=True):
    training: Training
