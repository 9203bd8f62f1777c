"""Training rules: a hand-built good v0.6 submission, and for each train.* rule a bad case giving exactly that finding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from training_fixtures import (
    HPARAMS_RESNET,
    SYSTEM,
    V07_T0,
    ev07,
    make_submission,
    make_submission_v05,
    make_submission_v07,
    mll,
    resnet_log,
    v05_log,
    v07_log,
    write_log,
)

from checker.api import SUITES, ValidateOptions, detect_suite, load_suite_ruleset, validate
from checker.engine.rules import available_rounds
from checker.findings import Report


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


CaseFn = Callable[[Path, Path], ValidateOptions | None]
CASES: dict[str, tuple[CaseFn, str]] = {}  # rule id -> (mutation, the round of the good submission it breaks)
BASES: dict[str, Callable[[Path], Path]] = {"v0.5": make_submission_v05, "v0.6": make_submission,
                                            "v0.7": make_submission_v07}


def case(rule: str, base: str = "v0.6") -> Callable[[CaseFn], CaseFn]:
    def deco(fn: CaseFn) -> CaseFn:
        CASES[rule] = (fn, base)
        return fn
    return deco


def _v05_log(sub: Path, i: int = 0, bench: str = "resnet") -> Path:
    return sub / "results" / "box" / bench / f"result_{i}.txt"


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


@case("train.system.field")
def _c6b(root: Path, sub: Path) -> None:
    _bad_system(sub, json.dumps({**SYSTEM, "number_of_nodes": "one"}))


@case("train.system.required")
def _c6c(root: Path, sub: Path) -> None:
    _bad_system(sub, json.dumps({k: v for k, v in SYSTEM.items() if k != "host_memory_capacity"}))


@case("train.system.unknown-field")
def _c6d(root: Path, sub: Path) -> None:
    _bad_system(sub, json.dumps({**SYSTEM, "python_version": "3.6"}))


@case("train.benchmark.unknown")
def _c7(root: Path, sub: Path) -> None:
    (sub / "results" / "box" / "resnet").rename(sub / "results" / "box" / "alexnet")


@case("train.runs.count")
def _c8(root: Path, sub: Path) -> None:
    _log(sub, 4).unlink()


@case("train.runs.sequence")
def _c9(root: Path, sub: Path) -> None:
    _log(sub, 2).rename(_log(sub, 7))


@case("train.runs.numbering")
def _c9b(root: Path, sub: Path) -> None:
    _log(sub, 4).rename(sub / "results" / "box" / "resnet" / "result_run4.txt")


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


@case("train.runs.not-converged", "v0.7")
def _c13(root: Path, sub: Path) -> None:
    for i in (0, 1):
        write_log(_log(sub, i), v07_log(accs=(0.5, 0.6), t0=V07_T0 + i * 7e6))


@case("train.log.unreadable")
def _c14(root: Path, sub: Path) -> None:
    _log(sub, 0).write_text("", encoding="utf-8")


@case("train.log.format")
def _c15(root: Path, sub: Path) -> None:
    _log(sub, 0).write_text("MLPerf: resnet [06/13/19 00:30:56], run_start\n"
                            "MLPerf: resnet [06/13/19 00:55:21], eval_accuracy: {\"value\": 76.1%}\n"
                            "MLPerf: resnet [06/13/19 01:30:56], run_stop\n"
                            "MLPerf: resnet [06/13/19 01:30:56], Total runtime: 60.5 minutes\n", encoding="utf-8")


@case("train.log.format-untimed")
def _c15b(root: Path, sub: Path) -> None:
    _log(sub, 0).write_text("MLPerf: resnet training started\n"
                            "MLPerf: resnet [06/13/19 00:55:21], eval_accuracy: {\"value\": 76.1%}\n", encoding="utf-8")


def _as_mllog(line: str) -> str:
    """A v0.6 record rewritten as the v0.7 logger writes it (same key, value, metadata; milliseconds)."""
    if not line.startswith(":::MLL "):
        return line
    _, ts, rest = line.split(" ", 2)
    key, payload = rest.split(": ", 1)
    obj = json.loads(payload)
    return ev07(float(ts) * 1000, key, obj["value"], **{k: v for k, v in obj["metadata"].items()
                                                        if k not in ("file", "lineno")})


@case("train.log.wrong-format")
def _c16(root: Path, sub: Path) -> ValidateOptions:
    _edit(sub, lambda lines: [_as_mllog(ln) for ln in lines])
    return ValidateOptions(round="v0.6")  # one log of the v0.6 tree is in the v0.7 format


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


@case("train.hparam.missing")
def _c33(root: Path, sub: Path) -> None:
    _edit(sub, _replace_key("model_bn_span", lambda ln: None))


@case("train.hparam.once", "v0.7")
def _c34(root: Path, sub: Path) -> None:
    _edit(sub, lambda lines: lines + [ev07(V07_T0 + 3, "global_batch_size", 4096)])


@case("train.run.after-stop")
def _c35(root: Path, sub: Path) -> None:
    _edit(sub, lambda lines: lines + [mll(1560010000.0, "epoch_start", epoch_num=9)])


# ---------------------------------------------------------------- rules of this issue: discovery


@case("train.results.unread")
def _c40(root: Path, sub: Path) -> None:
    (sub / "results" / "notes.md").write_text("how we ran it", encoding="utf-8")


@case("train.layout.no-benchmark-folder", "v0.7")
def _c41(root: Path, sub: Path) -> None:
    bench = sub / "results" / "box" / "resnet"
    for p in sorted(bench.iterdir()):
        p.rename(sub / "results" / "box" / p.name)
    bench.rmdir()


@case("train.runs.fewer-accepted", "v0.5")
def _c42(root: Path, sub: Path) -> None:
    for i in range(5):
        _v05_log(sub, i).unlink()
    (sub / "results" / "box" / "resnet").rmdir()
    for i in range(10):
        write_log(_v05_log(sub, i, "minigo"), v05_log(30.0 + i, accs=(0.3, 0.45), bench="minigo", target=0.40,
                                                      t0=1541660914.084755 + i * 9000))


# ---------------------------------------------------------------- log keys and metadata (v0.5, v0.7)


@case("train.run.key-count", "v0.7")
def _c43(root: Path, sub: Path) -> None:
    _edit(sub, lambda lines: lines + [ev07(V07_T0 + 3, "submission_org", "Other Corp")])


@case("train.run.metadata", "v0.7")
def _c44(root: Path, sub: Path) -> None:
    _edit(sub, lambda lines: [ln.replace(', "epoch_num": 1}', "}") if '"eval_stop"' in ln else ln for ln in lines])


@case("train.run.metadata-value", "v0.7")
def _c44b(root: Path, sub: Path) -> None:
    def fn(lines: list[str]) -> list[str]:
        i = next(i for i, ln in enumerate(lines) if '"key": "epoch_start"' in ln)
        block = ev07(V07_T0 + 60001, "block_start", event="INTERVAL_START", first_epoch_num=1, epoch_count=0)
        return lines[:i] + [block] + lines[i:]
    _edit(sub, fn)


@case("train.log.target", "v0.5")
def _c45(root: Path, sub: Path) -> None:
    p = _v05_log(sub, 0)
    write_log(p, [ln.replace("eval_target: 0.749", "eval_target: 0.74") for ln in p.read_text().splitlines()])


@case("train.log.level1-only", "v0.5")
def _c46(root: Path, sub: Path) -> None:
    for i in range(5):
        _v05_log(sub, i).unlink()
    (sub / "results" / "box" / "resnet").rmdir()
    for i in range(10):
        write_log(_v05_log(sub, i, "transformer"), v05_log(200.0 + i, accs=(24.0, 25.3), bench="transformer",
                                                           target=25.0, t0=1541660914.084755 + i * 20000))


# ---------------------------------------------------------------- time stamps (v0.7)


def _retime(key: str, fn: Callable[[float], float]) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        out = []
        for ln in lines:
            obj = json.loads(ln[len(":::MLLOG "):]) if ln.startswith(":::MLLOG ") else None
            if obj is not None and obj["key"] == key:
                obj["time_ms"] = fn(obj["time_ms"])
                ln = ":::MLLOG " + json.dumps(obj)
            out.append(ln)
        return out
    return edit


@case("train.time.placeholder", "v0.7")
def _c47(root: Path, sub: Path) -> None:
    _edit(sub, _retime("run_start", lambda t: 1590000000000.0))


@case("train.time.placeholder-init", "v0.7")
def _c47b(root: Path, sub: Path) -> None:
    _edit(sub, _retime("init_start", lambda t: 1590000000000.0))


@case("train.time.init-after-run", "v0.7")
def _c48(root: Path, sub: Path) -> None:
    day = 86400e3
    _edit(sub, lambda lines: _retime("init_stop", lambda t: t + day)(_retime("init_start", lambda t: t + day)(lines)))


@case("train.time.run-before-init", "v0.7")
def _c49(root: Path, sub: Path) -> None:
    _edit(sub, _retime("init_stop", lambda t: t + 120e3))


@case("train.time.eval-before-start", "v0.7")
def _c50(root: Path, sub: Path) -> None:
    def fn(lines: list[str]) -> list[str]:
        i = next(i for i, ln in enumerate(lines) if '"key": "run_start"' in ln)
        return lines[:i] + [ev07(V07_T0 + 50000, "eval_accuracy", 0.1, epoch_num=0)] + lines[i:]
    _edit(sub, fn)


@case("train.time.outlier", "v0.7")
def _c51(root: Path, sub: Path) -> None:
    write_log(_log(sub, 4), v07_log(minutes=700.0, t0=V07_T0 + 4 * 7e6))


@case("train.log.time-s", "v0.7")
def _c52(root: Path, sub: Path) -> None:
    def fn(lines: list[str]) -> list[str]:
        out = []
        for ln in lines:
            obj = json.loads(ln[len(":::MLLOG "):])
            obj["time_s"] = obj.pop("time_ms") / 1000.0
            out.append(":::MLLOG " + json.dumps(obj))
        return out
    _edit(sub, fn)


@case("train.run.eval-after-stop", "v0.7")
def _c53(root: Path, sub: Path) -> None:
    write_log(_log(sub, 0), v07_log(after_stop=(0.77,)))


# Rules that cannot fire alone: each bad case lists the companions its mutation necessarily brings.
COMPANIONS: dict[str, set[str]] = {
    "train.system.schema": {"train.system.required"},  # the misspelt field is a required one
    "train.log.format-untimed": {"train.run.no-time"},
    "train.runs.no-score": {"train.run.keys", "train.run.no-time"},
    "train.runs.not-converged": {"train.run.not-converged"},
    "train.log.format": set(),
    "train.log.unreadable": set(),
    "train.run.status": {"train.run.not-converged"},
    "train.run.no-time": {"train.run.keys"},
    "train.log.duplicate-key": set(),
    "train.runs.absent": set(),
    "train.run.bracketing": set(),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_bad_case_gives_exactly_that_finding(tmp_path: Path, rule: str) -> None:
    fn, base = CASES[rule]
    sub = BASES[base](tmp_path)
    opts = fn(tmp_path, sub) or ValidateOptions()
    report = validate(tmp_path, opts)
    got = rules_of(report)
    assert rule in got, [f.to_dict() for f in report.findings]
    assert got - {rule} <= COMPANIONS.get(rule, set()), [f.to_dict() for f in report.findings]
    for f in report.findings:
        assert f.source, f  # every finding names where its rule comes from


@pytest.mark.parametrize("base", sorted(BASES))
def test_good_submission_of_each_round_is_clean(tmp_path: Path, base: str) -> None:
    BASES[base](tmp_path)
    report = validate(tmp_path)
    assert report.round == base, report.ruleset
    assert [f.to_dict() for f in report.findings] == []
    (res,) = report.results
    assert res.valid and res.extra["score"] == {"minutes": 62.0}


def test_every_rule_has_a_bad_case() -> None:
    ids: set[str] = set()
    for rnd in available_rounds("training"):
        ids |= {r.id for r in load_suite_ruleset(SUITES["training"], rnd).rules}
    assert ids == set(CASES)


def test_log_format_finding_names_the_derived_time(tmp_path: Path) -> None:
    sub = make_submission(tmp_path)
    _c15(tmp_path, sub)
    report = validate(tmp_path)
    (f,) = [f for f in report.findings if f.rule == "train.log.format"]
    # v0.6 published such logs (Alibaba): a warning in that round, an error in v0.7
    assert f.severity.value == "warning" and "Total runtime" in f.message and "60.5000 min" in f.message
    assert "mlcommons/training_results_v0.6 @ f312518" in (f.source or "")
    runs = report.results[0].extra["runs"]
    assert runs[0]["minutes"] == 60.5 and runs[0]["time_method"] == "reported_total_runtime"
    assert report.results[0].valid
    v07 = validate(tmp_path, ValidateOptions(round="v0.7"))
    assert any(f.rule == "train.log.format" and f.severity.value == "error" for f in v07.findings)


def test_v07_one_nonconverged_run_is_dropped_two_invalidate(tmp_path: Path) -> None:
    sub = make_submission_v07(tmp_path)
    write_log(_log(sub, 0), v07_log(accs=(0.5, 0.6), minutes=10.0))
    for i, m in zip((1, 2, 3, 4), (20.0, 30.0, 40.0, 50.0)):
        write_log(_log(sub, i), v07_log(minutes=m, t0=V07_T0 + i * 7e6))
    rep = validate(tmp_path)
    assert rep.results[0].extra["score"]["minutes"] == pytest.approx(40.0)  # drop 20 (fastest) and the failed run
    # its run_stop says aborted: allowed on the one non-converged run
    assert rules_of(rep) == {"train.run.not-converged"} and rep.results[0].valid
    write_log(_log(sub, 1), v07_log(accs=(0.5,), minutes=20.0, t0=V07_T0 + 7e6))
    rep = validate(tmp_path)
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
