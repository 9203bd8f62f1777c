"""SQuAD v1.1 for the bert-99 sample: ground truth in the real formats, BERT's logits, the reference scoring.

Ground truth, written into the sample's datasets/squad/:

- ``dev-v1.1.json``: a synthetic (seeded) data set in the SQuAD v1.1 format (``data`` of
  articles, ``paragraphs`` with ``context`` and ``qas``: ``id``, ``question``, ``answers``
  with ``text`` and ``answer_start``). Made-up words, real structure: 10,570 questions
  whose contexts give exactly the 10,833 features of the real dev set at BERT's
  max_seq_length 384, doc_stride 128, max_query_length 64 (263 questions have a
  context long enough for two windows, as 263 real ones do).
- ``vocab.txt``: a WordPiece vocabulary, one token per line, the line number its id
  ([PAD], [UNK], [CLS], [SEP], [MASK], punctuation, digits, words, ``##`` pieces).
  Some words of the texts are not in it and split into pieces (``kalo ##mi``).

The SUT's response for feature i (the QSL index) is what the v0.7 reference BERT SUT
sends: 384 x 2 float32, start and end logit interleaved per token
(accuracy-squad.py reads it with ``np.frombuffer(..., np.float32).reshape(-1, 2)``).

Scoring (:func:`score_accuracy_log`) follows the v0.7 reference accuracy-squad.py and
evaluate-v1.1.py: features from the examples with BERT's tokenizer (lower case), the
n-best (20) spans of at most 30 tokens whose start has its maximum context in the
feature, the text projected back onto the context (get_final_text), then exact match and
token F1 against every answer, the best answer counting.

It is written apart from mlcheck's evaluator (checker/rescore/squad.py) on purpose, tokenizer
included: the sample's accuracy.txt comes from this re-expression of the reference scripts, and
re-scoring the sample with mlcheck must reach the same F1 — two implementations checking each other.
"""

from __future__ import annotations

import collections
import json
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_SEQ_LENGTH = 384
MAX_QUERY_LENGTH = 64
DOC_STRIDE = 128
N_BEST_SIZE = 20
MAX_ANSWER_LENGTH = 30
UNIQUE_ID_START = 1000000000

QUESTIONS = 10_570  # SQuAD v1.1 dev
FEATURES = 10_833  # ... at max_seq_length 384 / doc_stride 128: the accuracy set of bert-99
TWO_WINDOW_QUESTIONS = FEATURES - QUESTIONS  # 263 questions whose context needs two windows
ARTICLES = 48
QUESTIONS_PER_PARAGRAPH = 10

DATA_SEED = 20200918  # the synthetic data set
SUT_SEED = 10833  # the tiny SUT's logits
# The tiny SUT's answers: this share of the questions gets the answer's span exactly, this
# share a span one word off (longer, shorter or shifted), the rest a span elsewhere.
EXACT_SHARE = 0.81
NEAR_SHARE = 0.13

SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PUNCTUATION = (".", ",", "?", "!", "'", '"', "(", ")", "-", ":", ";")
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
SUFFIXES = ("s", "ed", "ing", "er", "ly", "ment", "ness", "ful")
WH = ("what", "which", "who", "where", "when", "how")


# ---------------------------------------------------------------------------
# BERT's tokenizer (BasicTokenizer + WordpieceTokenizer, do_lower_case=True)
# ---------------------------------------------------------------------------


def _is_whitespace(c: str) -> bool:
    return c in (" ", "\t", "\n", "\r") or unicodedata.category(c) == "Zs"


def _is_control(c: str) -> bool:
    if c in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(c) in ("Cc", "Cf")


