"""Speed on the Inference v0.7 corpus: `mlcheck validate` against the official v0.7 checker's approach.

Both run on the same tree, in the same run, each in its own child process, interleaved (the order
alternates from one round to the next, after one untimed warm-up of each):

- mlcheck: `mlcheck validate TREE --known-absent TREE/ABSENT.txt -f json -o /dev/null`, the CLI
  as a user runs it;
- the baseline: `python bench/official_v07_approach.py TREE --known-absent TREE/ABSENT.txt`, the
  official checker's per-result work re-expressed (see that file for what it reads and what not);
- for scale, `mlcheck --version` (interpreter and CLI start-up alone).

Prints the median wall and CPU time (user + system of the child and of anything it waited for) of
each, and the ratios. Then one more child run of each under a Python audit hook counts the files
each opens inside the tree (distinct files, their bytes on disk, and repeated opens) by role, and
what mlcheck opens that the baseline does not. Last, when the expected-outcome table is at hand, it
checks that the baseline is faithful: its verdict, value and accuracy per result against the
table's official columns.

    python bench/bench_inference_v07.py [CORPUS_ROOT] [--repeat N] [--expected TSV]

CORPUS_ROOT holds inference_v0.7/; it defaults to $MLCHECK_CORPUS, else to what
../shared/corpus/unpack beside the repository prints. --expected defaults to
../shared/corpus/inference_v0.7.EXPECTED.tsv beside the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from corpus_path import require_corpus

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
BASELINE = Path(__file__).resolve().parent / "official_v07_approach.py"


def mlcheck_command() -> list[str]:
    """The installed `mlcheck` console script of this environment."""
    beside = Path(sys.executable).parent / "mlcheck"
    found = str(beside) if beside.is_file() else shutil.which("mlcheck")
    if not found:
        raise SystemExit("the mlcheck command is not installed in this environment (pip install -e .)")
    return [found]


# ----- timing -----

@dataclass
class Timing:
    """Wall and CPU seconds of each run of one command."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_once(cmd: list[str]) -> tuple[float, float, int]:
    """(wall s, CPU s, exit code) of one child run, its output discarded."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode
    return time.perf_counter() - t0, _children_cpu() - cpu0, rc


def time_interleaved(cmds: dict[str, list[str]], repeat: int) -> dict[str, Timing]:
    """Run every command once untimed, then `repeat` rounds, alternating the order each round."""
    for cmd in cmds.values():
        run_once(cmd)
    out = {name: Timing() for name in cmds}
    names = list(cmds)
    for i in range(repeat):
        for name in names if i % 2 == 0 else names[::-1]:
            wall, cpu, rc = run_once(cmds[name])
            out[name].wall.append(wall)
            out[name].cpu.append(cpu)
            out[name].codes.add(rc)
    return out


# ----- what each one opens -----

# Runs in the child: records every open (and directory listing) of a path inside the tree, then runs
# the target in the same interpreter. Lines go to an inherited descriptor with os.write, which raises
# no audit event itself; forked workers inherit both the hook and the descriptor.
AUDIT = r"""
import os, runpy, sys
out, root, kind, target, *argv = sys.argv[1:]
fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
tops = tuple({os.path.join(os.path.abspath(root), ""), os.path.join(os.path.realpath(root), "")})
def hook(event, args):
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    p = args[0]
    if p is None or isinstance(p, int):
        return
    try:
        p = os.path.abspath(os.fsdecode(os.fspath(p)))
    except TypeError:
        return
    if os.path.join(p, "").startswith(tops) or p.startswith(tops):
        os.write(fd, ("%s\t%s\n" % ("open" if event == "open" else "list", p)).encode("utf-8", "surrogateescape"))
sys.addaudithook(hook)
if kind == "entry":
    from importlib.metadata import entry_points
    (ep,) = entry_points(group="console_scripts", name=target)
    sys.argv = [target, *argv]
    sys.exit(ep.load()())
sys.argv = [target, *argv]
runpy.run_path(target, run_name="__main__")
"""


@dataclass
class Reads:
    """The files one command opened inside the tree."""

    opens: Counter[str] = field(default_factory=Counter)   # relative path -> times opened
    listed: set[str] = field(default_factory=set)           # directories listed


def size_of(tree: Path, rel: str) -> int:
    """A file's size on disk (0 when it is gone)."""
    try:
        return (tree / rel).stat().st_size
    except OSError:
        return 0


