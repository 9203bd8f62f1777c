"""The accuracy-log reader on the real corpus logs, by layout, and `mlcheck rescore` end to end.

    python bench/bench_reader.py [--corpus DIR] [--repeat 3] [--generated-mb 32] [--no-rescore] [--layout TEXT]

Throughput: every mlperf_log_accuracy.json of the inference_v0.5 and inference_v0.7 corpora, grouped
by layout (LoadGen's one entry a line by payload width, pretty-printed one field a line, truncated,
empty), plus generated logs for layouts the corpus lacks (CRLF, sorted keys, lower-case hex, long
ragged payloads). Per group, on the same warm files, interleaved, the reference approach (json.load
and a per-entry bytes.fromhex loop keeping each sample's first payload, as the MLPerf reference
accuracy scripts read a log) and scan_log on one worker; medians of --repeat rounds. MB/s per core is
the group's bytes over the CPU time this process spent (everything runs in it), wall MB/s beside it.

End to end: `mlcheck rescore` over the v0.5 corpus with the ImageNet label map (-j 1 and the default,
one job per core) against accuracy-imagenet.py's approach over the same logs (a fresh process each,
one pass over every ImageNet log it scores), and the reader's share alone (scan_log + score_top1 over
the same logs in a fresh process); interleaved, wall and CPU (user + sys) medians.

The corpus is --corpus, else $MLCHECK_CORPUS, else ../shared/corpus/unpack beside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from corpus_path import require_corpus

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {"resnet": 50000, "mobilenet": 50000, "ssd-small": 5000, "ssd-mobilenet": 5000, "ssd-large": 5000,
           "ssd-resnet34": 5000, "gnmt": 3003}
LOADGEN = re.compile(rb'\[\r?\n\{ "seq_id" : \d+, "qsl_idx" : \d+, "data" : "([0-9A-Fa-f]*)" \}')


def samples_for(path: Path) -> int:
    return next((SAMPLES[p] for p in path.parts if p in SAMPLES), 50000)


def layout_of(raw: bytes) -> str:
    """The layout group of one real log."""
    if b"\n\n...\n\n" in raw:
        return "truncated (4 KiB ... 4 KiB)"
    if not raw.strip(b" \t\r\n[]"):
        return "empty (no entries)"
    m = LOADGEN.match(raw)
    if m is None:
        return "pretty-printed, one field a line"
    widths = {len(d) // 2 for d in re.findall(rb'"data" : "([0-9A-Fa-f]*)"', raw[:200_000])}
    if len(widths) > 1:
        return "LoadGen lines, ragged payloads"
    w = widths.pop()
    return f"LoadGen lines, {w}-byte payloads" if w in (4, 8, 16) else "LoadGen lines, wide fixed payloads"


def reference_read(path: Path) -> int:
    """json.load and a per-entry decode keeping each sample's first payload (accuracy-imagenet.py,
    accuracy-coco.py); a truncated log fails in json.load, as there."""
    try:
        with path.open() as f:
            results = json.load(f)
    except ValueError:
        return -1
    seen: set[int] = set()
    first = {}
    for j in results:
        idx = j["qsl_idx"]
        if idx in seen:
            continue
        seen.add(idx)
        first[idx] = bytes.fromhex(j["data"])
    samples = samples_for(path)  # untimed bookkeeping aside, the count both sides report
    return sum(1 for i in first if 0 <= i < samples)


def reader_read(path: Path) -> int:
    from checker.rescore.reader import scan_log

    scan, first = scan_log(path, samples_for(path), workers=1)
    return -1 if not scan.well_formed else len(first.qsl) if first is not None else 0


def generated(tmp: Path, megabytes: int) -> dict[str, list[Path]]:
    """Logs in layouts the corpus lacks, about `megabytes` MB each."""
    rng = np.random.default_rng(7)
    out: dict[str, list[Path]] = {}

    def entries(width: int | None) -> list[tuple[int, int, bytes]]:
        rows: list[tuple[int, int, bytes]] = []
        size = 0
        while size < megabytes * 1_000_000:
            q = int(rng.integers(0, 50000))
            p = rng.bytes(28 * int(rng.integers(1, 100)) if width is None else width)
            rows.append((len(rows), q, p))
            size += 50 + 2 * len(p)
        return rows

    def write(name: str, text: str) -> None:
        p = tmp / f"{re.sub(r'[^a-z0-9]+', '-', name)}.json"
        p.write_text(text, encoding="ascii", newline="")
        out[f"generated: {name}"] = [p]

    four = entries(4)
    lines = [f'{{ "seq_id" : {s}, "qsl_idx" : {q}, "data" : "{p.hex().upper()}" }}' for s, q, p in four]
    write("LoadGen lines, 4-byte, CRLF", "[\r\n" + ",\r\n".join(lines) + "\r\n]\r\n")
    lower = [f'{{ "seq_id" : {s}, "qsl_idx" : {q}, "data" : "{p.hex()}" }}' for s, q, p in four]
    write("LoadGen lines, 4-byte, lower-case hex", "[\n" + ",\n".join(lower) + "\n]\n")
    objs = [{"seq_id": s, "qsl_idx": q, "data": p.hex().upper()} for s, q, p in four]
    write("pretty-printed, sorted keys, 4-byte", json.dumps(objs, indent=4, sort_keys=True) + "\n")
    boxes = [f'{{ "seq_id" : {s}, "qsl_idx" : {q % 5000}, "data" : "{p.hex().upper()}" }}' for s, q, p in entries(None)]
    write("LoadGen lines, ragged 28k-byte detections", "[\n" + ",\n".join(boxes) + "\n]\n")
    return out


def timed(fn: Callable[[Path], int], paths: list[Path]) -> tuple[float, float, list[int]]:
    """(CPU seconds of this process, wall seconds, results)."""
    c, w = time.process_time(), time.perf_counter()
    got = [fn(p) for p in paths]
    return time.process_time() - c, time.perf_counter() - w, got


def throughput(groups: dict[str, list[Path]], repeat: int) -> None:
    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _ in range(repeat):
        for name, paths in groups.items():
            cb, wb, base = timed(reference_read, paths)
            cr, wr, mine = timed(reader_read, paths)
            assert base == mine, (name, [p for p, a, b in zip(paths, base, mine) if a != b][:3])
            for k, v in (("ref_cpu", cb), ("ref_wall", wb), ("cpu", cr), ("wall", wr)):
                rows[name][k].append(v)
    print(f"{'layout':44} {'logs':>5} {'MB':>7}  {'reference MB/s/core':>19}  {'reader MB/s/core':>16}  "
          f"{'wall':>6}  {'ratio':>6}  {'ms/log':>7}")
    slow: list[str] = []
    for name, paths in groups.items():
        mb = sum(p.stat().st_size for p in paths) / 1e6
        r = {k: statistics.median(v) for k, v in rows[name].items()}
        print(f"{name:44} {len(paths):5d} {mb:7.1f}  {mb / r['ref_cpu']:19.0f}  {mb / r['cpu']:16.0f}  "
              f"{mb / r['wall']:6.0f}  {r['ref_cpu'] / r['cpu']:5.1f}x  {1e3 * r['cpu'] / len(paths):7.2f}")
        if mb >= 1 and mb / r["cpu"] < 250:
            slow.append(f"{name} ({mb / r['cpu']:.0f})")
    print(f"target: every layout at least 250 MB/s per core (layouts of under 1 MB left out) -> "
          f"{'met' if not slow else 'NOT met: ' + ', '.join(slow)}")


REFERENCE_IMAGENET = r"""
import json, sys, numpy as np
jobs = json.load(open(sys.argv[1]))
imagenet = []
with open(sys.argv[2]) as f:
    for line in f:
        cols = line.strip().split()
        imagenet.append((cols[0], int(cols[1])))
