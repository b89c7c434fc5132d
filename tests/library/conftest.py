"""Shared fixtures of the library tests: one Detector per session, varied texts, house rules, a tiny model."""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path
from typing import Callable

import jsonschema
import pytest

import hypecheck
from hypecheck.types import Assessment

#: Varied German and English texts: pitches, sober news, attributed targets, hype warnings,
#: a pitch appended to news, HTML, titles, emoji, very short and long ones.
TEXTS: list[dict] = [
    {"text": "Bis Jahresende sind weitere 150 Prozent möglich! Jetzt kaufen, bevor es alle merken."},
    {"text": "Die Deutsche Bank steigerte im dritten Quartal den Gewinn um 12 Prozent, teilte das Institut in Frankfurt mit."},
    {"text": "Die Analysten von Jefferies sehen das Kursziel bei 200 Dollar und bestätigen ihre Kaufempfehlung."},
    {"text": "Vorsicht bei Versprechen wie „300 Prozent sind drin“, warnt die BaFin in einer Mitteilung an Verbraucher."},
    {"text": "Alibaba legte im Quartal beim Umsatz zu. Der Cloud-Umsatz wuchs um 13 Prozent.\n\n"
             "Der Wettlauf ums Geld hebt auch den im Aktien-Report 'Besser als DeepSeek' vorgestellten Titel. "
             "Seit Veröffentlichung legten die Papiere bereits um 15 Prozent zu – bis Jahresende sind weitere 150 Prozent möglich."},
    {"text": "Geheimtipp: Diese Kursrakete ist noch unter dem Radar. Das nächste Nvidia! Risikolos einsteigen.",
     "title": "Jahrhundertchance für Anleger"},
    {"text": "Anzeige – Dieser Artikel ist bezahlte Werbung. Interessenkonflikte nicht ausgeschlossen. Jetzt noch einsteigen!"},
    {"text": "Der DAX schloss am Freitag 0,4 Prozent höher bei 18.200 Punkten; Autowerte waren gefragt."},
    {"text": "This tiny miner could soar 500% — act now before it's too late! Our analysts just picked 10 stocks."},
    {"text": "Shares of Acme rose 3% on Tuesday after quarterly sales beat estimates, Reuters reported."},
    {"text": "Analysts at Goldman Sachs raised their price target to $250, citing strong data-center demand."},
    {"text": "Regulators warn investors about promoters who promise guaranteed gains and claim you can't lose."},
    {"text": "Guaranteed gains! This is the next Amazon, a once-in-a-lifetime game-changer. Buy now and load up!",
     "title": "The 10-bagger Wall Street hasn't noticed"},
    {"text": "Paid advertisement. We were compensated $50,000 by a third party to promote this OTC penny stock."},
    {"text": "<html><body><p>Die <b>Kursexplosion</b> steht bevor!</p><p>Jetzt kaufen!</p></body></html>", "html": True},
    {"text": "Kurs +400 % – und das ist erst der Anfang 🚀🚀 Jetzt zugreifen!!!"},
    {"text": "Die Inflation im Euroraum sank im Mai auf 2,6 Prozent, wie Eurostat mitteilte. Ökonomen hatten damit gerechnet. " * 8},
    {"text": "Our last pick returned 400% in three months. Don't miss the next one: get the free report today."},
    {"text": "Kaufen"},
    {"text": "Unser Kursziel: 10 Euro. Verdreifachung drin!"},
    {"text": "Microsoft reported revenue of $62 billion, up 16% year over year.\nThe stock was little changed."},
    {"text": "Die Aktie stieg seit Jahresbeginn um 760 Prozent, wie Daten von Bloomberg zeigen."},
]

#: A valid German house-rule file (the bundled rules' format).
HOUSE_RULES_DE = textwrap.dedent("""\
    # House rule of the moderation team: a newsletter's recurring bait phrase.
    language: de
    category: insider_tip
    rules:
    - id: de.insider_tip.house_geheimliste
      description: The text teases a secret list („{text}“) as exclusive knowledge.
      base_score: 0.9
      phrases:
      - Geheimliste des Chefredakteurs
      patterns:
      - [{LOWER: streng}, {LOWER: geheime}, {LOWER: {IN: [favoriten, empfehlung, empfehlungen]}}]
      examples:
        positive:
        - Die Geheimliste des Chefredakteurs verrät den Favoriten.
        negative:
        - Der Chefredakteur stellte die Liste der Quartalszahlen vor.
    """)

