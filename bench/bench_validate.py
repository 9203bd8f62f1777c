"""Benchmark: `mlcheck validate` over the unpacked v0.5 inference corpus (no re-scoring).

Baselines, measured in the same run, interleaved: a plain Python pass that reads every file of the
tree once (the I/O floor any checker pays), a bare interpreter start and, with
--baseline-pythonpath DIR, `mlcheck validate` of another checkout of the project (e.g. the tree
before a change) on the same corpus. Reports the median wall time, the median CPU time (user + sys
of the command and its worker processes) and the peak memory (max RSS of the child process) of
each, the ratios, and this tree's time against the other's (the target: at most 60 %).

Every command runs from a temporary directory with PYTHONPATH naming its checkout, its bytecode
cached under a temporary PYTHONPYCACHEPREFIX (as an installed tool runs from compiled modules;
PYTHONDONTWRITEBYTECODE is dropped for the children), after one untimed warm-up run each.

    python bench/bench_validate.py [CORPUS_DIR] [--repeat N] [--baseline-pythonpath DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from corpus_path import require_corpus

REPO = Path(__file__).resolve().parents[1]


READ_ALL = """
import os, sys
n = 0
for dp, dn, fn in os.walk(sys.argv[1]):
    for f in fn:
        with open(os.path.join(dp, f), 'rb') as fh:
            n += len(fh.read())
print(n)
"""


# A fresh wrapper per measurement, so the peak RSS is that command's alone.
WRAP = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, ru.ru_maxrss, rc, ru.ru_utime + ru.ru_stime)
"""


def timed(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS MiB of the command, exit code, CPU seconds of it and its workers)."""
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True, check=True, env=env,
                         cwd=cwd)
    wall, rss, rc, cpu = out.stdout.split()
    return float(wall), int(rss) / 1024, int(rc), float(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline-pythonpath", type=Path, default=None,
                    help="another checkout of the project, run interleaved with this one")
    args = ap.parse_args()
    root = require_corpus(args.corpus) / "inference_v0.5"
    absent = root / "ABSENT.txt"
    validate = ["-m", "checker.cli", "validate", str(root), "--known-absent", str(absent), "--format", "json",
                "--output", os.devnull]
    trees = {"mlcheck validate": REPO}
    if args.baseline_pythonpath is not None:
        trees["baseline validate"] = args.baseline_pythonpath.resolve()
    with tempfile.TemporaryDirectory(prefix="bench_validate_") as tmp:
        base_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
        base_env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        cmds: dict[str, tuple[list[str], dict[str, str]]] = {
            name: ([sys.executable, *validate], {**base_env, "PYTHONPATH": str(tree)}) for name, tree in trees.items()}
        cmds["read every file"] = ([sys.executable, "-c", READ_ALL, str(root)], base_env)
        cmds["python startup"] = ([sys.executable, "-c", "pass"], base_env)
        runs: dict[str, list[tuple[float, float, int, float]]] = {name: [] for name in cmds}
        for cmd, env in cmds.values():  # warm-up: bytecode compiled, files in the page cache
            timed(cmd, env, tmp)
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            for name, (cmd, env) in cmds.items():
                runs[name].append(timed(cmd, env, tmp))
        load_after = os.getloadavg()[0]
    base = statistics.median(r[0] for r in runs["read every file"])
    print(f"corpus: {root.name}, {args.repeat} runs each, interleaved, median wall time, peak RSS; "
          f"load average {load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} cores")
    print(f"{'what':20} {'wall s':>8} {'cpu s':>7} {'peak MiB':>9} {'vs read-all':>12} exit")
    for name, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[3] for r in rs)
        peak = max(r[1] for r in rs)
        print(f"{name:20} {wall:8.3f} {cpu:7.3f} {peak:9.1f} {wall / base:11.2f}x {rs[-1][2]}")
    ml = statistics.median(r[0] for r in runs["mlcheck validate"])
    if "baseline validate" in runs:
        old = statistics.median(r[0] for r in runs["baseline validate"])
        pairs = sorted(a[0] / b[0] for a, b in zip(runs["mlcheck validate"], runs["baseline validate"]))
        print(f"this tree vs {args.baseline_pythonpath}: {100 * ml / old:.0f} % of its time (pairs {pairs[0]:.2f}"
              f"-{pairs[-1]:.2f}); target at most 60 % -> {'met' if ml <= 0.6 * old else 'NOT met'}")
    print(f"target: 61 results in under 2 s on 2 cores -> {'met' if ml < 2 else 'NOT met'} ({ml:.3f} s)")


if __name__ == "__main__":
    main()
