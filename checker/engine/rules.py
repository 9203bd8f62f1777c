"""Load a round's rules: YAML, schema-checked, `extends` resolved, every rule's params and the
round's data built into typed records.

A rules file is read with the C YAML loader, bounded in size, and checked against
schemas/rules.schema.json. Each rule names a check kind of the suite's registry; its params are
converted into that kind's params type, so an unknown, missing or mistyped key is a load error
naming the file, the rule and the key. The rest of the file (benchmarks, scenarios, compliance
tests, tables …) is converted into the suite's typed round model the same way.

`extends` chains rounds: a later file says what changed. Mappings merge key by key; `null`
drops an inherited entry; a mapping holding `replace: true` replaces the inherited one whole.
A file may extend only a round of the folder it was loaded from.

A ruleset is immutable once loaded; checks read it, never write it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import yaml

from ..errors import RulesetError
from ..findings import Severity
from ..fs import read_upto
from ..resources import data_dir
from .registry import Params, Registry

MAX_RULES_BYTES = 1 << 20  # a round's rules are tens of KiB; a bigger file is not a rules file
_ROUND_NAME = re.compile(r"^v[0-9]+\.[0-9]+(-[a-z0-9-]+)?$")
# a key of `sources` as a source string may name it: "tr05-rules; tr05-ver REQUIRED_RESULT_NUM"
_SOURCE_KEY = re.compile(r"(?<![\w.-])([A-Za-z][A-Za-z0-9_.-]*[A-Za-z0-9])(?![\w-])")
META = ("schema", "suite", "round", "title", "extends", "sources", "rules", "overrides", "disable")


@dataclass(frozen=True)
class Applies:
    """Where a rule applies; an empty tuple means everywhere."""

    divisions: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()
    system_types: tuple[str, ...] = ()

    def admits(self, division: str | None, benchmark: str | None, scenario: str | None,
               system_type: str | None) -> bool:
        for allowed, value in ((self.divisions, division), (self.benchmarks, benchmark),
                               (self.scenarios, scenario), (self.system_types, system_type)):
            if allowed and value is not None and value not in allowed:
                return False
        return True

    def to_dict(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in (("divisions", self.divisions), ("benchmarks", self.benchmarks),
                                        ("scenarios", self.scenarios), ("system_types", self.system_types)) if v}


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    kind: str
    scope: str
    message: str
    source: str  # the source key as written; Ruleset.source_text expands it
    params: Params
    applies: Applies
    help: str = ""

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
    sources: dict[str, str]
    model: Any  # the suite's typed round data (its ruledata module says which type)
    rules: tuple[Rule, ...]
    # the rules files this run has read, so that other rounds' data (round detection) costs no re-read
    library: RulesFiles = field(default_factory=lambda: RulesFiles(), compare=False, repr=False)

    def source_text(self, key: str) -> str:
        """A rule's source with the `sources` it names spelled out: the text its key names, or the
        source as written followed by each key of `sources` it mentions (document and commit)."""
        if key in self.sources:
            return self.sources[key]
        named = [k for k in dict.fromkeys(_SOURCE_KEY.findall(key)) if k in self.sources]
        if not named:
            return key
        return f"{key} [" + "; ".join(f"{k}: {self.sources[k]}" for k in named) + "]"

    def describe(self) -> dict[str, Any]:
        return {"suite": self.suite, "round": self.round, "files": list(self.files), "digest": self.digest}


def rules_root() -> Path:
    return data_dir("rules")


def available_rounds(suite: str) -> list[str]:
    folder = rules_root() / suite
    return sorted(p.stem for p in folder.glob("v*.yaml")) if folder.is_dir() else []


def schema_problem(doc: dict[str, Any]) -> str | None:
    """Where a rules document breaks schemas/rules.schema.json, and how; None when it matches."""
    import jsonschema  # only a user's rules file is checked at run time (the suite checks the shipped ones)

    path = data_dir("schemas") / "rules.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    if error is None:
        return None
    return f"at {'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"


def read_yaml(path: Path, what: str, max_bytes: int = MAX_RULES_BYTES) -> tuple[Any, bytes]:
    """A YAML file of mlcheck's own inputs, bounded and with the C loader; RulesetError when unusable."""
    try:
        with path.open("rb") as fh:
            raw = read_upto(fh, max_bytes)
    except OSError as exc:
        raise RulesetError(f"cannot read {what} {path.name}: {exc.strerror or exc}") from exc
    if len(raw) > max_bytes:
        raise RulesetError(f"{what} {path.name} is over {max_bytes} bytes; not read")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulesetError(f"{what} {path.name} is not UTF-8 (byte {exc.start})") from exc
    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise RulesetError(f"{what} {path.name} is not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise RulesetError(f"{what} {path.name} is nested too deeply") from exc
    from ..inputs import check_shape

    check_shape(doc, f"{what} {path.name}", RulesetError)  # depth, and aliases expanding past any real file
    return doc, raw


class RulesFiles:
    """The rules files one run has read, each parsed once (a per-run object; nothing process-wide)."""

    def __init__(self) -> None:
        self._docs: dict[tuple[str, bool], tuple[dict[str, Any], bytes]] = {}
        self.models: dict[tuple[str, str], Any] = {}  # (suite, round) -> its typed round data

    def read(self, path: Path, check: bool) -> tuple[dict[str, Any], bytes]:
        key = (str(path.resolve()), check)
        if key not in self._docs:
            self._docs[key] = _read(path, check)
        return self._docs[key]


def _read(path: Path, check: bool) -> tuple[dict[str, Any], bytes]:
    """A rules file, parsed; `check`: against schemas/rules.schema.json too (a file of the user's; the
    shipped files are checked by the tests, so that no run pays for it)."""
    doc, raw = read_yaml(path, "rules file")
    if not isinstance(doc, dict):
        raise RulesetError(f"rules file {path.name} is not a mapping")
    if not check:
        return doc, raw
    try:
        problem = schema_problem(doc)
    except RecursionError as exc:
        raise RulesetError(f"rules file {path.name} is nested too deeply") from exc
    if problem is not None:
        raise RulesetError(
            f"rules file {path.name} does not match schemas/rules.schema.json {problem}",
            "Fix the rules file; every rule needs id, severity, kind, message and source.",
        )
    return doc, raw


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A later round's data over an earlier one's: `null` drops a key, `replace: true` replaces a mapping."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and v.get("replace") is True:
            out[k] = copy.deepcopy({kk: vv for kk, vv in v.items() if kk != "replace"})
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _chain(suite: str, round_name: str, path: Path | None,
           files: RulesFiles | None = None) -> list[tuple[Path, dict[str, Any], bytes]]:
    """The rules files from `round_name` (or `path`) back to the base round, base first."""
    read = files.read if files is not None else _read
    shipped = rules_root().resolve()
    chain: list[tuple[Path, dict[str, Any], bytes]] = []
    seen: set[str] = set()
    current: Path | None = path or (rules_root() / suite / f"{round_name}.yaml")
    folder = (current.parent if current is not None else rules_root() / suite).resolve()
    while current is not None:
        if not current.is_file():
            rounds = ", ".join(available_rounds(suite)) or "none"
            raise RulesetError(f"no rules for {suite} round '{current.stem}'", f"Known rounds: {rounds}.")
        key = str(current.resolve())
        if key in seen:
            raise RulesetError(f"rules file {current.name} extends itself (a cycle)")
        seen.add(key)
        # the user's --rules file, and any file outside the shipped rules folder, is checked in full
        doc, raw = read(current, current == path or not current.resolve().is_relative_to(shipped))
        if doc["suite"] != suite:
            raise RulesetError(f"rules file {current.name} is for suite {doc['suite']}, not {suite}")
        chain.append((current, doc, raw))
        parent = doc.get("extends")
        if parent is None:
            current = None
            continue
        if not _ROUND_NAME.match(str(parent)):
            raise RulesetError(f"rules file {current.name} extends '{parent}', which is not a round name",
                               "extends names a round of the same folder, e.g. extends: v0.5")
        current = folder / f"{parent}.yaml"
        if current.resolve().parent != folder:  # a link in the folder may not lead out of it
            raise RulesetError(f"rules file {chain[-1][0].name} extends '{parent}', whose file is a link out of "
                               "the rules folder", "extends names a round whose file sits in the same folder.")
    chain.reverse()
    return chain


def rules_digest(suite: str, round_name: str, path: Path | None = None) -> str:
    """The sha256 a ruleset of this round (or file) would carry, without building its rules."""
    return hashlib.sha256(b"".join(raw for _, _, raw in _chain(suite, round_name, path))).hexdigest()


def _convert(value: Any, typ: type[Any], where: str) -> Any:
    try:
        return msgspec.convert(value, type=typ, strict=True)
    except msgspec.ValidationError as exc:
        raise RulesetError(f"{where}: {str(exc).replace('`$', '`' + where.rpartition(' ')[2])}",
                           "Fix the rules file; the message names the key.") from exc


_NOT_DATA = ("rules", "overrides", "disable", "extends")


def load_round_model(suite: str, round_name: str, model: type[Any], files: RulesFiles) -> Any:
    """A shipped round's typed round data alone (its rules are not built), read once a run through `files`."""
    if (suite, round_name) not in files.models:
        data: dict[str, Any] = {}
        for _, doc, _ in _chain(suite, round_name, None, files):
            data = merge(data, {k: v for k, v in doc.items() if k not in _NOT_DATA})
        files.models[suite, round_name] = _convert({k: v for k, v in data.items() if k not in META}, model,
                                                   f"{round_name}: round data")
    return files.models[suite, round_name]


def load_ruleset(suite: str, round_name: str, registry: Registry, model: type[Any] | None = None,
                 path: Path | None = None, files: RulesFiles | None = None) -> Ruleset:
    """Load rules/<suite>/<round>.yaml (or `path`), following `extends` to the base round."""
    files = files if files is not None else RulesFiles()
    chain = _chain(suite, round_name, path, files)
    data: dict[str, Any] = {}
    raw_rules: dict[str, dict[str, Any]] = {}
    for file, doc, _ in chain:
        data = merge(data, {k: v for k, v in doc.items() if k not in _NOT_DATA})
        for r in doc.get("rules", []):
            if r["id"] in raw_rules:
                raise RulesetError(f"{file.name}: rule {r['id']} is defined twice; use overrides to change it")
            raw_rules[r["id"]] = copy.deepcopy(r)
        for o in doc.get("overrides", []):
            if o["id"] not in raw_rules:
                raise RulesetError(f"{file.name}: override names unknown rule {o['id']}")
            # params are replaced whole: a partial params override would hide which keys apply
            base = {k: v for k, v in raw_rules[o["id"]].items() if not ("params" in o and k == "params")}
            raw_rules[o["id"]] = merge(base, {k: v for k, v in o.items() if k != "id"})
        for rid in doc.get("disable", []):
            if rid not in raw_rules:
                raise RulesetError(f"{file.name}: disable names unknown rule {rid}")
            del raw_rules[rid]
    last_file = chain[-1][0].name
    rules: list[Rule] = []
    for r in raw_rules.values():
        k = registry.get(r["kind"])
        if k is None:
            raise RulesetError(f"{last_file}: rule {r['id']} uses unknown check kind '{r['kind']}'",
                               "Known kinds: " + ", ".join(registry.names()))
        params = _convert(r.get("params") or {}, k.params, f"{last_file}: rule {r['id']} params")
        a = r.get("applies") or {}
        applies = Applies(*(tuple(str(x) for x in a.get(key, ())) for key in
                            ("divisions", "benchmarks", "scenarios", "system_types")))
        rules.append(Rule(id=r["id"], severity=Severity(r["severity"]), kind=r["kind"], scope=k.scope,
                          message=r["message"], source=r["source"], params=params, applies=applies,
                          help=r.get("help", "")))
    body = {k: v for k, v in data.items() if k not in META}
    typed = _convert(body, model, f"{last_file}: round data") if model is not None else body
    digest = hashlib.sha256(b"".join(raw for _, _, raw in chain)).hexdigest()
    last = chain[-1][1]
    sources = {str(k): str(v) for k, v in (data.get("sources") or {}).items()}
    return Ruleset(suite=suite, round=str(last["round"]), title=str(last.get("title", "")),
                   files=tuple(f"{suite}/{p.name}" for p, _, _ in chain), digest=digest, sources=sources,
                   model=typed, rules=tuple(rules), library=files)
