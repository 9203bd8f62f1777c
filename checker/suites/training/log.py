"""MLPerf Training result logs (the training suite's log parser), one tolerant parser per format.

- v0.5 `:::MLPv0.5.0 <benchmark> <ts> (<file>:<line>) <key>[: <value>]`
- v0.6 `:::MLL <unix seconds> <key>: {"value": ..., "metadata": {...}}`
- v0.7+ `:::MLLOG {"time_ms": ..., "key": ..., "value": ..., "metadata": {...}}`

Nothing here raises for bad input. Every oddity becomes a Quirk (kind, first line, count,
an example) that the rules turn into findings. A log in no MLPerf format at all is still
read for the facts it states in its own words (run start and stop, "Total runtime",
accuracies) so the time can be derived and said so.
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, NamedTuple

import msgspec

from ...fs import DEFAULT_MAX_BYTES, TextFile, decode, read_upto

FORMAT_V05 = "MLPv0.5.0"
FORMAT_V06 = "MLL"
FORMAT_V07 = "MLLOG"
FORMAT_FOREIGN = "foreign"  # some text, but no MLPerf token at all
FORMAT_EMPTY = "empty"

# Quirk kinds (stable; the rules map them to rule ids).
PREFIX = "prefix"  # text before the token: MPI rank tags, other processes' output
INTERLEAVED = "interleaved"  # two records on one line
UNPARSED = "unparsed"  # a record whose payload could not be read (truncated, garbage)
PYDICT = "python-dict"  # payload written as a Python dict (single quotes, bare keys)
STRING_NUMBER = "string-number"  # a number written as a string
DUPLICATE = "duplicate"  # the same once-only key printed many times (many ranks)
TIME_S = "time-s"  # an MLLOG record stamped with time_s (seconds) instead of time_ms
QuirkKind = Literal["prefix", "interleaved", "unparsed", "python-dict", "string-number", "duplicate", "time-s"]

_KEY = itemgetter(0)  # Event.key, read in C

ONCE_KEYS = ("run_start", "run_stop", "init_stop", "eval_result")

_MLL = re.compile(r":::MLL[ \t]+(\d+(?:\.\d*)?)[ \t]+([A-Za-z0-9_]+)[ \t]*:[ \t]*(.*)$")
_V05 = re.compile(
    r":::MLPv0\.5\.0[ \t]+(\S+)[ \t]+(\d+(?:\.\d*)?)[ \t]+\(([^)]*)\)[ \t]+([A-Za-z0-9_]+)(?:[ \t]*:[ \t]*(.*))?$"
)
_BARE_KEY = re.compile(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)(\s*:)")
_BARE_WORD = re.compile(r"(:\s*)([A-Za-z_][A-Za-z0-9_./<>-]*)(\s*[,}])")
_scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner JSONDecoder.decode drives, without its Python wrapping
_JSON_SPACE = " \t\n\r"


def _decode(s: str) -> Any:
    """json.JSONDecoder().decode(s): one JSON value, JSON whitespace around it; ValueError otherwise."""
    idx = len(s) - len(s.lstrip(_JSON_SPACE)) if s[:1] in _JSON_SPACE else 0
    try:
        obj, end = _scan(s, idx)
    except StopIteration:
        raise ValueError("Expecting value") from None
    if end != len(s) and s[end:].strip(_JSON_SPACE):
        raise ValueError("Extra data")
    return obj


_BAD = object()  # marks a payload that could not be decoded
_JSON_WORDS = re.compile(r"\b(null|true|false)\b")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class Event(NamedTuple):
    """One log record: key, value, metadata, time in seconds, 1-based line number (immutable; a tuple, cheap to make)."""

    key: str
    value: Any
    metadata: dict[str, Any]
    time_s: float
    line: int


_new_event = tuple.__new__  # _new_event(Event, (key, value, metadata, time_s, line)) skips NamedTuple's Python __new__


@dataclass
class Quirk:
    """One kind of oddity in a log: where it first happened, how often, and an example."""

    kind: str
    line: int
    count: int = 1
    example: str = ""
    detail: str = ""


@dataclass
class ForeignFacts:
    """What a log in no MLPerf format still states: start/stop times, total runtime, accuracies."""

    benchmark: str | None = None
    run_start_s: float | None = None
    run_start_line: int | None = None
    run_stop_s: float | None = None
    run_stop_line: int | None = None
    total_runtime_s: float | None = None
    total_runtime_line: int | None = None
    accuracies: list[tuple[int, float, bool]] = field(default_factory=list)  # (line, value, was a percent)


@dataclass
class TrainingLog:
    """A parsed training log: its format, the records in order, and its quirks."""

    format: str
    events: list[Event] = field(default_factory=list)
    quirks: dict[str, Quirk] = field(default_factory=dict)
    lines: int = 0
    record_lines: int = 0  # lines holding an MLPerf token
    benchmark: str | None = None  # as the v0.5 format names it on every line
    foreign: ForeignFacts | None = None
    _first: dict[str, Event] | None = field(default=None, repr=False, compare=False)
    _counts: Counter[str] | None = field(default=None, repr=False, compare=False)
    _counted: int = field(default=-1, repr=False, compare=False)
    _indexed: int = field(default=-1, repr=False, compare=False)
    _payloads: dict[str, tuple[Any, bool]] = field(default_factory=dict, repr=False, compare=False)
    _by_key: dict[str, list[Event]] | None = field(default=None, repr=False, compare=False)
    _grouped: int = field(default=-1, repr=False, compare=False)

    def count(self, key: str) -> int:
        """How many records carry `key`."""
        if self._counts is None or self._counted != len(self.events):
            self._counts, self._counted = Counter(map(_KEY, self.events)), len(self.events)
        return self._counts.get(key, 0)

    def note(self, kind: str, line: int, example: str = "", detail: str = "") -> None:
        """Count one quirk; the first occurrence keeps its line and example."""
        q = self.quirks.get(kind)
        if q is None:
            self.quirks[kind] = Quirk(kind, line, 1, example[:160], detail)
        else:
            q.count += 1

    def first(self, key: str) -> Event | None:
        """The first record with `key` (many ranks may print it; the first one counts)."""
        if self._first is None or self._indexed != len(self.events):
            backwards = self.events[::-1]  # the first record of a key is the last one a dict keeps
            self._first, self._indexed = dict(zip(map(_KEY, backwards), backwards)), len(self.events)
        return self._first.get(key)

    def all(self, key: str) -> list[Event]:
        """Every record with `key`, in log order (a new list)."""
        if self._by_key is None or self._grouped != len(self.events):
            by: dict[str, list[Event]] = {}
            for ev in self.events:
                lst = by.get(ev[0])
                if lst is None:
                    by[ev[0]] = [ev]
                else:
                    lst.append(ev)
            self._by_key, self._grouped = by, len(self.events)
        return list(self._by_key.get(key, ()))


def _loads_lenient(payload: str) -> tuple[Any, bool]:
    """JSON first; then a Python literal (never eval); then bare keys quoted. (value, was_json) or raises."""
    try:
        return _decode(payload), True
    except ValueError:
        pass
    if "'" in payload:
        # the common Python-dict shape ({'lineno': 742, 'file': 'a.py'}): swapping quotes makes it JSON,
        # far cheaper than literal_eval; anything this breaks (an apostrophe in a string) falls through
        try:
            return _decode(payload.replace("'", '"')), False
        except ValueError:
            pass
    try:
        return ast.literal_eval(payload), False
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        pass
    pythonic = _JSON_WORDS.sub(lambda m: {"null": "None", "true": "True", "false": "False"}[m.group(0)], payload)
    try:
        return ast.literal_eval(pythonic), False
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        pass
    quoted = _BARE_KEY.sub(r'\1"\2"\3', payload)
    quoted = _BARE_WORD.sub(r'\1"\2"\3', quoted)
    quoted = _BARE_WORD.sub(r'\1"\2"\3', quoted)  # adjacent matches share a delimiter
    quoted = quoted.replace('"true"', "true").replace('"false"', "false").replace('"null"', "null")
    quoted = quoted.replace('"True"', "true").replace('"False"', "false").replace('"None"', "null")
    return json.loads(quoted), False


def _number(v: Any) -> tuple[Any, bool]:
    """A number written as a string becomes a number; (value, was_string)."""
    if isinstance(v, str) and _NUMBER.match(v.strip()):
        s = v.strip()
        return (float(s) if any(c in s for c in ".eE") else int(s)), True
    return v, False


_META_NUMBERS = ("epoch_num", "timestamp", "iteration", "first_epoch_num", "epoch_count")


def _interpret(key: str, payload: str | None, cache: dict[str, tuple[Any, bool]]) -> tuple[Any, Any, tuple[tuple[str, str], ...]]:
    """What one v0.6-style record says: (value, metadata, notes), metadata None when the payload is unreadable.

    notes are the (quirk kind, detail) pairs to count for every record written this way, in order.
    The result depends on key and payload alone, so callers may reuse it for a repeated record;
    the metadata dict is a template, copied into each Event.
    """
    value: Any = None
    meta: dict[str, Any] = {}
    notes: list[tuple[str, str]] = []
    if payload is not None and payload.strip():
        # many ranks print the very same payload; decode each distinct one once
        cached = cache.get(payload)
        if cached is None:
            try:
                cached = _loads_lenient(payload.strip())
            except (ValueError, RecursionError):
                cached = (_BAD, False)
            cache[payload] = cached
        obj, was_json = cached
        if obj is _BAD:
            return None, None, ((UNPARSED, f"the payload of '{key}' is not JSON (truncated or garbled)"),)
        if not was_json:
            notes.append((PYDICT, ""))
        if isinstance(obj, dict) and ("value" in obj or "metadata" in obj):
            value = obj.get("value")
            m = obj.get("metadata")
            meta = dict(m) if isinstance(m, dict) else {}
        else:
            value = obj
    value, was_str = _number(value) if key.startswith("eval_") else (value, False)
    if was_str:
        notes.append((STRING_NUMBER, f"'{key}' value"))
    for mk in _META_NUMBERS:
        if mk in meta:
            meta[mk], was_str = _number(meta[mk])
            if was_str:
                notes.append((STRING_NUMBER, f"'{key}' metadata {mk}"))
    return value, meta, tuple(notes)


def _note_all(log: TrainingLog, notes: tuple[tuple[str, str], ...], lineno: int, raw: Any) -> None:
    """Count each note of one record; raw is the line, or a callable giving it (decoded only for a first one)."""
    quirks = log.quirks
    for kind, detail in notes:
        q = quirks.get(kind)
        if q is None:
            line = raw() if callable(raw) else raw
            quirks[kind] = Quirk(kind, lineno, 1, line[:160], detail)
        else:
            q.count += 1


def _record(log: TrainingLog, key: str, ts: float, payload: str | None, lineno: int, raw: str) -> None:
    """Decode one v0.6-style payload into an Event, noting what was odd about it."""
    value, meta, notes = _interpret(key, payload, log._payloads)
    if notes:
        _note_all(log, notes, lineno, raw)
    if meta is not None:
        log.events.append(_new_event(Event, (key, value, dict(meta), ts, lineno)))


def _iter_token_lines(text: str, token: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) of each line holding `token`, jumping from token to token (logs are mostly noise)."""
    pos, line_no, counted_to = text.find(token), 1, 0
    while pos >= 0:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        if end < 0:
            end = len(text)
        line_no += text.count("\n", counted_to, start)
        counted_to = start
        yield line_no, text[start:end]
        pos = text.find(token, end)


