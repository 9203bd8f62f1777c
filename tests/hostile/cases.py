"""The hostile cases: each derives one malformed submission from the good tree and says what must come out.

A case states the exit codes it accepts (a subset of {0, 1, 2}; 0 only where the mutation is
harmless) and rule ids that must be among the findings. Nothing may ever end in exit 3,
a traceback, a hang, a write into the tree or a followed link.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TEN_GB = 10 * 1024**3


@dataclass
class Layout:
    """Where the parts of the good tree are, relative to its root (the sample's names differ from ours)."""

    submitter: str
    system_json: str
    result: str
    run: str
    acc: str
    meas: str
    code: str

    @property
    def system(self) -> str:
        return self.result.split("/")[-3]


def find_layout(root: Path) -> Layout:
    """The first submitter, system and complete result of a good tree."""
    div = root / "closed"
    sub = sorted(p for p in div.iterdir() if p.is_dir())[0]
    for res in sorted(sub.glob("results/*/*/*")):
        if (res / "accuracy").is_dir() and (res / "performance" / "run_1").is_dir():
            rel = res.relative_to(root).as_posix()
            system, bench, scenario = rel.split("/")[-3:]
            subrel = sub.relative_to(root).as_posix()
            return Layout(
                submitter=subrel, system_json=f"{subrel}/systems/{system}.json", result=rel,
                run=f"{rel}/performance/run_1", acc=f"{rel}/accuracy",
                meas=f"{subrel}/measurements/{system}/{bench}/{scenario}",
                code=f"{subrel}/code/{bench}",
            )
    raise RuntimeError(f"no complete result under {root}")


@dataclass
class Ctx:
    """What a mutation works with: the tree, its layout, and a folder outside the tree with tempting content."""

    root: Path
    layout: Layout
    outside: Path

    def p(self, rel: str) -> Path:
        return self.root / rel


Mutation = Callable[[Ctx], Path | None]  # returns another path to validate, or None for the tree root


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    codes: frozenset[int]
    rules: tuple[str, ...] = ()  # each must be among the findings
    args: tuple[str, ...] = ()
    needs: str = ""  # "fifo", "socket", "unreadable": capabilities probed before the run
    gap: str = ""  # a known hole in the rules (no finding for harmful input): strict xfail naming it


# ------------------------------------------------------------------ primitives

def _replace(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        import shutil

        shutil.rmtree(p)
    elif os.path.lexists(p):
        p.unlink()


def write(p: Path, data: bytes) -> None:
    _replace(p)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)


def sparse(p: Path, size: int) -> None:
    _replace(p)
    with open(p, "wb") as fh:
        fh.truncate(size)


def fifo(p: Path) -> None:
    _replace(p)
    os.mkfifo(p)


def unix_socket(p: Path) -> None:
    _replace(p)
    s = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    try:
        os.chdir(p.parent)  # a socket path is limited to ~107 bytes; bind by its name
        s.bind(p.name)
    finally:
        os.chdir(cwd)
        s.close()


def link(p: Path, target: str | Path) -> None:
    _replace(p)
    os.symlink(target, p)


def rnd(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


# ------------------------------------------------------------------ file targets and generic mutations

@dataclass(frozen=True)
class Target:
    key: str
    rel: Callable[[Layout], str]
    missing: tuple[frozenset[int], tuple[str, ...]]  # when the file is gone (or is not a regular file)
    broken: tuple[frozenset[int], tuple[str, ...]]  # when its content is unusable
    read: bool  # whether validate reads the content at all (without --dataset)


E = frozenset({1})
OK = frozenset({0})

TARGETS = [
    Target("system", lambda L: L.system_json, (E, ("inf.system.missing",)), (E, ("inf.system.json",)), True),
    Target("perf_summary", lambda L: f"{L.run}/mlperf_log_summary.txt",
           (E, ("inf.layout.run-files",)), (E, ("inf.loadgen.unreadable",)), True),
    Target("perf_detail", lambda L: f"{L.run}/mlperf_log_detail.txt",
           (E, ("inf.layout.run-files",)), (E, ("inf.loadgen.unreadable",)), True),
    Target("acc_summary", lambda L: f"{L.acc}/mlperf_log_summary.txt",
           (OK, ("inf.layout.accuracy-logs",)), (E, ("inf.loadgen.unreadable",)), True),
    Target("acc_detail", lambda L: f"{L.acc}/mlperf_log_detail.txt",
           (OK, ("inf.layout.accuracy-logs",)), (E, ("inf.loadgen.unreadable",)), True),
    Target("acc_txt", lambda L: f"{L.acc}/accuracy.txt",
           (E, ("inf.layout.accuracy-files",)), (E, ("inf.accuracy.txt",)), True),
    Target("acc_log", lambda L: f"{L.acc}/mlperf_log_accuracy.json",
           (E, ("inf.layout.accuracy-files",)), (E, ()), True),
    Target("meas_conf", lambda L: f"{L.meas}/mlperf.conf",
           (OK, ("inf.layout.measurements-files",)), (OK, ()), False),
    Target("code_readme", lambda L: f"{L.code}/README.md", (E, ("inf.layout.code",)), (OK, ()), False),
]
# code/<bench>/README.md is the only thing in code/<bench>: without it (as a file or folder) the code
# folder is empty, an error. Renamed, it still fills the folder.


def _content(t: Target, fn: Callable[[bytes], bytes]) -> Mutation:
    def m(c: Ctx) -> None:
        p = c.p(t.rel(c.layout))
        write(p, fn(p.read_bytes()))
    return m


def _utf16(b: bytes) -> bytes:
    return b"\xff\xfe" + b.decode("utf-8").encode("utf-16-le")


def _latin1_line(b: bytes) -> bytes:
    # a line of Latin-1 text that is not UTF-8, inside the file (JSON: inside a string value)
    if b.lstrip().startswith(b"{"):
        return b.replace(b'"framework": "', b'"framework": "Caf\xe9 \xff\xfe ', 1)
    return b"# r\xe9sum\xe9 \xff\xfe\n" + b


def _nul_every(b: bytes) -> bytes:
    return b"".join(bytes([x, 0]) for x in b)


def _crlf(b: bytes) -> bytes:
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


GENERIC_CONTENT: list[tuple[str, Callable[[bytes], bytes], str]] = [
    # (name, transform, outcome: "broken", "harmless", "depends")
    ("empty", lambda b: b"", "broken"),
    ("whitespace-only", lambda b: b" \n\t\n\r\n", "broken"),
    ("one-byte", lambda b: b[:1], "broken"),
    ("binary", lambda b: rnd(len(b), 4096).replace(b"\n", b"\x00"), "broken"),
    ("nul-interleaved", _nul_every, "harmless"),
    ("nul-prefix", lambda b: b"\x00" * 1000 + b, "harmless"),
    ("crlf", _crlf, "harmless"),
    ("cr-only", lambda b: b.replace(b"\n", b"\r"), "harmless"),
    ("utf8-bom", lambda b: b"\xef\xbb\xbf" + b, "harmless"),
    ("latin1-bytes", _latin1_line, "harmless"),
    ("utf16", _utf16, "depends"),
]


def _file_kind_mutations() -> list[tuple[str, Callable[[Ctx, Path], None], str]]:
    """Replacing the file by something that is not a regular file: it counts as missing."""
    return [
        ("deleted", lambda c, p: _replace(p), "missing"),
        ("is-a-directory", lambda c, p: (_replace(p), p.mkdir()), "missing"),
        ("fifo", lambda c, p: fifo(p), "missing+skipped"),
        ("symlink-outside", lambda c, p: link(p, c.outside / "tempting" / p.name), "missing+skipped"),
        ("symlink-absolute-etc", lambda c, p: link(p, "/etc/passwd"), "missing+skipped"),
        ("symlink-dev-zero", lambda c, p: link(p, "/dev/zero"), "missing+skipped"),
        ("symlink-self-loop", lambda c, p: link(p, p.name), "missing+skipped"),
        ("symlink-dangling", lambda c, p: link(p, "does-not-exist"), "missing+skipped"),
        ("upper-case-name", lambda c, p: p.rename(p.with_name(p.name.upper())), "missing"),
        ("trailing-space-name", lambda c, p: p.rename(p.with_name(p.name + " ")), "missing"),
    ]


def generic_cases(builtin: bool) -> list[Case]:
    """Every generic mutation applied to every file target."""
    out: list[Case] = []
    for t in TARGETS:
        missing_codes, missing_rules = t.missing
        for name, fn, outcome in GENERIC_CONTENT:
            if not t.read and name not in ("empty", "binary", "nul-interleaved"):
                continue  # content never read: three variants prove it is not, more add only time
            if t.key == "acc_log" and outcome == "harmless" and name not in ("crlf", "cr-only"):
                codes, rules = E, ()  # the accuracy log is JSON read as bytes: NULs, a BOM or Latin-1 break it
            elif not t.read or outcome == "harmless":
                codes, rules = OK, ()
            elif outcome == "depends":
                codes, rules = UTF16.get(t.key, (OK, ()))
            else:
                codes, rules = t.broken
            out.append(Case(f"{t.key}/{name}", _content(t, fn), codes, rules))
        for name, kfn, outcome in _file_kind_mutations():
            rules = missing_rules + (("inf.layout.skipped-links",) if "skipped" in outcome else ())
            codes = missing_codes
            if t.key == "code_readme" and name in ("is-a-directory", "upper-case-name", "trailing-space-name"):
                codes, rules = OK, ()  # code/<bench> still holds something
            if t.key == "meas_conf" and name == "upper-case-name":
                codes, rules = OK, ()  # measurements file names are matched case-insensitively
            if t.key == "system" and name == "upper-case-name":
                rules = ("inf.system.renamed",)  # found as the folder's own description, renamed: an error of the
                # submission, the result stays valid
            out.append(Case(f"{t.key}/{name}", _at(t, kfn), codes, rules,
                            needs="fifo" if name == "fifo" else ""))
        big_codes, big_rules = t.broken if t.read else (OK, ())
        out.append(Case(f"{t.key}/sparse-10GB", _at(t, lambda c, p: sparse(p, TEN_GB)), big_codes, big_rules))
        out.append(Case(f"{t.key}/over-max-file-size", lambda c: None, big_codes, big_rules,
                        args=("--max-file-size", "16")) if t.key == "system" else
                   Case(f"{t.key}/sparse-just-over-limit", _at(t, lambda c, p: sparse(p, 1024 * 1024 + 1)),
                        big_codes, big_rules, args=("--max-file-size", str(1024 * 1024))))
        out.append(Case(f"{t.key}/chmod-000", _at(t, lambda c, p: os.chmod(p, 0)), t.broken[0] if t.read else OK,
                        t.broken[1] if t.read else (), needs="unreadable"))
    return out


UTF16: dict[str, tuple[frozenset[int], tuple[str, ...]]] = {
    "system": (E, ("inf.system.json",)),
    "acc_log": (E, ()),
}


def _at(t: Target, fn: Callable[[Ctx, Path], None]) -> Mutation:
    def m(c: Ctx) -> None:
        fn(c, c.p(t.rel(c.layout)))
    return m
