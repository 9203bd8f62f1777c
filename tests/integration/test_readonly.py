"""Read-only guarantee (issue 8): no command that reads a submission changes anything in it.

The tree is made read-only (chmod -R a-w) and, because root ignores that, every file's hash, mode,
size and mtime is compared before and after, and no new file may appear. The hostile suite makes
the same check on each of its cases; this test covers the other reading commands, on the built-in
tree and on the LoadGen-generated sample.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.hostile.base import SAMPLE, sample_available, write_builtin
from tests.hostile.harness import run_cli, set_writable, snapshot


def _trees(tmp: Path) -> list[Path]:
    trees = [write_builtin(tmp / "builtin")]
    if sample_available():
        trees.append(Path(shutil.copytree(SAMPLE, tmp / "sample", symlinks=True)))
    return trees


COMMANDS = [
    ("validate-json", lambda r, o: ["validate", str(r), "--format", "json"]),
    ("validate-text-and-reports", lambda r, o: ["validate", str(r), "--report", f"json={o / 'r.json'}",
                                                "--report", f"text={o / 'r.txt'}"]),
    ("validate-with-dataset", lambda r, o: ["validate", str(r), "--dataset",
                                            f"imagenet={SAMPLE.parent / 'datasets' / 'imagenet' / 'val_map.txt'}"]),
    ("rescore", lambda r, o: ["rescore", str(r), "--dataset",
                              f"imagenet={SAMPLE.parent / 'datasets' / 'imagenet' / 'val_map.txt'}"]),
    ("report", lambda r, o: ["report", str(r), "--format", "json"]),
    ("diff", lambda r, o: ["diff", str(r), str(r)]),
    ("truncate", lambda r, o: ["truncate", str(r), "--out", str(o / "truncated")]),
]


@pytest.mark.parametrize("name, argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_commands_leave_the_tree_unchanged(name: str, argv: object, tmp_path: Path) -> None:
    from checker.cli import app

    command = name.split("-")[0]
    names = {(c.name or (c.callback.__name__ if c.callback else "")).replace("_cmd", "") for c in app.registered_commands}
    if command not in names:
        pytest.skip(f"`mlcheck {command}` is not in this build yet")
    if (("dataset" in str(argv) or command == "rescore")
            and not (SAMPLE.parent / "datasets" / "imagenet" / "val_map.txt").is_file()):
        pytest.skip("the sample's ImageNet val_map is not in the repository")
    for root in _trees(tmp_path / "trees"):
        out = tmp_path / "out" / root.name
        out.mkdir(parents=True)
        set_writable(root, False)
        try:
            before = snapshot(root)
            run = run_cli(argv(root, out), timeout=120)  # type: ignore[operator]
            after = snapshot(root)
        finally:
            set_writable(root, True)
        assert run.code in (0, 1), f"{name} on {root.name}: exit {run.code}\n{run.stderr}"
        assert before == after, f"{name} changed {root.name}: " + ", ".join(
            str(k) for k in set(before) ^ set(after) or [k for k in before if before[k] != after.get(k)])
        assert len(before) > 10


def test_snapshot_sees_a_write(tmp_path: Path) -> None:
    """The comparison itself can fail: a rewrite with the same size, a touch, and a new file all show."""
    root = write_builtin(tmp_path / "t")
    base = snapshot(root)
    f = next(p for p in root.rglob("accuracy.txt"))
    data = f.read_bytes()
    f.write_bytes(data[::-1])
    assert snapshot(root) != base
    f.write_bytes(data)
    (root / "new").write_text("x")
    assert set(snapshot(root)) - set(base)