def _line_text(raw: bytes) -> str:
    """One line's bytes as read_log gives its text: a CR before the LF dropped, a lone CR a space."""
    if b"\r" in raw:
        raw = raw.rstrip(b"\r").replace(b"\r", b" ")
    return raw.decode("utf-8", "replace")


def _parse_mll(log: TrainingLog, token_lines: Iterator[tuple[int, str]]) -> None:
    for i, line in token_lines:
        _mll_line(log, i, line)


def _mll_line(log: TrainingLog, i: int, line: str) -> None:
    """One line holding ':::MLL', in whatever shape: prefixed, interleaved, truncated."""
    pos = line.find(":::MLL")
    log.record_lines += 1
    if pos > 0 and line[:pos].strip():
        log.note(PREFIX, i, line)
    chunk = line[pos:] if pos else line
    if chunk.count(":::MLL") > 1:
        log.note(INTERLEAVED, i, line)
        pieces = [":::MLL" + p for p in chunk.split(":::MLL")[1:]]
    else:
        pieces = [chunk]
    for piece in pieces:
        m = _MLL.match(piece)
        if m is None:
            log.note(UNPARSED, i, piece, "the record does not match ':::MLL <seconds> <key>: <payload>'")
            continue
        _record(log, m.group(2), float(m.group(1)), m.group(3), i, line)


