"""Signed, reproducible result packages: keygen, package, verify and truncate, usable without the CLI.

Names are loaded on first use (PEP 562), so importing one submodule — as the CLI does at start-up
for the signature namespace — does not pull in validation, tar and git machinery.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PackageOptions": ".builder", "PackageResult": ".builder", "ValidationFailed": ".builder", "package": ".builder",
    "KeyFiles": ".keys", "keygen": ".keys", "load_private_key": ".keys",
    "NAMESPACE": ".sshsig",
    "Truncation": ".truncate", "truncate_tree": ".truncate",
    "VerifyResult": ".verify", "verify_package": ".verify",
}

__all__ = [
    "NAMESPACE", "KeyFiles", "PackageOptions", "PackageResult", "Truncation", "ValidationFailed", "VerifyResult",
    "keygen", "load_private_key", "package", "truncate_tree", "verify_package",
]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(module, __name__), name)
