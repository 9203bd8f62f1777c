"""Check kinds over the rescore stage's output: the accuracy log's structure and the re-computed score.

Registered into the inference registry (imported at the end of engine/inference_kinds.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..engine.core import Hit
from ..engine.inference_kinds import REGISTRY
from ..engine.ruleset import Rule, Ruleset
from ..findings import Severity
from ..inference_facts import ACCURACY_LOG, ACCURACY_TXT, ResultFacts

kind = REGISTRY.kind


def _log_path(r: ResultFacts) -> str:
    return f"{r.accuracy.rel}/{ACCURACY_LOG}" if r.accuracy else r.res.id


def _spec_value(r: ResultFacts, key: str) -> Any:
    v = (r.bench.get("rescore") or {}).get(key)
    return v.get("value") if isinstance(v, dict) and "value" in v else v


@kind("rescore_log_json", "result")
def rescore_log_json(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The accuracy log is a well-formed JSON list of LoadGen entries (truncated logs are reported apart)."""
    s = r.log_scan
    if s is None or s["truncated"] or not s["problems"]:
        return
    yield Hit({"detail": "; ".join(s["problems"][:3])}, _log_path(r))


@kind("rescore_payload", "result")
def rescore_payload(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Every payload is valid hex of a length the benchmark's output can have."""
    s = r.log_scan
    if s is None or s["truncated"]:
        return
    if s["bad_payloads"]:
        yield Hit({"detail": f"{s['bad_payloads']} entries carry data that is not an even-length hex string"},
                  _log_path(r))
    lengths: dict[int, int] = {int(k): v for k, v in s["payload_lengths"].items()}
    allowed = _spec_value(r, "payload_bytes")
    multiple = _spec_value(r, "payload_multiple")
    if allowed:
        wrong = {k: v for k, v in lengths.items() if k not in allowed}
        if wrong:
            yield Hit({"detail": f"payloads of {_fmt_lengths(wrong)}; a {r.benchmark} payload is one class index "
                                 f"of {' or '.join(str(a) for a in allowed)} bytes"}, _log_path(r))
        elif len(lengths) > 1:
            yield Hit({"detail": f"payload lengths differ within the log ({_fmt_lengths(lengths)}); "
                                 f"one type is logged per run"}, _log_path(r))
    if multiple:
        wrong = {k: v for k, v in lengths.items() if k % int(multiple)}
        if wrong:
            yield Hit({"detail": f"payloads of {_fmt_lengths(wrong)}; a {r.benchmark} payload is a whole number "
                                 f"of {multiple}-byte detections"}, _log_path(r))


def _fmt_lengths(d: dict[int, int]) -> str:
    return ", ".join(f"{k} bytes ({v} entries)" for k, v in sorted(d.items())[:4])


@kind("rescore_index_range", "result")
def rescore_index_range(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Every qsl_idx indexes a sample of the data set."""
    s = r.log_scan
    if s is None or s["truncated"] or not s["out_of_range"]:
        return
    samples = int(r.bench.get("dataset_samples", {}).get("value", 0))
    yield Hit({"count": s["out_of_range"], "last": samples - 1, "examples": s["out_of_range_examples"]},
              _log_path(r))


@kind("rescore_samples", "result")
def rescore_samples(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The log holds every sample of the data set (checked here when the log was not re-scored)."""
    s = r.log_scan
    if s is None or s["truncated"] or r.rescore is not None:
        return  # a re-scored log's coverage is judged by accuracy_coverage
    ds = r.bench.get("dataset_samples", {}).get("value")
    if ds is None:
        return
    allowed = [int(x) for x in r.bench.get("dataset_samples_allowed", {}).get("value", [ds])]
    if s["unique"] in allowed:
        return
    missing = int(ds) - s["unique"]
    ex = ", ".join(str(i) for i in s["missing_examples"])
    yield Hit({"detail": f"mlperf_log_accuracy.json holds {s['unique']} distinct samples of the {ds} in the "
                         f"{r.bench.get('dataset')} data set; {missing} are missing (e.g. qsl_idx {ex})"},
              _log_path(r))


@kind("rescore_truncated", "result")
def rescore_truncated(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """A truncated log (first and last 4 KiB kept) cannot be re-scored without the original and its hash."""
    s = r.log_scan
    if s is None or not s["truncated"]:
        return
    want = r.accuracy_txt.hash if r.accuracy_txt else None
    if want is None:
        yield Hit({"detail": "mlperf_log_accuracy.json is truncated and accuracy.txt gives no hash= of the "
                             "original, so the accuracy cannot be verified"}, _log_path(r),
                  severity=Severity(rule.params.get("unverifiable_severity", "error")))
        return
    if r.original_scan is not None:
        if r.original_scan.get("sha256") == want:
            yield Hit({"detail": "mlperf_log_accuracy.json is truncated; the original given matches the "
                                 f"hash in accuracy.txt and was {'re-scored' if r.rescore else 'scanned'}"},
                      _log_path(r))
        return  # a mismatch is inf.rescore.original-hash
    yield Hit({"detail": "mlperf_log_accuracy.json is truncated (first and last 4 KiB kept); re-scoring needs "
                         f"the original (sha256 {want[:16]}…): pass --dataset originals=DIR holding it at the "
                         "same relative path"}, _log_path(r))


@kind("rescore_original_hash", "result")
def rescore_original_hash(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """An original log supplied for a truncated one has the sha256 accuracy.txt states."""
    o = r.original_scan
    want = r.accuracy_txt.hash if r.accuracy_txt else None
    if o is None or want is None or o.get("sha256") == want:
        return
    yield Hit({"got": o.get("sha256"), "want": want}, _log_path(r))


@kind("rescore_failed", "result")
def rescore_failed(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """Ground truth was given but the log could not be scored."""
    if r.rescore_error is None or (r.log_scan or {}).get("truncated"):
        return
    yield Hit({"detail": r.rescore_error}, _log_path(r))


def _reported(r: ResultFacts) -> tuple[float, int] | None:
    t = r.accuracy_txt
    if t is None or t.value is None or t.decimals is None:
        return None
    return t.value, t.decimals


@kind("rescore_mismatch", "result")
def rescore_mismatch(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """The re-computed accuracy agrees with accuracy.txt within the precision accuracy.txt prints."""
    if r.rescore is None or r.accuracy is None:
        return
    rep = _reported(r)
    if rep is None:
        return
    reported, decimals = rep
    value = float(r.rescore["value"])
    half_unit = 0.5 * 10 ** (-decimals)
    if abs(value - reported) > half_unit + 1e-9:
        yield Hit({"metric": r.rescore["metric"], "reported": f"{reported:.{decimals}f}",
                   "rescored": f"{value:.{max(decimals, 3)}f}", "decimals": decimals},
                  f"{r.accuracy.rel}/{ACCURACY_TXT}", line=r.accuracy_txt.line if r.accuracy_txt else None)


@kind("rescore_method", "result")
def rescore_method(r: ResultFacts, rule: Rule, rs: Ruleset) -> Iterator[Hit]:
    """How the log was re-scored: payload type, class offset or COCO options, samples."""
    s = r.rescore
    if s is None:
        return
    d = s.get("detail", {})
    parts = [f"{s['unique_samples']} samples"]
    if s.get("dtype"):
        parts.append(f"payload {s['dtype']}")
    if "class_offset" in d:
        off = d["class_offset"]
        parts.append("class offset 0" if off == 0 else
                     f"class offset {off} applied (1001-class output with background at 0)")
    for k in ("use_inv_map", "remove_48_empty_images"):
        if k in d:
            parts.append(f"{k}={'yes' if d[k] else 'no'}")
    if s.get("source") == "original":
        parts.append("from the original log supplied")
    yield Hit({"metric": s["metric"], "value": round(float(s["value"]), 4), "evaluator": s["evaluator"],
               "detail": ", ".join(parts)}, _log_path(r))
