"""Signed, reproducible result packages: keygen, package, verify and truncate, usable without the CLI.

Names are loaded on first use (PEP 562); the signature namespace is a constant here, so the CLI's
start-up (it is the default of --namespace) pulls in no validation, tar, git or cryptography.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PackageOptions": ".builder", "PackageResult": ".builder", "ValidationFailed": ".builder", "package": ".builder",
    "KeyFiles": ".keys", "keygen": ".keys", "load_private_key": ".keys",
    "Truncation": ".truncate", "truncate_tree": ".truncate",
    "VerifyResult": ".verify", "verify_package": ".verify",
}

__all__ = [
    "NAMESPACE", "KeyFiles", "PackageOptions", "PackageResult", "Truncation", "ValidationFailed", "VerifyResult",
    "keygen", "load_private_key", "package", "truncate_tree", "verify_package",
]


NAMESPACE = "mlcheck-result@v1"  # the SSH signature namespace of result packages


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(module, __name__), name)
