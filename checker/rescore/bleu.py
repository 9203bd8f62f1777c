"""BLEU for GNMT from an accuracy log: the payload is the UTF-8 translation of sample i.

Two named metrics: `bleu_moses` is what the v0.5 inference reference computes (BLEU-4 of the
Moses-tokenised output against the Moses-tokenised newstest2014.de, no further tokenisation);
`sacrebleu` is SacreBLEU proper (detokenised output against the raw reference, 13a), as the
v0.6 training rules state the GNMT target.
"""

from __future__ import annotations

from pathlib import Path

from .reader import FirstPayloads
from .score import GroundTruthError, Score


def load_reference(path: Path) -> list[str]:
    """The raw German reference, one sentence per line (newstest2014.de, or the folder holding it)."""
    if path.is_dir():
        path = path / "newstest2014.de"
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"cannot read the WMT reference {path}: {exc}",
                               "Pass --dataset wmt16=PATH/newstest2014.de (raw, untokenised).") from exc


def moses_tokenize(lines: list[str], lang: str = "de") -> list[str]:
    """Moses-tokenise (with escaping, as tokenizer.perl does) each line."""
    from sacremoses import MosesTokenizer

    tok = MosesTokenizer(lang=lang)
    return [tok.tokenize(line, return_str=True, escape=True) for line in lines]


def translations(first: FirstPayloads, samples: int) -> tuple[list[str], int, int]:
    """(hypothesis per sample, samples missing from the log, payloads that are not UTF-8)."""
    hyps = [""] * samples
    bad = 0
    for i, q in enumerate(first.qsl.tolist()):
        if 0 <= q < samples:
            try:
                hyps[q] = first.get(i).decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
    return hyps, samples - len(first.qsl), bad


def score_bleu_moses(first: FirstPayloads, reference_tok: list[str]) -> Score:
    """BLEU-4 on Moses-tokenised text (the v0.5 inference reference score)."""
    import sacrebleu

    hyps, missing, bad = translations(first, len(reference_tok))
    bleu = sacrebleu.corpus_bleu(hyps, [reference_tok], tokenize="none", force=True)
    return Score("BLEU", float(bleu.score), "bleu_moses", "utf-8", {
        "missing": missing, "not_utf8": bad, "signature": f"BLEU-4 moses-tokenised, tokenize=none ({bleu})",
    })


def score_sacrebleu(first: FirstPayloads, reference_raw: list[str]) -> Score:
    """SacreBLEU proper: Moses-detokenised output against the raw reference, 13a tokenisation."""
    import sacrebleu
    from sacremoses import MosesDetokenizer

    hyps, missing, bad = translations(first, len(reference_raw))
    detok = MosesDetokenizer(lang="de")
    plain = [detok.detokenize(h.split()) for h in hyps]
    bleu = sacrebleu.corpus_bleu(plain, [reference_raw])
    return Score("SacreBLEU", float(bleu.score), "sacrebleu", "utf-8", {
        "missing": missing, "not_utf8": bad, "signature": str(bleu),
    })