def _is_punctuation(c: str) -> bool:
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def _is_chinese_char(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text: str, do_lower_case: bool = True) -> list[str]:
    """BERT's BasicTokenizer: clean, split CJK characters, lower case and strip accents, split punctuation."""
    cleaned = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or _is_control(c):
            continue
        cleaned.append(" " if _is_whitespace(c) else c)
    text = "".join(f" {c} " if _is_chinese_char(ord(c)) else c for c in "".join(cleaned))
    out: list[str] = []
    for token in text.strip().split():
        if do_lower_case:
            token = "".join(c for c in unicodedata.normalize("NFD", token.lower()) if unicodedata.category(c) != "Mn")
        word: list[str] = []
        for c in token:
            if _is_punctuation(c):
                if word:
                    out.append("".join(word))
                    word = []
                out.append(c)
            else:
                word.append(c)
        if word:
            out.append("".join(word))
    return out


@dataclass
class Tokenizer:
    """BERT's FullTokenizer (lower case): basic tokens, then greedy longest-match-first WordPiece."""

    vocab: dict[str, int]
    cache: dict[str, list[str]] = field(default_factory=dict)

    def wordpiece(self, token: str) -> list[str]:
        """The WordPiece split of one basic token ([UNK] when it cannot be split)."""
        hit = self.cache.get(token)
        if hit is not None:
            return hit
        if len(token) > 100:
            pieces = ["[UNK]"]
        else:
            pieces = []
            start = 0
            while start < len(token):
                end = len(token)
                cur = None
                while start < end:
                    sub = token[start:end] if start == 0 else "##" + token[start:end]
                    if sub in self.vocab:
                        cur = sub
                        break
                    end -= 1
                if cur is None:
                    pieces = ["[UNK]"]
                    break
                pieces.append(cur)
                start = end
        self.cache[token] = pieces
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens of a text."""
        return [p for t in basic_tokenize(text) for p in self.wordpiece(t)]


def read_vocab(path: Path) -> dict[str, int]:
    """vocab.txt: token -> id (its line number)."""
    return {line.strip(): i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines())}


# ---------------------------------------------------------------------------
# Examples and features (read_squad_examples, convert_examples_to_features)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One question: its id, text, the whitespace tokens of its context and their char offsets."""

    qas_id: str
    question: str
    doc_tokens: list[str]
    answers: list[tuple[str, int]]  # (text, answer_start)
    char_to_word: list[int]


@dataclass(frozen=True)
class Feature:
    """One window of one example, as BERT sees it."""

    unique_id: int
    example_index: int
    doc_span_index: int
    tokens: list[str]
    token_to_orig_map: dict[int, int]
    token_is_max_context: dict[int, bool]
    doc_start: int  # first doc token of the window (index into the example's WordPiece tokens)
    query_length: int


def read_examples(dataset: dict[str, Any]) -> list[Example]:
    """The examples of a SQuAD v1.1 file, contexts split on whitespace as the reference does."""
    examples = []
    for article in dataset["data"]:
        for paragraph in article["paragraphs"]:
            text = paragraph["context"]
            doc_tokens: list[str] = []
            char_to_word: list[int] = []
            prev_ws = True
            for c in text:
                if c in " \t\r\n" or ord(c) == 0x202F:
                    prev_ws = True
                else:
                    if prev_ws:
                        doc_tokens.append(c)
                    else:
                        doc_tokens[-1] += c
                    prev_ws = False
                char_to_word.append(len(doc_tokens) - 1)
            for qa in paragraph["qas"]:
                answers = [(a["text"], int(a["answer_start"])) for a in qa["answers"]]
                examples.append(Example(qa["id"], qa["question"], doc_tokens, answers, char_to_word))
    return examples


def _is_max_context(spans: list[tuple[int, int]], index: int, position: int) -> bool:
    best_score: float | None = None
    best = None
    for i, (start, length) in enumerate(spans):
        end = start + length - 1
        if position < start or position > end:
            continue
        score = min(position - start, end - position) + 0.01 * length
        if best_score is None or score > best_score:
            best_score, best = score, i
    return index == best


