"""Benchmark: `mlcheck validate` over the unpacked v0.5 inference corpus (no re-scoring).

Baseline, measured in the same run: a plain Python pass that reads every file of the tree
once (the I/O floor any checker pays) and a bare interpreter start. Reports wall time and
peak memory (max RSS of the child process) for each, and the ratios.

    python bench/bench_validate.py [CORPUS_DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpus_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    if os.environ.get("MLCHECK_CORPUS"):
        return Path(os.environ["MLCHECK_CORPUS"])
    out = subprocess.run(["bash", str(REPO.parent / "shared" / "corpus" / "unpack")], check=True,
                         capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


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
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)
"""


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB of the command, exit code)."""
    out = subprocess.run([sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True, check=True)
    wall, rss, rc = out.stdout.split()
    return float(wall), int(rss) / 1024, int(rc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    root = corpus_dir(args.corpus) / "inference_v0.5"
    absent = root / "ABSENT.txt"
    runs: dict[str, list[tuple[float, float, int]]] = {"mlcheck validate": [], "read every file": [],
                                                        "python startup": []}
    cmds = {
        "mlcheck validate": [sys.executable, "-m", "checker.cli", "validate", str(root), "--known-absent",
                             str(absent), "--format", "json", "--output", os.devnull],
        "read every file": [sys.executable, "-c", READ_ALL, str(root)],
        "python startup": [sys.executable, "-c", "pass"],
    }
    for _ in range(args.repeat):
        for name, cmd in cmds.items():
            runs[name].append(timed(cmd))
    base = statistics.median(w for w, _, _ in runs["read every file"])
    print(f"corpus: {root.name} (61 results), {args.repeat} runs each, median wall time, peak RSS")
    print(f"{'what':20} {'wall s':>8} {'peak MiB':>9} {'vs read-all':>12} exit")
    for name, rs in runs.items():
        wall = statistics.median(w for w, _, _ in rs)
        peak = max(p for _, p, _ in rs)
        print(f"{name:20} {wall:8.3f} {peak:9.1f} {wall / base:11.2f}x {rs[-1][2]}")
    ml = statistics.median(w for w, _, _ in runs["mlcheck validate"])
    print(f"target: 61 results in under 2 s on 2 cores -> {'met' if ml < 2 else 'NOT met'} ({ml:.3f} s)")


if __name__ == "__main__":
    main()
