"""The sample generator (reference_logs/generator): its pieces on the committed sample, and a regeneration.

The fast tests recompute what the generator derives deterministically from LoadGen's logs
(the v0.5 text conversion, the verify outputs) on the committed v0.5 sample and compare
with the committed files byte for byte. The slow test regenerates the v0.5 sample with
the real LoadGen into a temporary folder and validates it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "reference_logs"
SAMPLE = REFERENCE / "inference_v0.5" / "closed" / "MLCheckSample"
sys.path.insert(0, str(REFERENCE))

from generator import coco, conf, squad, truncate, v05text, v07, verify
from generator.sut import ResponseTable

needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="reference_logs sample not generated")


def read(p: Path) -> str:
    return p.read_text(encoding="utf-8")


@needs_sample
@pytest.mark.parametrize("run", ["Offline/performance/run_1", "Offline/accuracy", "SingleStream/performance/run_1"])
def test_v05_text_conversion_reproduces_the_committed_logs(run: str) -> None:
    src = SAMPLE / "results" / "tiny_cpu" / "resnet" / run
    dst = SAMPLE / "results" / "tiny_cpu_v05text" / "resnet" / run
    odd = run.startswith("SingleStream")
    detail, summary = v05text.mllog_to_v05_text(read(src / "mlperf_log_detail.txt").splitlines(),
                                                read(src / "mlperf_log_summary.txt"), crlf=odd, nul_after_sut_name=odd)
    assert detail.encode() == (dst / "mlperf_log_detail.txt").read_bytes()
    assert summary.encode() == (dst / "mlperf_log_summary.txt").read_bytes()


@needs_sample
@pytest.mark.parametrize("system", ["tiny_cpu", "tiny_cpu_v05text"])
@pytest.mark.parametrize("scenario", ["Offline", "SingleStream"])
def test_verify_outputs_reproduce_the_committed_ones(system: str, scenario: str) -> None:
    result = SAMPLE / "results" / system / "resnet" / scenario
    audit = SAMPLE / "audit" / system / "resnet" / scenario
    reference = read(result / "performance" / "run_1" / "mlperf_log_summary.txt")

    def summary(test: str) -> str:
        return read(audit / test / "performance" / "run_1" / "mlperf_log_summary.txt")

    for test in ("TEST01", "TEST03", "TEST05"):
        assert verify.verify_performance_text(reference, summary(test)) == read(audit / test / "verify_performance.txt")
    assert verify.verify_test4_text(summary("TEST04-A"), summary("TEST04-B")) == read(
        audit / "TEST04-A" / "verify_test4_performance.txt")
    assert verify.verify_accuracy_text(result / "accuracy" / "mlperf_log_accuracy.json",
                                       audit / "TEST01" / "performance" / "run_1" / "mlperf_log_accuracy.json") == read(
        audit / "TEST01" / "verify_accuracy.txt")


SUMMARY = """\
Scenario : {scenario}
{line} : {score}
Result is : {validity}
performance_issue_unique : 1
performance_issue_same : 1
"""


def summary(scenario: str, score: float, validity: str = "VALID") -> str:
    line = {"SingleStream": "90.0th percentile latency (ns)", "Server": "Scheduled samples per second",
            "Offline": "Samples per second"}[scenario]
    return SUMMARY.format(scenario=scenario, line=line, score=score, validity=validity)


@pytest.mark.parametrize(("scenario", "ref", "test", "threshold", "passes"), [
    ("Offline", 1000, 1060, 0.10, True),
    ("Offline", 1000, 1060, 0.05, False),  # v0.7 TEST05
    ("Offline", 1000, 960, 0.05, True),
    ("Server", 500, 451, 0.10, True),
    ("Server", 500, 449, 0.10, False),
    ("SingleStream", 150_000, 175_000, 0.05, True),  # <= 200 us: 20 % whatever the base
    ("SingleStream", 300_000, 320_000, 0.05, False),
])
def test_verify_performance_tolerances(scenario: str, ref: float, test: float, threshold: float, passes: bool) -> None:
    out = verify.verify_performance_text(summary(scenario, ref), summary(scenario, test), threshold)
    assert verify.verdict(out) == ("PASS" if passes else "FAIL"), out


def test_verify_performance_rejects_an_invalid_test_run() -> None:
    out = verify.verify_performance_text(summary("Offline", 1000), summary("Offline", 1000, "INVALID"))
    assert out.splitlines()[-1] == "TEST FAIL: Test results are invalid"
    assert not verify.loadgen_valid(summary("Offline", 1000, "INVALID"))
    assert verify.loadgen_valid(summary("Offline", 1000))


def test_test04_slower_b_passes_faster_b_fails() -> None:
    a = summary("Offline", 1000)
    assert verify.verdict(verify.verify_test4_text(a, summary("Offline", 700))) == "PASS"  # B slower
    assert verify.verdict(verify.verify_test4_text(a, summary("Offline", 1300))) == "FAIL"  # B much faster: caching


def test_until_pass_stops_at_the_first_pass_and_keeps_the_last_attempt() -> None:
    seen: list[int] = []

    def attempt(n: int) -> str:
        seen.append(n)
        return "TEST PASS\n" if n == 2 else "TEST FAIL: Test score invalid\n"

    verify.until_pass("T", attempt, 3)
    assert seen == [1, 2]
    seen.clear()
    verify.until_pass("T", lambda n: (seen.append(n), "TEST FAIL\n")[1], 3)
    assert seen == [1, 2, 3]


def test_response_table_round_trip(tmp_path: Path) -> None:
    fixed = ResponseTable.fixed(np.arange(6, dtype="<i4"))
    assert len(fixed) == 6 and fixed.payload(2) == (2).to_bytes(4, "little")
    ragged = ResponseTable.ragged([b"", b"ab", b"cde"])
    ragged.save(tmp_path / "t.npz")
    back = ResponseTable.load(tmp_path / "t.npz")
    assert [back.payload(i) for i in range(3)] == [b"", b"ab", b"cde"]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
@needs_sample
def test_regenerated_v05_sample_has_the_committed_layout_and_validates(tmp_path: Path) -> None:
    out = tmp_path / "inference_v0.5"
    gen = subprocess.run([sys.executable, str(REFERENCE / "generate.py"), "--quick", "--out", str(out),
                          "--datasets", str(tmp_path / "datasets")], capture_output=True, text=True, timeout=900)
    assert gen.returncode == 0, gen.stdout[-3000:] + gen.stderr[-2000:]
    assert _files(out) == _files(REFERENCE / "inference_v0.5")
    assert (tmp_path / "datasets" / "imagenet" / "val_map.txt").read_bytes() == (
        REFERENCE / "datasets" / "imagenet" / "val_map.txt").read_bytes()
    p = subprocess.run([sys.executable, "-m", "checker.cli", "validate", str(out), "--round", "v0.5-sample",
                        "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=300,
                       env={**os.environ})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    report = json.loads(p.stdout)
    assert report["summary"]["results"] == 6 and report["summary"]["errors"] == 0, report["summary"]
    assert all(r["valid"] for r in report["results"]), [r["id"] for r in report["results"] if not r["valid"]]


# ---------------------------------------------------------------------------
# v0.7 pieces: config files, truncation, SQuAD, COCO, the plans against v0.7-sample
# ---------------------------------------------------------------------------



def test_v07_mlperf_conf_carries_the_round_values() -> None:
    kv = conf.parse_conf(conf.mlperf_conf_v07())
    fields, mode = conf.apply_conf(kv, "bert", "Server")
    assert mode is None
    assert (fields["qsl_rng_seed"], fields["sample_index_rng_seed"], fields["schedule_rng_seed"]) == (
        12786827339337101903, 12640797754436136668, 3135815929913719677)
    assert fields["performance_sample_count_override"] == 10833
    assert fields["server_target_latency_ns"] == 130_000_000 and fields["server_target_latency_percentile"] == 0.99
    assert fields["min_duration_ms"] == 60000 and fields["min_query_count"] == 270336
    off, _ = conf.apply_conf(kv, "resnet50", "Offline")
    assert off["min_query_count"] == 24576 and off["performance_sample_count_override"] == 1024
    assert conf.apply_conf(kv, "ssd-mobilenet", "SingleStream")[0]["performance_sample_count_override"] == 256


def test_conf_lookup_order_and_units() -> None:
    kv = conf.parse_conf("# c\n*.*.min_duration = 5\nm.*.min_duration = 6\n*.Server.min_duration = 7\n"
                         "m.Server.min_duration = 8\nm.SingleStream.target_latency = 4\n"
                         "*.*.accuracy_log_probability = 10\n*.*.performance_issue_same = 1\n")
    assert conf.lookup(kv, "m", "Server", "min_duration") == "8"
    assert conf.lookup(kv, "x", "Server", "min_duration") == "7"
    assert conf.lookup(kv, "m", "Offline", "min_duration") == "6"
    assert conf.lookup(kv, "x", "Offline", "min_duration") == "5"
    ss, _ = conf.apply_conf(kv, "m", "SingleStream")
    assert ss["single_stream_expected_latency_ns"] == 4_000_000
    assert ss["accuracy_log_probability"] == pytest.approx(0.1) and ss["performance_issue_same"] is True
    with pytest.raises(ValueError, match="line 1"):
        conf.parse_conf("*.*.min_duration 5\n")


def test_audit_configs_set_the_v07_test_settings() -> None:
    mlperf = conf.mlperf_conf_v07()
    t05 = conf.conf_text([("", conf.audit_config_lines("TEST05", "resnet50"))])
    fields, mode = conf.settings_from_files([mlperf, t05], "resnet50", "Offline")
    assert mode == "PerformanceOnly"
    assert (fields["qsl_rng_seed"], fields["sample_index_rng_seed"], fields["schedule_rng_seed"]) == (
        313588358309856706, 471397156132239067, 413914573387865862)
    t01 = conf.conf_text([("", conf.audit_config_lines("TEST01", "ssd-mobilenet"))])
    fields, _ = conf.settings_from_files([mlperf, t01], "ssd-mobilenet", "Offline")
    assert fields["accuracy_log_sampling_target"] == 1024 and fields["accuracy_log_rng_seed"] == 720381539243781796
    t4b = conf.conf_text([("", conf.audit_config_lines("TEST04-B", "resnet50"))])
    fields, _ = conf.settings_from_files([mlperf, t4b], "resnet50", "Offline")
    assert fields["performance_issue_same"] is True and fields["performance_issue_same_index"] == 3


def test_truncation_keeps_head_and_tail_and_appends_the_hash(tmp_path: Path) -> None:
    big, small = tmp_path / "big.json", tmp_path / "small.json"
    text = "[\n" + "".join(f'{{ "seq_id" : {i}, "qsl_idx" : {i}, "data" : "0A000000" }},\n' for i in range(400)) + "]\n"
    big.write_text(text)
    small.write_text("[\n]\n")
    (tmp_path / "a.txt").write_text("accuracy=1.000%, good=1, total=100\n")
    (tmp_path / "b.txt").write_text("")
    t = truncate.truncate_accuracy_log(big, tmp_path / "a.txt")
    assert t.truncated and t.original_size == len(text)
    assert big.read_text() == text[:4096] + "\n\n...\n\n" + text[-4096:] and big.stat().st_size == 8199
    assert (tmp_path / "a.txt").read_text().splitlines()[-1] == f"hash={__import__('hashlib').sha256(text.encode()).hexdigest()}"
    t = truncate.truncate_accuracy_log(small, tmp_path / "b.txt")
    assert not t.truncated and small.read_text() == "[\n]\n"
    assert (tmp_path / "b.txt").read_text() == f"hash={truncate.sha256_file(small)}\n"


def test_bert_basic_and_wordpiece_tokenizer() -> None:
    assert squad.basic_tokenize("Héllo, World!  (x-ray)") == ["hello", ",", "world", "!", "(", "x", "-", "ray", ")"]
    tok = squad.Tokenizer({t: i for i, t in enumerate(["[UNK]", "un", "##aff", "##able", "aff", "!", "##s"])})
    assert tok.tokenize("Unaffable! affs unk") == ["un", "##aff", "##able", "!", "aff", "##s", "[UNK]"]


def _vocab_example() -> tuple[squad.Tokenizer, dict[str, object]]:
    words = [f"w{i}" for i in range(500)]
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", ".", "?", "what", *words])}
    context = " ".join(words) + "."
    data = {"version": "1.1", "data": [{"title": "t", "paragraphs": [{"context": context, "qas": [
        {"id": "q1", "question": "what w1?", "answers": [{"text": "w450 w451", "answer_start": context.index("w450 ")}]},
        {"id": "q2", "question": "what w2?", "answers": [{"text": "w3", "answer_start": context.index("w3 ")}]},
    ]}]}]}
    return squad.Tokenizer(vocab), data


def test_squad_features_windows_and_max_context() -> None:
    tok, data = _vocab_example()
    examples = squad.read_examples(data)
    features = squad.convert_examples(tok, examples)
    # 501 doc tokens, query of 3 (what w1 ?): windows of 378 tokens every 128 -> 2 windows per question
    assert [(f.example_index, f.doc_span_index, f.doc_start) for f in features] == [(0, 0, 0), (0, 1, 128), (1, 0, 0), (1, 1, 128)]
    assert features[0].unique_id == 1000000000 and features[3].unique_id == 1000000003
    f0, f1 = features[0], features[1]
    lo = f0.query_length + 2
    assert f0.tokens[:lo] == ["[CLS]", "what", "w1", "?", "[SEP]"]
    assert len(f0.token_to_orig_map) == 378 and len(f1.token_to_orig_map) == 501 - 128
    assert len(f0.tokens) == 384 and f0.tokens[-1] == "[SEP]"
    # token 200 of the context: 200 left / 178 right in window 0, 72 / 306 in window 1 -> window 0
    assert f0.token_is_max_context[lo + 200] and not f1.token_is_max_context[lo + 200 - 128]


def _naive_predictions(examples: list[squad.Example], features: list[squad.Feature],
                       logits: dict[int, np.ndarray]) -> dict[str, str]:
    """The reference's write_predictions loop, transcribed without vectorisation (the oracle)."""
    out = {}
    for ex_index, ex in enumerate(examples):
        prelim = []
        for fi, f in enumerate(features):
            if f.example_index != ex_index:
                continue
            start = [i for i, _ in sorted(enumerate(logits[fi][:, 0].tolist()), key=lambda x: x[1], reverse=True)][:20]
            end = [i for i, _ in sorted(enumerate(logits[fi][:, 1].tolist()), key=lambda x: x[1], reverse=True)][:20]
            for s in start:
                for e in end:
                    if s >= len(f.tokens) or e >= len(f.tokens) or s not in f.token_to_orig_map:
                        continue
                    if e not in f.token_to_orig_map or not f.token_is_max_context.get(s, False) or e < s:
                        continue
                    if e - s + 1 > 30:
                        continue
                    prelim.append((float(logits[fi][s, 0]) + float(logits[fi][e, 1]), fi, s, e))
        prelim = sorted(prelim, key=lambda p: p[0], reverse=True)
        if not prelim:
            out[ex.qas_id] = "empty"
            continue
        _, fi, s, e = prelim[0]
        f = features[fi]
        tok_text = " ".join(" ".join(f.tokens[s:e + 1]).replace(" ##", "").replace("##", "").strip().split())
        orig = " ".join(ex.doc_tokens[f.token_to_orig_map[s]:f.token_to_orig_map[e] + 1])
        out[ex.qas_id] = squad.get_final_text(tok_text, orig)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_predictions_equal_the_reference_loop(seed: int) -> None:
    tok, data = _vocab_example()
    examples = squad.read_examples(data)
    features = squad.convert_examples(tok, examples)
    rng = np.random.default_rng(seed)
    logits = {i: rng.normal(size=(384, 2)).round(1) for i in range(len(features))}  # rounded: ties happen
    logits[0][200, 0] = logits[1][72, 0] = 9.0  # the same start in both windows
    assert squad.predictions(examples, features, logits) == _naive_predictions(examples, features, logits)


