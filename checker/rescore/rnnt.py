"""Word error rate for RNN-T (MLPerf Inference v0.7) from the logged character ids and the transcripts.

What the v0.7 reference does, and so what this module reads (mlcommons/inference,
speech_recognition/rnnt; the round is r0.7 @ 75018167: pytorch_SUT.py was read at 257028f9,
accuracy_eval.py and QSL.py in copies of that era, pytorch/parts/manifest.py and
parts/text/cleaners.py as the v0.7 submitters ship them, inference_results_v0.7 @ 1321d137):

- Alphabet: the 28 labels `" ", "a" … "z", "'"` (ids 0–27); id 28 is the RNN-T blank, which the
  greedy decoder never emits (the reference's decoding has no entry for it, nor for any other id).
- Ground truth: the LibriSpeech dev-clean manifest the reference builds, `dev-clean-wav.json`: a
  JSON list of `{"transcript", "files": [{"fname", "speed", …}], "original_duration",
  "original_num_samples"}`. Entries longer than 15 s (`original_duration` > 15.0) are dropped, the
  rest keep the file's order (2,513 for dev-clean); sample i is the i-th kept entry. Each transcript
  is normalised as the manifest loader does it: lower case, the English abbreviations with a dot
  expanded ("mr." → "mister" …), punctuation other than the apostrophe, "&" and "+" turned into
  spaces, "&" → " and ", "+" → " plus ", whitespace collapsed, stripped, and any character outside
  the alphabet dropped. The loader also transliterates to ASCII and spells out numbers; LibriSpeech
  transcripts have neither, and a manifest with digits or non-ASCII text is refused here rather than
  normalised differently.
- Payload: the decoded character ids of the sample, in order; the reference SUT logs int64
  (`array('q', transcript)`), the accuracy script also reads int8 and int16 (its `int32` option is
  the C long, 8 bytes on Linux). The type is `dtype` when the rules give it, else the widest of int64,
  int32, int16, int8 under which every id is a label.
- Score: WER = total word-level Levenshtein distance / total reference words (hypothesis and
  reference split on whitespace), over the logged samples; reported as 100 − WER in percent, the
  accuracy the rules use, with the WER beside it.

Where the log logs a sample twice, the first payload counts (the reference counts every entry).
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score

LABELS = (" ", *"abcdefghijklmnopqrstuvwxyz", "'")
BLANK = len(LABELS)
MAX_DURATION = 15.0  # seconds; the reference QSL's Manifest(max_duration=15.0)
MANIFEST_NAMES = ("dev-clean-wav.json",)
_WIDTHS = (("int64", "<i8"), ("int32", "<i4"), ("int16", "<i2"), ("int8", "i1"))
_CODES = np.frombuffer("".join(LABELS).encode("ascii"), np.uint8)
_LABELSET = frozenset(LABELS)
_ABBREVIATIONS = tuple((re.compile(rf"\b{a}\.", re.IGNORECASE), b) for a, b in (
    ("mrs", "misess"), ("mr", "mister"), ("dr", "doctor"), ("st", "saint"), ("co", "company"),
    ("jr", "junior"), ("maj", "major"), ("gen", "general"), ("drs", "doctors"), ("rev", "reverend"),
    ("lt", "lieutenant"), ("hon", "honorable"), ("sgt", "sergeant"), ("capt", "captain"),
    ("esq", "esquire"), ("ltd", "limited"), ("col", "colonel"), ("ft", "fort")))
_PUNCT = "".join(c for c in string.punctuation if c not in "+&" and c not in _LABELSET)
_TABLE = str.maketrans(_PUNCT, " " * len(_PUNCT))
_WS = re.compile(r"\s+")
DP_CELLS = 1 << 20  # utterances × hypothesis words per batch of the edit-distance recursion

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class LibriTruth:
    transcripts: tuple[str, ...]  # normalised, one per sample
    dropped: int  # manifest entries longer than MAX_DURATION


def normalize_transcript(text: str) -> str:
    """A transcript as the reference manifest loader normalises it (english_cleaners, then the alphabet)."""
    t = text.lower()
    for regex, word in _ABBREVIATIONS:
        t = regex.sub(word, t)
    t = t.translate(_TABLE).replace("&", " and ").replace("+", " plus ")
    t = _WS.sub(" ", t).strip()
    return "".join(c for c in t if c in _LABELSET)


def load_manifest(path: Path, companions: Mapping[str, Path] | None = None) -> LibriTruth:
    """The transcripts of the samples: dev-clean-wav.json (or a folder holding it), entries ≤ 15 s."""
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                path = path / name
                break
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GroundTruthError(f"cannot read the LibriSpeech manifest {path}: {exc}",
                               "Pass --dataset librispeech=PATH/dev-clean-wav.json (the manifest the "
                               "reference's convert_librispeech.py writes).") from exc
    if not isinstance(doc, list) or not doc:
        raise GroundTruthError(f"{path.name} is not a manifest (a non-empty JSON list of utterances)")
    out: list[str] = []
    dropped = 0
    for i, entry in enumerate(doc):
        if not isinstance(entry, dict):
            raise GroundTruthError(f"{path.name}: entry {i} is not an object")
        duration = entry.get("original_duration")
        if isinstance(duration, bool) or not isinstance(duration, (int, float)):
            raise GroundTruthError(f"{path.name}: entry {i} has no numeric original_duration")
        if duration > MAX_DURATION:
            dropped += 1
            continue
        text = entry.get("transcript")
        if not isinstance(text, str):
            raise GroundTruthError(f"{path.name}: entry {i} has no transcript string",
                                   "The reference's dev-clean-wav.json carries each transcript inline.")
        if not text.isascii() or any(c.isdigit() for c in text):
            raise GroundTruthError(f"{path.name}: entry {i}'s transcript has digits or non-ASCII text "
                                   f"({text[:40]!r}); the reference spells numbers out and transliterates, "
                                   "which mlcheck does not reproduce",
                                   "LibriSpeech dev-clean transcripts are plain upper-case words.")
        out.append(normalize_transcript(text))
    if not out:
        raise GroundTruthError(f"{path.name} has no utterance of at most {MAX_DURATION:g} s")
    return LibriTruth(tuple(out), dropped)


def decode(first: FirstPayloads, dtype: str | None = None) -> tuple[list[str], str]:
    """The hypothesis text per logged sample, and the id type read."""
    lens = np.diff(first.offsets)
    tried = [w for w in _WIDTHS if dtype is None or w[0] == dtype]
    if not tried:
        from ..errors import RulesetError

        raise RulesetError(f"librispeech_wer: dtype '{dtype}' is not one of "
                           + ", ".join(w[0] for w in _WIDTHS))
    for name, fmt in tried:
        width = np.dtype(fmt).itemsize
        if (lens % width).any():
            continue
        ids = first.payload.view(fmt) if len(first.payload) else np.zeros(0, fmt)
        if len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= BLANK):
            continue
        text = _CODES[ids].tobytes().decode("ascii")
        cuts = (first.offsets // width).tolist()
        return [text[a:b] for a, b in zip(cuts, cuts[1:])], name
    raise CannotScore("the payloads are not character ids 0–27 of the RNN-T alphabet under "
                      + ", ".join(w[0] for w in tried) + " (a blank, 28, or another value is logged)")


def word_distances(hyps: list[list[str]], refs: list[list[str]]) -> I64:
    """Word-level Levenshtein distance of each hypothesis to its reference, batched over utterances."""
    vocab: dict[str, int] = {}
    h_ids = [np.array([vocab.setdefault(w, len(vocab)) for w in h], np.int64) for h in hyps]
    r_ids = [np.array([vocab.setdefault(w, len(vocab)) for w in r], np.int64) for r in refs]
    out = np.zeros(len(hyps), np.int64)
    order = sorted(range(len(hyps)), key=lambda u: len(h_ids[u]))
    i = 0
    while i < len(order):
        j = i + 1
        while j < len(order) and (j + 1 - i) * (len(h_ids[order[j]]) + 1) <= DP_CELLS:
            j += 1
        _batch([h_ids[u] for u in order[i:j]], [r_ids[u] for u in order[i:j]], out, order[i:j])
        i = j
    return out


def _batch(hs: list[I64], rs: list[I64], out: I64, where: list[int]) -> None:
    # rows are reference words (bounded by the ground truth), columns the hypothesis words
    u = len(hs)
    m = np.array([len(h) for h in hs], np.int64)
    n = np.array([len(r) for r in rs], np.int64)
    width, rows = int(m.max()), int(n.max())
    hyp = np.full((u, width), -1, np.int64)
    ref = np.full((u, max(rows, 1)), -2, np.int64)
    for k in range(u):
        hyp[k, :m[k]] = hs[k]
        ref[k, :n[k]] = rs[k]
    col = np.arange(width + 1, dtype=np.int64)
    prev = np.tile(col, (u, 1))
    res = np.where(n == 0, m, 0)
    for i in range(rows):
        cost = (hyp != ref[:, i:i + 1]).astype(np.int64)
        tmp = np.empty_like(prev)
        tmp[:, 0] = i + 1
        np.minimum(prev[:, 1:] + 1, prev[:, :-1] + cost, out=tmp[:, 1:])
        cur = col + np.minimum.accumulate(tmp - col, axis=1)  # insertions: a running minimum along the row
        done = n == i + 1
        res[done] = cur[done, m[done]]
        prev = cur
    out[where] = res


def score_wer(first: FirstPayloads, truth: LibriTruth, params: Mapping[str, Any] | None = None) -> Score:
    """100 − WER in percent over the logged samples (WER = word edits / reference words)."""
    params = params or {}
    if len(first.qsl) and int(first.qsl.max()) >= len(truth.transcripts):
        raise CannotScore(f"qsl_idx {int(first.qsl.max())} is beyond the {len(truth.transcripts)} utterances "
                          f"of at most {MAX_DURATION:g} s in the manifest")
    hyps, dtype = decode(first, params.get("dtype"))
    refs = [truth.transcripts[q].split() for q in first.qsl.tolist()]
    words = sum(len(r) for r in refs)
    if words == 0:
        raise CannotScore("the logged samples' transcripts hold no word; WER is undefined")
    edits = int(word_distances([h.split() for h in hyps], refs).sum())
    wer = edits / words
    return Score("100-WER", 100.0 * (1.0 - wer), "librispeech_wer", dtype, {
        "wer": 100.0 * wer, "edits": edits, "words": words, "samples": len(first.qsl),
    })
