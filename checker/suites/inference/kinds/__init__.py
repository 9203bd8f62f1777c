"""The inference check kinds: one registry, listed literally from the kind modules."""

from __future__ import annotations

from ....engine.registry import Registry
from . import accuracy, compliance, layout, loadgen, suite, system

REGISTRY = Registry((*layout.KINDS, *system.KINDS, *loadgen.KINDS, *accuracy.KINDS, *compliance.KINDS,
                     *suite.KINDS))
