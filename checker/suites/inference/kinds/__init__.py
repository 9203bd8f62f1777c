"""The inference check kinds: one registry, listed literally from the kind modules."""

from __future__ import annotations

from ....engine.registry import Registry
from . import accuracy, compliance, layout, loadgen, suite, system

# the accuracy kinds read the accuracy logs as the rescore stage read them, and the compliance kinds the
# checks recomputed once the response comparisons are in: they run once that last stage is done
REGISTRY = Registry((*layout.KINDS, *system.KINDS, *loadgen.KINDS, *suite.KINDS),
                    late=(*accuracy.KINDS, *compliance.KINDS))
