"""One escaping layer for every human-facing output: a submission's strings are hostile.

Folder names, file names, system-description values and the messages built from them reach
terminals, GitHub's log and job summary, Markdown, CSV, HTML and plots. Each format has one
function here, and every renderer passes submission data through it:

- `visible` (checker.escape, shared with the library's own messages): control characters (C0, DEL, C1: ESC, CR, LF, BEL …), bidirectional overrides and
  isolates, invisible separators and lone surrogates (file names that are not UTF-8) become
  visible escapes such as ``\\x1b``, ``\\n``, ``\\u202e`` or ``\\xff``. Every other format builds
  on it, so one finding is always one line and nothing can move the cursor, retitle a window,
  plant a hyperlink (OSC 8) or reorder what is read.
- `term`: a Rich `Text` that is never parsed for markup (``[link=…]``) or emoji (``:smile:``).
- `md`, `md_code`: Markdown inline text and code spans: no raw HTML, no line breaks, Markdown
  punctuation escaped (a cell cannot start a heading, a link, an image, math or a mention).
- `csv_cell`: a spreadsheet cannot run it as a formula (=, +, -, @, tab, CR first).
- `html_text`: HTML text and attribute values.
- `plot_label`: matplotlib text (``$…$`` would be parsed as math).
"""

from __future__ import annotations

__all__ = ["csv_cell", "html_text", "md", "md_code", "plot_label", "term", "visible"]

import html
import re

from rich.text import Text

from ..escape import visible


def term(value: object, style: str = "") -> Text:
    """Terminal text for Rich: escaped, and a `Text`, so markup and emoji codes stay literal."""
    return Text(visible(value), style=style)


# Markdown. Inside a line only a few characters start live constructs: HTML (&, <), links and
# images ([ ]), code (`), emphasis (*, and _ at a word's edge), strikethrough (~), math ($), table
# cells (|), emoji shortcodes (:name:) and mentions (@name); those are backslash-escaped (GitHub-
# flavoured Markdown allows a backslash before any ASCII punctuation). A list item's text is
# parsed as blocks, so a leading heading, quote, list or rule marker is escaped too.
_MD_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_MD_INLINE = re.compile(r"[\\`*\[\]|~$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|:(?=[A-Za-z0-9_+-]+:)|@(?=\w)")
_MD_BLOCK_START = re.compile(r"^(\s*\d*)([#>+=-]|(?<=\d)[.)])")


def md(value: object, line_start: bool = False) -> str:
    """Markdown inline text (a table cell, a heading, a list item): literal, on one line.

    `line_start`: the text opens a list item or a line, where a block marker (#, >, -, 1.) is live.
    """
    text = "".join(_MD_HTML.get(c, c) for c in visible(value))
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(0), text)
    if line_start:
        text = _MD_BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text, count=1)
    return text


def md_code(value: object, in_table: bool = True) -> str:
    """A Markdown code span (paths, rule ids); `in_table` escapes the pipes a table would split on."""
    text = visible(value)
    if not text:
        return "(root)"
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    body = text.replace("|", "\\|") if in_table else text
    return f"{fence}{pad}{body}{pad}{fence}"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A CSV text cell: escaped, and quoted with ' when a spreadsheet would run it as a formula."""
    raw = value if isinstance(value, str) else str(value)
    # judged on the raw value (a tab or CR first), then on the escaped one (leading spaces skipped)
    text = visible(raw)
    if raw[:1] in _FORMULA_START or text.lstrip(" ")[:1] in _FORMULA_START:
        return "'" + text
    return text


def html_text(value: object) -> str:
    """HTML text or a quoted attribute value."""
    return html.escape(visible(value), quote=True)


def plot_label(value: object) -> str:
    """A matplotlib label: escaped, and '$' made literal (matplotlib parses $…$ as math)."""
    return visible(value).replace("$", r"\$")
