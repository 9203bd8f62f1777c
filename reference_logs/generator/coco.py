"""COCO 2017 val for the ssd-mobilenet sample: ground truth in the real format, the detector's boxes, mAP.

Ground truth, written into the sample's datasets/coco/annotations/instances_val2017.json:
a synthetic (seeded) instances file in the COCO format (``images`` with id, file_name,
height, width; ``annotations`` with id, image_id, category_id, bbox [x, y, w, h] in
pixels, area, iscrowd; the 80 COCO ``categories`` with their ids and names). 5,000
images, 48 of them without annotations as in the real set. Boxes only: no segmentation,
which box mAP does not read.

The SUT's response for image i (the QSL index, an index into ``images``) is what the
reference SSD-MobileNet SUT sends: float32 7-tuples ``[image_idx, ymin, xmin, ymax, xmax,
score, class]``, box corners relative to the image, class a COCO category id; no
detection, no bytes.

Scoring (:func:`score_accuracy_log`) follows the v0.7 reference accuracy-coco.py: the first
response of each image, boxes scaled to pixels, pycocotools' COCOeval (bbox) over the
images the log holds; its output, then ``mAP=<percent>%``, is the accuracy.txt.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

IMAGES = 5000  # COCO 2017 val
EMPTY_IMAGES = 48  # images without annotations in it
DATA_SEED = 20170501
SUT_SEED = 300  # ssd-mobilenet's input size, as seeds go

# The detector: each object is found with its class with this probability, with the wrong
# class with the next, and each image gets a few low-score false positives.
DETECT = 0.56
CONFUSE = 0.08
JITTER = 0.09  # box corner noise, a share of the object's size
FALSE_POSITIVES = 0.8  # mean per image

# The 80 COCO categories: (id, name, supercategory).
CATEGORIES: tuple[tuple[int, str, str], ...] = (
    (1, "person", "person"), (2, "bicycle", "vehicle"), (3, "car", "vehicle"), (4, "motorcycle", "vehicle"),
    (5, "airplane", "vehicle"), (6, "bus", "vehicle"), (7, "train", "vehicle"), (8, "truck", "vehicle"),
    (9, "boat", "vehicle"), (10, "traffic light", "outdoor"), (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"), (14, "parking meter", "outdoor"), (15, "bench", "outdoor"),
    (16, "bird", "animal"), (17, "cat", "animal"), (18, "dog", "animal"), (19, "horse", "animal"),
    (20, "sheep", "animal"), (21, "cow", "animal"), (22, "elephant", "animal"), (23, "bear", "animal"),
    (24, "zebra", "animal"), (25, "giraffe", "animal"), (27, "backpack", "accessory"),
    (28, "umbrella", "accessory"), (31, "handbag", "accessory"), (32, "tie", "accessory"),
    (33, "suitcase", "accessory"), (34, "frisbee", "sports"), (35, "skis", "sports"),
    (36, "snowboard", "sports"), (37, "sports ball", "sports"), (38, "kite", "sports"),
    (39, "baseball bat", "sports"), (40, "baseball glove", "sports"), (41, "skateboard", "sports"),
    (42, "surfboard", "sports"), (43, "tennis racket", "sports"), (44, "bottle", "kitchen"),
    (46, "wine glass", "kitchen"), (47, "cup", "kitchen"), (48, "fork", "kitchen"), (49, "knife", "kitchen"),
    (50, "spoon", "kitchen"), (51, "bowl", "kitchen"), (52, "banana", "food"), (53, "apple", "food"),
    (54, "sandwich", "food"), (55, "orange", "food"), (56, "broccoli", "food"), (57, "carrot", "food"),
    (58, "hot dog", "food"), (59, "pizza", "food"), (60, "donut", "food"), (61, "cake", "food"),
    (62, "chair", "furniture"), (63, "couch", "furniture"), (64, "potted plant", "furniture"),
    (65, "bed", "furniture"), (67, "dining table", "furniture"), (70, "toilet", "furniture"),
    (72, "tv", "electronic"), (73, "laptop", "electronic"), (74, "mouse", "electronic"),
    (75, "remote", "electronic"), (76, "keyboard", "electronic"), (77, "cell phone", "electronic"),
    (78, "microwave", "appliance"), (79, "oven", "appliance"), (80, "toaster", "appliance"),
    (81, "sink", "appliance"), (82, "refrigerator", "appliance"), (84, "book", "indoor"),
    (85, "clock", "indoor"), (86, "vase", "indoor"), (87, "scissors", "indoor"),
    (88, "teddy bear", "indoor"), (89, "hair drier", "indoor"), (90, "toothbrush", "indoor"),
)
SIZES = ((640, 480), (640, 427), (480, 640), (640, 426), (500, 375), (640, 360), (427, 640), (612, 612))


@dataclass(frozen=True)
class GroundTruth:
    """The synthetic instances file's contents."""

    instances: dict[str, Any]


