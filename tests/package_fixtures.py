"""A small inference-layout submission for the package tests, clean under the layout rules."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# The package tests check packaging, not LoadGen logs: they validate with the layout rules only.
SELECT = ("inf.layout",)

SYSTEM = {
    "submitter": "Acme", "division": "closed", "status": "available", "system_name": "sys1",
    "number_of_nodes": "1", "host_processor_model_name": "Example CPU", "host_processors_per_node": "1",
    "host_processor_core_count": "4", "host_memory_capacity": "16 GB", "host_storage_capacity": "1 TB",
    "host_storage_type": "SSD", "accelerators_per_node": "0", "accelerator_model_name": "N/A",
    "accelerator_memory_capacity": "N/A", "framework": "TensorFlow", "operating_system": "Linux",
    "other_software_stack": "none",
}


def accuracy_log(n_records: int, seed: int = 0) -> bytes:
    """A LoadGen-shaped accuracy log with `n_records` entries (about 70 bytes each)."""
    recs = []
    for i in range(n_records):
        data = hashlib.sha256(f"{seed}-{i}".encode()).hexdigest()[:16].upper()
        recs.append(f'{{ "seq_id" : {i}, "qsl_idx" : {i}, "data" : "{data}" }}')
    return ("[\n" + ",\n".join(recs) + "\n]\n").encode()


def make_tree(root: Path, accuracy_records: int = 20, audit: bool = True) -> Path:
    """Write closed/Acme/... under `root` and return `root`."""
    sub = root / "closed" / "Acme"
    (sub / "systems").mkdir(parents=True)
    (sub / "systems" / "sys1.json").write_text(json.dumps(SYSTEM, indent=2) + "\n")
    (sub / "code" / "resnet").mkdir(parents=True)
    (sub / "code" / "resnet" / "README.md").write_text("# ResNet-50 code\n")
    (sub / "code" / "resnet" / "run.sh").write_text("#!/bin/sh\necho run\n")
    (sub / "code" / "resnet" / "run.sh").chmod(0o755)
    meas = sub / "measurements" / "sys1" / "resnet" / "Offline"
    meas.mkdir(parents=True)
    for name in ("mlperf.conf", "user.conf", "README.md"):
        (meas / name).write_text(f"# {name}\n")
    (meas / "sys1_numpy_Offline.json").write_text("{}\n")
    if audit:
        (sub / "audit").mkdir()
        (sub / "audit" / "README.md").write_text("audit\n")
    res = sub / "results" / "sys1" / "resnet" / "Offline"
    acc = res / "accuracy"
    acc.mkdir(parents=True)
    (acc / "accuracy.txt").write_text("accuracy=76.000%, good=38000, total=50000\n")
    (acc / "mlperf_log_accuracy.json").write_bytes(accuracy_log(accuracy_records))
    (acc / "mlperf_log_summary.txt").write_text("Scenario : Offline\nMode     : AccuracyOnly\n")
    (acc / "mlperf_log_detail.txt").write_text(":::MLLOG {}\n")
    run = res / "performance" / "run_1"
    run.mkdir(parents=True)
    (run / "mlperf_log_summary.txt").write_text("Scenario : Offline\nMode     : PerformanceOnly\n"
                                                "Result is : VALID\n")
    (run / "mlperf_log_detail.txt").write_text(":::MLLOG {}\n")
    (root / "closed" / "Acme" / "Ünïcode notes.txt").write_text("non-ASCII path\n")
    return root


def mlcheck(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the mlcheck CLI from the working tree."""
    import os
    import sys

    return subprocess.run([sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=120, check=False)


def forge_package(out: Path, name: str, tar_gz: bytes, key: Ed25519PrivateKey, *,
                  files: list[dict[str, object]], folders: list[str], tar_sha256: str, tar_size: int,
                  select: tuple[str, ...] = SELECT, edit: Callable[[dict[str, Any]], None] | None = None,
                  raw: Callable[[bytes], bytes] | None = None) -> Path:
    """Write a package whose manifest and signature are genuine for arbitrary archive bytes.

    `edit` changes the manifest as data before it is written; `raw` changes its bytes before they
    are signed (for manifests no mlcheck would write). Either way the signature is good.
    """
    from checker.api import SUITES, load_suite_ruleset
    from checker.package.manifest import dump_manifest, rules_chain
    from checker.package.sshsig import sign

    rs = load_suite_ruleset(SUITES["inference"], "v0.5")
    chain = rules_chain("inference", "v0.5", None, rs.digest)
    manifest = {
        "schema": "mlcheck-manifest/1", "tool": {"name": "mlcheck", "version": "test"}, "name": name,
        "suite": "inference", "round": "v0.5", "created": "1970-01-01T00:00:00Z",
        "rules": {"files": list(rs.files), "digest": rs.digest, "source": "shipped",
                  "embedded": [{"file": f.name, "sha256": hashlib.sha256(f.raw).hexdigest(),
                                "text": f.raw.decode()} for f in chain]},
        "validation": {"options": {"suite": "inference", "select": list(select), "ignore": [], "known_absent": [],
                                   "strict": False}, "summary": {}},
        "git": None,
        "archive": {"file": f"{name}.tar.gz", "tar_sha256": tar_sha256, "tar_size": tar_size,
                    "tar_gz_sha256": hashlib.sha256(tar_gz).hexdigest(), "tar_gz_size": len(tar_gz)},
        "folders": folders, "files": files, "truncation": [],
    }
    if edit is not None:
        edit(manifest)
    data = dump_manifest(manifest)
    if raw is not None:
        data = raw(data)
    (out / f"{name}.tar.gz").write_bytes(tar_gz)
    (out / f"{name}.manifest.json").write_bytes(data)
    (out / f"{name}.manifest.json.sig").write_text(sign(data, key))
    return out / f"{name}.tar.gz"


def tar_of(entries: list[tuple[str, bytes | None]]) -> tuple[bytes, list[dict[str, object]], list[str]]:
    """A PAX tar of folders (data None) and files, with the manifest's files and folders lists for it."""
    import io
    import tarfile

    buf = io.BytesIO()
    files: list[dict[str, object]] = []
    folders: list[str] = []
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path, data in entries:
            ti = tarfile.TarInfo(path)
            ti.mode = 0o755 if data is None else 0o644
            if data is None:
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
                folders.append(path)
            else:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
                files.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                              "mode": "0644"})
    return buf.getvalue(), files, folders
