"""Hostile strings made inert for a terminal, a CI log or an error message.

Names from a submission or a package (file names, manifest fields, waiver texts) are shown with
every character that could act on a terminal or a log parser as a visible escape: a newline cannot
start a `::error::` workflow command, an ESC cannot retitle the window or clear the screen, a bidi
override cannot reorder what the reader sees.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def visible(text: str) -> str:
    """`text` with control, format and separator characters (and backslash) as backslash escapes."""
    if text.isprintable() and "\\" not in text:
        return text
    out: list[str] = []
    for ch in text:
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            o = ord(ch)
            if 0xDC80 <= o <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
                out.append(f"\\x{o - 0xDC00:02x}")
            elif o <= 0xFF:
                out.append(f"\\x{o:02x}")
            elif o <= 0xFFFF:
                out.append(f"\\u{o:04x}")
            else:
                out.append(f"\\U{o:08x}")
    return "".join(out)
