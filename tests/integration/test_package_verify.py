"""mlcheck verify: good packages pass; any changed byte fails with exit 4 naming what differs; hostile archives."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from package_fixtures import SELECT, forge_package, make_tree, mlcheck

from checker.api import ValidateOptions
from checker.errors import IntegrityError
from checker.package import PackageOptions, keygen, load_private_key, package, verify_package
from checker.package import verify as verify_module
from checker.package.tarball import collect, write_tarball

PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, bytes]]:
    """A good package (archive path, allowed_signers path) and the bytes of its three files."""
    base = tmp_path_factory.mktemp("verify")
    tree = make_tree(base / "sub", accuracy_records=200)
    keys = keygen(base / "key", principal="alice@example.org")
    out = base / "out"
    out.mkdir()
    result = package(tree, keys.private, out, PackageOptions(validate=ValidateOptions(select=SELECT), name="pkg"))
    files = {p.name: p.read_bytes() for p in (result.archive, result.manifest, result.signature)}
    return result.archive, keys.allowed_signers, files


def _copy(built: tuple[Path, Path, dict[str, bytes]], dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in built[2].items():
        (dest / name).write_bytes(data)
    return dest / "pkg.tar.gz"


def test_good_package_verifies(built: tuple[Path, Path, dict[str, bytes]]) -> None:
    archive, allowed, _ = built
    result = verify_package(archive, allowed)
    assert result.exit_code == 0
    assert result.signer.principals == ("alice@example.org",)
    assert result.files == len(result.manifest["files"]) > 10
    assert result.rules_match_installed is True
    assert verify_package(archive, allowed, principal="alice@example.org").exit_code == 0


def test_wrong_signer_or_principal_is_exit_4(built: tuple[Path, Path, dict[str, bytes]], tmp_path: Path) -> None:
    archive, _, _ = built
    other = keygen(tmp_path / "other", principal="mallory@example.org")
    with pytest.raises(IntegrityError, match="not in the allowed signers") as info:
        verify_package(archive, other.allowed_signers)
    assert info.value.exit_code == 4 and info.value.help
    with pytest.raises(IntegrityError, match="principal 'bob'"):
        verify_package(archive, built[1], principal="bob")


def _flip(data: bytes, pos: int, xor: int) -> bytes:
    b = bytearray(data)
    b[pos % len(b)] ^= xor
    return bytes(b)


@PROPERTY
@given(which=st.sampled_from(["pkg.tar.gz", "pkg.manifest.json", "pkg.manifest.json.sig"]),
       pos=st.integers(min_value=0, max_value=1 << 30), xor=st.integers(min_value=1, max_value=255))
def test_any_changed_byte_of_the_package_files_fails(built: tuple[Path, Path, dict[str, bytes]],
                                                     tmp_path_factory: pytest.TempPathFactory, which: str,
                                                     pos: int, xor: int) -> None:
    archive = _copy(built, tmp_path_factory.mktemp("flip"))
    target = archive.with_name(which)
    target.write_bytes(_flip(target.read_bytes(), pos, xor))
    with pytest.raises(IntegrityError) as info:
        verify_package(archive, built[1])
    assert info.value.exit_code == 4
    if which == "pkg.tar.gz":
        assert "pkg.tar.gz" in info.value.message or "closed/" in info.value.message
    else:
        assert "pkg.manifest.json" in info.value.message


def _members_with_data(tar: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        return [m for m in tf.getmembers() if m.isreg() and m.size > 0]


def _tamper_file(archive: Path, index: int, pos: int, xor: int) -> tuple[tarfile.TarInfo, bytes]:
    """Flip one byte inside one packaged file and re-compress: (the member, the new tar bytes)."""
    tar = gzip.decompress(archive.read_bytes())
    members = _members_with_data(tar)
    m = members[index % len(members)]
    tampered = _flip(tar, m.offset_data + pos % m.size, xor)
    archive.write_bytes(gzip.compress(tampered, mtime=0))
    return m, tampered


def _resign(archive: Path, key: Path, tar: bytes) -> None:
    """Sign again, over the archive as it now is, a manifest that keeps the original per-file hashes."""
    manifest_path = archive.with_name("pkg.manifest.json")
    doc = json.loads(manifest_path.read_bytes())
    forge_package(archive.parent, "pkg", archive.read_bytes(), load_private_key(key), files=doc["files"],
                  folders=doc["folders"], tar_sha256=hashlib.sha256(tar).hexdigest(), tar_size=len(tar))


def test_changed_file_is_refused_by_the_archive_hash_before_any_decompression(
        built: tuple[Path, Path, dict[str, bytes]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _copy(built, tmp_path / "p")
    _tamper_file(archive, 0, 0, 1)

    def no_decompression(*args: object, **kwargs: object) -> None:
        raise AssertionError("the archive was decompressed before it was authenticated")

    monkeypatch.setattr(verify_module, "_Gunzip", no_decompression)
    with pytest.raises(IntegrityError) as info:
        verify_package(archive, built[1])
    assert info.value.exit_code == 4
    assert info.value.message.startswith("pkg.tar.gz: ")
    assert "signed manifest" in info.value.message


@PROPERTY
@given(index=st.integers(min_value=0, max_value=1000), pos=st.integers(min_value=0, max_value=1 << 30),
       xor=st.integers(min_value=1, max_value=255))
def test_signed_archive_with_any_changed_byte_of_any_file_names_that_file(
        built: tuple[Path, Path, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory,
        index: int, pos: int, xor: int) -> None:
    """A signer whose manifest does not describe its own archive: the first differing file is named."""
    archive = _copy(built, tmp_path_factory.mktemp("file"))
    m, tar = _tamper_file(archive, index, pos, xor)
    _resign(archive, _key_of(built), tar)
    with pytest.raises(IntegrityError) as info:
        verify_package(archive, built[1])
    assert info.value.exit_code == 4
    assert info.value.message.startswith(f"{m.name}: content differs from the manifest")


def _key_of(built: tuple[Path, Path, dict[str, bytes]]) -> Path:
    return built[1].with_name("key")


def test_cli_tampered_file_is_exit_4_naming_the_archive(built: tuple[Path, Path, dict[str, bytes]],
                                                        tmp_path: Path) -> None:
    archive = _copy(built, tmp_path / "p")
    _tamper_file(archive, 0, 0, 1)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(built[1]), cwd=tmp_path)
    assert p.returncode == 4, p.stdout + p.stderr
    assert "error: pkg.tar.gz: " in p.stderr and "signed manifest" in p.stderr and "help:" in p.stderr


def test_header_only_change_is_caught_by_the_tar_hash(built: tuple[Path, Path, dict[str, bytes]],
                                                      tmp_path: Path) -> None:
    archive = _copy(built, tmp_path / "p")
    data = gzip.decompress(archive.read_bytes())
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        members = tf.getmembers()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as out, \
            tarfile.open(fileobj=io.BytesIO(data)) as src:
        for m in members:
            m.mtime = 42  # same names, modes and contents; only the mtime differs
            out.addfile(m, src.extractfile(m) if m.isreg() else None)
    archive.write_bytes(gzip.compress(buf.getvalue(), mtime=0))
    with pytest.raises(IntegrityError, match="pkg.tar.gz: .*signed manifest"):  # beside the genuine manifest
        verify_package(archive, built[1])
    # signed again over the new .tar.gz but with the original tar hash: the tar stream check catches it
    _resign(archive, _key_of(built), data)
    with pytest.raises(IntegrityError, match="tar stream differs"):
        verify_package(archive, built[1])


def _hostile_tar(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if ti.isreg() else None)
    return buf.getvalue()


def _info(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = "") -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.size, ti.linkname, ti.mode = kind, size, link, 0o644
    return ti


@pytest.mark.parametrize("evil, why", [
    (_info("../escaped.txt", size=5), "a path with '..'"),
    (_info("closed/../../escaped.txt", size=5), "a path with '..'"),
    (_info("/tmp/absolute.txt", size=5), "an absolute path"),
    (_info("closed/link", tarfile.SYMTYPE, link="/etc/passwd"), "symbolic link"),
    (_info("closed/hard", tarfile.LNKTYPE, link="closed/a.txt"), "hard link"),
    (_info("closed/dev", tarfile.CHRTYPE), "device"),
    (_info("closed/fifo", tarfile.FIFOTYPE), "FIFO"),
])
def test_crafted_archive_is_refused_even_with_a_good_signature(tmp_path: Path, evil: tarfile.TarInfo,
                                                               why: str) -> None:
    keys = keygen(tmp_path / "key", principal="alice@example.org")
    good = _info("closed/a.txt", size=5)
    closed = _info("closed", tarfile.DIRTYPE)
    tar = _hostile_tar([(closed, b""), (good, b"hello"), (evil, b"evil!" if evil.isreg() else b"")])
    files = [{"path": "closed/a.txt", "size": 5, "sha256": hashlib.sha256(b"hello").hexdigest(), "mode": "0644"}]
    if evil.isreg():  # even when the manifest lists the hostile path, it is refused
        files.append({"path": evil.name, "size": 5, "sha256": hashlib.sha256(b"evil!").hexdigest(), "mode": "0644"})
    out = tmp_path / "pkg"
    out.mkdir()
    archive = forge_package(out, "evil", gzip.compress(tar, mtime=0), load_private_key(keys.private), files=files,
                            folders=["closed"], tar_sha256=hashlib.sha256(tar).hexdigest(), tar_size=len(tar))
    with pytest.raises(IntegrityError) as info:
        verify_package(archive, keys.allowed_signers)
    assert info.value.exit_code == 4
    assert "refusing" in info.value.message and why in info.value.message
    assert not (tmp_path / "escaped.txt").exists() and not (out / "escaped.txt").exists()
    assert not Path("/tmp/absolute.txt").exists()


def test_signed_package_with_validation_errors_is_exit_1(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "sub")
    shutil.rmtree(tree / "closed" / "Acme" / "code")  # inf.layout.code: an error
    keys = keygen(tmp_path / "key", principal="alice@example.org")
    buf = io.BytesIO()
    members = collect(tree, frozenset({"closed", "open"}))
    res = write_tarball(members, buf)
    files = [{"path": f.path, "size": f.size, "sha256": f.sha256, "mode": f"{f.mode:04o}"} for f in res.files]
    out = tmp_path / "pkg"
    out.mkdir()
    archive = forge_package(out, "bad", buf.getvalue(), load_private_key(keys.private), files=files,
                            folders=[m.path for m in members if m.is_dir], tar_sha256=res.tar_sha256,
                            tar_size=res.tar_size)
    result = verify_package(archive, keys.allowed_signers)
    assert result.exit_code == 1
    assert any(f.rule == "inf.layout.code" for f in result.report.findings)
    p = mlcheck("verify", str(archive), "--allowed-signers", str(keys.allowed_signers), cwd=tmp_path)
    assert p.returncode == 1 and "inf.layout.code" in p.stdout and "validation: FAILED" in p.stdout


def test_missing_companion_file_is_exit_4(built: tuple[Path, Path, dict[str, bytes]], tmp_path: Path) -> None:
    """Without its signature (or its manifest) nothing in a package can be trusted: a mismatch, not a usage error."""
    for missing in ("pkg.manifest.json.sig", "pkg.manifest.json"):
        archive = _copy(built, tmp_path / missing)
        archive.with_name(missing).unlink()
        p = mlcheck("verify", str(archive), "--allowed-signers", str(built[1]), cwd=tmp_path)
        assert p.returncode == 4, p.stderr
        assert f"{missing} is missing" in p.stderr and "help:" in p.stderr
