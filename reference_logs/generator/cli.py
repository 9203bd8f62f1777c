"""The generators' command line (``python reference_logs/generate.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import v05, v07

HERE = Path(__file__).resolve().parents[1]  # reference_logs/


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and generate the sample it names."""
    parser = argparse.ArgumentParser(
        description="Generate mlcheck's MLPerf Inference sample submissions with the real LoadGen "
        "and a tiny NumPy SUT: the v0.5-layout sample (default) or the v0.7 one (--round v0.7)."
    )
    parser.add_argument(
        "--round",
        choices=("v0.5", "v0.7"),
        default="v0.5",
        help="which sample to generate (default: v0.5)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="root of the tree to write (default: reference_logs/inference_v0.5 or inference_v0.7)",
    )
    parser.add_argument(
        "--datasets",
        type=Path,
        default=None,
        help="where the ground truth goes (imagenet/val_map.txt, ...; default: OUT/../datasets)",
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=v05.SCENARIOS,
        default=None,
        help="v0.5: run only these scenarios (for development; the committed sample has all four)",
    )
    parser.add_argument(
        "--no-audit",
        action="store_true",
        help="skip the compliance tests (for development; the committed samples have them)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="v0.5: the slow test's profile, every run as short as the v0.5-sample ruleset allows "
        "(not the committed sample's settings; see generator/v05.py QUICK_PLANS)",
    )
    args = parser.parse_args(argv)

    try:
        import mlperf_loadgen  # noqa: F401  (used by the child processes)
    except ImportError:
        print("error: needs MLPerf LoadGen: pip install mlcommons-loadgen", file=sys.stderr)
        return 2

    out: Path = args.out or HERE / f"inference_{args.round}"
    datasets: Path = args.datasets or out.parent / "datasets"
    if args.round == "v0.5":
        return v05.generate(
            out, datasets, list(args.scenarios or v05.SCENARIOS), audit=not args.no_audit, quick=args.quick
        )
    if args.scenarios or args.quick:
        parser.error("--scenarios and --quick are options of the v0.5 sample")
    return v07.generate(out, datasets, audit=not args.no_audit)