out = []
for log, dtype, offset in jobs:
    with open(log) as f:
        results = json.load(f)
    seen = set()
    good = 0
    for j in results:
        idx = j["qsl_idx"]
        if idx in seen:  # de-dupe in case loadgen sends the same image multiple times
            continue
        seen.add(idx)
        _img, label = imagenet[idx]
        data = np.frombuffer(bytes.fromhex(j["data"]), dtype)
        if label == int(data[0]) + offset:
            good += 1
    out.append(100.0 * good / len(seen))
print(json.dumps(out))
"""


LIBRARY_IMAGENET = r"""
import json, sys
from pathlib import Path
from checker.rescore.imagenet import load_val_map, score_top1
from checker.rescore.reader import scan_log
jobs = json.load(open(sys.argv[1]))
labels = load_val_map(Path(sys.argv[2]))
out = []
for log, dtype, offset in jobs:
    _, first = scan_log(Path(log), len(labels))
    out.append(score_top1(first, labels, offsets=(offset,)).value)
print(json.dumps(out))
"""


def child_env(tmp: Path) -> dict[str, str]:
    """The children's environment: this checkout first on the path, bytecode cached under `tmp` (as an
    installed tool runs from compiled modules; PYTHONDONTWRITEBYTECODE would recompile every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}


