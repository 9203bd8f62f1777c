"""COCO mAP from an accuracy log, with pycocotools' COCOeval, as the reference accuracy-coco.py does it.

Payload: float32 7-tuples `[image_idx, ymin, xmin, ymax, xmax, score, class]` in relative
coordinates; `image_idx` indexes the image list of instances_val2017.json (or, with the
48 images without annotations removed, the list of annotated images).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score

F64 = npt.NDArray[np.float64]


def load_annotations(path: Path) -> dict[str, Any]:
    """instances_val2017.json (or a folder holding it, or annotations/ under it)."""
    if path.is_dir():
        for cand in (path / "annotations" / "instances_val2017.json", path / "instances_val2017.json"):
            if cand.is_file():
                path = cand
                break
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GroundTruthError(f"cannot read COCO annotations {path}: {exc}",
                               "Pass --dataset coco=PATH/instances_val2017.json.") from exc
    if not isinstance(data, dict) or not {"images", "annotations", "categories"} <= set(data):
        raise GroundTruthError(f"{path.name} is not a COCO instances file (needs images, annotations, categories)")
    return data


def _coco(data: dict[str, Any]) -> Any:
    from pycocotools.coco import COCO

    gt = COCO()
    gt.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    return gt


def image_map(gt: Any, remove_48_empty: bool) -> list[dict[str, Any]]:
    """The image list image_idx refers to, built exactly as the reference script builds it."""
    if remove_48_empty:
        im_ids: list[int] = []
        for i in gt.getCatIds():
            im_ids += gt.catToImgs[i]
        im_ids = list(set(im_ids))
        return [gt.imgs[i] for i in im_ids]
    images: list[dict[str, Any]] = gt.dataset["images"]
    return images


def needs_inverse_map(classes: np.ndarray, cat_ids: list[int]) -> bool:
    """Whether class ids are contiguous 1..80 (the inverse map applies) rather than COCO category ids."""
    if len(classes) == 0:
        return False
    valid = set(cat_ids)
    present = set(np.unique(classes).astype(int).tolist())
    if present <= valid and max(present) > len(cat_ids):
        return False
    return present <= set(range(len(cat_ids) + 1)) and not present <= valid


def detections(first: FirstPayloads, heights: npt.NDArray[Any], widths: npt.NDArray[Any], ids: npt.NDArray[Any],
               cat_ids: list[int], use_inv_map: bool | None = None) -> tuple[F64, bool, int]:
    """The detections COCO.loadRes takes, as the reference script builds them box by box, in one pass.

    Rows `[image_id, x, y, w, h, score, category_id]` (pycocotools' numpy layout): the boxes of the
    first payload of each sample, samples by index; `heights`, `widths`, `ids` are per entry of the
    image list image_idx refers to (no ground-truth file needed). Returns (rows, whether the inverse class map applied, image_idx mismatches).
    """
    lens = np.diff(first.offsets)
    if (lens % 28).any():
        raise CannotScore("a payload is not a whole number of float32 7-tuples")
    det = first.payload.view("<f4").reshape(-1, 7) if len(first.payload) else np.zeros((0, 7), np.float32)
    per = lens // 28
    owner = np.repeat(first.qsl, per)
    if use_inv_map is None:
        use_inv_map = needs_inverse_map(det[:, 6], cat_ids)
    idx_mismatch = int((det[:, 0].astype(np.int64) != owner).sum())
    label = det[:, 6].astype(np.int64)
    if use_inv_map:
        inv = np.array([0, *cat_ids], dtype=np.int64)
        if len(label) and (label.min() < 0 or label.max() >= len(inv)):
            raise CannotScore("a class id is outside the 80 COCO classes the inverse map covers")
        label = inv[label]
    # per sample first, then repeated per box (5000 gathers, not one per box); float64 math as
    # the float32 payload promoted, written column by column into the result
    h = np.repeat(np.asarray(heights, np.float64)[first.qsl], per)
    w = np.repeat(np.asarray(widths, np.float64)[first.qsl], per)
    res = np.empty((len(det), 7), np.float64)
    res[:, 0] = np.repeat(np.asarray(ids)[first.qsl], per)
    np.multiply(det[:, 2], w, out=res[:, 1])  # xmin
    np.multiply(det[:, 1], h, out=res[:, 2])  # ymin
    np.multiply(det[:, 4], w, out=res[:, 3])  # xmax, then the width
    res[:, 3] -= res[:, 1]
    np.multiply(det[:, 3], h, out=res[:, 4])  # ymax, then the height
    res[:, 4] -= res[:, 2]
    res[:, 5] = det[:, 5]
    res[:, 6] = label
    return res, bool(use_inv_map), idx_mismatch


def score_coco(first: FirstPayloads, data: dict[str, Any], use_inv_map: bool | None = None,
               remove_48_empty: bool | None = None) -> Score:
    """mAP@[.5:.95] in percent over the images the log covers; options None = decided from the log."""
    from pycocotools.cocoeval import COCOeval

    gt = _coco(data)
    if remove_48_empty is None:
        annotated = len({a["image_id"] for a in data["annotations"]})
        remove_48_empty = len(first.qsl) == annotated < len(data["images"])
    images = image_map(gt, remove_48_empty)
    if len(first.qsl) and int(first.qsl.max()) >= len(images):
        raise CannotScore(f"qsl_idx {int(first.qsl.max())} is beyond the {len(images)} images of the annotations")
    heights = np.array([im["height"] for im in images], dtype=np.float64)
    widths = np.array([im["width"] for im in images], dtype=np.float64)
    ids = np.array([im["id"] for im in images], dtype=np.int64)
    cat_ids = gt.getCatIds()
    res, use_inv_map, idx_mismatch = detections(first, heights, widths, ids, cat_ids, use_inv_map)
    per = np.diff(first.offsets) // 28
    image_ids = sorted(set(ids[first.qsl].tolist()))
    if len(res) == 0:
        value = 0.0
        stats: list[float] = []
    else:
        with contextlib.redirect_stdout(io.StringIO()):
            dt = gt.loadRes(res)
            ev = COCOeval(gt, dt, iouType="bbox")
            ev.params.imgIds = image_ids
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        stats = [float(x) for x in ev.stats]
        value = 100.0 * stats[0]
    return Score("mAP", value, "coco_map", "float32", {
        "detections": int(len(res)), "images": len(image_ids), "use_inv_map": bool(use_inv_map),
        "remove_48_empty_images": bool(remove_48_empty), "image_idx_mismatches": idx_mismatch,
        "no_detection_images": int((per == 0).sum()), "stats": stats,
    })
