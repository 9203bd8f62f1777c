"""A hostile submitter against package and verify (issue 15): each case asserts the safe behaviour.

verify: nothing is decompressed before the archive's size and sha256 match the signed manifest;
with a signer who is the adversary, work and disk stay bounded by the signed sizes, sparse members
and foreign header types are refused before tarfile acts on them, a malformed manifest is exit 4
with a message, and the options that narrowed a verdict are printed. package: a signing key inside
the tree, or any private key in it, is refused; names in refusals are escaped.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_archives import (
    GIB,
    counting,
    file_member,
    finish,
    folder_member,
    gnu_longname_member,
    gnu_sparse_member,
    long_pax_member,
    measured,
    pax_sparse_member,
    sparse_tar_gz,
    tar_then_zeros_gz,
    zeros_gz,
)
from package_fixtures import SELECT, forge_package, make_tree, mlcheck, tar_of

from checker.api import ValidateOptions
from checker.engine.rules import rules_root
from checker.errors import IntegrityError, UsageError
from checker.package import PackageOptions, keygen, load_private_key, package, verify_package
from checker.package import verify as verify_module

INJECTED = "x\n::error::INJECTED"


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real package of a small tree: its three files' bytes, the key and the allowed_signers file."""
    base = tmp_path_factory.mktemp("genuine")
    tree = make_tree(base / "sub")
    keys = keygen(base / "key", principal="alice@example.org")
    out = base / "out"
    out.mkdir()
    result = package(tree, keys.private, out, PackageOptions(validate=ValidateOptions(select=SELECT), name="pkg"))
    return {"files": {p.name: p.read_bytes() for p in (result.archive, result.manifest, result.signature)},
            "key": keys.private, "allowed": keys.allowed_signers}


@pytest.fixture
def scratch_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh folder that verify's temporary files go to, so a test can see what verify writes."""
    folder = tmp_path / "verify-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def _beside_genuine(genuine: dict[str, Any], dest: Path, archive: bytes) -> Path:
    """The genuine manifest and signature, with `archive` in place of the genuine .tar.gz."""
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in genuine["files"].items():
        (dest / name).write_bytes(data)
    (dest / "pkg.tar.gz").write_bytes(archive)
    return dest / "pkg.tar.gz"


def _signed(genuine: dict[str, Any], dest: Path, tar_gz: bytes, tar: bytes, entries_tar: bytes | None = None,
            files: list[dict[str, object]] | None = None, folders: list[str] | None = None,
            **kw: Any) -> Path:
    """A package whose signer is the adversary: the manifest is signed over exactly these bytes."""
    dest.mkdir(parents=True, exist_ok=True)
    return forge_package(dest, "pkg", tar_gz, load_private_key(genuine["key"]), files=files or [],
                         folders=folders if folders is not None else ["closed"],
                         tar_sha256=hashlib.sha256(tar).hexdigest(), tar_size=len(tar), **kw)


