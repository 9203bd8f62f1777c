"""Hostile and malformed submissions (issue 8): findings or a clean usage error, never a crash, hang or write."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from tests.hostile.base import good_tree
from tests.hostile.cases import Case, Layout, find_layout, generic_cases
from tests.hostile.harness import run_cli
from tests.hostile.runner import BASE_ARGS, run_case
from tests.hostile.specific import all_specific

CASES: list[Case] = generic_cases(builtin=True) + all_specific()


def _fifo_ok() -> bool:
    d = tempfile.mkdtemp()
    try:
        os.mkfifo(os.path.join(d, "f"))
        return True
    except (OSError, AttributeError):
        return False
    finally:
        shutil.rmtree(d)


def _socket_ok() -> bool:
    return hasattr(socket, "AF_UNIX")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Layout]:
    root = good_tree(tmp_path_factory.mktemp("hostile-template") / "sub")
    return root, find_layout(root)


def test_case_ids_are_distinct_and_enough() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert len(ids) >= 200
    assert all(c.codes and c.codes <= {0, 1, 2} for c in CASES)


def test_good_tree_is_clean(template: tuple[Path, Layout], tmp_path: Path) -> None:
    """The base every case derives from passes; otherwise no case proves anything."""
    root, _ = template
    run = run_cli(["validate", str(root), "--format", "json", *BASE_ARGS])
    assert run.code == 0, run.stdout + run.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile(case: Case, template: tuple[Path, Layout], tmp_path: Path) -> None:
    if case.needs == "fifo" and not _fifo_ok():
        pytest.skip("this platform cannot make FIFOs")
    if case.needs == "socket" and not _socket_ok():
        pytest.skip("this platform has no Unix sockets")
    if case.needs == "unreadable" and os.geteuid() == 0:
        pytest.skip("running as root: permission 000 does not stop reads; "
                    "test_hostile_unreadable.py provokes the read error as an unprivileged user")
    root, layout = template
    if case.gap:
        try:
            run_case(case, root, layout, tmp_path)
        except AssertionError as exc:
            if "expected one of" in str(exc) or "expected findings" in str(exc):
                pytest.xfail(f"known gap: {case.gap}")
            raise
        pytest.fail(f"{case.id} now passes: remove its gap note ({case.gap})")
    run_case(case, root, layout, tmp_path)
