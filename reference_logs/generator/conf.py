"""LoadGen config files as the v0.7 round used them: mlperf.conf, user.conf, audit.config.

A line is ``model.scenario.key = value`` (``*`` a wildcard, ``#`` a comment); a key is
looked up as model.scenario, then *.scenario, then model.*, then *.* (the first found
wins); times are milliseconds. :func:`apply_conf` turns the files of a run into LoadGen
TestSettings the way ``TestSettings::FromConfig`` of the v0.7 LoadGen did, onto the
fields LoadGen 6.x still has.

Why the generator applies them itself: LoadGen 6.0.17 carries its own (6.0) mlperf.conf
and ignores the seeds of any other config file (``FromConfig(path, model, scenario, 0)``
loads the built-in file whatever the path; user.conf and audit.config cannot set seeds),
so the v0.7 seeds and the TEST05 seeds could not reach a 6.x run through its files. The
files written into the sample are the ones whose values the runs used; LoadGen still reads
each compliance test's audit.config itself (and says so in the detail log).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")

# The v0.7 round's mlperf.conf, as data: (key, value) in the file's order, with the
# file's groups. Source: mlperf.conf of mlcommons/inference @ 75018167 (last changed in
# 7631a63c, 2020-09-04), the file every v0.7 measurements folder carries.
MLPERF_CONF_V07: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        ("Set performance_sample_count for each model.\n"
        "User can optionally set this to higher values in user.conf."),
        (
            ("mobilenet.*.performance_sample_count_override", "1024"),
            ("gnmt.*.performance_sample_count_override", "3903900"),
            ("resnet50.*.performance_sample_count_override", "1024"),
            ("ssd-mobilenet.*.performance_sample_count_override", "256"),
            ("ssd-resnet34.*.performance_sample_count_override", "64"),
            ("bert.*.performance_sample_count_override", "10833"),
            ("dlrm.*.performance_sample_count_override", "204800"),
            ("rnnt.*.performance_sample_count_override", "2513"),
            ("3d-unet.*.performance_sample_count_override", "16"),
        ),
    ),
    (
        "Set seeds. The seeds will be distributed two weeks before the submission.",
        (
            ("*.*.qsl_rng_seed", "12786827339337101903"),
            ("*.*.sample_index_rng_seed", "12640797754436136668"),
            ("*.*.schedule_rng_seed", "3135815929913719677"),
        ),
    ),
    (
        "",
        (
            ("*.SingleStream.target_latency_percentile", "90"),
            ("*.SingleStream.min_duration", "60000"),
            ("*.SingleStream.min_query_count", "1024"),
        ),
    ),
    (
        "",
        (
            ("*.MultiStream.target_qps", "20"),
            ("*.MultiStream.target_latency_percentile", "99"),
            ("*.MultiStream.max_async_queries", "1"),
            ("*.MultiStream.target_latency", "50"),
            ("*.MultiStream.min_duration", "60000"),
            ("*.MultiStream.min_query_count", "270336"),
            ("ssd-resnet34.MultiStream.target_qps", "15"),
            ("ssd-resnet34.MultiStream.target_latency", "66"),
            ("gnmt.MultiStream.min_query_count", "90112"),
            ("gnmt.MultiStream.target_latency", "100"),
            ("gnmt.MultiStream.target_qps", "10"),
            ("gnmt.MultiStream.target_latency_percentile", "97"),
        ),
    ),
    (
        "",
        (
            ("*.Server.target_latency", "10"),
            ("*.Server.target_latency_percentile", "99"),
            ("*.Server.target_duration", "0"),
            ("*.Server.min_duration", "60000"),
            ("*.Server.min_query_count", "270336"),
            ("resnet50.Server.target_latency", "15"),
            ("ssd-resnet34.Server.target_latency", "100"),
            ("gnmt.Server.min_query_count", "90112"),
            ("gnmt.Server.target_latency", "250"),
            ("gnmt.Server.target_latency_percentile", "97"),
            ("bert.Server.target_latency", "130"),
            ("dlrm.Server.target_latency", "30"),
            ("rnnt.Server.target_latency", "1000"),
        ),
    ),
    (
        "",
        (
            ("*.Offline.target_latency_percentile", "90"),
            ("*.Offline.min_duration", "60000"),
        ),
    ),
    (
        ("In the Offline scenario there is always one query; LoadGen maps min_query_count\n"
        "to its minimum sample count there: the rules want at least 24576 samples."),
        (("*.Offline.min_query_count", "24576"),),
    ),
    (
        "These fields should be defined and overridden by user.conf.",
        (
            ("*.SingleStream.target_latency", "10"),
            ("*.Server.target_qps", "1.0"),
            ("*.Offline.target_qps", "1.0"),
            ("*.MultiStream.samples_per_query", "4"),
        ),
    ),
)

# The audit.config of each v0.7 compliance test (compliance/nvidia/TEST*/ of
# mlcommons/inference @ 75018167). TEST01's accuracy_log_sampling_target is per model.
TEST01_SAMPLING_TARGET = {"resnet50": 4096, "ssd-mobilenet": 1024, "ssd-resnet34": 256, "bert": 4096,
                          "dlrm": 4096, "rnnt": 4096, "3d-unet": 64}
TEST01_ACCURACY_LOG_RNG_SEED = 720381539243781796
TEST05_SEEDS = {"qsl_rng_seed": 313588358309856706, "sample_index_rng_seed": 471397156132239067,
                "schedule_rng_seed": 413914573387865862}
TEST04B_SAME_INDEX = 3


def audit_config_lines(test: str, model: str) -> tuple[tuple[str, str], ...]:
    """The key/value lines of a v0.7 compliance test's audit.config."""
    mode = (("*.*.mode", "2"),)  # 2 = PerformanceOnly
    if test == "TEST01":
        return (*mode, ("*.*.accuracy_log_rng_seed", str(TEST01_ACCURACY_LOG_RNG_SEED)),
                ("*.*.accuracy_log_sampling_target", str(TEST01_SAMPLING_TARGET[model])))
    if test == "TEST04-A":
        return (*mode, ("*.*.performance_issue_unique", "1"))
    if test == "TEST04-B":
        return (*mode, ("*.*.performance_issue_same", "1"),
                ("*.*.performance_issue_same_index", str(TEST04B_SAME_INDEX)))
    if test == "TEST05":
        return (*mode, *((f"*.*.{k}", str(v)) for k, v in TEST05_SEEDS.items()))
    raise ValueError(f"no v0.7 compliance test {test!r}")