def _no_decompression(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("verify decompressed the archive before authenticating it")

    monkeypatch.setattr(verify_module, "_Gunzip", refuse)


# ---------------------------------------------------------------- 1. authenticate before decompressing

def test_sparse_archive_beside_a_genuine_manifest_is_refused_unread(genuine: dict[str, Any], tmp_path: Path,
                                                                    scratch_tmp: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _beside_genuine(genuine, tmp_path / "p", sparse_tar_gz())
    assert archive.stat().st_size < 256  # the case: a ~200-byte archive that expands to 8 GiB
    _no_decompression(monkeypatch)
    with measured(scratch_tmp) as usage, pytest.raises(IntegrityError) as info:
        verify_package(archive, genuine["allowed"])
    assert info.value.exit_code == 4
    assert "bytes, but the signed manifest says" in info.value.message
    assert usage.peak_bytes == 0 and usage.seconds < 10


def test_gzip_bomb_beside_a_genuine_manifest_is_refused_unread(genuine: dict[str, Any], tmp_path: Path,
                                                               scratch_tmp: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _beside_genuine(genuine, tmp_path / "p", zeros_gz(32 << 20))
    _no_decompression(monkeypatch)
    with measured(scratch_tmp) as usage, pytest.raises(IntegrityError, match="signed manifest says"):
        verify_package(archive, genuine["allowed"])
    assert usage.peak_bytes == 0


def test_same_size_archive_is_refused_by_its_hash_unread(genuine: dict[str, Any], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    size = len(genuine["files"]["pkg.tar.gz"])
    other = gzip.compress(b"\0" * 10_000, mtime=0)
    archive = _beside_genuine(genuine, tmp_path / "p", other.ljust(size, b"\0")[:size])
    _no_decompression(monkeypatch)
    with pytest.raises(IntegrityError, match=r"pkg.tar.gz: sha256 [0-9a-f]{16}… differs from the signed"):
        verify_package(archive, genuine["allowed"])


@pytest.mark.parametrize("member", [
    pytest.param(lambda: gnu_sparse_member("closed/sparse.bin"), id="gnu-sparse"),
    pytest.param(lambda: pax_sparse_member("closed/sparse.bin", version="0.1"), id="pax-sparse-0.1"),
    pytest.param(lambda: pax_sparse_member("closed/sparse.bin", version="1.0"), id="pax-sparse-1.0"),
])
def test_signed_sparse_member_is_refused_before_it_expands(genuine: dict[str, Any], tmp_path: Path,
                                                           scratch_tmp: Path, member: Callable[[], bytes]) -> None:
    """The signer is the adversary: the hashes match, and the sparse member still never expands."""
    tar = finish(folder_member("closed") + member())
    files: list[dict[str, object]] = [{"path": "closed/sparse.bin", "size": 1, "sha256": "0" * 64, "mode": "0644"}]
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files)
    with measured(scratch_tmp) as usage, pytest.raises(IntegrityError) as info:
        verify_package(archive, genuine["allowed"])
    assert info.value.exit_code == 4
    assert "closed/sparse.bin" in info.value.message and "sparse" in info.value.message
    assert usage.peak_bytes < 1 << 20 and usage.seconds < 10  # not 8 GiB, not minutes


def test_signed_gzip_bomb_stops_at_the_signed_tar_size(genuine: dict[str, Any], tmp_path: Path,
                                                       scratch_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A genuine tar followed, inside the same gzip member, by 64 MiB of zeros the manifest never signed."""
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", tar_then_zeros_gz(tar, 64 << 20), tar, files=files, folders=folders)
    produced: list[int] = []
    monkeypatch.setattr(verify_module, "_Gunzip", counting(verify_module._Gunzip, produced))
    with measured(scratch_tmp) as usage, pytest.raises(IntegrityError) as info:
        verify_package(archive, genuine["allowed"])
    assert "decompresses past the signed tar size" in info.value.message
    assert max(produced) <= len(tar) + 1  # the work is bounded by the signed size, not the bomb's
    assert usage.peak_bytes < 1 << 20


@pytest.mark.parametrize("trailer", [
    pytest.param(lambda: zeros_gz(32 << 20), id="second-gzip-member"),
    pytest.param(lambda: b"\0" * (1 << 20), id="zero-padding"),
    pytest.param(lambda: b"garbage after the stream", id="garbage"),
])
def test_signed_data_after_the_gzip_stream_is_refused_at_once(genuine: dict[str, Any], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              trailer: Callable[[], bytes]) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0) + trailer(), tar, files=files,
                      folders=folders)
    produced: list[int] = []
    monkeypatch.setattr(verify_module, "_Gunzip", counting(verify_module._Gunzip, produced))
    with pytest.raises(IntegrityError, match="data follows the end of the gzip stream"):
        verify_package(archive, genuine["allowed"])
    assert max(produced) == len(tar)  # nothing after the first member was decompressed


def test_member_larger_than_the_manifest_says_is_refused_before_its_data(genuine: dict[str, Any], tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    tar = finish(folder_member("closed") + file_member("closed/a.txt", b"hello, this is longer than listed\n"))
    files: list[dict[str, object]] = [{"path": "closed/a.txt", "size": 6, "sha256": "0" * 64, "mode": "0644"}]
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files)
    monkeypatch.setattr(verify_module, "_extract_file", lambda *a: pytest.fail("the member's data was read"))
    with pytest.raises(IntegrityError, match=r"closed/a.txt: 34 bytes in the archive, 6 in the manifest"):
        verify_package(archive, genuine["allowed"])


def test_tar_size_the_listed_files_cannot_make_is_refused_before_decompression(
        genuine: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A manifest signing a 1 GiB tar stream for one 6-byte file: the budget itself is implausible."""
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      edit=lambda m: m["archive"].update(tar_size=GIB))
    _no_decompression(monkeypatch)
    with pytest.raises(IntegrityError, match="larger than its 1 files and 1 folders can make"):
        verify_package(archive, genuine["allowed"])


def test_tar_stream_longer_than_signed_is_refused(genuine: dict[str, Any], tmp_path: Path) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      edit=lambda m: m["archive"].update(tar_size=len(tar) - 512))
    with pytest.raises(IntegrityError, match="decompresses past the signed tar size"):
        verify_package(archive, genuine["allowed"])


@pytest.mark.parametrize("members, why", [
    pytest.param(lambda: long_pax_member("closed/a.txt", b"hello\n", 200_000), "extended header of", id="huge-pax"),
    pytest.param(lambda: gnu_longname_member("closed/" + "a" * 200, b"hello\n"), "never writes", id="gnu-longname"),
])
def test_header_types_mlcheck_never_writes_are_refused(genuine: dict[str, Any], tmp_path: Path,
                                                       members: Callable[[], bytes], why: str) -> None:
    tar = finish(folder_member("closed") + members())
    # list one large file so the signed tar size is plausible: the header check itself must refuse
    files: list[dict[str, object]] = [{"path": "closed/a.txt", "size": 1 << 20, "sha256": "0" * 64, "mode": "0644"}]
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files)
    with pytest.raises(IntegrityError, match=why):
        verify_package(archive, genuine["allowed"])


def test_cut_gzip_stream_is_exit_4(genuine: dict[str, Any], tmp_path: Path) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n" * 1000)])
    cut = gzip.compress(tar, mtime=0)[:-20]
    archive = _signed(genuine, tmp_path / "p", cut, tar, files=files, folders=folders)
    with pytest.raises(IntegrityError, match="cut short|damaged"):
        verify_package(archive, genuine["allowed"])


def test_files_larger_than_the_free_space_are_refused_before_extraction(genuine: dict[str, Any], tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(100, 90, 10))  # type: ignore[attr-defined]
    _no_decompression(monkeypatch)
    with pytest.raises(UsageError, match="free"):
        verify_package(archive, genuine["allowed"])


def test_cli_sparse_beside_genuine_manifest_is_exit_4(genuine: dict[str, Any], tmp_path: Path) -> None:
    archive = _beside_genuine(genuine, tmp_path / "p", sparse_tar_gz())
    p = mlcheck("verify", str(archive), "--allowed-signers", str(genuine["allowed"]), cwd=tmp_path)
    assert p.returncode == 4, p.stdout + p.stderr
    assert "signed manifest says" in p.stderr and "help:" in p.stderr


# ---------------------------------------------------------------- 4. a manifest of the wrong shape: exit 4

def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(m: dict[str, Any]) -> None:
        target: Any = m
        keys = path.split(".")
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target[k]
        if isinstance(target, list):
            target[int(keys[-1])] = value
        else:
            target[keys[-1]] = value
    return edit


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def edit(m: dict[str, Any]) -> None:
        target: Any = m
        keys = path.split(".")
        for k in keys[:-1]:
            target = target[int(k)] if isinstance(target, list) else target[k]
        del target[keys[-1]]
    return edit


def _dup_file(m: dict[str, Any]) -> None:
    m["files"].append(dict(m["files"][0]))


def _raw_replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def raw(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)
    return raw


MANIFEST_CASES: list[Any] = [
    pytest.param({"edit": _dup_file}, "closed/a.txt twice", id="path-twice"),
    pytest.param({"edit": lambda m: m["folders"].append("closed/a.txt")}, "closed/a.txt twice", id="file-and-folder"),
    pytest.param({"edit": _drop("files.0.size")}, "missing required field `size`", id="no-size"),
    pytest.param({"edit": _set("files.0.size", "6")}, "Expected `int`, got `str`", id="size-is-text"),
    pytest.param({"edit": _set("files.0.mode", 420)}, "files[0].mode", id="mode-is-number"),
    pytest.param({"edit": _set("files.0.sha256", "not a hash")}, "files[0].sha256", id="bad-hash"),
    pytest.param({"edit": _set("files", {"closed/a.txt": 6})}, "`$.files`", id="files-is-mapping"),
    pytest.param({"edit": _set("validation.options.select", "inf")}, "options.select", id="select-is-text"),
    pytest.param({"edit": _set("validation.options.strict", "yes")}, "options.strict", id="strict-is-text"),
    pytest.param({"edit": _set("validation.options.waivers", [{"rule": 5, "path": "*", "justification": "x"}])},
                 "waivers[0].rule", id="waiver-rule-is-number"),
    pytest.param({"edit": _set("files.0.path", "../escape.txt")}, "refusing the manifest's path", id="dotdot-path"),
    pytest.param({"edit": _set("truncation", [{"path": "closed/none.json", "original_sha256": "0" * 64,
                                               "packaged_sha256": "0" * 64, "source": "x"}])},
                 "truncation record names", id="truncation-of-nothing"),
    pytest.param({"edit": _set("unexpected", 1)}, "unknown field `unexpected`", id="unknown-field"),
    pytest.param({"edit": _set("created", "yesterday\n::error::forged")}, "created", id="created-shape"),
    pytest.param({"edit": _set("tool.version", "1.0\x1b]0;pwned\x07")}, "tool.version", id="version-shape"),
    pytest.param({"edit": _set("git", {"commit": "HEAD; rm -rf", "dirty": False})}, "git.commit", id="commit-shape"),
    pytest.param({"edit": _set("schema", "mlcheck-manifest/9")}, "schema", id="other-schema"),
    pytest.param({"raw": _raw_replace(b'"size": 6\n', b'"size": ' + b"9" * 5000 + b"\n")}, "out of range",
                 id="huge-integer"),
    pytest.param({"raw": _raw_replace(b'"size": 6\n', b'"size": 1e400\n')}, "out of range", id="huge-float"),
    pytest.param({"raw": _raw_replace(b'"size": 6\n', b'"size": -6\n')}, ">= 0", id="negative-size"),
    pytest.param({"raw": _raw_replace(b'"folders": [', b'"folders": [' + b"[" * 100_000 + b"]" * 100_000 + b",")},
                 "folders[0]", id="deep-nesting"),
    pytest.param({"raw": _raw_replace(b'"summary": {}', b'"skipped": [' + b'{"a":' * 50_000 + b"1"
                                      + b"}" * 50_000 + b'], "summary": {}')}, "skipped", id="deep-nesting-in-a-mapping"),
    pytest.param({"raw": _raw_replace(b'  "suite": "inference",\n', b'  "suite": "inference",\n'
                                      b'  "suite": "training",\n')}, "twice", id="duplicate-key"),
    pytest.param({"raw": lambda d: d.replace(b"\n  ", b"\n    ")}, "canonical form", id="re-indented"),
    pytest.param({"raw": lambda d: b"\xff" + d}, "not an mlcheck-manifest/1", id="not-utf8"),
    pytest.param({"raw": lambda d: d[: len(d) // 2]}, "not an mlcheck-manifest/1", id="cut-short"),
]


@pytest.mark.parametrize("change, message", MANIFEST_CASES)
def test_signed_manifest_of_the_wrong_shape_is_exit_4(genuine: dict[str, Any], tmp_path: Path,
                                                      change: dict[str, Any], message: str) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      **change)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(genuine["allowed"]), cwd=tmp_path)
    assert p.returncode == 4, p.stdout + p.stderr
    assert message in p.stderr, p.stderr
    assert "internal error" not in p.stderr
    assert not any(line.startswith("::") for line in p.stderr.splitlines())  # nothing hostile starts a line


def test_manifest_and_signature_sizes_are_bounded(genuine: dict[str, Any], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _beside_genuine(genuine, tmp_path / "p", genuine["files"]["pkg.tar.gz"])
    monkeypatch.setattr(verify_module, "MAX_MANIFEST_BYTES", 1000)
    with pytest.raises(IntegrityError, match="larger than 1,000 bytes"):
        verify_package(archive, genuine["allowed"])
    monkeypatch.undo()
    archive.with_name("pkg.manifest.json.sig").write_bytes(b"-" * (1 << 20))
    with pytest.raises(IntegrityError, match="signature .* larger than"):
        verify_package(archive, genuine["allowed"])


def test_printed_manifest_fields_are_escaped(genuine: dict[str, Any], tmp_path: Path) -> None:
    """A waiver justification and a git path are the signer's text: they are printed inert."""
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])

    def edit(m: dict[str, Any]) -> None:
        m["validation"]["options"]["waivers"] = [{"rule": "inf.none", "path": "*", "justification": INJECTED}]
        m["git"] = {"commit": "a" * 40, "dirty": False, "allow_dirty": False, "path": "sub\x1b[2J\n::error::git"}

    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      edit=edit)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(genuine["allowed"]), cwd=tmp_path)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    assert "x\\n::error::INJECTED" in p.stdout and "sub\\x1b[2J\\n::error::git" in p.stdout
    assert "\x1b" not in p.stdout
    assert not any(line.startswith("::error") for line in p.stdout.splitlines())


