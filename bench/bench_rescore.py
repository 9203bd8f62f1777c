"""Re-scoring speed and memory: the streaming reader vs the straightforward approach, same logs, one run.

    python bench/bench_rescore.py [--big-mb 2048] [--cmp-mb 128] [--coco-mb 64] [--repeat 3] [--dir DIR]

Generates accuracy logs in LoadGen's exact layout. Each ratio is the median of interleaved pairs
(straightforward, then streaming, on the same warm file), printed separately:
- ImageNet (--cmp-mb): 4-byte int32 payloads, samples repeated as in a long accuracy run: the worst
  case for the reader, since entries are smallest. `json.load` + a per-entry
  `np.frombuffer(bytes.fromhex(...))` loop with first-occurrence de-duplication and top-1, line for
  line as accuracy-imagenet.py does it, vs scan_log + score_top1.
- COCO-like (--coco-mb, 0 to skip): 5000 samples, each logged once, payloads of 1-200 float32
  7-tuples (ragged). Reader only on both sides, no scoring: `json.load` + per-entry de-duplication and
  `np.frombuffer(bytes.fromhex(...), np.float32).reshape(-1, 7)` (accuracy-coco.py's decode, before
  its per-box Python loop) vs scan_log + the same reshape per sample.
The streaming reader parses blocks on two threads for logs over 32 MiB, so its ratio depends on
the second core being idle.
- memory: the --big-mb log (2 GB by default) scanned and scored in a child process; its peak RSS printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = 50000


def generate(path: Path, megabytes: int, seed: int = 0) -> int:
    """Write a log of about `megabytes` MB; returns the entry count."""
    rng = np.random.default_rng(seed)
    target = megabytes * 1024 * 1024
    written = 0
    seq = 0
    with path.open("w", encoding="ascii") as f:
        f.write("[\n")
        first = True
        while written < target:
            n = 200_000
            q = rng.integers(0, SAMPLES, n)
            q[: min(n, SAMPLES)] = np.arange(min(n, SAMPLES)) if seq == 0 else q[: min(n, SAMPLES)]
            lab = rng.integers(0, 1000, n).astype("<i4")
            hexes = lab.view(np.uint8).reshape(n, 4)
            hx = [bytes(r).hex().upper() for r in hexes]
            body = ",\n".join(f'{{ "seq_id" : {seq + i}, "qsl_idx" : {q[i]}, "data" : "{hx[i]}" }}'
                              for i in range(n))
            if not first:
                f.write(",\n")
            f.write(body)
            first = False
            written += len(body) + 2
            seq += n
        f.write("\n]\n")
    return seq


def labels_file(path: Path) -> Path:
    rng = np.random.default_rng(1)
    path.write_text("".join(f"ILSVRC2012_val_{i + 1:08d}.JPEG {v}\n" for i, v in enumerate(rng.integers(0, 1000, SAMPLES))))
    return path


def straightforward(log: Path, val_map: Path) -> float:
    """accuracy-imagenet.py's way (with --dtype int32): json.load the whole file, decode entry by entry."""
    with log.open() as f:
        results = json.load(f)
    imagenet = []
    with val_map.open() as f:
        for line in f:
            cols = line.strip().split()
            imagenet.append((cols[0], int(cols[1])))
    seen: set[int] = set()
    good = 0
    for j in results:
        idx = j["qsl_idx"]
        if idx in seen:  # de-dupe in case loadgen sends the same image multiple times
            continue
        seen.add(idx)
        _img, label = imagenet[idx]
        data = np.frombuffer(bytes.fromhex(j["data"]), np.int32)
        found = data[0]
        if label == found:
            good += 1
    return 100.0 * good / len(seen)


COCO_SAMPLES = 5000


def generate_coco(path: Path, megabytes: int, seed: int = 3) -> int:
    """A COCO-like log of about `megabytes` MB: every sample once (repeated rounds if more is asked)."""
    rng = np.random.default_rng(seed)
    target = megabytes * 1024 * 1024
    written, seq = 0, 0
    with path.open("w", encoding="ascii") as f:
        f.write("[\n")
        while written < target:
            parts = []
            for i in rng.permutation(COCO_SAMPLES)[:1000]:
                boxes = rng.random((int(rng.integers(1, 201)), 7), dtype=np.float32)
                parts.append(f'{{ "seq_id" : {seq}, "qsl_idx" : {i}, "data" : "{boxes.tobytes().hex().upper()}" }}')
                seq += 1
            body = ",\n".join(parts)
            f.write((",\n" if written else "") + body)
            written += len(body) + 2
        f.write("\n]\n")
    return seq


def straightforward_coco(log: Path) -> int:
    with log.open() as f:
        results = json.load(f)
    seen: set[int] = set()
    boxes = 0
    for j in results:
        idx = j["qsl_idx"]
        if idx in seen:
            continue
        seen.add(idx)
        data = np.frombuffer(bytes.fromhex(j["data"]), np.float32).reshape(-1, 7)
        boxes += len(data)
    return boxes


