"""The Inference v0.7 evaluators (SQuAD F1, DLRM AUC, RNN-T WER, 3D-UNet DICE), end to end.

Each test builds small ground truth in the real format, has the real LoadGen write the accuracy log
from payloads encoded as the reference SUTs encode them, scores it through the reader and the
evaluator, and checks the score against an independent computation (written here; for SQuAD the
sample generator's re-expression of evaluate-v1.1.py).
"""

from __future__ import annotations

import array
import gzip
import json
import os
import pickle
import random
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rescore_helpers import loadgen_log

from checker.rescore import brats, dlrm, evaluators, rnnt, squad
from checker.rescore.reader import FirstPayloads, scan_log
from checker.rescore.score import CannotScore, GroundTruthError, Score

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "reference_logs"))
from generator import squad as reference_squad  # the sample generator's own SQuAD scoring


def loadgen_accuracy_log(workdir: Path, payloads: list[bytes]) -> Path:
    """Run the real LoadGen (Offline, AccuracyOnly) over a QSL of len(payloads) samples; the SUT answers
    sample i with payloads[i]. Returns the mlperf_log_accuracy.json it writes."""
    lg = pytest.importorskip("mlperf_loadgen")
    out = workdir / "loadgen"
    out.mkdir()
    keep: list[array.array[int]] = []

    def issue(samples: Any) -> None:
        responses = []
        for s in samples:
            buf = array.array("B", payloads[s.index])
            keep.append(buf)
            addr, n = buf.buffer_info()
            responses.append(lg.QuerySampleResponse(s.id, addr, n))
        lg.QuerySamplesComplete(responses)

    sut = lg.ConstructSUT(issue, lambda: None)
    qsl = lg.ConstructQSL(len(payloads), len(payloads), lambda s: None, lambda s: None)
    ts = lg.TestSettings()
    ts.scenario = lg.TestScenario.Offline
    ts.mode = lg.TestMode.AccuracyOnly
    ls = lg.LogSettings()
    ls.log_output.outdir = str(out)
    ls.log_output.copy_summary_to_stdout = False
    cwd = os.getcwd()
    os.chdir(out)  # LoadGen reads audit.config from the working directory: none here
    try:
        lg.StartTestWithLogSettings(sut, qsl, ts, ls)
    finally:
        os.chdir(cwd)
        lg.DestroyQSL(qsl)
        lg.DestroySUT(sut)
    return out / "mlperf_log_accuracy.json"


def scanned(log: Path, samples: int) -> FirstPayloads:
    scan, first = scan_log(log, samples)
    assert first is not None and not scan.problems
    return first


def rescored(log: Path, samples: int, evaluator: str, truth: Any, params: dict[str, Any] | None = None) -> Score:
    """As a rescore job does it: the reader's first payloads, the registry's evaluator, and the ground
    truth after a trip through pickle (it crosses to a worker process)."""
    return evaluators.get(evaluator).score(scanned(log, samples), pickle.loads(pickle.dumps(truth)), params or {})


# ============================================================== SQuAD v1.1 (BERT)
def _official(dataset: dict[str, Any], preds: Mapping[str, str]) -> tuple[float, float]:
    """evaluate-v1.1.py's exact match and F1, as the sample generator writes it out again from the
    published formulas (independent of checker.rescore.squad)."""
    s = reference_squad.evaluate(dataset, dict(preds))
    return s["exact_match"], s["f1"]


_FILLER = ["the", "committee", "met", "in", "old", "hall", "and", "spoke", "about", "physics", "chemistry",
           "medicine", "literature", "peace", "economics", "while", "members", "of", "academy", "listened", "to",
           "long", "report", "prizes"]


def _long_context(words: int, rng: random.Random) -> str:
    filler = [rng.choice(_FILLER) for _ in range(words)]
    # a phrase where the first two windows overlap (its maximum context is the second), and one at the end
    text = " ".join(["Founded", "by", "Alfred", "Nobel", "in", "Sweden", *filler[:290],
                     "chosen", "by", "the", "Karolinska", "Institute", *filler[290:]])
    return text[0].upper() + text[1:] + ". It was finally held in Stockholm during December (1901-1902)."


def _squad_dataset(rng: random.Random) -> dict[str, Any]:
    ctx1 = ("The Nobel Prize in Physics is awarded by the Royal Swedish Academy of Sciences. "
            "Wilhelm Röntgen received the first prize in 1901, for his discovery of X-rays.")
    ctx2 = "The ceremony takes place in Zürich's old hall, not in Oslo; unbelievable but true."
    ctx3 = _long_context(420, rng)
    return {"version": "1.1", "data": [
        {"title": "Nobel_Prize", "paragraphs": [
            {"context": ctx1, "qas": [
                {"id": "q1", "question": "Who awards the Nobel Prize in Physics?",
                 "answers": [{"text": "the Royal Swedish Academy of Sciences", "answer_start": 43},
                             {"text": "Royal Swedish Academy of Sciences", "answer_start": 47}]},
                {"id": "q2", "question": "Who received the first physics prize?",
                 "answers": [{"text": "Wilhelm Röntgen", "answer_start": 82}]},
                {"id": "q3", "question": "What did Röntgen discover?",
                 "answers": [{"text": "X-rays", "answer_start": 150}]},
            ]},
            {"context": ctx2, "qas": [
                {"id": "q4", "question": "Where is the ceremony?",
                 "answers": [{"text": "Zürich's old hall", "answer_start": 27}, {"text": "Zürich", "answer_start": 27}]},
            ]},
        ]},
        {"title": "Long", "paragraphs": [
            {"context": ctx3, "qas": [
                {"id": "q5", "question": "Where was it finally held?", "answers": [{"text": "Stockholm", "answer_start": 0}]},
                {"id": "q6", "question": "When?", "answers": [{"text": "December", "answer_start": 0}]},
                {"id": "q7", "question": "Who chooses?", "answers": [{"text": "the Karolinska Institute",
                                                                     "answer_start": 0}]},
            ]},
        ]},
    ]}


