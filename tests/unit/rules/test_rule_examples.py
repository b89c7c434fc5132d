"""Every rule's own examples, run automatically: a rule cannot ship without passing them.

Positive examples must yield evidence from that very rule with a score of at
least its base score after context adjustment; negative examples must not.
"""

from __future__ import annotations

import pytest

from hypecheck.nlp import make_nlp
from hypecheck.rules import RuleMatcher, load_rules
from hypecheck.rules.context import ContextAdjuster
from hypecheck.types import CATEGORIES

LANGS = ("de", "en")


def _cases():
    cases = []
    for lang in LANGS:
        for entry in load_rules(lang).rules:
            rule = entry.rule
            for i, text in enumerate(rule.examples.positive):
                cases.append(pytest.param(lang, rule.id, rule.base_score, text, True, id=f"{rule.id}-pos{i}"))
            for i, text in enumerate(rule.examples.negative):
                cases.append(pytest.param(lang, rule.id, rule.base_score, text, False, id=f"{rule.id}-neg{i}"))
    return cases


@pytest.fixture(scope="module")
def engines():
    """Matcher and context adjuster per language, built once."""
    out = {}
    for lang in LANGS:
        ruleset, nlp = load_rules(lang), make_nlp(lang)
        out[lang] = (nlp, RuleMatcher(nlp, ruleset), ContextAdjuster(nlp, ruleset))
    return out


@pytest.mark.parametrize(("lang", "rule_id", "base_score", "text", "positive"), _cases())
def test_rule_example(engines, lang, rule_id, base_score, text, positive):
    nlp, matcher, context = engines[lang]
    doc = nlp(text)
    evidence = context(doc, matcher.candidates(doc))
    hits = [ev for ev in evidence if ev.rule_id == rule_id and ev.score >= base_score]
    seen = [(ev.rule_id, round(ev.score, 3), [(a.kind, a.cue) for a in ev.adjustments]) for ev in evidence]
    if positive:
        assert hits, f"{rule_id} does not fire on its positive example {text!r}; evidence: {seen}"
        for ev in hits:  # evidence offsets point at the text they quote
            assert doc.text[ev.start : ev.end] == ev.text
    else:
        assert not hits, f"{rule_id} fires on its negative example {text!r}; evidence: {seen}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_rule_has_a_positive_example(lang):
    missing = [e.rule.id for e in load_rules(lang).rules if not e.rule.examples.positive]
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_category_has_rules(lang):
    covered = {e.category for e in load_rules(lang).rules}
    assert covered == set(CATEGORIES)


def test_example_cases_were_collected():
    # guards against the parametrisation silently collecting nothing
    assert len(_cases()) >= 2 * len(CATEGORIES)