# Every ':::MLL' token of a log's bytes, in one regex pass in C (the literal prefix is searched fast).
# When the token opens its line (nothing but a LF or the start of the text before it) and a key
# and colon follow its seconds, group 1 holds the seconds and group 2 the rest of the line (key and
# payload: the record's cache key; `.*` runs to the LF in C's fastest loop). That is a well-formed
# record unless it holds a CR or another token, and _TAIL splits it; _mll_line reads such a line
# the same way. Otherwise group 1 is None: a dirty line, read by _mll_line.
_MLL_REC = re.compile(rb":::MLL(?:(?<![^\n]:::MLL)[ \t]+(\d+(?:\.\d*)?)[ \t]+([A-Za-z0-9_]+[ \t]*:.*))?")
_TAIL = re.compile(rb"([A-Za-z0-9_]+)[ \t]*:[ \t]*(.*)", re.DOTALL)
_TOKEN = b":::MLL"
Interpretation = tuple[str, Any, Any, tuple[tuple[str, str], ...]]  # key, value, metadata, notes


class RecordCache:
    """What a v0.6 record's tail (key and payload) says, for the logs of one validation run.

    Many logs of a tree repeat the same records (every rank, every run), so a tail is interpreted
    once per run. Entries are immutable in use (each Event gets its own metadata dict). Kept only
    while small: over `max_bytes` of tails (the whole v0.6 corpus holds ~0.45 MB) it is emptied
    when a log is done; a tail over `max_tail` bytes is not kept. One object per run, made by the
    suite's build stage; never shared between runs.
    """

    def __init__(self, max_bytes: int = 4 << 20, max_tail: int = 2_048) -> None:
        self.tails: dict[bytes, Interpretation] = {}
        self.size = 0  # bytes of tails held
        self.max_bytes = max_bytes
        self.max_tail = max_tail

    def log_done(self, added: int) -> None:
        self.size += added
        if self.size > self.max_bytes:
            self.tails.clear()
            self.size = 0


