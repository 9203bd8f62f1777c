"""mlcheck's own YAML inputs from a hostile hand (issue 15, item 10): waivers, rescore configs, rules files.

Each case is run through the CLI and must be exit 2 with a message naming the file (and the key where
there is one): never a traceback (exit 3), never a hang, never an accepted file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from package_fixtures import make_tree, mlcheck

from checker.engine.rules import rules_root

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))


def _deep_block(levels: int, leaf: str = "x") -> str:
    return "".join("  " * i + "k:\n" for i in range(levels)) + "  " * levels + leaf + "\n"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("inputs") / "sub")


def _run(cwd: Path, *args: str) -> tuple[int, str]:
    p = mlcheck(*args, cwd=cwd)
    assert "internal error" not in p.stderr, p.stderr
    return p.returncode, p.stderr


Content = str | bytes | Callable[[Path], str]


def _write(path: Path, content: Content) -> Path:
    if callable(content):
        content = content(path)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# Deep flow nesting: libyaml builds without a depth limit parse it and the shape check refuses it;
# builds with one, or the pure-Python loader, refuse it while parsing. Each is a clear exit 2.
DEEP_FLOW = ("is not valid YAML", "nested deeper than 32 levels", "nested too deeply to read")


def _says(err: str, message: str | tuple[str, ...]) -> bool:
    return any(m in err for m in ((message,) if isinstance(message, str) else message))


# ---------------------------------------------------------------- waivers

WAIVER = "{rule: inf.layout.code, path: 'closed/*', justification: agreed}"
WAIVER_CASES = [
    pytest.param(b"- {rule: inf.layout.code, path: '*', justification: \xff\xfe}\n", "is not UTF-8 text (byte 52: 0xff)",
                 id="not-utf8"),
    pytest.param("- " + "[" * 5000 + "]" * 5000 + "\n", DEEP_FLOW, id="deep-flow"),
    pytest.param(_deep_block(60), "nested deeper than 32 levels", id="deep-block"),
    pytest.param("# padding\n" * 120_000, "larger than 1,048,576 bytes", id="oversized"),
    pytest.param(BILLION_LAUGHS + "waivers: *i\n", "more than 200,000 values", id="billion-laughs"),
    pytest.param("- &a [*a]\n", "nested deeper than 32 levels", id="recursive-alias"),
    pytest.param("- !!python/object/apply:os.system [echo pwned]\n", "is not valid YAML", id="python-tag"),
    pytest.param("- {rule: 5, path: '*', justification: x}\n", "waiver 1 needs a non-empty string 'rule', got a number",
                 id="rule-is-number"),
    pytest.param("- {rule: inf, path: [a, b], justification: x}\n", "needs a non-empty string 'path', got a list",
                 id="path-is-list"),
    pytest.param("- {rule: inf, path: '*'}\n", "needs a non-empty string 'justification', got nothing",
                 id="justification-missing"),
    pytest.param("- {rule: inf, path: '*', justification: 2019-09-20}\n", "got a date", id="justification-is-date"),
    pytest.param("- {rule: inf, path: '*', justification: '  '}\n", "got an empty one", id="justification-empty"),
    pytest.param(f"- {WAIVER}\n- just a string\n", "waiver 2 is a string, not a mapping", id="entry-is-string"),
    pytest.param("rule: inf\n", "expected a list of waivers, got a mapping", id="top-is-mapping"),
    pytest.param("- {rule: inf, path: '*', justification: x, \"evil\\n::error::x\": 1}\n",
                 "unknown field(s): evil\\n::error::x", id="unknown-field-escaped"),
]


@pytest.mark.parametrize("content, message", WAIVER_CASES)
def test_hostile_waivers_file_is_exit_2(tree: Path, tmp_path: Path, content: Content, message: str | tuple[str, ...]) -> None:
    path = _write(tmp_path / "waivers.yaml", content)
    code, err = _run(tmp_path, "validate", str(tree), "--select", "inf.layout", "--waivers", str(path))
    assert code == 2, err
    assert _says(err, message) and "waivers.yaml" in err, err
    assert not any(line.startswith("::") for line in err.splitlines())


def test_good_waivers_file_still_loads(tree: Path, tmp_path: Path) -> None:
    path = _write(tmp_path / "waivers.yaml", f"\ufeff- {WAIVER}\n")  # a BOM is fine
    code, err = _run(tmp_path, "validate", str(tree), "--select", "inf.layout", "--waivers", str(path))
    assert code == 0, err


# ---------------------------------------------------------------- rescore configs

CONFIG_CASES = [
    pytest.param("jobs: many\n", "'jobs' must be a whole number of processes (0: one per core), got many",
                 id="jobs-many"),
    pytest.param("jobs: yes\n", "'jobs' must be a whole number", id="jobs-boolean"),
    pytest.param("jobs: -1\n", "got -1", id="jobs-negative"),
    pytest.param("jobs: 1.5\n", "got 1.5", id="jobs-float"),
    pytest.param("jobs: 100000000000000000000\n", "'jobs' must be a whole number", id="jobs-huge"),
    pytest.param("datasets: [imagenet]\n", "'datasets' must be a mapping of NAME: PATH, got a list",
                 id="datasets-list"),
    pytest.param("datasets: {imagenet: 5}\n", "'datasets.imagenet' must be a path, got a number", id="path-number"),
    pytest.param("datasets: {imagenet: }\n", "'datasets.imagenet' must be a path, got nothing", id="path-null"),
    pytest.param("datasets: {1: x}\n", "every name must be a word, got a number", id="name-number"),
    pytest.param("datasets: {}\nthreads: 4\n", "unknown keys: threads", id="unknown-key"),
    pytest.param("- imagenet\n", "must be a mapping with a 'datasets' mapping, got a list", id="top-list"),
    pytest.param(b"datasets: {imagenet: \xff}\n", "is not UTF-8 text", id="not-utf8"),
    pytest.param("datasets: " + "{a: " * 3000 + "x" + "}" * 3000 + "\n", DEEP_FLOW, id="deep-flow"),
    pytest.param("datasets:\n" + "".join("  " * (i + 1) + "k:\n" for i in range(50)) + "  " * 51 + "x\n",
                 "nested deeper than 32 levels", id="deep-block"),
    pytest.param(BILLION_LAUGHS + "datasets: {imagenet: *i}\n", "more than 200,000 values", id="billion-laughs"),
    pytest.param("datasets: {}\n" + "#" * (2 << 20) + "\n", "larger than 1,048,576 bytes", id="oversized"),
]


@pytest.mark.parametrize("content, message", CONFIG_CASES)
def test_hostile_rescore_config_is_exit_2(tree: Path, tmp_path: Path, content: Content, message: str | tuple[str, ...]) -> None:
    path = _write(tmp_path / "rescore.yaml", content)
    code, err = _run(tmp_path, "rescore", str(tree), "--config", str(path))
    assert code == 2, err
    assert _says(err, message) and "rescore.yaml" in err, err


# ---------------------------------------------------------------- rules files

def _custom(extends: str) -> Callable[[Path], str]:
    def make(path: Path) -> str:
        shutil.copy(rules_root() / "inference" / "v0.5.yaml", path.parent / "v0.5.yaml")
        return f"schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-mine\nextends: {extends}\n"
    return make


def _escaping_link(path: Path) -> str:
    outside = path.parent.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    shutil.copy(rules_root() / "inference" / "v0.5.yaml", outside / "v0.5.yaml")
    (path.parent / "v0.5.yaml").symlink_to(outside / "v0.5.yaml")
    return "schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-mine\nextends: v0.5\n"


RULES_CASES = [
    pytest.param(_custom("../v0.5"), "extends '../v0.5', which is not a round name", id="extends-parent"),
    pytest.param(_custom("/etc/passwd"), "extends '/etc/passwd', which is not a round name", id="extends-absolute"),
    pytest.param(_custom("sub/v0.5"), "extends 'sub/v0.5', which is not a round name", id="extends-subfolder"),
    pytest.param(_custom("'..'"), "extends '..', which is not a round name", id="extends-dotdot"),
    pytest.param(_escaping_link, "extends 'v0.5', whose file is a link out of the rules folder", id="extends-through-a-link"),
    pytest.param(b"schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-mine\ntitle: \xff\n",
                 "rules file custom.yaml is not UTF-8 (byte 65)", id="not-utf8"),
    pytest.param("schema: mlcheck-rules/1\n" + "#" * (5 << 20) + "\n", "custom.yaml is over 1048576 bytes",
                 id="oversized"),
    pytest.param("schema: mlcheck-rules/1\nconstants: " + "[" * 5000 + "]" * 5000 + "\n", DEEP_FLOW,
                 id="deep-flow"),
    pytest.param("schema: mlcheck-rules/1\nconstants:\n" + "".join("  " * (i + 1) + "k:\n" for i in range(50))
                 + "  " * 51 + "x\n", "nested deeper than 32 levels", id="deep-block"),
    pytest.param(BILLION_LAUGHS + "schema: mlcheck-rules/1\nsources: {x: *i}\n", "more than 200,000 values",
                 id="billion-laughs"),
]


@pytest.mark.parametrize("content, message", RULES_CASES)
def test_hostile_rules_file_is_exit_2(tree: Path, tmp_path: Path, content: Content, message: str | tuple[str, ...]) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    path = _write(folder / "custom.yaml", content)
    code, err = _run(tmp_path, "validate", str(tree), "--select", "inf.layout", "--rules", str(path))
    assert code == 2, err
    assert _says(err, message), err


def test_rules_file_extending_a_round_beside_it_still_works(tree: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    path = _write(folder / "custom.yaml", _custom("v0.5"))
    code, err = _run(tmp_path, "validate", str(tree), "--select", "inf.layout", "--rules", str(path))
    assert code == 0, err