def test_squad_v11_metrics() -> None:
    assert squad.normalize_answer("The  Big, cat!") == "big cat"
    assert squad.f1_score("big cat sat", "the big cat") == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))
    assert squad.f1_score("dog", "cat") == 0.0
    data = {"data": [{"paragraphs": [{"qas": [
        {"id": "a", "answers": [{"text": "big cat"}, {"text": "cat"}]},
        {"id": "b", "answers": [{"text": "x y"}]},
        {"id": "c", "answers": [{"text": "z"}]}]}]}]}
    score = squad.evaluate(data, {"a": "cat", "b": "x"})
    assert score["exact_match"] == pytest.approx(100 / 3)
    assert score["f1"] == pytest.approx(100 * (1 + 2 / 3) / 3)
    assert json.loads(squad.accuracy_txt(score).splitlines()[0]) == score


def test_get_final_text_strips_what_the_tokenizer_split_off() -> None:
    assert squad.get_final_text("steve smith", "Steve Smith's") == "Steve Smith"
    assert squad.get_final_text("kalomi", "kalomi,") == "kalomi"
    assert squad.get_final_text("nothing", "Other words") == "Other words"


def test_coco_scoring_perfect_and_empty(tmp_path: Path) -> None:
    images = [{"id": 7, "file_name": "a.jpg", "height": 100, "width": 200},
              {"id": 9, "file_name": "b.jpg", "height": 100, "width": 100}]
    anns = [{"id": 1, "image_id": 7, "category_id": 18, "bbox": [20.0, 10.0, 100.0, 50.0], "area": 5000.0, "iscrowd": 0}]
    cats = [{"id": c, "name": n, "supercategory": s} for c, n, s in coco.CATEGORIES]
    path = tmp_path / "instances_val2017.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    box = np.array([[0, 0.1, 0.1, 0.6, 0.6, 0.9, 18]], "<f4").tobytes()  # [idx, ymin, xmin, ymax, xmax, score, class]
    value, text = coco.score_records([{"qsl_idx": 0, "data": box.hex()}, {"qsl_idx": 1, "data": ""}], path)
    assert value == pytest.approx(100.0) and text.splitlines()[-1] == "mAP=100.000%"
    assert "Average Precision" in text
    value, _ = coco.score_records([{"qsl_idx": 0, "data": np.array([[0, 0.5, 0.5, 0.9, 0.9, 0.9, 18]], "<f4").tobytes().hex()}], path)
    assert value == 0.0


