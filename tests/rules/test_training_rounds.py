"""Round-specific behaviour: the rules loader's replace idiom, round detection, each round's targets and scoring,
v0.6 hyperparameters as the round judged them, and rule sources in the reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from training_fixtures import (
    V07_T0,
    ev07,
    make_submission,
    make_submission_v05,
    make_submission_v07,
    mll,
    resnet_log,
    v05,
    v05_log,
    v07_log,
    write_log,
)

from checker.api import SUITES, ValidateOptions, load_suite_ruleset, validate
from checker.engine.rules import Ruleset, rules_root
from checker.errors import RulesetError, UsageError
from checker.findings import Severity
from checker.report.text import render_text
from checker.suites.training.kinds.keys import Keys
from checker.suites.training.ruledata import TrainingRound
from checker.suites.training.scoring import olympic_score
from checker.waivers import Waiver


def load_ruleset(round_name: str, path: Path | None = None) -> Ruleset:
    return load_suite_ruleset(SUITES["training"], round_name, path)


def _model(rs: Ruleset) -> TrainingRound:
    assert isinstance(rs.model, TrainingRound)
    return rs.model

# ---------------------------------------------------------------- the rules loader


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_replace_marker_replaces_an_inherited_mapping(tmp_path: Path) -> None:
    _write(tmp_path / "v0.5.yaml", (rules_root() / "training" / "v0.5.yaml").read_text(encoding="utf-8"))
    child = _write(tmp_path / "v0.5-delta.yaml", """schema: mlcheck-rules/1
suite: training
round: v0.5-delta
extends: v0.5
training:
  benchmarks:
    minigo:
      runs: {replace: true, value: 12, source: s}
    gnmt:
      runs: {value: 11}
overrides:
  - {id: train.run.keys, params: {required: [run_start]}}
