"""Hand-built, compliant training submissions of each round (v0.5, v0.6, v0.7), for the rule tests to break.

Each builder writes logs the way the round's logging library wrote them, with every key the
round's checker requires, so that a good submission of any round validates without a finding.
"""

from __future__ import annotations

import json
from pathlib import Path

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

# the 0.7.0 closed ResNet (LARS) table
HPARAMS_RESNET_V07 = [
    ("global_batch_size", 3264), ("opt_name", "lars"), ("lars_opt_base_learning_rate", 10.0),
    ("lars_opt_end_learning_rate", 0.0001), ("lars_opt_learning_rate_decay_poly_power", 2),
    ("lars_opt_learning_rate_decay_steps", 37), ("lars_epsilon", 0.0), ("lars_opt_learning_rate_warmup_epochs", 2),
    ("lars_opt_momentum", 0.9), ("lars_opt_weight_decay", 0.0002),
]

V07_T0 = 1590000123456.0  # ms; not a round number


def write_log(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- v0.6


def mll(ts: float, key: str, value: object = None, **meta: object) -> str:
    """One v0.6 log line, as mlperf_logging 0.6 writes it."""
    return f":::MLL {ts:.3f} {key}: " + json.dumps({"value": value, "metadata": {"file": "train.py", "lineno": 1,
                                                                                   **meta}})


def resnet_log(minutes: float = 60.0, accs: tuple[float, ...] = (0.70, 0.76), t0: float = 1560000012.345,
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


def make_submission(root: Path, minutes: tuple[float, ...] = (60.0, 61.0, 62.0, 63.0, 64.0)) -> Path:
    """Acme/{systems/box.json, results/box/resnet/result_0..4.txt}: a good v0.6 submission."""
    sub = root / "Acme"
    (sub / "systems").mkdir(parents=True)
    (sub / "systems" / "box.json").write_text(json.dumps(SYSTEM), encoding="utf-8")
    (sub / "benchmarks" / "resnet" / "box").mkdir(parents=True)
    for i, m in enumerate(minutes):
        write_log(sub / "results" / "box" / "resnet" / f"result_{i}.txt", resnet_log(m))
    return sub


# ---------------------------------------------------------------- v0.7


def ev07(t: float, key: str, value: object = None, event: str = "POINT_IN_TIME", **meta: object) -> str:
    """One v0.7 log line, as mlperf_logging 0.7 writes it."""
    return ":::MLLOG " + json.dumps({"namespace": "", "time_ms": t, "event_type": event, "key": key, "value": value,
                                     "metadata": {"file": "t.py", "lineno": 1, **meta}})


def v07_log(accs: tuple[float, ...] = (0.70, 0.76), minutes: float = 60.0, status: str | None = None,
            hparams: list[tuple[str, object]] | None = None, t0: float = V07_T0, benchmark: str = "resnet",
            division: str = "closed", after_stop: tuple[float, ...] = ()) -> list[str]:
    """A compliant v0.7 (:::MLLOG) log: every key of common.yaml and the closed ResNet LARS table."""
    lines = [ev07(t0, "submission_benchmark", benchmark), ev07(t0, "submission_org", "Acme"),
             ev07(t0, "submission_division", division), ev07(t0, "submission_status", "onprem"),
             ev07(t0, "submission_platform", "box"), ev07(t0 + 1, "cache_clear", True),
             ev07(t0 + 2, "init_start", event="INTERVAL_START")]
    lines += [ev07(t0 + 3, k, v) for k, v in (HPARAMS_RESNET_V07 if hparams is None else hparams)]
    start = t0 + 60000
    lines += [ev07(start - 1, "init_stop", event="INTERVAL_END"), ev07(start, "run_start", event="INTERVAL_START"),
              ev07(start, "train_samples", 1281167), ev07(start, "eval_samples", 50000)]
    step = minutes * 60000 / (len(accs) + 1)
    for i, a in enumerate(accs, 1):
        t = start + i * step
        lines += [ev07(t, "epoch_start", event="INTERVAL_START", epoch_num=i),
                  ev07(t + 1, "epoch_stop", event="INTERVAL_END", epoch_num=i),
                  ev07(t + 2, "eval_start", event="INTERVAL_START", epoch_num=i),
                  ev07(t + 3, "eval_accuracy", a, epoch_num=i),
                  ev07(t + 4, "eval_stop", event="INTERVAL_END", epoch_num=i)]
    if status is None:
        status = "success" if max(accs) >= 0.759 else "aborted"
    stop = start + minutes * 60000
    lines.append(ev07(stop, "run_stop", event="INTERVAL_END", status=status))
    for j, a in enumerate(after_stop, 1):
        lines.append(ev07(stop + j * 1000, "eval_accuracy", a, epoch_num=len(accs) + j))
    return lines


def make_submission_v07(root: Path, minutes: tuple[float, ...] = (60.0, 61.0, 62.0, 63.0, 64.0)) -> Path:
    """Acme/{systems/box.json, results/box/resnet/result_0..4.txt}: a good v0.7 submission."""
    sub = root / "Acme"
    (sub / "systems").mkdir(parents=True)
    system = {k: v for k, v in SYSTEM.items() if k != "other_software_stack"}
    system.update({"other_software_stack": "CUDA 11", "framework": "MXNet 20.06"})
    (sub / "systems" / "box.json").write_text(json.dumps(system), encoding="utf-8")
    (sub / "benchmarks" / "resnet" / "implementations").mkdir(parents=True)
    for i, m in enumerate(minutes):
        write_log(sub / "results" / "box" / "resnet" / f"result_{i}.txt", v07_log(minutes=m, t0=V07_T0 + i * 7e6))
    return sub


# ---------------------------------------------------------------- v0.5

ENTRY = {
    "division": "closed", "status": "onprem", "hardware": "Acme box", "framework": "TensorFlow 1.12", "power": "",
    "notes": "", "interconnect": "none", "os": "Ubuntu 16.04", "libraries": "", "compilers": "gcc",
    "nodes": [{"num_nodes": 1, "cpu": "Xeon", "num_cores": 20, "num_vcpus": 40, "accelerator": "V100",
               "num_accelerators": 8, "sys_mem_size": 512, "sys_storage_type": "SSD", "sys_storage_size": 2000,
               "cpu_accel_interconnect": "PCIe", "network_card": "", "num_network_cards": 1, "notes": ""}],
}


def v05(bench: str, ts: float, key: str, value: object = None) -> str:
    """One v0.5 log line, as mlperf_compliance 0.5 writes it."""
    tail = "" if value is None else ": " + json.dumps(value)
    return f":::MLPv0.5.0 {bench} {ts:.9f} (train.py:1) {key}{tail}"


def v05_log(minutes: float = 60.0, accs: tuple[float, ...] = (0.70, 0.75), bench: str = "resnet",
            target: float = 0.749, t0: float = 1541660914.084755, extra: list[str] | None = None,
            success: bool | None = None) -> list[str]:
    """A level-1 v0.5 log: run_clear_caches, run_start, evals with their target, run_stop, run_final."""
    lines = [v05(bench, t0, "run_clear_caches"), v05(bench, t0 + 1, "run_start"), *(extra or [])]
    step = minutes * 60 / (len(accs) + 1)
    for i, a in enumerate(accs, 1):
        t = t0 + 1 + i * step
        lines += [v05(bench, t, "eval_start"), v05(bench, t + 0.5, "eval_accuracy", {"epoch": i, "value": a}),
                  v05(bench, t + 0.6, "eval_target", target), v05(bench, t + 0.7, "eval_stop")]
    ok = max(accs) >= target if success is None else success
    lines += [v05(bench, t0 + 1 + minutes * 60, "run_stop", {"success": ok}),
              v05(bench, t0 + 2 + minutes * 60, "run_final")]
    return lines


def make_submission_v05(root: Path, minutes: tuple[float, ...] = (60.0, 61.0, 62.0, 63.0, 64.0)) -> Path:
    """v0.5.0/acme/box-resnet/{submission.json, code/resnet/, results/box/{entry.json, resnet/result_0..4.txt}}."""
    sub = root / "v0.5.0" / "acme" / "box-resnet"
    (sub / "code" / "resnet").mkdir(parents=True)
    (sub / "submission.json").write_text(json.dumps({"org": "Acme Inc.", "poc_email": "a@acme"}), encoding="utf-8")
    (sub / "results" / "box").mkdir(parents=True)
    (sub / "results" / "box" / "entry.json").write_text(json.dumps(ENTRY), encoding="utf-8")
    for i, m in enumerate(minutes):
        write_log(sub / "results" / "box" / "resnet" / f"result_{i}.txt", v05_log(m, t0=1541660914.084755 + i * 9000))
    return sub
