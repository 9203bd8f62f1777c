"""Each evaluator against an independent computation on small ground truth built here."""

from __future__ import annotations

import json
import math
import struct
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from rescore_helpers import loadgen_log

from checker.rescore import bleu, coco, imagenet, ncf
from checker.rescore.reader import scan_log
from checker.rescore.score import CannotScore, GroundTruthError


def _first(tmp_path: Path, entries: list[tuple[int, bytes]], samples: int):  # type: ignore[no-untyped-def]
    _scan, first = scan_log(loadgen_log(tmp_path / "log.json", entries), samples)
    assert first is not None
    return first


@pytest.mark.parametrize("fmt,dtype", [("<i", "int32"), ("<f", "float32"), ("<q", "int64")])
def test_top1_hand_computed_per_payload_type(tmp_path: Path, fmt: str, dtype: str) -> None:
    val_map = tmp_path / "val_map.txt"
    val_map.write_text("a.JPEG 3\nb.JPEG 7\nc.JPEG 999\nd.JPEG 0\n")
    labels = imagenet.load_val_map(val_map)
    # sample 1 wrong; sample 0 logged twice, the first (right) one wins
    preds = [(0, 3), (1, 8), (2, 999), (3, 0), (0, 5)]
    first = _first(tmp_path, [(q, struct.pack(fmt, v)) for q, v in preds], 4)
    s = imagenet.score_top1(first, labels, (0, -1))
    assert s.value == pytest.approx(75.0) and s.dtype == dtype
    assert s.detail["good"] == 3 and s.detail["total"] == 4 and s.detail["class_offset"] == 0



@pytest.mark.parametrize("text,labels", [
    ("a 1\nb 2\n", [1, 2]), ("a 1\nb 2", [1, 2]), ("a 1\r\nb 2\r\n", [1, 2]), ("a -1\nb 2\n", [-1, 2]),
    ("a +1\nb 2\n", [1, 2]), ("a 1 \n  b   20\n", [1, 20]), ("a 99999999999\nb 0\n", [99999999999, 0]),
    ("a 9223372036854775807\nb 2\n", [2**63 - 1, 2]), ("a 0001\rb 2\r", [1, 2]), ("", []),
])
def test_val_map_layouts(tmp_path: Path, text: str, labels: list[int]) -> None:
    val_map = tmp_path / "val_map.txt"
    val_map.write_bytes(text.encode())
    got = imagenet.load_val_map(val_map)
    assert got.dtype == np.int64 and got.tolist() == labels


@pytest.mark.parametrize("text", ["a 1\n\nb 2\n", "a 1\nb\n", "a x\nb 2\n", "a 1 c\nb 2\n"])
def test_val_map_refuses_malformed_lines(tmp_path: Path, text: str) -> None:
    val_map = tmp_path / "val_map.txt"
    val_map.write_bytes(text.encode())
    with pytest.raises(GroundTruthError):
        imagenet.load_val_map(val_map)


def test_top1_int32_in_first_half_of_8_bytes_and_1001_classes(tmp_path: Path) -> None:
    labels = np.array([3, 7, 999, 0])
    junk = b"\x7c\x7f\x00\x00"
    first = _first(tmp_path, [(i, struct.pack("<i", v + 1) + junk) for i, v in enumerate([3, 7, 999, 1])], 4)
    s = imagenet.score_top1(first, labels, (0, -1))
    assert s.dtype == "int32 in the first 4 of 8 bytes"
    assert s.detail["class_offset"] == -1 and s.value == pytest.approx(75.0)
    assert imagenet.score_top1(first, labels, (0,)).value == 0.0  # offsets are what the rules allow


def test_top1_refuses_payloads_that_are_not_classes(tmp_path: Path) -> None:
    first = _first(tmp_path, [(0, struct.pack("<f", 0.5))], 1)
    with pytest.raises(CannotScore):
        imagenet.score_top1(first, np.array([0]))