def audited(tree: Path, kind: str, target: str, argv: list[str]) -> Reads:
    """Run one command under the audit hook and collect what it opened and listed inside the tree."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "events.tsv"
        cmd = [sys.executable, "-c", AUDIT, str(log), str(tree), kind, target, *argv]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        lines = log.read_text(encoding="utf-8", errors="surrogateescape").splitlines() if log.exists() else []
    tops = [os.path.abspath(tree), os.path.realpath(tree)]
    reads = Reads()
    for line in lines:
        what, path = line.split("\t", 1)
        rel = next((os.path.relpath(path, t) for t in tops if path == t or path.startswith(t + os.sep)), None)
        if rel is None:
            continue
        rel = Path(rel).as_posix()
        if what == "open":
            reads.opens[rel] += 1
        else:
            reads.listed.add(rel)
    return reads


_KNOWN_NAMES = {"mlperf_log_summary.txt", "mlperf_log_detail.txt", "accuracy.txt", "mlperf_log_accuracy.json",
                "verify_performance.txt", "verify_accuracy.txt", "baseline_accuracy.txt",
                "compliance_accuracy.txt", "README.md", "user.conf", "mlperf.conf"}


def role(rel: str) -> str:
    """What a file of a v0.7 tree is, by where it sits (`area: file`)."""
    parts = rel.split("/")
    name = parts[-1]
    kind = name if name in _KNOWN_NAMES else ("*.json" if name.endswith(".json") else "other")
    if len(parts) < 4:
        return f"top level: {name}"
    area = parts[2]
    if area == "systems":
        return "systems: *.json" if kind == "*.json" else f"systems: {kind}"
    if area == "measurements":
        return f"measurements: {kind}"
    if area == "code":
        return "code: redirect files and notes"
    if area == "results":
        if len(parts) == 4:
            return f"results: {name} (checker log)"
        sub = parts[6] if len(parts) > 7 else "(result folder)"
        return f"results {sub}: {kind}"
    if area == "compliance":
        at = next((i for i, p in enumerate(parts[:-1]) if p.startswith("TEST")), None)
        if at is None:
            return f"compliance (no test folder): {kind}"
        family = parts[at].split("-")[0]   # TEST04-A and TEST04-B together
        where = parts[at + 1] if at + 2 < len(parts) else ""
        if where in ("performance", "accuracy"):
            return f"compliance {family} {where}: {kind}"
        return f"compliance {family}: {kind}"
    return f"{area}: {kind}"


def print_reads(tree: Path, official: Reads, mlcheck: Reads) -> None:
    """Files and bytes each opens, by role, and what mlcheck opens that the baseline does not."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for rel in set(official.opens) | set(mlcheck.opens):
        size = size_of(tree, rel)
        r = rows[role(rel)]
        if rel in official.opens:
            r[0] += 1
            r[1] += size
        if rel in mlcheck.opens:
            r[2] += 1
            r[3] += size
            if rel not in official.opens:
                r[4] += 1
                r[5] += size
    mib = 1024 * 1024
    print("\nfiles opened inside the tree (distinct files; MiB = their size on disk; the baseline stops")
    print("reading accuracy.txt at hash= and verify_*.txt at TEST PASS, so it reads at most that much)")
    print(f"{'role':52} {'official':>9} {'MiB':>7} {'mlcheck':>9} {'MiB':>7} {'mlcheck only':>12} {'MiB':>7}")
    total = [0] * 6
    for name in sorted(rows, key=lambda k: (-rows[k][5], -rows[k][3], k)):
        r = rows[name]
        total = [a + b for a, b in zip(total, r, strict=True)]
        print(f"{name[:52]:52} {r[0]:9d} {r[1] / mib:7.2f} {r[2]:9d} {r[3] / mib:7.2f} {r[4]:12d} {r[5] / mib:7.2f}")
    print(f"{'total':52} {total[0]:9d} {total[1] / mib:7.2f} {total[2]:9d} {total[3] / mib:7.2f} "
          f"{total[4]:12d} {total[5] / mib:7.2f}")
    only_official = sorted(set(official.opens) - set(mlcheck.opens))
    first: dict[str, str] = {}
    for rel in sorted(set(mlcheck.opens) - set(official.opens)):
        first.setdefault(role(rel), rel)
    print(f"opens in all (repeats included): official {sum(official.opens.values())}, "
          f"mlcheck {sum(mlcheck.opens.values())}; directories listed: official {len(official.listed)}, "
          f"mlcheck {len(mlcheck.listed)}")
    print(f"opened by the baseline and not by mlcheck: {len(only_official)}"
          + (f" (e.g. {', '.join(only_official[:2])})" if only_official else ""))
    print("an example of each role mlcheck opens beyond the baseline:")
    for name in sorted(first, key=lambda k: (-rows[k][4], k)):
        print(f"  {rows[name][4]:5d} {first[name]}")


# ----- faithfulness of the baseline -----

