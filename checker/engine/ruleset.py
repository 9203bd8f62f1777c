"""Load a round's rules: YAML, schema-checked, `extends` resolved, unknown kinds refused.

A ruleset is immutable once loaded; checks read it, never write it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import RulesetError
from ..findings import Severity
from ..resources import data_dir


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    kind: str
    message: str
    source: str
    params: dict[str, Any] = field(default_factory=dict)
    applies: dict[str, list[str]] = field(default_factory=dict)
    help: str = ""

    def applies_to(self, division: str | None, benchmark: str | None, scenario: str | None) -> bool:
        for key, value in (("divisions", division), ("benchmarks", benchmark), ("scenarios", scenario)):
            allowed = self.applies.get(key)
            if allowed and value is not None and value not in allowed:
                return False
        return True

    def render(self, fields: dict[str, Any]) -> str:
        """Fill the message template; `{name}` only, no attribute access or format specs."""

        def sub(m: re.Match[str]) -> str:
            v = fields.get(m.group(1))
            return m.group(0) if v is None else _fmt(v)

        return re.sub(r"\{([a-z_]+)\}", sub, self.message)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}" if abs(v) < 1e15 else f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


@dataclass(frozen=True)
class Ruleset:
    suite: str
    round: str
    title: str
    files: tuple[str, ...]  # the rule files read, base first
    digest: str  # sha256 over the files' bytes, in order
    data: dict[str, Any]  # everything but `rules`, after extends
    rules: tuple[Rule, ...]

    def constant(self, name: str) -> Any:
        entry = self.data.get("constants", {}).get(name)
        if entry is None:
            raise RulesetError(f"ruleset {self.round} has no constant '{name}'")
        return entry["value"]

    def describe(self) -> dict[str, Any]:
        return {"suite": self.suite, "round": self.round, "files": list(self.files), "digest": self.digest}


def rules_root() -> Path:
    return data_dir("rules")


def available_rounds(suite: str) -> list[str]:
    folder = rules_root() / suite
    return sorted(p.stem for p in folder.glob("v*.yaml")) if folder.is_dir() else []


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    """The rules-file validator, built once: checking the schema itself on every load costs ~70 ms."""
    path = data_dir("schemas") / "rules.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


MAX_RULES_BYTES = 4 << 20  # the largest shipped rules file is ~25 KB


def _read(path: Path) -> tuple[dict[str, Any], bytes]:
    """One rules file: size-bounded, strict UTF-8, safe YAML (libyaml's when present), schema-checked."""
    from ..inputs import decode_utf8, parse_yaml, read_limited

    where = f"rules file {path.name}"
    raw = read_limited(path, "rules file", MAX_RULES_BYTES, RulesetError)
    # libyaml when present: the pure-Python loader dominated a validate run (~0.1 s per load)
    doc = parse_yaml(decode_utf8(raw, where, RulesetError), where, RulesetError)
    if not isinstance(doc, dict):
        raise RulesetError(f"rules file {path.name} is not a mapping")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise RulesetError(
            f"rules file {path.name} does not match schemas/rules.schema.json at {where}: {error.message}",
            "Fix the rules file; every rule needs id, severity, kind, message and source.",
        )
    return doc, raw


REPLACE = "replace"  # a mapping holding `replace: true` replaces what it extends instead of merging into it


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged into `base`: mappings key by key, anything else replaced.

    A mapping of `over` that holds `replace: true` replaces the mapping of `base` whole (the
    marker itself is dropped), e.g. a later round's hyperparameter table that must not inherit
    keys of the earlier round's.
    """
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and v.get(REPLACE) is True:
            out[k] = _strip_replace(v)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = _strip_replace(v)
    return out


def _strip_replace(v: Any) -> Any:
    """A deep copy of v without `replace` markers (a replacing mapping may nest another)."""
    if isinstance(v, dict):
        return {k: _strip_replace(x) for k, x in v.items() if k != REPLACE}
    if isinstance(v, list):
        return [_strip_replace(x) for x in v]
    return copy.deepcopy(v)


def load_ruleset(suite: str, round_name: str, path: Path | None = None,
                 known_kinds: frozenset[str] | None = None) -> Ruleset:
    """Load rules/<suite>/<round>.yaml (or `path`), following `extends` to the base round."""
    chain: list[tuple[Path, dict[str, Any], bytes]] = []
    seen: set[str] = set()
    current = path or (rules_root() / suite / f"{round_name}.yaml")
    # `extends` names a round in the folder the first file was loaded from, never a path out of it
    # (the rules a signed manifest carries are written to a temporary folder and loaded from there)
    folder = current.parent.resolve()
    while True:
        if not current.is_file():
            rounds = ", ".join(available_rounds(suite)) or "none"
            raise RulesetError(f"no rules for {suite} round '{current.stem}'", f"Known rounds: {rounds}.")
        key = str(current.resolve())
        if key in seen:
            raise RulesetError(f"rules file {current.name} extends itself (a cycle)")
        seen.add(key)
        doc, raw = _read(current)
        if doc["suite"] != suite:
            raise RulesetError(f"rules file {current.name} is for suite {doc['suite']}, not {suite}")
        chain.append((current, doc, raw))
        parent = doc.get("extends")
        if not parent:
            break
        if (not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}", parent) or ".." in parent
                or not (folder / f"{parent}.yaml").resolve().parent == folder):
            raise RulesetError(f"rules file {current.name}: extends {parent!r} is not a round in the same folder",
                               "extends names a round, e.g. `extends: v0.5`, whose file sits beside this one.")
        current = folder / f"{parent}.yaml"
    chain.reverse()  # base first

    data: dict[str, Any] = {}
    rules: dict[str, dict[str, Any]] = {}
    for _, doc, _ in chain:
        body = {k: v for k, v in doc.items() if k not in ("rules", "overrides", "disable", "extends")}
        data = _merge(data, body)
        for r in doc.get("rules", []):
            if r["id"] in rules:
                raise RulesetError(f"rule {r['id']} is defined twice; use overrides to change it")
            rules[r["id"]] = _strip_replace(r)
        for o in doc.get("overrides", []):
            if o["id"] not in rules:
                raise RulesetError(f"override names unknown rule {o['id']}")
            rules[o["id"]] = _merge(rules[o["id"]], {k: v for k, v in o.items() if k != "id"})
        for rid in doc.get("disable", []):
            if rid not in rules:
                raise RulesetError(f"disable names unknown rule {rid}")
            del rules[rid]

    built: list[Rule] = []
    for r in rules.values():
        if known_kinds is not None and r["kind"] not in known_kinds:
            raise RulesetError(
                f"rule {r['id']} uses unknown check kind '{r['kind']}'",
                "Known kinds: " + ", ".join(sorted(known_kinds)),
            )
        built.append(Rule(
            id=r["id"], severity=Severity(r["severity"]), kind=r["kind"], message=r["message"],
            source=r["source"], params=r.get("params", {}), applies=r.get("applies", {}),
            help=r.get("help", ""),
        ))
    digest = hashlib.sha256(b"".join(raw for _, _, raw in chain)).hexdigest()
    last = chain[-1][1]
    return Ruleset(
        suite=suite, round=last["round"], title=last.get("title", ""),
        files=tuple(f"{suite}/{p.name}" for p, _, _ in chain), digest=digest, data=data,
        rules=tuple(built),
    )