def test_v07_plans_meet_the_v07_sample_ruleset_and_the_suites() -> None:
    import yaml

    rules = yaml.safe_load((REPO / "rules" / "inference" / "v0.7-sample.yaml").read_text())
    assert rules["extends"] == "v0.7" and set(rules["constants"]) == {"min_duration_ms"}
    assert {k for v in rules["scenarios"].values() for k in v} == {"min_query_count"}  # nothing else lowered
    min_duration = rules["constants"]["min_duration_ms"]["value"]
    min_queries = {s: v["min_query_count"]["value"] for s, v in rules["scenarios"].items()}
    allowed = {"datacenter": {"Offline", "Server"}, "edge": {"SingleStream", "Offline", "MultiStream"}}
    mlperf = conf.mlperf_conf_v07()
    for system, (system_type, plans) in v07.SYSTEMS.items():
        assert {s for _, s in plans} <= allowed[system_type], system
        for (folder, scenario), plan in plans.items():
            bench = v07.BENCHMARKS[folder]
            fields, _ = conf.settings_from_files([mlperf, v07.user_conf_text(plan)], bench.model, scenario)
            assert fields["min_duration_ms"] >= min_duration, (system, folder, scenario)
            if scenario == "Offline":  # the round's 24,576 samples, never lowered
                assert fields["min_query_count"] == 24576
            else:
                assert fields["min_query_count"] >= min_queries[scenario], (system, folder, scenario)
            assert fields["qsl_rng_seed"] == 12786827339337101903
    assert v07.tests_for(v07.BENCHMARKS["bert-99"], "Server") == ("TEST01", "TEST05")
    assert v07.tests_for(v07.BENCHMARKS["ssd-mobilenet"], "MultiStream") == ("TEST01", "TEST05")
    assert "TEST04-A" in v07.tests_for(v07.BENCHMARKS["resnet50"], "SingleStream")


