"""The evaluator registry: name -> how to load its ground truth and how to score a log with it.

Evaluators are pure and threshold-free; which one a benchmark uses, and which options
(class offsets, COCO inverse map) the round allows, is rules data (`benchmarks.<b>.rescore`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import bleu, coco, imagenet, ncf
from .reader import FirstPayloads
from .score import Score


@dataclass(frozen=True)
class Evaluator:
    metric: str
    load: Callable[[Path], Any]  # ground truth path -> what score() needs (picklable)
    score: Callable[[FirstPayloads, Any, dict[str, Any]], Score]
    doc: str


def _top1(first: FirstPayloads, labels: Any, params: dict[str, Any]) -> Score:
    offsets = tuple(int(o) for o in params.get("class_offsets", [0]))
    return imagenet.score_top1(first, labels, offsets, int(params.get("classes", 1000)))


def _coco_load(path: Path) -> Path:
    coco.load_annotations(path)  # fail early, in the parent, on unusable ground truth
    return path


def _coco(first: FirstPayloads, path: Any, params: dict[str, Any]) -> Score:
    return coco.score_coco(first, coco.load_annotations(Path(path)), params.get("use_inv_map"),
                           params.get("remove_48_empty_images"))


def _bleu_moses_load(path: Path) -> list[str]:
    return bleu.moses_tokenize(bleu.load_reference(path))


EVALUATORS: dict[str, Evaluator] = {
    "imagenet_top1": Evaluator("top1", imagenet.load_val_map, _top1, "ImageNet top-1 (%) against val_map.txt"),
    "coco_map": Evaluator("mAP", _coco_load, _coco, "COCO mAP@[.5:.95] (%) with pycocotools COCOeval"),
    "bleu_moses": Evaluator("BLEU", _bleu_moses_load, lambda f, r, p: bleu.score_bleu_moses(f, r),
                            "BLEU-4 on Moses-tokenised text (v0.5 inference GNMT reference)"),
    "sacrebleu": Evaluator("SacreBLEU", bleu.load_reference, lambda f, r, p: bleu.score_sacrebleu(f, r),
                           "SacreBLEU on detokenised text (v0.6 training GNMT)"),
    "ncf_hr": Evaluator("HR@10", ncf.load_positives, lambda f, r, p: ncf.score_hr(f, r, int(p.get("k", 10))),
                        "NCF hit rate at 10 from logged rankings"),
}


def get(name: str) -> Evaluator:
    """The evaluator called `name`; a miss lists the valid names."""
    from ..errors import RulesetError

    if name not in EVALUATORS:
        raise RulesetError(f"unknown evaluator '{name}'", "Known evaluators: " + ", ".join(sorted(EVALUATORS)))
    return EVALUATORS[name]
