"""Rule files are validated when loaded: errors are RuleConfigErrors naming the file and the rule id."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import hypecheck
from hypecheck import RuleConfigError
from hypecheck.rules import RuleMatcher, load_rules
from hypecheck.rules.loader import bundled_rule_files, parse_rule_file, rules_digest

GOOD_RULE = {
    "id": "de.puffery.house_rocket",
    "description": "A house-rule superlative („{text}“) replaces facts.",
    "base_score": 0.7,
    "phrases": ["mondrakete"],
    "examples": {"positive": ["Diese Aktie ist eine Mondrakete."], "negative": ["Die Aktie stieg leicht."]},
}
GOOD_FILE = {"language": "de", "category": "puffery", "rules": [GOOD_RULE]}


def _write(tmp_path: Path, data, name: str = "house.yml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _with_rule(**changes) -> dict:
    data = copy.deepcopy(GOOD_FILE)
    data["rules"][0].update(changes)
    return data


def _load_error(path: Path) -> RuleConfigError:
    with pytest.raises(RuleConfigError) as info:
        load_rules("de", [path])
    return info.value


# ---------------------------------------------------------------------------- valid files
def test_house_rule_file_loads_and_matches(tmp_path, nlp_de):
    path = _write(tmp_path, GOOD_FILE)
    ruleset = load_rules("de", [path])
    assert "de.puffery.house_rocket" in ruleset.by_id()
    assert str(path) in ruleset.sources
    doc = nlp_de("Diese Aktie ist eine Mondrakete.")
    evidence = RuleMatcher(nlp_de, ruleset)(doc)
    assert [(ev.rule_id, ev.text) for ev in evidence if ev.rule_id == "de.puffery.house_rocket"] == [
        ("de.puffery.house_rocket", "Mondrakete")
    ]


def test_house_rule_file_for_another_language_is_ignored(tmp_path):
    data = copy.deepcopy(GOOD_FILE)
    data["language"] = "en"
    data["rules"][0]["id"] = "en.puffery.house_rocket"
    path = _write(tmp_path, data)
    assert "en.puffery.house_rocket" not in load_rules("de", [path]).by_id()
    assert "en.puffery.house_rocket" in load_rules("en", [path]).by_id()


def test_disabled_category_drops_its_rules():
    ruleset = load_rules("de", disabled=["puffery"])
    assert ruleset.rules
    assert all(entry.category != "puffery" for entry in ruleset.rules)


def test_bundled_files_parse():
    for lang in ("de", "en"):
        files = bundled_rule_files(lang)
        assert files
        for path in files:
            parsed = parse_rule_file(path)
            assert parsed.language == lang
            assert path.stem == parsed.category


def test_rules_digest_is_stable_and_per_language():
    assert rules_digest() == rules_digest()
    assert len(rules_digest()) == 64
    assert rules_digest("de") != rules_digest("en")
    assert load_rules("de").digest == rules_digest()


def test_unknown_language_raises_e030():
    with pytest.raises(RuleConfigError) as info:
        load_rules("fr")
    assert info.value.code == "E030"
    assert "'fr'" in str(info.value)


# ---------------------------------------------------------------------------- broken files
def test_bad_yaml_names_the_file(tmp_path):
    path = _write(tmp_path, "language: de\ncategory: puffery\nrules:\n  - id: [unclosed\n")
    err = _load_error(path)
    assert err.code == "E010"
    assert str(path) in str(err)
    assert "invalid YAML" in str(err)


def test_unknown_category_names_the_file_and_category(tmp_path):
    data = copy.deepcopy(GOOD_FILE)
    data["category"] = "moonshot"
    path = _write(tmp_path, data)
    err = _load_error(path)
    assert str(path) in str(err)
    assert "unknown category 'moonshot'" in str(err)


def test_rule_id_must_match_the_file_category(tmp_path):
    path = _write(tmp_path, _with_rule(id="de.urgency.house_rocket"))
    err = _load_error(path)
    assert str(path) in str(err)
    assert "de.urgency.house_rocket" in str(err)


def test_duplicate_id_within_one_file(tmp_path):
    data = copy.deepcopy(GOOD_FILE)
    data["rules"].append(copy.deepcopy(GOOD_RULE))
    path = _write(tmp_path, data)
    err = _load_error(path)
    assert err.code == "E011"
    assert str(path) in str(err)
    assert "rule de.puffery.house_rocket" in str(err)
    assert "duplicate id" in str(err)


def test_duplicate_of_a_bundled_id_names_both_files(tmp_path):
    bundled = load_rules("de").rules[0]
    data = _with_rule(id=bundled.rule.id)
    data["category"] = bundled.category
    path = _write(tmp_path, data)
    err = _load_error(path)
    assert err.code == "E011"
    assert str(path) in str(err)
    assert f"rule {bundled.rule.id}" in str(err)
    assert bundled.path in str(err)


@pytest.mark.parametrize(
    "patterns",
    [
        [[{"FOO": "bar"}]],  # unknown token attribute
        [[{"LOWER": "kauf", "OP": "x"}]],  # unknown operator
        [[{"LOWER": {"IN": "kaufen"}}]],  # IN needs a list
        [[]],  # a pattern of zero tokens
        [[{"LOWER": {"REGEX": "(unclosed"}}]],  # a regex that does not compile
    ],
    ids=["attribute", "operator", "in-not-list", "empty", "bad-regex"],
)
def test_invalid_matcher_pattern_fails_at_load_time(tmp_path, patterns):
    path = _write(tmp_path, _with_rule(patterns=patterns))
    err = _load_error(path)
    assert err.code == "E011"
    assert str(path) in str(err)
    assert "rule de.puffery.house_rocket" in str(err)


def test_invalid_matcher_pattern_fails_when_the_detector_is_built(tmp_path):
    path = _write(tmp_path, _with_rule(patterns=[[{"LOWER": {"REGEX": "[bad"}}]]))
    with pytest.raises(RuleConfigError) as info:
        hypecheck.Detector(model=False, extra_rules=[path])
    assert str(path) in str(info.value)
    assert "de.puffery.house_rocket" in str(info.value)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"examples": {"positive": [], "negative": ["Die Aktie stieg leicht."]}}, "positive example"),
        ({"examples": None}, "examples"),
        ({"base_score": 1.5}, "base_score"),
        ({"phrases": []}, "patterns"),
        ({"description": "short"}, "description"),
        ({"colour": "red"}, "colour"),
        ({"demoted_by": ["gossip"]}, "demoted_by"),
    ],
    ids=["no-positive-examples", "examples-null", "score-above-1", "no-patterns", "short-description",
         "unknown-key", "unknown-context-kind"],
)
def test_invalid_rule_fields_name_file_and_rule(tmp_path, change, fragment):
    path = _write(tmp_path, _with_rule(**change))
    err = _load_error(path)
    assert err.code == "E011"
    assert str(path) in str(err)
    assert "rule de.puffery.house_rocket" in str(err)
    assert fragment in str(err)


def test_missing_examples_key_names_file_and_rule(tmp_path):
    data = copy.deepcopy(GOOD_FILE)
    del data["rules"][0]["examples"]
    path = _write(tmp_path, data)
    err = _load_error(path)
    assert err.code == "E011"
    assert str(path) in str(err)
    assert "rule de.puffery.house_rocket" in str(err)


def test_rule_without_id_is_named_by_position(tmp_path):
    data = copy.deepcopy(GOOD_FILE)
    del data["rules"][0]["id"]
    path = _write(tmp_path, data)
    err = _load_error(path)
    assert str(path) in str(err)
    assert "#0" in str(err)


@pytest.mark.parametrize("content", ["", "- just\n- a list\n", "language: de\n"], ids=["empty", "list", "no-rules"])
def test_malformed_top_level_names_the_file(tmp_path, content):
    path = _write(tmp_path, content)
    err = _load_error(path)
    assert err.code == "E010"
    assert str(path) in str(err)


def test_missing_house_file_names_the_file(tmp_path):
    path = tmp_path / "missing.yml"
    err = _load_error(path)
    assert str(path) in str(err)


def test_error_message_carries_its_code():
    err = RuleConfigError("x.yml: rule de.a.b: broken", code="E011")
    assert str(err) == "x.yml: rule de.a.b: broken [E011]"
    assert isinstance(err, hypecheck.HypecheckError)