@dataclass
class DocTokens:
    """An example's context in WordPiece tokens, with the maps to and from its whitespace tokens."""

    tokens: list[str]
    tok_to_orig: list[int]
    orig_to_tok: list[int]


def doc_wordpieces(tok: Tokenizer, doc_tokens: list[str]) -> DocTokens:
    """The WordPiece tokens of a context's whitespace tokens (all_doc_tokens of the reference)."""
    out = DocTokens([], [], [])
    for i, t in enumerate(doc_tokens):
        out.orig_to_tok.append(len(out.tokens))
        for sub in tok.tokenize(t):
            out.tok_to_orig.append(i)
            out.tokens.append(sub)
    return out


def convert_examples(tok: Tokenizer, examples: list[Example]) -> list[Feature]:
    """The features of the examples, in order (QSL index = feature index)."""
    features: list[Feature] = []
    uid = UNIQUE_ID_START
    docs: dict[int, DocTokens] = {}  # contexts are shared by their questions: tokenize each once
    for ex_index, ex in enumerate(examples):
        query = tok.tokenize(ex.question)[:MAX_QUERY_LENGTH]
        key = id(ex.doc_tokens)
        doc = docs.get(key)
        if doc is None:
            doc = docs[key] = doc_wordpieces(tok, ex.doc_tokens)
        max_doc = MAX_SEQ_LENGTH - len(query) - 3
        spans: list[tuple[int, int]] = []
        start = 0
        while start < len(doc.tokens):
            length = min(len(doc.tokens) - start, max_doc)
            spans.append((start, length))
            if start + length == len(doc.tokens):
                break
            start += min(length, DOC_STRIDE)
        for span_index, (start, length) in enumerate(spans):
            tokens = ["[CLS]", *query, "[SEP]"]
            to_orig: dict[int, int] = {}
            max_ctx: dict[int, bool] = {}
            for i in range(length):
                split = start + i
                to_orig[len(tokens)] = doc.tok_to_orig[split]
                max_ctx[len(tokens)] = _is_max_context(spans, span_index, split)
                tokens.append(doc.tokens[split])
            tokens.append("[SEP]")
            features.append(Feature(uid, ex_index, span_index, tokens, to_orig, max_ctx, start, len(query)))
            uid += 1
    return features


# ---------------------------------------------------------------------------
# Post-processing (write_predictions, get_final_text) and evaluate-v1.1
# ---------------------------------------------------------------------------


def get_final_text(pred_text: str, orig_text: str, do_lower_case: bool = True) -> str:
    """Project the de-tokenized prediction back onto the original text (the reference's heuristic)."""

    def strip_spaces(text: str) -> tuple[str, dict[int, int]]:
        chars: list[str] = []
        mapping: dict[int, int] = {}
        for i, c in enumerate(text):
            if c == " ":
                continue
            mapping[len(chars)] = i
            chars.append(c)
        return "".join(chars), mapping

    tok_text = " ".join(basic_tokenize(orig_text, do_lower_case))
    start = tok_text.find(pred_text)
    if start == -1:
        return orig_text
    end = start + len(pred_text) - 1
    orig_ns, orig_map = strip_spaces(orig_text)
    tok_ns, tok_map = strip_spaces(tok_text)
    if len(orig_ns) != len(tok_ns):
        return orig_text
    tok_s_to_ns = {tok_index: i for i, tok_index in tok_map.items()}
    orig_start = orig_map.get(tok_s_to_ns[start]) if start in tok_s_to_ns else None
    if orig_start is None:
        return orig_text
    orig_end = orig_map.get(tok_s_to_ns[end]) if end in tok_s_to_ns else None
    if orig_end is None:
        return orig_text
    return orig_text[orig_start : orig_end + 1]


def _best_indexes(logits: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.int64]:
    # sorted(enumerate(logits), key=value, reverse=True)[:n]: ties keep index order
    return np.argsort(-logits, kind="stable")[:n]


