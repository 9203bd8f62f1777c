"""LoadGen logs: the summary and detail logs, in the v0.5 text format and the `:::MLLOG` JSON format.

Both formats are read into the same typed records with canonical key names, so checks
never care which LoadGen wrote a log.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

SCENARIOS = {
    "singlestream": "SingleStream",
    "single stream": "SingleStream",
    "multistream": "MultiStream",
    "multi stream": "MultiStream",
    "multistreamfree": "MultiStreamFree",
    "server": "Server",
    "offline": "Offline",
}

MODES = {
    "performance": "Performance",
    "performanceonly": "Performance",
    "accuracy": "Accuracy",
    "accuracyonly": "Accuracy",
    "submission": "Submission",
    "submissionrun": "Submission",
    "findpeakperformance": "FindPeakPerformance",
}


def canonical_scenario(raw: str) -> str | None:
    """'Multi Stream', 'multistream', 'MultiStream' -> 'MultiStream'; None when unknown."""
    return SCENARIOS.get(" ".join(raw.strip().lower().split()))


def canonical_mode(raw: str) -> str | None:
    return MODES.get(raw.strip().lower().replace(" ", ""))


# Unit suffixes the v0.5 text format writes in a key, mapped to the MLLOG suffix.
_UNIT_SUFFIX = re.compile(r"\s*\((ns|ms|us)\)\s*$")


_NOT_KEY = re.compile(r"[^0-9a-z]+")


def canonical_key(raw: str) -> str:
    """'min_duration (ms)' -> 'min_duration_ms'; 'Test mode' -> 'test_mode'."""
    raw = raw.strip()
    if raw.endswith(")"):  # the only keys with a unit suffix; the search is not run on the others
        m = _UNIT_SUFFIX.search(raw)
        if m:
            raw = raw[: m.start()] + "_" + m.group(1)
    return _NOT_KEY.sub("_", raw.lower()).strip("_")


class KeyNames(dict[str, str]):
    """One run's canonical key names by spelling, `names[raw]`: a few hundred spellings recur in every log
    of a round (a per-run cache; at most 4,096 spellings of up to 128 characters are kept). A dict, so
    that a spelling met before costs one lookup in C."""

    def __missing__(self, raw: str) -> str:
        key = canonical_key(raw)
        if len(raw) <= 128 and len(self) < 4096:
            self[raw] = key
        return key


def to_number(value: Any) -> float | int | None:
    """A LoadGen value as a number: ints stay ints; 'true'/'false', NaN, infinities and junk give None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        s = value.strip()
        try:
            return int(s)  # ValueError also for more digits than int() converts (4300)
        except ValueError:
            try:
                f = float(s)
            except ValueError:
                return None
            return f if math.isfinite(f) else None
    return None


@dataclass
class LogLine:
    line: int
    text: str


@dataclass
class DetailLog:
    """What a detail log proves about a run."""

    format: str  # "v0.5-text" or "mllog"
    scenario: str | None = None
    mode: str | None = None
    effective: dict[str, Any] = field(default_factory=dict)
    requested: dict[str, Any] = field(default_factory=dict)
    qsl_total: int | None = None
    qsl_performance: int | None = None
    generated_queries: int | None = None
    generated_samples_per_query: int | None = None
    generated_duration_ns: int | None = None
    duration_ns: int | None = None  # measured test duration, where the log states it
    power_inverted: bool = False  # POWER_END stamped before POWER_BEGIN: the log's clock cannot be trusted
    results: dict[str, Any] = field(default_factory=dict)  # MLLOG result_* keys
    errors: list[LogLine] = field(default_factory=list)
    warnings: list[LogLine] = field(default_factory=list)
    problems: list[LogLine] = field(default_factory=list)  # lines that could not be parsed
    loadgen_version: str | None = None


@dataclass
class SummaryLog:
    """The fields of mlperf_log_summary.txt, keys canonicalised."""

    scenario: str | None = None
    mode: str | None = None
    valid: bool | None = None
    fields: dict[str, str] = field(default_factory=dict)  # the 'Results Summary' and 'Additional Stats' sections
    params: dict[str, str] = field(default_factory=dict)  # the 'Test Parameters Used' section
    percentiles_ns: dict[float, float] = field(default_factory=dict)
    intervals: dict[float, float] = field(default_factory=dict)  # MultiStream percentiles of intervals
    errors_reported: int | None = None
    warnings_reported: int | None = None
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)  # (key, first value, later value)

    @property
    def recognized(self) -> bool:
        """Whether the text holds anything only a LoadGen summary holds."""
        return bool(self.fields.get("scenario") or self.fields.get("mode") or "result_is" in self.fields
                    or self.errors_reported is not None or self.warnings_reported is not None)

    def number(self, key: str) -> float | int | None:
        return to_number(self.fields.get(key))

    def param(self, key: str) -> float | int | None:
        return to_number(self.params.get(key))


