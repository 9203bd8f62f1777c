"""The inference check kinds: one registry, listed literally from the kind modules."""

from __future__ import annotations

from ....engine.registry import Registry
from . import accuracy, compliance, layout, loadgen, suite, system

# the accuracy kinds read the accuracy logs as the rescore stage read them: they run once it is done
REGISTRY = Registry((*layout.KINDS, *system.KINDS, *loadgen.KINDS, *compliance.KINDS, *suite.KINDS),
                    late=accuracy.KINDS)