def check_faithful(tree: Path, absent: Path, expected: Path) -> None:
    """Compare the baseline's verdict, value, accuracy and reasons per result with the table's official columns."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "official.tsv"
        subprocess.run([sys.executable, str(BASELINE), str(tree), "--known-absent", str(absent), "--out", str(out),
                        "--quiet"], check=False)
        with out.open(encoding="utf-8", newline="") as f:
            got = {r["result"]: r for r in csv.DictReader(f, delimiter="\t")}
    with expected.open(encoding="utf-8", newline="") as f:
        want = {r["result"]: r for r in csv.DictReader(f, delimiter="\t")}
    pairs = [("verdict", "official_verdict", "official_v07_verdict"), ("metric", "metric", "metric"),
             ("accuracy", "accuracy", "accuracy"), ("reasons", "reasons", "official_v07_reasons")]
    agree = Counter[str]()
    differ: list[str] = []
    for key, row in want.items():
        mine = got.get(key)
        if mine is None:
            differ.append(f"  {key}: not enumerated by the baseline")
            continue
        for label, g, w in pairs:
            if mine[g] == row[w]:
                agree[label] += 1
            else:
                differ.append(f"  {key} {label}: baseline {mine[g]!r}, table {row[w]!r}")
    print(f"\nbaseline vs {expected.name} (official columns), {len(want)} rows; the baseline enumerates "
          f"{len(got)} results, {len(set(got) - set(want))} not in the table")
    print("agreement: " + ", ".join(f"{label} {agree[label]}/{len(want)}" for label, _, _ in pairs))
    for line in differ[:20]:
        print(line)


# ----- main -----

def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    """Time both on the same tree, count what each opens, check the baseline against the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", nargs="?", help="the folder holding inference_v0.7/")
    ap.add_argument("--repeat", type=int, default=5, help="timed rounds (at least 3; default 5)")
    ap.add_argument("--expected", type=Path, default=SHARED_CORPUS / "inference_v0.7.EXPECTED.tsv")
    args = ap.parse_args()
    if args.repeat < 3:
        raise SystemExit("--repeat must be at least 3")
    tree = require_corpus(args.corpus) / "inference_v0.7"
    absent = tree / "ABSENT.txt"
    if not tree.is_dir():
        raise SystemExit(f"{tree} is not a folder: unpack the corpus first")
    mlcheck = mlcheck_command()
    validate = ["validate", str(tree), "--known-absent", str(absent), "-f", "json", "-o", os.devnull]
    baseline = [str(tree), "--known-absent", str(absent), "--out", os.devnull]
    cmds = {
        "mlcheck validate": [*mlcheck, *validate],
        "official v0.7 approach": [sys.executable, str(BASELINE), *baseline],
        "mlcheck --version": [*mlcheck, "--version"],
    }
    print(f"tree: {tree.name}, {os.cpu_count()} CPUs, load average before: {_load()}")
    timing = time_interleaved(cmds, args.repeat)
    print(f"load average after timing: {_load()}")
    print(f"{args.repeat} interleaved runs each after one warm-up, median (min-max)")
    print(f"{'command':24} {'wall s':>18} {'CPU s':>18} exit")
    for name, t in timing.items():
        print(f"{name:24} {statistics.median(t.wall):7.3f} ({min(t.wall):.2f}-{max(t.wall):.2f}) "
              f"{statistics.median(t.cpu):7.3f} ({min(t.cpu):.2f}-{max(t.cpu):.2f}) "
              f"{','.join(map(str, sorted(t.codes)))}")
    ml, off = timing["mlcheck validate"], timing["official v0.7 approach"]
    wall_ratio = statistics.median(ml.wall) / statistics.median(off.wall)
    cpu_ratio = statistics.median(ml.cpu) / statistics.median(off.cpu)
    print(f"ratio mlcheck / official approach: wall {wall_ratio:.2f}x, CPU {cpu_ratio:.2f}x")

    official_reads = audited(tree, "script", str(BASELINE), baseline)
    mlcheck_reads = audited(tree, "entry", "mlcheck", validate)
    print_reads(tree, official_reads, mlcheck_reads)

    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        subprocess.run([*mlcheck, "validate", str(tree), "--known-absent", str(absent), "-f", "json",
                        "-o", str(report)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        summary = json.loads(report.read_text(encoding="utf-8")).get("summary", {}) if report.exists() else {}
    if summary:
        print(f"\nmlcheck on the same tree: {summary.get('results')} results, {summary.get('valid')} valid, "
              f"{summary.get('invalid')} invalid ({summary.get('errors')} errors, {summary.get('warnings')} "
              f"warnings, {summary.get('infos')} infos)")
    if args.expected.is_file():
        check_faithful(tree, absent, args.expected)
    else:
        print(f"\n{args.expected} not found: the baseline's faithfulness is not checked")
    print(f"load average at the end: {_load()}")


if __name__ == "__main__":
    main()