_PCT = re.compile(r"^(\d+)_(\d+)_percentile_latency_ns$")
_INTERVALS = re.compile(r"^(\d+)_(\d+)_percentile$")  # MultiStream: intervals a query spanned
# Keys a summary states once; a second, different value is a contradiction, not a detail.
_SINGLE = frozenset({"scenario", "mode", "result_is", "sut_name"})
_COUNT = re.compile(r"^(no|\d+) (warning|error)s? encountered", re.IGNORECASE)


def parse_summary(text: str, names: KeyNames | None = None) -> SummaryLog:
    """Parse mlperf_log_summary.txt (both LoadGen generations write the same layout); `names`: the run's
    key spellings (one of this log's own without)."""
    names = KeyNames() if names is None else names
    out = SummaryLog()
    section = "summary"
    for raw in text.split("\n"):
        line = raw.strip()
        if not line.strip("="):  # blank, or a rule of '='
            continue
        low = line.lower()
        if low == "test parameters used":
            section = "params"
            continue
        if low in ("additional stats", "mlperf results summary"):
            section = "summary"
            continue
        m = _COUNT.match(line) if line[0] in "nN" or line[0].isdecimal() else None  # "no"/a count first
        if m:
            # a count too long for int() is still a count: saturate rather than fail
            count = 0 if m.group(1).lower() == "no" else _int(m.group(1))
            n = sys.maxsize if count is None else count
            if m.group(2).lower() == "warning":
                out.warnings_reported = n
            else:
                out.errors_reported = n
            continue
        if ":" not in line:
            continue
        key, _, value = line.partition(":")
        ckey, value = names[key], value.strip()
        if section == "params":
            if ckey in out.params and out.params[ckey] != value:
                out.conflicts.append((ckey, out.params[ckey], value))
            out.params.setdefault(ckey, value)
            continue
        if ckey in _SINGLE and ckey in out.fields:
            if out.fields[ckey] != value:
                out.conflicts.append((ckey, out.fields[ckey], value))
            continue  # the first statement counts, a contradicting one is reported
        out.fields.setdefault(ckey, value)
        if ckey == "scenario":
            out.scenario = canonical_scenario(value)
        elif ckey == "mode":
            out.mode = canonical_mode(value)
        elif ckey == "result_is":
            out.valid = value.upper().startswith("VALID")
        elif ckey[:1].isdigit():  # a percentile ('90.00 percentile latency (ns)'); keys are [0-9a-z_]
            num = to_number(value)
            pm = _PCT.match(ckey)
            if pm and num is not None:
                # first occurrence wins: MultiStream prints per-query before per-sample latencies
                out.percentiles_ns.setdefault(float(f"{pm.group(1)}.{pm.group(2)}"), float(num))
            im = _INTERVALS.match(ckey)
            if im and num is not None:
                out.intervals.setdefault(float(f"{im.group(1)}.{im.group(2)}"), float(num))
    return out


# ---------------------------------------------------------------- detail logs

# a line's prefix; the rest of the line is its statement
_TEXT_LINE = re.compile(r'"pid":\s*\d+,\s*"tid":\s*\d+,\s*"ts":\s*\d+ns\s*:\s?')
_GENERATED = re.compile(
    r'GeneratedQueries:\s*"queries"\s*:\s*(\d+),\s*"samples per query"\s*:\s*(\d+),\s*"duration"\s*:\s*(\d+)'
)
_POWER = re.compile(r'^POWER_(BEGIN|END):.*"time"\s*:\s*(.*)$')
_POWER_TIME = re.compile(r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+(?:\.\d+)?)")


def _power_seconds(text: str) -> float | None:
    """'10-10-2019 06:25:28.957' (month-day-year) as seconds; only differences matter."""
    m = _POWER_TIME.search(text)
    if not m:
        return None
    mo, d, y, hh, mm, ss = m.groups()
    try:
        day = datetime.date(int(y), int(mo), int(d)).toordinal()
        return day * 86400 + int(hh) * 3600 + int(mm) * 60 + float(ss)
    except (ValueError, OverflowError):  # month 13, year 0, digits past int()'s limit
        return None


def parse_detail(text: str, names: KeyNames | None = None) -> DetailLog:
    """Parse mlperf_log_detail.txt in whichever format it is written (`names`: as for parse_summary)."""
    if ":::MLLOG" in text[:65536]:
        return _parse_mllog(text)
    return _parse_v05_text(text, KeyNames() if names is None else names)


# Every line mlcheck reads of a text detail log (settings, errors, warnings, generated queries, power
# marks) is short; the long ones list loaded sample sets ("Loading QSL", megabytes in v0.7 logs). A
# line is read up to this many characters, so a megabyte line costs no regex pass over all of it.
_LINE_READ = 4096