def _squad_vocab(path: Path, dataset: dict[str, Any]) -> list[str]:
    """A WordPiece vocabulary for the texts: their lower-cased words and punctuation, with some words
    only as pieces (forcing splits) and one missing (an [UNK])."""
    words: set[str] = set()
    for art in dataset["data"]:
        for para in art["paragraphs"]:
            texts = [para["context"]] + [qa["question"] for qa in para["qas"]]
            for t in texts:
                words.update(re.findall(r"\w+|[^\w\s]", t.lower().replace("ü", "u").replace("ö", "o")))
    words -= {"stockholm", "unbelievable", "wilhelm", "1901", "1902"}
    vocab = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words),
             "stock", "##holm", "un", "##believ", "##able", "19", "##01", "##02", "##s"]
    path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return vocab


def _windows(n: int, max_doc: int) -> list[tuple[int, int]]:
    out, start = [], 0
    while True:
        length = min(n - start, max_doc)
        out.append((start, length))
        if start + length == n:
            return out
        start += min(length, 128)


def _is_max_context(windows: list[tuple[int, int]], w: int, pos: int) -> bool:
    best, best_w = -1.0, -1
    for i, (s, n) in enumerate(windows):
        if s <= pos <= s + n - 1:
            score = min(pos - s, s + n - 1 - pos) + 0.01 * n
            if score > best:
                best, best_w = score, i
    return best_w == w


class _SquadCase:
    """Features laid out with the `tokenizers` library (an independent WordPiece), and logits chosen per
    question so that one span of the context wins; what the prediction must be follows from the offsets."""

    def __init__(self, tmp: Path, seed: int = 7) -> None:
        tokenizers = pytest.importorskip("tokenizers")
        rng = random.Random(seed)
        self.dataset = _squad_dataset(rng)
        self.dir = tmp / "squad"
        self.dir.mkdir()
        (self.dir / "dev-v1.1.json").write_text(json.dumps(self.dataset), encoding="utf-8")
        _squad_vocab(self.dir / "vocab.txt", self.dataset)
        self.tok = tokenizers.BertWordPieceTokenizer(str(self.dir / "vocab.txt"), lowercase=True)
        self.features: list[dict[str, Any]] = []
        for art in self.dataset["data"]:
            for para in art["paragraphs"]:
                enc = self.tok.encode(para["context"], add_special_tokens=False)
                for qa in para["qas"]:
                    q = self.tok.encode(qa["question"], add_special_tokens=False).tokens[:64]
                    wins = _windows(len(enc.tokens), 384 - len(q) - 3)
                    for w, (s, n) in enumerate(wins):
                        self.features.append({"qid": qa["id"], "context": para["context"], "offsets": enc.offsets,
                                              "q": len(q), "start": s, "len": n, "w": w, "wins": wins})
        self.np_rng = np.random.default_rng(seed)

    def logits(self, targets: Mapping[str, str], traps: bool = True, ties: Mapping[str, str] | None = None
               ) -> tuple[list[np.ndarray], dict[str, str]]:
        """Per feature the (384, 2) float32 logits; `targets` maps a question to the context text to point at,
        `ties` to a second text scored the same (the first feature holding one wins). Returns the logits and
        the predictions they must give (the context slice of the chosen pieces)."""
        out: list[np.ndarray] = []
        expected: dict[str, str] = {}
        self.last_position = 0
        self.overlap_traps = 0
        for f in self.features:
            m = self.np_rng.uniform(-3.0, -1.0, size=(384, 2)).astype(np.float32)
            for text in (targets.get(f["qid"]), (ties or {}).get(f["qid"])):
                if text is None:
                    continue
                c0 = f["context"].index(text)
                c1 = c0 + len(text)
                pieces = [k for k, (a, b) in enumerate(f["offsets"]) if a >= c0 and b <= c1]
                a, b = pieces[0], pieces[-1]
                if f["start"] <= a and b < f["start"] + f["len"]:
                    lo = f["q"] + 2
                    sa, sb = lo + a - f["start"], lo + b - f["start"]
                    self.last_position = max(self.last_position, sb)
                    if _is_max_context(f["wins"], f["w"], a):
                        m[sa, 0], m[sb, 1] = 10.0, 10.0
                        expected.setdefault(f["qid"], f["context"][f["offsets"][a][0]:f["offsets"][b][1]])
                    else:  # a longer span, higher, but its start has no maximum context in this window
                        assert sb + 1 < lo + f["len"]
                        m[sa, 0], m[sb + 1, 1] = 15.0, 15.0
                        self.overlap_traps += 1
            if traps and f["len"] > 100:  # a span longer than 30 tokens, higher than any answer
                lo = f["q"] + 2
                m[lo + 8, 0], m[lo + 48, 1] = 12.0, 12.0
            if traps:
                # question tokens and padding are never an answer; they put the answer's start at rank 1
                # and its end at rank 2, off the diagonal of the 20 × 20 candidates
                m[1, 0], m[1, 1], m[2, 1] = 50.0, 50.0, 45.0
                m[min(f["q"] + f["len"] + 5, 383), 1] = 40.0
            out.append(m)
        return out, expected


def _bert_payload(m: np.ndarray) -> bytes:
    # as the reference SUTs log it: np.stack([start_logits, end_logits], axis=-1), float32 bytes
    return np.stack([m[:, 0], m[:, 1]], axis=-1).astype(np.float32).tobytes()


TARGETS = {"q1": "Royal Swedish Academy of Sciences", "q2": "Wilhelm Röntgen received", "q3": "X-rays",
           "q4": "Zürich", "q5": "Stockholm", "q6": "Stockholm during December", "q7": "Karolinska Institute"}


