#!/usr/bin/env python3
"""Generate mlcheck's MLPerf Inference sample submissions with the real LoadGen.

Usage::

    python reference_logs/generate.py [--round v0.5|v0.7] [--out DIR] [--datasets DIR] [--no-audit]

The code is the ``generator`` package beside this script (see its ``__init__``);
``reference_logs/README.md`` describes both samples and how long they take.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generator.cli import main
from generator.v05text import mllog_to_v05_text  # noqa: F401  (the v0.5 sample's READMEs name it here)

if __name__ == "__main__":
    sys.exit(main())
