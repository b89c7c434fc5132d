"""Layer 6, scoring: bands, findings (offsets, confidence, model-only findings) and the Assessment."""

from __future__ import annotations

import json

import pytest

import hypecheck
from hypecheck import Assessment, Finding
from hypecheck.features import sentences
from hypecheck.scoring import DEFAULT_BANDS, ScoringConfig, assess, assessment_id, band_of, make_findings
from hypecheck.types import REGULATORY_HOOKS, SCHEMA, Adjustment, Evidence

TEXT = "Die Aktie stieg um 3 Prozent. Bis Jahresende sind weitere 150 Prozent möglich. Jetzt kaufen!"
PHRASE = "weitere 150 Prozent möglich"


def _ev(phrase, category, score, text=TEXT, adjustments=()):
    start = text.index(phrase)
    return Evidence(start, start + len(phrase), phrase, category, f"de.{category}.test", score,
                    f"because of {phrase}", adjustments)


@pytest.fixture(scope="module")
def sents(nlp_de):
    return sentences(nlp_de(TEXT))


# ---------------------------------------------------------------------------- bands
@pytest.mark.parametrize(
    ("risk", "band"),
    [(0, "low"), (29, "low"), (30, "elevated"), (69, "elevated"), (70, "high"), (100, "high")],
)
def test_default_bands(risk, band):
    assert DEFAULT_BANDS == (30, 70)
    assert band_of(risk) == band


@pytest.mark.parametrize(("risk", "band"), [(34, "low"), (35, "elevated"), (54, "elevated"), (55, "high")])
def test_configured_bands(risk, band):
    assert band_of(risk, (35, 55)) == band


# ---------------------------------------------------------------------------- findings
def test_rule_findings_keep_offsets_and_reason(sents):
    evidence = [_ev(PHRASE, "return_promise", 0.9), _ev("Jetzt kaufen", "call_to_action", 0.8)]
    findings = make_findings(TEXT, evidence, sents, None, ScoringConfig())
    assert [(f.category, f.text) for f in findings] == [("return_promise", PHRASE), ("call_to_action", "Jetzt kaufen")]
    for f in findings:
        assert TEXT[f.start : f.end] == f.text
        assert f.regulation == REGULATORY_HOOKS[f.category]
        assert f.origin == (f"rule:de.{f.category}.test",)
    assert findings[0].confidence == 0.9  # without a model the rule's score stands


def test_findings_below_min_confidence_are_dropped(sents):
    evidence = [_ev(PHRASE, "return_promise", 0.3)]
    assert make_findings(TEXT, evidence, sents, None, ScoringConfig()) == []
    assert len(make_findings(TEXT, evidence, sents, None, ScoringConfig(min_confidence=0.2))) == 1


def test_disabled_categories_are_dropped(sents):
    evidence = [_ev(PHRASE, "return_promise", 0.9), _ev("Jetzt kaufen", "call_to_action", 0.8)]
    config = ScoringConfig(disabled=frozenset({"call_to_action"}))
    assert [f.category for f in make_findings(TEXT, evidence, sents, None, config)] == ["return_promise"]


def test_model_agreement_weighs_rule_evidence(sents):
    evidence = [_ev(PHRASE, "return_promise", 0.9)]
    agree = [{"any": 0.0}, {"any": 0.9, "return_promise": 1.0}, {"any": 0.0}]
    disagree = [{"any": 0.0}, {"any": 0.0, "return_promise": 0.0}, {"any": 0.0}]
    strong = make_findings(TEXT, evidence, sents, agree, ScoringConfig())[0]
    assert strong.confidence == pytest.approx(0.9)
    assert strong.origin == ("rule:de.return_promise.test", "model")
    config = ScoringConfig(min_confidence=0.0)
    weak = make_findings(TEXT, evidence, sents, disagree, config)[0]
    assert weak.confidence == pytest.approx(0.9 * (1 - config.model_weight))
    assert weak.confidence < strong.confidence
    assert weak.origin == ("rule:de.return_promise.test",)