@pytest.mark.slow
def test_synthetic_squad_set_has_the_real_feature_count_and_scores_above_target(tmp_path: Path) -> None:
    gt = squad.make_ground_truth()
    assert sum(len(p["qas"]) for a in gt.dataset["data"] for p in a["paragraphs"]) == squad.QUESTIONS == 10570
    assert len(gt.features) == 10833
    dev, vocab = squad.write_ground_truth(gt, tmp_path)
    assert "[UNK]" not in {t for f in gt.features for t in f.tokens}
    logits = squad.make_logits(gt)
    examples = squad.read_examples(json.loads(dev.read_text()))
    features = squad.convert_examples(squad.Tokenizer(squad.read_vocab(vocab)), examples)  # from the files
    score = squad.evaluate(gt.dataset, squad.predictions(examples, features, {i: logits[i].astype(np.float64)
                                                                                for i in range(len(features))}))
    assert 90.874 * 0.99 < score["f1"] < 93 and score["exact_match"] < score["f1"]
    # mlcheck's evaluator, written apart from the generator's scoring, reaches the same F1 and EM
    from checker.rescore import squad as evaluator
    from checker.rescore.reader import FirstPayloads

    n, width = len(features), logits[0].astype("<f4").nbytes
    first = FirstPayloads(np.arange(n, dtype=np.int64), np.arange(n + 1, dtype=np.int64) * width,
                          np.frombuffer(np.ascontiguousarray(logits[:n], "<f4").tobytes(), np.uint8))
    ours = evaluator.score_squad(first, evaluator.load_squad(dev, {"squad_vocab": vocab}), {})
    assert ours.value == pytest.approx(score["f1"], abs=1e-9)
    assert ours.detail["exact_match"] == pytest.approx(score["exact_match"], abs=1e-9)


