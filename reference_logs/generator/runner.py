"""Running LoadGen: one test per Python process, keeping the files a submission has of it.

LoadGen 6.0.17 reports the logging allocations of the previous test's threads at the top
of the next test's detail log, stamped with a wrapped negative time (time_ms ~ 1.8e13):
submissions run one test per process, and so does this generator. The parent describes
a test as a RunSpec (JSON) and runs ``python -m generator.runner SPEC`` for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .sut import ResponseTable, TinySUT
from .tree import ACCURACY_LOG, DETAIL, SUMMARY

PACKAGE_PARENT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunSpec:
    """One LoadGen test: its TestSettings, the QSL, the simulated SUT and where its logs go."""

    scenario: str  # SingleStream, MultiStream, Server, Offline
    mode: str  # AccuracyOnly or PerformanceOnly
    settings: dict[str, Any]  # TestSettings field -> value, set on top of LoadGen's defaults
    responses: str  # the ResponseTable (.npz) the SUT answers from
    total: int  # QSL total sample count
    performance_count: int  # QSL performance sample count
    service_s_per_sample: float  # simulated device time per sample (performance runs only)
    batch: int  # how the SUT splits a query into completion batches
    dest: str  # folder that receives the kept files
    keep_accuracy_log: bool = False  # keep a performance run's accuracy log (TEST01's sampled responses)
    # audit.config LoadGen reads (a compliance test); None points LoadGen at one that cannot
    # exist, so that an audit.config in the working directory cannot silently change the run.
    audit_config: str | None = None
    extra_files: tuple[str, ...] = field(default_factory=tuple)  # other LoadGen outputs to keep


def run_loadgen(lg: Any, spec: RunSpec) -> None:
    """Run one LoadGen test in this process and copy the kept files to spec.dest.

    Kept: mlperf_log_summary.txt and mlperf_log_detail.txt, plus mlperf_log_accuracy.json
    in accuracy mode (and in performance mode with keep_accuracy_log). The trace file
    (empty, tracing is off) and a performance run's empty accuracy log ("[\\n]\\n") are
    dropped, as submissions drop them.
    """
    accuracy = spec.mode == "AccuracyOnly"
    table = ResponseTable.load(Path(spec.responses))
    if len(table) != spec.total:
        raise ValueError(f"response table has {len(table)} samples, the QSL {spec.total}")
    sut_impl = TinySUT(lg, table, 0.0 if accuracy else spec.service_s_per_sample, spec.batch)
    settings = lg.TestSettings()
    settings.scenario = getattr(lg.TestScenario, spec.scenario)
    settings.mode = getattr(lg.TestMode, spec.mode)
    for key, value in spec.settings.items():
        if not hasattr(settings, key):
            raise ValueError(f"LoadGen TestSettings has no field {key!r}")
        setattr(settings, key, value)

    dest = Path(spec.dest)
    with tempfile.TemporaryDirectory(prefix="mlcheck-loadgen-") as tmp:
        out = lg.LogOutputSettings()
        out.outdir = tmp
        out.copy_summary_to_stdout = False
        out.copy_detail_to_stdout = False
        log_settings = lg.LogSettings()
        log_settings.log_output = out
        log_settings.enable_trace = False

        sut = lg.ConstructSUT(sut_impl.issue_queries, sut_impl.flush_queries)
        qsl = lg.ConstructQSL(spec.total, spec.performance_count, sut_impl.load_samples, sut_impl.unload_samples)
        audit = spec.audit_config or str(Path(tmp) / "no-audit.config")
        try:
            lg.StartTestWithLogSettings(sut, qsl, settings, log_settings, audit)
        finally:
            lg.DestroyQSL(qsl)
            lg.DestroySUT(sut)
            sut_impl.stop()

        dest.mkdir(parents=True, exist_ok=True)
        keep = [SUMMARY, DETAIL, *spec.extra_files]
        if accuracy or spec.keep_accuracy_log:
            keep.append(ACCURACY_LOG)
        for name in keep:
            src = Path(tmp) / name
            if not src.is_file() or src.stat().st_size == 0:
                raise RuntimeError(f"LoadGen did not write {name} for {spec.scenario} {spec.mode}")
            shutil.copyfile(src, dest / name)


def run_isolated(spec: RunSpec) -> None:
    """run_loadgen() in a fresh Python process (``python -m generator.runner SPEC``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "generator.runner", json.dumps(asdict(spec))]
    subprocess.run(cmd, check=True, env=env)


def main(argv: list[str] | None = None) -> int:
    """Child process entry: run the RunSpec given as JSON in argv[0]."""
    import mlperf_loadgen as lg

    args = sys.argv[1:] if argv is None else argv
    raw = json.loads(args[0])
    raw["extra_files"] = tuple(raw.get("extra_files", ()))
    run_loadgen(lg, RunSpec(**raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