def test_model_only_finding_covers_the_sentence(sents):
    probs = [{"any": 0.1}, {"any": 0.1}, {"any": 0.95, "urgency": 0.9}]
    assert make_findings(TEXT, [], sents, probs, ScoringConfig()) == []  # two words: too short for the model alone
    findings = make_findings(TEXT, [], sents, probs, ScoringConfig(model_only_min_words=2))
    assert len(findings) == 1
    f = findings[0]
    assert (f.category, f.text, f.origin) == ("urgency", "Jetzt kaufen!", ("model",))
    assert TEXT[f.start : f.end] == f.text
    assert f.confidence == pytest.approx(0.81)
    assert "no rule matched" in f.why


def test_model_does_not_overrule_context(sents):
    lowered = _ev(PHRASE, "return_promise", 0.2, adjustments=(Adjustment("criticism", "Vorsicht", 0.9, 0.2),))
    probs = [{"any": 0.0}, {"any": 0.9, "return_promise": 0.95}, {"any": 0.0}]
    assert make_findings(TEXT, [lowered], sents, probs, ScoringConfig()) == []


def test_findings_are_sorted_by_offset(sents):
    evidence = [_ev("Jetzt kaufen", "call_to_action", 0.8), _ev(PHRASE, "return_promise", 0.9),
                _ev("Die Aktie", "puffery", 0.5)]
    findings = make_findings(TEXT, evidence, sents, None, ScoringConfig())
    assert [f.start for f in findings] == sorted(f.start for f in findings)


# ---------------------------------------------------------------------------- assessment
def _assess(probability, findings=(), **kw):
    args = dict(text=TEXT, title=None, source="a.txt", doc_id=None, language="de", probability=probability,
                findings=list(findings), signals={"microcap": False}, warnings=[], model_info={"name": "m"},
                config=ScoringConfig())
    args.update(kw)
    return assess(**args)


@pytest.mark.parametrize(
    ("probability", "risk", "band"),
    [(0.0, 0, "low"), (0.294, 29, "low"), (0.296, 30, "elevated"), (0.7, 70, "high"), (1.0, 100, "high"),
     (-0.5, 0, "low"), (1.7, 100, "high")],
)
def test_risk_and_band_from_probability(probability, risk, band):
    a = _assess(probability)
    assert (a.risk, a.band) == (risk, band)
    assert 0.0 <= a.probability <= 1.0


def test_categories_take_the_strongest_finding():
    f1 = Finding(0, 3, "Die", "puffery", 0.5, ("rule:x",), "why")
    f2 = Finding(4, 9, "Aktie", "puffery", 0.8, ("rule:x",), "why")
    f3 = Finding(10, 15, "stieg", "urgency", 0.9, ("rule:x",), "why")
    a = _assess(0.5, [f1, f2, f3])
    assert a.categories == {"urgency": 0.9, "puffery": 0.8}
    assert list(a.categories) == ["urgency", "puffery"]  # strongest first


def test_assessment_id_is_deterministic_and_overridable():
    assert _assess(0.5).id == assessment_id("a.txt", TEXT) == _assess(0.5).id
    assert _assess(0.5, source="b.txt").id != _assess(0.5).id
    assert _assess(0.5, doc_id="item-7").id == "item-7"


def test_to_dict_schema_and_text():
    a = _assess(0.87654321, [Finding(0, 3, "Die", "puffery", 0.123456, ("rule:x", "model"), "why", "hook",
                                     (Adjustment("boost", "jetzt", 0.5, 0.575),))])
    d = a.to_dict()
    assert d["schema"] == SCHEMA
    assert list(d) == ["schema", "id", "source", "title", "language", "risk", "probability", "band", "categories",
                       "findings", "signals", "warnings", "model"]
    assert d["probability"] == 0.8765
    assert d["findings"][0] == {"start": 0, "end": 3, "text": "Die", "category": "puffery", "confidence": 0.123,
                                "origin": ["rule:x", "model"], "why": "why", "regulation": "hook",
                                "context": [{"kind": "boost", "cue": "jetzt", "before": 0.5, "after": 0.575}]}
    assert "text" not in d
    assert a.to_dict(include_text=True)["text"] == TEXT
    assert json.loads(json.dumps(d)) == d


