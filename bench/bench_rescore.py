"""Re-scoring speed and memory: the streaming reader vs the straightforward approach, same logs, one run.

    python bench/bench_rescore.py [--big-mb 2048] [--cmp-mb 128] [--coco-mb 64] [--repeat 3] [--dir DIR]

Generates accuracy logs in LoadGen's exact layout. Each ratio is the median of interleaved pairs
(straightforward, then streaming, on the same warm file), printed separately:
- ImageNet (--cmp-mb): 4-byte int32 payloads, samples repeated as in a long accuracy run: the worst
  case for the reader, since entries are smallest. `json.load` + a per-entry
  `np.frombuffer(bytes.fromhex(...))` loop with first-occurrence de-duplication and top-1, line for
  line as accuracy-imagenet.py does it, vs scan_log + score_top1.
- COCO-like (--coco-mb, 0 to skip): 5000 samples in rounds of 1000, payloads of 1-200 float32
  7-tuples (ragged), image_idx = qsl_idx, classes 1..80. Up to the detections handed to COCO.loadRes
  (no COCOeval) on both sides: accuracy-coco.py with --use-inv-map line for line (`json.load`,
  first-occurrence de-duplication, `np.frombuffer(bytes.fromhex(...))`, then per box: scale by the
  image size, inverse class map, a detection dict appended), against a generated 5000-image size table,
  vs scan_log + coco.detections (what score_coco builds). The bench checks, untimed, that both give
  the same detections (count, image and category ids exactly, boxes and scores within float32).
The reader splits a log over 64 MiB into byte ranges read by one worker process per core, so its
ratio on those logs depends on the second core being idle.
- memory: the --big-mb log (2 GB by default) scanned and scored in a child process, on one worker and
  on the default workers; the peak RSS of that process and of its largest worker printed.
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
# COCO's 80 category ids (1..90 with gaps); payload classes are 1..80, mapped through the inverse map
COCO_CAT_IDS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]


def generate_coco(path: Path, megabytes: int, seed: int = 3) -> int:
    """A COCO-like log of about `megabytes` MB: rounds of 1000 random samples until the size is reached,
    payloads `[image_idx, ymin, xmin, ymax, xmax, score, class]` with image_idx = qsl_idx."""
    rng = np.random.default_rng(seed)
    target = megabytes * 1024 * 1024
    written, seq = 0, 0
    with path.open("w", encoding="ascii") as f:
        f.write("[\n")
        while written < target:
            parts = []
            for i in rng.permutation(COCO_SAMPLES)[:1000]:
                boxes = rng.random((int(rng.integers(1, 201)), 7), dtype=np.float32)
                boxes[:, 0] = i
                boxes[:, 6] = rng.integers(1, len(COCO_CAT_IDS) + 1, len(boxes))
                parts.append(f'{{ "seq_id" : {seq}, "qsl_idx" : {i}, "data" : "{boxes.tobytes().hex().upper()}" }}')
                seq += 1
            body = ",\n".join(parts)
            f.write((",\n" if written else "") + body)
            written += len(body) + 2
        f.write("\n]\n")
    return seq


def coco_images(seed: int = 4) -> list[dict[str, Any]]:
    """A small image table standing in for instances_val2017.json's images (ids increase with the index)."""
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(600_000, COCO_SAMPLES, replace=False)).tolist()
    hw = rng.integers(200, 641, (COCO_SAMPLES, 2)).tolist()
    return [{"id": i, "height": h, "width": w, "file_name": f"{i:012d}.jpg"} for i, (h, w) in zip(ids, hw)]


def straightforward_coco(log: Path, image_map: list[dict[str, Any]], coco_dir: str = "coco") -> list[dict[str, Any]]:
    """accuracy-coco.py (with --use-inv-map) line for line, up to the detections it hands to COCO.loadRes."""
    inv_map = [0] + COCO_CAT_IDS  # First label in inv_map is not used
    with open(log, "r") as f:
        results = json.load(f)
    detections = []
    image_ids = set()
    seen = set()
    no_results = 0
    for j in results:
        idx = j["qsl_idx"]
        # de-dupe in case loadgen sends the same image multiple times
        if idx in seen:
            continue
        seen.add(idx)
        data = np.frombuffer(bytes.fromhex(j["data"]), np.float32)
        if len(data) < 7:
            image = image_map[idx]
            image_ids.add(image["id"])
            no_results += 1
            continue
        for i in range(0, len(data), 7):
            image_idx, ymin, xmin, ymax, xmax, score, label = data[i:i + 7]
            image = image_map[idx]
            image_idx = int(image_idx)
            if image_idx != idx:
                print("ERROR: loadgen({}) and payload({}) disagree on image_idx".format(idx, image_idx))  # noqa: UP032
            image_id = image["id"]
            height, width = image["height"], image["width"]
            ymin *= height
            xmin *= width
            ymax *= height
            xmax *= width
            loc = os.path.join(coco_dir, "val2017", image["file_name"])
            label = int(label)
            label = inv_map[label]
            # pycoco wants {imageID,x1,y1,w,h,score,class}
            detections.append({
                "image_id": image_id,
                "image_loc": loc,
                "category_id": label,
                "bbox": [float(xmin), float(ymin), float(xmax - xmin), float(ymax - ymin)],
                "score": float(score),
            })
            image_ids.add(image_id)
    return detections


