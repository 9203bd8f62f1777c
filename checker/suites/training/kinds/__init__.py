"""The training check kinds: one registry, listed literally from the kind modules."""

from __future__ import annotations

from ....engine.registry import Registry
from . import hyperparameters, keys, layout, logs, runs, time

REGISTRY = Registry((*layout.KINDS, *runs.KINDS, *logs.KINDS, *keys.KINDS, *time.KINDS, *hyperparameters.KINDS))
