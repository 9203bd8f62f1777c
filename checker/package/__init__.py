"""Signed, reproducible result packages: keygen, package, verify and truncate, usable without the CLI."""

from __future__ import annotations

from .builder import PackageOptions, PackageResult, ValidationFailed, package
from .keys import KeyFiles, keygen, load_private_key
from .sshsig import NAMESPACE
from .truncate import Truncation, truncate_tree
from .verify import VerifyResult, verify_package

__all__ = [
    "NAMESPACE", "KeyFiles", "PackageOptions", "PackageResult", "Truncation", "ValidationFailed", "VerifyResult",
    "keygen", "load_private_key", "package", "truncate_tree", "verify_package",
]