def streaming_coco(log: Path, heights: np.ndarray, widths: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """scan_log + coco.detections: the rows score_coco hands to COCO.loadRes."""
    from checker.rescore.coco import detections
    from checker.rescore.reader import scan_log

    _, first = scan_log(log, COCO_SAMPLES)
    assert first is not None
    res, inv, mismatches = detections(first, heights, widths, ids, COCO_CAT_IDS, use_inv_map=True)
    assert inv and mismatches == 0
    return res


def same_detections(base: list[dict[str, Any]], fast: np.ndarray) -> int:
    """Both sides hold the same detections (the reference's in log order, mlcheck's by sample index;
    compared after a stable sort on image_id, which increases with the index here); returns the count."""
    assert len(base) == len(fast), (len(base), len(fast))
    b = np.array([[d["image_id"], *d["bbox"], d["score"], d["category_id"]] for d in base], dtype=np.float64)
    b = b[np.argsort(b[:, 0], kind="stable")]
    f = fast[np.argsort(fast[:, 0], kind="stable")]
    assert (b[:, 0] == f[:, 0]).all() and (b[:, 6] == f[:, 6]).all()
    # the reference scales in float32 (numpy scalar * int), mlcheck in float64
    np.testing.assert_allclose(f[:, 1:6], b[:, 1:6], rtol=2e-6, atol=1e-4)
    return len(base)


def _same_value(v_base: Any, v_fast: Any) -> Any:
    assert abs(v_base - v_fast) < 1e-9, (v_base, v_fast)
    return v_fast


def pairs(base: Any, fast: Any, repeat: int, agree: Any = _same_value
          ) -> tuple[list[float], list[float], list[float], Any]:
    """Interleaved (straightforward, streaming) timings; `agree` checks both results (untimed) and
    returns the value reported."""
    base_t, fast_t, ratios = [], [], []
    shown = None
    for _ in range(repeat):
        t = time.perf_counter()
        v_base = base()
        base_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        v_fast = fast()
        fast_t.append(time.perf_counter() - t)
        shown = agree(v_base, v_fast)
        del v_base, v_fast
        ratios.append(base_t[-1] / fast_t[-1])
    return base_t, fast_t, ratios, shown


def report(size: float, base_t: list[float], fast_t: list[float], ratios: list[float], what: str) -> None:
    t_base, t_fast = statistics.median(base_t), statistics.median(fast_t)
    print(f"  straightforward ({what}): {t_base:.2f} s  ({size / t_base:.0f} MB/s)")
    extra = " + score_top1" if "top-1" in what else " + coco.detections" if "per-box" in what else ""
    print(f"  streaming (mlcheck scan_log{extra}): "
          f"{t_fast:.2f} s  ({size / t_fast:.0f} MB/s)")
    print(f"  ratio: {statistics.median(ratios):.1f}x median (pairs: {', '.join(f'{r:.1f}' for r in ratios)})")


def streaming(log: Path, val_map: Path, workers: int | None = None) -> float:
    from checker.rescore.imagenet import load_val_map, score_top1
    from checker.rescore.reader import scan_log

    _, first = scan_log(log, SAMPLES, workers=workers)
    assert first is not None
    return score_top1(first, load_val_map(val_map)).value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-mb", type=int, default=2048)
    ap.add_argument("--cmp-mb", type=int, default=128)
    ap.add_argument("--coco-mb", type=int, default=64, help="COCO-like log size; 0 skips it")
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved timing pairs on the throughput log")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        t = time.perf_counter()
        v = streaming(Path(a.child[0]), Path(a.child[1]), int(a.child[2]) or None)
        # VmHWM is per address space, so it starts afresh at exec (ru_maxrss would include the
        # parent's pages inherited through fork, before exec)
        hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM")]
        peak_mb = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # the worker processes (forked from this one, so their peak counts the pages they share with it)
        workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps({"seconds": time.perf_counter() - t, "peak_mb": peak_mb, "workers_mb": workers_mb,
                          "value": v}))
        return
    tmp = Path(a.dir or tempfile.mkdtemp(prefix="bench_rescore_"))
    tmp.mkdir(parents=True, exist_ok=True)
    val_map = labels_file(tmp / "val_map.txt")
    cmp_log = tmp / "cmp.json"
    n = generate(cmp_log, a.cmp_mb)
    size = cmp_log.stat().st_size / 1e6
    import checker.rescore.imagenet
    import checker.rescore.reader

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
        images = coco_images()
        heights = np.array([im["height"] for im in images], dtype=np.float64)
        widths = np.array([im["width"] for im in images], dtype=np.float64)
        ids = np.array([im["id"] for im in images], dtype=np.int64)
        import checker.rescore.coco  # noqa: F401
        base_t, fast_t, ratios, boxes = pairs(lambda: straightforward_coco(coco, images),
                                              lambda: streaming_coco(coco, heights, widths, ids),
                                              a.repeat, same_detections)
        print(f"COCO-like log: {size:.0f} MB, {n} entries, {boxes} detections of the first entries "
              f"(both agree within float32); medians of {a.repeat}")
        report(size, base_t, fast_t, ratios, "json.load + accuracy-coco.py's per-box loop to the detection list")
        coco.unlink()
    big = tmp / "big.json"
    n = generate(big, a.big_mb, seed=2)
    size = big.stat().st_size / 1e6
    print(f"memory log: {size:.0f} MB, {n} entries")
    for workers in (1, 0):
        out = subprocess.run([sys.executable, __file__, "--child", str(big), str(val_map), str(workers)], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        child = json.loads(out.stdout)
        who = "one worker" if workers == 1 else "default workers"
        extra = f", largest worker {child['workers_mb']:.0f} MB" if workers != 1 else ""
        print(f"  streaming, {who}: {child['seconds']:.1f} s ({size / child['seconds']:.0f} MB/s), "
              f"peak RSS {child['peak_mb']:.0f} MB (whole process, numpy included){extra}")
    big.unlink()


if __name__ == "__main__":
    main()
