"""CLI glue for signed result packages: keygen, package, verify, truncate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..package import NAMESPACE

if TYPE_CHECKING:
    from ..package.verify import VerifyResult


def register(app: typer.Typer) -> None:
    """Add keygen, package, verify and truncate to the mlcheck app."""
    app.command("keygen")(keygen_cmd)
    app.command("package")(package_cmd)
    app.command("verify")(verify_cmd)
    app.command("truncate")(truncate_cmd)


def keygen_cmd(
    out: Annotated[Path, typer.Option("--out", help="Private key path; PATH.pub and PATH.allowed_signers go beside it.")],
    principal: Annotated[str | None, typer.Option("--principal", help="Who signs, e.g. submitter@example.org "
                                                     "(default: user@host).")] = None,
    namespace: Annotated[str, typer.Option("--namespace", help="The signature namespace the key is allowed for.")]
    = NAMESPACE,
) -> None:
    """Make an Ed25519 signing key pair in OpenSSH format (never overwrites)."""
    from ..package.keys import keygen

    files = keygen(out, principal, namespace)
    if files.created_folder:
        typer.echo(f"created folder:  {files.private.parent} (mode 0700)")
    typer.echo(f"private key:     {files.private} (mode 0600; keep it secret)")
    typer.echo(f"public key:      {files.public}")
    typer.echo(f"allowed signers: {files.allowed_signers} (give this to the reviewers)")
    typer.echo(f"principal:       {files.principal}")


def package_cmd(
    root: Annotated[Path, typer.Argument(help="The submission folder holding closed/ or open/.")],
    key: Annotated[Path, typer.Option("--key", help="The OpenSSH Ed25519 private key that signs the manifest.")],
    out: Annotated[Path | None, typer.Option("--out", help="Folder for the package files (default: the current "
                                                "folder; never inside the submission).")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Base name of the files (default: "
                                                "<submitter>-<suite>-<round>).")] = None,
    round: Annotated[str | None, typer.Option("--round", help="The rules round, e.g. v0.5.")] = None,
    suite: Annotated[str | None, typer.Option("--suite", help="inference or training (auto-detected).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="A rules YAML file instead of the shipped round.")]
    = None,
    known_absent: Annotated[Path | None, typer.Option("--known-absent", help="Paths known to be absent.")] = None,
    select: Annotated[list[str] | None, typer.Option("--select", help="Only rules whose id starts with this.")]
    = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", help="Skip rules whose id starts with this.")]
    = None,
    waivers: Annotated[Path | None, typer.Option("--waivers", help="YAML list of {rule, path, justification}; "
                                                 "recorded in the manifest and re-applied by verify.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings refuse the package too.")] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty", help="Package a git tree with uncommitted changes "
                                              "(recorded in the manifest).")] = False,
    level: Annotated[int, typer.Option("--level", help="gzip level, 0-9.")] = 6,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Compression threads (0: one per core); the bytes "
                                      "do not depend on it.")] = 0,
    namespace: Annotated[str, typer.Option("--namespace", help="SSH signature namespace.")] = NAMESPACE,
    principal: Annotated[str | None, typer.Option("--principal", help="Principal named in VERIFY.md "
                                                     "(default: the comment of KEY.pub).")] = None,
) -> None:
    """Validate, then write a deterministic tar.gz, its signed manifest, SHA256SUMS and VERIFY.md."""
    from ..api import read_known_absent
    from ..options import ValidateOptions
    from ..package.builder import PackageOptions, ValidationFailed, package
    from ..report.text import render_text
    from ..waivers import load_waivers

    vopts = ValidateOptions(suite=suite, round=round, rules_file=rules,
                            known_absent=read_known_absent(known_absent) if known_absent else frozenset(),
                            select=tuple(select or ()), ignore=tuple(ignore or ()),
                            waivers=tuple(load_waivers(waivers)) if waivers else ())
    opts = PackageOptions(validate=vopts, strict=strict, allow_dirty=allow_dirty, name=name, level=level,
                          jobs=jobs, namespace=namespace, principal=principal)
    try:
        result = package(root, key, out or Path.cwd(), opts)
    except ValidationFailed as exc:
        sys.stderr.write(render_text(exc.report))
        raise
    m = result.manifest_data
    if result.created_out:
        typer.echo(f"created the output folder {result.archive.parent}")
    typer.echo(f"packaged {len(m['files'])} files ({m['suite']} {m['round']}, "
               f"{result.report.summary['results']} results)")
    for path in (result.archive, result.manifest, result.signature, result.sums, result.verify_md):
        typer.echo(f"  {path}")
    typer.echo(f"sha256 {m['archive']['tar_gz_sha256']}  {result.archive.name}")


def verify_cmd(
    archive: Annotated[Path, typer.Argument(help="NAME.tar.gz; NAME.manifest.json and its .sig sit beside it.")],
    allowed_signers: Annotated[Path, typer.Option("--allowed-signers", help="OpenSSH allowed_signers file.")],
    principal: Annotated[str | None, typer.Option("--principal", "-I", help="Require this signer.")] = None,
    namespace: Annotated[str, typer.Option("--namespace", help="SSH signature namespace.")] = NAMESPACE,
    manifest: Annotated[Path | None, typer.Option("--manifest", help="The manifest, if not beside the archive.")]
    = None,
    signature: Annotated[Path | None, typer.Option("--signature", help="The signature, if not beside it.")]
    = None,
    full_rules: Annotated[bool, typer.Option("--full-rules", help="Re-validate with this mlcheck's complete rules "
                                             "for the manifest's round: no --select/--ignore, no waivers, nothing "
                                             "known-absent (default: the options the signer recorded, each "
                                             "printed).")] = False,
) -> None:
    """Check signature, manifest and archive, extract safely and re-validate; 0 good, 1 errors, 4 mismatch."""
    from ..package.verify import HELP_FULL, verify_package
    from ..report.text import render_text

    result = verify_package(archive, allowed_signers, principal, namespace, manifest, signature, full_rules)
    for line in verify_lines(result):
        typer.echo(line)
    if result.exit_code:
        sys.stdout.write(render_text(result.report))
    summary = result.report.summary
    verdict = "FAILED" if result.exit_code else "passed"
    typer.echo(f"validation: {verdict} ({summary['errors']} errors, {summary['warnings']} warnings"
               f"{', ' + str(summary['waived']) + ' waived' if summary.get('waived') else ''})"
               + (", NARROWED by the signer's options:" if result.narrowed else ""))
    for why in result.applied.narrowed:
        typer.echo(f"  - {why}")
    if result.narrowed:
        typer.echo(f"  {HELP_FULL}")
    raise typer.Exit(result.exit_code)


def verify_lines(result: VerifyResult) -> list[str]:
    """What verify established and every option it re-applied, escaped: the manifest's fields are the signer's."""
    from ..escape import visible
    from ..package.verify import prefix_text

    m, a = result.record, result.applied
    signer = result.signer
    lines = [
        f"signature: good, signed by {visible(','.join(signer.principals))} (allowed_signers line {signer.line})",
        f"archive:   size and sha256 match the signed manifest; {result.files} files extracted and matched",
        f"manifest:  {visible(m.name)}, created {visible(m.created)} by mlcheck {visible(m.tool.version)}",
    ]
    git = m.git
    lines.append("source:    " + (f"git {visible(str(git.commit))}{' (dirty)' if git.dirty else ''}"
                                  f"{'' if git.path == '.' else ' in ' + visible(git.path)}" if git else "not git"))
    lines.append(f"rules:     {a.rules}")
    if a.full_rules:
        lines.append("options:   none re-applied (--full-rules): no select, ignore, waivers or known-absent paths")
        lines.append(f"  strict:       {'yes' if a.strict else 'no'} (as signed)")
        return lines
    none = "none"
    lines.append("options:   re-applied from the signed manifest")
    lines.append(f"  select:       {', '.join(prefix_text(s) for s in a.select) or none}")
    lines.append(f"  ignore:       {', '.join(prefix_text(s) for s in a.ignore) or none}")
    lines.append(f"  strict:       {'yes' if a.strict else 'no'}")
    lines.append(f"  known-absent: {len(a.known_absent) or none}"
                 + "".join(f"\n    {visible(p)}" for p in a.known_absent[:20])
                 + (f"\n    … and {len(a.known_absent) - 20} more" if len(a.known_absent) > 20 else ""))
    lines.append(f"  max bytes:    {a.max_bytes:,}")
    lines.append(f"  waivers:      {len(a.waivers) or none}")
    for w in a.waivers:
        lines.append(f"    {visible(str(w['rule']))} on {visible(str(w['path']))}: matched {w['matched']} "
                     f"finding(s); \"{visible(str(w['justification']))}\"")
    return lines


def truncate_cmd(
    root: Annotated[Path, typer.Argument(help="The submission folder holding closed/ or open/.")],
    out: Annotated[Path, typer.Option("--out", help="A new folder for the truncated copy (must not exist).")],
) -> None:
    """Copy the tree, truncating accuracy logs over 8 KiB and recording their original sha256."""
    from ..package.truncate import truncate_tree

    done = truncate_tree(root, out)
    for t in done:
        typer.echo(f"truncated {t.path} ({t.original_size} bytes, sha256 {t.original_sha256})")
    typer.echo(f"{len(done)} accuracy log(s) truncated; copy written to {out}")