# ---------------------------------------------------------------------------
# The committed v0.7 sample
# ---------------------------------------------------------------------------

V07 = REFERENCE / "inference_v0.7" / "closed" / "MLCheckSample"
needs_v07 = pytest.mark.skipif(not V07.is_dir(), reason="reference_logs v0.7 sample not generated")
V07_SEEDS = ("12786827339337101903", "12640797754436136668", "3135815929913719677")
# accuracy.txt patterns of the v0.7 submission checker, and the v0.7 targets (reference x fraction)
V07_ACCURACY = {"resnet50": (r"^accuracy=([\d\.]+)", 76.46 * 0.99), "ssd-mobilenet": (r"^mAP=([\d\.]+)", 22.0 * 0.99),
                "bert-99": (r'^{"exact_match":\s*[\d\.]+,\s*"f1":\s*([\d\.]+)}', 90.874 * 0.99)}


def _v07_results() -> list[Path]:
    return sorted(p for p in (V07 / "results").glob("*/*/*") if p.is_dir())


def _params(summary: Path) -> dict[str, str]:
    return verify.scan_summary(read(summary)).parameters


# the v0.7 submission checker's system description fields (SPEC_ROUNDS 1.9); system_type demanded in v0.7
V07_SYSTEM_REQUIRED = {"division", "submitter", "status", "system_name", "number_of_nodes", "host_processor_model_name",
                       "host_processors_per_node", "host_processor_core_count", "host_memory_capacity",
                       "host_storage_capacity", "host_storage_type", "accelerators_per_node", "accelerator_model_name",
                       "accelerator_memory_capacity", "framework", "operating_system", "system_type"}