def test_wordpiece_matches_the_tokenizers_library(tmp_path: Path) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "nobel", "prize", "zurich", "(", ")", ".", ",",
             "-", "'", "s", "1895", "19", "##43", "un", "##believ", "##able", "東", "京", "$", "5", "a", "##a"]
    (tmp_path / "vocab.txt").write_text("\n".join(vocab) + "\n")
    theirs = tokenizers.BertWordPieceTokenizer(str(tmp_path / "vocab.txt"), lowercase=True)
    ours = squad.WordPiece(squad.load_vocab(tmp_path / "vocab.txt"))
    for text in ["The Nobel Prize, Zürich (1895-1943).", "unbelievable UNBELIEVABLE unbelievablex", "東京 the\u3000nobel",
                 "a" * 100, "a" * 101, "The [SEP] prize", "$5,prize's", "zurich\u200bthe\u00a0a", "the\x00the\ufffd",
                 "NOBEL\tprize\r\nthe", "ｔｈｅ Zu\u0308rich"]:
        assert ours.tokenize(text) == theirs.encode(text, add_special_tokens=False).tokens, text
    assert squad.basic_tokenize("ΟΔΟΣ.") == ["οδος", "."]  # Python's final sigma, as the reference lower-cases


_PIECES = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "nobel", "zurich", "東", "a", "ab", "##b", "##ab",
           "x", "##x", "σ", "ος", "é", "e", "1", "##1", "(", ".", "-", "'"]
# no capital sigma: Python's lower() (the reference's BertTokenizer) writes a word-final one as ς, the
# Rust normaliser of tokenizers as σ; the deterministic test below pins Python's behaviour
_ALPHABET = list("abxABXeE1 (.-'\t\n\r") + ["é", "É", "ü", "σ", "ς", "東", "京", "\u00a0", "\u3000", "\u2028",
                                              "\x00", "\x01", "\x7f", "\u200b", "\ufffd", "e\u0301", "ﬁ", "[SEP]"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=40).map("".join))
def test_wordpiece_matches_the_tokenizers_library_on_any_text(tmp_path_factory: pytest.TempPathFactory,
                                                              text: str) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    vocab = tmp_path_factory.getbasetemp() / "wordpiece-vocab.txt"
    if not vocab.exists():
        vocab.write_text("\n".join(_PIECES) + "\n", encoding="utf-8")
    theirs = tokenizers.BertWordPieceTokenizer(str(vocab), lowercase=True)
    assert squad.WordPiece(frozenset(_PIECES)).tokenize(text) == theirs.encode(text, add_special_tokens=False).tokens


def test_squad_f1_end_to_end_through_loadgen(tmp_path: Path) -> None:
    case = _SquadCase(tmp_path)
    truth = evaluators.get("squad_f1").load(case.dir)
    assert len(truth.features) == len(case.features) > len(truth.questions)  # the long paragraph has 2+ windows
    logits, expected = case.logits(TARGETS, ties={"q6": "Alfred Nobel"})
    assert set(expected) == set(TARGETS) and case.overlap_traps == 1
    assert expected["q6"] == "Alfred Nobel"  # the first window's span, scored the same as the last's
    log = loadgen_accuracy_log(tmp_path, [_bert_payload(m) for m in logits])
    out = rescored(log, len(case.features), "squad_f1", truth)
    preds, _how = squad.predictions(scanned(log, len(case.features)), truth)
    ids = [qa["id"] for art in case.dataset["data"] for p in art["paragraphs"] for qa in p["qas"]]
    assert dict(zip(ids, preds)) == expected
    em, f1 = _official(case.dataset, expected)
    assert 0 < em < 100 and 0 < f1 < 100  # some right, some partial
    assert out.value == pytest.approx(f1, abs=1e-9)
    assert out.detail["exact_match"] == pytest.approx(em, abs=1e-9)
    assert out.dtype == "float32"


def test_squad_transposed_float16_and_short_payloads(tmp_path: Path) -> None:
    case = _SquadCase(tmp_path)
    truth = squad.load_squad(case.dir / "dev-v1.1.json")  # the vocabulary found beside the file
    logits, expected = case.logits(TARGETS, traps=False)
    _em, f1 = _official(case.dataset, expected)
    transposed = [m.T.astype(np.float32).tobytes() for m in logits]
    s = squad.score_squad(_first_from(tmp_path / "t", transposed), truth, {"transposed": True})
    assert s.value == pytest.approx(f1, abs=1e-9)
    halves = [m.astype(np.float16).tobytes() for m in logits]  # 384 × 2 × 2 bytes: read as float16
    s16 = squad.score_squad(_first_from(tmp_path / "h", halves), truth)
    assert s16.dtype == "float16" and s16.value == pytest.approx(f1, abs=1e-9)
    # a payload of fewer positions is padded with -10000, as the reference pads it
    cut = case.last_position + 1
    assert cut < 384
    short = [m[:cut].astype(np.float32).tobytes() for m in logits]
    assert squad.score_squad(_first_from(tmp_path / "s", short), truth).value == pytest.approx(f1, abs=1e-9)


def _first_from(folder: Path, payloads: list[bytes]) -> FirstPayloads:
    folder.mkdir()
    return scanned(loadgen_log(folder / "log.json", list(enumerate(payloads))), len(payloads))


def test_squad_unlogged_questions_score_empty(tmp_path: Path) -> None:
    case = _SquadCase(tmp_path)
    truth = squad.load_squad(case.dir)
    logits, expected = case.logits(TARGETS)
    keep = [i for i, f in enumerate(case.features) if f["qid"] not in ("q2", "q4")]
    log = loadgen_log(tmp_path / "partial.json", [(i, _bert_payload(logits[i])) for i in keep])
    s = squad.score_squad(scanned(log, len(case.features)), truth)
    want = {**{k: v for k, v in expected.items() if k not in ("q2", "q4")}, "q2": "empty", "q4": "empty"}
    em, f1 = _official(case.dataset, want)
    assert s.value == pytest.approx(f1, abs=1e-9) and s.detail["exact_match"] == pytest.approx(em, abs=1e-9)
    assert s.detail["questions"] == len(TARGETS) and s.detail["features_logged"] == len(keep)


