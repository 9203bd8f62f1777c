"""Fuzz the training log parser (:::MLL v0.5/v0.6, :::MLLOG, foreign logs): `python bench/fuzz_training_log.py -max_total_time=60`."""

from __future__ import annotations

from fuzz_common import run

try:
    import atheris  # type: ignore[import-not-found]

    with atheris.instrument_imports():
        from checker.suites.training import log as training_log
except ImportError:
    from checker.suites.training import log as training_log

SEEDS = [
    (b':::MLL 1558767563.123 run_start: {"value": null, "metadata": {"file": "train.py", "lineno": 1}}\n'
    b':::MLL 1558767600.5 eval_accuracy: {"value": {"epoch": 1, "value": 0.75}}\n'
    b':::MLL 1558767700.0 run_stop: {"value": {"status": "success"}}\n'),
    (b':::MLLOG {"namespace": "", "time_ms": 1, "event_type": "INTERVAL_START", "key": "run_start", "value": null,'
    b' "metadata": {"file": "t.py", "lineno": 2}}\n'),
    b":::MLPv0.5.0 resnet 1541628000.1 (train.py:10) run_start\n",
]


def target(data: bytes) -> None:
    training_log.parse_training_log_bytes(data)


if __name__ == "__main__":
    run(target, SEEDS)
