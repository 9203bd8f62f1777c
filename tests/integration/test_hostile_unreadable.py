"""Unreadable files and folders (issue 8): a read error becomes a finding, never a crash.

Permission 000 does not stop root, which these tests usually run as. As root, the run is made
in a subprocess that drops to an unprivileged user (nobody) so the kernel really refuses the
read (a forked child, not a new interpreter: the interpreter may sit where nobody cannot read);
without root, the in-process chmod 000 cases of test_hostile.py do the same.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.base import ACC, PERF, SYSTEM_JSON, write_builtin
from tests.hostile.harness import snapshot

NOBODY = 65534


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    """A temporary folder an unprivileged user can walk (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="mlcheck-unreadable-"))
    os.chmod(d, 0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _as_nobody(args: list[str]) -> tuple[int, str, str]:
    """Run mlcheck in a forked child that has dropped to nobody (the interpreter may live where nobody
    cannot read, so no exec: every module is imported by the parent first)."""
    from tests.hostile.harness import run_cli

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            run = run_cli(args, timeout=30)
            payload = json.dumps([run.code, run.stdout, run.stderr]).encode()
        except BaseException as exc:  # noqa: BLE001 - report anything to the parent
            payload = json.dumps([-2, "", f"child failed: {exc!r}"]).encode()
        with os.fdopen(w, "wb") as fh:
            fh.write(payload)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    code, out, err = json.loads(data)
    return code, out, err


@pytest.fixture(scope="module", autouse=True)
def _preload(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Import everything a validate run imports lazily, before a child loses the right to read it."""
    from tests.hostile.harness import run_cli

    root = write_builtin(tmp_path_factory.mktemp("preload") / "sub")
    run_cli(["validate", str(root), "--format", "json", "--ignore", "inf.audit."])
    run_cli(["validate", str(root), "--ignore", "inf.audit."])


@pytest.fixture(scope="module")
def nobody_validates() -> Iterator[None]:
    """Skip unless nobody can validate an intact tree: a checkout in a folder only root may enter (as
    `mktemp -d` makes) keeps mlcheck's own rules files from it, which is no finding about a tree."""
    d = Path(tempfile.mkdtemp(prefix="mlcheck-probe-"))
    os.chmod(d, 0o755)
    try:
        root = write_builtin(d / "sub")
        code, stdout, stderr = _as_nobody(["validate", str(root), "--format", "json", "--ignore", "inf.audit."])
    finally:
        shutil.rmtree(d, ignore_errors=True)
    if code not in (0, 1) or not stdout.startswith("{"):
        pytest.skip(f"mlcheck cannot validate an intact tree as an unprivileged user here: {stderr.strip()[:200]}")
    yield


CASES = [
    ("summary-000", f"{PERF}/mlperf_log_summary.txt", 0o000, "inf.loadgen.unreadable"),
    ("detail-000", f"{PERF}/mlperf_log_detail.txt", 0o000, "inf.loadgen.unreadable"),
    ("system-json-000", SYSTEM_JSON, 0o000, "inf.system.json"),
    ("accuracy-txt-000", f"{ACC}/accuracy.txt", 0o000, "inf.accuracy.txt"),
    ("accuracy-log-000", f"{ACC}/mlperf_log_accuracy.json", 0o000, None),
    ("run-folder-000", PERF, 0o000, None),
    ("run-folder-exec-only", PERF, 0o111, None),
    ("results-system-folder-000", PERF.rsplit("/", 4)[0], 0o000, "inf.layout.unreadable"),
]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs root to drop to nobody; without root test_hostile.py's chmod-000 cases run in-process")
@pytest.mark.parametrize("name, rel, mode, rule", CASES, ids=[c[0] for c in CASES])
def test_unreadable_as_nobody(name: str, rel: str, mode: int, rule: str | None, world_tmp: Path,
                              nobody_validates: None) -> None:
    root = write_builtin(world_tmp / "sub")
    target = root / rel
    os.chmod(target, mode)
    before = snapshot(root)
    try:
        code, stdout, stderr = _as_nobody(["validate", str(root), "--format", "json", "--ignore", "inf.audit."])
        after = snapshot(root)
    finally:
        os.chmod(target, 0o755 if target.is_dir() else 0o644)
    assert before == after
    assert code == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    report = json.loads(stdout)
    rules = {f["rule"] for f in report["findings"]}
    assert any(f["severity"] == "error" for f in report["findings"])
    if rule:
        assert rule in rules, sorted(rules)


def test_root_000_in_process(tmp_path: Path) -> None:
    """A root folder that cannot be listed (as nobody), or a readable one as root: exit 2 or a normal run."""
    root = write_builtin(tmp_path / "sub")
    os.chmod(root, 0)
    try:
        from tests.hostile.harness import run_cli

        run = run_cli(["validate", str(root), "--ignore", "inf.audit."])
    finally:
        os.chmod(root, 0o755)
    assert run.code in ((0, 1) if os.geteuid() == 0 else (2,)), run.stderr
