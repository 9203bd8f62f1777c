"""The terminal report (issue 16): verdict first and last, tally, --show, waived, --strict, width and colour."""

from __future__ import annotations

import os
import pty
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from formats_fixtures import sample_report

from checker.findings import Finding, Report, Severity
from checker.report.text import color_wanted, render_text, verdict_text

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours, and the cursor codes of the progress bar


def _warnings_only() -> Report:
    report = sample_report()
    report.findings = [f for f in report.findings if f.severity is not Severity.ERROR]
    report.finalize()
    return report


def test_verdict_first_and_last() -> None:
    lines = render_text(sample_report(), width=120, color=False).splitlines()
    assert lines[0].startswith("FAILED  1 of 2 results invalid; 1 error, 2 warnings, 1 note, 1 waived")
    assert lines[-1] == lines[0]


def test_strict_run_that_fails_never_says_passed() -> None:
    report = _warnings_only()
    assert report.exit_code(strict=True) == 1
    text = render_text(report, width=120, color=False, strict=True)
    assert "PASSED" not in text
    assert text.splitlines()[0].startswith("FAILED (strict: 2 warnings)")
    assert verdict_text(report, strict=True).startswith("FAILED (strict: 2 warnings)")
    # without --strict the same run passes, and says it has warnings
    assert render_text(report, width=120, color=False).splitlines()[0].startswith("PASSED with warnings")


def test_tally_counts_every_rule_with_severity() -> None:
    text = render_text(sample_report(), width=120, color=False)
    tally = text.split("Rules that reported")[1].split("Results")[0]
    assert re.search(r"error\s+inf\.loadgen\.min-queries\s+×1", tally)
    assert re.search(r"warning\s+inf\.system\.unknown-field\s+×1", tally)
    assert re.search(r"note\s+inf\.accuracy\.rescore-skipped\s+×1", tally)
    assert re.search(r"waived\s+inf\.accuracy\.target\s+\+1 waived", tally)


def test_default_lists_what_fails_the_run_and_says_what_it_left_out() -> None:
    text = render_text(sample_report(), width=120, color=False)
    findings = text.split("Findings (errors)")[1]
    assert "inf.loadgen.min-queries" in findings and "inf.system.unknown-field" not in findings
    assert "Not listed: 2 warnings, 1 note, 1 waived (counted above); --show warnings (or --show all) lists them." \
        in text
    strict = render_text(sample_report(), width=120, color=False, strict=True)
    assert "inf.system.unknown-field" in strict.split("Findings (errors and warnings)")[1]
    full = render_text(sample_report(), width=120, color=False, show="all")
    assert "Not listed" not in full and "inf.accuracy.rescore-skipped" in full.split("Findings (all)")[1]


def test_waived_findings_are_labelled_with_their_justification() -> None:
    text = render_text(sample_report(), width=120, color=False, show="all")
    block = text.split("closed/Acme/results/box1/resnet/Offline  valid")[1]
    assert re.search(r"^  waived  inf\.accuracy\.target", block, re.MULTILINE)
    assert "waived: re-run accepted by the review committee, 2019-10-01" in block
    assert not re.search(r"^\s*error\s+inf\.accuracy\.target", text, re.MULTILINE)  # never an error
    assert re.search(r"^  waived\s+inf\.accuracy\.target\s+\+1 waived", text, re.MULTILINE)  # in the tally too


def test_each_path_is_printed_once_relative_to_the_root() -> None:
    report = sample_report()
    rid = "closed/Acme/results/box1/gnmt/Server"
    report.findings.append(Finding("inf.layout.known-absent", Severity.INFO, f"{rid}/accuracy/x.json",
                                   f"{rid}/accuracy/x.json is listed as absent", rid))
    report.findings.append(Finding("inf.audit.missing", Severity.ERROR, rid, "TEST01 is missing", rid))
    text = render_text(report, width=200, color=False, show="all")
    assert text.count(f"{rid}/accuracy/x.json") == 1  # the message names it: not repeated
    assert text.count(f"{rid}\n") == 0 and "inf.audit.missing\n" in text  # the result folder is the title
    assert "submission/closed" not in text  # relative to the root, never joined with it