def _best_span(f: Feature, lg: npt.NDArray[np.float64]) -> tuple[float, int, int] | None:
    """The first of the reference's prelim predictions of one feature: (score, start, end), or None.

    The reference pairs the 20 best start and the 20 best end indexes, in that order, and
    keeps a pair when both lie in the context part of the window, the start has its
    maximum context there, end >= start and the span has at most 30 tokens; the pairs are
    then sorted by start + end logit, ties in pairing order. Only the first pair makes the
    prediction (the n-best list starts with it), so this returns that pair.
    """
    starts, ends = _best_indexes(lg[:, 0], N_BEST_SIZE), _best_indexes(lg[:, 1], N_BEST_SIZE)
    lo = f.query_length + 2  # [CLS] query [SEP]
    hi = lo + len(f.token_to_orig_map)  # one past the last context token
    s, e = np.meshgrid(starts, ends, indexing="ij")
    max_ctx = np.zeros(len(f.tokens), dtype=bool)
    for i, flag in f.token_is_max_context.items():
        max_ctx[i] = flag
    ok = (s >= lo) & (s < hi) & (e >= lo) & (e < hi) & (e >= s) & (e - s + 1 <= MAX_ANSWER_LENGTH)
    ok &= max_ctx[np.clip(s, 0, len(f.tokens) - 1)]
    if not ok.any():
        return None
    score = lg[s, 0] + lg[e, 1]
    flat = np.flatnonzero(ok.reshape(-1))
    best = flat[int(np.argmax(score.reshape(-1)[flat]))]  # argmax: the first of equal scores
    return float(score.reshape(-1)[best]), int(s.reshape(-1)[best]), int(e.reshape(-1)[best])


def predictions(examples: list[Example], features: list[Feature],
                logits: dict[int, npt.NDArray[np.float64]]) -> dict[str, str]:
    """qas_id -> predicted text; `logits` maps a feature index to its (384, 2) start/end logits."""
    by_example: dict[int, list[int]] = collections.defaultdict(list)
    for i, f in enumerate(features):
        by_example[f.example_index].append(i)
    out: dict[str, str] = {}
    for ex_index, ex in enumerate(examples):
        best: tuple[float, int, int, int] | None = None  # (score, feature, start, end)
        for fi in by_example[ex_index]:
            # a KeyError here is the v0.7 script's on a feature missing from the log
            span = _best_span(features[fi], logits[fi])
            if span is not None and (best is None or span[0] > best[0]):  # ties: the earlier feature
                best = (span[0], fi, span[1], span[2])
        if best is None:
            out[ex.qas_id] = "empty"
            continue
        _score, fi, s, e = best
        f = features[fi]
        tok_text = " ".join(f.tokens[s : e + 1]).replace(" ##", "").replace("##", "")
        tok_text = " ".join(tok_text.strip().split())
        orig_text = " ".join(ex.doc_tokens[f.token_to_orig_map[s] : f.token_to_orig_map[e] + 1])
        out[ex.qas_id] = get_final_text(tok_text, orig_text)
    return out


