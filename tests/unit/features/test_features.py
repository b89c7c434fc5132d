"""Layer 4, features: terms, sentences, and the named sentence/document feature dicts."""

from __future__ import annotations

import math

import pytest

from hypecheck import features as F
from hypecheck.types import CATEGORIES, Evidence


def ev(start, end, category="return_promise", score=0.9, text="x", rule_id="de.return_promise.test"):
    return Evidence(start, end, text, category, rule_id, score, "why")


# ---------------------------------------------------------------------------- terms
@pytest.mark.parametrize(
    ("text", "expected_unigrams"),
    [
        ("Weitere 150 Prozent!", ["weitere", "<num>", "prozent", "!"]),
        ("Kurs +40 %, dann 3,5 Mio. €", ["kurs", "<num>", "%", "dann", "<num>", "mio.", "€"]),
        ("Ist das (wirklich) so?", ["ist", "das", "wirklich", "so", "?"]),
        ("1.000 Euro, -5 %", ["<num>", "euro", "<num>", "%"]),
    ],
)
def test_terms_unigrams(nlp_de, text, expected_unigrams):
    out = F.terms(nlp_de(text))
    n = len(expected_unigrams)
    assert out[:n] == expected_unigrams
    assert out[n:] == [f"{a} {b}" for a, b in zip(expected_unigrams, expected_unigrams[1:])]


def test_terms_skip_whitespace_and_lowercase(nlp_en):
    out = F.terms(nlp_en("BUY   NOW\n\nbefore it's too late"))
    assert "buy" in out and "buy now" in out
    assert all(t == t.lower() for t in out)
    assert all(t.strip() == t and t for t in out)


def test_array_terms_equal_token_terms_on_the_corpus():
    """The array paths (token_words, sentence_term_keys) give what ``terms`` gives token by token."""
    from collections import Counter
    from pathlib import Path

    from hypecheck.nlp import TokenTable, make_nlp, parse
    from hypecheck.train import load_corpus

    records = sorted(load_corpus(Path(__file__).resolve().parents[3] / "corpora"), key=lambda r: r["id"])[::25]
    odd = "Kurs +40 %, dann 3,5 Mio. € -- 1.000 Euro!! ²a ٣x -²b 7er +5er ²3 Stück, +٣ und -x, İ5 +, - 7 $ ?! \U0001F680 +\u0663"
    texts = [(r["lang"], r["text"]) for r in records] + [("de", odd), ("en", odd)]
    for lang, text in texts + texts[:5]:
        doc = parse(make_nlp(lang), text)
        table = TokenTable(doc, text)
        sents = F.sentences(doc, table)
        words = F.token_words(doc, table)
        rows, keys = F.sentence_term_keys(table, sents)
        for i, sent in enumerate(sents):
            expected = F.terms(sent.span)
            assert F.terms_of(words[sent.span.start : sent.span.end]) == expected, text[:80]
            assert Counter(keys[rows == i].tolist()) == Counter(F.term_keys(expected).tolist()), text[:80]


def test_terms_of_empty_doc(nlp_de):
    assert F.terms(nlp_de("")) == []


# ---------------------------------------------------------------------------- sentences
def test_sentences_offsets_and_line_breaks(nlp_de):
    text = "Die Aktie stieg. Der Umsatz auch.\nJetzt kaufen!\n\n  Ende"
    doc = nlp_de(text)
    sents = F.sentences(doc)
    assert [text[s.start : s.end] for s in sents] == ["Die Aktie stieg.", "Der Umsatz auch.", "Jetzt kaufen!", "Ende"]
    assert [s.number for s in sents] == list(range(len(sents)))


def test_sentences_skip_blank_ones(nlp_de):
    assert F.sentences(nlp_de("\n\n   \n")) == []


# ---------------------------------------------------------------------------- sentence features
def test_sentence_features(nlp_de):
    text = "Die Aktie stieg. Bis Jahresende sind weitere 150 Prozent möglich!"
    sents = F.sentences(nlp_de(text))
    start = text.index("weitere")
    evidence = [
        ev(start, start + 27, score=0.9),
        ev(start, start + 19, score=0.75),
        ev(text.index("Bis"), text.index("Bis") + 3, category="urgency", score=0.5),
    ]
    first = F.sentence_features(sents[0], len(sents), evidence)
    second = F.sentence_features(sents[1], len(sents), evidence)

    assert not any(k.startswith("rule:") for k in first)
    assert first["pos:first"] == 1.0 and first["pos:last"] == 0.0
    assert first["pct"] == 0.0 and first["excl"] == 0.0

    assert second["rule:return_promise"] == 0.9  # the strongest piece of evidence per category
    assert second["rule:urgency"] == 0.5
    assert second["rule:any"] == 0.9
    assert second["rule:n"] == pytest.approx(math.log1p(3))
    assert second["pos:first"] == 0.0 and second["pos:last"] == 1.0
    assert second["pct"] == 1.0 and second["excl"] == 1.0
    assert 0 < second["len"] < 1
    assert all(isinstance(v, float) for v in second.values())


def test_sentence_tail_position(nlp_de):
    text = " ".join(f"Satz {i} endet." for i in range(6))
    sents = F.sentences(nlp_de(text))
    tails = [F.sentence_features(s, len(sents), [])["pos:tail"] for s in sents]
    assert tails == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


# ---------------------------------------------------------------------------- document features
SIGNALS = {"microcap": True, "risk_warning": False, "named_author": True, "crypto": False, "attributed_sources": 2,
           "criticism_cues": 0, "subscription_cues": 1, "second_person_share": 0.05, "exclamation_density": 2.5,
           "words": 300}


def test_document_features_aggregate_evidence_and_signals():
    evidence = [ev(0, 5, score=0.9), ev(10, 15, score=0.6), ev(20, 25, "urgency", 0.3)]
    probs = [{"any": 0.2, "return_promise": 0.1}, {"any": 0.9, "return_promise": 0.8}, {"any": 0.6, "urgency": 0.7}]
    feats = F.document_features(evidence, SIGNALS, probs)
    assert feats["rule:return_promise"] == 0.9
    assert feats["rule:return_promise:n"] == pytest.approx(math.log1p(2))
    assert feats["rule:urgency"] == 0.3
    assert feats["rule:categories"] == pytest.approx(1 / 3)  # only return_promise is >= 0.5
    assert feats["rule:max"] == 0.9
    assert feats["sent:max"] == 0.9
    assert feats["sent:top2"] == pytest.approx(0.75)
    assert feats["sent:share"] == pytest.approx(2 / 3)
    assert feats["sent:return_promise"] == 0.8
    assert feats["sent:urgency"] == 0.7
    assert feats["sent:guarantee"] == 0.0
    assert feats["sig:microcap"] == 1.0 and feats["sig:risk_warning"] == 0.0
    assert feats["sig:named_author"] == 1.0
    assert feats["sig:attributed"] == pytest.approx(math.log1p(2))
    assert feats["sig:second_person"] == pytest.approx(0.5)
    assert feats["sig:exclamation"] == 1.0  # capped
    assert feats["sig:words"] == pytest.approx(math.log1p(300) / 7)


def test_document_features_without_evidence_or_sentences():
    feats = F.document_features([], {}, [])
    assert "rule:max" not in feats and "sent:max" not in feats
    assert feats["rule:categories"] == 0.0
    assert all(k.startswith(("rule:", "sig:")) for k in feats)
    assert all(math.isfinite(v) for v in feats.values())


def test_document_features_names_cover_every_category():
    feats = F.document_features([], {}, [{"any": 0.1}])
    for cat in CATEGORIES:
        assert f"sent:{cat}" in feats
