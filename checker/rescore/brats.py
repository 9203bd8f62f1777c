"""Mean DICE for 3D-UNet (MLPerf Inference v0.7) from the logged softmax volumes and the BraTS labels.

What the v0.7 reference does, and so what this module reads (mlcommons/inference,
vision/medical_imaging; the round is r0.7 @ 75018167: 3d-unet/pytorch_SUT.py was read at 8be4813f,
accuracy-brats.py and preprocess.py at a9ed9411, in the folder's later name 3d-unet-brats19; with
nnU-Net's crop_to_nonzero, save_segmentation_nifti_from_softmax and evaluate_regions):

- Cases and order: BraTS 2019 in nnU-Net's Task043 layout, the 67 cases of fold 1. Sample i is the
  i-th name of the reference's `preprocessed_files.pkl` (a pickled list of case names, in the order
  its multi-process preprocessing finished them, so it is the submitter's own run that fixes it; a
  `preprocessed_files.txt` with one name a line is read the same way). The pickle is read with an
  unpickler that can build nothing but lists and strings.
- Ground truth: `labelsTr/<case>.nii.gz`, nnU-Net's labels (0 background, 1 edema, 2 non-enhancing
  tumor, 3 enhancing tumor: BraTS's 2, 1 and 4 as Task043_BraTS_2019.py converts them), and
  `imagesTr/<case>_000k.nii.gz`, the four modalities, from which nnU-Net's crop is recomputed: the
  bounding box of the voxels non-zero in any modality (its hole filling leaves the box unchanged).
  Volumes are read with nibabel and used in SimpleITK's axis order (z, y, x), as nnU-Net does.
- Payload: the softmax of the cropped case padded (centred, pad_nd_image) to 224 × 224 × 160,
  `[4, 224, 224, 160]` row-major, float16 as the reference SUT logs it (`astype(np.float16)`);
  `dtype` may name the accuracy script's other types, else 1/2/4/8-byte payloads are read as
  int8/float16/float32/float64. As the script does, the padding is cut off, the values cast to
  float16 and the class is the first arg-max; outside the crop the prediction is background.
- Score: per case and region (whole tumor: labels 1–3; tumor core: 2–3; enhancing tumor: 3) the
  DICE 2|P∩G| / (|P| + |G|), NaN when both are empty; per region the mean over the logged cases
  ignoring NaN, rounded to 4 decimals (the summary.csv evaluate_regions writes and accuracy-brats.py
  reads back); the score is the mean of the three, a fraction (0.85367), unrounded means beside it.

Where the reference script cannot cut the padding (a crop exactly 224 or 160 voxels wide leaves
it an empty slice) this module cuts it correctly.
"""

from __future__ import annotations

import io
import pickle
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score

PADDED_SHAPE = (224, 224, 160)
CLASSES = 4
REGIONS = ("whole tumor", "tumor core", "enhancing tumor")
ORDER_NAMES = ("preprocessed_files.pkl", "preprocessed_files.txt")
DTYPES = {"int8": "i1", "int16": "<i2", "int32": "<i4", "int64": "<i8",
          "float16": "<f2", "float32": "<f4", "float64": "<f8"}
BY_WIDTH = {1: "int8", 2: "float16", 4: "float32", 8: "float64"}
_CASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class BratsCase:
    name: str
    label_path: str
    bbox: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]  # (z, y, x) [start, stop)
    gt_voxels: tuple[int, int, int]  # per region, in the whole volume


@dataclass(frozen=True)
class BratsTruth:
    cases: tuple[BratsCase, ...]


class _ListsAndStrings(pickle.Unpickler):
    """Builds lists, tuples, dicts, strings and numbers; refuses every class or function."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name}: the case list holds names only")


def load_order(path: Path) -> list[str]:
    """The case names in sample order, from preprocessed_files.pkl or a text file of one name a line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GroundTruthError(f"cannot read the BraTS case list {path}: {exc}") from exc
    if path.suffix == ".pkl":
        try:
            names = _ListsAndStrings(io.BytesIO(raw)).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError) as exc:
            raise GroundTruthError(f"{path.name} is not a pickled list of case names: {exc}") from exc
    else:
        try:
            names = [line.strip() for line in raw.decode("utf-8").splitlines() if line.strip()]
        except UnicodeDecodeError as exc:
            raise GroundTruthError(f"{path.name} is not UTF-8 text: {exc}") from exc
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise GroundTruthError(f"{path.name} is not a non-empty list of case names")
    bad = [n for n in names if not _CASE.match(n) or ".." in n]
    if bad:
        raise GroundTruthError(f"{path.name} names a case {bad[0][:60]!r} that is not a file name")
    if len(set(names)) != len(names):
        raise GroundTruthError(f"{path.name} names a case twice")
    return list(names)


