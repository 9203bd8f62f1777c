"""A hand-built Report and rule catalogue for the output-format tests (no submission tree needed)."""

from __future__ import annotations

from checker.findings import Accuracy, Finding, Metric, Report, ResultRecord, Severity
from checker.report.catalog import RuleInfo

ROOT = "submission"
OFFLINE = "closed/Acme/results/box1/resnet/Offline"
SERVER = "closed/Acme/results/box1/gnmt/Server"
SYSTEM = "closed/Acme/systems/box1.json"


def sample_report() -> Report:
    """Two results (one valid with a waived error, one invalid), findings of every severity."""
    report = Report(
        tool="mlcheck 9.9.9", suite="inference", round="v0.5", root=ROOT,
        ruleset={"suite": "inference", "round": "v0.5", "files": ["inference/v0.5.yaml"],
                 "digest": "ab" * 32},
    )
    report.results = [
        ResultRecord(
            id=OFFLINE, division="closed", submitter="Acme", system="box1", benchmark="resnet",
            scenario="Offline", metric=Metric("samples_per_second", 1234.5, "samples/s"),
            accuracy=Accuracy("top1", 76.1, 75.6954), depends=(SYSTEM,),
            extra={"system_description": {"system_name": 'Acme Box, 8x "T4"'}},
        ),
        ResultRecord(
            id=SERVER, division="closed", submitter="Acme", system="box1", benchmark="gnmt",
            scenario="Server", metric=Metric("scheduled_qps", None, "queries/s"), accuracy=None,
        ),
    ]
    report.findings = [
        Finding("inf.loadgen.min-queries", Severity.ERROR, f"{SERVER}/performance/run_1/mlperf_log_summary.txt",
                "min_query_count is 100, expected 90112: 99.9% short\nsee the detail log", SERVER, line=12),
        Finding("inf.system.unknown-field", Severity.WARNING, SYSTEM,
                "unknown field 'cooling | fans' <b>", None, pointer="/cooling | fans"),
        Finding("inf.layout.audit-missing", Severity.WARNING, "closed/Acme",
                "submitter folder has no audit/ folder for the compliance tests"),
        Finding("inf.accuracy.rescore-skipped", Severity.INFO, f"{OFFLINE}/accuracy/mlperf_log_accuracy.json",
                "accuracy not re-scored: no ground truth given", OFFLINE),
        Finding("inf.accuracy.target", Severity.ERROR, f"{OFFLINE}/accuracy/accuracy.txt",
                "top1 75.1 is below the target 75.6954", OFFLINE, line=3,
                waived="re-run accepted by the review committee, 2019-10-01"),
    ]
    report.skipped = [{"kind": "result", "id": "closed/Acme/results/box1/resnet/Server",
                       "reason": "unchanged since main (merge base 0123456789ab)"}]
    report.waivers = [{"rule": "inf.accuracy.target", "path": "closed/Acme/results/*/resnet/*",
                       "justification": "re-run accepted by the review committee, 2019-10-01", "matched": 1}]
    report.finalize()
    return report


CATALOG = [
    RuleInfo("inf.layout.audit-missing", "warning", "submitter folder has no {part}/ folder",
             "submission rules", scope="submitter"),
    RuleInfo("inf.system.unknown-field", "warning", "unknown field '{field}'{hint}", "submission rules",
             scope="system"),
    RuleInfo("inf.loadgen.min-queries", "error", "{detail}", "statistical appendix", scope="result"),
    RuleInfo("inf.loadgen.latency-bound", "error", "{detail}", "rules", scope="result",
             applies={"scenarios": ["Server", "MultiStream"]}),
    RuleInfo("inf.accuracy.target", "error", "{metric} {got} is below the target {want}", "rules",
             help="Closed-division accuracy must reach the fraction of the FP32 reference.",
             scope="result", applies={"divisions": ["closed"]}),
    RuleInfo("inf.accuracy.open-division", "info", "open division: {metric} {got} reported", "rules",
             scope="result", applies={"divisions": ["open"]}),
    RuleInfo("inf.accuracy.rescore-skipped", "info", "{detail}", "committee", scope="result"),
]
