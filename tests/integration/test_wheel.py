"""Packaging: the wheel carries schemas/, rules/ and reference_logs/, and the installed mlcheck runs.

The wheel is installed into a fresh virtual environment (no access to the source tree); its
dependencies come from this interpreter's site-packages through a .pth file, so nothing is
downloaded and the editable install of the source tree is not visible inside the venv.
The installed mlcheck validates both embedded samples from the installed data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# one worker builds the wheel once for the module (the suite runs with --dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]
# what the build reads; the build runs on a copy, so it never races another build in the source tree
SKIP = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".venv",
                              ".hypothesis", "tests", "bench")


def test_the_module_runs_in_one_group(request: pytest.FixtureRequest) -> None:
    """Under xdist with --dist loadgroup, this module's tests carry their group (one worker runs them all,
    so the wheel is built once); a pytest and xdist pair that drops the group fails here."""
    if not hasattr(request.config, "workerinput") or not request.config.getvalue("loadgroup"):
        pytest.skip("not run by xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@wheel"), request.node.nodeid


@dataclass(frozen=True)
class Installed:
    env: Path  # the virtual environment the wheel is installed in
    rules: Path  # its installed rules/
    reference_logs: Path  # its installed reference_logs/

    def mlcheck(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.env / "bin" / "mlcheck"), *args], capture_output=True, text=True,
                              cwd=self.env, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp_path = tmp_path_factory.mktemp("wheel")
    dist = tmp_path / "dist"
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=SKIP, symlinks=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
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
    return Installed(env_dir, Path(where[0]), Path(where[1]))


def test_wheel_installs_and_validates_the_embedded_sample(installed: Installed) -> None:
    sample = installed.reference_logs / "inference_v0.5"
    assert (sample / "closed").is_dir()
    p = installed.mlcheck("validate", str(sample), "--round", "v0.5-sample", "--format", "json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["summary"]["results"] >= 4 and report["summary"]["errors"] == 0


V07_RESULTS = {
    ("tiny_dc", "bert-99", "Offline"), ("tiny_dc", "bert-99", "Server"),
    ("tiny_edge", "resnet50", "SingleStream"), ("tiny_edge", "resnet50", "Offline"),
    ("tiny_edge", "ssd-mobilenet", "SingleStream"), ("tiny_edge", "ssd-mobilenet", "Offline"),
    ("tiny_edge", "ssd-mobilenet", "MultiStream"),
}


def test_wheel_ships_the_v07_sample_and_its_ground_truth(installed: Installed) -> None:
    root = installed.reference_logs / "inference_v0.7" / "closed" / "MLCheckSample"
    found = {(p.parts[-3], p.parts[-2], p.parts[-1]) for p in (root / "results").glob("*/*/*") if p.is_dir()}
    assert found == V07_RESULTS
    types = {p.stem: json.loads(p.read_text())["system_type"] for p in (root / "systems").glob("*.json")}
    assert types == {"tiny_dc": "datacenter", "tiny_edge": "edge"}
    datasets = installed.reference_logs / "datasets"
    for rel in ("imagenet/val_map.txt", "coco/annotations/instances_val2017.json", "squad/dev-v1.1.json",
                "squad/vocab.txt"):
        assert (datasets / rel).is_file(), rel
    assert (installed.rules / "inference" / "v0.7-sample.yaml").is_file()


def test_wheel_validates_the_v07_sample(installed: Installed) -> None:
    sample = installed.reference_logs / "inference_v0.7"
    p = installed.mlcheck("validate", str(sample), "--round", "v0.7-sample", "--format", "json")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["summary"]["results"] == len(V07_RESULTS) and report["summary"]["errors"] == 0, report["summary"]
    assert all(r["valid"] for r in report["results"]), [r["id"] for r in report["results"] if not r["valid"]]