def normalize_answer(s: str) -> str:
    """evaluate-v1.1.py: lower case, no punctuation, no articles, single spaces."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def f1_score(prediction: str, truth: str) -> float:
    """Token F1 of evaluate-v1.1.py."""
    p, t = normalize_answer(prediction).split(), normalize_answer(truth).split()
    same = sum((collections.Counter(p) & collections.Counter(t)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(t)
    return (2 * precision * recall) / (precision + recall)


def evaluate(dataset: dict[str, Any], preds: dict[str, str]) -> dict[str, float]:
    """{"exact_match", "f1"} in percent over every question of the data set (a missing one scores 0)."""
    em = f1 = 0.0
    total = 0
    for article in dataset["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                total += 1
                if qa["id"] not in preds:
                    continue
                truths = [a["text"] for a in qa["answers"]]
                pred = preds[qa["id"]]
                em += max(float(normalize_answer(pred) == normalize_answer(t)) for t in truths)
                f1 += max(f1_score(pred, t) for t in truths)
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1 / total}


def accuracy_txt(score: dict[str, float]) -> str:
    """accuracy.txt as the v0.7 submissions have it: evaluate-v1.1's JSON line, then the script's progress."""
    return (
        json.dumps(score) + "\n"
        "Reading examples...\n"
        "No cached features at 'eval_features.pickle'... converting from examples...\n"
        "Creating tokenizer...\n"
        "Converting examples to features...\n"
        "Loading LoadGen logs...\n"
        "Post-processing predictions...\n"
        "Writing predictions to: predictions.json\n"
        "Evaluating predictions...\n"
    )


def load_logits(accuracy_log: Path) -> dict[int, npt.NDArray[np.float64]]:
    """qsl_idx -> (384, 2) logits of an accuracy log, as load_loadgen_log reads them (the last entry wins)."""
    out: dict[int, npt.NDArray[np.float64]] = {}
    for entry in json.loads(accuracy_log.read_text(encoding="utf-8")):
        raw = np.frombuffer(bytes.fromhex(entry["data"]), "<f4").reshape(-1, 2)
        padded = np.full((MAX_SEQ_LENGTH, 2), -10000.0)
        padded[: raw.shape[0]] = raw
        out[int(entry["qsl_idx"])] = padded
    return out


def score_accuracy_log(accuracy_log: Path, dataset_path: Path, vocab_path: Path) -> dict[str, float]:
    """EM and F1 of an accuracy log against dev-v1.1.json and vocab.txt, as the reference scores it."""
    dataset = json.loads(dataset_path.read_text(encoding="utf-8"))
    examples = read_examples(dataset)
    features = convert_examples(Tokenizer(read_vocab(vocab_path)), examples)
    return evaluate(dataset, predictions(examples, features, load_logits(accuracy_log)))


# ---------------------------------------------------------------------------
# The synthetic data set and the tiny SUT's logits
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroundTruth:
    """The synthetic SQuAD files' contents, with the examples and features the SUT answers."""

    dataset: dict[str, Any]
    vocab: list[str]
    examples: list[Example]
    features: list[Feature]