CONF_HEADER = (
    "# The format of this config file is 'key = value'.\n"
    "# The key has the format 'model.scenario.key'. Value is mostly int64_t.\n"
    "# Model maybe '*' as wildcard. In that case the value applies to all models.\n"
    "# All times are in milli seconds\n"
)


def conf_text(groups: Iterable[tuple[str, Iterable[tuple[str, str]]]], header: str = CONF_HEADER) -> str:
    """A config file: the header, then each group's comment lines and its key = value lines."""
    out = [header.rstrip("\n")]
    for comment, lines in groups:
        out.append("")
        out.extend(f"# {c}" if c else "#" for c in comment.splitlines())
        out.extend(f"{k} = {v}" for k, v in lines)
    return "\n".join(out) + "\n"


def mlperf_conf_v07() -> str:
    """The v0.7 round's mlperf.conf."""
    return conf_text(MLPERF_CONF_V07)


def parse_conf(text: str) -> dict[str, str]:
    """key -> value of a config file; a later line for the same key wins, as in LoadGen's reader."""
    kv: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) < 3 or words[1] != "=":
            raise ValueError(f"line {number}: expected 'key = value': {raw!r}")
        value = words[2]
        try:
            float(value) if not value.lstrip("-").isdigit() else int(value)
        except ValueError:
            raise ValueError(f"line {number}: value needs to be integer or double: {raw!r}") from None
        kv[words[0]] = value
    return kv


def lookup(kv: Mapping[str, str], model: str, scenario: str, key: str) -> str | None:
    """The value LoadGen takes for `key`: model.scenario, *.scenario, model.*, *.* in that order."""
    for name in (f"{model}.{scenario}.{key}", f"*.{scenario}.{key}", f"{model}.*.{key}", f"*.*.{key}"):
        if name in kv:
            return kv[name]
    return None


@dataclass(frozen=True)
class Field:
    """How a v0.7 config key sets a LoadGen 6.x TestSettings field."""

    field: str
    kind: type  # int, float or bool
    scale: float = 1.0  # ms -> ns, percent -> fraction