def _parse_v05_text(text: str, names: KeyNames) -> DetailLog:
    out = DetailLog(format="v0.5-text")
    block: dict[str, Any] | None = None
    power: dict[str, float] = {}
    # lines found one at a time and cut at _LINE_READ: v0.7's "Loading QSL" lines are 94 % of its detail
    # logs' text (555 MB in 6,069 lines), which a split would copy whole
    pos, n, size, find = 0, 0, len(text), text.find
    while pos <= size:
        end = find("\n", pos)
        if end < 0:
            end = size
        raw = text[pos:min(end, pos + _LINE_READ)]
        pos, n = end + 1, n + 1
        m = _TEXT_LINE.match(raw)
        if not m:
            continue  # continuation lines (git log, file hashes) carry nothing we check
        stripped = raw[m.end():].strip()
        # the checks in order (an ERROR line is an error wherever it stands), tried only where the
        # first character allows: most lines are settings or per-thread statistics
        first = stripped[:1]
        if first == "E":
            if stripped.startswith("ERROR"):
                out.errors.append(LogLine(n, stripped.partition(":")[2].strip() or stripped))
                continue
            if stripped == "Effective Settings:":
                block = out.effective
                continue
        elif first == "W":
            if stripped.startswith("WARNING"):
                out.warnings.append(LogLine(n, stripped.partition(":")[2].strip() or stripped))
                continue
        elif first == "R":
            if stripped == "Requested Settings:":
                block = out.requested
                continue
        elif not first:
            block = None
            continue
        if "GeneratedQueries" in stripped:
            g = _GENERATED.search(stripped)
            if g:
                if out.generated_queries is None:
                    out.generated_queries = _int(g.group(1))
                    out.generated_samples_per_query = _int(g.group(2))
                    out.generated_duration_ns = _int(g.group(3))
                continue
        if first == "P" and stripped.startswith("POWER_"):
            p = _POWER.match(stripped)
            if p:
                # the first BEGIN and the first END bracket the timed run
                t = _power_seconds(p.group(2))
                if t is not None:
                    power.setdefault(p.group(1), t)
                continue
        elif first == "Q":
            if stripped.startswith("QSL total size:"):
                out.qsl_total = _int(stripped.partition(":")[2])
                continue
            if stripped.startswith("QSL performance size"):
                out.qsl_performance = _int(stripped.partition(":")[2])
                continue
        elif first in "Vv" and stripped.startswith(("Version :", "version :")):
            out.loadgen_version = stripped.partition(":")[2].strip()
            continue
        if block is not None and ":" in stripped:
            key, _, value = stripped.partition(":")
            block.setdefault(names[key], value.strip())
    _set_duration(out, power)
    _settle(out)
    return out


def _set_duration(out: DetailLog, power: dict[str, float]) -> None:
    if "BEGIN" in power and "END" in power:
        if power["END"] >= power["BEGIN"]:
            out.duration_ns = int(round((power["END"] - power["BEGIN"]) * 1e9))
        else:
            out.power_inverted = True


def _parse_mllog(text: str) -> DetailLog:
    out = DetailLog(format="mllog")
    power: dict[str, float] = {}
    for n, raw in enumerate(text.split("\n"), start=1):
        idx = raw.find(":::MLLOG")
        if idx < 0:
            continue
        try:
            rec = json.loads(raw[idx + len(":::MLLOG") :])
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
            out.problems.append(LogLine(n, "a :::MLLOG line is not valid JSON"))
            continue
        if not isinstance(rec, dict):
            out.problems.append(LogLine(n, "a :::MLLOG line is not a JSON object"))
            continue
        key = str(rec.get("key", ""))
        value = rec.get("value")
        raw_meta = rec.get("metadata")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        if meta.get("is_error") or key.startswith("error"):
            out.errors.append(LogLine(n, str(value)))
            continue
        if meta.get("is_warning") or key.startswith("warning"):
            out.warnings.append(LogLine(n, str(value)))
            continue
        if key.startswith("effective_"):
            out.effective.setdefault(key[len("effective_") :], value)
        elif key.startswith("requested_"):
            out.requested.setdefault(key[len("requested_") :], value)
        elif key.startswith("result_"):
            out.results.setdefault(key[len("result_") :], value)
        elif key == "qsl_reported_total_count":
            out.qsl_total = _int(value)
        elif key == "qsl_reported_performance_count":
            out.qsl_performance = _int(value)
        elif key == "generated_query_count" and out.generated_queries is None:
            out.generated_queries = _int(value)
        elif key == "generated_samples_per_query" and out.generated_samples_per_query is None:
            out.generated_samples_per_query = _int(value)
        elif key == "generated_query_duration" and out.generated_duration_ns is None:
            out.generated_duration_ns = _int(value)
        elif key == "loadgen_version":
            out.loadgen_version = str(value)
        elif key in ("power_begin", "power_end"):
            t = _power_seconds(str(value))
            if t is not None:
                power.setdefault(key[len("power_") :].upper(), t)
        elif key not in out.results:
            out.results.setdefault(key, value)
    _set_duration(out, power)
    _settle(out)
    return out


def _settle(out: DetailLog) -> None:
    sc = out.effective.get("scenario")
    if isinstance(sc, str):
        out.scenario = canonical_scenario(sc)
    mode = out.effective.get("test_mode")
    if isinstance(mode, str):
        out.mode = canonical_mode(mode)


def _int(value: Any) -> int | None:
    num = to_number(value)
    return int(num) if num is not None else None
