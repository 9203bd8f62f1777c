"""One hostile case, end to end: copy the good tree, mutate, make read-only, validate, check everything."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cases import Case, Ctx, Layout
from .harness import Run, run_cli, set_writable, snapshot

TIME_LIMIT = 10.0  # seconds per case
# The built-in base has no audit/ compliance-test logs, so those rules are not evaluated (their
# files are still discovered and read); the `audit/*` cases run them on hostile audit folders.
BASE_ARGS = ("--ignore", "inf.audit.")


@dataclass
class Watch:
    """Paths mlcheck opened or listed during a run (from the audit hook), to prove no link was followed."""

    active: bool = False
    seen: list[tuple[str, Any, Any]] = field(default_factory=list)


WATCH = Watch()


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if WATCH.active and event in ("open", "os.scandir", "os.listdir"):
        WATCH.seen.append((event, args[0] if args else None, args[1:] if event == "open" else None))


sys.addaudithook(_hook)  # hooks cannot be removed; this one is idle unless WATCH.active


def _under(path: str | bytes, root: str) -> bool:
    p = os.fsdecode(path)
    return p == root or p.startswith(root + os.sep)


@dataclass
class Outcome:
    run: Run
    report: dict[str, Any] | None
    rules: set[str]


def prepare_outside(template: Path, layout: Layout, outside: Path) -> None:
    """Tempting files outside the tree: links point here; a followed link would read them."""
    tempting = outside / "tempting"
    tempting.mkdir(parents=True)
    for rel in (f"{layout.run}/mlperf_log_summary.txt", f"{layout.run}/mlperf_log_detail.txt",
                f"{layout.acc}/accuracy.txt", layout.system_json, f"{layout.meas}/mlperf.conf",
                f"{layout.code}/README.md", f"{layout.acc}/mlperf_log_accuracy.json"):
        src = template / rel
        if src.is_file():
            shutil.copyfile(src, tempting / src.name)


def run_case(case: Case, template: Path, layout: Layout, tmp: Path) -> Outcome:
    """Build, mutate, freeze, validate and check one case; returns what came out for case-specific asserts."""
    root = tmp / "sub"
    shutil.copytree(template, root, symlinks=True)
    outside = tmp / "outside"
    prepare_outside(template, layout, outside)
    out_dir = tmp / "out"
    out_dir.mkdir()
    ctx = Ctx(root, layout, outside)
    alt = case.mutate(ctx)
    # only root/* cases name another path to validate (other mutations may return whatever rename returns)
    target = Path(alt) if case.id.startswith("root/") and isinstance(alt, Path) else root

    frozen = [p for p in tmp.iterdir() if p.name != "out"]
    for p in frozen:
        set_writable(p, False)
    try:
        before = {p.name: snapshot(p) for p in frozen}
        text_report = out_dir / "report.txt"
        args = ["validate", os.fsdecode(target), "--format", "json", "--report", f"text={text_report}",
                *(() if case.id.startswith("audit/") else BASE_ARGS), *case.args]
        WATCH.seen.clear()
        WATCH.active = True
        try:
            run = run_cli(args, timeout=TIME_LIMIT)
        finally:
            WATCH.active = False
        after = {p.name: snapshot(p) for p in tmp.iterdir() if p.name != "out"}
    finally:
        for p in frozen:
            set_writable(p, True)

    # never a hang, a crash or a traceback
    assert not run.timed_out, f"{case.id}: no result within {TIME_LIMIT} s"
    assert run.code != 3, f"{case.id}: internal error\n{run.stderr}"
    assert "Traceback" not in run.stderr + run.stdout, f"{case.id}: traceback\n{run.stderr}"
    # nothing in the tree (or outside it) changed, and nothing new appeared
    assert before == after, f"{case.id}: the tree changed: " + _diff(before, after)
    assert sorted(p.name for p in out_dir.iterdir()) in ([], ["report.txt"])
    # links are never followed: every path opened or listed below the given root resolves inside it
    real_root = os.path.realpath(target)
    given = os.fsdecode(target)
    for event, path, rest in WATCH.seen:
        if path is None or isinstance(path, int) or not _under(path, given):
            continue
        resolved = os.path.realpath(path)
        assert _under(resolved, real_root), f"{case.id}: {event} {os.fsdecode(path)!r} follows a link to {resolved}"
        if event == "open" and rest:
            mode = rest[0]
            flags = rest[1] if len(rest) > 1 else 0
            writes = (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            assert not writes, f"{case.id}: opened {os.fsdecode(path)!r} for writing"

    # the outcome the case states (checked last: a known gap still gets every check above)
    assert run.code in case.codes, (f"{case.id}: exit {run.code}, expected one of {sorted(case.codes)}\n"
                                    f"{run.stderr}\n{run.stdout[-3000:]}")

    report: dict[str, Any] | None = None
    rules: set[str] = set()
    if run.code == 2:
        assert run.stderr.startswith("mlcheck: error: "), f"{case.id}: usage error without a message: {run.stderr!r}"
        assert run.stdout == ""
    else:
        report = json.loads(run.stdout)
        rules = {f["rule"] for f in report["findings"]}
        assert text_report.is_file()
        for f in report["findings"]:
            assert not f["path"].startswith("/") and ".." not in f["path"].split("/"), f
        if run.code == 0:
            assert not any(f["severity"] == "error" for f in report["findings"])
        else:
            assert any(f["severity"] == "error" for f in report["findings"])
    missing = [r for r in case.rules if r not in rules]
    assert not missing, f"{case.id}: expected findings {missing}; got {sorted(rules)}"
    return Outcome(run, report, rules)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    lines = []
    for top in sorted(set(before) | set(after)):
        b, a = before.get(top, {}), after.get(top, {})
        for k in sorted(set(b) | set(a)):
            if b.get(k) != a.get(k):
                lines.append(f"{top}/{os.fsdecode(k)}: {b.get(k)} -> {a.get(k)}")
    return "; ".join(lines[:10])
