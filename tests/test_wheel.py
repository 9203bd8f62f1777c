"""Packaging: the wheel carries schemas/, rules/ and reference_logs/, and the installed mlcheck runs.

The wheel is installed into a fresh virtual environment (no access to the source tree); its
dependencies come from this interpreter's site-packages through a .pth file, so nothing is
downloaded and the editable install of the source tree is not visible inside the venv.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_wheel_installs_and_validates_the_embedded_sample(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
                    "-w", str(dist), "-q"], check=True, timeout=300, cwd=tmp_path)
    wheel = next(dist.glob("mlcheck-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)],
                   check=True, timeout=300, cwd=tmp_path)
    where = subprocess.run([str(py), "-c", ("import checker.resources as r; print(r.data_dir('rules'));"
                            "print(r.data_dir('reference_logs'))")],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert all(Path(w).is_relative_to(env_dir) for w in where), where
    sample = Path(where[1]) / "inference_v0.5"
    assert (sample / "closed").is_dir()
    p = subprocess.run([str(env_dir / "bin" / "mlcheck"), "validate", str(sample), "--round", "v0.5-sample",
                        "--format", "json"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["summary"]["results"] >= 4 and report["summary"]["errors"] == 0