def _parse_mll_bytes(log: TrainingLog, data: bytes, cache: RecordCache) -> None:
    """Every v0.6 record of a log's bytes, in order, the same as _parse_mll over its decoded token lines.

    Well-formed whole-line records (nearly all) are read without decoding their line, and a
    repeated record (many ranks print the same payload) reuses its interpretation. A line in
    any other shape (prefixed, interleaved, truncated, with a CR) is decoded and read by
    _mll_line. Also sets log.lines: newlines are counted once, between records, in C.
    """
    seen, max_tail = cache.tails, cache.max_tail
    added = 0
    payloads = log._payloads
    append = log.events.append
    count, find = data.count, data.find
    token, new_event, event, to_float, copy = _TOKEN, _new_event, Event, float, dict
    has_cr = b"\r" in data
    size = len(data)
    lineno, counted = 1, 0  # the line number at byte `counted`, a line start
    line_end = -1  # end of the last line read; a token before it is on that line
    n_lines = 0
    repeats: dict[tuple[tuple[str, str], ...], int] = {}  # notes whose kinds are all noted: just counted
    quirks = log.quirks
    for m in _MLL_REC.finditer(data):
        pos = m.start()
        if pos < line_end:
            continue  # another token of a dirty line already read
        n_lines += 1
        ts, tail = m.group(1, 2)
        if ts is not None and token not in tail and not (has_cr and b"\r" in tail):
            lineno += count(b"\n", counted, pos)
            counted = line_end = pos
            hit = seen.get(tail)
            if hit is None:
                key_b, payload_b = _TAIL.match(tail).group(1, 2)  # type: ignore[union-attr]
                key = key_b.decode("ascii")
                hit = (key, *_interpret(key, payload_b.decode("utf-8", "replace"), payloads))
                if len(tail) <= max_tail:
                    seen[tail] = hit
                    added += len(tail)
            key, value, meta, notes = hit
            if notes:
                n = repeats.get(notes)
                if n is not None:
                    repeats[notes] = n + 1
                else:
                    _note_all(log, notes, lineno, data[pos:m.end()].decode("utf-8", "replace"))
                    if all(k in quirks for k, _ in notes):
                        repeats[notes] = 0
            if meta is not None:
                append(new_event(event, (key, value, copy(meta) if meta else {}, to_float(ts), lineno)))
            continue
        end = find(b"\n", pos)
        if end < 0:
            end = size
        start = data.rfind(b"\n", 0, pos) + 1
        lineno += count(b"\n", counted, start)
        counted, line_end = start, end
        n_lines -= 1  # _mll_line counts it
        _mll_line(log, lineno, _line_text(data[start:end]))
    for notes, n in repeats.items():
        for kind, _ in notes:
            quirks[kind].count += n
    log.record_lines += n_lines
    cache.log_done(added)
    newlines = lineno - 1 + count(b"\n", counted)
    log.lines = newlines + (0 if data.endswith(b"\n") or not data else 1)