def test_squad_bad_ground_truth(tmp_path: Path) -> None:
    case = _SquadCase(tmp_path)
    with pytest.raises(GroundTruthError, match="vocab"):
        squad.load_squad(_copy_without(case.dir, tmp_path / "novocab", "vocab.txt"))
    with pytest.raises(GroundTruthError, match="dev-v1.1.json"):
        squad.load_squad(_copy_without(case.dir, tmp_path / "nodev", "dev-v1.1.json"))
    bad = tmp_path / "v2"
    bad.mkdir()
    (bad / "vocab.txt").write_text((case.dir / "vocab.txt").read_text())
    doc = json.loads((case.dir / "dev-v1.1.json").read_text())
    doc["version"] = "v2.0"
    (bad / "dev-v1.1.json").write_text(json.dumps(doc))
    with pytest.raises(GroundTruthError, match="v1.1"):
        squad.load_squad(bad)
    (bad / "dev-v1.1.json").write_text('{"data": [{"paragraphs": [{"context": 3, "qas": []}]}]}')
    with pytest.raises(GroundTruthError, match="context"):
        squad.load_squad(bad)
    (bad / "dev-v1.1.json").write_text("[1, 2")
    with pytest.raises(GroundTruthError):
        squad.load_squad(bad)
    (bad / "vocab.txt").write_text("the\nprize\n")
    with pytest.raises(GroundTruthError, match="UNK"):
        squad.load_squad(bad)
    # the vocabulary as its own --dataset entry
    assert squad.load_squad(case.dir / "dev-v1.1.json", {"squad_vocab": case.dir / "vocab.txt"}).features


def _copy_without(src: Path, dst: Path, name: str) -> Path:
    dst.mkdir()
    for p in src.iterdir():
        if p.name != name:
            (dst / p.name).write_bytes(p.read_bytes())
    return dst


def test_squad_unscorable_logs(tmp_path: Path) -> None:
    case = _SquadCase(tmp_path)
    truth = squad.load_squad(case.dir)
    n = len(case.features)
    logits, _ = case.logits(TARGETS)
    with pytest.raises(CannotScore, match="beyond"):
        squad.score_squad(scanned(loadgen_log(tmp_path / "a.json", [(n, _bert_payload(logits[0]))]), n + 1), truth)
    with pytest.raises(CannotScore, match="bytes"):
        squad.score_squad(scanned(loadgen_log(tmp_path / "b.json", [(0, b"\0" * 12)]), n), truth)
    with pytest.raises(CannotScore, match="bytes"):  # more than 384 positions
        squad.score_squad(scanned(loadgen_log(tmp_path / "c.json", [(0, b"\0" * 8 * 385)]), n), truth)
    nan = logits[0].copy()
    nan[7, 0] = np.nan
    with pytest.raises(CannotScore, match="NaN"):
        squad.score_squad(scanned(loadgen_log(tmp_path / "d.json", [(0, _bert_payload(nan))]), n), truth)


def test_squad_empty_context_makes_no_feature(tmp_path: Path) -> None:
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nwho\n?\n")
    doc = {"version": "1.1", "data": [{"paragraphs": [{"context": " ", "qas": [
        {"id": "e", "question": "Who?", "answers": [{"text": "empty", "answer_start": 0}]}]}]}]}
    (tmp_path / "dev-v1.1.json").write_text(json.dumps(doc))
    truth = squad.load_squad(tmp_path)
    assert truth.features == () and len(truth.questions) == 1
    empty = FirstPayloads(np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.uint8))
    s = squad.score_squad(empty, truth)  # the reference's nonce prediction "empty" for an unanswered question
    assert s.value == 100.0 and s.detail["exact_match"] == 100.0


def test_squad_official_formulas_agree() -> None:
    for pred, gold in [("The Royal Academy!", "royal academy"), ("an apple a day", "apple day"), ("", "x"),
                       ("a b c", "c b a d"), ("Zürich's hall", "zürichs hall")]:
        assert squad.f1(pred, gold) == pytest.approx(reference_squad.f1_score(pred, gold))
        same = reference_squad.normalize_answer(pred) == reference_squad.normalize_answer(gold)
        assert (squad.normalize_answer(pred) == squad.normalize_answer(gold)) == same


# ============================================================== Criteo AUC (DLRM)
def _criteo(tmp: Path, sizes: list[int], seed: int = 3, gz: bool = False) -> tuple[Path, np.ndarray]:
    """A day_23 in the real format (label, 13 integers, 26 hex categories, tab-separated; some fields
    empty) with more lines than the trace covers, and the reference's aggregation trace."""
    rng = np.random.default_rng(seed)
    folder = tmp / "criteo"
    folder.mkdir()
    total = sum(sizes)
    labels = (rng.random(total + 7) < 0.3).astype(np.int64)
    lines = []
    for lab in labels:
        ints = [str(int(v)) if rng.random() > 0.1 else "" for v in rng.integers(0, 500, 13)]
        cats = [f"{int(v):08x}" if rng.random() > 0.1 else "" for v in rng.integers(0, 2**32, 26)]
        lines.append("\t".join([str(lab), *ints, *cats]))
    text = ("\n".join(lines) + "\n").encode()
    if gz:
        (folder / "day_23.gz").write_bytes(gzip.compress(text))
    else:
        (folder / "day_23").write_bytes(text)
    trace, s = [], 0
    for n in sizes:
        trace.append(f"{s}, {s + n}, {n}")
        s += n
    (folder / "dlrm_trace_of_aggregated_samples.txt").write_text("\n".join(trace) + "\n")
    return folder, labels[:total]