def _volume(path: Path) -> npt.NDArray[Any]:
    """A 3-D NIfTI volume in SimpleITK's (z, y, x) order, scaled as stored."""
    import nibabel as nib
    from nibabel.filebasedimages import ImageFileError

    try:
        img: Any = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except (OSError, EOFError, ValueError, zlib.error, ImageFileError) as exc:
        raise GroundTruthError(f"cannot read the NIfTI volume {path}: {exc}") from exc
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise GroundTruthError(f"{path.name} is a {data.ndim}-D image; a BraTS volume is 3-D")
    return np.ascontiguousarray(data.transpose(2, 1, 0))


def _labels(path: Path) -> U8:
    data = _volume(path)
    if data.dtype.kind == "f" and (not np.isfinite(data).all() or (data != np.round(data)).any()):
        raise GroundTruthError(f"{path.name} holds non-integer labels")
    values = np.unique(data)
    extra = [v for v in values.tolist() if v not in (0, 1, 2, 3)]
    if extra:
        hint = ("label 4 is BraTS's own enhancing-tumor code: the reference scores against nnU-Net's "
                "Task043 labelsTr, where it is 3" if 4 in extra else "labels are 0-3")
        raise GroundTruthError(f"{path.name} holds label {extra[0]}; {hint}")
    return data.astype(np.uint8)


def _region_counts(lab: U8) -> tuple[int, int, int]:
    return int((lab >= 1).sum()), int((lab >= 2).sum()), int((lab == 3).sum())


def _case(name: str, labels_dir: Path, images_dir: Path) -> BratsCase:
    label_path = labels_dir / f"{name}.nii.gz"
    if not label_path.is_file():
        raise GroundTruthError(f"no label volume {label_path.name} for case {name}")
    mods = sorted(p for p in images_dir.glob(f"{name}_*.nii.gz")
                  if re.fullmatch(re.escape(name) + r"_\d{4}\.nii\.gz", p.name))
    if not mods:
        raise GroundTruthError(f"no image volumes {name}_000k.nii.gz in {images_dir} for case {name}",
                               "nnU-Net's crop is recomputed from the four modalities of imagesTr.")
    lab = _labels(label_path)
    nonzero = np.zeros(lab.shape, bool)
    for m in mods:
        img = _volume(m)
        if img.shape != lab.shape:
            raise GroundTruthError(f"{m.name} is {img.shape[::-1]} voxels, its label volume {lab.shape[::-1]}")
        nonzero |= img != 0
    if not nonzero.any():
        raise GroundTruthError(f"case {name}'s images are all zero; nnU-Net cannot crop them")
    bbox = []
    for axis in range(3):
        hit = np.flatnonzero(nonzero.any(axis=tuple(a for a in range(3) if a != axis)))
        bbox.append((int(hit[0]), int(hit[-1]) + 1))
    return BratsCase(name, str(label_path), (bbox[0], bbox[1], bbox[2]), _region_counts(lab))


def load_brats(path: Path, companions: Mapping[str, Path] | None = None) -> BratsTruth:
    """The cases in sample order with their crop boxes: a Task043 folder holding labelsTr/, imagesTr/
    and preprocessed_files.pkl (or the case list given as --dataset brats_order=)."""
    if not path.is_dir():
        raise GroundTruthError(f"the BraTS ground truth {path} is not a folder",
                               "Pass --dataset brats=DIR holding labelsTr/, imagesTr/ and the reference's "
                               "preprocessed_files.pkl.")
    order = (companions or {}).get("brats_order")
    if order is None:
        order = next((path / n for n in ORDER_NAMES if (path / n).is_file()), None)
    if order is None:
        raise GroundTruthError(f"{path} has no preprocessed_files.pkl (the sample order)",
                               "Copy the reference's build/preprocessed_data/preprocessed_files.pkl beside "
                               "labelsTr/, or pass --dataset brats_order=PATH.")
    labels_dir = path / "labelsTr" if (path / "labelsTr").is_dir() else path
    images_dir = path / "imagesTr"
    if not images_dir.is_dir():
        raise GroundTruthError(f"{path} has no imagesTr/ folder (the four modalities of each case)")
    return BratsTruth(tuple(_case(n, labels_dir, images_dir) for n in load_order(Path(order))))


