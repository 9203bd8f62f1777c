"""Titled tables of strings, and their renderings (text, Markdown, CSV): every review table is one of these."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

FORMATS = ("text", "markdown", "csv", "json", "html")


@dataclass
class Table:
    """A titled table of strings; every output format is a rendering of these."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def render_text(tables: list[Table]) -> str:
    parts = []
    for t in tables:
        widths = [max(len(h), *(len(r[i]) for r in t.rows)) if t.rows else len(h) for i, h in enumerate(t.header)]
        lines = [t.title + (f" ({t.note})" if t.note else ""), "  ".join(h.ljust(w) for h, w in zip(t.header, widths))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in t.rows]
        if not t.rows:
            lines.append("(none)")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def md_cell(s: str) -> str:
    return s.replace("|", "\\|")


def render_markdown(tables: list[Table]) -> str:
    parts = []
    for t in tables:
        lines = [f"## {t.title}", ""]
        if t.note:
            lines += [f"_{t.note}_", ""]
        lines.append("| " + " | ".join(t.header) + " |")
        lines.append("|" + "|".join("---" for _ in t.header) + "|")
        lines += ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in t.rows]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def render_csv(tables: list[Table]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for t in tables:
        w.writerow(["# " + t.title])
        w.writerow(t.header)
        w.writerows(t.rows)
        w.writerow([])
    return buf.getvalue()
