"""The JSON Schema shipped in the package, and real outputs validated against it."""

from __future__ import annotations

import configparser
import copy
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import hypecheck
from hypecheck import Assessment, Detector
from hypecheck.scoring import band_of
from hypecheck.types import CATEGORIES, SCHEMA

ROOT = Path(__file__).resolve().parents[2]


def check(validator: jsonschema.protocols.Validator, a: Assessment, det: Detector) -> None:
    """Validate against the schema, then the invariants a schema cannot express."""
    for include_text in (False, True):
        data = json.loads(json.dumps(a.to_dict(include_text=include_text), allow_nan=False))
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert a.risk == round(100 * a.probability)
    assert a.band == band_of(a.risk, det.config.bands)
    assert a.text is not None
    for f in a.findings:
        assert 0 <= f.start < f.end <= len(a.text) and a.text[f.start:f.end] == f.text
    assert list(a.categories.values()) == sorted(a.categories.values(), reverse=True)
    assert [(f.start, f.end) for f in a.findings] == sorted((f.start, f.end) for f in a.findings)


def test_schema_ships_as_package_data() -> None:
    path = resources.files("hypecheck").joinpath("data/assessment.schema.json")
    assert json.loads(path.read_text(encoding="utf-8")) == Assessment.json_schema()
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "data/*.json" in cfg["options.package_data"]["hypecheck"].split()


def test_schema_is_a_valid_draft_2020_12_schema_that_matches_the_code() -> None:
    schema = Assessment.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == SCHEMA
    assert schema["$defs"]["category"]["enum"] == list(CATEGORIES)


def test_every_bundled_model_output_validates(detector: Detector, texts: list[dict],
                                             validator: jsonschema.protocols.Validator) -> None:
    flagged = 0
    for t in texts:
        a = detector.score(t["text"], title=t.get("title"), html=t.get("html", False), source="test")
        check(validator, a, detector)
        flagged += bool(a.findings)
    assert flagged >= len(texts) // 2  # the texts exercise findings, not only empty lists


def test_context_adjusted_findings_validate(validator: jsonschema.protocols.Validator) -> None:
    det = hypecheck.load(min_confidence=0.0)  # keep findings that context lowered
    texts = ["Die Analysten von Jefferies sehen das Kursziel bei 200 Dollar.",
             "Vorsicht bei Versprechen wie „300 Prozent sind drin“, warnt die BaFin.",
             "Analysts at UBS see 300% upside for the stock."]
    results = [det.score(text) for text in texts]
    for a in results:
        check(validator, a, det)
    assert any(f.adjustments for a in results for f in a.findings)


@pytest.mark.parametrize("kwargs", [
    {"model": False},
    {"disabled": ["return_promise", "call_to_action"]},
    {"bands": (5, 10), "min_confidence": 0.0},
])
def test_configured_detectors_validate(kwargs: dict, texts: list[dict],
                                       validator: jsonschema.protocols.Validator) -> None:
    det = hypecheck.load(**kwargs)
    for t in texts:
        check(validator, det.score(t["text"], title=t.get("title"), html=t.get("html", False)), det)


def test_house_rule_and_custom_model_outputs_validate(house_rules: Path, tiny_model: Path,
                                                     validator: jsonschema.protocols.Validator) -> None:
    for det in (hypecheck.load(extra_rules=[house_rules]), hypecheck.load(tiny_model)):
        for text in ("Die Geheimliste des Chefredakteurs verrät den Favoriten. Jetzt kaufen!",
                     "This stock could soar 500%. Act now!", "Die Aktie stieg um 2 Prozent."):
            check(validator, det.score(text), det)


def test_the_schema_rejects_broken_outputs(detector: Detector, validator: jsonschema.protocols.Validator) -> None:
    good = detector.score("Unser Kursziel: 10 Euro. Jetzt kaufen!").to_dict()
    assert good["findings"]
    breakages = [
        lambda d: d.update(band="medium"),
        lambda d: d.update(risk=101),
        lambda d: d.update(probability="0.5"),
        lambda d: d.pop("model"),
        lambda d: d.update(unexpected=1),
        lambda d: d["categories"].update(hype=0.5),
        lambda d: d["findings"][0].update(category="hype"),
        lambda d: d["findings"][0].update(origin=[]),
        lambda d: d["findings"][0].pop("why"),
        lambda d: d["signals"].pop("microcap"),
        lambda d: d.update(schema="hypecheck.assessment/2"),
    ]
    for breakage in breakages:
        bad = copy.deepcopy(good)
        breakage(bad)
        assert not validator.is_valid(bad), bad