V07_SYSTEM_OPTIONAL = {"other_software_stack", "host_processor_frequency", "host_processor_caches",
                       "host_memory_configuration", "host_processor_interconnect", "host_networking",
                       "host_networking_topology", "accelerator_frequency", "accelerator_host_interconnect",
                       "accelerator_interconnect", "accelerator_interconnect_topology",
                       "accelerator_memory_configuration", "accelerator_on-chip_memories", "cooling", "hw_notes", "sw_notes"}


@needs_v07
def test_v07_sample_system_descriptions_have_the_v07_fields_only() -> None:
    for path in (V07 / "systems").glob("*.json"):
        keys = set(json.loads(read(path)))
        assert V07_SYSTEM_REQUIRED <= keys <= V07_SYSTEM_REQUIRED | V07_SYSTEM_OPTIONAL, (path, keys)


@needs_v07
def test_v07_sample_layout() -> None:
    results = _v07_results()
    assert len(results) == 7
    for r in results:
        system, bench, scenario = r.parts[-3:]
        system_type = json.loads(read(V07 / "systems" / f"{system}.json"))["system_type"]
        assert (system_type, scenario) in {("datacenter", "Offline"), ("datacenter", "Server"), ("edge", "SingleStream"),
                                           ("edge", "Offline"), ("edge", "MultiStream")}
        m = V07 / "measurements" / system / bench / scenario
        assert {p.name for p in m.iterdir()} == {"mlperf.conf", "user.conf", "README.md", f"{system}_numpy_{scenario}.json"}
        assert (V07 / "code" / bench / "numpy" / "README.md").is_file()
        acc = {p.name for p in (r / "accuracy").iterdir()}
        assert acc == {"mlperf_log_summary.txt", "mlperf_log_detail.txt", "mlperf_log_accuracy.json", "accuracy.txt"}
        runs = sorted(p.name for p in (r / "performance").iterdir())
        assert runs == ([f"run_{i}" for i in range(1, 6)] if scenario == "Server" else ["run_1"])
        for run in runs:
            assert {p.name for p in (r / "performance" / run).iterdir()} == {"mlperf_log_summary.txt", "mlperf_log_detail.txt"}
        comp = V07 / "compliance" / system / bench / scenario
        tests = {p.name for p in comp.iterdir()}
        four = bench != "bert-99" and scenario != "MultiStream"
        assert tests == ({"TEST01", "TEST04-A", "TEST04-B", "TEST05"} if four else {"TEST01", "TEST05"})
        assert {p.name for p in (comp / "TEST01").iterdir()} == {"performance", "accuracy", "verify_accuracy.txt",
                                                                 "verify_performance.txt"}
        assert {p.name for p in (comp / "TEST01" / "accuracy").iterdir()} == {"accuracy.txt", "mlperf_log_accuracy.json"}
        if four:
            assert {p.name for p in (comp / "TEST04-B").iterdir()} == {"performance"}
            assert (comp / "TEST04-A" / "verify_performance.txt").is_file()