def _brute_auc(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


SIZES = [5, 1, 12, 7, 3, 9, 700, 2]


@pytest.mark.parametrize("with_labels", [True, False])
def test_auc_end_to_end_against_a_pair_count(tmp_path: Path, with_labels: bool) -> None:
    folder, labels = _criteo(tmp_path, SIZES)
    truth = evaluators.get("criteo_auc").load(folder)
    rng = np.random.default_rng(11)
    # predictions on a coarse grid so that ties between clicks and non-clicks occur; some exactly 0.5
    preds = (np.round(rng.random(len(labels)) * 20) / 20 * 0.6 + labels * 0.25).astype(np.float32)
    preds[::17] = np.float32(0.5)
    bounds = np.concatenate([[0], np.cumsum(SIZES)])
    payloads = []
    for i in range(len(SIZES)):
        p, y = preds[bounds[i]:bounds[i + 1]], labels[bounds[i]:bounds[i + 1]].astype(np.float32)
        # the reference SUT: np.array([[result, target], ...], np.float32).tobytes(); else the prediction alone
        payloads.append(np.stack([p, y], axis=1).astype(np.float32).tobytes() if with_labels else p.tobytes())
    log = loadgen_accuracy_log(tmp_path, payloads)
    out = rescored(log, len(SIZES), "criteo_auc", truth)
    want = _brute_auc([float(x) for x in preds], [int(v) for v in labels])
    assert out.value == pytest.approx(100 * want, abs=1e-12)
    d = out.detail
    good = sum(1 for p, y in zip(preds.tolist(), labels.tolist()) if round(p) == y)  # Python's round: half to even
    assert d["click_accuracy"] == pytest.approx(100 * good / len(labels)) and d["pairs"] == len(labels)
    assert d["samples"] == len(SIZES) and d["clicks"] == int(labels.sum())
    assert d.get("logged_label_mismatches", 0) == 0


def test_auc_on_a_subset_of_samples_and_gzip(tmp_path: Path) -> None:
    folder, labels = _criteo(tmp_path, SIZES, seed=5, gz=True)
    truth = dlrm.load_criteo(folder / "day_23.gz")  # the trace found beside the file
    rng = np.random.default_rng(2)
    preds = rng.random(len(labels)).astype(np.float32)
    bounds = np.concatenate([[0], np.cumsum(SIZES)])
    chosen = [0, 2, 6]
    entries = [(i, preds[bounds[i]:bounds[i + 1]].tobytes()) for i in chosen]
    s = dlrm.score_auc(scanned(loadgen_log(tmp_path / "log.json", entries), len(SIZES)), truth)
    idx = [k for i in chosen for k in range(bounds[i], bounds[i + 1])]
    assert s.value == pytest.approx(100 * _brute_auc(preds[idx].tolist(), labels[idx].tolist()), abs=1e-12)
    assert s.detail["payload"] == "float32 prediction per pair" and "logged_label_mismatches" not in s.detail


def test_auc_counts_logged_labels_that_disagree_with_day_23(tmp_path: Path) -> None:
    folder, labels = _criteo(tmp_path, [4, 4])
    truth = dlrm.load_criteo(folder, {"criteo_trace": folder / "dlrm_trace_of_aggregated_samples.txt"})
    preds = np.linspace(0.1, 0.9, 8, dtype=np.float32)
    logged = labels.astype(np.float32).copy()
    logged[[1, 6]] = 1 - logged[[1, 6]]
    entries = [(i, np.stack([preds[4 * i:4 * i + 4], logged[4 * i:4 * i + 4]], axis=1).tobytes()) for i in (0, 1)]
    s = dlrm.score_auc(scanned(loadgen_log(tmp_path / "log.json", entries), 2), truth)
    assert s.detail["logged_label_mismatches"] == 2
    if 0 < labels.sum() < 8:
        assert s.value == pytest.approx(100 * _brute_auc(preds.tolist(), labels.tolist()))


def test_criteo_bad_ground_truth(tmp_path: Path) -> None:
    folder, _ = _criteo(tmp_path, [3, 3])
    trace = folder / "dlrm_trace_of_aggregated_samples.txt"
    trace.write_text("0, 3, 3\n4, 6, 2\n")  # not contiguous
    with pytest.raises(GroundTruthError, match="consecutive"):
        dlrm.load_criteo(folder)
    trace.write_text("0, 3, 3\n3, 1000, 997\n")  # more pairs than day_23 has lines
    with pytest.raises(GroundTruthError, match="lines"):
        dlrm.load_criteo(folder)
    trace.write_text("zero, 3, 3\n")
    with pytest.raises(GroundTruthError, match="line 1"):
        dlrm.load_criteo(folder)
    trace.write_text("0, 3, 3\n")
    day = folder / "day_23"
    day.write_bytes(b"1\t2\t3\n0\t4\n2\t5\n")  # a label 2
    with pytest.raises(GroundTruthError, match="line 3"):
        dlrm.load_criteo(folder)
    day.unlink()
    with pytest.raises(GroundTruthError, match="day_23"):
        dlrm.load_criteo(folder)


def test_auc_unscorable_logs(tmp_path: Path) -> None:
    folder, _labels = _criteo(tmp_path, [3, 5])
    truth = dlrm.load_criteo(folder)
    with pytest.raises(CannotScore, match="bytes"):
        dlrm.score_auc(scanned(loadgen_log(tmp_path / "a.json", [(0, b"\0" * 20)]), 2), truth)
    with pytest.raises(CannotScore, match="beyond"):
        dlrm.score_auc(scanned(loadgen_log(tmp_path / "b.json", [(2, b"\0" * 12)]), 3), truth)
    nan = np.array([0.1, np.nan, 0.3], np.float32).tobytes()
    with pytest.raises(CannotScore, match="NaN"):
        dlrm.score_auc(scanned(loadgen_log(tmp_path / "c.json", [(0, nan)]), 2), truth)
    one_class = tmp_path / "one"
    one_class.mkdir()
    (one_class / "day_23").write_text("0\t1\t\t3\n0\t2\t\t4\n1\t5\t\t6\n")
    (one_class / "dlrm_trace_of_aggregated_samples.txt").write_text("0, 2, 2\n2, 3, 1\n")
    with pytest.raises(CannotScore, match="both"):
        dlrm.score_auc(scanned(loadgen_log(tmp_path / "d.json", [(0, b"\0" * 8)]), 2), dlrm.load_criteo(one_class))


# ============================================================== LibriSpeech WER (RNN-T)
MANIFEST = [  # (transcript as the manifest carries it, duration, the normalised text the reference scores)
    ("HE HOPED THERE WOULD BE STEW FOR DINNER", 4.2, "he hoped there would be stew for dinner"),
    ("MR. QUILTER IS THE APOSTLE OF THE MIDDLE CLASSES", 5.8, "mister quilter is the apostle of the middle classes"),
    ("THIS ONE IS TOO LONG TO BE KEPT", 15.01, None),
    ("IT'S A FINE DAY, ISN'T IT?  SAID DR. BROWN -- AND SMITH & SONS", 12.5,
     "it's a fine day isn't it said doctor brown and smith and sons"),
    ("EXACTLY FIFTEEN SECONDS", 15.0, "exactly fifteen seconds"),
    ("A+B", 1.0, "a plus b"),
]


def _manifest(tmp: Path, rows: list[tuple[str, float, str | None]] = MANIFEST) -> Path:
    doc = [{"transcript": t, "files": [{"channels": 1, "sample_rate": 16000.0, "bitrate": 16, "duration": d,
                                        "num_samples": int(d * 16000), "encoding": "Signed Integer PCM",
                                        "silent": False, "fname": f"dev-clean-wav/{i}.wav", "speed": 1}],
            "original_duration": d, "original_num_samples": int(d * 16000)} for i, (t, d, _) in enumerate(rows)]
    path = tmp / "dev-clean-wav.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def _ids(text: str) -> list[int]:
    labels = " abcdefghijklmnopqrstuvwxyz'"
    return [labels.index(c) for c in text]


def _levenshtein(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, y in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (x != y))
    return d[-1]


HYPS = ["he hoped there would be stew for dinner", "mister quilter is the apostle of the middle class",
        "its a fine day isnt it said doctor brown and smith and sons sons", "exactly fifteen", "a plus b"]


@pytest.mark.parametrize("code,dtype", [("q", "int64"), ("b", "int8"), ("h", "int16")])
def test_wer_end_to_end_against_edit_distance(tmp_path: Path, code: str, dtype: str) -> None:
    truth = evaluators.get("librispeech_wer").load(_manifest(tmp_path))
    refs = [r for _, _, r in MANIFEST if r is not None]
    assert list(truth.transcripts) == refs and truth.dropped == 1
    # the reference SUT: array.array('q', transcript); the accuracy script also reads int8 and int16
    log = loadgen_accuracy_log(tmp_path, [array.array(code, _ids(h)).tobytes() for h in HYPS])
    out = rescored(log, len(refs), "librispeech_wer", truth)
    edits = [_levenshtein(h.split(), r.split()) for h, r in zip(HYPS, refs)]
    try:
        import editdistance
    except ImportError:
        pass
    else:
        assert edits == [editdistance.eval(h.split(), r.split()) for h, r in zip(HYPS, refs)]
    words = sum(len(r.split()) for r in refs)
    assert out.value == pytest.approx(100 * (1 - sum(edits) / words), abs=1e-12)
    assert out.detail["wer"] == pytest.approx(100 * sum(edits) / words, abs=1e-12)
    assert out.dtype == dtype and out.metric == "100-WER"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 5), max_size=12), st.lists(st.integers(0, 5), max_size=12)),
                min_size=1, max_size=20))
