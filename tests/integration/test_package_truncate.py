"""mlcheck truncate: accuracy logs over 8 KiB cut to head + marker + tail, into a copy; package records hashes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from package_fixtures import SELECT, make_tree, mlcheck

from checker.api import ValidateOptions
from checker.errors import UsageError
from checker.package import PackageOptions, keygen, package, truncate_tree, verify_package
from checker.package.tarball import PackageError

LOG = "closed/Acme/results/sys1/resnet/Offline/accuracy/mlperf_log_accuracy.json"
TXT = "closed/Acme/results/sys1/resnet/Offline/accuracy/accuracy.txt"


def _snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_truncates_large_logs_into_a_copy(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub", accuracy_records=400)  # ~25 KB log
    before = _snapshot(tree)
    original = (tree / LOG).read_bytes()
    assert len(original) > 8192
    done = truncate_tree(tree, tmp_path / "cut")
    assert _snapshot(tree) == before  # never in place
    cut = (tmp_path / "cut" / LOG).read_bytes()
    assert cut == original[:4096] + b"\n\n...\n\n" + original[-4096:]
    assert len(cut) == 8199
    sha = hashlib.sha256(original).hexdigest()
    assert [(t.path, t.original_size, t.original_sha256) for t in done] == [(LOG, len(original), sha)]
    txt = (tmp_path / "cut" / TXT).read_text()
    assert txt == (tree / TXT).read_text() + f"hash={sha}\n"
    record = json.loads((tmp_path / "cut" / "mlcheck-truncation.json").read_text())
    assert record["records"][0]["truncated_sha256"] == hashlib.sha256(cut).hexdigest()
    others = {k: v for k, v in _snapshot(tmp_path / "cut").items() if k not in (LOG, TXT, "mlcheck-truncation.json")}
    assert others == {k: v for k, v in before.items() if k not in (LOG, TXT)}


def test_small_logs_are_copied_unchanged(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub", accuracy_records=20)
    assert (tree / LOG).stat().st_size <= 8192
    assert truncate_tree(tree, tmp_path / "cut") == []
    assert (tmp_path / "cut" / LOG).read_bytes() == (tree / LOG).read_bytes()
    assert "hash=" not in (tmp_path / "cut" / TXT).read_text()


def test_refuses_existing_or_inner_output(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub")
    (tmp_path / "exists").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        truncate_tree(tree, tmp_path / "exists")
    with pytest.raises(UsageError, match="inside"):
        truncate_tree(tree, tree / "closed" / "cut")
    assert not (tree / "closed" / "cut").exists()


def test_package_records_original_hashes_and_verifies(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub", accuracy_records=400)
    original_sha = hashlib.sha256((tree / LOG).read_bytes()).hexdigest()
    cut = tmp_path / "cut"
    truncate_tree(tree, cut)
    keys = keygen(tmp_path / "key", principal="alice@example.org")
    out = tmp_path / "out"
    out.mkdir()
    result = package(cut, keys.private, out, PackageOptions(validate=ValidateOptions(select=SELECT), name="pkg"))
    records = result.manifest_data["truncation"]
    assert records == [{"path": LOG, "original_sha256": original_sha, "original_size": (tree / LOG).stat().st_size,
                        "packaged_sha256": hashlib.sha256((cut / LOG).read_bytes()).hexdigest(),
                        "source": "mlcheck truncate"}]
    assert "mlcheck-truncation.json" not in {f["path"] for f in result.manifest_data["files"]}
    assert verify_package(result.archive, keys.allowed_signers).exit_code == 0


def test_hash_lines_alone_are_recorded(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub", accuracy_records=400)
    cut = tmp_path / "cut"
    truncate_tree(tree, cut)
    (cut / "mlcheck-truncation.json").unlink()  # as if truncated by the round's own script
    keys = keygen(tmp_path / "key", principal="alice@example.org")
    out = tmp_path / "out"
    out.mkdir()
    m = package(cut, keys.private, out, PackageOptions(validate=ValidateOptions(select=SELECT), name="p")).manifest_data
    assert [(r["path"], r["source"], r["original_size"]) for r in m["truncation"]] == [(LOG, "accuracy.txt", None)]


def test_package_refuses_a_log_changed_after_truncation(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub", accuracy_records=400)
    cut = tmp_path / "cut"
    truncate_tree(tree, cut)
    (cut / LOG).write_bytes((cut / LOG).read_bytes() + b" ")
    keys = keygen(tmp_path / "key", principal="alice@example.org")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PackageError, match=f"{LOG}: changed after"):
        package(cut, keys.private, out, PackageOptions(validate=ValidateOptions(select=SELECT), name="pkg"))


def test_cli_truncate(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub", accuracy_records=400)
    p = mlcheck("truncate", str(tree), "--out", "cut", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert f"truncated {LOG}" in p.stdout
    again = mlcheck("truncate", str(tree), "--out", "cut", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
