"""Speed against the official training checker, on the same logs, in one run.

The official checker (PyPI mlperf-logging: `python -m mlperf_logging.compliance_checker
--usage training --ruleset 0.7.0 FILE`) is run once per result log (every result_*.txt)
of the corpus's training_v0.7 tree, as a submitter or the review committee runs it; mlcheck
then validates and scores the whole tree (every log, system description and score). Prints
wall times, peak memory, the ratio (target: mlcheck at least 20x faster on v0.7, 10x on
v0.6) and where the verdicts differ.

Usage: python bench/bench_training.py [CORPUS_ROOT] [--round v0.7|v0.6]   (skips when the corpus is absent)
BENCH_REPEAT=N sets the interleaved rounds of each (default 3); medians are reported.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from corpus_path import corpus_dir

REPO = Path(__file__).resolve().parents[1]
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))  # interleaved rounds of each
sys.path.insert(0, str(REPO))


ROUNDS = {"v0.7": ("training_v0.7", "0.7.0", 20.0), "v0.6": ("training_v0.6", "0.6.0", 10.0)}


def _args() -> tuple[str | None, str]:
    args = sys.argv[1:]
    rnd = "v0.7"
    if "--round" in args:
        i = args.index("--round")
        rnd = args[i + 1] if i + 1 < len(args) else rnd
        del args[i:i + 2]
    if rnd not in ROUNDS:
        raise SystemExit(f"--round must be one of {', '.join(ROUNDS)}")
    return (args[0] if args else None), rnd


def _children_cpu() -> float:
    """User + system CPU seconds of all waited-for child processes so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_official(root: Path, logs: list[Path], ruleset: str) -> tuple[float, dict[str, tuple[bool, str]]]:
    """Run the official checker per file, from a scratch folder (it writes compliance_checker.log to cwd)."""
    verdicts: dict[str, tuple[bool, str]] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        for p in logs:
            r = subprocess.run([sys.executable, "-m", "mlperf_logging.compliance_checker", "--usage", "training",
                                "--ruleset", ruleset, str(p)], cwd=scratch, capture_output=True, text=True,
                               check=False)
            text = r.stdout + r.stderr
            ok = r.returncode == 0 and "SUCCESS" in text
            # its reasons are the lines between the '-----' separators ("Required ... but found 0",
            # "CHECK for ... failed"); 'ERROR - FAILED' alone says nothing
            reasons = [ln.strip() for ln in text.splitlines()
                       if ln.startswith(("Required", "CHECK", "Traceback", "Failed", "KeyError", "TypeError"))
                       or " failed" in ln.lower() and not ln.startswith("ERROR - FAILED")]
            why = "; ".join(dict.fromkeys(r[:90] for r in reasons)) or ("ERROR - FAILED" if not ok else "")
            verdicts[p.relative_to(root).as_posix()] = (ok, why[:240])
    return time.perf_counter() - t0, verdicts


def run_cli_compiled(root: Path) -> float | None:
    """Wall seconds of the same `mlcheck validate` with compiled bytecode, or None when it is already so.

    With PYTHONDONTWRITEBYTECODE set (as in some CI shells) an editable checkout compiles every
    mlcheck module from source on every run, which an installed tool, like the official checker
    from its site-packages, does not. One untimed run fills a scratch bytecode cache, then one is timed.
    """
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return None
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = os.path.join(scratch, "pyc")
        cmd = [sys.executable, "-m", "checker.cli", "validate", str(root), "-f", "json",
               "--known-absent", str(root / "ABSENT.txt")]
        subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, check=False)
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, check=False)
        return time.perf_counter() - t0