def child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall, user + sys CPU of the command and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if out.returncode not in (0, 1):  # 1: the corpus has findings of error severity
        raise RuntimeError(f"{cmd[:4]} exited {out.returncode}: {out.stderr[-500:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out.stdout


DTYPES = {"int32": "<i4", "float32": "<f4", "int64": "<i8", "int32 in the first 4 of 8 bytes": "<i4",
          "float32 in the first 4 of 8 bytes": "<f4"}


def rescore_end_to_end(corpus: Path, repeat: int, tmp: Path) -> None:
    v05 = corpus / "inference_v0.5"
    val_map = corpus / "datasets" / "imagenet" / "val_map.txt"
    mlcheck = [sys.executable, "-m", "checker.cli", "rescore", str(v05), "--dataset", f"imagenet={val_map}",
               "--known-absent", str(v05 / "ABSENT.txt"), "--format", "json"]
    env = child_env(tmp)
    _, _, text = child(mlcheck, env)  # also the warm-up: bytecode compiled, logs in the page cache
    jobs, values = [], []
    for r in json.loads(text)["results"]:
        if r["rescored"] is None:
            continue
        msg = next(f["message"] for f in r["findings"] if f["rule"] == "inf.rescore.method")
        dtype = DTYPES[re.search(r"payload (.+?)(?:, class offset|\))", msg).group(1)]  # type: ignore[union-attr]
        offset = int(re.search(r"class offset (-?\d+)", msg).group(1))  # type: ignore[union-attr]
        jobs.append((str(v05 / r["result"] / "accuracy" / "mlperf_log_accuracy.json"), dtype, offset))
        values.append(r["rescored"])
    spec = tmp / "jobs.json"
    spec.write_text(json.dumps(jobs))
    script = tmp / "reference_imagenet.py"
    script.write_text(REFERENCE_IMAGENET)
    reference = [sys.executable, str(script), str(spec), str(val_map)]
    library = tmp / "library_imagenet.py"
    library.write_text(LIBRARY_IMAGENET)
    runs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _ in range(repeat):
        wall, cpu, out = child(reference, env)
        assert np.allclose(json.loads(out), values, atol=1e-9), "the reference and mlcheck disagree"
        runs["reference"].append((wall, cpu))
        wall, cpu, out = child([sys.executable, str(library), str(spec), str(val_map)], env)
        assert np.allclose(json.loads(out), values, atol=1e-9), "scan_log + score_top1 and mlcheck disagree"
        runs["scan_log + score_top1"].append((wall, cpu))
        for name, cmd in (("mlcheck rescore -j 1", [*mlcheck, "--jobs", "1"]), ("mlcheck rescore", mlcheck)):
            wall, cpu, _ = child(cmd, env)
            runs[name].append((wall, cpu))
    mb = sum(Path(j[0]).stat().st_size for j in jobs) / 1e6
    print(f"\nmlcheck rescore, v0.5 corpus, ImageNet label map: {len(jobs)} logs re-scored ({mb:.0f} MB), "
          f"same top-1 on both sides; medians of {repeat}")
    base_wall = statistics.median(w for w, _ in runs["reference"])
    base_cpu = statistics.median(c for _, c in runs["reference"])
    for name, rs in runs.items():
        wall, cpu = statistics.median(w for w, _ in rs), statistics.median(c for _, c in rs)
        print(f"  {name:22} wall {wall:6.2f} s ({base_wall / wall:4.1f}x)   cpu {cpu:6.2f} s ({base_cpu / cpu:4.1f}x)")
    best = max(base_wall / statistics.median(w for w, _ in runs[n]) for n in ("mlcheck rescore -j 1", "mlcheck rescore"))
    print(f"target: mlcheck rescore at least 5x the reference end to end (aim 10x) -> "
          f"{'met' if best >= 5 else 'NOT met'} ({best:.1f}x wall, the better of -j 1 and the default)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generated-mb", type=int, default=32, help="size of each generated log; 0 skips them")
    ap.add_argument("--no-rescore", action="store_true", help="skip the end-to-end mlcheck rescore figures")
    ap.add_argument("--layout", default="", help="only the layouts whose name holds this text")
    a = ap.parse_args()
    corpus = require_corpus(a.corpus)
    groups: dict[str, list[Path]] = defaultdict(list)
    for v in ("inference_v0.5", "inference_v0.7"):
        for p in sorted((corpus / v).rglob("mlperf_log_accuracy.json")):
            groups[f"{v[-4:]} {layout_of(p.read_bytes())}"].append(p)
    groups = {k: v for k, v in sorted(groups.items()) if a.layout in k}
    with tempfile.TemporaryDirectory(prefix="bench_reader_") as d:
        tmp = Path(d)
        if a.generated_mb > 0:
            groups.update((k, v) for k, v in generated(tmp, a.generated_mb).items() if a.layout in k)
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; medians of {a.repeat}")
        throughput(groups, a.repeat)
        if not a.no_rescore:
            rescore_end_to_end(corpus, a.repeat, tmp)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