def _coco_gt(path: Path) -> dict[str, object]:
    cats = [{"id": i, "name": f"c{i}"} for i in (1, 2, 3, 5)]  # id 4 missing, as COCO has gaps
    images = [{"id": 10, "width": 100, "height": 200, "file_name": "a"},
              {"id": 11, "width": 50, "height": 50, "file_name": "b"},
              {"id": 12, "width": 80, "height": 40, "file_name": "empty"}]
    anns = [
        {"id": 1, "image_id": 10, "category_id": 1, "bbox": [10, 20, 30, 40], "area": 1200, "iscrowd": 0},
        {"id": 2, "image_id": 10, "category_id": 5, "bbox": [50, 100, 20, 60], "area": 1200, "iscrowd": 0},
        {"id": 3, "image_id": 11, "category_id": 2, "bbox": [5, 5, 20, 20], "area": 400, "iscrowd": 0},
    ]
    data = {"images": images, "annotations": anns, "categories": cats}
    path.write_text(json.dumps(data))
    return data


def _det(idx: int, box_xywh: list[float], w: float, h: float, score: float, cls: int) -> bytes:
    x, y, bw, bh = box_xywh
    return struct.pack("<7f", idx, y / h, x / w, (y + bh) / h, (x + bw) / w, score, cls)


def test_coco_map_agrees_with_faster_coco_eval(tmp_path: Path) -> None:
    faster = pytest.importorskip("faster_coco_eval")
    gt_path = tmp_path / "instances_val2017.json"
    _coco_gt(gt_path)
    payloads = [
        (0, _det(0, [11, 21, 30, 38], 100, 200, 0.9, 1) + _det(0, [50, 100, 20, 60], 100, 200, 0.8, 5)
         + _det(0, [0, 0, 10, 10], 100, 200, 0.3, 1)),
        (1, _det(1, [6, 4, 18, 22], 50, 50, 0.7, 2) + _det(1, [30, 30, 10, 10], 50, 50, 0.6, 3)),
        (2, b""),
    ]
    first = _first(tmp_path, payloads, 3)
    s = coco.score_coco(first, coco.load_annotations(gt_path), use_inv_map=False, remove_48_empty=False)
    # the same detections, in absolute xywh, through a second implementation
    dets = [{"image_id": 10, "category_id": 1, "bbox": [11, 21, 30, 38], "score": 0.9},
            {"image_id": 10, "category_id": 5, "bbox": [50, 100, 20, 60], "score": 0.8},
            {"image_id": 10, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.3},
            {"image_id": 11, "category_id": 2, "bbox": [6, 4, 18, 22], "score": 0.7},
            {"image_id": 11, "category_id": 3, "bbox": [30, 30, 10, 10], "score": 0.6}]
    gt = faster.COCO(str(gt_path))
    dt = gt.loadRes(dets)
    ev = faster.COCOeval_faster(gt, dt, "bbox", print_function=lambda *a: None)
    ev.params.imgIds = [10, 11, 12]
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
    assert s.value == pytest.approx(100 * ev.stats[0], abs=1e-4)
    assert 0 < s.value < 100 and s.detail["no_detection_images"] == 1


def test_coco_inverse_map_and_removed_empty_images(tmp_path: Path) -> None:
    gt_path = tmp_path / "instances_val2017.json"
    _coco_gt(gt_path)
    # contiguous class 4 means the 4th category (id 5); only the 2 annotated images are indexed
    payloads = [(0, _det(0, [10, 20, 30, 40], 100, 200, 0.9, 1) + _det(0, [50, 100, 20, 60], 100, 200, 0.8, 4)),
                (1, _det(1, [5, 5, 20, 20], 50, 50, 0.9, 2))]
    first = _first(tmp_path, payloads, 2)
    s = coco.score_coco(first, coco.load_annotations(gt_path))
    assert s.detail["use_inv_map"] and s.detail["remove_48_empty_images"]
    assert s.value == pytest.approx(100.0)  # every box exact
    assert coco.needs_inverse_map(np.array([1.0, 2.0, 5.0]), [1, 2, 3, 5]) is False