def params_shape(params: Mapping[str, Any]) -> tuple[int, int, int]:
    """The padded volume the payload holds (the reference's 224 × 224 × 160 unless the rules say otherwise)."""
    shape = tuple(int(v) for v in params.get("padded_shape", PADDED_SHAPE))
    if len(shape) != 3 or min(shape) < 1:
        from ..errors import RulesetError

        raise RulesetError(f"brats_dice: padded_shape {shape} is not three positive sizes")
    return shape[0], shape[1], shape[2]


def _dtype(lens: npt.NDArray[np.int64], shape: tuple[int, int, int], params: Mapping[str, Any]) -> str:
    name = params.get("dtype")
    if name is not None and name not in DTYPES:
        from ..errors import RulesetError

        raise RulesetError(f"brats_dice: dtype '{name}' is not one of {', '.join(DTYPES)}")
    per = CLASSES * shape[0] * shape[1] * shape[2]
    if name is None and int(lens[0]) % per == 0:
        name = BY_WIDTH.get(int(lens[0]) // per)
    want = per * np.dtype(DTYPES[name]).itemsize if name is not None else -1
    if (lens != want).any():
        bad = int(lens[lens != want][0])
        volume = f"{CLASSES} × {shape[0]} × {shape[1]} × {shape[2]}"
        raise CannotScore(f"a payload of {bad} bytes is not a {volume} {name} softmax volume ({want} bytes)"
                          if name is not None else
                          f"a payload of {bad} bytes is not a {volume} softmax volume ({2 * per} bytes as the "
                          "reference's float16; int8, float32 and float64 are read too)")
    return str(name)


def case_dice(pred: U8, gt_crop: U8, gt_voxels: tuple[int, int, int]) -> list[float]:
    """DICE per region of a predicted crop against the ground truth (background outside the crop)."""
    out = []
    for k, (p, g) in enumerate(((pred >= 1, gt_crop >= 1), (pred >= 2, gt_crop >= 2), (pred == 3, gt_crop == 3))):
        ps, gs = int(p.sum()), gt_voxels[k]
        out.append(float("nan") if ps == 0 and gs == 0 else 2.0 * int((p & g).sum()) / (ps + gs))
    return out


def score_dice(first: FirstPayloads, truth: BratsTruth, params: Mapping[str, Any] | None = None) -> Score:
    """Mean DICE over the three BraTS regions, a fraction, as accuracy-brats.py reports it."""
    params = params or {}
    shape = params_shape(params)
    if len(first.qsl) and int(first.qsl.max()) >= len(truth.cases):
        raise CannotScore(f"qsl_idx {int(first.qsl.max())} is beyond the {len(truth.cases)} cases of the case list")
    if len(first.qsl) == 0:
        raise CannotScore("the log holds no case")
    dtype = _dtype(np.diff(first.offsets), shape, params)
    per_case: list[list[float]] = []
    for i, q in enumerate(first.qsl.tolist()):
        case = truth.cases[q]
        raw = [b - a for a, b in case.bbox]
        if any(r > p for r, p in zip(raw, shape)):
            raise CannotScore(f"case {case.name} crops to {raw}, larger than the padded {list(shape)}")
        before = [(p - r) // 2 for p, r in zip(shape, raw)]
        vol = first.payload[first.offsets[i]:first.offsets[i + 1]].view(DTYPES[dtype]).reshape(CLASSES, *shape)
        sub = vol[:, before[0]:before[0] + raw[0], before[1]:before[1] + raw[1], before[2]:before[2] + raw[2]]
        # the script casts to float16 before the arg-max; float32 orders those values the same, faster
        pred = sub.astype(np.float16).astype(np.float32).argmax(axis=0).astype(np.uint8)
        (z0, z1), (y0, y1), (x0, x1) = case.bbox
        gt = _labels(Path(case.label_path))[z0:z1, y0:y1, x0:x1]
        per_case.append(case_dice(pred, gt, case.gt_voxels))
    table = np.array(per_case, np.float64)
    with np.errstate(invalid="ignore"):
        unrounded = [float(np.nanmean(col)) if (~np.isnan(col)).any() else float("nan") for col in table.T]
    rounded = [float(f"{m:.4f}") for m in unrounded]  # summary.csv's "%02.4f", read back by the script
    if any(np.isnan(rounded)):
        raise CannotScore("a region is empty in every logged case, ground truth and prediction alike; "
                          "its mean DICE is undefined")
    value = sum(rounded) / 3
    return Score("DICE", value, "brats_dice", dtype, {
        **dict(zip(REGIONS, rounded)), "unrounded": dict(zip(REGIONS, unrounded)),
        "mean_unrounded": sum(unrounded) / 3, "cases": len(first.qsl), "padded_shape": list(shape),
    })
