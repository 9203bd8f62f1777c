"""The evaluator registry: name -> how to load its ground truth and how to score a log with it.

Evaluators are pure and threshold-free; which one a benchmark uses, and which options
(class offsets, COCO inverse map) the round allows, is rules data (`benchmarks.<b>.rescore`).
Each names the `--dataset` entry its ground truth is given as (`dataset`), and the further
entries its `load` also takes (`companions`, e.g. the SQuAD vocabulary), passed to it as
`load(path, {name: path})`; without them it finds those files beside the main one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import bleu, brats, coco, dlrm, imagenet, ncf, rnnt, squad
from .reader import FirstPayloads
from .score import Score


@dataclass(frozen=True)
class Evaluator:
    metric: str
    load: Callable[..., Any]  # (ground truth path[, companions]) -> what score() needs (picklable)
    score: Callable[[FirstPayloads, Any, dict[str, Any]], Score]
    doc: str
    dataset: str | None = None  # the --dataset name of its ground truth
    companions: tuple[str, ...] = ()  # further --dataset names load() takes


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
    # MLPerf Inference v0.7
    "squad_f1": Evaluator("F1", squad.load_squad, squad.score_squad,
                          "SQuAD v1.1 F1 (%) from BERT start/end logits (exact match beside it)",
                          "squad", ("squad_vocab",)),
    "criteo_auc": Evaluator("AUC", dlrm.load_criteo, dlrm.score_auc,
                            "ROC-AUC (%) of DLRM click predictions against Criteo day 23 (click accuracy beside it)",
                            "criteo", ("criteo_trace",)),
    "librispeech_wer": Evaluator("100-WER", rnnt.load_manifest, rnnt.score_wer,
                                 "100 - word error rate (%) of RNN-T transcripts against LibriSpeech dev-clean",
                                 "librispeech"),
    "brats_dice": Evaluator("DICE", brats.load_brats, brats.score_dice,
                            "mean DICE (a fraction) over the BraTS 2019 regions from 3D-UNet softmax volumes",
                            "brats", ("brats_order",)),
}

# the --dataset names of the ground truth the evaluators above take (older ones are named by the rules)
DATASETS: dict[str, str] = {
    "imagenet": "val_map.txt", "coco": "instances_val2017.json", "wmt16": "newstest2014.de",
    "squad": "dev-v1.1.json, or a folder holding it and vocab.txt",
    "squad_vocab": "the BERT WordPiece vocab.txt (else found beside dev-v1.1.json)",
    "criteo": "Criteo day_23 (or day_23.gz), or a folder holding it and the aggregation trace",
    "criteo_trace": "dlrm_trace_of_aggregated_samples.txt (else found beside day_23)",
    "librispeech": "dev-clean-wav.json, the reference's LibriSpeech manifest",
    "brats": "a Task043 folder: labelsTr/, imagesTr/ and preprocessed_files.pkl",
    "brats_order": "preprocessed_files.pkl (else found in the brats folder)",
}


def get(name: str) -> Evaluator:
    """The evaluator called `name`; a miss lists the valid names."""
    from ..errors import RulesetError

    if name not in EVALUATORS:
        raise RulesetError(f"unknown evaluator '{name}'", "Known evaluators: " + ", ".join(sorted(EVALUATORS)))
    return EVALUATORS[name]