def test_coco_detections_without_ground_truth_file_match_the_reference_loop(tmp_path: Path) -> None:
    """coco.detections from an image-size table equals accuracy-coco.py's per-box loop (float32 math)."""
    rng = np.random.default_rng(7)
    heights, widths, ids = np.array([480, 640, 300]), np.array([640, 427, 500]), np.array([139, 285, 632])
    cat_ids = [1, 2, 3, 5]
    payloads = []
    for q in (2, 0, 1):  # logged out of order; the duplicate of 2 at the end is ignored
        boxes = rng.random((int(rng.integers(1, 5)), 7), dtype=np.float32)
        boxes[:, 0], boxes[:, 6] = q, rng.integers(1, 5, len(boxes))
        payloads.append((q, boxes.tobytes()))
    payloads.append((2, np.ones((1, 7), np.float32).tobytes()))
    first = _first(tmp_path, payloads, 3)
    res, inv, mismatches = coco.detections(first, heights, widths, ids, cat_ids, use_inv_map=True)
    assert inv and mismatches == 0
    expect = []
    for q, raw in sorted(payloads[:3]):
        data = np.frombuffer(raw, np.float32)
        for i in range(0, len(data), 7):
            _idx, ymin, xmin, ymax, xmax, score, label = data[i:i + 7]
            h, w = int(heights[q]), int(widths[q])
            ymin, xmin, ymax, xmax = ymin * h, xmin * w, ymax * h, xmax * w
            expect.append([ids[q], xmin, ymin, xmax - xmin, ymax - ymin, score, [0, *cat_ids][int(label)]])
    np.testing.assert_allclose(res, np.array(expect, dtype=np.float64), rtol=2e-6, atol=1e-4)


def _bleu4(hyps: list[str], refs: list[str]) -> float:
    """Corpus BLEU-4 (Papineni), written out: clipped n-gram precisions, brevity penalty."""
    match = [0] * 4
    total = [0] * 4
    hl = rl = 0
    for h, r in zip(hyps, refs):
        ht, rt = h.split(), r.split()
        hl += len(ht)
        rl += len(rt)
        for n in range(1, 5):
            hc = Counter(tuple(ht[i:i + n]) for i in range(len(ht) - n + 1))
            rc = Counter(tuple(rt[i:i + n]) for i in range(len(rt) - n + 1))
            match[n - 1] += sum(min(c, rc[g]) for g, c in hc.items())
            total[n - 1] += max(len(ht) - n + 1, 0)
    logp = sum(math.log(m / t) for m, t in zip(match, total)) / 4
    bp = 1.0 if hl > rl else math.exp(1 - rl / hl)
    return 100 * bp * math.exp(logp)


def test_bleu_moses_hand_computed(tmp_path: Path) -> None:
    raw = ["Das ist ein kleines Haus, sagte er.", "Der Hund schläft heute im Garten unter dem Baum."]
    ref_tok = bleu.moses_tokenize(raw)
    assert ref_tok[0] == "Das ist ein kleines Haus , sagte er ."
    hyps = ["Das ist ein kleines Haus , sagte sie .", "Der Hund schläft heute im Garten ."]
    first = _first(tmp_path, [(1, hyps[1].encode()), (0, hyps[0].encode())], 2)
    s = bleu.score_bleu_moses(first, ref_tok)
    assert s.value == pytest.approx(_bleu4(hyps, ref_tok), abs=1e-6)
    assert s.detail["missing"] == 0
    same = _first(tmp_path, [(0, ref_tok[0].encode()), (1, ref_tok[1].encode())], 2)
    assert bleu.score_bleu_moses(same, ref_tok).value == pytest.approx(100.0)
    assert bleu.score_sacrebleu(same, raw).value == pytest.approx(100.0)  # detokenised back to the raw text


def test_hr_at_10_hand_computed(tmp_path: Path) -> None:
    pos = tmp_path / "positives.txt"
    pos.write_text("0 5\n1 42\n2 7\n")
    positives = ncf.load_positives(pos)
    rank = lambda items: struct.pack(f"<{len(items)}i", *items)
    first = _first(tmp_path, [(0, rank([1, 2, 5] + list(range(100, 110)))),   # hit at rank 3
                              (1, rank(list(range(200, 210)) + [42])),         # 42 is 11th: miss
                              (2, rank([7]))], 3)                              # hit
    s = ncf.score_hr(first, positives)
    assert s.value == pytest.approx(2 / 3) and s.detail["hits"] == 2