def test_batched_edit_distance_equals_the_plain_recursion(pairs: list[tuple[list[int], list[int]]]) -> None:
    hyps = [[f"w{x}" for x in h] for h, _ in pairs]
    refs = [[f"w{x}" for x in r] for _, r in pairs]
    old = rnnt.DP_CELLS
    rnnt.DP_CELLS = 16  # several batches
    try:
        got = rnnt.word_distances(hyps, refs).tolist()
    finally:
        rnnt.DP_CELLS = old
    assert got == [_levenshtein(h, r) for h, r in zip(hyps, refs)]


def test_wer_bad_ground_truth(tmp_path: Path) -> None:
    with pytest.raises(GroundTruthError, match="digits"):
        rnnt.load_manifest(_manifest(tmp_path, [("CHAPTER 1", 2.0, None)]))
    path = tmp_path / "dev-clean-wav.json"
    for doc, match in [({"a": 1}, "list"), ([{"transcript": "A"}], "original_duration"),
                       ([{"original_duration": 2.0}], "transcript"), ([{"transcript": "A", "original_duration": 20}],
                                                                      "at most")]:
        path.write_text(json.dumps(doc))
        with pytest.raises(GroundTruthError, match=match):
            rnnt.load_manifest(tmp_path)
    path.write_text("[{")
    with pytest.raises(GroundTruthError):
        rnnt.load_manifest(path)


def test_wer_unscorable_logs(tmp_path: Path) -> None:
    truth = rnnt.load_manifest(_manifest(tmp_path))
    with pytest.raises(CannotScore, match="28"):  # the blank is never emitted
        rnnt.score_wer(scanned(loadgen_log(tmp_path / "a.json", [(0, array.array("q", [8, 28]).tobytes())]), 5), truth)
    with pytest.raises(CannotScore, match="beyond"):
        rnnt.score_wer(scanned(loadgen_log(tmp_path / "b.json", [(5, array.array("q", [8]).tobytes())]), 6), truth)
    with pytest.raises(CannotScore, match="char"):
        rnnt.score_wer(scanned(loadgen_log(tmp_path / "c.json", [(0, b"\xff\x00\x00")]), 5), truth)


