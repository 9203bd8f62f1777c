"""mlcheck's own YAML inputs (waivers, rescore configs, rules files), read with bounds.

A file given to mlcheck may come from the submitter it checks. Each is read with a size limit,
decoded as strict UTF-8, parsed with the safe YAML loader (libyaml's when installed: it also caps
nesting), and then walked once to bound its depth and its size after alias expansion. Every
problem is the caller's error class (exit 2) with a message naming the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import MlcheckError
from .escape import visible
from .fs import read_upto

SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 32  # deeper than any file mlcheck reads needs
MAX_NODES = 200_000  # values after alias expansion: a "billion laughs" file stops here


def read_limited(path: Path, what: str, limit: int, error: type[MlcheckError]) -> bytes:
    """The bytes of `path`, refusing a file larger than `limit` without reading it all."""
    try:
        with Path(path).open("rb") as fh:
            raw = read_upto(fh, limit)
    except OSError as exc:
        raise error(f"cannot read {what} {visible(str(path))}: {exc.strerror}") from exc
    if len(raw) > limit:
        raise error(f"{what} {visible(str(path))} is larger than {limit:,} bytes",
                    f"A {what} is a small text file; this one is too large to be one.")
    return raw


def decode_utf8(raw: bytes, where: str, error: type[MlcheckError]) -> str:
    """Strict UTF-8 (a leading BOM allowed); the error names the first bad byte's offset."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{where} is not UTF-8 text (byte {exc.start}: 0x{raw[exc.start]:02x})",
                    "Save the file as UTF-8.") from exc


def key_path(parts: tuple[str | int, ...]) -> str:
    """`datasets.imagenet`, `[3].rule`: where a value sits, for messages."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{visible(p)}" if out else visible(p))
    return out or "(top)"


def check_shape(doc: Any, where: str, error: type[MlcheckError], max_depth: int = MAX_DEPTH,
                max_nodes: int = MAX_NODES) -> None:
    """Refuse a document nested deeper than `max_depth` or holding more than `max_nodes` values.

    Aliases are followed, so a value shared a million times counts a million times.
    """
    nodes = 0
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        value, at = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise error(f"{where} holds more than {max_nodes:,} values (after expanding aliases)",
                        "Anchors and aliases may not multiply a file beyond what it holds.")
        if len(at) > max_depth:
            raise error(f"{where}: {key_path(at[:max_depth])} is nested deeper than {max_depth} levels")
        if isinstance(value, dict):
            stack.extend((v, (*at, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(value))


def parse_yaml(text: str, where: str, error: type[MlcheckError]) -> Any:
    """Parse with the safe loader; syntax errors and runaway nesting are the caller's error."""
    try:
        doc = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise error(f"{where} is not valid YAML: {visible(detail)}") from exc
    except RecursionError as exc:  # the pure-Python loader recurses per nesting level
        raise error(f"{where} is nested too deeply to read") from exc
    check_shape(doc, where, error)
    return doc


def load_yaml(path: Path, what: str, limit: int, error: type[MlcheckError]) -> Any:
    """Read, decode and parse one YAML input file with every bound above."""
    where = f"{what} {visible(str(path))}"
    return parse_yaml(decode_utf8(read_limited(path, what, limit, error), where, error), where, error)


def type_name(value: Any) -> str:
    """The YAML word for a value's type, for "got …" in messages."""
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
             dict: "a mapping", type(None): "nothing"}
    return names.get(type(value), f"a {type(value).__name__}")
