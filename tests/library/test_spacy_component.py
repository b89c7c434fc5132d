"""The spaCy component: entry point, annotations, nlp.pipe, error handling and serialisation."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

import hypecheck
from hypecheck import Assessment, Detector, RuleConfigError
from hypecheck.spacy_component import HypecheckComponent

from .conftest import HOUSE_RULE_ID, HOUSE_TEXT_DE

PITCH_DE = "Die Aktie stieg um 2 Prozent. Bis Jahresende sind weitere 150 Prozent möglich! Jetzt kaufen!"
PITCH_EN = "Shares rose 2%. This tiny miner could soar 500% - act now before it's too late!"


@pytest.fixture(scope="module")
def nlp_de() -> Language:
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck")
    return nlp


def _house_ids(doc: Doc) -> set[str]:
    return {o for f in doc._.hypecheck.findings for o in f.origin if o == f"rule:{HOUSE_RULE_ID}"}


def test_the_entry_point_names_the_factory() -> None:
    eps = [ep for ep in metadata.entry_points(group="spacy_factories") if ep.name == "hypecheck"]
    assert len(eps) == 1 and eps[0].value == "hypecheck.spacy_component:make_hypecheck_component"
    assert eps[0].load().__name__ == "make_hypecheck_component"


def test_annotations_match_the_detector(nlp_de: Language, detector: Detector) -> None:
    doc = nlp_de(PITCH_DE)
    a = doc._.hypecheck
    assert isinstance(a, Assessment)
    ref = detector.score(PITCH_DE, lang="de")
    assert (a.risk, a.band, a.findings) == (ref.risk, ref.band, ref.findings)
    group = doc.spans["hypecheck"]
    assert len(group) == len(a.findings) == len(group.attrs["scores"]) > 0
    for span, finding, score in zip(group, a.findings, group.attrs["scores"]):
        assert span.label_ == finding.category and score == finding.confidence
        assert span.start_char <= finding.start < finding.end <= span.end_char
        assert doc.text[finding.start:finding.end] == finding.text
    assert ("weitere 150 Prozent möglich", "return_promise") in [(s.text, s.label_) for s in group]


def test_offsets_refer_to_the_docs_own_text(nlp_de: Language) -> None:
    text = "  Bis Jahresende   sind weitere 150 Prozent möglich!\r\n\r\n\r\nJetzt kaufen!  "
    doc = nlp_de(text)
    assert doc._.hypecheck.findings
    for finding in doc._.hypecheck.findings:
        assert text[finding.start:finding.end] == finding.text


def test_language_comes_from_the_pipeline_or_detection() -> None:
    en = spacy.blank("en")
    en.add_pipe("hypecheck")
    assert en(PITCH_EN)._.hypecheck.language == "en"
    multi = spacy.blank("xx")
    multi.add_pipe("hypecheck")
    assert [multi(t)._.hypecheck.language for t in (PITCH_DE, PITCH_EN)] == ["de", "en"]
    forced = spacy.blank("en")
    forced.add_pipe("hypecheck", config={"lang": "auto"})
    assert forced(PITCH_DE)._.hypecheck.language == "de"


def test_settings_reach_the_shared_detector(house_rules: Path) -> None:
    nlp = spacy.blank("de")
    component = nlp.add_pipe("hypecheck", config={"disabled": ["call_to_action"], "bands": [10, 20],
                                                  "extra_rules": [str(house_rules)], "spans_key": "hype"})
    assert isinstance(component, HypecheckComponent)
    assert component.detector is hypecheck.load(extra_rules=[house_rules], disabled=["call_to_action"], bands=(10, 20))
    doc = nlp(HOUSE_TEXT_DE + " Jetzt kaufen!")
    assert "hype" in doc.spans and "hypecheck" not in doc.spans
    assert _house_ids(doc) and "call_to_action" not in doc._.hypecheck.categories


@pytest.mark.parametrize("config, match", [
    ({"disabled": ["hype"]}, "unknown category 'hype'"),
    ({"bands": [70, 30]}, "bands must be two integers"),
    ({"lang": "fr"}, "unknown language 'fr'"),
])
def test_bad_settings_fail_at_add_pipe(config: dict, match: str) -> None:
    with pytest.raises(hypecheck.InputError, match=match):
        spacy.blank("de").add_pipe("hypecheck", config=config)


def test_bad_house_rules_fail_at_initialize(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("language: de\ncategory: hype\nrules: []\n", encoding="utf-8")
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck", config={"extra_rules": [str(bad)]})
    with pytest.raises(RuleConfigError, match="unknown category 'hype'"):
        nlp.initialize()


def test_initialize_takes_house_rules(house_rules: Path) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck")
    nlp.get_pipe("hypecheck").initialize(lambda: [], nlp=nlp, extra_rules=[str(house_rules)])
    assert _house_ids(nlp(HOUSE_TEXT_DE))


def test_nlp_pipe_matches_single_calls(nlp_de: Language, texts: list[dict]) -> None:
    plain = [t["text"] for t in texts if not t.get("html")]
    singles = [nlp_de(t)._.hypecheck.to_dict() for t in plain]
    batched = [d._.hypecheck.to_dict() for d in nlp_de.pipe(plain, batch_size=4)]
    assert batched == singles


def test_nlp_pipe_with_processes() -> None:
    """Assessments cross process boundaries (msgpack), so n_process works."""
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck")
    texts = [PITCH_DE, "Die Aktie stieg um 2 Prozent.", "Jetzt kaufen!", "Der DAX schloss höher."]
    single = [nlp(t)._.hypecheck.to_dict() for t in texts]
    multi = [d._.hypecheck.to_dict() for d in nlp.pipe(texts, n_process=2, batch_size=2)]
    assert multi == single


def test_docs_with_assessments_serialise(nlp_de: Language) -> None:
    doc = nlp_de(PITCH_DE)
    again = Doc(nlp_de.vocab).from_bytes(doc.to_bytes())
    assert isinstance(again._.hypecheck, Assessment)
    assert again._.hypecheck.to_dict(include_text=True) == doc._.hypecheck.to_dict(include_text=True)
    assert [(s.text, s.label_) for s in again.spans["hypecheck"]] == [(s.text, s.label_) for s in doc.spans["hypecheck"]]
    docbin = DocBin(store_user_data=True, docs=[doc])
    restored = list(DocBin().from_bytes(docbin.to_bytes()).get_docs(nlp_de.vocab))
    assert restored[0]._.hypecheck.band == doc._.hypecheck.band


def test_an_empty_doc(nlp_de: Language) -> None:
    doc = nlp_de("   ")
    assert doc._.hypecheck is None and len(doc.spans["hypecheck"]) == 0


def test_failures_go_through_the_error_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck")

    def boom(self: HypecheckComponent, doc: Doc) -> Doc:
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(HypecheckComponent, "_annotate", boom)
    with pytest.raises(RuntimeError, match="scoring failed"):
        nlp("Jetzt kaufen!")
    seen: list[str] = []
    nlp.set_error_handler(lambda name, proc, docs, exc: seen.append(f"{name}: {exc}"))
    docs = list(nlp.pipe(["Jetzt kaufen!", "Buy now!"]))
    assert len(docs) == 2 and all(d._.hypecheck is None for d in docs)
    assert seen == ["hypecheck: scoring failed"] * 2


# -- serialisation -------------------------------------------------------------------------
@pytest.fixture
def house_copy(house_rules: Path, tmp_path: Path) -> Path:
    """A house-rule file the test may delete after saving the pipeline."""
    path = tmp_path / "team" / "house_de.yml"
    path.parent.mkdir()
    shutil.copyfile(house_rules, path)
    return path


def test_to_disk_from_disk_round_trip_with_house_rules_and_model(house_copy: Path, tiny_model: Path,
                                                                 tmp_path: Path) -> None:
    model = tmp_path / "team-model"
    shutil.copytree(tiny_model, model)
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck", config={"extra_rules": [str(house_copy)], "model": str(model),
                                      "disabled": ["urgency"], "min_confidence": 0.3})
    text = HOUSE_TEXT_DE + " Bis Jahresende sind weitere 300 Prozent möglich."
    before = nlp(text)._.hypecheck
    saved = tmp_path / "pipeline"
    nlp.to_disk(saved)
    assert (saved / "hypecheck" / "rules" / "00-house_de.yml").read_text(encoding="utf-8") == house_copy.read_text(
        encoding="utf-8")
    assert sorted(p.name for p in (saved / "hypecheck" / "model").iterdir()) == ["model.json", "model.npz"]
    house_copy.unlink()  # the saved pipeline must not need the originals
    shutil.rmtree(model)

    loaded = spacy.load(saved)
    after = loaded(text)._.hypecheck
    assert after.to_dict() == before.to_dict()
    assert after.model["name"] == "tiny" and _house_ids(loaded(text))
    cfg = loaded.get_pipe("hypecheck").cfg
    assert cfg["disabled"] == ["urgency"] and cfg["min_confidence"] == 0.3


def test_from_disk_validates_the_saved_rules(house_rules: Path, tmp_path: Path) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck", config={"extra_rules": [str(house_rules)]})
    saved = tmp_path / "pipeline"
    nlp.to_disk(saved)
    (saved / "hypecheck" / "rules" / "00-house_de.yml").write_text("language: de\ncategory: hype\nrules: []\n",
                                                                  encoding="utf-8")
    with pytest.raises(RuleConfigError, match="unknown category 'hype'"):
        spacy.load(saved)


def test_to_bytes_from_bytes_round_trip(house_copy: Path) -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck", config={"extra_rules": [str(house_copy)], "bands": [20, 40]})
    before = nlp(HOUSE_TEXT_DE)._.hypecheck.to_dict()
    data = nlp.to_bytes()
    house_copy.unlink()  # the bytes carry the rules themselves
    fresh = spacy.blank("de")
    fresh.add_pipe("hypecheck")
    fresh.from_bytes(data)
    doc = fresh(HOUSE_TEXT_DE)
    assert _house_ids(doc) and fresh.get_pipe("hypecheck").detector.config.bands == (20, 40)
    assert doc._.hypecheck.to_dict() == before
    assert fresh.get_pipe("hypecheck").to_bytes() == fresh.get_pipe("hypecheck").to_bytes()


def test_a_fresh_process_finds_the_factory_by_entry_point(house_rules: Path, tmp_path: Path) -> None:
    """No `import hypecheck`: spaCy finds the factory through the spacy_factories entry point."""
    nlp = spacy.blank("de")
    nlp.add_pipe("hypecheck", config={"extra_rules": [str(house_rules)]})
    nlp.to_disk(tmp_path / "pipeline")
    code = (
        "import json, sys, spacy\n"
        "assert 'hypecheck' not in sys.modules\n"
        "blank = spacy.blank('en'); blank.add_pipe('hypecheck')\n"
        "a = blank('Guaranteed gains! Buy now!')._.hypecheck\n"
        f"loaded = spacy.load({str(tmp_path / 'pipeline')!r})\n"
        f"doc = loaded({HOUSE_TEXT_DE!r})\n"
        "print(json.dumps({'en_band': a.band, 'origins': [o for f in doc._.hypecheck.findings for o in f.origin]}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["en_band"] in ("elevated", "high") and f"rule:{HOUSE_RULE_ID}" in out["origins"]