def test_messages_are_indented_under_their_column_when_wrapped() -> None:
    report = sample_report()
    report.findings.append(Finding("inf.x.long", Severity.ERROR, "p", "word " * 60, None))
    report.finalize()
    lines = render_text(report, width=80, color=False).splitlines()
    first = lines.index("Findings (errors)")
    start = next(i for i, line in enumerate(lines) if i > first and "inf.x.long" in line)
    body = lines[start + 1:start + 5]
    assert all(line.startswith(" " * 10 + "word") for line in body), body


def test_colour_only_when_asked_or_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    report = sample_report()
    assert not ANSI.search(render_text(report, width=100, color=False))
    assert ANSI.search(render_text(report, width=100, color=True))

    class Tty:
        def isatty(self) -> bool:
            return True

    for var in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    assert color_wanted(Tty()) and not color_wanted(object())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not color_wanted(Tty()) and color_wanted(Tty(), "always")
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert color_wanted(object()) and not color_wanted(object(), "never")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "GITHUB_ACTIONS")}
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True,
                          env={**base, **(env or {})}, cwd=REPO, timeout=120)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.hostile.base import write_builtin

    return write_builtin(tmp_path_factory.mktemp("text") / "sub")


def test_piped_output_is_plain_and_fits_columns(tree: Path) -> None:
    p = _cli("validate", str(tree), env={"COLUMNS": "80"})
    assert p.returncode == 0 and not ANSI.search(p.stdout)  # v0.5: the missing compliance tests are warnings
    assert max(len(line) for line in p.stdout.splitlines()) <= 80
    p = _cli("validate", str(tree), env={"COLUMNS": "200", "FORCE_COLOR": "1"})
    assert ANSI.search(p.stdout)
    p = _cli("validate", str(tree), "--color", "always", env={"NO_COLOR": "1"})
    assert ANSI.search(p.stdout)
    p = _cli("validate", str(tree), "--color", "never", env={"FORCE_COLOR": "1"})
    assert not ANSI.search(p.stdout)
    assert _cli("validate", str(tree), "--color", "sometimes").returncode == 2
    assert _cli("validate", str(tree), "--show", "everything").returncode == 2


def _on_a_terminal(args: list[str], columns: int, stdout_tty: bool = True) -> tuple[int, str, str]:
    """Run mlcheck with a pseudo-terminal of `columns` columns as stderr (and stdout)."""
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", *args], cwd=REPO, env=env,
                            stdout=slave if stdout_tty else subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=120)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace"), out


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal sizes are set with Linux ioctls")
def test_on_a_terminal_colour_and_width_follow_it(tree: Path) -> None:
    code, shown, _ = _on_a_terminal(["validate", str(tree)], 72)
    assert code == 0 and ANSI.search(shown)
    plain = CSI.sub("", shown).replace("\r\n", "\n")  # colours and the progress bar's cursor moves
    assert max(len(line) for line in plain.splitlines()) <= 72


@pytest.mark.skipif(sys.platform != "linux", reason="pseudo-terminal sizes are set with Linux ioctls")
def test_with_output_a_one_line_verdict_still_goes_to_a_terminal(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, shown, stdout = _on_a_terminal(["validate", str(tree), "-f", "json", "-o", str(out)], 100,
                                         stdout_tty=False)
    assert code == 0 and out.is_file() and stdout == ""
    # on stderr: the (transient) re-scoring progress bar, then one line: the verdict and where the report is
    lines = [line for line in CSI.sub("", shown).replace("\r", "\n").splitlines() if line.strip()]
    assert all(line.startswith("re-scoring") for line in lines[:-1]), lines
    assert lines[-1].startswith("PASSED with warnings  1 result valid; 0 errors, 5 warnings")
    assert lines[-1].endswith(f"(report: {out})")
