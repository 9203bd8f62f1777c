"""Hostile-input generator: malformed submissions derived from one good v0.5 inference tree."""
