"""SQuAD v1.1 F1 and exact match for BERT (MLPerf Inference v0.7) from the logged start/end logits.

What the v0.7 reference does, and so what this module reads (mlcommons/inference, language/bert;
the round is r0.7 @ 75018167, whose copies were not at hand: accuracy-squad.py was read at 0872edc6
and in an earlier copy whose get_final_text still uses the basic tokeniser, as the 2020 script
did; create_squad_data.py at 2659c1b1; evaluate_v1.1.py at 03c283d6):

- Ground truth: the SQuAD v1.1 dev set, `dev-v1.1.json` (`{"version": "1.1", "data": [{"paragraphs":
  [{"context", "qas": [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}`), and the
  BERT-Large uncased WordPiece vocabulary `vocab.txt` (one token per line, line number = id). The
  reference keeps the vocabulary at `bert_tf_v1_1_large_fp32_384_v2/vocab.txt` beside the dev set.
- Features: each question's paragraph split on whitespace (space, tab, CR, LF, U+202F) into words,
  each word WordPiece-tokenised (BERT basic tokenisation, lower case, accents stripped, punctuation and
  CJK characters split; greedy longest-match with `##` continuations; [UNK] past 100 characters),
  the question tokenised and cut to 64 tokens, the paragraph's tokens cut into windows of
  384 − len(query) − 3 tokens every 128 (doc_stride); one feature per window, in question order.
  A feature's index in that order is its `qsl_idx` (10,833 features for the 10,570 questions).
- Payload: the feature's logits as the SUTs log them (`np.stack([start, end], axis=-1)`), float32
  little-endian, row-major [positions, 2] = (start, end) per position, 384 positions; a shorter
  payload is padded with -10000 as the reference pads it. `transposed: true` reads [2, positions]
  (the reference's `--output_transposed`); float16 when `dtype: float16` is given or every payload is
  384 × 2 × 2 bytes.
- Post-processing: per feature the 20 best start and 20 best end positions (stable, highest first);
  a pair counts when both lie in the paragraph part, the start has its maximum context in this
  window, end ≥ start and the span is at most 30 tokens; the prediction is the first pair of highest
  start + end logit over the question's features, its WordPiece text projected back onto the
  original words (get_final_text, with the basic tokeniser), or "empty" when no pair counts.
- Score: the official v1.1 evaluation: answers normalised (lower case, punctuation and the articles
  a/an/the removed, whitespace collapsed), exact match and token F1 each taken as the maximum over a
  question's answers, averaged over every question of the data set, in percent.

Where the log logs a feature twice, the first payload counts (the reference keeps the last).
"""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .reader import FirstPayloads
from .score import CannotScore, GroundTruthError, Score

MAX_SEQ_LENGTH = 384
DOC_STRIDE = 128
MAX_QUERY_LENGTH = 64
N_BEST = 20
MAX_ANSWER_LENGTH = 30
PAD_LOGIT = -10000.0  # what the reference pads a short payload with
MAX_WORD_CHARS = 100  # longer words become [UNK] (WordpieceTokenizer.max_input_chars_per_word)
SPECIAL_TOKENS = ("[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]")
VOCAB_PLACES = ("vocab.txt", "bert_tf_v1_1_large_fp32_384_v2/vocab.txt")

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


# ---------------------------------------------------------------- BERT tokenisation
def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    return ch not in "\t\n\r" and unicodedata.category(ch).startswith("C")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    # every ASCII non-letter, non-digit is punctuation to BERT, '$' and '^' included
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def _clean_char(ch: str) -> str:
    cp = ord(ch)
    if cp == 0 or cp == 0xFFFD or _is_control(ch):
        return ""
    if _is_whitespace(ch):
        return " "
    return f" {ch} " if _is_cjk(cp) else ch


# the same character by character for ASCII, in one C pass: controls go, tab/CR/LF become spaces
_ASCII_CLEAN = {i: None for i in (*range(32), 127)} | {9: " ", 10: " ", 13: " "}
_ASCII_PUNCT = re.compile(r"[!-/:-@\[-`{-~]|[^!-/:-@\[-`{-~]+")