def main() -> int:
    base = corpus_dir(_args()[0])
    _, rnd = _args()
    folder, ruleset, target = ROUNDS[rnd]
    if base is None or not (base / folder).is_dir():
        print("corpus not available; nothing to measure")
        return 0
    root = base / folder
    # every result log mlcheck reads: result_*.txt in results/<system>/<benchmark>/ or results/<system>/
    logs = sorted(set(root.glob("*/results/*/*/result_*.txt")) | set(root.glob("*/results/*/result_*.txt")))
    try:
        import mlperf_logging  # noqa: F401
    except ImportError:
        print("mlperf-logging is not installed (pip install -e '.[bench]')")
        return 0
    from checker.api import ValidateOptions, read_known_absent, validate
    from checker.findings import Severity

    def run_mlcheck() -> subprocess.CompletedProcess[str]:
        # end to end, as a user runs it: one `mlcheck validate` process over the whole tree
        with tempfile.TemporaryDirectory() as scratch:
            return subprocess.run([sys.executable, "-m", "checker.cli", "validate", str(root), "-f", "json",
                                   "--known-absent", str(root / "ABSENT.txt")], cwd=scratch, capture_output=True,
                                  text=True, check=False)

    # interleaved rounds (the order alternates), medians: the shared cores' load moves both alike
    walls: dict[str, list[float]] = {"official": [], "mlcheck": []}
    cpus: dict[str, list[float]] = {"official": [], "mlcheck": []}
    official: dict[str, tuple[bool, str]] = {}
    cli: subprocess.CompletedProcess[str] | None = None
    run_mlcheck()  # untimed: bytecode and file caches warm for both, as the official checker's are
    for r in range(REPEAT):
        for who in (("official", "mlcheck") if r % 2 == 0 else ("mlcheck", "official")):
            t0, cpu0 = time.perf_counter(), _children_cpu()
            if who == "official":
                _, official = run_official(root, logs, ruleset)
            else:
                cli = run_mlcheck()
            walls[who].append(time.perf_counter() - t0)
            cpus[who].append(_children_cpu() - cpu0)
    official_s, ours_s = statistics.median(walls["official"]), statistics.median(walls["mlcheck"])
    official_cpu, ours_cpu = statistics.median(cpus["official"]), statistics.median(cpus["mlcheck"])
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"load average at the end of the rounds: {os.getloadavg()[0]:.1f} (2 shared cores)")
    print(f"{REPEAT} interleaved rounds, median (min-max): official "
          f"{official_s:.2f} ({min(walls['official']):.2f}-{max(walls['official']):.2f}) s, mlcheck "
          f"{ours_s:.2f} ({min(walls['mlcheck']):.2f}-{max(walls['mlcheck']):.2f}) s")
    assert cli is not None
    if cli.returncode not in (0, 1):
        print(f"mlcheck failed (exit {cli.returncode}): {cli.stderr[-400:]}")
        return 1
    pyc_s = run_cli_compiled(root)
    # the fixed cost of starting the CLI (interpreter, Typer, every command module's imports)
    t0, cpu0 = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "checker.cli", "version"], capture_output=True, check=False)
    start_s, start_cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    # in-process, warm: the library call alone; memory traced in a separate pass (tracing slows it)
    opts = ValidateOptions(known_absent=read_known_absent(root / "ABSENT.txt"))
    t0 = time.perf_counter()
    report = validate(root, opts)
    lib_s = time.perf_counter() - t0
    tracemalloc.start()
    validate(root, opts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"logs: {len(logs)}")
    print(f"official compliance checker, per file: {official_s:8.2f} s wall")
    print(f"mlcheck validate CLI (whole tree):     {ours_s:8.2f} s wall; peak RSS of any child {rss_mb:.0f} MB")
    print(f"mlcheck library call (warm):           {lib_s:8.2f} s wall, peak traced memory {peak / 2**20:.0f} MB")
    ratio = official_s / ours_s if ours_s else float("inf")
    print(f"ratio (CLI end to end, {rnd}): mlcheck is {ratio:.1f}x faster (target >= {target:g}x): "
          f"{'MET' if ratio >= target else 'NOT MET'}")
    print(f"ratio (library call):   mlcheck is {official_s / lib_s:.1f}x faster")
    if pyc_s is not None:
        print(f"CLI with its bytecode compiled (as pip installs it; the official checker's .pyc are): {pyc_s:.2f} s wall, "
              f"{official_s / pyc_s:.1f}x faster")
    # CPU seconds (user + sys of the child processes) barely depend on what else runs on the shared cores
    print(f"CPU time: official {official_cpu:.2f} s, mlcheck CLI {ours_cpu:.2f} s; "
          f"ratio {official_cpu / ours_cpu if ours_cpu else float('inf'):.1f}x")

    print(f"CLI start-up alone (`mlcheck version`): {start_s:.2f} s wall, {start_cpu:.2f} s CPU; "
          f"net of it, mlcheck is {official_cpu / max(ours_cpu - start_cpu, 1e-9):.1f}x faster in CPU time")

    errors_by_file: dict[str, list[str]] = {}
    for f in report.findings:
        if f.severity is Severity.ERROR:
            errors_by_file.setdefault(f.path, []).append(f.rule)
    print("\nverdicts that differ (official PASS/FAIL vs mlcheck errors on that file):")
    differ = 0
    for rel, (ok, why) in sorted(official.items()):
        ours_ok = rel not in errors_by_file
        if ok != ours_ok:
            differ += 1
            print(f"  {rel}: official {'PASS' if ok else 'FAIL'} ({why or '-'}); "
                  f"mlcheck {'PASS' if ours_ok else 'FAIL ' + ','.join(sorted(set(errors_by_file[rel])))}")
    same = len(official) - differ
    print(f"{same} of {len(official)} logs get the same verdict; {differ} differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
