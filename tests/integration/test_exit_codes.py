"""The exit-code contract for every command (issue 8): usage errors exit 2, bad input 1 or 2, never 3.

verify may also say 4 (signature or content mismatch), as the CLI documents. Commands not in this
build skip with a reason.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.base import write_builtin
from tests.hostile.harness import run_cli


def _commands() -> set[str]:
    from checker.cli import app

    return {(c.name or (c.callback.__name__ if c.callback else "")).replace("_cmd", "") for c in
            app.registered_commands}


@dataclass(frozen=True)
class Call:
    id: str
    command: str
    argv: Callable[[Path], list[str]]
    codes: frozenset[int]


USAGE = frozenset({2})
BAD = frozenset({1, 2})
VERIFY_BAD = frozenset({1, 2, 4})


def _tree(tmp: Path) -> Path:
    return write_builtin(tmp / "sub")


def _file(tmp: Path) -> Path:
    p = tmp / "afile.txt"
    p.write_text("closed/\n")
    return p


def _empty(tmp: Path) -> Path:
    p = tmp / "empty"
    p.mkdir()
    return p


def _empty2(tmp: Path) -> Path:
    p = tmp / "empty2"
    p.mkdir()
    return p


def _garbage_tgz(tmp: Path) -> Path:
    p = tmp / "x.tar.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00garbage" * 100)
    (tmp / "x.manifest.json").write_text("{not json")
    (tmp / "x.manifest.json.sig").write_text("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n")
    return p


def _evil_tgz(tmp: Path) -> Path:
    """A tarball whose members escape (../, absolute, links) with a manifest that is not signed."""
    p = tmp / "evil.tar.gz"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name in ("../escape.txt", "/abs.txt", "ok/../../up.txt"):
            data = b"x"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    p.write_bytes(gzip.compress(buf.getvalue()))
    (tmp / "evil.manifest.json").write_text('{"files": []}')
    (tmp / "evil.manifest.json.sig").write_text("not a signature\n")
    return p


def _signers(tmp: Path) -> Path:
    p = tmp / "allowed_signers"
    p.write_text("someone@example.org ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBogus\n")
    return p


def _bad_key(tmp: Path) -> Path:
    p = tmp / "key"
    p.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n")
    return p


CALLS = [
    # usage errors: exit 2
    Call("validate/unknown-option", "validate", lambda t: ["validate", str(_tree(t)), "--no-such-option"], USAGE),
    Call("validate/missing-root", "validate", lambda t: ["validate"], USAGE),
    Call("validate/bad-format", "validate", lambda t: ["validate", str(_tree(t)), "--format", "nope"], USAGE),
    Call("validate/bad-round", "validate", lambda t: ["validate", str(_tree(t)), "--round", "v9.9"], USAGE),
    Call("validate/bad-dataset-spec", "validate", lambda t: ["validate", str(_tree(t)), "--dataset", "imagenet"], USAGE),
    Call("validate/bad-report-spec", "validate", lambda t: ["validate", str(_tree(t)), "--report", "json"], USAGE),
    Call("validate/max-file-size-not-int", "validate", lambda t: ["validate", str(_tree(t)), "--max-file-size", "x"],
         USAGE),
    Call("validate/rules-file-missing", "validate", lambda t: ["validate", str(_tree(t)), "--rules", str(t / "no.yaml")],
         USAGE),
    Call("validate/rules-file-garbage", "validate", lambda t: ["validate", str(_tree(t)), "--rules", str(_file(t))],
         USAGE),
    Call("validate/known-absent-missing", "validate",
         lambda t: ["validate", str(_tree(t)), "--known-absent", str(t / "none.txt")], USAGE),
    Call("validate/output-into-missing-dir", "validate",
         lambda t: ["validate", str(_tree(t)), "--output", str(t / "no" / "such" / "dir" / "r.txt")], USAGE),
    Call("validate/dataset-missing-file", "validate",
         lambda t: ["validate", str(_tree(t)), "--dataset", f"imagenet={t / 'nope.txt'}"], BAD),
    Call("validate/dataset-garbage", "validate",
         lambda t: ["validate", str(_tree(t)), "--dataset", f"imagenet={_file(t)}"], BAD),
    Call("rescore/unknown-option", "rescore", lambda t: ["rescore", str(_tree(t)), "--nope"], USAGE),
    Call("rescore/missing-target", "rescore", lambda t: ["rescore"], USAGE),
    Call("report/unknown-format", "report", lambda t: ["report", str(_tree(t)), "--format", "nope"], USAGE),
    Call("report/missing-roots", "report", lambda t: ["report"], USAGE),
    Call("diff/one-argument", "diff", lambda t: ["diff", str(_tree(t))], USAGE),
    Call("keygen/missing-out", "keygen", lambda t: ["keygen"], USAGE),
    Call("keygen/out-exists", "keygen", lambda t: ["keygen", "--out", str(_file(t))], USAGE),
    Call("keygen/out-in-missing-dir", "keygen", lambda t: ["keygen", "--out", str(t / "no" / "dir" / "key")], BAD),
    Call("package/missing-key", "package", lambda t: ["package", str(_tree(t))], USAGE),
    Call("package/key-does-not-exist", "package", lambda t: ["package", str(_tree(t)), "--key", str(t / "nokey")],
         USAGE),
    Call("verify/missing-signers", "verify", lambda t: ["verify", str(_garbage_tgz(t))], USAGE),
    Call("rules/unknown-prefix", "rules", lambda t: ["rules", "inf.typo"], USAGE),
    Call("rules/unknown-round", "rules", lambda t: ["rules", "--round", "v9.9"], USAGE),
    Call("rules/unknown-format", "rules", lambda t: ["rules", "--format", "xml"], USAGE),
    Call("rules/all", "rules", lambda t: ["rules"], frozenset({0})),
    Call("truncate/missing-out", "truncate", lambda t: ["truncate", str(_tree(t))], USAGE),
    Call("truncate/out-exists", "truncate", lambda t: ["truncate", str(_tree(t)), "--out", str(_empty(t))], USAGE),
    # bad input: 1 or 2 (verify: or 4), never 3
    Call("validate/root-is-a-file", "validate", lambda t: ["validate", str(_file(t))], USAGE),
    Call("validate/root-missing", "validate", lambda t: ["validate", str(t / "nope")], USAGE),
    Call("validate/root-empty", "validate", lambda t: ["validate", str(_empty(t))], USAGE),
    Call("rescore/root-is-a-file", "rescore", lambda t: ["rescore", str(_file(t))], BAD),
    Call("rescore/root-empty", "rescore", lambda t: ["rescore", str(_empty(t))], BAD),
    Call("rescore/dataset-garbage", "rescore", lambda t: ["rescore", str(_tree(t)), "--dataset", f"imagenet={_file(t)}"],
         BAD),
    Call("rescore/config-garbage", "rescore", lambda t: ["rescore", str(_tree(t)), "--config", str(_garbage_tgz(t))],
         BAD),
    Call("report/root-is-a-file", "report", lambda t: ["report", str(_file(t))], BAD),
    Call("report/root-empty", "report", lambda t: ["report", str(_empty(t))], BAD),
    Call("diff/file-vs-tree", "diff", lambda t: ["diff", str(_file(t)), str(_tree(t))], BAD),
    Call("diff/empty-vs-empty", "diff", lambda t: ["diff", str(_empty(t)), str(_empty2(t))], BAD),
    Call("package/garbage-key", "package", lambda t: ["package", str(_tree(t)), "--key", str(_bad_key(t)),
                                                      "--out", str(t / "pkg")], BAD),
    Call("package/root-is-a-file", "package", lambda t: ["package", str(_file(t)), "--key", str(_bad_key(t))], BAD),
    Call("verify/garbage-archive", "verify", lambda t: ["verify", str(_garbage_tgz(t)), "--allowed-signers",
                                                        str(_signers(t))], VERIFY_BAD),
    Call("verify/escaping-archive", "verify", lambda t: ["verify", str(_evil_tgz(t)), "--allowed-signers",
                                                         str(_signers(t))], VERIFY_BAD),
    Call("verify/archive-missing", "verify", lambda t: ["verify", str(t / "none.tar.gz"), "--allowed-signers",
                                                        str(_signers(t))], VERIFY_BAD),
    Call("verify/signers-garbage", "verify", lambda t: ["verify", str(_garbage_tgz(t)), "--allowed-signers",
                                                        str(_garbage_tgz(t))], VERIFY_BAD),
    Call("truncate/root-is-a-file", "truncate", lambda t: ["truncate", str(_file(t)), "--out", str(t / "o")], BAD),
    # an empty folder truncates to an empty copy: nothing to refuse
    Call("truncate/root-empty", "truncate", lambda t: ["truncate", str(_empty(t)), "--out", str(t / "o")],
         frozenset({0})),
]


@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_exit_code(call: Call, tmp_path: Path) -> None:
    if call.command not in _commands():
        pytest.skip(f"`mlcheck {call.command}` is not in this build yet")
    work = tmp_path / "w"
    work.mkdir()
    run = run_cli(call.argv(work), timeout=30)
    assert not run.timed_out
    assert run.code != 3, run.stderr
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert run.code in call.codes, f"exit {run.code}, want {sorted(call.codes)}\n{run.stderr}\n{run.stdout[-2000:]}"
    if run.code == 2:
        assert run.stderr.strip(), "a usage error says what was wrong"
    # nothing may be written outside the work folder (verify extracts into a temporary folder of its own)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "up.txt").exists()


def test_every_command_has_calls() -> None:
    """A command added later must get its exit-code cases here."""
    covered = {c.command for c in CALLS} | {"version"}
    assert _commands() <= covered, sorted(_commands() - covered)


def test_clean_tree_exits_0_and_bad_tree_1(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert run_cli(["validate", str(root), "--ignore", "inf.audit."]).code == 0
    (root / "closed/HostileCo/systems/hostile_t4.json").write_text("{")
    assert run_cli(["validate", str(root), "--ignore", "inf.audit."]).code == 1


@pytest.mark.parametrize("argv, code", [
    (["validate", "/nonexistent/submission"], 2),
    (["validate", "--no-such-flag"], 2),
    (["no-such-command"], 2),
    (["version"], 0),
])
def test_exit_codes_as_a_process(argv: list[str], code: int) -> None:
    """The real console entry point, in a subprocess: exit status and no traceback."""
    proc = subprocess.run([sys.executable, "-m", "checker.cli", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unreadable_installation_is_an_error_not_a_bug(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """mlcheck's own rules files unreadable (a checkout only root may enter, run as another user):
    exit 2 with the file named, not 3 with 'a bug in mlcheck'."""
    from checker import cli
    from checker.engine import rules

    def refuse(path: Path, *args: object, **kw: object) -> object:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(rules, "read_yaml", refuse)
    monkeypatch.setattr(sys, "argv", ["mlcheck", "rules", "--round", "v0.5"])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert "cannot read its own file" in err and "Permission denied" in err and "bug" not in err


def test_the_console_command_ends_with_its_output_whole(sample_root: Path, tmp_path: Path) -> None:
    """The console entry point ends the process without the interpreter's teardown once its output is
    flushed: the report piped to stdout and the one written to --output are whole, the exit status is
    main()'s."""
    import json

    args = ["validate", str(sample_root), "--format", "json"]
    piped = subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, timeout=120)
    written = tmp_path / "report.json"
    to_file = subprocess.run([sys.executable, "-m", "checker.cli", *args, "--output", str(written)],
                             capture_output=True, text=True, timeout=120)
    in_process = run_cli(args, timeout=120)
    assert piped.returncode == to_file.returncode == in_process.code, (piped.stderr, to_file.stderr)
    assert json.loads(piped.stdout)["summary"] == json.loads(in_process.stdout)["summary"]
    assert json.loads(written.read_text(encoding="utf-8"))["summary"] == json.loads(piped.stdout)["summary"]
    assert "Traceback" not in piped.stderr + to_file.stderr