# ============================================================== BraTS DICE (3D-UNet)
SHAPE_XYZ = (14, 12, 9)  # nibabel (x, y, z); nnU-Net works in (z, y, x)
BOX_ZYX = ((1, 8), (2, 11), (3, 12))  # the non-zero brain of every case, [start, stop) per axis


def _nifti(path: Path, data_zyx: np.ndarray) -> None:
    import nibabel as nib

    nib.save(nib.Nifti1Image(np.ascontiguousarray(data_zyx.transpose(2, 1, 0)), np.diag([1.0, 1.0, 1.0, 1.0])),
             str(path))


def _brats(tmp: Path, n: int, seed: int = 1) -> tuple[Path, list[str], list[np.ndarray]]:
    """A Task043 folder: labelsTr/ (nnU-Net labels 0-3), imagesTr/ (4 modalities, non-zero in the box,
    with a hole), and preprocessed_files.pkl naming the cases in an order that is not sorted."""
    rng = np.random.default_rng(seed)
    root = tmp / "Task043_BraTS2019"
    (root / "labelsTr").mkdir(parents=True)
    (root / "imagesTr").mkdir()
    names = [f"BraTS19_TCIA0{k}_{100 + k}_1" for k in range(n)]
    labels = []
    shape = SHAPE_XYZ[::-1]
    (z0, z1), (y0, y1), (x0, x1) = BOX_ZYX
    for k, name in enumerate(names):
        lab = np.zeros(shape, np.uint8)
        sub = rng.choice([0, 0, 1, 2, 3], size=(z1 - z0 - 2, y1 - y0 - 2, x1 - x0 - 2), p=[.3, .2, .2, .2, .1])
        lab[z0 + 1:z1 - 1, y0 + 1:y1 - 1, x0 + 1:x1 - 1] = sub
        if k == 1:
            lab[lab == 3] = 0  # no enhancing tumor in this case
        _nifti(root / "labelsTr" / f"{name}.nii.gz", lab)
        labels.append(lab)
        for m in range(4):
            # the modalities reach different extents: the box is the union (first z-slice only in
            # modality 0, last x-column only in modality 1)
            img = np.zeros(shape, np.float32)
            za = z0 if m == 0 else z0 + 1
            xb = x1 if m == 1 else x1 - 1
            img[za:z1, y0:y1, x0:xb] = rng.uniform(1, 100, size=(z1 - za, y1 - y0, xb - x0))
            img[z0 + 2:z0 + 4, y0 + 3:y0 + 5, x0 + 3] = 0  # a hole inside: the box does not change
            _nifti(root / "imagesTr" / f"{name}_{m:04d}.nii.gz", img)
    order = [names[i] for i in [2, 0, 1, 3][:n]] if n == 4 else list(reversed(names))
    with (root / "preprocessed_files.pkl").open("wb") as f:
        pickle.dump(order, f)
    by_sample = [labels[names.index(c)] for c in order]
    return root, order, by_sample


