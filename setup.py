"""Build hook: ship the top-level schemas/, rules/ and reference_logs/ inside the wheel.

They live at the repository root (where people edit them) and are copied into
checker/data/ at build time, so an installed mlcheck finds the same files.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("schemas", "rules", "reference_logs")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "checker" / "data"
        for name in SHIPPED:
            src = ROOT / name
            if src.is_dir():
                dst = target / name
                if dst.exists():
                    shutil.rmtree(dst)
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
