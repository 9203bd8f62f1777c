"""Disk, time and memory `mlcheck verify` spends on hostile archives (issue 15): sparse members and gzip bombs.

Run: python bench/bench_verify_bounds.py [--bomb-gib 2] [--mlcheck "python -m checker.cli"] [--only NAME]

Each case runs the verify command in a child process with TMPDIR pointed at a fresh folder; the
parent samples the bytes on disk under that folder every few milliseconds and reads the child's
CPU time and peak memory. Cases, each with a genuine manifest and signature:
  genuine                 the real package itself: the baseline (start-up, checks, re-validation)
  sparse-beside-genuine   a ~100-byte .tar.gz whose one GNU sparse member, named as a file the
                          manifest lists, expands to 8 GiB; beside a real package's manifest and signature
  sparse-signed           the same member in an archive the (hostile) signer signed
  bomb-beside-genuine     a gzip of N GiB of zeros beside a real package's manifest and signature
  bomb-signed             a genuine tar followed by N GiB of zeros in the same gzip member, signed
  trailing-gzip-signed    a genuine tar.gz followed by a second gzip member of N GiB of zeros, signed
`--mlcheck` runs another build (say, an older checkout's interpreter) on the same files.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from hostile_archives import (
    finish,
    folder_member,
    gnu_sparse_member,
    measured,
    sparse_tar_gz,
    tar_then_zeros_gz,
    zeros_gz,
)
from package_fixtures import SELECT, forge_package, make_tree, tar_of

from checker.api import ValidateOptions
from checker.package import PackageOptions, keygen, load_private_key, package


def _genuine(base: Path) -> tuple[dict[str, bytes], Path, Path]:
    tree = make_tree(base / "sub")
    keys = keygen(base / "key", principal="alice@example.org")
    out = base / "out"
    out.mkdir()
    r = package(tree, keys.private, out, PackageOptions(validate=ValidateOptions(select=SELECT), name="pkg"))
    return {p.name: p.read_bytes() for p in (r.archive, r.manifest, r.signature)}, keys.private, keys.allowed_signers


def _beside(files: dict[str, bytes], dest: Path, archive: bytes) -> Path:
    dest.mkdir()
    for name, data in files.items():
        (dest / name).write_bytes(data)
    (dest / "pkg.tar.gz").write_bytes(archive)
    return dest / "pkg.tar.gz"


def _signed(key: Path, dest: Path, tar_gz: bytes, tar: bytes, files: list[dict[str, object]],
            folders: list[str]) -> Path:
    dest.mkdir()
    return forge_package(dest, "pkg", tar_gz, load_private_key(key), files=files, folders=folders,
                         tar_sha256=hashlib.sha256(tar).hexdigest(), tar_size=len(tar))


def build(base: Path, bomb: int, only: str | None) -> tuple[list[tuple[str, Path]], Path]:
    genuine, key, allowed = _genuine(base / "genuine")
    cases: list[tuple[str, Path]] = []
    small, small_files, small_folders = tar_of([("closed", None), ("closed/a.txt", b"hello\n")])

    def want(name: str) -> bool:
        return only is None or only == name

    if want("genuine"):  # the baseline: start-up, signature, extraction and re-validation of a real package
        cases.append(("genuine", _beside(genuine, base / "c0", genuine["pkg.tar.gz"])))
    if want("sparse-beside-genuine"):
        first = json.loads(genuine["pkg.manifest.json"])["files"][0]["path"]  # a name the manifest lists
        cases.append(("sparse-beside-genuine", _beside(genuine, base / "c1", sparse_tar_gz(first))))
    if want("sparse-signed"):
        tar = finish(folder_member("closed") + gnu_sparse_member("closed/sparse.bin"))
        sparse_files: list[dict[str, object]] = [{"path": "closed/sparse.bin", "size": 1, "sha256": "0" * 64,
                                                  "mode": "0644"}]
        cases.append(("sparse-signed", _signed(key, base / "c2", gzip.compress(tar, 9, mtime=0), tar, sparse_files,
                                               ["closed"])))
    if want("bomb-beside-genuine"):
        cases.append(("bomb-beside-genuine", _beside(genuine, base / "c3", zeros_gz(bomb))))
    if want("bomb-signed"):
        cases.append(("bomb-signed", _signed(key, base / "c4", tar_then_zeros_gz(small, bomb), small, small_files,
                                             small_folders)))
    if want("trailing-gzip-signed"):
        cases.append(("trailing-gzip-signed", _signed(key, base / "c5", gzip.compress(small, mtime=0)
                                                      + zeros_gz(bomb), small, small_files, small_folders)))
    return cases, allowed


def run(command: list[str], archive: Path, allowed: Path, tmp: Path) -> dict[str, object]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with measured(tmp, every=0.005) as usage:
        p = subprocess.run([*command, "verify", str(archive), "--allowed-signers", str(allowed)],
                           capture_output=True, text=True, env={**os.environ, "TMPDIR": str(tmp)}, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    err = (p.stderr.strip().splitlines() or [""])[0]
    return {"exit": p.returncode, "seconds": usage.seconds, "cpu": after.ru_utime + after.ru_stime
            - before.ru_utime - before.ru_stime, "disk": usage.peak_bytes, "rss_mb": after.ru_maxrss / 1024,
            "message": err[:110]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bomb-gib", type=float, default=2.0, help="zeros in the bomb cases, in GiB (default 2)")
    ap.add_argument("--mlcheck", default=f"{shlex.quote(sys.executable)} -m checker.cli",
                    help="the command that runs mlcheck (default: this checkout)")
    ap.add_argument("--only", help="run one case by name")
    args = ap.parse_args()
    command = shlex.split(args.mlcheck)
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        cases, allowed = build(base, int(args.bomb_gib * (1 << 30)), args.only)
        print(f"built the cases in {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores")
        for name, archive in cases:
            scratch = base / f"tmp-{name}"
            scratch.mkdir()
            r = run(command, archive, allowed, scratch)
            print(f"{name:22} archive {archive.stat().st_size:>10,} B  exit {r['exit']}  wall {r['seconds']:6.2f} s"
                  f"  cpu {r['cpu']:6.2f} s  peak disk {r['disk']:>14,} B  (rss peak of children "
                  f"{r['rss_mb']:.0f} MB)\n{'':22} {r['message']}")


if __name__ == "__main__":
    main()