def _softmax(pred_crop: np.ndarray, padded: tuple[int, int, int], rng: np.random.Generator, dtype: Any) -> bytes:
    """A softmax volume [4, *padded] whose arg-max in the centred crop is `pred_crop`; noise in the padding."""
    vol = rng.random((4, *padded)).astype(np.float32)
    raw = pred_crop.shape
    b = [(p - r) // 2 for p, r in zip(padded, raw)]
    crop = rng.random((4, *raw)).astype(np.float32) * 0.2
    for c in range(4):
        crop[c][pred_crop == c] += 0.7
    vol[:, b[0]:b[0] + raw[0], b[1]:b[1] + raw[1], b[2]:b[2] + raw[2]] = crop / crop.sum(axis=0)
    return vol.astype(dtype).tobytes()


def _independent_dice(preds_full: list[np.ndarray], gts: list[np.ndarray]) -> float:
    regions = [(1, 2, 3), (2, 3), (3,)]
    means = []
    for r in regions:
        vals = []
        for p, g in zip(preds_full, gts):
            pm, gm = np.isin(p, r), np.isin(g, r)
            if not pm.any() and not gm.any():
                continue  # NaN, left out of the mean
            vals.append(2 * np.logical_and(pm, gm).sum() / (pm.sum() + gm.sum()))
        means.append(round(float(np.mean(vals)), 4))  # summary.csv holds 4 decimals
    return sum(means) / 3


def _brats_preds(by_sample: list[np.ndarray], rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    (z0, z1), (y0, y1), (x0, x1) = BOX_ZYX
    crops, fulls = [], []
    for lab in by_sample:
        crop = lab[z0:z1, y0:y1, x0:x1].copy()
        flip = rng.random(crop.shape) < 0.15
        crop[flip] = rng.integers(0, 4, size=int(flip.sum()))
        full = np.zeros_like(lab)
        full[z0:z1, y0:y1, x0:x1] = crop
        crops.append(crop)
        fulls.append(full)
    return crops, fulls


@pytest.mark.parametrize("dtype,name", [(np.float16, "float16"), (np.float32, "float32")])
def test_dice_end_to_end_small_volumes(tmp_path: Path, dtype: Any, name: str) -> None:
    root, _order, by_sample = _brats(tmp_path, 4)
    truth = evaluators.get("brats_dice").load(root)
    assert [c.bbox for c in truth.cases] == [BOX_ZYX] * 4
    rng = np.random.default_rng(4)
    padded = (10, 13, 16)
    crops, fulls = _brats_preds(by_sample, rng)
    log = loadgen_accuracy_log(tmp_path, [_softmax(c, padded, rng, dtype) for c in crops])
    out = rescored(log, 4, "brats_dice", truth, {"padded_shape": padded})
    assert out.value == pytest.approx(_independent_dice(fulls, by_sample), abs=1e-12)
    assert out.dtype == name and 0 < out.value < 1


def _plain_json_first(log: Path) -> FirstPayloads:
    """The first payload per sample, read with json and bytes.fromhex as the reference scripts read the log."""
    seen: dict[int, bytes] = {}
    for e in json.loads(log.read_text()):
        seen.setdefault(int(e["qsl_idx"]), bytes.fromhex(e["data"]))
    qsl = sorted(seen)
    lens = [len(seen[q]) for q in qsl]
    return FirstPayloads(np.array(qsl, np.int64), np.concatenate([[0], np.cumsum(lens)]).astype(np.int64),
                         np.frombuffer(b"".join(seen[q] for q in qsl), np.uint8))


@pytest.fixture(scope="module")
def reference_size_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, brats.BratsTruth, float]:
    """One case at the reference's 4 × 224 × 224 × 160 float16 (64 MiB a payload, 128 MiB of hex)."""
    tmp = tmp_path_factory.mktemp("unet224")
    root, _order, by_sample = _brats(tmp, 1)
    rng = np.random.default_rng(9)
    crops, fulls = _brats_preds(by_sample, rng)
    log = loadgen_accuracy_log(tmp, [_softmax(crops[0], brats.PADDED_SHAPE, rng, np.float16)])
    return log, brats.load_brats(root), _independent_dice(fulls, by_sample)


def test_dice_at_the_reference_size(reference_size_log: tuple[Path, brats.BratsTruth, float]) -> None:
    log, truth, want = reference_size_log
    s = brats.score_dice(_plain_json_first(log), truth)
    assert s.dtype == "float16" and s.value == pytest.approx(want, abs=1e-12)


@pytest.mark.slow
def test_reader_reads_a_reference_size_3d_unet_log(reference_size_log: tuple[Path, brats.BratsTruth, float]) -> None:
    log, truth, want = reference_size_log
    assert brats.score_dice(scanned(log, 1), truth).value == pytest.approx(want, abs=1e-12)


def test_dice_subset_and_empty_regions(tmp_path: Path) -> None:
    root, order, by_sample = _brats(tmp_path, 4)
    truth = brats.load_brats(root, {"brats_order": root / "preprocessed_files.pkl"})
    rng = np.random.default_rng(5)
    crops, fulls = _brats_preds(by_sample, rng)
    k = order.index("BraTS19_TCIA01_101_1")  # the case without enhancing tumor: predict none there either
    crops[k][crops[k] == 3] = 0
    fulls[k][fulls[k] == 3] = 0
    padded = (8, 10, 10)
    chosen = [k, (k + 1) % 4]
    log = loadgen_log(tmp_path / "log.json", [(i, _softmax(crops[i], padded, rng, np.float16)) for i in chosen])
    s = brats.score_dice(scanned(log, 4), truth, {"padded_shape": padded})
    assert s.value == pytest.approx(_independent_dice([fulls[i] for i in chosen], [by_sample[i] for i in chosen]),
                                    abs=1e-12)
    assert s.detail["cases"] == 2


def test_brats_bad_ground_truth(tmp_path: Path) -> None:
    root, order, _ = _brats(tmp_path, 2)
    with (root / "preprocessed_files.pkl").open("wb") as f:
        pickle.dump([os.getcwd], f)  # a pickle that would call something
    with pytest.raises(GroundTruthError, match="refusing"):
        brats.load_brats(root)
    (root / "preprocessed_files.pkl").unlink()
    with pytest.raises(GroundTruthError, match="preprocessed_files"):
        brats.load_brats(root)
    (root / "preprocessed_files.txt").write_text("\n".join(order) + "\n")
    assert [c.name for c in brats.load_brats(root).cases] == order
    (root / "preprocessed_files.txt").write_text("../etc/passwd\n")
    with pytest.raises(GroundTruthError, match="not a file name"):
        brats.load_brats(root)
    (root / "preprocessed_files.txt").write_text("\n".join(order) + "\n")
    lab = np.zeros(SHAPE_XYZ[::-1], np.uint8)
    lab[3, 4, 5] = 4
    _nifti(root / "labelsTr" / f"{order[0]}.nii.gz", lab)  # BraTS's own label 4
    with pytest.raises(GroundTruthError, match="Task043"):
        brats.load_brats(root)
    _nifti(root / "labelsTr" / f"{order[0]}.nii.gz", np.zeros((3, 4, 5), np.uint8))
    with pytest.raises(GroundTruthError, match="voxels"):
        brats.load_brats(root)
    (root / "labelsTr" / f"{order[0]}.nii.gz").write_bytes(b"not a nifti")
    with pytest.raises(GroundTruthError, match="NIfTI"):
        brats.load_brats(root)
    with pytest.raises(GroundTruthError, match="folder"):
        brats.load_brats(root / "preprocessed_files.txt")


def test_dice_unscorable_logs(tmp_path: Path) -> None:
    root, _order, _by_sample = _brats(tmp_path, 2)
    truth = brats.load_brats(root)
    with pytest.raises(CannotScore, match="softmax volume"):
        brats.score_dice(scanned(loadgen_log(tmp_path / "a.json", [(0, b"\0" * 100)]), 2), truth)
    small = (6, 6, 6)  # smaller than the crop
    vol = np.zeros((4, *small), np.float16).tobytes()
    with pytest.raises(CannotScore, match="larger than the padded"):
        brats.score_dice(scanned(loadgen_log(tmp_path / "b.json", [(0, vol)]), 2), truth, {"padded_shape": small})
    with pytest.raises(CannotScore, match="beyond"):
        brats.score_dice(scanned(loadgen_log(tmp_path / "c.json", [(2, vol)]), 3), truth, {"padded_shape": small})


def test_registry_names_the_new_ground_truth() -> None:
    for name, dataset in [("squad_f1", "squad"), ("criteo_auc", "criteo"), ("librispeech_wer", "librispeech"),
                          ("brats_dice", "brats")]:
        ev = evaluators.get(name)
        assert ev.dataset == dataset and dataset in evaluators.DATASETS
        assert all(c in evaluators.DATASETS for c in ev.companions)