_MLLOG = ":::MLLOG"


_FAST = msgspec.json.Decoder()  # strict JSON; whatever it refuses is read by the json module


class _Record(msgspec.Struct):
    """The fields mlcheck reads from a well-formed ':::MLLOG' record (the others are ignored)."""

    key: str
    time_ms: float
    value: Any = None
    metadata: dict[str, Any] | None = None


_BATCH = msgspec.json.Decoder(list[_Record])
_BATCH_LINES = 512  # clean lines decoded in one call; a line the batch refuses costs its batch the line path


def _parse_mllog(log: TrainingLog, token_lines: list[tuple[int, str]]) -> None:
    """Every ':::MLLOG' record, from the lines holding the token (the rest of a log is other output).

    Clean lines (the token first and once, then a JSON object) are decoded a batch at a time into
    typed records; a record that is not plain (a string where a number belongs, no finite time_ms,
    non-object metadata, …), and every other line, takes the per-line path, which gives the same
    records for what both read. Records keep their order.
    """
    batch: list[tuple[int, str]] = []
    for i, line in token_lines:
        if line.startswith(":::MLLOG {") and line.count(_MLLOG) == 1:
            batch.append((i, line))
            if len(batch) == _BATCH_LINES:
                _clean_lines(log, batch)
                batch = []
            continue
        if batch:
            _clean_lines(log, batch)
            batch = []
        log.record_lines += 1
        _tolerant_line(log, i, line)
    if batch:
        _clean_lines(log, batch)


def _clean_lines(log: TrainingLog, batch: list[tuple[int, str]]) -> None:
    try:
        records = _BATCH.decode("[" + ",".join(line[9:] for _, line in batch) + "]")
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        for i, line in batch:
            _clean_line(log, i, line)
        return
    append, new_event, event, isfinite = log.events.append, _new_event, Event, math.isfinite
    for (i, line), r in zip(batch, records, strict=True):
        key, value, m = r.key, r.value, r.metadata
        if (isfinite(r.time_ms) and not (type(value) is str and key.startswith("eval_"))
                and not (m and (type(m.get("epoch_num")) is str or type(m.get("samples_count")) is str))):
            log.record_lines += 1
            append(new_event(event, (key, value, m if m is not None else {}, r.time_ms / 1000.0, i)))
        else:
            _clean_line(log, i, line)


def _clean_line(log: TrainingLog, i: int, line: str) -> None:
    """One line that starts with the token and holds it once, on its own."""
    log.record_lines += 1
    try:
        obj = _FAST.decode(line[9:])
    except (msgspec.DecodeError, RecursionError):
        try:  # msgspec refused it: read it as the json module does (NaN, big integers, lone surrogates)
            obj = _decode(line[9:])
        except (ValueError, RecursionError):
            _tolerant_line(log, i, line)
            return
    _mllog_record(log, obj, i, line)


