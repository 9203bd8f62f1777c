"""Package a validated submission: deterministic tar.gz, manifest, SSH signature, SHA256SUMS, VERIFY.md."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import validate
from ..errors import MlcheckError, NotASubmission, UsageError
from ..escape import visible
from ..findings import Report
from ..options import ValidateOptions
from ..suites.inference.discover import locate_submitters
from . import NAMESPACE
from .keys import load_private_key
from .manifest import (
    TRUNCATION_FILE,
    build_manifest,
    dump_manifest,
    git_state,
    iso_time,
    rules_chain,
    source_date_epoch,
    truncation_records,
)
from .sshsig import sign
from .tarball import collect, write_tarball
from .truncate import inside

INFERENCE_TOP = frozenset({"closed", "open"})
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


class ValidationFailed(MlcheckError):
    """The tree has validation errors, so it is not packaged (exit 1)."""

    exit_code = 1

    def __init__(self, report: Report) -> None:
        super().__init__("the submission has validation errors; nothing was packaged",
                         "Fix the findings above (`mlcheck validate` shows them), then package again.")
        self.report = report


@dataclass
class PackageOptions:
    """How to package: validation options plus where and how to write."""

    validate: ValidateOptions = field(default_factory=ValidateOptions)
    strict: bool = False
    allow_dirty: bool = False
    name: str | None = None
    level: int = 6
    jobs: int = 0  # compression threads; 0: one per core
    namespace: str = NAMESPACE
    principal: str | None = None  # for VERIFY.md; read from KEY.pub when None


@dataclass(frozen=True)
class PackageResult:
    """The files written and what they hold."""

    archive: Path
    manifest: Path
    signature: Path
    sums: Path
    verify_md: Path
    manifest_data: dict[str, Any]
    report: Report
    created_out: bool = False  # the output folder did not exist and was made


def default_name(root: Path, suite: str, round_name: str) -> str:
    """<submitter>-<suite>-<round> for a one-submitter tree, else the root folder's name."""
    try:
        subs = {s for _, _, s in locate_submitters(root)}
    except NotASubmission:
        subs = set()
    base = subs.pop() if len(subs) == 1 else root.resolve().name
    name = re.sub(r"[^A-Za-z0-9._+-]+", "_", f"{base}-{suite}-{round_name}").lstrip("._-")
    return name or "submission"


def principal_of(key: Path) -> str | None:
    """The comment of KEY.pub (mlcheck keygen writes the principal there), if any."""
    try:
        parts = Path(f"{key}.pub").read_text(encoding="utf-8").split()
    except OSError:
        return None
    return parts[2] if len(parts) >= 3 else None


def validation_options(opts: ValidateOptions, suite: str, strict: bool) -> dict[str, Any]:
    """The options verify needs to repeat this validation."""
    return {"suite": suite, "select": list(opts.select), "ignore": list(opts.ignore),
            "known_absent": sorted(opts.known_absent), "strict": strict, "max_bytes": opts.max_bytes,
            "waivers": [{"rule": w.rule, "path": w.path, "justification": w.justification} for w in opts.waivers]}


def verify_md(name: str, principal: str, namespace: str) -> str:
    """The short human instructions written beside the package."""
    return f"""# Verifying {name}

Files: `{name}.tar.gz`, `{name}.manifest.json`, `{name}.manifest.json.sig`, `{name}.SHA256SUMS`.
You also need the signer's `allowed_signers` line (the `.allowed_signers` file `mlcheck keygen`
wrote), obtained from the signer through a channel you trust, saved as `allowed_signers`.

1. The signature over the manifest, with OpenSSH alone:

   ```
   ssh-keygen -Y verify -f allowed_signers -I {principal} -n {namespace} -s {name}.manifest.json.sig < {name}.manifest.json
   ```

2. The files against their hashes (the manifest's `archive.tar_gz_sha256` must equal the
   hash of `{name}.tar.gz`):

   ```
   sha256sum -c {name}.SHA256SUMS
   ```

3. Everything at once: signature, the archive's size and hash before anything is unpacked,
   every file against the manifest, safe extraction into a temporary folder, and re-validation
   with the rules and options the manifest carries (verify prints each option and says when
   they narrowed the verdict):

   ```
   mlcheck verify {name}.tar.gz --allowed-signers allowed_signers
   ```

   A review should also re-validate with the complete rules of the round, no rule selection and
   no waivers:

   ```
   mlcheck verify {name}.tar.gz --allowed-signers allowed_signers --full-rules
   ```

   Exit 0: good; 1: the submission has validation errors; 4: signature or content mismatch.
"""