HOUSE_TEXT_DE = "Die Geheimliste des Chefredakteurs verrät den Favoriten für das zweite Halbjahr."
HOUSE_RULE_ID = "de.insider_tip.house_geheimliste"


@pytest.fixture(scope="session")
def detector() -> hypecheck.Detector:
    """The bundled-model Detector every test shares (hypecheck.load caches it)."""
    return hypecheck.load()


@pytest.fixture(scope="session")
def texts() -> list[dict]:
    return TEXTS


@pytest.fixture(scope="session")
def reference(detector: hypecheck.Detector) -> list[dict]:
    """Sequential results of TEXTS, the baseline for concurrency tests."""
    return [detector.score(t["text"], title=t.get("title"), html=t.get("html", False)).to_dict(include_text=True)
            for t in TEXTS]


@pytest.fixture(scope="session")
def validator() -> jsonschema.protocols.Validator:
    schema = Assessment.json_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="session")
def house_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("house") / "house_de.yml"
    path.write_text(HOUSE_RULES_DE, encoding="utf-8")
    return path


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a rule file into tmp_path and return its path."""

    def write(content: str, name: str = "house.yml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(content), encoding="utf-8")
        return path

    return write


# -- a tiny synthetic corpus and the model hypecheck.train makes from it -------------------------
_FIRMS = ["Acme", "Borealis", "Cobalt One", "Delta Mining", "Elbe Solar", "Fjord Bio", "Granit AG", "Helix"]


def _span(text: str, phrase: str, category: str) -> dict:
    start = text.index(phrase)
    return {"start": start, "end": start + len(phrase), "category": category}


def tiny_corpus_records() -> list[dict]:
    """32 short documents: both labels, both languages, six writing batches (GroupKFold needs groups)."""
    records = []
    for i, firm in enumerate(_FIRMS):
        n = 100 + 25 * i
        docs = [
            ("de", 1, f"{firm} vor dem Durchbruch. Bis Jahresende sind weitere {n} Prozent möglich. Jetzt kaufen!",
             [(f"weitere {n} Prozent möglich", "return_promise"), ("Jetzt kaufen", "call_to_action")]),
            ("de", 0, f"{firm} steigerte den Umsatz im Quartal um {i + 2} Prozent, teilte das Unternehmen mit. "
                      f"Der Ausblick wurde bestätigt.", []),
            ("en", 1, f"{firm} could soar {n}% this year. Act now before it's too late and buy now!",
             [(f"could soar {n}%", "return_promise"), ("Act now before it's too late", "urgency")]),
            ("en", 0, f"{firm} reported quarterly revenue up {i + 3}% from a year earlier, the company said. "
                      f"Shares were little changed.", []),
        ]
        for j, (lang, label, text, spans) in enumerate(docs):
            records.append({
                "id": f"tiny-{lang}-{i}-{j}", "lang": lang, "label": label, "genre": "synthetic", "title": "",
                "text": text, "spans": [_span(text, p, c) for p, c in spans], "hard_negative": False,
                "batch": f"batch-{(i + j) % 6}",
            })
    return records


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny-corpus")
    for lang in ("de", "en"):
        folder = root / lang
        folder.mkdir()
        lines = [json.dumps(r, ensure_ascii=False) for r in tiny_corpus_records() if r["lang"] == lang]
        (folder / "synthetic.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tiny_model(tiny_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory made by hypecheck.train, as ``hypecheck train --out`` makes it."""
    from hypecheck.train import train

    out = tmp_path_factory.mktemp("tiny-model")
    with warnings.catch_warnings():  # categories absent from the tiny corpus: sklearn's constant-label notice
        warnings.filterwarnings("ignore", message="Label not .* is present in all training examples")
        train(tiny_corpus, out, folds=2, name="tiny")
    return out
