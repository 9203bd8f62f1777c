"""Hostile strings made inert for a terminal, a CI log or an error message.

Names from a submission or a package (file names, manifest fields, waiver texts, system-description
values) are shown with every character that could act on a terminal or a log parser as a visible
escape: a newline cannot start a `::error::` workflow command, an ESC cannot retitle the window or
clear the screen, a bidi override cannot reorder what the reader sees. The output formats build on
this (checker.report.escape); the library's refusal messages use it directly.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; Arabic letter mark, LRM/RLM, the bidi embeddings, overrides and
# isolates; zero-width space, word joiner, BOM; line and paragraph separators; every surrogate
# (a lone one is a byte of a non-UTF-8 file name, decoded with surrogateescape).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069"
                     "\ufeff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    named = _NAMED.get(c)
    if named is not None:
        return named
    cp = ord(c)
    if 0xDC80 <= cp <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{cp - 0xDC00:02x}"
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}"


def visible(value: object) -> str:
    """The text with every control, bidi and invisible character shown as a visible escape."""
    text = value if isinstance(value, str) else str(value)
    return _UNSAFE.sub(_escape_char, text)