def _tolerant_line(log: TrainingLog, i: int, line: str) -> None:
    """A line holding the token anywhere: text before it, two records on one line, Python dicts, garbage."""
    pos = line.find(_MLLOG)
    if pos > 0 and line[:pos].strip():
        log.note(PREFIX, i, line)
    chunk = line[pos + len(_MLLOG):].strip()
    if _MLLOG in chunk:
        log.note(INTERLEAVED, i, line)
        chunk = chunk.split(_MLLOG)[0].strip()
    try:
        obj, was_json = _loads_lenient(chunk)
    except (ValueError, RecursionError):
        log.note(UNPARSED, i, line, "the record is not a JSON object (truncated or garbled)")
        return
    if not was_json:
        log.note(PYDICT, i, line)
    _mllog_record(log, obj, i, line)


def _mllog_record(log: TrainingLog, obj: Any, i: int, line: str) -> None:
    """One decoded ':::MLLOG' payload into an Event, noting what was odd about it."""
    if not isinstance(obj, dict) or not isinstance(obj.get("key"), str):
        log.note(UNPARSED, i, line, "the record has no 'key'")
        return
    t = obj.get("time_ms")
    was_str = False
    if t is None and "time_ms" not in obj and "time_s" in obj:
        # one submitter's logger wrote seconds; the round's tools cannot read it (KeyError 'time_ms')
        t, was_str = _number(obj.get("time_s"))
        if isinstance(t, (int, float)) and not isinstance(t, bool):
            log.note(TIME_S, i, line)
            t = t * 1000.0
        field_name = "time_s"
    else:
        if type(t) is str:
            t, was_str = _number(t)
        field_name = "time_ms"
    if was_str:
        log.note(STRING_NUMBER, i, line, field_name)
    if not isinstance(t, (int, float)) or isinstance(t, bool) or not math.isfinite(t):
        log.note(UNPARSED, i, line, f"the record has no finite numeric '{field_name}'")
        return
    m = obj.get("metadata")
    meta = m if type(m) is dict else {}  # a dict of its own: the decoder made it for this record
    value = obj.get("value")
    key = obj["key"]
    if type(value) is str and key.startswith("eval_"):
        value, was_str = _number(value)
        if was_str:
            log.note(STRING_NUMBER, i, line, f"'{key}' value")
    if meta:
        for mk in ("epoch_num", "samples_count"):
            if type(meta.get(mk)) is str:
                meta[mk], was_str = _number(meta[mk])
                if was_str:
                    log.note(STRING_NUMBER, i, line, f"'{key}' metadata {mk}")
    log.events.append(_new_event(Event, (key, value, meta, float(t) / 1000.0, i)))


def _parse_v05(log: TrainingLog, lines: list[str]) -> None:
    for i, line in enumerate(lines, 1):
        pos = line.find(":::MLPv0.5.0")
        if pos < 0:
            continue
        log.record_lines += 1
        if pos > 0 and line[:pos].strip():
            log.note(PREFIX, i, line)
        chunk = line[pos:]
        if chunk.count(":::MLPv0.5.0") > 1:
            log.note(INTERLEAVED, i, line)
            chunk = ":::MLPv0.5.0" + chunk.split(":::MLPv0.5.0")[1]
        m = _V05.match(chunk.rstrip())
        if m is None:
            log.note(UNPARSED, i, line, "the record does not match ':::MLPv0.5.0 <benchmark> <ts> (<file>:<line>) <key>'")
            continue
        bench, ts, where, key, payload = m.groups()
        if log.benchmark is None:
            log.benchmark = bench
        value: Any = None
        if payload is not None and payload.strip():
            try:
                value, was_json = _loads_lenient(payload.strip())
                if not was_json:
                    log.note(PYDICT, i, line)
            except (ValueError, RecursionError):
                value = payload.strip()  # v0.5 values may be free text, e.g. shapes "(224, 224, 3) -> ..."
        meta: dict[str, Any] = {"where": where}
        if isinstance(value, dict) and key in ("eval_accuracy", "run_stop", "eval_target"):
            # v0.5 puts epoch and status inside the value: {"epoch": 3, "value": 0.75}, {"success": true}
            meta.update({k: v for k, v in value.items() if k != "value"})
            if "epoch" in value:
                meta["epoch_num"] = value["epoch"]
            if "success" in value:
                meta["status"] = "success" if value["success"] else "aborted"
            value = value.get("value", value)
        if key.startswith("eval_"):
            value, was_str = _number(value)
            if was_str:
                log.note(STRING_NUMBER, i, line, f"'{key}' value")
        log.events.append(Event(key, value, meta, float(ts), i))


