"""mlcheck package: deterministic bytes, manifest content, refusals, git state, and the CLI."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from package_fixtures import SELECT, make_tree, mlcheck

from checker.api import ValidateOptions
from checker.errors import UsageError
from checker.package import PackageOptions, ValidationFailed, keygen, package
from checker.package.tarball import PackageError

OPTS = ValidateOptions(select=SELECT)


@pytest.fixture()
def key(tmp_path: Path) -> Path:
    (tmp_path / "keys").mkdir()
    return keygen(tmp_path / "keys" / "key", principal="alice@example.org").private


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "sub")


def _out(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    return d


def _package(tree: Path, key: Path, out: Path, **kw: object) -> Path:
    return package(tree, key, out, PackageOptions(validate=OPTS, name="pkg", **kw)).archive  # type: ignore[arg-type]


def test_two_packages_are_byte_identical_even_after_mtime_changes(tree: Path, key: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1570000000")
    a = _package(tree, key, _out(tmp_path, "a"))
    for dirpath, dirnames, filenames in os.walk(tree):
        for n in dirnames + filenames:
            os.utime(Path(dirpath) / n, (1234567890, 1234567890))
    os.utime(tree, (987654321, 987654321))
    b = _package(tree, key, _out(tmp_path, "b"), jobs=3)  # the thread count does not change the bytes
    for suffix in (".tar.gz", ".manifest.json", ".manifest.json.sig", ".SHA256SUMS"):
        assert (a.parent / f"pkg{suffix}").read_bytes() == (b.parent / f"pkg{suffix}").read_bytes(), suffix
    # a copy of the tree elsewhere (other inode order, other mtimes) packs to the same archive too
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    c = _package(copy, key, _out(tmp_path, "c"))
    d = _package(tree, key, _out(tmp_path, "d"))
    assert c.read_bytes() == d.read_bytes()
    assert c.read_bytes() != a.read_bytes()  # SOURCE_DATE_EPOCH is the entries' mtime


def test_archive_layout_is_normalised(tree: Path, key: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1570000000")
    (tree / "closed" / "Acme" / "systems" / "sys1.json").chmod(0o600)  # modes are normalised
    archive = _package(tree, key, _out(tmp_path, "o"))
    raw = archive.read_bytes()
    assert raw[:4] == b"\x1f\x8b\x08\x00"  # gzip, deflate, no FNAME/FCOMMENT/FEXTRA flags
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
    data = gzip.decompress(raw)
    assert len(data) % 10240 == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        members = tf.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names, key=lambda n: n.encode("utf-8"))
    assert {n.split("/")[0] for n in names} == {"closed"}
    assert "closed/Acme/Ünïcode notes.txt" in names
    for m in members:
        assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == (0, 0, "", "", 1570000000)
        assert m.isdir() or m.isreg()
        want = 0o755 if m.isdir() or m.name.endswith("run.sh") else 0o644
        assert m.mode == want, m.name
    assert data[257:263] == b"ustar\x00"  # POSIX (PAX) headers, not GNU


def test_manifest_content(tree: Path, key: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1570000000")
    out = _out(tmp_path, "o")
    result = package(tree, key, out, PackageOptions(validate=OPTS))
    assert result.archive.name == "Acme-inference-v0.5.tar.gz"  # default name: submitter, suite, round
    m = json.loads(result.manifest.read_bytes())
    assert m["tool"]["name"] == "mlcheck" and m["tool"]["version"]
    assert (m["suite"], m["round"]) == ("inference", "v0.5")
    assert m["created"] == "2019-10-02T07:06:40Z"
    assert m["git"] is None  # tmp_path is not in a git work tree
    assert m["validation"]["summary"]["errors"] == 0 and m["validation"]["options"]["select"] == list(SELECT)
    assert m["rules"]["files"] == ["inference/v0.5.yaml"] and len(m["rules"]["digest"]) == 64
    assert m["archive"]["tar_gz_sha256"] == hashlib.sha256(result.archive.read_bytes()).hexdigest()
    assert m["archive"]["tar_sha256"] == hashlib.sha256(gzip.decompress(result.archive.read_bytes())).hexdigest()
    files = {f["path"]: f for f in m["files"]}
    on_disk = {p.relative_to(tree).as_posix(): p for p in tree.rglob("*") if p.is_file()}
    assert set(files) == set(on_disk)
    for rel, p in on_disk.items():
        assert files[rel]["size"] == p.stat().st_size
        assert files[rel]["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    sums = result.sums.read_text().splitlines()
    assert sums[0] == f"{m['archive']['tar_gz_sha256']}  Acme-inference-v0.5.tar.gz"
    assert len(sums) == 3
    md = result.verify_md.read_text()
    assert ("ssh-keygen -Y verify -f allowed_signers -I alice@example.org -n mlcheck-result@v1 "
            "-s Acme-inference-v0.5.manifest.json.sig < Acme-inference-v0.5.manifest.json") in md
    assert "mlcheck verify Acme-inference-v0.5.tar.gz --allowed-signers allowed_signers" in md
    assert str(tmp_path) not in result.manifest.read_text()  # no machine paths in what is shipped


def test_refuses_validation_errors_and_writes_nothing(tree: Path, key: Path, tmp_path: Path) -> None:
    shutil.rmtree(tree / "closed" / "Acme" / "code")
    out = _out(tmp_path, "o")
    with pytest.raises(ValidationFailed) as info:
        _package(tree, key, out)
    assert info.value.exit_code == 1 and info.value.report.summary["errors"] >= 1
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("bad, expect", [
    ("closed/Acme/.DS_Store", "closed/Acme/.DS_Store: is a junk file"),
    ("closed/Acme/code/__MACOSX/", "closed/Acme/code/__MACOSX: is a junk file"),
    ("closed/Acme/.git/", "closed/Acme/.git: is a junk file"),
    ("notes.txt", "notes.txt: only closed/, open/ may be at the top level"),
    ("closed/Acme/link", "closed/Acme/link: is a symbolic link"),
    ("closed/Acme/fifo", "closed/Acme/fifo: is a special file"),
])
def test_refuses_links_devices_junk_naming_the_path(tree: Path, key: Path, tmp_path: Path, bad: str,
                                                    expect: str) -> None:
    p = tree / bad.rstrip("/")
    if bad.endswith("/"):
        p.mkdir()
    elif p.name == "link":
        p.symlink_to(tree / "closed" / "Acme" / "systems" / "sys1.json")
    elif p.name == "fifo":
        os.mkfifo(p)
    else:
        p.write_text("x")
    out = _out(tmp_path, "o")
    with pytest.raises(PackageError) as info:
        _package(tree, key, out, strict=False)
    assert expect in info.value.message
    assert info.value.help
    assert not any(out.iterdir())


def test_refuses_output_inside_the_submission(tree: Path, key: Path) -> None:
    inner = tree / "closed" / "out"
    inner.mkdir()
    with pytest.raises(UsageError, match="inside the submission"):
        _package(tree, key, inner)


def test_git_commit_dirty_refused_unless_allowed(tmp_path: Path, key: Path) -> None:
    git = pytest.importorskip("git")
    repo_dir = tmp_path / "repo"
    tree = make_tree(repo_dir / "submission")
    repo = git.Repo.init(repo_dir)
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "Test")
        cw.set_value("user", "email", "test@example.org")
    repo.index.add([str(p.relative_to(repo_dir)) for p in tree.rglob("*") if p.is_file()])
    commit = repo.index.commit("submission").hexsha
    m = package(tree, key, _out(tmp_path, "a"), PackageOptions(validate=OPTS, name="pkg")).manifest_data
    assert m["git"] == {"commit": commit, "dirty": False, "allow_dirty": False, "path": "submission"}
    (tree / "closed" / "Acme" / "code" / "resnet" / "README.md").write_text("changed\n")
    with pytest.raises(UsageError, match="uncommitted") as info:
        package(tree, key, _out(tmp_path, "b"), PackageOptions(validate=OPTS, name="pkg"))
    assert "--allow-dirty" in info.value.help
    m = package(tree, key, _out(tmp_path, "c"), PackageOptions(validate=OPTS, name="pkg", allow_dirty=True)
                ).manifest_data
    assert m["git"]["dirty"] is True and m["git"]["allow_dirty"] is True and m["git"]["commit"] == commit


def test_cli_keygen_package_verify(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub")
    p = mlcheck("keygen", "--out", "key", "--principal", "alice@example.org", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    again = mlcheck("keygen", "--out", "key", cwd=tmp_path)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr and "help:" in again.stderr
    (tmp_path / "out").mkdir()
    args = ("package", str(tree), "--key", "key", "--out", "out", "--select", "inf.layout", "--name", "pkg")
    p = mlcheck(*args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "pkg.tar.gz" in p.stdout
    v = mlcheck("verify", "out/pkg.tar.gz", "--allowed-signers", "key.allowed_signers", cwd=tmp_path)
    assert v.returncode == 0, v.stdout + v.stderr
    assert "signed by alice@example.org" in v.stdout and "validation: passed" in v.stdout
    shutil.rmtree(tree / "closed" / "Acme" / "code")
    bad = mlcheck(*args, cwd=tmp_path)
    assert bad.returncode == 1 and "validation errors" in bad.stderr and "inf.layout.code" in bad.stderr
    missing = mlcheck("package", str(tree), "--key", "nokey", "--out", "out", cwd=tmp_path)
    assert missing.returncode == 2 and "cannot read key" in missing.stderr


def test_waivers_are_recorded_and_reapplied_by_verify(tmp_path: Path) -> None:
    """A waived error lets the package through; the manifest lists the waiver and verify re-applies it."""
    tree = make_tree(tmp_path / "sub")
    shutil.rmtree(tree / "closed" / "Acme" / "code")
    assert mlcheck("keygen", "--out", "key", "--principal", "a@b", cwd=tmp_path).returncode == 0
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("- {rule: inf.layout.code, path: 'closed/Acme/*', justification: code published later}\n"
                       "- {rule: inf.layout.submitter-parts, path: closed/Acme, justification: same}\n")
    (tmp_path / "out").mkdir()
    args = ("package", str(tree), "--key", "key", "--out", "out", "--select", "inf.layout", "--name", "pkg")
    assert mlcheck(*args, cwd=tmp_path).returncode == 1
    p = mlcheck(*args, "--waivers", str(waivers), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    manifest = json.loads((tmp_path / "out" / "pkg.manifest.json").read_text())
    listed = manifest["validation"]["waivers"]
    assert [w["rule"] for w in listed] == ["inf.layout.code", "inf.layout.submitter-parts"]
    assert all(w["matched"] >= 1 for w in listed)
    assert manifest["validation"]["options"]["waivers"][0]["justification"] == "code published later"
    assert "skipped" in manifest["validation"]
    v = mlcheck("verify", "out/pkg.tar.gz", "--allowed-signers", "key.allowed_signers", cwd=tmp_path)
    assert v.returncode == 0, v.stdout + v.stderr


SAMPLE = Path(__file__).resolve().parents[2] / "reference_logs" / "inference_v0.5"


@pytest.mark.slow
def test_sample_submission_packages_truncates_and_verifies(tmp_path: Path, key: Path) -> None:
    """The LoadGen sample, copied: package + verify under v0.5-sample, and again after truncate."""
    from checker.api import validate
    from checker.package import truncate_tree, verify_package

    if not SAMPLE.is_dir():
        pytest.skip("reference_logs sample not generated")
    copy = tmp_path / "sample"
    shutil.copytree(SAMPLE, copy, ignore=shutil.ignore_patterns(*[p.name for p in SAMPLE.iterdir()
                                                                  if p.name not in ("closed", "open")]))
    vopts = ValidateOptions(round="v0.5-sample")
    if validate(copy, vopts).exit_code():
        pytest.skip("the sample does not yet validate cleanly under v0.5-sample")
    allowed = key.with_name("key.allowed_signers")
    result = package(copy, key, _out(tmp_path, "o"), PackageOptions(validate=vopts))
    assert result.manifest_data["round"] == "v0.5-sample"
    assert result.manifest_data["rules"]["files"] == ["inference/v0.5.yaml", "inference/v0.5-sample.yaml"]
    assert verify_package(result.archive, allowed).exit_code == 0
    cut = tmp_path / "cut"
    done = truncate_tree(copy, cut)
    assert done, "the sample's accuracy logs are larger than 8 KiB"
    if validate(cut, vopts).exit_code():
        pytest.skip("truncated accuracy logs do not validate under v0.5-sample yet")
    result = package(cut, key, _out(tmp_path, "t"), PackageOptions(validate=vopts))
    assert {r["path"] for r in result.manifest_data["truncation"]} == {t.path for t in done}
    assert verify_package(result.archive, allowed).exit_code == 0


def test_custom_rules_file_and_known_absent_travel_in_the_manifest(tree: Path, key: Path, tmp_path: Path) -> None:
    """--rules (extending the shipped round) and --known-absent: verify repeats the same validation offline."""
    from checker.engine.rules import rules_root
    from checker.package import verify_package

    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    shutil.copy(rules_root() / "inference" / "v0.5.yaml", rules_dir / "v0.5.yaml")
    custom = rules_dir / "v0.5-mine.yaml"
    custom.write_text("schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-mine\nextends: v0.5\n"
                      "overrides:\n  - id: inf.layout.audit-missing\n    severity: error\n")
    shutil.rmtree(tree / "closed" / "Acme" / "audit")
    opts = ValidateOptions(rules_file=custom, select=SELECT)
    with pytest.raises(ValidationFailed):  # the custom rules make a missing audit/ an error
        package(tree, key, _out(tmp_path, "bad"), PackageOptions(validate=opts))
    absent = frozenset({"closed/Acme/results/sys1/resnet/Offline/accuracy/mlperf_log_detail.txt"})
    (tree / next(iter(absent))).unlink()
    (tree / "closed" / "Acme" / "audit").mkdir()
    (tree / "closed" / "Acme" / "audit" / "README.md").write_text("audit\n")
    opts = ValidateOptions(rules_file=custom, select=SELECT, known_absent=absent)
    result = package(tree, key, _out(tmp_path, "o"), PackageOptions(validate=opts, name="pkg"))
    m = result.manifest_data
    assert m["round"] == "v0.5-mine" and m["rules"]["source"] == "file"
    assert [e["file"] for e in m["rules"]["embedded"]] == ["inference/v0.5.yaml", "inference/v0.5-mine.yaml"]
    assert m["validation"]["options"]["known_absent"] == sorted(absent)
    custom.unlink()  # verify needs nothing but the package: the rules travel in the signed manifest
    v = verify_package(result.archive, key.with_name("key.allowed_signers"))
    assert v.exit_code == 0 and v.rules_match_installed is None
    assert v.report.ruleset["digest"] == m["rules"]["digest"]


def test_root_must_hold_the_division_folders(tree: Path, key: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no closed/ or open/"):
        package(tree / "closed", key, _out(tmp_path, "o"), PackageOptions(validate=OPTS))


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_verify_md_commands_work_with_stock_tools(tree: Path, key: Path, tmp_path: Path) -> None:
    """The ssh-keygen and sha256sum lines of VERIFY.md, run as written, accept the package."""
    import re
    import subprocess

    out = _out(tmp_path, "o")
    result = package(tree, key, out, PackageOptions(validate=OPTS))
    shutil.copy(key.with_name("key.allowed_signers"), out / "allowed_signers")
    md = result.verify_md.read_text()
    commands = re.findall(r"^   (ssh-keygen .*|sha256sum .*)$", md, re.MULTILINE)
    assert len(commands) == 2
    for cmd in commands:
        if cmd.startswith("sha256sum") and shutil.which("sha256sum") is None:
            continue
        p = subprocess.run(cmd, shell=True, cwd=out, capture_output=True, text=True, timeout=30, check=False)
        assert p.returncode == 0, (cmd, p.stdout, p.stderr)
