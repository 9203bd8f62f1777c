"""Builders for small accuracy logs, written byte for byte as LoadGen writes them."""

from __future__ import annotations

from pathlib import Path


def loadgen_log(path: Path, entries: list[tuple[int, bytes]]) -> Path:
    """Write (qsl_idx, payload) entries in LoadGen's exact layout; seq_id is the position."""
    body = ",\n".join(f'{{ "seq_id" : {i}, "qsl_idx" : {q}, "data" : "{p.hex().upper()}" }}'
                      for i, (q, p) in enumerate(entries))
    path.write_text("[\n" + body + ("\n" if entries else "") + "]\n", encoding="ascii")
    return path
