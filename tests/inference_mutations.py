"""Mutations of a sample submission and the bad-case record the inference rule tests share.

A case breaks one thing in a copy of a sample (real LoadGen logs) and names the rule that must fire,
its severity, the run's options, and the other rules the mutation necessarily brings: nothing else
may fire that the clean sample lacks.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.findings import Report, Severity

Mutation = Callable[[Path], None]


def edit(path: Path, pattern: str, repl: str, count: int = 0) -> None:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    new, n = re.subn(pattern, repl, text, count=count, flags=re.MULTILINE)
    assert n, f"pattern {pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8", errors="surrogateescape")


def rules_fired(report: Report, severity: Severity | None = None) -> set[str]:
    return {f.rule for f in report.findings if severity is None or f.severity is severity}


def _rm(rel: str) -> Mutation:
    def m(root: Path) -> None:
        p = root / rel
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return m


def _mv(src: str, dst: str) -> Mutation:
    def m(root: Path) -> None:
        (root / src).rename(root / dst)
    return m


def _sub(rel: str, pattern: str, repl: str) -> Mutation:
    def m(root: Path) -> None:
        edit(root / rel, pattern, repl)
    return m


def _write(rel: str, content: str) -> Mutation:
    def m(root: Path) -> None:
        (root / rel).write_text(content, encoding="utf-8")
    return m


def _json(rel: str, fn: Callable[[dict[str, object]], None]) -> Mutation:
    def m(root: Path) -> None:
        p = root / rel
        data = json.loads(p.read_text())
        fn(data)
        p.write_text(json.dumps(data))
    return m


def _append(rel: str, line: str) -> Mutation:
    def m(root: Path) -> None:
        with open(root / rel, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return m


def _mllog(key: str, value: object, error: bool = False) -> str:
    rec = {"key": key, "value": value, "time_ms": 1.0, "namespace": "mlperf::logging",
           "event_type": "POINT_IN_TIME",
           "metadata": {"is_error": error, "is_warning": False, "file": "x.cc", "line_no": 1, "pid": 1, "tid": 1}}
    return ":::MLLOG " + json.dumps(rec)


def _both(*ms: Mutation) -> Mutation:
    def m(root: Path) -> None:
        for x in ms:
            x(root)
    return m


def _flip_first_payload(rel: str) -> Mutation:
    """Change the first logged response's first byte, so it no longer equals the accuracy run's."""
    def m(root: Path) -> None:
        def flip(x: re.Match[str]) -> str:
            b = int(x.group(2)[:2], 16) ^ 0xFF
            return f'{x.group(1)}{b:02X}{x.group(2)[2:]}"'
        p = root / rel
        p.write_text(re.sub(r'("data"\s*:\s*")([0-9A-Fa-f]{2,})"', flip, p.read_text(), count=1))
    return m


def _truncate_log(rel: str, txt: str) -> Mutation:
    """Cut an accuracy log as later rounds' truncation tool does, and append its hash to accuracy.txt."""
    def m(root: Path) -> None:
        import hashlib

        p = root / rel
        raw = p.read_bytes()
        p.write_bytes(raw[:4096] + b"\n\n...\n\n" + raw[-4096:])
        with open(root / txt, "a", encoding="utf-8") as fh:
            fh.write(f"hash={hashlib.sha256(raw).hexdigest()}\n")
    return m


def _drop_entries(rel: str, n: int) -> Mutation:
    """Remove the last n entries of an accuracy log (keeping it well-formed JSON)."""
    def m(root: Path) -> None:
        p = root / rel
        lines = p.read_text().rstrip().split("\n")
        body = [ln for ln in lines if ln.startswith("{")]
        kept = body[:-n]
        kept[-1] = kept[-1].rstrip(",")
        p.write_text("[\n" + "\n".join(kept) + "\n]\n")
    return m


def _halve(rel: str) -> Mutation:
    """Keep the first half of a file (a copy cut short)."""
    def m(root: Path) -> None:
        p = root / rel
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])
    return m


def _mkdir(rel: str) -> Mutation:
    def m(root: Path) -> None:
        (root / rel).mkdir(parents=True)
    return m


@dataclass(frozen=True)
class Case:
    """One bad case: a mutation of the sample, the severity the rule must fire with, the options of the run,
    and the other rules the mutation necessarily brings (nothing else may fire that the clean sample lacks)."""

    mutate: Mutation
    severity: Severity
    options: dict[str, object] = field(default_factory=dict)
    companions: frozenset[str] = frozenset()


def _case(mutate: Mutation, severity: Severity, options: dict[str, object] | None = None,
          companions: tuple[str, ...] = ()) -> Case:
    return Case(mutate, severity, options or {}, frozenset(companions))
