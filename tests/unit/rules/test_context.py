"""Layer 3, context: attribution, criticism and reported-fact cues lower evidence; boosts raise it; each change is recorded."""

from __future__ import annotations

import pytest

from hypecheck.rules import RuleMatcher, load_rules
from hypecheck.rules.context import ContextAdjuster


@pytest.fixture(scope="module")
def run(blank_nlp):
    """``run(lang, text)`` -> context-adjusted candidate evidence."""
    engines = {}

    def _run(lang: str, text: str):
        if lang not in engines:
            nlp, ruleset = blank_nlp(lang), load_rules(lang)
            engines[lang] = (nlp, RuleMatcher(nlp, ruleset), ContextAdjuster(nlp, ruleset))
        nlp, matcher, context = engines[lang]
        doc = nlp(text)
        return context(doc, matcher.candidates(doc))

    return _run


def _one(evidence, rule_id, text=None):
    found = [ev for ev in evidence if ev.rule_id == rule_id and (text is None or ev.text == text)]
    assert found, f"no evidence from {rule_id} ({text!r}) in {[(e.rule_id, e.text) for e in evidence]}"
    return found[0]


def _kinds(ev):
    return [a.kind for a in ev.adjustments]


BASE = {rid: entry.rule.base_score for lang in ("de", "en") for rid, entry in load_rules(lang).by_id().items()}


# ---------------------------------------------------------------------------- attribution
@pytest.mark.parametrize(
    ("lang", "bare", "attributed", "rule_id"),
    [
        ("de", "Kursziel 95 Euro.", "Analysten von Berenberg sehen das Kursziel bei 95 Euro.", "de.return_promise.bare_target"),
        ("de", "Kursziel 200 Dollar.", "Die Analysten von Jefferies sehen das Kursziel bei 200 Dollar.", "de.return_promise.bare_target"),
        ("en", "Price target $50.", "Analysts at Jefferies set a price target of $50.", "en.return_promise.bare_target"),
    ],
)
def test_attribution_lowers_a_bare_target(run, lang, bare, attributed, rule_id):
    plain = _one(run(lang, bare), rule_id)
    assert plain.score == pytest.approx(BASE[rule_id])
    assert plain.adjustments == ()

    lowered = _one(run(lang, attributed), rule_id)
    assert "attribution" in _kinds(lowered)
    assert lowered.score < BASE[rule_id]
    adj = lowered.adjustments[0]
    assert adj.kind == "attribution"
    assert adj.before == pytest.approx(BASE[rule_id])
    assert adj.after == pytest.approx(lowered.score)
    assert adj.cue.lower() in attributed.lower()


def test_attribution_does_not_lower_rules_it_does_not_demote(run):
    # de.return_promise.multiple is demoted by criticism only: naming an analyst does not make a tenbagger sober
    ev = _one(run("de", "Laut Berenberg ist eine Verdreifachung drin."), "de.return_promise.multiple")
    assert "attribution" not in _kinds(ev)
    assert ev.score >= BASE["de.return_promise.multiple"]


# ---------------------------------------------------------------------------- criticism
@pytest.mark.parametrize(
    ("lang", "hype", "criticised", "rule_id"),
    [
        ("de", "300 Prozent sind drin.", "Vorsicht bei Versprechen wie „300 Prozent sind drin“.", "de.return_promise.pct_possible"),
        ("de", "300 Prozent sind drin.", "Die BaFin warnt vor Lockangeboten. „300 Prozent sind drin“, heißt es dort.",
         "de.return_promise.pct_possible"),
        ("en", "The stock could soar 500%.", "Beware of promises like 'this stock could soar 500%', the SEC warns.",
         "en.return_promise.could_soar"),
    ],
    ids=["de-same-sentence", "de-previous-sentence", "en-same-sentence"],
)
def test_criticism_lowers_quoted_hype(run, lang, hype, criticised, rule_id):
    assert _one(run(lang, hype), rule_id).score >= BASE[rule_id]
    ev = _one(run(lang, criticised), rule_id)
    assert "criticism" in _kinds(ev)
    assert ev.score < 0.5 * BASE[rule_id]


def test_criticism_in_a_later_sentence_does_not_reach_back(run):
    ev = _one(run("de", "300 Prozent sind drin. Vorsicht ist trotzdem geboten."), "de.return_promise.pct_possible")
    assert "criticism" not in _kinds(ev)


# ---------------------------------------------------------------------------- reported facts
def test_reported_fact_in_the_same_clause_lowers_a_percent_promise(run):
    ev = _one(run("de", "Die Aktie legte weitere 20 Prozent zu."), "de.return_promise.more_pct")
    assert _kinds(ev) == ["reported_fact"]
    assert ev.adjustments[0].cue == "legte"
    assert ev.score < BASE["de.return_promise.more_pct"]


def test_reported_fact_in_another_clause_does_not_lower_a_percent_promise(run):
    text = "Seit Veröffentlichung legten die Papiere bereits um 15 Prozent zu, bis Jahresende sind weitere 150 Prozent möglich."
    evidence = run("de", text)
    ev = _one(evidence, "de.return_promise.pct_possible", "weitere 150 Prozent möglich")
    assert "reported_fact" not in _kinds(ev)
    assert ev.score >= BASE["de.return_promise.pct_possible"]
    assert _one(evidence, "de.return_promise.more_pct").score >= BASE["de.return_promise.more_pct"]


def test_reported_past_move_is_no_promise(run):
    evidence = run("de", "Die Aktie stieg seit Jahresbeginn um 150 Prozent.")
    assert not [ev for ev in evidence if ev.category == "return_promise" and ev.score >= 0.5]
    evidence = run("en", "The stock rose 500% last year.")
    assert not [ev for ev in evidence if ev.category == "return_promise" and ev.score >= 0.5]


# ---------------------------------------------------------------------------- boosts and bookkeeping
def test_boost_raises_but_caps_at_one(run):
    ev = _one(run("de", "Jetzt kaufen, garantiert 300 Prozent sind drin!"), "de.return_promise.pct_possible")
    assert "boost" in _kinds(ev)
    assert BASE["de.return_promise.pct_possible"] < ev.score <= 1.0


def test_no_cues_leaves_evidence_untouched(run):
    for ev in run("de", "Bis Jahresende sind weitere 150 Prozent möglich."):
        assert ev.adjustments == ()
        assert ev.score == BASE[ev.rule_id]


def test_adjustments_chain_before_and_after(run):
    for text in ("Vorsicht: Analysten von Berenberg sehen das Kursziel bei 95 Euro, garantiert.",
                 "Die Aktie stieg um 38 Prozent. Analysten von Berenberg sehen das Kursziel bei 95 Euro."):
        for ev in run("de", text):
            score = BASE[ev.rule_id]
            for adj in ev.adjustments:
                assert adj.before == pytest.approx(score)
                score = adj.after
            assert ev.score == pytest.approx(score)
            assert 0.0 <= ev.score <= 1.0


def test_empty_evidence_passes_through(run, nlp_de):
    ruleset = load_rules("de")
    adjuster = ContextAdjuster(nlp_de, ruleset)
    assert adjuster(nlp_de("Vorsicht, sagte die BaFin."), []) == []