@needs_v07
def test_v07_sample_accuracy_logs_truncated_as_the_round_did() -> None:
    logs = sorted(V07.rglob("mlperf_log_accuracy.json"))
    assert len(logs) == 14
    whole = 0
    for log in logs:
        lines = read(log.parent / "accuracy.txt").splitlines()
        assert lines[-1].startswith("hash=") and sum(ln.startswith("hash=") for ln in lines) == 1, log
        data = log.read_bytes()
        if len(data) > 10 * 1024:
            pytest.fail(f"{log} is over 10 KiB")
        if b"\n\n...\n\n" in data:
            assert len(data) == 4096 + 7 + 4096, log
        else:
            whole += 1
            assert lines[-1] == f"hash={truncate.sha256_file(log)}"
            json.loads(data)  # a whole log stays valid JSON
    assert 0 < whole < len(logs)


@needs_v07
def test_v07_sample_scores_meet_the_targets_and_the_whole_log_rescores() -> None:
    import re

    for r in _v07_results():
        pattern, target = V07_ACCURACY[r.parts[-2]]
        values = [float(m.group(1)) for ln in read(r / "accuracy" / "accuracy.txt").splitlines()
                  if (m := re.match(pattern, ln))]
        assert len(values) == 1 and values[0] >= target, (r, values)
    labels = v07.imagenet.read_val_map(REFERENCE / "datasets" / "imagenet" / "val_map.txt")
    t01 = V07 / "compliance" / "tiny_edge" / "resnet50" / "SingleStream" / "TEST01" / "accuracy"
    good, total = v07.imagenet.score_accuracy_log(t01 / "mlperf_log_accuracy.json", labels)
    assert read(t01 / "accuracy.txt").splitlines()[0] == v07.imagenet.accuracy_line(good, total).strip()