# ---------------------------------------------------------------- 2. a narrowed verdict is shown as narrowed

IGNORED = ("inf.layout.code", "inf.layout.submitter-parts")


def _tree_with_error(root: Path) -> Path:
    tree = make_tree(root)
    shutil.rmtree(tree / "closed" / "Acme" / "code")  # inf.layout.code and submitter-parts: errors
    return tree


@pytest.fixture(scope="module")
def narrowed_pkgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same erroneous tree packaged three ways that switch the error off: ignore, a catch-all waiver, select."""
    base = tmp_path_factory.mktemp("narrowed")
    keys = keygen(base / "key", principal="alice@example.org")
    out: dict[str, Path] = {"allowed": keys.allowed_signers}
    from checker.waivers import Waiver

    variants = {
        "ignore": ValidateOptions(select=SELECT, ignore=IGNORED),
        "waiver": ValidateOptions(select=SELECT, waivers=(Waiver("inf", "*", "catch-all"),)),
        "known-absent": ValidateOptions(select=SELECT, ignore=IGNORED,
                                        known_absent=frozenset({"closed/Acme/audit/README.md"})),
    }
    rules = base / "rules-src"
    rules.mkdir()
    shutil.copy(rules_root() / "inference" / "v0.5.yaml", rules / "v0.5.yaml")
    (rules / "v0.5-mine.yaml").write_text("schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-mine\n"
                                          "extends: v0.5\ndisable: [inf.layout.code, inf.layout.submitter-parts]\n")
    variants["rules"] = ValidateOptions(select=SELECT, rules_file=rules / "v0.5-mine.yaml")
    for name, vopts in variants.items():
        tree = _tree_with_error(base / f"tree-{name}")
        dest = base / name
        dest.mkdir()
        out[name] = package(tree, keys.private, dest, PackageOptions(validate=vopts, name="pkg")).archive
    return out


def test_ignore_narrows_the_verdict_and_says_so(narrowed_pkgs: dict[str, Path], tmp_path: Path) -> None:
    p = mlcheck("verify", str(narrowed_pkgs["ignore"]), "--allowed-signers", str(narrowed_pkgs["allowed"]),
                cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "  select:       inf.layout\n" in p.stdout
    assert "  ignore:       inf.layout.code, inf.layout.submitter-parts\n" in p.stdout
    assert "  strict:       no" in p.stdout and "  waivers:      none" in p.stdout
    verdict = next(line for line in p.stdout.splitlines() if line.startswith("validation:"))
    assert "passed" in verdict and "NARROWED" in verdict
    assert "rules starting with inf.layout.code, inf.layout.submitter-parts were off (--ignore)" in p.stdout
    assert "--full-rules" in p.stdout


def test_catch_all_waiver_is_listed_with_its_match_count(narrowed_pkgs: dict[str, Path]) -> None:
    result = verify_package(narrowed_pkgs["waiver"], narrowed_pkgs["allowed"])
    assert result.exit_code == 0 and result.narrowed
    [w] = result.applied.waivers
    assert w["rule"] == "inf" and w["matched"] >= 1
    assert any("waiver(s) covered" in why for why in result.applied.narrowed)


def test_known_absent_paths_are_printed(narrowed_pkgs: dict[str, Path], tmp_path: Path) -> None:
    p = mlcheck("verify", str(narrowed_pkgs["known-absent"]), "--allowed-signers", str(narrowed_pkgs["allowed"]),
                cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "  known-absent: 1\n    closed/Acme/audit/README.md" in p.stdout
    assert "declared known-absent" in p.stdout


def test_custom_rules_file_is_named_and_narrows(narrowed_pkgs: dict[str, Path], tmp_path: Path) -> None:
    p = mlcheck("verify", str(narrowed_pkgs["rules"]), "--allowed-signers", str(narrowed_pkgs["allowed"]),
                cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert ("rules:     the manifest's custom rules file for inference v0.5-mine (this mlcheck does not ship "
            "them): inference/v0.5.yaml, inference/v0.5-mine.yaml") in p.stdout
    assert "a custom rules file judged the tree" in p.stdout and "NARROWED" in p.stdout


@pytest.mark.parametrize("variant", ["ignore", "waiver", "rules"])
def test_full_rules_revalidates_without_the_signers_options(narrowed_pkgs: dict[str, Path], tmp_path: Path,
                                                            variant: str) -> None:
    p = mlcheck("verify", str(narrowed_pkgs[variant]), "--allowed-signers", str(narrowed_pkgs["allowed"]),
                "--full-rules", cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "inf.layout.code" in p.stdout and "validation: FAILED" in p.stdout
    assert "complete inference v0.5 rules (--full-rules)" in p.stdout and "NARROWED" not in p.stdout
    if variant == "rules":
        assert "the manifest's round v0.5-mine extends it" in p.stdout
    assert "options:   none re-applied (--full-rules)" in p.stdout


def test_nothing_switched_off_is_not_narrowed(genuine: dict[str, Any], tmp_path: Path) -> None:
    """Options that switch nothing off: the verdict (failing here, as the tree is a stub) is not marked narrowed."""
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      select=())
    result = verify_package(archive, genuine["allowed"])
    assert result.applied.narrowed == () and not result.narrowed
    assert result.rules_match_installed is True


def test_an_empty_ignore_prefix_switches_everything_off_visibly(genuine: dict[str, Any], tmp_path: Path) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      edit=lambda m: m["validation"]["options"].update(ignore=[""]))
    result = verify_package(archive, genuine["allowed"])
    assert result.exit_code == 0 and result.narrowed
    assert any("'' (every rule) were off" in why for why in result.applied.narrowed)


def test_full_rules_for_a_round_this_mlcheck_does_not_ship_is_exit_2(genuine: dict[str, Any], tmp_path: Path) -> None:
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])

    def edit(m: dict[str, Any]) -> None:
        m["round"] = "v9.9"
        m["rules"]["embedded"][0]["file"] = m["rules"]["files"][0] = "inference/v9.9.yaml"

    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      edit=edit)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(genuine["allowed"]), "--full-rules", cwd=tmp_path)
    assert p.returncode == 2 and "does not ship the inference round v9.9, nor a round" in p.stderr, p.stderr


def test_embedded_rules_cannot_extend_out_of_their_folder(genuine: dict[str, Any], tmp_path: Path) -> None:
    """Rules a signed manifest carries are loaded from a temporary folder; extends may not leave it."""
    tar, files, folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])
    outside = tmp_path / "v0.5.yaml"
    outside.write_text("not reached\n")
    text = "schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-evil\nextends: ../../../v0.5\nrules: []\n"

    def edit(m: dict[str, Any]) -> None:
        raw = text.encode()
        m["rules"] = {"files": ["inference/evil.yaml"], "digest": hashlib.sha256(raw).hexdigest(), "source": "file",
                      "embedded": [{"file": "inference/evil.yaml", "sha256": hashlib.sha256(raw).hexdigest(),
                                    "text": text}]}

    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=files, folders=folders,
                      edit=edit)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(genuine["allowed"]), cwd=tmp_path)
    assert p.returncode == 4, p.stdout + p.stderr
    assert "extends '../../../v0.5', which is not a round name" in p.stderr


# ---------------------------------------------------------------- 5, 6. package refusals

@pytest.fixture
def clean_tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "sub")


def _package_cli(tree: Path, key: Path, cwd: Path) -> Any:
    (cwd / "out").mkdir(exist_ok=True)
    return mlcheck("package", str(tree), "--key", str(key), "--out", str(cwd / "out"), "--select", "inf.layout",
                   cwd=cwd)


def test_key_inside_the_submission_is_refused(clean_tree: Path, tmp_path: Path) -> None:
    keys = keygen(clean_tree / "closed" / "Acme" / "signing-key", principal="a@b")
    p = _package_cli(clean_tree, keys.private, tmp_path)
    assert p.returncode == 2 and "signing key" in p.stderr and "lies inside the submission" in p.stderr
    assert not list((tmp_path / "out").iterdir())


def test_key_linked_from_outside_into_the_submission_is_refused(clean_tree: Path, tmp_path: Path) -> None:
    keys = keygen(clean_tree / "closed" / "Acme" / "k", principal="a@b")
    link = tmp_path / "key"
    link.symlink_to(keys.private)
    with pytest.raises(UsageError, match="lies inside the submission"):
        package(clean_tree, link, tmp_path, PackageOptions(validate=ValidateOptions(select=SELECT)))


def test_public_half_inside_the_submission_is_refused(clean_tree: Path, tmp_path: Path) -> None:
    keys = keygen(tmp_path / "key", principal="a@b")
    inner = clean_tree / "closed" / "Acme" / "key.pub"
    keys.public.rename(inner)
    keys.public.symlink_to(inner)
    with pytest.raises(UsageError, match=r"signing key's .pub .* lies inside the submission"):
        package(clean_tree, keys.private, tmp_path / "o", PackageOptions(validate=ValidateOptions(select=SELECT)))


@pytest.mark.parametrize("header", [
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    b"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n",
    b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI\n",
    b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n",
    b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkq\n",
    b"\n   -----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n",
    b"PuTTY-User-Key-File-3: ssh-ed25519\n",
], ids=["openssh", "pem-rsa", "pkcs8", "pem-ec", "pkcs8-encrypted", "pgp", "putty"])
def test_private_key_anywhere_in_the_tree_is_refused(clean_tree: Path, tmp_path: Path, header: bytes) -> None:
    (clean_tree / "closed" / "Acme" / "code" / "resnet" / "notes.txt").write_bytes(header)
    keys = keygen(tmp_path / "key", principal="a@b")
    p = _package_cli(clean_tree, keys.private, tmp_path)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "looks like a private key" in p.stderr and "closed/Acme/code/resnet/notes.txt" in p.stderr
    assert not list((tmp_path / "out").iterdir())  # no archive, not even a temporary one


def test_public_key_in_the_tree_is_fine(clean_tree: Path, tmp_path: Path) -> None:
    keys = keygen(tmp_path / "key", principal="a@b")
    shutil.copy(keys.public, clean_tree / "closed" / "Acme" / "code" / "resnet" / "signer.pub")
    assert _package_cli(clean_tree, keys.private, tmp_path).returncode == 0


@pytest.mark.parametrize("make", ["symlink", "junk"])
def test_refusal_names_are_escaped(clean_tree: Path, tmp_path: Path, make: str) -> None:
    folder = clean_tree / "closed" / "Acme" / "code"
    if make == "symlink":
        (folder / INJECTED).symlink_to("/etc/passwd")
        shown = "x\\n::error::INJECTED: is a symbolic link"
    else:
        (folder / f"._{INJECTED}").write_text("resource fork")
        shown = "._x\\n::error::INJECTED: is a junk file"
    keys = keygen(tmp_path / "key", principal="a@b")
    p = _package_cli(clean_tree, keys.private, tmp_path)
    assert p.returncode in (1, 2), p.stdout + p.stderr
    lines = p.stderr.splitlines()
    assert not any(line.startswith("::error::") for line in lines), p.stderr
    if p.returncode == 2:
        assert shown in p.stderr


def test_verify_refusal_names_are_escaped(genuine: dict[str, Any], tmp_path: Path) -> None:
    """An archive member whose name holds a newline and a workflow command (the signer is hostile)."""
    name = f"closed/{INJECTED}"
    tar, files, folders = tar_of([("closed", None), (name, b"hello\n")])
    listed = [{**files[0], "path": "closed/other.txt"}]  # the manifest lists another name
    archive = _signed(genuine, tmp_path / "p", gzip.compress(tar, mtime=0), tar, files=listed, folders=folders)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(genuine["allowed"]), cwd=tmp_path)
    assert p.returncode == 4, p.stdout + p.stderr
    assert "closed/x\\n::error::INJECTED" in p.stderr
    assert not any(line.startswith("::error::") for line in p.stderr.splitlines())


# ---------------------------------------------------------------- issue 16: wording, exit codes, folders

def test_allowed_signers_hint_talks_about_allowed_signers(genuine: dict[str, Any], tmp_path: Path) -> None:
    empty = tmp_path / "allowed_signers"
    empty.write_text("# nobody\n")
    archive = _beside_genuine(genuine, tmp_path / "p", genuine["files"]["pkg.tar.gz"])
    p = mlcheck("verify", str(archive), "--allowed-signers", str(empty), cwd=tmp_path)
    assert p.returncode == 2
    assert "holds no signer line" in p.stderr and "allowed_signers line" in p.stderr.split("help:")[1]
    assert "NAME.tar.gz" not in p.stderr


def test_keygen_makes_a_missing_key_folder_with_mode_0700(tmp_path: Path) -> None:
    p = mlcheck("keygen", "--out", str(tmp_path / ".mlcheck" / "key"), "--principal", "me@example.org",
                cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / ".mlcheck").stat().st_mode & 0o777 == 0o700
    assert "created folder" in p.stdout
    deeper = mlcheck("keygen", "--out", str(tmp_path / "a" / "b" / "key"), cwd=tmp_path)
    assert deeper.returncode == 2 and "cannot be made here" in deeper.stderr
    assert not (tmp_path / "a").exists()


def test_keygen_expands_the_home_folder(tmp_path: Path) -> None:
    p = mlcheck("keygen", "--out=~/.mlcheck/key", "--principal", "me@example.org", cwd=tmp_path,
                env={"HOME": str(tmp_path / "home")})
    assert p.returncode == 2  # the home folder itself does not exist: refused, nothing made
    (tmp_path / "home").mkdir()
    p = mlcheck("keygen", "--out=~/.mlcheck/key", "--principal", "me@example.org", cwd=tmp_path,
                env={"HOME": str(tmp_path / "home")})
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "home" / ".mlcheck" / "key").is_file()


def test_truncate_names_itself_and_makes_no_parent_folders(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub")
    (tree / "closed" / "Acme" / "code" / "link").symlink_to("/etc/passwd")
    p = mlcheck("truncate", str(tree), "--out", str(tmp_path / "cut"), cwd=tmp_path)
    assert p.returncode == 2 and "cannot truncate" in p.stderr and "cannot package" not in p.stderr
    (tree / "closed" / "Acme" / "code" / "link").unlink()
    p = mlcheck("truncate", str(tree), "--out", str(tmp_path / "new" / "deeper" / "cut"), cwd=tmp_path)
    assert p.returncode == 2 and "does not exist" in p.stderr
    assert not (tmp_path / "new").exists()


def test_package_makes_a_missing_out_folder_and_says_so(clean_tree: Path, tmp_path: Path) -> None:
    keys = keygen(tmp_path / "key", principal="a@b")
    p = mlcheck("package", str(clean_tree), "--key", str(keys.private), "--out", str(tmp_path / "dist"),
                "--select", "inf.layout", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "created the output folder" in p.stdout and (tmp_path / "dist").is_dir()
    with pytest.raises(UsageError, match="nor its parent exists"):
        package(clean_tree, keys.private, tmp_path / "x" / "y", PackageOptions(validate=ValidateOptions(select=SELECT)))


def test_manifest_json_roundtrip_of_the_genuine_package(genuine: dict[str, Any]) -> None:
    """The genuine manifest decodes into the typed records and is canonical (the checks above bite only on change)."""
    from checker.package.manifest import load_manifest

    record, doc = load_manifest(genuine["files"]["pkg.manifest.json"])
    assert record.name == "pkg" and doc == json.loads(genuine["files"]["pkg.manifest.json"])