def test_assessment_is_frozen():
    a = _assess(0.5)
    with pytest.raises(AttributeError):
        a.risk = 3  # type: ignore[misc]
    assert isinstance(a, Assessment)


# ---------------------------------------------------------------------------- end to end offsets
@pytest.mark.parametrize(
    ("text", "kwargs"),
    [
        ("Bis Jahresende sind weitere 150 Prozent möglich. Jetzt kaufen!", {}),
        ("  Jetzt   kaufen!\r\n\r\n\r\nWeitere 150&nbsp;Prozent sind drin.  ", {}),
        ("Die Aktie stieg. Bis Jahresende sind weitere 150 Prozent möglich.", {"title": "Kursrakete!"}),
        ("<html><body><p>Act now!</p><script>x()</script><p>This stock could soar 500%.</p></body></html>",
         {"html": True}),
    ],
    ids=["plain", "messy-whitespace", "with-title", "html"],
)
def test_detector_offsets_point_into_the_normalised_text(text, kwargs):
    det = hypecheck.Detector(model=False)
    a = det.score(text, **kwargs)
    assert a.findings, "expected at least one finding"
    assert a.text is not None
    for f in a.findings:
        assert 0 <= f.start < f.end <= len(a.text)
        assert a.text[f.start : f.end] == f.text


def test_detector_bands_override():
    text = "Bis Jahresende sind weitere 150 Prozent möglich. Jetzt kaufen!"
    strict = hypecheck.Detector(model=False, bands=(5, 10)).score(text)
    lenient = hypecheck.Detector(model=False, bands=(99, 100)).score(text)
    assert strict.risk == lenient.risk
    assert (strict.band, lenient.band) == ("high", "low")


def test_detector_rejects_unknown_disabled_category():
    with pytest.raises(hypecheck.InputError) as info:
        hypecheck.Detector(model=False, disabled=["gossip"])
    assert info.value.code == "E031"


def test_sentence_probs_as_columns_score_like_dicts(nlp_de):
    """model.SentenceProbs (what the batched model returns) gives the same document features and
    findings as the plain list of {label: probability} dicts."""
    import numpy as np

    from hypecheck import features as F
    from hypecheck.model import SentenceProbs
    from hypecheck.nlp import parse_table
    from hypecheck.scoring import ScoringConfig, make_findings
    from hypecheck.types import CATEGORIES, Evidence

    text = ("Die Aktie stieg um 3 Prozent. Jetzt kaufen, bevor es zu spät ist, sagt unser Börsenbrief! "
            "Bis Jahresende sind weitere 150 Prozent möglich. Kurz.")
    table = parse_table(nlp_de, text)
    sents = F.sentences(table.doc, table)
    labels = ("any", *CATEGORIES[:4])
    rng = np.random.default_rng(7)
    for _ in range(20):
        values = rng.uniform(0, 1, size=(len(sents), len(labels)))
        columns = SentenceProbs(labels, values)
        dicts = [dict(zip(labels, row)) for row in values.tolist()]
        assert list(columns) == dicts and columns[1:] == dicts[1:]
        evidence = [Evidence(30, 41, text[30:41], "call_to_action", "de.call_to_action.x", 0.8, "why")]
        assert F.document_features(evidence, {}, columns) == F.document_features(evidence, {}, dicts)
        config = ScoringConfig()
        assert make_findings(text, evidence, sents, columns, config) == make_findings(text, evidence, sents, dicts, config)