""")
    rnd = _model(load_ruleset("v0.5-delta", child)).training
    minigo, gnmt = rnd.benchmarks["minigo"].runs, rnd.benchmarks["gnmt"].runs
    assert (minigo.value, minigo.source, minigo.published_minimum) == (12, "s", None)  # replaced, the marker dropped
    assert gnmt.value == 11 and gnmt.source.startswith("tr05-rules")  # merged as before
    (rule,) = [r for r in load_ruleset("v0.5-delta", child).rules if r.id == "train.run.keys"]
    assert isinstance(rule.params, Keys) and rule.params.required == ["run_start"]  # params replaced whole


def test_a_misspelt_params_key_is_a_load_error_naming_the_rule_and_the_key(tmp_path: Path) -> None:
    _write(tmp_path / "v0.5.yaml", (rules_root() / "training" / "v0.5.yaml").read_text(encoding="utf-8")
           .replace("params: {tolerance_s: 1.0", "params: {tolerence_s: 1.0"))
    with pytest.raises(RulesetError, match=r"v0\.5\.yaml: rule train\.time\.run-before-init params.*tolerence_s"):
        load_ruleset("v0.5", tmp_path / "v0.5.yaml")
    # through an override of a later round: the file named is the one loaded, the key and rule the same
    _write(tmp_path / "v0.5.yaml", (rules_root() / "training" / "v0.5.yaml").read_text(encoding="utf-8"))
    _write(tmp_path / "v0.6.yaml", (rules_root() / "training" / "v0.6.yaml").read_text(encoding="utf-8")
           .replace("      exactly_one: [init_stop", "      exactly_once: [init_stop"))
    with pytest.raises(RulesetError, match=r"rule train\.run\.key-count params.*exactly_once"):
        load_ruleset("v0.6", tmp_path / "v0.6.yaml")
    # and in the round data: a misspelt key of the training section
    _write(tmp_path / "v0.6.yaml", (rules_root() / "training" / "v0.6.yaml").read_text(encoding="utf-8")
           .replace("  init_limit_s:", "  init_limit:"))
    with pytest.raises(RulesetError, match=r"round data.*init_limit"):
        load_ruleset("v0.6", tmp_path / "v0.6.yaml")


def test_v07_hyperparameter_table_is_its_own() -> None:
    v06 = _model(load_ruleset("v0.6")).training.hyperparameters
    v07 = _model(load_ruleset("v0.7")).training.hyperparameters
    assert v06 is not None and v07 is not None
    assert v06.case_insensitive and not v07.case_insensitive
    assert "virtual_losses" not in v07.benchmarks["minigo"].keys
    assert set(v07.benchmarks) == {"resnet", "ssd", "maskrcnn", "gnmt", "transformer", "bert", "dlrm", "minigo"}
    v07rs = load_ruleset("v0.7")
    ids = {r.id for r in v07rs.rules}
    assert "train.run.time-derived" not in ids  # MiniGo's eval_result timing is v0.6's
    order = next(r for r in v07rs.rules if r.id == "train.run.order").params
    assert "cache_clear" not in order.order  # type: ignore[attr-defined]
    b = _model(v07rs).training.benchmarks
    assert b["gnmt"].target.value == 0.24 and b["transformer"].target.value == 0.25
    assert b["dlrm"].target.value == 0.8025 and b["bert"].target.alternatives[0].value == 0.706


def test_every_training_value_names_its_source() -> None:
    for rnd in ("v0.5", "v0.6", "v0.7"):
        rs = load_ruleset(rnd)
        for name, b in _model(rs).training.benchmarks.items():
            assert b.runs.source and b.target.source, (rnd, name)
        for r in rs.rules:
            assert r.source, r.id


# ---------------------------------------------------------------- round detection


def test_round_from_the_round_root_name(tmp_path: Path) -> None:
    make_submission_v05(tmp_path)
    for root in (tmp_path, tmp_path / "v0.5.0", tmp_path / "v0.5.0" / "acme", tmp_path / "v0.5.0" / "acme" / "box-resnet"):
        rep = validate(root)
        assert rep.round == "v0.5" and len(rep.results) == 1, root
        assert rep.results[0].submitter == "Acme Inc."  # from submission.json


def test_a_name_the_logs_contradict_is_refused(tmp_path: Path) -> None:
    make_submission(tmp_path / "training_v0.7")  # v0.6 logs in a folder named for v0.7
    with pytest.raises(UsageError, match="another round's format"):
        validate(tmp_path / "training_v0.7")
    assert validate(tmp_path / "training_v0.7", ValidateOptions(round="v0.6")).round == "v0.6"


def test_a_round_without_rules_is_refused(tmp_path: Path) -> None:
    make_submission_v07(tmp_path / "training_results_v1.0")
    with pytest.raises(UsageError, match="no rules"):
        validate(tmp_path / "training_results_v1.0")


def test_logs_of_two_rounds_are_refused(tmp_path: Path) -> None:
    make_submission(tmp_path)
    other = tmp_path / "Other"
    (other / "systems").mkdir(parents=True)
    write_log(other / "results" / "box" / "resnet" / "result_0.txt", v07_log())
    with pytest.raises(UsageError, match="several training rounds"):
        validate(tmp_path)


# ---------------------------------------------------------------- v0.7


def _v07_runs(sub: Path, **kw: object) -> None:
    for i in range(5):
        write_log(sub / "results" / "box" / "resnet" / f"result_{i}.txt",
                  v07_log(t0=V07_T0 + i * 7e6, **kw))  # type: ignore[arg-type]


def test_v07_bleu_is_a_fraction(tmp_path: Path) -> None:
    sub = make_submission_v07(tmp_path)
    bench = sub / "results" / "box" / "resnet"
    hp = [("global_batch_size", 1024), ("opt_base_learning_rate", 2e-3), ("opt_learning_rate_alt_decay_func", True),
          ("opt_learning_rate_decay_factor", 0.5), ("opt_learning_rate_decay_interval", 809),
          ("opt_learning_rate_decay_steps", 4), ("opt_learning_rate_remain_steps", 1618),
          ("max_sequence_length", 75), ("opt_learning_rate_alt_warmup_func", True),
          ("opt_learning_rate_warmup_steps", 200)]
    for i in range(10):
        write_log(bench / f"result_{i}.txt", v07_log(accs=(0.21, 0.2426), hparams=hp, benchmark="gnmt",
                                                     status="success", t0=V07_T0 + i * 7e6))
    bench.rename(sub / "results" / "box" / "gnmt")
    rep = validate(tmp_path)
    assert [f.to_dict() for f in rep.findings] == [] and rep.results[0].valid
    # a BLEU written in points is above the 0.7.0 checker's < 1 bound: not converged
    write_log(sub / "results" / "box" / "gnmt" / "result_0.txt",
              v07_log(accs=(21.0, 24.26), hparams=hp, benchmark="gnmt", status="success"))
    rep = validate(tmp_path)
    assert {f.rule for f in rep.findings} == {"train.run.not-converged"}


def test_v07_bert_target_follows_the_batch_size_in_closed(tmp_path: Path) -> None:
    sub = make_submission_v07(tmp_path)
    bench = sub / "results" / "box" / "resnet"

    def hp(batch: int) -> list[tuple[str, object]]:
        return [("global_batch_size", batch), ("opt_base_learning_rate", 4e-4), ("opt_epsilon", 1e-6),
                ("opt_learning_rate_training_steps", 6000), ("opt_learning_rate_warmup_steps", 0),
                ("num_warmup_steps", 0), ("start_warmup_step", 0), ("opt_lamb_beta_1", 0.9),
                ("opt_lamb_beta_2", 0.999), ("opt_lamb_weight_decay_rate", 0.01)]
    for i in range(10):
        write_log(bench / f"result_{i}.txt", v07_log(accs=(0.70, 0.709), hparams=hp(8192), benchmark="bert",
                                                     status="success", t0=V07_T0 + i * 7e6))
    bench.rename(sub / "results" / "box" / "bert")
    rep = validate(tmp_path)
    assert [f.to_dict() for f in rep.findings] == []
    assert rep.results[0].extra["runs"][0]["target"] == 0.706
    for i in range(2):
        write_log(sub / "results" / "box" / "bert" / f"result_{i}.txt",
                  v07_log(accs=(0.70, 0.709), hparams=hp(4096), benchmark="bert", status="success",
                          t0=V07_T0 + i * 7e6))
    rep = validate(tmp_path)
    notes = [f for f in rep.findings if f.rule == "train.run.not-converged"]
    assert len(notes) == 2 and "0.712" in notes[0].message
    assert not rep.results[0].valid  # two non-converged runs


def test_v07_eval_after_run_stop_does_not_count(tmp_path: Path) -> None:
    sub = make_submission_v07(tmp_path)
    write_log(sub / "results" / "box" / "resnet" / "result_0.txt", v07_log(accs=(0.70, 0.75), after_stop=(0.77,)))
    rep = validate(tmp_path)
    rules = {f.rule: f for f in rep.findings}
    assert set(rules) == {"train.run.eval-after-stop", "train.run.not-converged"}
    assert rules["train.run.eval-after-stop"].severity is Severity.INFO
    assert "too late" in rules["train.run.eval-after-stop"].message
    assert rep.results[0].valid  # the one allowed non-converged run


def test_v07_hyperparameter_message_states_the_literals_and_source(tmp_path: Path) -> None:
    sub = make_submission_v07(tmp_path)
    log = sub / "results" / "box" / "resnet" / "result_0.txt"
    write_log(log, [ln.replace('"lars_opt_weight_decay", "value": 0.0002', '"lars_opt_weight_decay", "value": 0.0003')
                    for ln in log.read_text().splitlines()])
    rep = validate(tmp_path)
    (f,) = rep.findings
    assert f.rule == "train.hparam.closed" and "0.0001 x 2^N" in f.message and "(opt_name is \"lars\")" in f.message
    assert "training_0.7.0" in (f.source or "")


# ---------------------------------------------------------------- v0.6 hyperparameters as logged


def _transformer_v06(sub: Path, name: str, beta1: float = 0.9) -> None:
    bench = sub / "results" / "box" / "resnet"
    hp = [("global_batch_size", 4096), ("opt_name", name), ("opt_base_learning_rate", 2.0),
          ("opt_learning_rate_warmup_steps", 1000), ("max_sequence_length", 256), ("opt_adam_beta_1", beta1),
          ("opt_adam_beta_2", 0.98), ("opt_adam_epsilon", 1e-9)]
    for i in range(10):
        lines = [ln for ln in resnet_log(30.0 + i, accs=(20.0, 25.5), benchmark="transformer")
                 if not any(f" {k}: " in ln for k in ("opt_name", "global_batch_size", "opt_base_learning_rate",
                                                      "opt_learning_rate_warmup_epochs", "model_bn_span", "lars_"))]
        lines += [mll(1560000015.0, k, v) for k, v in hp]
        write_log(bench / f"result_{i}.txt", lines)


def test_v06_adam_and_true_strings_are_accepted(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    _transformer_v06(sub, "Adam")
    (sub / "results" / "box" / "resnet").rename(sub / "results" / "box" / "transformer")
    rep = validate(tmp_path)
    assert [f.to_dict() for f in rep.findings] == []


def test_v06_a_true_break_names_the_allowed_literals(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    _transformer_v06(sub, "adagrad", beta1=0.95)
    (sub / "results" / "box" / "resnet").rename(sub / "results" / "box" / "transformer")
    rep = validate(tmp_path)
    msgs = sorted(f.message for f in rep.findings if f.rule == "train.hparam.closed")
    assert msgs[0] == "'opt_adam_beta_1' is 0.95; it must be one of 0.86, 0.9"
    assert msgs[-1] == ("'opt_name' is 'adagrad'; it must be one of \"adam\", \"lazy_adam\" "
                        "(compared case-insensitively)")
    assert all("training_0.6.0" in (f.source or "") for f in rep.findings if f.rule == "train.hparam.closed")
    assert not rep.results[0].valid


def test_v06_gnmt_alt_functions(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    bench = sub / "results" / "box" / "resnet"
    hp = [("global_batch_size", 1024), ("opt_learning_rate_alt_decay_func", "True"), ("opt_base_learning_rate", 2e-3),
          ("opt_learning_rate_decay_interval", 809), ("opt_learning_rate_decay_factor", 0.5),
          ("opt_learning_rate_decay_steps", 4), ("opt_learning_rate_remain_steps", 1618),
          ("opt_learning_rate_alt_warmup_func", "t2t"), ("opt_learning_rate_warmup_steps", 200),
          ("max_sequence_length", 75)]
    for i in range(10):
        lines = [ln for ln in resnet_log(20.0 + i, accs=(21.0, 24.2), benchmark="gnmt")
                 if not any(f" {k}: " in ln for k in ("opt_name", "global_batch_size", "opt_base_learning_rate",
                                                      "opt_learning_rate_warmup_epochs", "model_bn_span", "lars_"))]
        lines += [mll(1560000015.0, k, v) for k, v in hp]
        write_log(bench / f"result_{i}.txt", lines)
    bench.rename(sub / "results" / "box" / "gnmt")
    rep = validate(tmp_path)
    found = {(f.rule, f.severity.value, f.message) for f in rep.findings}
    # "True" is read as the boolean; "t2t" says no boolean: a warning to check by hand, the result stays valid
    want = ("'opt_learning_rate_alt_warmup_func' is 't2t'; it must be one of the booleans "
            'true, false (or the strings "True", "False", any case)')
    assert {m for _, _, m in found} == {want}
    assert {s for _, s, _ in found} == {"warning"} and rep.results[0].valid


# ---------------------------------------------------------------- v0.5 scoring


def test_v05_nonconverged_counts_as_infinite() -> None:
    score = olympic_score([10, 20, 30, 40, 50], [True, False, True, True, True], "infinite", 10**6)
    assert score.minutes == pytest.approx(40.0)  # 20 is the infinite slowest; drop 10 and it
    score = olympic_score([10, 20, 30, 40, 50], [True, False, False, True, True], "infinite", 10**6)
    assert score.minutes is None and score.invalid


def test_a_score_the_policy_refuses_stays_invalid_with_waivers(tmp_path: Path) -> None:
    sub = make_submission_v05(tmp_path)
    for i in (0, 1):  # two runs that miss the target: each counts as infinite time, no finite score
        write_log(sub / "results" / "box" / "resnet" / f"result_{i}.txt",
                  v05_log(60.0 + i, accs=(0.70, 0.72), t0=1541660914.084755 + i * 9000))
    rep = validate(tmp_path)
    assert {f.severity for f in rep.findings} == {Severity.WARNING}  # no error finding: the policy decides
    assert not rep.results[0].valid and rep.results[0].extra["score"]["minutes"] is None
    waived = validate(tmp_path, ValidateOptions(waivers=(Waiver("train.run.not-converged", "*", "reviewed"),)))
    assert all(f.waived for f in waived.findings) and not waived.results[0].valid


def test_v05_ncf_scores_the_first_50_that_converge_by_run_start() -> None:
    n = 100
    minutes = [float(100 - i) for i in range(n)]  # later runs are faster
    converged = [i % 3 != 0 for i in range(n)]
    starts = [float(n - i) for i in range(n)]  # ... but started earlier: run 99 started first
    score = olympic_score(minutes, converged, "infinite", 10**6, start_order=starts, first_converged=50)
    picked = [i for i in sorted(range(n), key=lambda i: starts[i]) if converged[i]][:50]
    times = sorted(minutes[i] for i in picked)
    assert score.minutes == pytest.approx(sum(times[1:-1]) / 48)
    assert olympic_score(minutes, [False] * 60 + [True] * 40, "infinite", 10**6, start_order=starts,
                         first_converged=50).invalid


def test_v05_float32_target(tmp_path: Path) -> None:
    sub = make_submission_v05(tmp_path)
    bench = sub / "results" / "box" / "resnet"
    for i in range(10):
        write_log(bench / f"result_{i}.txt", v05_log(30.0 + i, accs=(20.0, 21.799999237060547), bench="gnmt",
                                                     target=21.8, t0=1541660914.084755 + i * 9000, success=True))
    bench.rename(sub / "results" / "box" / "gnmt")
    (sub / "code" / "gnmt").mkdir()
    rep = validate(tmp_path)
    assert [f.to_dict() for f in rep.findings] == [] and rep.results[0].valid  # float32(21.8) == 21.799999237


def test_v05_level1_log_is_accepted_with_a_note(tmp_path: Path) -> None:
    sub = make_submission_v05(tmp_path)
    bench = sub / "results" / "box" / "resnet"
    for i in range(10):
        extra = [v05("transformer", 1541660914.084755 + i * 20000 + 2, "eval_size", 3003)] if i else []
        write_log(bench / f"result_{i}.txt", v05_log(200.0 + i, accs=(24.0, 25.3), bench="transformer", target=25.0,
                                                     t0=1541660914.084755 + i * 20000, extra=extra))
    bench.rename(sub / "results" / "box" / "transformer")
    rep = validate(tmp_path)
    (f,) = rep.findings
    assert f.rule == "train.log.level1-only" and f.severity is Severity.INFO and f.path.endswith("result_0.txt")
    assert "eval_size" in f.message and rep.results[0].valid


# ---------------------------------------------------------------- sources in the reports


def test_findings_carry_their_source_in_json_and_text(tmp_path: Path) -> None:
    sub = make_submission_v07(tmp_path)
    write_log(sub / "results" / "box" / "resnet" / "result_0.txt",
              [ev07(V07_T0, "submission_benchmark", "resnet")] + v07_log()[1:] + ["stray line"])
    (sub / "results" / "box" / "resnet" / "notes.txt").write_text("x", encoding="utf-8")
    rep = validate(tmp_path)
    (f,) = [f for f in rep.findings if f.rule == "train.runs.stray"]
    d = f.to_dict()
    assert d["source"].startswith("tr07-summ: glob result_*.txt [tr07-summ: the round's result summarizer")
    text = " ".join(render_text(rep, width=200).split())
    assert "each rule's source (document, commit): mlcheck rules ID, or `source` in -f json" in text
    doc = json.loads(json.dumps(rep.to_dict()))
    assert all("source" in x for x in doc["findings"])


# ---------------------------------------------------------------- hostile values


HOSTILE = ["Infinity", "-Infinity", "NaN", "1e400", "-1", "0", "\"x\"", "[]", "{}", "null", "true", "[1e308, \"a\"]",
           "{\"BBOX\": NaN}", "99999999999999999999999999"]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_values_are_findings_not_tracebacks(tmp_path: Path, raw: str) -> None:
    sub = make_submission_v07(tmp_path)
    keys = ["global_batch_size", "opt_name", "lars_opt_weight_decay", "lars_epsilon", "eval_accuracy",
            "opt_learning_rate_decay_boundary_epochs", "max_samples", "run_start", "init_stop"]
    for i in range(5):
        log = sub / "results" / "box" / "resnet" / f"result_{i}.txt"
        lines = log.read_text().splitlines()
        lines += [f':::MLLOG {{"namespace": "", "time_ms": {raw}, "key": "{k}", "value": {raw}, '
                  f'"metadata": {{"epoch_num": {raw}, "status": {raw}, "epoch_count": {raw}}}}}' for k in keys]
        write_log(log, lines)
    rep = validate(tmp_path)
    assert rep.results and all(f.message for f in rep.findings)
    v05_root = tmp_path / "v05"
    sub5 = make_submission_v05(v05_root)
    write_log(sub5 / "results" / "box" / "resnet" / "result_0.txt",
              v05_log(accs=(0.5,), extra=[v05("resnet", 1541660916.0, "eval_accuracy", {"epoch": 9, "value": 1e300}),
                                          f":::MLPv0.5.0 resnet 1541660917.0 (x.py:1) eval_target: {raw}"]))
    assert validate(v05_root).results
