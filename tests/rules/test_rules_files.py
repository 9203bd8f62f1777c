"""Every shipped rules file matches schemas/rules.schema.json.

At run time only a user's rules file is checked against the schema (the shipped files are checked
here, once, instead of at every start); a user's file that breaks it is refused naming the place.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.engine.rules import read_yaml, rules_root, schema_problem
from checker.errors import RulesetError
from checker.suites.inference.ruledata import InferenceRound
from checker.suites.inference.suite import REGISTRY

SHIPPED = sorted(rules_root().glob("*/v*.yaml"))


def test_rules_files_are_shipped() -> None:
    assert {p.parent.name for p in SHIPPED} == {"inference", "training"}


@pytest.mark.parametrize("path", SHIPPED, ids=[f"{p.parent.name}/{p.name}" for p in SHIPPED])
def test_shipped_rules_file_matches_the_schema(path: Path) -> None:
    doc, _ = read_yaml(path, "rules file")
    assert schema_problem(doc) is None


def test_a_users_rules_file_is_checked_against_the_schema(tmp_path: Path) -> None:
    from checker.engine.rules import load_ruleset

    custom = tmp_path / "custom.yaml"
    custom.write_text("schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-custom\nextends: v0.5\n"
                      "rules:\n  - {id: inf.custom.x, severity: loud, kind: required_files}\n")
    (tmp_path / "v0.5.yaml").write_bytes((rules_root() / "inference" / "v0.5.yaml").read_bytes())
    with pytest.raises(RulesetError, match=r"does not match schemas/rules.schema.json at rules/0"):
        load_ruleset("inference", "custom", REGISTRY, InferenceRound, custom)


def test_a_round_the_users_file_extends_beside_it_is_checked_too(tmp_path: Path) -> None:
    from checker.engine.rules import load_ruleset

    custom = tmp_path / "custom.yaml"
    custom.write_text("schema: mlcheck-rules/1\nsuite: inference\nround: v0.5-custom\nextends: v0.5\nrules: []\n")
    broken = (rules_root() / "inference" / "v0.5.yaml").read_text().replace("schema: mlcheck-rules/1",
                                                                             "schema: mlcheck-rules/9", 1)
    (tmp_path / "v0.5.yaml").write_text(broken)
    with pytest.raises(RulesetError, match=r"v0.5.yaml does not match schemas/rules.schema.json at schema"):
        load_ruleset("inference", "v0.5-custom", REGISTRY, InferenceRound, custom)