# v0.7 FromConfig: key -> field, for the keys of every scenario ...
_COMMON: dict[str, Field] = {
    "min_duration": Field("min_duration_ms", int),
    "max_duration": Field("max_duration_ms", int),
    "min_query_count": Field("min_query_count", int),
    "max_query_count": Field("max_query_count", int),
    "qsl_rng_seed": Field("qsl_rng_seed", int),
    "sample_index_rng_seed": Field("sample_index_rng_seed", int),
    "schedule_rng_seed": Field("schedule_rng_seed", int),
    "accuracy_log_rng_seed": Field("accuracy_log_rng_seed", int),
    "accuracy_log_probability": Field("accuracy_log_probability", float, 0.01),
    "accuracy_log_sampling_target": Field("accuracy_log_sampling_target", int),
    "print_timestamps": Field("print_timestamps", bool),
    "performance_issue_unique": Field("performance_issue_unique", bool),
    "performance_issue_same": Field("performance_issue_same", bool),
    "performance_issue_same_index": Field("performance_issue_same_index", int),
    "performance_sample_count_override": Field("performance_sample_count_override", int),
}
# ... and per scenario. None: a v0.7 key that LoadGen 6.x has no field for.
_SCENARIO: dict[str, dict[str, Field | None]] = {
    "SingleStream": {
        "target_latency_percentile": Field("single_stream_target_latency_percentile", float, 0.01),
        "target_latency": Field("single_stream_expected_latency_ns", int, 1e6),
    },
    "MultiStream": {
        "target_latency_percentile": Field("multi_stream_target_latency_percentile", float, 0.01),
        # 6.x has no MultiStream issue interval (v0.7: target_qps, 20 = every 50 ms) and no
        # async-query limit; it reads target_latency as the expected latency that sizes
        # the pre-generated query list, where v0.7 had the latency bound.
        "target_qps": None,
        "max_async_queries": None,
        "target_latency": Field("multi_stream_expected_latency_ns", int, 1e6),
        "samples_per_query": Field("multi_stream_samples_per_query", int),
    },
    "Server": {
        "target_latency_percentile": Field("server_target_latency_percentile", float, 0.01),
        "target_latency": Field("server_target_latency_ns", int, 1e6),
        "target_qps": Field("server_target_qps", float),
        "coalesce_queries": Field("server_coalesce_queries", bool),
        "max_async_queries": Field("server_max_async_queries", int),
        "target_duration": None,  # in mlperf.conf, never read by FromConfig
    },
    "Offline": {
        "target_latency_percentile": None,  # no latency bound in Offline; FromConfig ignores it
        "target_qps": Field("offline_expected_qps", float),
    },
}
_MODES = {0: "SubmissionRun", 1: "AccuracyOnly", 2: "PerformanceOnly", 3: "FindPeakPerformance"}


def _value(f: Field, raw: str) -> Any:
    if f.kind is bool:
        return int(raw, 0) != 0
    if f.kind is int:
        return int(raw, 0) * int(f.scale) if f.scale >= 1 else int(int(raw, 0) * f.scale)
    return float(raw) * f.scale


def apply_conf(kv: Mapping[str, str], model: str, scenario: str) -> tuple[dict[str, Any], str | None]:
    """(TestSettings fields, mode or None) that one parsed config file sets for model and scenario."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}")
    fields: dict[str, Any] = {}
    for key, f in _COMMON.items():
        raw = lookup(kv, model, scenario, key)
        if raw is not None:
            fields[f.field] = _value(f, raw)
    for key, opt in _SCENARIO[scenario].items():
        raw = lookup(kv, model, scenario, key)
        if raw is not None and opt is not None:
            fields[opt.field] = _value(opt, raw)
    raw_mode = lookup(kv, model, scenario, "mode")
    mode = _MODES[int(raw_mode, 0)] if raw_mode is not None else None
    return fields, mode


def settings_from_files(texts: Iterable[str], model: str, scenario: str) -> tuple[dict[str, Any], str | None]:
    """The TestSettings of config files applied in order (mlperf.conf, user.conf, audit.config)."""
    fields: dict[str, Any] = {}
    mode: str | None = None
    for text in texts:
        more, m = apply_conf(parse_conf(text), model, scenario)
        fields.update(more)
        mode = m or mode
    return fields, mode
