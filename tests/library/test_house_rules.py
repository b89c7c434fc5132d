"""House rules, switched-off categories and band thresholds: in code (hypecheck.load) and on the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

import hypecheck
from hypecheck import Detector, RuleConfigError
from hypecheck.cli import cli
from hypecheck.scoring import band_of

from .conftest import HOUSE_RULE_ID, HOUSE_TEXT_DE

WriteRules = Callable[..., Path]

GOOD_RULE = """\
    language: en
    category: teaser_upsell
    rules:
    - id: en.teaser_upsell.house_vault
      description: The text sells access to a members-only vault („{text}“) instead of substance.
      base_score: 0.9
      phrases: [members-only vault]
      examples:
        positive: [Unlock the members-only vault today.]
    """


# -- house rules in code --------------------------------------------------------------------
def test_a_house_rule_file_adds_findings(house_rules: Path, detector: Detector) -> None:
    det = hypecheck.load(extra_rules=[house_rules])
    a = det.score(HOUSE_TEXT_DE)
    found = [f for f in a.findings if f"rule:{HOUSE_RULE_ID}" in f.origin]
    assert found and found[0].text == "Geheimliste des Chefredakteurs"
    assert found[0].category == "insider_tip" and "Geheimliste des Chefredakteurs" in found[0].why
    assert "insider_tip" in a.categories
    assert not any(f"rule:{HOUSE_RULE_ID}" in f.origin for f in detector.score(HOUSE_TEXT_DE).findings)
    # token patterns work too, and the bundled rules still apply
    b = det.score("Unsere streng geheime Empfehlung: Jetzt kaufen!")
    assert {f"rule:{HOUSE_RULE_ID}"} <= {o for f in b.findings for o in f.origin}
    assert "call_to_action" in b.categories


def test_several_house_rule_files_in_both_languages(house_rules: Path, write_rules: WriteRules) -> None:
    en = write_rules(GOOD_RULE, "house_en.yml")
    det = hypecheck.load(extra_rules=[house_rules, en])
    found = [f for f in det.score("Unlock the members-only vault today.").findings
             if "rule:en.teaser_upsell.house_vault" in f.origin]
    assert found and found[0].text == "members-only vault"
    assert any(f"rule:{HOUSE_RULE_ID}" in f.origin for f in det.score(HOUSE_TEXT_DE).findings)


SHAPE_RULE = """\
    language: en
    category: track_record
    rules:
    - id: en.track_record.house_shape
      description: A four-digit gain with a shape test („{text}“).
      base_score: 0.9
      patterns:
      - [{SHAPE: dddd}, {IS_DIGIT: false, LOWER: {IN: ["%", percent]}}]
      examples:
        positive: [Our last pick made 1000 percent.]
    """


def test_house_rules_may_test_lexical_attributes_the_bundled_rules_do_not(write_rules: WriteRules,
                                                                          detector: Detector) -> None:
    # The pipeline computes only the lexical attributes some rule reads (SHAPE and IS_DIGIT are
    # not among the bundled rules'), so a house rule testing them gets a pipeline that has them.
    det = hypecheck.load(extra_rules=[write_rules(SHAPE_RULE, "house_shape.yml")])
    found = [f for f in det.score("Our last pick made 1000 percent, and the next one will do it again.").findings
             if "rule:en.track_record.house_shape" in f.origin]
    assert found and found[0].text == "1000 percent"
    assert all("house_shape" not in o for f in det.score("Our last pick made 10 percent.").findings for o in f.origin)
    # the bundled detector, scoring in the same process, is unchanged
    assert all("house_shape" not in o for f in detector.score("Our last pick made 1000 percent.").findings for o in f.origin)


def _error(paths: list[Path]) -> str:
    with pytest.raises(RuleConfigError) as info:
        hypecheck.load(extra_rules=paths)
    return str(info.value)


def test_bad_yaml_names_the_file(write_rules: WriteRules) -> None:
    path = write_rules("language: de\ncategory: puffery\nrules: [\n  - id: x\n")
    msg = _error([path])
    assert str(path) in msg and "invalid YAML" in msg and msg.endswith("[E010]")


def test_an_unknown_category_names_the_file_and_category(write_rules: WriteRules) -> None:
    path = write_rules(GOOD_RULE.replace("category: teaser_upsell", "category: hype"))
    msg = _error([path])
    assert str(path) in msg and "unknown category 'hype'" in msg


def test_a_duplicate_id_names_both_files_and_the_rule(write_rules: WriteRules) -> None:
    first = write_rules(GOOD_RULE, "first.yml")
    again = write_rules(GOOD_RULE, "second.yml")
    msg = _error([first, again])
    assert str(again) in msg and "rule en.teaser_upsell.house_vault" in msg and "duplicate id" in msg
    assert str(first) in msg


def test_a_duplicate_of_a_bundled_rule_id(write_rules: WriteRules) -> None:
    from hypecheck.rules import load_rules

    bundled_id = next(e.rule.id for e in load_rules("de").rules if e.category == "return_promise")
    path = write_rules(f"""\
        language: de
        category: return_promise
        rules:
        - id: {bundled_id}
          description: A copy of a bundled rule.
          base_score: 0.5
          phrases: [kursziel mond]
          examples:
            positive: [Kursziel Mond!]
        """)
    msg = _error([path])
    assert str(path) in msg and f"rule {bundled_id}" in msg and "duplicate id" in msg


def test_a_bad_spacy_pattern_fails_at_load_not_at_scoring(write_rules: WriteRules) -> None:
    path = write_rules("""\
        language: en
        category: puffery
        rules:
        - id: en.puffery.house_bad_pattern
          description: A rule whose token pattern spaCy rejects.
          base_score: 0.5
          patterns:
          - [{LOWERR: moon}]
          examples:
            positive: [moon]
        """)
    msg = _error([path])
    assert str(path) in msg and "rule en.puffery.house_bad_pattern" in msg
    assert "pattern" in msg and "LOWERR" in msg


def test_missing_examples_name_the_rule(write_rules: WriteRules) -> None:
    path = write_rules("""\
        language: de
        category: urgency
        rules:
        - id: de.urgency.house_no_examples
          description: A rule that shows no example of what it matches.
          base_score: 0.5
          phrases: [nur noch heute zeichnen]
        """)
    msg = _error([path])
    assert str(path) in msg and "rule de.urgency.house_no_examples" in msg and "positive example" in msg


@pytest.mark.parametrize("rule, expected", [
    ("- id: de.puffery.house_x\n  description: A score out of range.\n  base_score: 2.0\n"
     "  phrases: [x]\n  examples: {positive: [x]}\n", "base_score"),
    ("- id: de.urgency.house_x\n  description: Id of another category.\n  base_score: 0.5\n"
     "  phrases: [x]\n  examples: {positive: [x]}\n", "must start with 'de.puffery.'"),
    ("- id: de.puffery.house_x\n  description: No patterns at all in this rule.\n  base_score: 0.5\n"
     "  examples: {positive: [x]}\n", "needs at least one entry"),
    ("- id: de.puffery.house_x\n  description: An unknown key in this rule.\n  base_score: 0.5\n"
     "  phrases: [x]\n  examples: {positive: [x]}\n  colour: red\n", "colour"),
])
def test_other_schema_errors_name_file_and_rule(write_rules: WriteRules, rule: str, expected: str) -> None:
    path = write_rules("language: de\ncategory: puffery\nrules:\n" + rule)
    msg = _error([path])
    assert str(path) in msg and expected in msg


def test_a_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.yml"
    assert str(path) in _error([path])


# -- categories switched off and band thresholds, in code ---------------------------------
PITCH = "Bis Jahresende sind weitere 150 Prozent möglich! Jetzt kaufen, bevor es alle merken."


def test_disabled_categories_give_no_findings_and_no_evidence(detector: Detector) -> None:
    full = detector.score(PITCH)
    assert {"return_promise", "call_to_action"} <= set(full.categories)
    det = hypecheck.load(disabled=["return_promise", "call_to_action"])
    a = det.score(PITCH)
    assert not {"return_promise", "call_to_action"} & set(a.categories)
    assert not any(f.category in ("return_promise", "call_to_action") for f in a.findings)
    evidence = det.analyze(a.text or "", "de").evidence  # switched off before features: no effect on the risk
    assert not any(ev.category in ("return_promise", "call_to_action") for ev in evidence)


@pytest.mark.parametrize("bands", [(1, 2), (40, 60), (98, 99)])
def test_band_thresholds_in_code(detector: Detector, bands: tuple[int, int], texts: list[dict]) -> None:
    det = hypecheck.load(bands=bands)
    assert det.config.bands == bands
    for t in texts[:8]:
        a = det.score(t["text"])
        assert a.band == band_of(a.risk, bands)
        assert a.risk == detector.score(t["text"]).risk  # thresholds change the band, never the risk


def test_the_default_bands_come_from_the_model_card(detector: Detector) -> None:
    assert detector.model is not None
    card = detector.model.card["bands"]
    assert detector.config.bands == (card["elevated"], card["high"])


# -- the same on the command line ---------------------------------------------------------
@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(HOUSE_TEXT_DE + " " + PITCH, encoding="utf-8")
    return path


def _score_json(args: list[str]) -> dict:
    result = CliRunner().invoke(cli, ["score", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)
    return data


def test_cli_rules_disable_and_bands(article: Path, house_rules: Path) -> None:
    plain = _score_json([str(article)])
    assert not any(f"rule:{HOUSE_RULE_ID}" in f["origin"] for f in plain["findings"])

    house = _score_json(["--rules", str(house_rules), str(article)])
    assert any(f"rule:{HOUSE_RULE_ID}" in f["origin"] for f in house["findings"])

    off = _score_json(["--rules", str(house_rules), "--disable", "insider_tip", "--disable", "call_to_action",
                       str(article)])
    assert not {"insider_tip", "call_to_action"} & {f["category"] for f in off["findings"]}

    for bands, expect in (("1,2", "high"), ("99,100", "low" if plain["risk"] < 99 else "elevated")):
        assert _score_json(["--bands", bands, str(article)])["band"] == expect


def test_cli_reports_bad_house_rules_with_exit_2(article: Path, write_rules: WriteRules) -> None:
    bad = write_rules(GOOD_RULE.replace("category: teaser_upsell", "category: hype"))
    result = CliRunner().invoke(cli, ["score", "--rules", str(bad), str(article)])
    assert result.exit_code == 2
    assert "Error:" in result.output and str(bad) in result.output and "unknown category 'hype'" in result.output
    assert "Traceback" not in result.output


def test_cli_rejects_bad_bands(article: Path) -> None:
    result = CliRunner().invoke(cli, ["score", "--bands", "70,30", str(article)])
    assert result.exit_code == 2 and "Error:" in result.output
