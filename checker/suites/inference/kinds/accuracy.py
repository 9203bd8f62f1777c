"""Check kinds for a result's accuracy: accuracy.txt, the target, the data set's coverage, and the
accuracy log as the rescore stage read it (structure, payloads, re-computed score)."""

from __future__ import annotations

from collections.abc import Iterator

from ....engine.registry import Hit, NoParams, Params, kind
from ....engine.rules import Rule, Ruleset
from ....findings import Severity
from ..facts import ACCURACY_LOG, ACCURACY_TXT, DETAIL, ResultFacts


def checked_accuracy(r: ResultFacts) -> tuple[float | None, str]:
    """The accuracy the rules judge: re-scored when available, else the one accuracy.txt reports."""
    if r.rescore is not None and r.rescore.value is not None:
        return r.rescore.value, "re-scored"
    if r.accuracy_txt is not None and r.accuracy_txt.value is not None:
        return r.accuracy_txt.value, "reported"
    return None, ""


@kind("accuracy_txt", "result")
def accuracy_txt(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """accuracy.txt exists and states the benchmark's metric."""
    acc = r.accuracy
    if acc is None:
        return
    path = f"{acc.rel}/{ACCURACY_TXT}"
    if ACCURACY_TXT in acc.absent:
        yield Hit({"problem": "is absent from this copy"}, path)
    elif ACCURACY_TXT not in acc.files:
        return  # reported by inf.layout.accuracy-files
    elif ACCURACY_TXT in acc.problems:
        yield Hit({"problem": acc.problems[ACCURACY_TXT]}, path)
    elif r.accuracy_txt is None or r.accuracy_txt.value is None:
        metric = r.bench.accuracy.metric if r.bench else "accuracy"
        yield Hit({"problem": f"states no {metric} value in the line the round's accuracy script prints"}, path)


@kind("accuracy_target", "result")
def accuracy_target(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The accuracy (re-scored when available, else reported) meets reference x fraction."""
    if r.bench is None or r.accuracy is None:
        return
    spec = r.bench.accuracy
    value, which = checked_accuracy(r)
    if value is not None and value + 1e-9 < spec.target:
        yield Hit({"metric": f"{which} {spec.metric}", "got": value, "want": round(spec.target, 6),
                   "reference": spec.applied_reference, "fraction": spec.fraction}, f"{r.accuracy.rel}/{ACCURACY_TXT}")


@kind("accuracy_report", "result")
def accuracy_report(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Open division: the achieved accuracy, for the record."""
    value, _ = checked_accuracy(r)
    if value is None or r.accuracy is None:
        return
    yield Hit({"metric": r.bench.accuracy.metric if r.bench else "accuracy", "got": value},
              f"{r.accuracy.rel}/{ACCURACY_TXT}")


@kind("accuracy_coverage", "result")
def accuracy_coverage(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The accuracy run covers every sample of the data set (its QSL, accuracy.txt, the re-scored log)."""
    acc, b = r.accuracy, r.bench
    if acc is None or b is None:
        return
    allowed = b.allowed_samples
    fields = {"dataset": b.dataset, "want": b.dataset_samples.value}
    if acc.detail is not None and acc.detail.qsl_total is not None and acc.detail.qsl_total not in allowed:
        yield Hit({**fields, "what": "the accuracy run's QSL", "got": acc.detail.qsl_total}, f"{acc.rel}/{DETAIL}")
    t = r.accuracy_txt
    if t is not None and t.total is not None and t.total not in allowed:
        yield Hit({**fields, "what": "accuracy.txt", "got": t.total}, f"{acc.rel}/{ACCURACY_TXT}", line=t.line)
    unique = r.rescore.unique_samples if r.rescore else None
    if unique is not None and unique not in allowed:
        yield Hit({**fields, "what": "the re-scored mlperf_log_accuracy.json", "got": unique},
                  f"{acc.rel}/{ACCURACY_LOG}")


@kind("rescore_status", "result")
def rescore_status(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Whether the accuracy log was re-scored, and why not."""
    if r.accuracy is None or r.bench is None or r.bench.rescore is None:
        return
    o = r.rescore
    if ACCURACY_LOG not in r.accuracy.files:
        return  # reported by inf.layout.accuracy-files or known_absent
    if o is not None and (o.score is not None or o.error is not None or (o.scan is not None and o.scan.truncated)):
        return  # re-scored, or reported by inf.rescore.failed / inf.rescore.truncated
    yield Hit({"dataset": r.bench.dataset}, f"{r.accuracy.rel}/{ACCURACY_LOG}")


def _log(r: ResultFacts) -> str:
    return f"{r.accuracy.rel}/{ACCURACY_LOG}" if r.accuracy else r.res.id


def _fmt_lengths(d: dict[int, int]) -> str:
    return ", ".join(f"{k} bytes ({v} entries)" for k, v in sorted(d.items())[:4])


@kind("rescore_log_json", "result")
def rescore_log_json(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The accuracy log is a well-formed JSON list of LoadGen entries (truncated logs are reported apart)."""
    s = r.rescore.scan if r.rescore else None
    if s is not None and not s.truncated and s.problems:
        yield Hit({"problems": "; ".join(s.problems[:3])}, _log(r))


@kind("rescore_payload", "result")
def rescore_payload(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Every payload is valid hex of a length the benchmark's output can have."""
    s = r.rescore.scan if r.rescore else None
    spec = r.bench.rescore if r.bench else None
    if s is None or s.truncated or spec is None:
        return
    if s.bad_payloads:
        yield Hit({"problem": f"{s.bad_payloads} entries carry data that is not an even-length hex string"}, _log(r))
    lengths = {int(k): v for k, v in s.payload_lengths.items()}
    if spec.payload_bytes is not None:
        allowed = spec.payload_bytes.value
        wrong = {k: v for k, v in lengths.items() if k not in allowed}
        if wrong:
            yield Hit({"problem": f"payloads of {_fmt_lengths(wrong)}; a {r.benchmark} payload is one class index "
                                  f"of {' or '.join(str(a) for a in allowed)} bytes"}, _log(r))
        elif len(lengths) > 1:
            yield Hit({"problem": f"payload lengths differ within the log ({_fmt_lengths(lengths)}); "
                                  "one type is logged per run"}, _log(r))
    if spec.payload_multiple is not None:
        multiple = spec.payload_multiple.value
        wrong = {k: v for k, v in lengths.items() if k % multiple}
        if wrong:
            yield Hit({"problem": f"payloads of {_fmt_lengths(wrong)}; a {r.benchmark} payload is a whole number "
                                  f"of {multiple}-byte detections"}, _log(r))


@kind("rescore_index_range", "result")
def rescore_index_range(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Every qsl_idx indexes a sample of the data set."""
    s = r.rescore.scan if r.rescore else None
    if s is None or s.truncated or not s.out_of_range or r.bench is None:
        return
    yield Hit({"count": s.out_of_range, "last": r.bench.dataset_samples.value - 1,
               "examples": s.out_of_range_examples}, _log(r))


@kind("rescore_samples", "result")
def rescore_samples(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The log holds every sample of the data set (checked here when the log was not re-scored)."""
    s = r.rescore.scan if r.rescore else None
    if s is None or s.truncated or r.bench is None or (r.rescore is not None and r.rescore.score is not None):
        return  # a re-scored log's coverage is judged by accuracy_coverage
    if s.unique in r.bench.allowed_samples:
        return
    ds = r.bench.dataset_samples.value
    yield Hit({"got": s.unique, "want": ds, "dataset": r.bench.dataset, "missing": ds - s.unique,
               "examples": ", ".join(str(i) for i in s.missing_examples)}, _log(r))


class Truncated(Params, frozen=True, forbid_unknown_fields=True, kw_only=True):
    # a truncated log whose accuracy.txt gives no hash of the original cannot be verified at all
    unverifiable_severity: Severity


@kind("rescore_truncated", "result", Truncated)
def rescore_truncated(r: ResultFacts, rule: Rule, p: Truncated, rs: Ruleset) -> Iterator[Hit]:
    """A truncated log (first and last 4 KiB kept) cannot be re-scored without the original and its hash."""
    s = r.rescore.scan if r.rescore else None
    if r.rescore is None or s is None or not s.truncated:
        return
    want = r.accuracy_txt.hash if r.accuracy_txt else None
    if want is None:
        yield Hit({"consequence": "accuracy.txt gives no hash= of the original, so the accuracy cannot be verified"},
                  _log(r), severity=p.unverifiable_severity)
        return
    o = r.rescore.original_scan
    if o is not None:
        if o.sha256 == want:
            yield Hit({"consequence": "the original given matches the hash in accuracy.txt and was "
                                      + ("re-scored" if r.rescore.score else "scanned")}, _log(r))
        return  # a mismatch is inf.rescore.original-hash
    yield Hit({"consequence": f"re-scoring needs the original (sha256 {want[:16]}…): pass --dataset originals=DIR "
                              "holding it at the same relative path"}, _log(r))


@kind("rescore_original_hash", "result")
def rescore_original_hash(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """An original log supplied for a truncated one has the sha256 accuracy.txt states."""
    o = r.rescore.original_scan if r.rescore else None
    want = r.accuracy_txt.hash if r.accuracy_txt else None
    if o is not None and want is not None and o.sha256 != want:
        yield Hit({"got": o.sha256, "want": want}, _log(r))


@kind("rescore_failed", "result")
def rescore_failed(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """Ground truth was given but the log could not be scored."""
    o = r.rescore
    if o is not None and o.error is not None and not (o.scan is not None and o.scan.truncated):
        yield Hit({"why": o.error}, _log(r))


@kind("rescore_mismatch", "result")
def rescore_mismatch(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """The re-computed accuracy agrees with accuracy.txt within the precision accuracy.txt prints."""
    o, t = r.rescore, r.accuracy_txt
    if o is None or o.score is None or r.accuracy is None or t is None or t.value is None or t.decimals is None:
        return
    value, decimals = o.score.value, t.decimals
    if abs(value - t.value) > 0.5 * 10 ** (-decimals) + 1e-9:
        yield Hit({"metric": o.score.metric, "reported": f"{t.value:.{decimals}f}",
                   "rescored": f"{value:.{max(decimals, 3)}f}", "decimals": decimals},
                  f"{r.accuracy.rel}/{ACCURACY_TXT}", line=t.line)


@kind("rescore_method", "result")
def rescore_method(r: ResultFacts, rule: Rule, p: NoParams, rs: Ruleset) -> Iterator[Hit]:
    """How the log was re-scored: payload type, class offset or COCO options, samples."""
    o = r.rescore
    if o is None or o.score is None:
        return
    s, d = o.score, o.score.detail
    parts = [f"{o.unique_samples} samples"]
    if s.dtype:
        parts.append(f"payload {s.dtype}")
    if "class_offset" in d:
        off = d["class_offset"]
        parts.append("class offset 0" if off == 0 else f"class offset {off} applied (1001-class output with background at 0)")
    for k in ("use_inv_map", "remove_48_empty_images"):
        if k in d:
            parts.append(f"{k}={'yes' if d[k] else 'no'}")
    if o.source == "original":
        parts.append("from the original log supplied")
    yield Hit({"metric": s.metric, "value": round(float(s.value), 4), "evaluator": s.evaluator,
               "how": ", ".join(parts)}, _log(r))


KINDS = (accuracy_txt, accuracy_target, accuracy_report, accuracy_coverage, rescore_status, rescore_log_json,
         rescore_payload, rescore_index_range, rescore_samples, rescore_truncated, rescore_original_hash,
         rescore_failed, rescore_mismatch, rescore_method)
