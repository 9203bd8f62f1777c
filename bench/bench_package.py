"""Time `mlcheck package` on a generated ~1 GB submission against `tar czf` + `sha256sum` of the same tree.

Run: python bench/bench_package.py [--size-mb 1024] [--keep]
Prints both wall times and the ratio (target: package <= 1.3 x baseline), measured in this one run.
The tree is generated in a temporary folder: hex-encoded random accuracy logs (compressible only
to about 57 %, like real ones) plus small text logs, in the inference v0.5 layout.
"""

from __future__ import annotations

import argparse
import binascii
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYSTEM = {
    "submitter": "Bench", "division": "closed", "status": "available", "system_name": "sys1",
    "number_of_nodes": "1", "host_processor_model_name": "CPU", "host_processors_per_node": "1",
    "host_processor_core_count": "4", "host_memory_capacity": "16 GB", "host_storage_capacity": "1 TB",
    "host_storage_type": "SSD", "accelerators_per_node": "0", "accelerator_model_name": "N/A",
    "accelerator_memory_capacity": "N/A", "framework": "TensorFlow", "operating_system": "Linux",
    "other_software_stack": "none",
}
BENCHMARKS = ("resnet", "mobilenet", "ssd-small", "ssd-large", "gnmt")
SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


def accuracy_log(size: int) -> bytes:
    """A LoadGen-shaped accuracy log of about `size` bytes with random hex payloads."""
    payload = binascii.hexlify(os.urandom(size // 2 + 64)).decode().upper()
    recs, pos, i = [], 0, 0
    while pos < len(payload) - 4096:
        n = 2048
        recs.append(f'{{ "seq_id" : {i}, "qsl_idx" : {i}, "data" : "{payload[pos:pos + n]}" }}')
        pos += n
        i += 1
    return ("[\n" + ",\n".join(recs) + "\n]\n").encode()


def generate(root: Path, total_mb: int) -> int:
    """Write the tree; return its size in bytes."""
    sub = root / "closed" / "Bench"
    (sub / "systems").mkdir(parents=True)
    (sub / "systems" / "sys1.json").write_text(json.dumps(SYSTEM, indent=2))
    (sub / "audit").mkdir()
    (sub / "audit" / "README.md").write_text("audit\n")
    results = [(b, s) for b in BENCHMARKS for s in SCENARIOS]
    per_result = total_mb * 1024 * 1024 // len(results)
    total = 0
    for b, s in results:
        (sub / "code" / b).mkdir(parents=True, exist_ok=True)
        (sub / "code" / b / "README.md").write_text(f"# {b}\n")
        meas = sub / "measurements" / "sys1" / b / s
        meas.mkdir(parents=True)
        for name in ("mlperf.conf", "user.conf", "README.md"):
            (meas / name).write_text(f"# {name}\n" * 20)
        res = sub / "results" / "sys1" / b / s
        acc = res / "accuracy"
        acc.mkdir(parents=True)
        log = accuracy_log(per_result - 200_000)
        (acc / "mlperf_log_accuracy.json").write_bytes(log)
        (acc / "accuracy.txt").write_text("accuracy=76.000%, good=38000, total=50000\n")
        detail = "".join(f':::MLLOG {{"key": "k{i}", "value": {i}, "time_ms": {i * 1.5}}}\n' for i in range(1500))
        (acc / "mlperf_log_summary.txt").write_text(f"Scenario : {s}\nMode     : AccuracyOnly\n")
        (acc / "mlperf_log_detail.txt").write_text(detail)
        for run in range(1, (5 if s == "Server" else 1) + 1):
            rd = res / "performance" / f"run_{run}"
            rd.mkdir(parents=True)
            (rd / "mlperf_log_summary.txt").write_text(f"Scenario : {s}\nMode     : PerformanceOnly\n" * 30)
            (rd / "mlperf_log_detail.txt").write_text(detail)
        total += len(log)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def timed(cmd: list[str], cwd: Path, shell: bool = False) -> float:
    start = time.perf_counter()
    subprocess.run(" ".join(cmd) if shell else cmd, cwd=cwd, check=True, shell=shell,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=1, help="measure each side this many times, keep the best")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlcheck-bench-package-"))
    try:
        tree = work / "tree"
        t0 = time.perf_counter()
        size = generate(tree, args.size_mb)
        print(f"generated {size / 1e6:.0f} MB tree in {time.perf_counter() - t0:.1f} s")
        py = sys.executable
        subprocess.run([py, "-m", "checker.cli", "keygen", "--out", str(work / "key"), "--principal", "bench"],
                       check=True, stdout=subprocess.DEVNULL)
        (work / "out").mkdir()
        # Layout rules only: the generated logs are not real LoadGen output; this times packaging, not parsing.
        ours_cmd = [py, "-m", "checker.cli", "package", str(tree), "--key", str(work / "key"), "--out",
                    str(work / "out"), "--select", "inf.layout", "--name", "bench"]
        base_cmd = [(f"tar czf {work / 'base.tar.gz'} -C {tree} closed && cd {tree} && "
                     "find . -type f -print0 | sort -z | xargs -0 sha256sum > /dev/null")]
        # warm the page cache once so neither side pays for the first read
        subprocess.run(f"cat $(find {tree} -type f) > /dev/null", shell=True, check=True)
        base, ours = float("inf"), float("inf")
        for _ in range(args.rounds):
            base = min(base, timed(base_cmd, work, shell=True))
            ours = min(ours, timed(ours_cmd, work))
        gz = (work / "out" / "bench.tar.gz").stat().st_size
        bgz = (work / "base.tar.gz").stat().st_size
        print(f"baseline tar czf + sha256sum: {base:7.2f} s  ({bgz / 1e6:.0f} MB)")
        print(f"mlcheck package:              {ours:7.2f} s  ({gz / 1e6:.0f} MB, {os.cpu_count()} cores)")
        print(f"ratio package / baseline:     {ours / base:7.2f}  (target <= 1.30)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
