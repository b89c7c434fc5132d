"""The public API: hypecheck.load caching, frozen results, to_dict, errors, and a library that never prints."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import hypecheck
from hypecheck import Assessment, Detector, Finding, InputError


def test_public_names_match_all() -> None:
    for name in hypecheck.__all__:
        assert getattr(hypecheck, name) is not None
    assert hypecheck.Detector is Detector
    assert callable(hypecheck.score_frame)
    with pytest.raises(AttributeError):
        hypecheck.no_such_name  # noqa: B018


def test_load_returns_the_same_object_for_the_same_arguments(detector: Detector, house_rules: Path) -> None:
    assert hypecheck.load() is detector
    assert hypecheck.load(None) is detector
    assert hypecheck.load(bands=(30, 70)) is hypecheck.load(bands=[30, 70])  # type: ignore[arg-type]
    assert hypecheck.load(disabled=["puffery", "urgency"]) is hypecheck.load(disabled=("urgency", "puffery", "puffery"))
    assert hypecheck.load(extra_rules=[house_rules]) is hypecheck.load(extra_rules=[str(house_rules)])
    assert hypecheck.load(min_confidence=0.5) is not detector
    assert hypecheck.load(disabled=["puffery"]) is not detector


def test_load_of_a_model_path_is_cached_by_resolved_path(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tiny_model.parent)
    assert hypecheck.load(tiny_model) is hypecheck.load(str(tiny_model)) is hypecheck.load(Path(tiny_model.name))


def test_concurrent_first_loads_build_one_detector() -> None:
    barrier = threading.Barrier(8)
    got: list[Detector] = []

    def worker() -> None:
        barrier.wait()
        got.append(hypecheck.load(min_confidence=0.41))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(d is got[0] for d in got)


def test_load_rejects_bad_arguments_and_caches_no_failure() -> None:
    for _ in range(2):
        with pytest.raises(InputError, match="unknown category 'puffery_typo'"):
            hypecheck.load(disabled=["puffery_typo"])
    for bad in [(70, 30), (0, 50), (30, 101), (30,), (30.5, 70)]:
        with pytest.raises(InputError, match="bands must be two integers"):
            hypecheck.load(bands=bad)  # type: ignore[arg-type]


def test_a_single_string_is_one_category_not_letters() -> None:
    det = Detector(disabled="puffery")  # type: ignore[arg-type]
    assert det.disabled == frozenset({"puffery"})


def test_results_are_frozen_and_serialise_with_stable_keys(detector: Detector) -> None:
    a = detector.score("Unser Kursziel: 10 Euro. Jetzt kaufen!", title="Kursrakete", source="feed:1")
    assert isinstance(a, Assessment) and a.findings and isinstance(a.findings[0], Finding)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.risk = 0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.findings[0].category = "puffery"  # type: ignore[misc]
    d = a.to_dict()
    assert list(d) == ["schema", "id", "source", "title", "language", "risk", "probability", "band",
                       "categories", "findings", "signals", "warnings", "model"]
    assert list(d["findings"][0]) == ["start", "end", "text", "category", "confidence", "origin", "why",
                                      "regulation", "context"]
    assert "text" not in d and a.to_dict(include_text=True)["text"] == a.text
    line = json.dumps(a.to_dict(include_text=True), allow_nan=False, ensure_ascii=False)
    assert Assessment.from_dict(json.loads(line)).to_dict(include_text=True) == json.loads(line)
    assert d["source"] == "feed:1" and d["title"] == "Kursrakete"


def test_from_dict_refuses_other_objects() -> None:
    with pytest.raises(ValueError, match="not a hypecheck.assessment/1 object"):
        Assessment.from_dict({"schema": "something/2"})


def test_score_validates_its_input(detector: Detector) -> None:
    with pytest.raises(InputError, match=r"empty input .*\[E003\]"):
        detector.score("   \n ")
    with pytest.raises(InputError, match="expected str, got bytes"):
        detector.score(b"Jetzt kaufen")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown language 'fr'"):
        detector.score("Achetez maintenant", lang="fr")
    assert detector.score("Buy now!", lang="en").language == "en"


def test_score_many_accepts_strings_documents_and_mappings(detector: Detector) -> None:
    items = ["Jetzt kaufen!", hypecheck.Document(text="Buy now!", source="doc"),
             {"text": "<p>Jetzt <b>kaufen</b>!</p>", "html": True, "id": "x1", "title": "T", "lang": "de"}]
    out = list(detector.score_many(items))
    assert [a.source for a in out] == ["<text>", "doc", "<text>"]
    assert out[2].id == "x1" and out[2].title == "T" and "<b>" not in (out[2].text or "")


def test_nothing_is_printed_and_logging_goes_through_logging(
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, texts: list[dict],
        house_rules: Path) -> None:
    import pandas as pd
    import spacy

    caplog.set_level(logging.DEBUG, logger="hypecheck")
    det = hypecheck.load(extra_rules=[house_rules], min_confidence=0.39)  # a fresh Detector: builds both languages
    for t in texts:
        det.score(t["text"], title=t.get("title"), html=t.get("html", False))
    list(det.score_many([t["text"] for t in texts], n_jobs=3))
    hypecheck.score_frame(pd.DataFrame({"text": ["Jetzt kaufen!", None]}), errors="coerce", detector=det)
    nlp = spacy.blank("en")
    nlp.add_pipe("hypecheck")
    list(nlp.pipe(["Buy now!", "Shares rose 2%."]))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert caplog.records, "expected debug/warning records from the hypecheck loggers"
    assert all(r.name.startswith("hypecheck") for r in caplog.records)
    assert any("no scorable text" in r.getMessage() for r in caplog.records)


def test_a_cold_process_prints_nothing_and_imports_no_pandas_or_sklearn(tmp_path: Path) -> None:
    """Scoring needs neither pandas nor scikit-learn (start-up time), and says nothing on stdout/stderr."""
    code = (
        "import sys, hypecheck\n"
        "det = hypecheck.load()\n"
        "det.score('Bis Jahresende sind weitere 150 Prozent möglich!')\n"
        "list(det.score_many(['Buy now!', 'Die Aktie stieg.'], n_jobs=2))\n"
        "heavy = sorted(m for m in ('pandas', 'sklearn') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