def streaming_coco(log: Path) -> int:
    from checker.rescore.logscan import scan_log

    _, first = scan_log(log, COCO_SAMPLES)
    assert first is not None
    f32 = first.payload.view(np.float32)
    return sum(len(f32[a // 4:b // 4].reshape(-1, 7)) for a, b in zip(first.offsets[:-1].tolist(), first.offsets[1:].tolist()))


def pairs(base: Any, fast: Any, repeat: int) -> tuple[list[float], list[float], list[float], Any]:
    """Interleaved (straightforward, streaming) timings; both must return the same value."""
    base_t, fast_t, ratios = [], [], []
    v_fast = None
    for _ in range(repeat):
        t = time.perf_counter()
        v_base = base()
        base_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        v_fast = fast()
        fast_t.append(time.perf_counter() - t)
        assert abs(v_base - v_fast) < 1e-9, (v_base, v_fast)
        ratios.append(base_t[-1] / fast_t[-1])
    return base_t, fast_t, ratios, v_fast


def report(size: float, base_t: list[float], fast_t: list[float], ratios: list[float], what: str) -> None:
    t_base, t_fast = statistics.median(base_t), statistics.median(fast_t)
    print(f"  straightforward ({what}): {t_base:.2f} s  ({size / t_base:.0f} MB/s)")
    print(f"  streaming (mlcheck scan_log{' + score_top1' if 'top-1' in what else ''}): "
          f"{t_fast:.2f} s  ({size / t_fast:.0f} MB/s)")
    print(f"  ratio: {statistics.median(ratios):.1f}x median (pairs: {', '.join(f'{r:.1f}' for r in ratios)})")


def streaming(log: Path, val_map: Path) -> float:
    from checker.rescore.imagenet import load_val_map, score_top1
    from checker.rescore.logscan import scan_log

    _, first = scan_log(log, SAMPLES)
    assert first is not None
    return score_top1(first, load_val_map(val_map)).value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-mb", type=int, default=2048)
    ap.add_argument("--cmp-mb", type=int, default=128)
    ap.add_argument("--coco-mb", type=int, default=64, help="COCO-like log size; 0 skips it")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved timing pairs on the throughput log")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        t = time.perf_counter()
        v = streaming(Path(a.child[0]), Path(a.child[1]))
        # VmHWM is per address space, so it starts afresh at exec (ru_maxrss would include the
        # parent's pages inherited through fork, before exec)
        hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM")]
        peak_mb = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": peak_mb, "value": v}))
        return
    tmp = Path(a.dir or tempfile.mkdtemp(prefix="bench_rescore_"))
    tmp.mkdir(parents=True, exist_ok=True)
    val_map = labels_file(tmp / "val_map.txt")
    cmp_log = tmp / "cmp.json"
    n = generate(cmp_log, a.cmp_mb)
    size = cmp_log.stat().st_size / 1e6
    import checker.rescore.imagenet  # noqa: F401  (imports are not the reader's cost)
    import checker.rescore.logscan  # noqa: F401

    # interleaved pairs on the same log; the shared cores' load moves both sides of a pair alike
    base_t, fast_t, ratios, v_fast = pairs(lambda: straightforward(cmp_log, val_map),
                                           lambda: streaming(cmp_log, val_map), a.repeat)
    print(f"ImageNet log: {size:.0f} MB, {n} entries, top-1 {v_fast:.3f}% (both agree); medians of {a.repeat}")
    report(size, base_t, fast_t, ratios, "json.load + per-entry decode + top-1")
    cmp_log.unlink()
    if a.coco_mb > 0:
        coco = tmp / "coco.json"
        n = generate_coco(coco, a.coco_mb)
        size = coco.stat().st_size / 1e6
        base_t, fast_t, ratios, boxes = pairs(lambda: straightforward_coco(coco), lambda: streaming_coco(coco),
                                              a.repeat)
        print(f"COCO-like log: {size:.0f} MB, {n} entries, {boxes} boxes of the first entries (both agree); "
              f"medians of {a.repeat}")
        report(size, base_t, fast_t, ratios, "json.load + per-entry decode, no scoring")
        coco.unlink()
    big = tmp / "big.json"
    n = generate(big, a.big_mb, seed=2)
    size = big.stat().st_size / 1e6
    out = subprocess.run([sys.executable, __file__, "--child", str(big), str(val_map)], check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    child = json.loads(out.stdout)
    print(f"memory log: {size:.0f} MB, {n} entries")
    print(f"  streaming: {child['seconds']:.1f} s ({size / child['seconds']:.0f} MB/s), "
          f"peak RSS {child['peak_mb']:.0f} MB (whole process, numpy included)")
    big.unlink()


if __name__ == "__main__":
    main()