# A log in its own words, e.g. "MLPerf: resnet [06/13/19 00:30:56], run_start"
_FOREIGN_LINE = re.compile(r"\[(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)\]")
_FOREIGN_BENCH = re.compile(r"MLPerf:\s*([A-Za-z0-9_-]+)\s*\[")
_TOTAL = re.compile(r"total[ _]run[ _]?time\s*[:=]?\s*([0-9.]+)\s*(minutes|minute|mins|min|seconds|secs|sec|s|hours|h)?",
                    re.IGNORECASE)
_ACC = re.compile(r"(?:eval_)?accuracy\b[^0-9\n]*([0-9]+(?:\.[0-9]+)?)\s*(%?)", re.IGNORECASE)


def _foreign_time(m: re.Match[str]) -> float:
    mo, d, y, hh, mm, ss = (int(x) for x in m.groups())
    return datetime(2000 + y, mo, d, hh, mm, ss, tzinfo=UTC).timestamp()


def _parse_foreign(log: TrainingLog, lines: list[str]) -> None:
    facts = ForeignFacts()
    for i, line in enumerate(lines, 1):
        low = line.lower()
        if facts.benchmark is None:
            b = _FOREIGN_BENCH.search(line)
            if b:
                facts.benchmark = b.group(1)
        if "run_start" in low or "run start" in low:
            t = _FOREIGN_LINE.search(line)
            if t and facts.run_start_s is None:
                facts.run_start_s, facts.run_start_line = _foreign_time(t), i
        elif "run_stop" in low or "run stop" in low:
            t = _FOREIGN_LINE.search(line)
            if t and facts.run_stop_s is None:
                facts.run_stop_s, facts.run_stop_line = _foreign_time(t), i
        if "runtime" in low or "run time" in low or "run_time" in low:
            tm = _TOTAL.search(line)
            if tm and facts.total_runtime_s is None:
                unit = (tm.group(2) or "s").lower()
                scale = 60.0 if unit.startswith("min") else 3600.0 if unit.startswith("h") else 1.0
                facts.total_runtime_s, facts.total_runtime_line = float(tm.group(1)) * scale, i
        if "accuracy" in low:
            am = _ACC.search(line)
            if am:
                facts.accuracies.append((i, float(am.group(1)), am.group(2) == "%"))
    log.foreign = facts


def detect_format(text: str) -> str:
    """The log format by the first MLPerf token in the text (MLLOG before MLL: one contains the other)."""
    positions = {fmt: text.find(tok) for fmt, tok in
                 ((FORMAT_V07, ":::MLLOG"), (FORMAT_V06, ":::MLL "), (FORMAT_V05, ":::MLPv0.5.0"))}
    found = {f: p for f, p in positions.items() if p >= 0}
    if not found:
        if not text.strip():
            return FORMAT_EMPTY
        return FORMAT_FOREIGN
    if FORMAT_V06 in found and FORMAT_V07 in found and found[FORMAT_V07] <= found[FORMAT_V06]:
        return FORMAT_V07
    return min(found, key=lambda f: found[f])


def parse_training_log(text: str, fmt: str | None = None) -> TrainingLog:
    """Parse a training log in whichever format it is written (fmt: already detected); never raises."""
    fmt = fmt or detect_format(text)
    log = TrainingLog(fmt, lines=text.count("\n") + (0 if text.endswith("\n") or not text else 1))
    lines = text.split("\n") if fmt not in (FORMAT_V06, FORMAT_V07) else []
    if lines and lines[-1] == "":
        lines.pop()
    if fmt == FORMAT_V06:
        _parse_mll(log, _iter_token_lines(text, ":::MLL"))
    elif fmt == FORMAT_V07:
        _parse_mllog(log, [(i, ln) for i, ln in enumerate(text.split("\n"), 1) if _MLLOG in ln])
    elif fmt == FORMAT_V05:
        _parse_v05(log, lines)
    elif fmt == FORMAT_FOREIGN:
        _parse_foreign(log, lines)
    return _finish(log)