@needs_v07
def test_v07_sample_runs_carry_the_round_settings_and_pass_their_tests() -> None:
    for summary in V07.rglob("mlperf_log_summary.txt"):
        if summary.parent.name == "accuracy":  # an accuracy run's summary has no parameters: its detail log has
            values = {}
            for line in read(summary.parent / "mlperf_log_detail.txt").splitlines():
                if line.startswith(":::MLLOG") and '"key": "effective_' in line:
                    ev = json.loads(line[len(":::MLLOG"):])
                    values[ev["key"][len("effective_"):]] = ev["value"]
            assert (values["qsl_rng_seed"], values["sample_index_rng_seed"], values["schedule_rng_seed"]) == tuple(
                int(s) for s in V07_SEEDS), summary
            assert values["test_mode"] == "AccuracyOnly"
            continue
        p = _params(summary)
        seeds = (p["qsl_rng_seed"], p["sample_index_rng_seed"], p["schedule_rng_seed"])
        test = next((part for part in summary.parts if part.startswith("TEST")), None)
        if test == "TEST05":
            assert seeds == tuple(str(v) for v in conf.TEST05_SEEDS.values()), summary
        else:
            assert seeds == V07_SEEDS, summary
        if test == "TEST01":
            assert p["accuracy_log_rng_seed"] == "720381539243781796"
        psc = {"resnet50": "1024", "ssd-mobilenet": "256", "bert-99": "10833"}
        assert p["performance_sample_count"] == next(v for k, v in psc.items() if k in summary.parts), summary
        if "performance" in summary.parts and test in (None, "TEST01", "TEST05"):
            assert verify.loadgen_valid(read(summary)), summary
    for out in V07.rglob("verify_*.txt"):
        assert verify.verdict(read(out)) == "PASS", out
    for r in _v07_results():
        comp = V07 / "compliance" / Path(*r.parts[-3:])
        ref = read(r / "performance" / "run_1" / "mlperf_log_summary.txt")
        for test, tol in (("TEST01", 0.10), ("TEST05", 0.05)):
            test_summary = read(comp / test / "performance" / "run_1" / "mlperf_log_summary.txt")
            assert verify.verify_performance_text(ref, test_summary, tol) == read(comp / test / "verify_performance.txt")


@needs_v07
def test_v07_sample_is_small() -> None:
    size = sum(p.stat().st_size for p in V07.rglob("*") if p.is_file())
    assert size < 5 * 1024 * 1024, size
