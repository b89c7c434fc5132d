"""Layer 5, model: the exported numpy scorer reproduces the scikit-learn pipelines it came from.

A tiny synthetic corpus (both languages, both labels, every category, six
writing batches) is written into a temporary folder, small pipelines are fitted
on it with ``hypecheck.train.fitted_pipelines_for_tests``, exported to plain
arrays, and scored again with numpy alone. Probabilities must agree to 1e-9,
on the training rows and on texts the pipelines never saw.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sklearn")

from hypecheck import Detector  # noqa: E402
from hypecheck.features import document_features  # noqa: E402
from hypecheck.model import FORMAT, Model, load_model, sigmoid  # noqa: E402
from hypecheck.types import CATEGORIES  # noqa: E402

TOL = 1e-9
BATCHES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
COMPANIES = ("Nordwerk", "Solaris", "Berghaus", "Kranich", "Lindenau", "Mertens")

# (category, German phrase, English phrase): every category occurs, so no sentence label is constant
PITCHES = [
    ("return_promise", "Bis Jahresende sind weitere 150 Prozent möglich.", "This stock could soar 500% by next year."),
    ("guarantee", "Das ist praktisch risikolos.", "These are guaranteed gains."),
    ("teaser_upsell", "Fordern Sie jetzt den kostenlosen Report an.", "Get the ticker in our free report."),
    ("insider_tip", "Ein echter Geheimtipp, noch unter dem Radar.", "This insider tip is still under the radar."),
    ("piggyback", "Das ist das nächste Nvidia.", "This could be the next Amazon."),
    ("puffery", "Eine echte Kursrakete und eine Jahrhundertchance.", "A true game-changer and a once-in-a-lifetime chance."),
    ("urgency", "Jetzt noch einsteigen, bevor es alle merken.", "Act now before it's too late."),
    ("call_to_action", "Jetzt kaufen!", "Buy now and load up!"),
    ("track_record", "Unser letzter Tipp legte 400 Prozent zu.", "Our last pick returned 400%."),
    ("paid_promotion", "Anzeige: bezahlte Werbung.", "Paid advertisement: we were compensated."),
]

NEWS_DE = [
    "Die Aktie von {c} stieg am Montag um {n} Prozent.",
    "Der Umsatz wuchs im dritten Quartal auf {m} Millionen Euro, teilte das Unternehmen mit.",
    "Analysten von Berenberg sehen das Kursziel bei {k} Euro.",
    "Der Vorstand bestätigte die Prognose für das laufende Jahr.",
]
NEWS_EN = [
    "Shares of {c} rose {n} percent on Monday.",
    "Revenue grew to {m} million dollars in the third quarter, the company said.",
    "Analysts at Jefferies set a price target of {k} dollars.",
    "The board confirmed its outlook for the year.",
]


def _record(rid, lang, label, batch, title, sentences, pitches):
    text = " ".join(sentences)
    spans = []
    for cat, phrase in pitches:
        text += "\n" + phrase
        start = text.rindex(phrase)
        spans.append({"start": start, "end": start + len(phrase), "category": cat})
    return {"id": rid, "lang": lang, "label": label, "genre": "synthetic", "title": title, "text": text,
            "spans": spans, "batch": batch, "hard_negative": False}


def synthetic_records():
    records = []
    for b, batch in enumerate(BATCHES):
        for lang, news in (("de", NEWS_DE), ("en", NEWS_EN)):
            col = 1 if lang == "de" else 2
            for variant in range(2):
                k = 2 * b + variant
                fill = {"c": COMPANIES[(b + variant) % len(COMPANIES)], "n": 3 + k, "m": 120 + 7 * k, "k": 40 + k}
                sentences = [s.format(**fill) for s in news]
                title = f"{fill['c']} {'Quartal' if lang == 'de' else 'quarter'} {k}"
                records.append(_record(f"{lang}-neg-{k}", lang, 0, batch, title, sentences[variant:] + sentences[:variant], []))
                chosen = [PITCHES[(3 * b + variant + j) % len(PITCHES)] for j in range(4)]
                pitches = [(cat, p[col - 1]) for cat, *p in chosen]
                records.append(_record(f"{lang}-pos-{k}", lang, 1, batch, title + "!", sentences[:2], pitches))
    return records


UNSEEN = [
    ("de", "Die Aktie von Zellwerk fiel um 2 Prozent. Jetzt kaufen, bevor es alle merken! Ein Geheimtipp mit 300 Prozent Potenzial."),
    ("de", "Der Umsatz von Zellwerk stieg leicht, sagte die Finanzchefin. Die Dividende bleibt stabil."),
    ("en", "Act now: this hidden gem could soar 1,000%. Paid advertisement."),
    ("en", "Revenue at Zellwerk was flat, the company said on Tuesday. Unknownword xyzzy."),
]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    from hypecheck.train import fitted_pipelines_for_tests

    corpus = tmp_path_factory.mktemp("corpus")
    records = synthetic_records()
    for lang in ("de", "en"):
        (corpus / lang).mkdir()
        with open(corpus / lang / f"{lang}-synthetic.jsonl", "w", encoding="utf-8") as fh:
            for rec in records:
                if rec["lang"] == lang:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    sent_pipe, s_X, doc_model, d_X = fitted_pipelines_for_tests(corpus)
    return sent_pipe, s_X, doc_model, d_X


@pytest.fixture(scope="module")
def exported(fitted):
    from hypecheck.train import SENT_LABELS, export_block, sigmoid_params

    sent_pipe, _, doc_model, _ = fitted
    arrays = {}
    arrays.update(export_block(sent_pipe, "sent", SENT_LABELS))
    arrays.update(export_block(doc_model.calibrated_classifiers_[0].estimator, "doc", ("promotional",)))
    arrays["doc.calibration"] = np.array(sigmoid_params(doc_model), dtype=np.float64)
    return arrays


@pytest.fixture(scope="module")
def numpy_model(exported):
    return Model.from_arrays(exported, {"format": FORMAT, "name": "synthetic"}, "<memory>")


def test_synthetic_corpus_covers_every_label():
    records = synthetic_records()
    assert {r["lang"] for r in records} == {"de", "en"}
    assert {r["label"] for r in records} == {0, 1}
    assert len({r["batch"] for r in records}) == len(BATCHES)
    assert {s["category"] for r in records for s in r["spans"]} == set(CATEGORIES)
    for rec in records:
        for span in rec["spans"]:
            assert rec["text"][span["start"] : span["end"]].strip()


def test_exported_arrays_are_plain(exported):
    for name, array in exported.items():
        assert array.dtype != object, name
        assert array.dtype.kind in "fUbiu", (name, array.dtype)


def test_sentence_block_matches_sklearn(fitted, numpy_model):
    sent_pipe, s_X, _, _ = fitted
    expected = sent_pipe.predict_proba(s_X)
    assert expected.shape[1] == len(numpy_model.sentence.labels)
    got = np.array([sigmoid(numpy_model.sentence.decision(t, f)) for t, f in zip(s_X["terms"], s_X["features"])])
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    # the model must have learned something, or the comparison proves little
    assert expected.std() > 0.05


def test_sentence_probs_are_keyed_by_label(fitted, numpy_model):
    from hypecheck.train import SENT_LABELS

    sent_pipe, s_X, _, _ = fitted
    row = s_X.iloc[[0]]
    probs = numpy_model.sentence_probs(row["terms"].iloc[0], row["features"].iloc[0])
    assert list(probs) == list(SENT_LABELS)
    np.testing.assert_allclose(list(probs.values()), sent_pipe.predict_proba(row)[0], rtol=0, atol=TOL)


def test_document_model_matches_calibrated_sklearn(fitted, numpy_model):
    _, _, doc_model, d_X = fitted
    expected = doc_model.predict_proba(d_X)[:, 1]
    got = np.array([numpy_model.document_probability(t, f) for t, f in zip(d_X["terms"], d_X["features"])])
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    assert expected.min() < 0.5 < expected.max()


def test_unseen_texts_match_sklearn(fitted, numpy_model):
    """Unknown terms and features must be ignored the same way by both scorers."""
    from hypecheck.train import SENT_LABELS, frame

    sent_pipe, _, doc_model, _ = fitted
    analyser = Detector(model=False)
    doc_terms, doc_feats = [], []
    for lang, text in UNSEEN:
        a = analyser.analyze(text, lang)
        s_X = frame(a.sentence_terms, a.sentence_features.dicts())
        expected = sent_pipe.predict_proba(s_X)
        got = np.array([sigmoid(numpy_model.sentence.decision(t, f)) for t, f in zip(a.sentence_terms, a.sentence_features.dicts())])
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
        by_keys = sigmoid(numpy_model.sentence.decision_keys(len(a.sentences), a.term_rows, a.term_keys, a.sentence_features))
        np.testing.assert_allclose(by_keys, expected, rtol=0, atol=TOL)
        probs = [dict(zip(SENT_LABELS, row.tolist())) for row in expected]
        doc_terms.append(a.doc_terms)
        doc_feats.append(document_features(a.evidence, a.signals, probs))
    expected = doc_model.predict_proba(frame(doc_terms, doc_feats))[:, 1]
    got = np.array([numpy_model.document_probability(t, f) for t, f in zip(doc_terms, doc_feats)])
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)


def test_saved_model_directory_round_trips(tmp_path, fitted, exported, numpy_model):
    np.savez_compressed(tmp_path / "model.npz", **exported)
    card = {"format": FORMAT, "name": "synthetic", "version": "test", "corpus_sha256": "0" * 64,
            "bands": {"elevated": 25, "high": 60}}
    (tmp_path / "model.json").write_text(json.dumps(card), encoding="utf-8")
    loaded = load_model(tmp_path)
    assert loaded.bands == (25, 60)
    assert loaded.info() == {"name": "synthetic", "version": "test", "corpus_sha256": "0" * 64}

    _, _, doc_model, d_X = fitted
    expected = doc_model.predict_proba(d_X)[:, 1]
    got = np.array([loaded.document_probability(t, f) for t, f in zip(d_X["terms"], d_X["features"])])
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)

    det = Detector(str(tmp_path))
    assessment = det.score("Jetzt kaufen! Bis Jahresende sind weitere 150 Prozent möglich.", lang="de")
    assert assessment.model["name"] == "synthetic"
    assert det.config.bands == (25, 60)
    assert 0.0 <= assessment.probability <= 1.0