def _finish(log: TrainingLog) -> TrainingLog:
    """Drop the payload cache and note once-only keys printed many times (many ranks)."""
    log._payloads.clear()
    for key in ONCE_KEYS:
        seen = log.all(key) if log.count(key) > 1 else []
        if len(seen) > 1:
            q = Quirk(DUPLICATE, seen[1].line, len(seen) - 1, key)
            prev = log.quirks.get(DUPLICATE)
            if prev is None:
                log.quirks[DUPLICATE] = q
            else:
                prev.count += q.count
                prev.example += f", {key}"
                prev.line = min(prev.line, q.line)
    return log


def detect_format_bytes(data: bytes) -> str:
    """detect_format on bytes, without decoding them.

    Same answer, fewer scans: the other tokens are only searched for before the first
    ':::MLL ', so a v0.6 log (megabytes, its first record near the top) is not read whole
    three times.
    """
    p6 = data.find(b":::MLL ")
    if p6 >= 0:
        if data.find(b":::MLLOG", 0, p6 + 7) >= 0:  # ':::MLLOG' before ':::MLL ' wins, as in detect_format
            return FORMAT_V07
        return FORMAT_V05 if data.find(b":::MLPv0.5.0", 0, p6 + 11) >= 0 else FORMAT_V06
    p7 = data.find(b":::MLLOG")
    p5 = data.find(b":::MLPv0.5.0", 0, p7 + 11 if p7 >= 0 else len(data))
    if p5 >= 0:
        return FORMAT_V05
    if p7 >= 0:
        return FORMAT_V07
    return FORMAT_EMPTY if not data.strip() else FORMAT_FOREIGN


def parse_training_log_bytes(data: bytes, cache: RecordCache | None = None) -> TrainingLog:
    """Parse a log from its bytes, the same as parse_training_log(read_log text); never raises.

    The v0.6 format, where logs are megabytes of other output around a few thousand
    records, decodes only the record lines; other formats decode the whole text. `cache`
    carries the v0.6 records already interpreted in this run (a fresh one when not given).
    """
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    fmt = detect_format_bytes(data)
    if fmt != FORMAT_V06:
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b" ")
        # an MLPerf token found in the bytes is found in the text: no second scan for it
        return parse_training_log(decode(data).text or "", fmt if fmt in (FORMAT_V05, FORMAT_V07) else None)
    log = TrainingLog(fmt)
    _parse_mll_bytes(log, data, cache if cache is not None else RecordCache())
    return _finish(log)


def read_log_bytes(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes | None, list[str]]:
    """A log file's bytes, with read_text's limits (no links, regular files, size cap); (data, problems)."""
    try:
        st = path.lstat()
    except OSError as exc:
        return None, [f"cannot be read ({exc.strerror or exc})"]
    if stat.S_ISLNK(st.st_mode):
        return None, ["is a symbolic link; mlcheck does not follow links"]
    if not stat.S_ISREG(st.st_mode):
        return None, ["is not a regular file"]
    if st.st_size > max_bytes:
        return None, [f"is {st.st_size} bytes, over the {max_bytes}-byte limit for files read whole"]
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            return read_upto(fh, max_bytes), []
    except OSError as exc:
        return None, [f"cannot be read ({exc.strerror or exc})"]


def read_log(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> TextFile:
    """Read a training log like textio.read_text, but a lone carriage return does not start a line.

    Training logs carry progress bars drawn with bare CRs (tqdm); counting those as line
    breaks would put every later finding's line number off from what grep, editors and
    GitHub show. A lone CR becomes a space, so its line stays one line.
    """
    data, problems = read_log_bytes(path, max_bytes)
    if data is None:
        return TextFile(None, problems)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b" ")
    return decode(data)
