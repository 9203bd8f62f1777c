"""Training rules: a hand-built good v0.6 submission, and for each train.* rule a bad case giving exactly that finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from checker.api import ValidateOptions, detect_suite, validate
from checker.engine.ruleset import load_ruleset
from checker.findings import Report

SYSTEM = {
    "submitter": "Acme", "division": "closed", "status": "available", "system_name": "Acme box",
    "number_of_nodes": "1", "host_processor_model_name": "Xeon", "host_processors_per_node": "2",
    "host_processor_core_count": "20", "host_memory_capacity": "512GB", "host_storage_capacity": "2TB",
    "host_storage_type": "SSD", "accelerators_per_node": "8", "accelerator_model_name": "V100",
    "accelerator_memory_capacity": "16GB", "framework": "PyTorch 1.1", "operating_system": "Ubuntu",
    "other_software_stack": "CUDA 10",
}

HPARAMS_RESNET = [
    ("global_batch_size", 256), ("opt_name", "lars"), ("opt_base_learning_rate", 0.1),
    ("opt_learning_rate_warmup_epochs", 5), ("model_bn_span", 32), ("lars_opt_learning_rate_decay_steps", 100),
    ("lars_opt_learning_rate_decay_poly_power", 2), ("lars_opt_weight_decay", 0.0001), ("lars_epsilon", 0.0),
]


def mll(ts: float, key: str, value: object = None, **meta: object) -> str:
    """One v0.6 log line, as mlperf_logging 0.6 writes it."""
    return f":::MLL {ts:.3f} {key}: " + json.dumps({"value": value, "metadata": {"file": "train.py", "lineno": 1,
                                                                                   **meta}})


def resnet_log(minutes: float = 60.0, accs: tuple[float, ...] = (0.70, 0.76), t0: float = 1560000000.0,
               benchmark: str = "resnet", status: str = "success", init_s: float = 60.0) -> list[str]:
    """A complete, compliant v0.6 ResNet log whose run takes `minutes`."""
    lines = ["Beginning trial 1 of 1", mll(t0, "submission_benchmark", benchmark),
             mll(t0, "submission_org", "Acme"), mll(t0, "submission_division", "closed"),
             mll(t0, "submission_status", "onprem"), mll(t0, "submission_platform", "Acme box"),
             mll(t0, "submission_poc_name", "A"), mll(t0, "submission_entry", "x"),
             mll(t0 + 1, "cache_clear", True), mll(t0 + 2, "init_start")]
    lines += [mll(t0 + 3, k, v) for k, v in HPARAMS_RESNET]
    start = t0 + 2 + init_s
    lines += [mll(start, "init_stop"), mll(start, "run_start")]
    step = minutes * 60 / len(accs)
    for i, a in enumerate(accs, 1):
        t = start + step * i - 1
        lines += [mll(t - 5, "epoch_start", epoch_num=i), mll(t - 4, "epoch_stop", epoch_num=i),
                  mll(t - 3, "eval_start", epoch_num=i), mll(t - 2, "eval_accuracy", a, epoch_num=i),
                  mll(t - 1, "eval_stop", epoch_num=i)]
    lines.append(mll(start + minutes * 60, "run_stop", status=status))
    return lines


def write_log(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_submission(root: Path, minutes: tuple[float, ...] = (60.0, 61.0, 62.0, 63.0, 64.0)) -> Path:
    """Acme/{systems/box.json, results/box/resnet/result_0..4.txt}: a good v0.6 submission."""
    sub = root / "Acme"
    (sub / "systems").mkdir(parents=True)
    (sub / "systems" / "box.json").write_text(json.dumps(SYSTEM), encoding="utf-8")
    (sub / "benchmarks" / "resnet" / "box").mkdir(parents=True)
    for i, m in enumerate(minutes):
        write_log(sub / "results" / "box" / "resnet" / f"result_{i}.txt", resnet_log(m))
    return sub


def rules_of(report: Report, min_severity: str = "info") -> set[str]:
    order = {"info": 0, "warning": 1, "error": 2}
    return {f.rule for f in report.findings if order[f.severity.value] >= order[min_severity]}


def test_good_submission_is_clean(tmp_path: Path) -> None:
    make_submission(tmp_path)
    assert detect_suite(tmp_path) == "training"
    report = validate(tmp_path)
    assert report.suite == "training" and report.round == "v0.6"
    assert [f.to_dict() for f in report.findings] == []
    assert report.exit_code(strict=True) == 0
    (res,) = report.results
    assert res.id == "Acme/results/box/resnet" and res.valid
    d = res.to_dict()
    assert d["score"] == {"minutes": 62.0}  # drop 60 and 64, mean of 61, 62, 63
    assert d["benchmark"] == "resnet" and d["system"] == "box" and d["submitter"] == "Acme"
    assert d["division"] == "closed"
    assert d["metric"] == {"name": "time_to_train", "value": 62.0, "unit": "min"}
    assert [r["minutes"] for r in d["runs"]] == [60.0, 61.0, 62.0, 63.0, 64.0]
    assert all(r["converged"] and r["accuracy"] == 0.76 for r in d["runs"])


def test_single_submitter_root_and_round_override(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    report = validate(sub)
    assert report.results[0].id == "results/box/resnet"
    v05 = validate(sub, ValidateOptions(round="v0.5"))
    assert v05.round == "v0.5"
    assert "train.log.wrong-format" in rules_of(v05)


def _log(sub: Path, i: int = 0) -> Path:
    return sub / "results" / "box" / "resnet" / f"result_{i}.txt"


def _edit(sub: Path, fn: Callable[[list[str]], list[str]], i: int = 0) -> None:
    p = _log(sub, i)
    write_log(p, fn(p.read_text(encoding="utf-8").splitlines()))


def _replace_key(key: str, new: Callable[[str], str | None]) -> Callable[[list[str]], list[str]]:
    def fn(lines: list[str]) -> list[str]:
        out = []
        for ln in lines:
            if f" {key}: " in ln:
                r = new(ln)
                if r is not None:
                    out.append(r)
            else:
                out.append(ln)
        return out
    return fn


def _bad_system(sub: Path, text: str) -> None:
    (sub / "systems" / "box.json").write_text(text, encoding="utf-8")


CASES: dict[str, Callable[[Path, Path], ValidateOptions | None]] = {}


def case(rule: str) -> Callable[[Callable[[Path, Path], ValidateOptions | None]],
                                 Callable[[Path, Path], ValidateOptions | None]]:
    def deco(fn: Callable[[Path, Path], ValidateOptions | None]) -> Callable[[Path, Path], ValidateOptions | None]:
        CASES[rule] = fn
        return fn
    return deco


@case("train.layout.results")
def _c1(root: Path, sub: Path) -> None:
    (root / "Other" / "systems").mkdir(parents=True)


@case("train.layout.links")
def _c2(root: Path, sub: Path) -> None:
    os.symlink(_log(sub, 0), sub / "results" / "box" / "resnet" / "linked.txt")


@case("train.submission.json")
def _c3(root: Path, sub: Path) -> None:
    (sub / "submission.json").write_text('{"org": "Acme", "poc_email": "a@b","c@d"}', encoding="utf-8")


@case("train.system.missing")
def _c4(root: Path, sub: Path) -> None:
    (sub / "systems" / "box.json").unlink()


@case("train.system.json")
def _c5(root: Path, sub: Path) -> None:
    _bad_system(sub, "\n".join(f'{k}: {json.dumps({"value": v})}' for k, v in SYSTEM.items()))


@case("train.system.schema")
def _c6(root: Path, sub: Path) -> None:
    bad = dict(SYSTEM)
    bad["sumitter"] = bad.pop("submitter")
    _bad_system(sub, json.dumps(bad))


@case("train.benchmark.unknown")
def _c7(root: Path, sub: Path) -> None:
    (sub / "results" / "box" / "resnet").rename(sub / "results" / "box" / "alexnet")


@case("train.runs.count")
def _c8(root: Path, sub: Path) -> None:
    _log(sub, 4).unlink()


@case("train.runs.numbering")
def _c9(root: Path, sub: Path) -> None:
    _log(sub, 2).rename(_log(sub, 7))


@case("train.runs.stray")
def _c10(root: Path, sub: Path) -> None:
    (sub / "results" / "box" / "resnet" / "notes.txt").write_text("hello", encoding="utf-8")


@case("train.runs.absent")
def _c11(root: Path, sub: Path) -> ValidateOptions:
    write_log(_log(sub, 5), resnet_log(65.0))
    return ValidateOptions(known_absent=frozenset({"Acme/results/box/resnet/result_6.txt"}))


@case("train.runs.no-score")
def _c12(root: Path, sub: Path) -> None:
    for i in (2, 3, 4):
        _edit(sub, _replace_key("run_stop", lambda ln: None), i)
        _edit(sub, lambda lines: lines + [], i)


@case("train.runs.not-converged")
def _c13(root: Path, sub: Path) -> ValidateOptions:
    for i in (0, 1):
        write_log(_log(sub, i), [ln.replace(":::MLL", ":::MLLOG") for ln in []] + v07_log(accs=(0.5, 0.6)))
    for i in (2, 3, 4):
        write_log(_log(sub, i), v07_log())
    return ValidateOptions(round="v0.7")


@case("train.log.unreadable")
def _c14(root: Path, sub: Path) -> None:
    _log(sub, 0).write_text("", encoding="utf-8")


@case("train.log.format")
def _c15(root: Path, sub: Path) -> None:
    _log(sub, 0).write_text("MLPerf: resnet [06/13/19 00:30:56], run_start\n"
                            "MLPerf: resnet [06/13/19 00:55:21], eval_accuracy: {\"value\": 76.1%}\n"
                            "MLPerf: resnet [06/13/19 01:30:56], run_stop\n"
                            "MLPerf: resnet [06/13/19 01:30:56], Total runtime: 60.5 minutes\n", encoding="utf-8")


@case("train.log.wrong-format")
def _c16(root: Path, sub: Path) -> ValidateOptions:
    return ValidateOptions(round="v0.7")  # every log is v0.6; the v0.7 rules want :::MLLOG


@case("train.log.unparsed-line")
def _c17(root: Path, sub: Path) -> None:
    _edit(sub, lambda lines: lines[:12] + [':::MLL 1560000003.000 global_batch_size: {"value": 25'] + lines[12:])


@case("train.log.prefix")
def _c18(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("eval_stop", lambda ln: "[1,0]<stdout>:" + ln))


@case("train.log.interleaved")
def _c19(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("epoch_stop", lambda ln: ln + mll(1560000100.0, "save_model", None)))


@case("train.log.python-dict")
def _c20(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("eval_stop", lambda ln: ln.replace('"file": "train.py"', "'file': 'train.py'")
                            .replace('"lineno": 1', "'lineno': 1")))


@case("train.log.string-number")
def _c21(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("eval_accuracy", lambda ln: ln.replace('"value": 0.76', '"value": "0.76"')))


@case("train.log.duplicate-key")
def _c22(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("run_start", lambda ln: ln + "\n" + ln.replace(".000 run_start", ".500 run_start")))


@case("train.log.benchmark")
def _c23(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("submission_benchmark", lambda ln: ln.replace('"resnet"', '"ssd"')))


@case("train.run.keys")
def _c24(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("cache_clear", lambda ln: None))


@case("train.run.order")
def _c25(root: Path, sub: Path) -> None:
    def fn(lines: list[str]) -> list[str]:
        cc = [ln for ln in lines if " cache_clear: " in ln]
        rest = [ln for ln in lines if " cache_clear: " not in ln]
        i = next(i for i, ln in enumerate(rest) if " init_stop: " in ln)
        return rest[:i] + cc + rest[i:]
    _edit(sub, fn)


@case("train.run.bracketing")
def _c26(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("eval_start", lambda ln: None))


@case("train.init.too-long")
def _c27(root: Path, sub: Path) -> None:
    write_log(_log(sub, 0), resnet_log(60.0, init_s=25 * 60))


@case("train.run.status")
def _c28(root: Path, sub: Path) -> None:
    write_log(_log(sub, 0), resnet_log(60.0, status="aborted"))


@case("train.run.no-time")
def _c29(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("run_stop", lambda ln: None))


@case("train.run.not-converged")
def _c30(root: Path, sub: Path) -> None:
    write_log(_log(sub, 0), resnet_log(60.0, accs=(0.70, 0.75)))


@case("train.run.time-derived")
def _c31(root: Path, sub: Path) -> None:
    bench = sub / "results" / "box" / "resnet"
    for i in range(5):
        lines = [ln.replace('"resnet"', '"minigo"') for ln in resnet_log(30.0 + i, accs=(0.3, 0.55))
                 if not any(f" {k}: " in ln for k, _ in HPARAMS_RESNET)]
        lines += [mll(1560000100.0, "global_batch_size", 8), mll(1560000100.0, "opt_base_learning_rate", [0.1]),
                  mll(1560000100.0, "opt_learning_rate_decay_boundary_steps", [1]),
                  mll(1560000100.0, "virtual_losses", 8),
                  mll(1560009999.0, "eval_result", None, iteration=2, timestamp=1800.0 + i)]
        write_log(bench / f"result_{i}.txt", lines)
    for i in range(5, 10):
        (bench / f"result_{i}.txt").write_text((bench / "result_0.txt").read_text())
    bench.rename(sub / "results" / "box" / "minigo")


@case("train.hparam.closed")
def _c32(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("opt_name", lambda ln: ln.replace('"lars"', '"adagrad"')))


def v07_log(accs: tuple[float, ...] = (0.70, 0.76), minutes: float = 60.0) -> list[str]:
    """A compliant v0.7 (:::MLLOG) ResNet log."""
    t0 = 1590000000000.0

    def ev(t: float, key: str, value: object = None, **meta: object) -> str:
        return ":::MLLOG " + json.dumps({"namespace": "", "time_ms": t, "event_type": "POINT_IN_TIME", "key": key,
                                         "value": value, "metadata": {"file": "t.py", "lineno": 1, **meta}})
    lines = [ev(t0, "submission_benchmark", "resnet"), ev(t0 + 1, "cache_clear", True), ev(t0 + 2, "init_start")]
    lines += [ev(t0 + 3, k, v) for k, v in HPARAMS_RESNET]
    start = t0 + 60000
    lines += [ev(start, "init_stop"), ev(start, "run_start")]
    for i, a in enumerate(accs, 1):
        t = start + i * 1000
        lines += [ev(t, "epoch_start", epoch_num=i), ev(t + 1, "epoch_stop", epoch_num=i),
                  ev(t + 2, "eval_start", epoch_num=i), ev(t + 3, "eval_accuracy", a, epoch_num=i),
                  ev(t + 4, "eval_stop", epoch_num=i)]
    status = "success" if max(accs) >= 0.759 else "aborted"
    lines.append(ev(start + minutes * 60000, "run_stop", status=status))
    return lines


# Rules that cannot fire alone: each bad case lists the companions its mutation necessarily brings.
COMPANIONS: dict[str, set[str]] = {
    "train.runs.no-score": {"train.run.keys", "train.run.no-time"},
    "train.runs.not-converged": {"train.run.not-converged", "train.run.status"},
    "train.log.format": {"train.run.not-converged"},
    "train.log.unreadable": set(),
    "train.run.status": {"train.run.not-converged"},
    "train.run.no-time": {"train.run.keys"},
    "train.log.duplicate-key": set(),
    "train.runs.absent": set(),
    "train.run.bracketing": set(),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_bad_case_gives_exactly_that_finding(tmp_path: Path, rule: str) -> None:
    sub = make_submission(tmp_path)
    opts = CASES[rule](tmp_path, sub) or ValidateOptions()
    report = validate(tmp_path, opts)
    got = rules_of(report)
    assert rule in got, [f.to_dict() for f in report.findings]
    assert got - {rule} <= COMPANIONS.get(rule, set()), [f.to_dict() for f in report.findings]


def test_every_rule_has_a_bad_case() -> None:
    ids: set[str] = set()
    for rnd in ("v0.5", "v0.6", "v0.7"):
        ids |= {r.id for r in load_ruleset("training", rnd).rules}
    assert ids - set(CASES) == set()


def test_log_format_finding_names_the_derived_time(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    _c15(tmp_path, sub)
    report = validate(tmp_path)
    (f,) = [f for f in report.findings if f.rule == "train.log.format"]
    assert f.severity.value == "error" and "Total runtime" in f.message and "60.5000 min" in f.message
    runs = report.results[0].extra["runs"]
    assert runs[0]["minutes"] == 60.5 and runs[0]["time_method"] == "reported_total_runtime"
    assert not report.results[0].valid


def test_v07_one_nonconverged_run_is_dropped_two_invalidate(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    write_log(_log(sub, 0), v07_log(accs=(0.5, 0.6), minutes=10.0))
    for i, m in zip((1, 2, 3, 4), (20.0, 30.0, 40.0, 50.0)):
        write_log(_log(sub, i), v07_log(minutes=m))
    rep = validate(tmp_path, ValidateOptions(round="v0.7"))
    assert rep.results[0].extra["score"]["minutes"] == pytest.approx(40.0)  # drop 20 (fastest) and the failed run
    assert "train.runs.not-converged" not in rules_of(rep)
    write_log(_log(sub, 1), v07_log(accs=(0.5,), minutes=20.0))
    rep = validate(tmp_path, ValidateOptions(round="v0.7"))
    assert rep.results[0].extra["score"]["minutes"] is None and not rep.results[0].valid


def test_v06_counts_nonconverged_time(tmp_path: Path) -> None:
    sub = make_submission(tmp_path, minutes=(10.0, 20.0, 30.0, 40.0, 50.0))
    write_log(_log(sub, 1), resnet_log(20.0, accs=(0.5, 0.6)))
    rep = validate(tmp_path)
    assert rep.results[0].extra["score"]["minutes"] == pytest.approx(30.0)
    assert rep.results[0].extra["nonconverged"] == 1


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, timeout=60)


def test_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good"
    make_submission(good)
    r = _cli("validate", str(good), "-f", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["suite"] == "training" and doc["results"][0]["score"]["minutes"] == 62.0
    bad = tmp_path / "bad"
    sub = make_submission(bad)
    _c24(bad, sub)
    assert _cli("validate", str(bad), "-f", "json").returncode == 1
    warn = tmp_path / "warn"
    sub = make_submission(warn)
    _c30(warn, sub)
    assert _cli("validate", str(warn), "-f", "json").returncode == 0
    assert _cli("validate", str(warn), "-f", "json", "--strict").returncode == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _cli("validate", str(empty)).returncode == 2
    assert _cli("validate", str(good), "--round", "v9.9").returncode == 2