def make_ground_truth() -> GroundTruth:
    """The synthetic COCO 2017 val instances (5,000 images, 48 without annotations)."""
    rng = np.random.default_rng(DATA_SEED)
    ids = rng.choice(np.arange(1, 581930), size=IMAGES, replace=False)
    empty = set(rng.choice(IMAGES, size=EMPTY_IMAGES, replace=False).tolist())
    cat_ids = np.array([c[0] for c in CATEGORIES])
    weights = np.where(cat_ids == 1, 20.0, 1.0)  # people are everywhere in COCO
    weights /= weights.sum()
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i in range(IMAGES):
        w, h = SIZES[int(rng.integers(0, len(SIZES)))]
        image_id = int(ids[i])
        images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "height": h, "width": w})
        if i in empty:
            continue
        for _ in range(1 + int(rng.poisson(0.3))):
            bw = float(w * rng.uniform(0.08, 0.7))
            bh = float(h * rng.uniform(0.08, 0.7))
            x = float(rng.uniform(0, w - bw))
            y = float(rng.uniform(0, h - bh))
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": int(rng.choice(cat_ids, p=weights)),
                "bbox": [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)],
                "area": round(bw * bh * float(rng.uniform(0.5, 0.9)), 2), "iscrowd": 0,
            })
    return GroundTruth({
        "info": {"description": "Synthetic COCO 2017 val instances for mlcheck's sample (seeded, not COCO's)",
                 "version": "1.0", "year": 2017},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": c, "name": n, "supercategory": s} for c, n, s in CATEGORIES],
    })


def write_ground_truth(gt: GroundTruth, folder: Path) -> Path:
    """Write annotations/instances_val2017.json under `folder`; returns its path."""
    path = folder / "annotations" / "instances_val2017.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(gt.instances, separators=(",", ":")) + "\n", encoding="utf-8", newline="\n")
    return path


def make_detections(gt: GroundTruth) -> list[bytes]:
    """The tiny detector's response for every image: float32 7-tuples (none for some images)."""
    rng = np.random.default_rng(SUT_SEED)
    images = gt.instances["images"]
    by_image: dict[int, list[dict[str, Any]]] = {}
    for a in gt.instances["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    cat_ids = [c[0] for c in CATEGORIES]
    out = []
    for idx, image in enumerate(images):
        w, h = image["width"], image["height"]
        rows = []
        for a in by_image.get(image["id"], []):
            r = rng.random()
            if r >= DETECT + CONFUSE:
                continue
            cls = a["category_id"] if r < DETECT else cat_ids[int(rng.integers(0, len(cat_ids)))]
            x, y, bw, bh = a["bbox"]
            x0 = x + rng.normal(0, JITTER) * bw
            y0 = y + rng.normal(0, JITTER) * bh
            x1 = x + bw + rng.normal(0, JITTER) * bw
            y1 = y + bh + rng.normal(0, JITTER) * bh
            rows.append((idx, y0 / h, x0 / w, y1 / h, x1 / w, rng.uniform(0.3, 0.99), cls))
        for _ in range(int(rng.poisson(FALSE_POSITIVES))):
            x0, y0 = rng.uniform(0, 0.8, 2)
            x1, y1 = x0 + rng.uniform(0.05, 0.2), y0 + rng.uniform(0.05, 0.2)
            rows.append((idx, y0, x0, y1, x1, rng.uniform(0.05, 0.5), cat_ids[int(rng.integers(0, len(cat_ids)))]))
        rows.sort(key=lambda r: -r[5])  # by score, as SSD's post-processing returns them
        out.append(np.asarray(rows, dtype="<f4").reshape(-1, 7).tobytes())
    return out


def score_records(records: list[dict[str, Any]], annotations: Path) -> tuple[float, str]:
    """(mAP in percent, the script's output) of accuracy-log records, as accuracy-coco.py computes them."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        coco_gt = COCO(str(annotations))
        image_map = coco_gt.dataset["images"]
        detections: list[dict[str, Any]] = []
        image_ids: set[int] = set()
        seen: set[int] = set()
        for record in records:
            idx = int(record["qsl_idx"])
            if idx in seen:  # the first response of an image counts
                continue
            seen.add(idx)
            data = np.frombuffer(bytes.fromhex(record["data"]), "<f4")
            image = image_map[idx]
            if len(data) < 7:  # no detection: the image still counts
                image_ids.add(image["id"])
                continue
            for i in range(0, len(data), 7):
                image_idx, ymin, xmin, ymax, xmax, score, label = (float(v) for v in data[i : i + 7])
                if int(image_idx) != idx:
                    print(f"ERROR: loadgen({idx}) and payload({int(image_idx)}) disagree on image_idx")
                height, width = image["height"], image["width"]
                ymin, xmin, ymax, xmax = ymin * height, xmin * width, ymax * height, xmax * width
                detections.append({"image_id": image["id"], "category_id": int(label),
                                   "bbox": [xmin, ymin, xmax - xmin, ymax - ymin], "score": score})
                image_ids.add(image["id"])
        coco_dt = coco_gt.loadRes(detections)
        ev = COCOeval(coco_gt, coco_dt, iouType="bbox")
        ev.params.imgIds = list(image_ids)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        value = 100.0 * float(ev.stats[0])
        print(f"mAP={value:.3f}%")
    return value, printed.getvalue()


def score_accuracy_log(accuracy_log: Path, annotations: Path) -> tuple[float, str]:
    """(mAP in percent, accuracy.txt text) of an accuracy log against instances_val2017.json."""
    return score_records(json.loads(accuracy_log.read_text(encoding="utf-8")), annotations)