def make_out_dir(out_dir: Path) -> bool:
    """Make the output folder when it is missing and its parent exists (never a chain of folders)."""
    if out_dir.is_dir():
        return False
    if os.path.lexists(out_dir):
        raise UsageError(f"the output folder {visible(str(out_dir))} exists and is not a folder")
    if not out_dir.parent.is_dir():
        raise UsageError(f"neither the output folder {visible(str(out_dir))} nor its parent exists",
                         "Create the parent folder first, or choose another --out.")
    try:
        out_dir.mkdir()
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {visible(str(out_dir))}: {exc.strerror}") from exc
    return True


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def package(root: Path, key: Path, out_dir: Path, opts: PackageOptions | None = None) -> PackageResult:
    """Validate `root` and, when clean, write the signed package into `out_dir` (never inside `root`)."""
    opts = opts or PackageOptions()
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{visible(str(root))} is not a folder", "Pass the submission folder holding closed/ or open/.")
    if inside(out_dir, root):
        raise UsageError(f"the output folder {visible(str(out_dir))} is inside the submission {visible(str(root))}",
                         "mlcheck never writes inside a submission; pass --out with a folder outside it.")
    for path, what in ((Path(key), "signing key"), (Path(f"{key}.pub"), "signing key's .pub")):
        if inside(path, root):
            raise UsageError(f"the {what} {visible(str(path))} lies inside the submission {visible(str(root))}",
                             "A package is published with everything in the tree: keep the key outside the "
                             "submission and pass --key with that path.")
    private = load_private_key(key)  # fail early, before the heavy work
    created = make_out_dir(out_dir)
    epoch = source_date_epoch()
    git = git_state(root, opts.allow_dirty)

    report = validate(root, opts.validate)
    if report.exit_code(opts.strict):
        raise ValidationFailed(report)
    suite = report.suite
    name = opts.name or default_name(root, suite, report.round)
    if not NAME_RE.match(name):
        raise UsageError(f"package name {visible(name)!r} may hold only letters, digits and . _ + -",
                         "e.g. --name Acme-v0.5")
    top = INFERENCE_TOP if suite == "inference" else None
    if top is not None and not any((root / d).is_dir() for d in top):
        raise UsageError(f"{visible(str(root))} holds no closed/ or open/ folder",
                         "Package the folder that holds the division folders, not a division or submitter folder.")
    members = collect(root, top, skip_top=frozenset({TRUNCATION_FILE}))
    if not any(not m.is_dir for m in members):
        raise UsageError(f"{visible(str(root))} holds no files to package")

    archive = out_dir / f"{name}.tar.gz"
    tmp_archive = out_dir / f".{archive.name}.tmp-{os.getpid()}"
    jobs = opts.jobs or os.cpu_count() or 1
    mtime = epoch or 0
    try:
        with tmp_archive.open("wb") as fh:
            tar = write_tarball(members, fh, mtime=mtime, level=opts.level, jobs=jobs)
        truncation = truncation_records(root, tar.files)
        rules = rules_chain(suite, report.round, opts.validate.rules_file, report.ruleset["digest"])
        manifest = build_manifest(
            name=name, suite=suite, round_name=report.round, ruleset=report.ruleset, rules=rules,
            rules_source="file" if opts.validate.rules_file else "shipped",
            options=validation_options(opts.validate, suite, opts.strict), summary=report.summary,
            waivers=report.waivers, skipped=report.skipped,
            created=iso_time(epoch), git=git, tar=tar, folders=[m.path for m in members if m.is_dir],
            level=opts.level, mtime=mtime, truncation=truncation)
        manifest_bytes = dump_manifest(manifest)
        sig_text = sign(manifest_bytes, private, opts.namespace)
        os.replace(tmp_archive, archive)
    finally:
        if tmp_archive.exists():
            tmp_archive.unlink()
    manifest_path = out_dir / f"{name}.manifest.json"
    sig_path = out_dir / f"{name}.manifest.json.sig"
    sums_path = out_dir / f"{name}.SHA256SUMS"
    md_path = out_dir / "VERIFY.md"
    _atomic_write(manifest_path, manifest_bytes)
    _atomic_write(sig_path, sig_text.encode())
    sums = "".join(f"{digest}  {p.name}\n" for digest, p in (
        (tar.gz_sha256, archive), (hashlib.sha256(manifest_bytes).hexdigest(), manifest_path),
        (hashlib.sha256(sig_text.encode()).hexdigest(), sig_path)))
    _atomic_write(sums_path, sums.encode())
    principal = opts.principal or principal_of(key) or "PRINCIPAL"
    _atomic_write(md_path, verify_md(name, principal, opts.namespace).encode())
    return PackageResult(archive, manifest_path, sig_path, sums_path, md_path, manifest, report, created)