def _clean_and_space_cjk(text: str) -> str:
    if text.isascii():
        return text.translate(_ASCII_CLEAN)
    return "".join(_clean_char(ch) for ch in text)


def _strip_accents(text: str) -> str:
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def _split_punctuation(token: str) -> list[str]:
    if token.isascii():
        return _ASCII_PUNCT.findall(token)
    out: list[list[str]] = []
    start_new = True
    for ch in token:
        if _is_punctuation(ch):
            out.append([ch])
            start_new = True
        else:
            if start_new:
                out.append([])
            start_new = False
            out[-1].append(ch)
    return ["".join(x) for x in out]


def basic_tokenize(text: str, lower: bool = True, never_split: Iterable[str] = ()) -> list[str]:
    """BERT's BasicTokenizer: clean, space CJK characters, split on whitespace, lower case and strip
    accents, split punctuation off. Tokens in `never_split` are kept whole."""
    keep = frozenset(never_split)
    out: list[str] = []
    for token in _clean_and_space_cjk(text).split():
        if token in keep:
            out.append(token)
            continue
        if lower:
            token = _strip_accents(token.lower())
        out.extend(_split_punctuation(token))
    return " ".join(out).split()


class WordPiece:
    """BERT's full tokeniser over a vocabulary: basic tokenisation, then greedy longest-match WordPiece.

    As transformers' BertTokenizer(vocab) does it, which the reference builds its features with: the
    special tokens are split out of the text first and kept whole.
    """

    def __init__(self, vocab: frozenset[str], lower: bool = True) -> None:
        self.vocab = vocab
        self.lower = lower
        self._cache: dict[str, tuple[str, ...]] = {}
        self._text_cache: dict[str, list[str]] = {}  # paragraph words repeat: tokenise each once
        specials = [t for t in SPECIAL_TOKENS if t in vocab]
        self._special_re = re.compile("(" + "|".join(re.escape(t) for t in specials) + ")") if specials else None
        self._specials = frozenset(specials)

    def _word(self, word: str) -> tuple[str, ...]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        if len(word) > MAX_WORD_CHARS:
            pieces: tuple[str, ...] = ("[UNK]",)
        else:
            found: list[str] = []
            start = 0
            while start < len(word):
                end = len(word)
                cur = None
                while start < end:
                    sub = word[start:end] if start == 0 else "##" + word[start:end]
                    if sub in self.vocab:
                        cur = sub
                        break
                    end -= 1
                if cur is None:
                    found = ["[UNK]"]
                    break
                found.append(cur)
                start = end
            pieces = tuple(found)
        self._cache[word] = pieces
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """WordPiece tokens of `text`."""
        hit = self._text_cache.get(text)
        if hit is not None:
            return list(hit)
        parts = self._special_re.split(text) if self._special_re is not None else [text]
        out: list[str] = []
        for part in parts:
            if part in self._specials:
                out.append(part)
                continue
            for token in basic_tokenize(part, self.lower, self._specials):
                if token in self._specials:
                    out.append(token)
                else:
                    out.extend(self._word(token))
        if len(text) <= 64:
            self._text_cache[text] = out
            return list(out)
        return out