def _words(rng: np.random.Generator, n: int, syllables: list[str], lo: int, hi: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        k = int(rng.integers(lo, hi + 1))
        out.add("".join(syllables[int(i)] for i in rng.integers(0, len(syllables), k)))
    return sorted(out)


class _Writer:
    """Builds paragraphs from made-up words: sentences, commas, years, capitals."""

    def __init__(self, rng: np.random.Generator, stems: list[str], syllables: list[str]) -> None:
        self.rng = rng
        self.stems = stems
        self.syllables = syllables

    def word(self) -> str:
        r = self.rng.random()
        stem = self.stems[int(self.rng.integers(0, len(self.stems)))]
        if r < 0.70:
            return stem
        if r < 0.88:  # an inflected word: stem ##suffix
            return stem + SUFFIXES[int(self.rng.integers(0, len(SUFFIXES)))]
        if r < 0.96:  # a word the vocabulary lacks: stem ##syl ##syl
            return stem + "".join(self.syllables[int(i)] for i in self.rng.integers(0, len(self.syllables), 2))
        return str(int(self.rng.integers(1700, 2021)))  # a year: digits and ##digits

    def sentence(self) -> list[str]:
        words = [self.word() for _ in range(int(self.rng.integers(6, 15)))]
        words[0] = words[0].capitalize()
        for i in range(1, len(words) - 1):
            if self.rng.random() < 0.08:
                words[i] += ","
        words[-1] += "."
        return words

    def paragraph(self, min_words: int, max_words: int) -> list[list[str]]:
        sentences: list[list[str]] = []
        n = 0
        target = int(self.rng.integers(min_words, max_words + 1))
        while n < target:
            s = self.sentence()
            sentences.append(s)
            n += len(s)
        return sentences


def _clean(word: str) -> str:
    return word.rstrip(".,")


def _question(rng: np.random.Generator, sentence: list[str], a: int, b: int) -> str:
    """A question made of the words around the answer span [a, b] of its sentence."""
    around = [_clean(w).lower() for i, w in enumerate(sentence) if i < a or i > b]
    k = min(len(around), int(rng.integers(2, 5)))
    picked = sorted(rng.choice(len(around), size=k, replace=False).tolist()) if k else []
    return " ".join([WH[int(rng.integers(0, len(WH)))], *(around[i] for i in picked)]) + "?"


def make_ground_truth() -> GroundTruth:
    """The synthetic SQuAD v1.1 dev set (10,570 questions, 10,833 features) and its vocabulary."""
    rng = np.random.default_rng(DATA_SEED)
    syllables = sorted({c + v for c in CONSONANTS for v in VOWELS})
    stems = _words(rng, 900, syllables, 1, 3)
    letters = string.ascii_lowercase
    vocab = [*SPECIAL, *PUNCTUATION, *(str(d) for d in range(10)), *letters, *stems,
             *(f"##{s}" for s in SUFFIXES), *(f"##{s}" for s in syllables),
             *(f"##{d}" for d in range(10)), *(f"##{c}" for c in letters)]
    vocab = list(dict.fromkeys(vocab))  # a stem equal to a syllable appears once
    tok = Tokenizer({t: i for i, t in enumerate(vocab)})
    writer = _Writer(rng, stems, syllables)

    # Paragraph plan: long contexts (two windows) hold TWO_WINDOW_QUESTIONS questions.
    plan: list[tuple[bool, int]] = []  # (long, questions)
    left_long, left = TWO_WINDOW_QUESTIONS, QUESTIONS
    while left:
        long = left_long > 0
        n = min(QUESTIONS_PER_PARAGRAPH, left_long if long else left)
        plan.append((long, n))
        left -= n
        left_long -= n if long else 0
    order = rng.permutation(len(plan))
    plan = [plan[int(i)] for i in order]

    articles: list[dict[str, Any]] = [{"title": f"Synthetic_article_{i + 1:02d}", "paragraphs": []}
                                      for i in range(ARTICLES)]
    qid = 0
    for p_index, (long, n) in enumerate(plan):
        while True:
            sentences = writer.paragraph(240, 275) if long else writer.paragraph(35, 90)
            words = [w for s in sentences for w in s]
            n_tok = len(doc_wordpieces(tok, words).tokens)
            # long: more than one window for any question of <= 15 tokens, fewer than three
            if (400 <= n_tok <= 480) if long else (n_tok <= 300):
                break
        context = " ".join(words)
        starts = np.cumsum([0, *(len(w) + 1 for w in words)])
        sentence_first = np.cumsum([0, *(len(s) for s in sentences)])
        qas = []
        for _ in range(n):
            s_index = int(rng.integers(0, len(sentences)))
            sent = sentences[s_index]
            length = int(rng.integers(1, min(4, len(sent) - 1) + 1))
            a = int(rng.integers(0, len(sent) - length + 1))
            b = a + length - 1
            while True:
                question = _question(rng, sent, a, b)
                if len(tok.tokenize(question)) <= 15:
                    break
            first = int(sentence_first[s_index]) + a
            spans = [(a, b)]
            if rng.random() < 0.2:  # a second annotator: the same span, or one word less
                spans.append((a, b) if length == 1 or rng.random() < 0.5 else (a + 1, b))
            answers = []
            for x, y in spans:
                begin = int(starts[first + (x - a)])
                text = " ".join(sent[x : y + 1])
                text = text.rstrip(".,")
                answers.append({"answer_start": begin, "text": text})
                assert context[begin : begin + len(text)] == text
            qid += 1
            qas.append({"answers": answers, "question": question, "id": f"{DATA_SEED:08x}{qid:08x}"})
        articles[p_index % ARTICLES]["paragraphs"].append({"context": context, "qas": qas})
    dataset = {"data": articles, "version": "1.1"}
    examples = read_examples(dataset)
    features = convert_examples(tok, examples)
    if len(features) != FEATURES:
        raise AssertionError(f"the synthetic SQuAD set gives {len(features)} features, not {FEATURES}")
    return GroundTruth(dataset, vocab, examples, features)


def write_ground_truth(gt: GroundTruth, folder: Path) -> tuple[Path, Path]:
    """Write dev-v1.1.json and vocab.txt into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data, vocab = folder / "dev-v1.1.json", folder / "vocab.txt"
    data.write_text(json.dumps(gt.dataset, separators=(",", ":")) + "\n", encoding="utf-8", newline="\n")
    vocab.write_text("".join(f"{t}\n" for t in gt.vocab), encoding="utf-8", newline="\n")
    return data, vocab


def _token_span(doc: DocTokens, first_word: int, last_word: int) -> tuple[int, int]:
    """WordPiece span of whitespace tokens [first_word, last_word], without trailing punctuation pieces."""
    start = doc.orig_to_tok[first_word]
    end = (doc.orig_to_tok[last_word + 1] if last_word + 1 < len(doc.orig_to_tok) else len(doc.tokens)) - 1
    while end > start and all(_is_punctuation(c) for c in doc.tokens[end]):
        end -= 1
    return start, end


def make_logits(gt: GroundTruth) -> npt.NDArray[np.float32]:
    """The tiny SUT's (10,833, 384, 2) float32 start/end logits, one row per feature.

    Per question it picks a span (the first answer's, one word off it, or elsewhere in
    the context), then gives that span's start and end token a high logit in every
    window that holds it; every other position gets noise.
    """
    rng = np.random.default_rng(SUT_SEED)
    tok = Tokenizer({t: i for i, t in enumerate(gt.vocab)})
    examples, features = gt.examples, gt.features
    logits = rng.normal(-1.0, 1.0, size=(len(features), MAX_SEQ_LENGTH, 2)).astype(np.float32)
    docs: dict[int, DocTokens] = {}
    by_example: dict[int, list[int]] = collections.defaultdict(list)
    for i, f in enumerate(features):
        by_example[f.example_index].append(i)
    for ex_index, ex in enumerate(examples):
        key = id(ex.doc_tokens)
        doc = docs.get(key)
        if doc is None:
            doc = docs[key] = doc_wordpieces(tok, ex.doc_tokens)
        text, begin = ex.answers[0]
        a = ex.char_to_word[begin]
        b = ex.char_to_word[begin + len(text) - 1]
        n_words = len(ex.doc_tokens)
        r = rng.random()
        if r < EXACT_SHARE:
            span = (a, b)
        elif r < EXACT_SHARE + NEAR_SHARE:
            options = [(max(0, a - 1), b), (a, min(n_words - 1, b + 1)), (a + 1, b + 1) if b + 1 < n_words else (a, b)]
            if b > a:
                options += [(a + 1, b), (a, b - 1)]
            span = options[int(rng.integers(0, len(options)))]
        else:
            x = int(rng.integers(0, n_words))
            span = (x, min(n_words - 1, x + int(rng.integers(0, 3))))
        s_tok, e_tok = _token_span(doc, *span)
        for fi in by_example[ex_index]:
            f = features[fi]
            length = len(f.token_to_orig_map)
            if f.doc_start <= s_tok and e_tok < f.doc_start + length:
                offset = f.query_length + 2 - f.doc_start
                logits[fi, s_tok + offset, 0] = 8.0 + rng.random()
                logits[fi, e_tok + offset, 1] = 8.0 + rng.random()
    return logits


def dataset_words(gt: GroundTruth) -> Iterable[str]:
    """Every context word (for tests)."""
    for article in gt.dataset["data"]:
        for paragraph in article["paragraphs"]:
            yield from paragraph["context"].split()