def load_vocab(path: Path) -> frozenset[str]:
    """The WordPiece vocabulary, one token per line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"cannot read the WordPiece vocabulary {path}: {exc}",
                               "Pass --dataset squad=DIR holding dev-v1.1.json and vocab.txt.") from exc
    tokens = [line.rstrip("\r") for line in text.split("\n")]
    if tokens and tokens[-1] == "":
        tokens.pop()
    vocab = frozenset(tokens)
    if "[UNK]" not in vocab or len(vocab) < 2:
        raise GroundTruthError(f"{path.name} is not a BERT WordPiece vocabulary (no [UNK] token)",
                               "Use the vocab.txt of the BERT-Large uncased checkpoint the reference uses.")
    return vocab


# ---------------------------------------------------------------- ground truth and features
@dataclass(frozen=True)
class Paragraph:
    words: tuple[str, ...]  # the context split on whitespace (the reference's doc_tokens)
    pieces: tuple[str, ...]  # WordPiece tokens of the words, in order
    piece_word: I64  # the word each piece comes from


@dataclass(frozen=True)
class Question:
    qid: str
    paragraph: int
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Feature:
    question: int
    query_len: int
    doc_start: int  # first piece of the paragraph in this window
    doc_len: int
    max_context: npt.NDArray[np.bool_]  # per piece of the window: this window is its best context


@dataclass(frozen=True)
class SquadTruth:
    questions: tuple[Question, ...]
    paragraphs: tuple[Paragraph, ...]
    features: tuple[Feature, ...]
    feature_start: I64  # per question, its first feature (len(questions) + 1 entries)


_SQUAD_SPACE = re.compile("[ \t\r\n\u202f]+")  # read_squad_examples' is_whitespace


def _squad_words(context: str) -> list[str]:
    return [w for w in _SQUAD_SPACE.split(context) if w]


def _windows(n_pieces: int, max_doc: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n_pieces:
        length = min(n_pieces - start, max_doc)
        spans.append((start, length))
        if start + length == n_pieces:
            break
        start += min(length, DOC_STRIDE)
    return spans


def _max_context(spans: list[tuple[int, int]], n_pieces: int) -> list[npt.NDArray[np.bool_]]:
    """Per window, which of its pieces have their maximum context there (the first best window wins)."""
    if not spans:  # an empty context: no window, no feature (as the reference's loop makes none)
        return []
    pos = np.arange(n_pieces)
    score = np.full((len(spans), n_pieces), -np.inf)
    for i, (s, length) in enumerate(spans):
        inside = (pos >= s) & (pos <= s + length - 1)
        left = pos - s
        right = s + length - 1 - pos
        score[i, inside] = np.minimum(left, right)[inside] + 0.01 * length
    best = score.argmax(axis=0)
    return [best[s:s + length] == i for i, (s, length) in enumerate(spans)]


Layout = tuple[list[tuple[int, int]], list[npt.NDArray[np.bool_]]]


def _layout(n_pieces: int, max_doc: int, seen: dict[tuple[int, int], Layout]) -> Layout:
    """The windows of a paragraph of n_pieces and their maximum-context flags (shared, read-only); `seen`:
    the layouts this load made already (questions of one paragraph, and paragraphs of one length, repeat)."""
    if (n_pieces, max_doc) not in seen:
        spans = _windows(n_pieces, max_doc)
        seen[n_pieces, max_doc] = spans, _max_context(spans, n_pieces)
    return seen[n_pieces, max_doc]


def _find(path: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        if (path / name).is_file():
            return path / name
    return None


def _locate(path: Path, companions: Mapping[str, Path] | None) -> tuple[Path, Path]:
    dev: Path | None = path
    base = path
    if path.is_dir():
        dev = _find(path, ("dev-v1.1.json",))
    else:
        base = path.parent
    vocab = (companions or {}).get("squad_vocab")
    if vocab is not None and Path(vocab).is_dir():
        vocab = _find(Path(vocab), VOCAB_PLACES)
    if vocab is None:
        vocab = _find(base, VOCAB_PLACES)
    if dev is None or not dev.is_file() or vocab is None:
        missing = "dev-v1.1.json" if dev is None or not dev.is_file() else "vocab.txt"
        raise GroundTruthError(f"the SQuAD ground truth at {path} has no {missing}",
                               "Pass --dataset squad=DIR holding dev-v1.1.json and vocab.txt (or "
                               "bert_tf_v1_1_large_fp32_384_v2/vocab.txt), or squad=dev-v1.1.json with "
                               "--dataset squad_vocab=vocab.txt.")
    return dev, Path(vocab)


def _str(v: Any, what: str, where: str) -> str:
    if not isinstance(v, str):
        raise GroundTruthError(f"dev-v1.1.json: {where} has no {what} string")
    return v


def load_squad(path: Path, companions: Mapping[str, Path] | None = None) -> SquadTruth:
    """The questions, paragraphs and features of the SQuAD v1.1 dev set, built as the reference builds them."""
    dev, vocab_path = _locate(path, companions)
    vocab = load_vocab(vocab_path)
    try:
        doc = json.loads(dev.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GroundTruthError(f"cannot read SQuAD {dev}: {exc}", "Pass the SQuAD v1.1 dev-v1.1.json.") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise GroundTruthError(f"{dev.name} is not a SQuAD file (no 'data' list)")
    version = doc.get("version")
    if version is not None and str(version) != "1.1":
        raise GroundTruthError(f"{dev.name} is SQuAD version {str(version)[:20]!r}; BERT is scored on v1.1",
                               "Use dev-v1.1.json.")
    tok = WordPiece(vocab)
    paragraphs: list[Paragraph] = []
    questions: list[Question] = []
    features: list[Feature] = []
    feature_start = [0]
    layouts: dict[tuple[int, int], Layout] = {}
    for a, article in enumerate(doc["data"]):
        paras = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paras, list):
            raise GroundTruthError(f"{dev.name}: data[{a}] has no 'paragraphs' list")
        for p, para in enumerate(paras):
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(para, dict) or not isinstance(para.get("qas"), list):
                raise GroundTruthError(f"{dev.name}: {where} has no 'qas' list")
            words = _squad_words(_str(para.get("context"), "context", where))
            pieces: list[str] = []
            piece_word: list[int] = []
            for w, word in enumerate(words):
                sub = tok.tokenize(word)
                pieces.extend(sub)
                piece_word.extend([w] * len(sub))
            paragraphs.append(Paragraph(tuple(words), tuple(pieces), np.array(piece_word, np.int64)))
            for k, qa in enumerate(para["qas"]):
                qwhere = f"{where}.qas[{k}]"
                if not isinstance(qa, dict) or not isinstance(qa.get("answers"), list):
                    raise GroundTruthError(f"{dev.name}: {qwhere} has no 'answers' list")
                if qa.get("is_impossible"):
                    raise GroundTruthError(f"{dev.name}: {qwhere} is a SQuAD 2.0 unanswerable question",
                                           "BERT is scored on SQuAD v1.1 (dev-v1.1.json).")
                answers = tuple(_str(x.get("text") if isinstance(x, dict) else None, "answer text", qwhere)
                                for x in qa["answers"])
                if not answers:
                    raise GroundTruthError(f"{dev.name}: {qwhere} has no answer")
                q = Question(_str(qa.get("id"), "id", qwhere), len(paragraphs) - 1, answers)
                query = tok.tokenize(_str(qa.get("question"), "question", qwhere))[:MAX_QUERY_LENGTH]
                spans, contexts = _layout(len(pieces), MAX_SEQ_LENGTH - len(query) - 3, layouts)
                for (s, length), ctx in zip(spans, contexts):
                    features.append(Feature(len(questions), len(query), s, length, ctx))
                questions.append(q)
                feature_start.append(len(features))
    if not questions:
        raise GroundTruthError(f"{dev.name} holds no question")
    return SquadTruth(tuple(questions), tuple(paragraphs), tuple(features), np.array(feature_start, np.int64))


# ---------------------------------------------------------------- post-processing
def get_final_text(pred_text: str, orig_text: str, lower: bool = True) -> str:
    """Project a de-tokenised WordPiece answer onto the original words' characters (the reference's
    heuristic: align the basic-tokenised original with the original character by character, spaces
    aside; on any failure the original words are the answer)."""

    def strip_spaces(text: str) -> tuple[str, list[int]]:
        """The text without spaces, and where each of its characters was."""
        return text.replace(" ", ""), [i for i, c in enumerate(text) if c != " "]

    tok_text = " ".join(basic_tokenize(orig_text, lower))
    start = tok_text.find(pred_text)
    if start == -1:
        return orig_text
    end = start + len(pred_text) - 1
    orig_ns, orig_map = strip_spaces(orig_text)
    tok_ns, tok_map = strip_spaces(tok_text)
    if len(orig_ns) != len(tok_ns):
        return orig_text
    tok_s_to_ns = {v: k for k, v in enumerate(tok_map)}
    ns_start = tok_s_to_ns.get(start)
    ns_end = tok_s_to_ns.get(end)
    if ns_start is None or ns_end is None:
        return orig_text
    orig_start, orig_end = orig_map[ns_start], orig_map[ns_end]
    return orig_text[orig_start:orig_end + 1]


def _logits(first: FirstPayloads, params: Mapping[str, Any]) -> tuple[F64, F64, str]:
    """(start, end) logits per logged feature, padded to 384 positions, as float64; and the payload type."""
    lens = np.diff(first.offsets)
    dtype = params.get("dtype")
    if dtype is None:
        dtype = "float16" if len(lens) and (lens == MAX_SEQ_LENGTH * 2 * 2).all() else "float32"
    if dtype not in ("float32", "float16"):
        from ..errors import RulesetError

        raise RulesetError(f"squad_f1: dtype '{dtype}' is not float32 or float16")
    width = 4 if dtype == "float32" else 2
    transposed = bool(params.get("transposed", False))
    n = len(lens)
    start = np.full((n, MAX_SEQ_LENGTH), PAD_LOGIT)
    end = np.full((n, MAX_SEQ_LENGTH), PAD_LOGIT)
    if n == 0:
        return start, end, dtype
    bad = (lens % (2 * width) != 0) | (lens > MAX_SEQ_LENGTH * 2 * width)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CannotScore(f"feature {int(first.qsl[i])} logs {int(lens[i])} bytes; a BERT payload is {dtype} "
                          f"(start, end) logits of at most {MAX_SEQ_LENGTH} positions "
                          f"({MAX_SEQ_LENGTH * 2 * width} bytes)")
    values = first.payload.view("<f4" if width == 4 else "<f2").astype(np.float64)
    if np.isnan(values).any():
        raise CannotScore("the logged logits hold NaN; the reference's ranking of them is undefined")
    seq = lens // (2 * width)
    if (seq == MAX_SEQ_LENGTH).all():  # the SUTs' layout: one reshape for the whole log
        m3 = values.reshape(n, MAX_SEQ_LENGTH, 2) if not transposed else \
            values.reshape(n, 2, MAX_SEQ_LENGTH).transpose(0, 2, 1)
        start[:] = m3[:, :, 0]
        end[:] = m3[:, :, 1]
    else:
        offs = first.offsets // width
        for i in range(n):
            v = values[offs[i]:offs[i + 1]]
            m = v.reshape(-1, 2) if not transposed else v.reshape(2, -1).T
            start[i, :len(m)] = m[:, 0]
            end[i, :len(m)] = m[:, 1]
    return start, end, dtype


def _best_spans(truth: SquadTruth, qsl: I64, start: F64, end: F64) -> dict[int, tuple[int, int, int]]:
    """Per question with a logged feature: (feature, start, end) of its best valid span."""
    order_s = np.argsort(-start, axis=1, kind="stable")[:, :N_BEST]  # highest first, ties by position
    order_e = np.argsort(-end, axis=1, kind="stable")[:, :N_BEST]
    s_pos = np.repeat(order_s, N_BEST, axis=1)  # candidates in the reference's order: start rank, then end rank
    e_pos = np.tile(order_e, (1, N_BEST))
    feats = [truth.features[int(q)] for q in qsl]
    lo = np.array([f.query_len + 2 for f in feats], np.int64)[:, None]
    hi = lo + np.array([f.doc_len for f in feats], np.int64)[:, None]
    in_doc = (s_pos >= lo) & (s_pos < hi) & (e_pos >= lo) & (e_pos < hi)
    ok = in_doc & (e_pos >= s_pos) & (e_pos - s_pos + 1 <= MAX_ANSWER_LENGTH)
    rows = np.arange(len(qsl))[:, None]
    score = np.where(ok, start[rows, s_pos] + end[rows, e_pos], np.nan)
    for i, f in enumerate(feats):  # the start must have its maximum context in this window
        cand = np.flatnonzero(ok[i])
        if len(cand):
            ctx = f.max_context[s_pos[i, cand] - int(lo[i, 0])]
            score[i, cand[~ctx]] = np.nan
    valid = ~np.isnan(score)
    if (np.isnan(start[rows, s_pos] + end[rows, e_pos]) & ok).any():
        raise CannotScore("a start + end logit sum is NaN (inf − inf); the reference's ranking is undefined")
    best: dict[int, tuple[int, int, int]] = {}
    best_score: dict[int, float] = {}
    for i, f in enumerate(feats):  # features in index order, so a question's come in the reference's order
        if not valid[i].any():
            continue
        j = int(np.nanargmax(score[i]))  # the first of the highest
        v = float(score[i, j])
        if f.question not in best or v > best_score[f.question]:
            best[f.question] = (i, int(s_pos[i, j]), int(e_pos[i, j]))
            best_score[f.question] = v
    return best


def predictions(first: FirstPayloads, truth: SquadTruth, params: Mapping[str, Any] | None = None
                ) -> tuple[list[str], dict[str, Any]]:
    """The predicted answer text per question (the reference's predictions.json), and how it was read."""
    params = params or {}
    n_feat = len(truth.features)
    if len(first.qsl) and int(first.qsl.max()) >= n_feat:
        raise CannotScore(f"qsl_idx {int(first.qsl.max())} is beyond the {n_feat} features of the data set")
    start, end, dtype = _logits(first, params)
    best = _best_spans(truth, first.qsl, start, end)
    out = ["empty"] * len(truth.questions)
    for qi, (i, s, e) in best.items():
        f = truth.features[int(first.qsl[i])]
        para = truth.paragraphs[truth.questions[qi].paragraph]
        a = f.doc_start + s - (f.query_len + 2)
        b = f.doc_start + e - (f.query_len + 2)
        tok_text = " ".join(para.pieces[a:b + 1]).replace(" ##", "").replace("##", "")
        tok_text = " ".join(tok_text.strip().split())
        orig_text = " ".join(para.words[int(para.piece_word[a]):int(para.piece_word[b]) + 1])
        out[qi] = get_final_text(tok_text, orig_text, True)
    logged_questions = len({truth.features[int(q)].question for q in first.qsl})
    return out, {"dtype": dtype, "transposed": bool(params.get("transposed", False)),
                 "features_logged": len(first.qsl), "features": n_feat,
                 "questions_logged": logged_questions, "questions_without_span": logged_questions - len(best)}


# ---------------------------------------------------------------- the official v1.1 evaluation
_NO_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(s: str) -> str:
    """Lower case, punctuation and articles removed, whitespace collapsed (evaluate-v1.1.py)."""
    return " ".join(_ARTICLES.sub(" ", s.lower().translate(_NO_PUNCT)).split())


def f1(prediction: str, truth: str) -> float:
    """Token F1 of two normalised answers."""
    p = normalize_answer(prediction).split()
    t = normalize_answer(truth).split()
    same = sum((Counter(p) & Counter(t)).values())
    if same == 0:
        return 0.0
    precision = same / len(p)
    recall = same / len(t)
    return 2 * precision * recall / (precision + recall)


def score_squad(first: FirstPayloads, truth: SquadTruth, params: Mapping[str, Any] | None = None) -> Score:
    """F1 in percent over every question of the data set (exact match beside it), as evaluate-v1.1.py
    scores the reference's predictions."""
    preds, how = predictions(first, truth, params)
    em_total = 0.0
    f1_total = 0.0
    for q, pred in zip(truth.questions, preds):
        em_total += max(float(normalize_answer(pred) == normalize_answer(a)) for a in q.answers)
        f1_total += max(f1(pred, a) for a in q.answers)
    total = len(truth.questions)
    return Score("F1", 100.0 * f1_total / total, "squad_f1", how["dtype"], {
        "exact_match": 100.0 * em_total / total, "f1": 100.0 * f1_total / total, "questions": total, **how,
    })
