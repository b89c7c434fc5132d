"""hypecheck.evaluate and ``hypecheck evaluate``: reading labelled files, metrics, report, CLI; training/real_data.py.

Most tests use a stub detector (fixed probabilities) or the rules-only
Detector, so they do not depend on the bundled model's state.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from hypecheck import InputError
from hypecheck.cli import cli
from hypecheck.evaluate import (
    average_precision,
    binary_metrics,
    evaluate_files,
    expected_calibration_error,
    format_report,
    phrase_occurrences,
    read_labelled,
    roc_auc,
)

PROMO_DE = ("Diese Aktie ist der Geheimtipp des Jahres. Bis Jahresende sind weitere 150 Prozent möglich! "
            "Jetzt kaufen, bevor es alle merken.")
NEWS_DE = "Die Deutsche Bank steigerte ihren Quartalsgewinn um 5 Prozent, teilte das Institut am Dienstag in Frankfurt mit."
PROMO_EN = "This tiny stock could soar 500% - act now before Wall Street notices! Get our free report today."
NEWS_EN = "Shares of Apple rose 2% on Tuesday after the company reported quarterly revenue above analyst estimates."


# ---------------------------------------------------------------------------- helpers
def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.fixture
def labelled_jsonl(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "labelled.jsonl", [
        {"text": NEWS_DE, "label": 0, "lang": "de"},
        {"text": PROMO_DE, "label": 1, "title": "Der nächste Überflieger", "key_phrases": ["weitere 150 Prozent möglich", "Jetzt kaufen"]},
        {"text": NEWS_EN, "label": 0, "lang": "en"},
        {"text": PROMO_EN, "label": 1, "lang": "en", "key_phrases": ["could soar 500%"]},
    ])


@pytest.fixture(scope="module")
def rules_detector():
    from hypecheck.detector import Detector

    return Detector(model=False)


@dataclass
class _Finding:
    start: int
    end: int
    text: str
    category: str = "return_promise"
    confidence: float = 0.9
    origin: tuple[str, ...] = ("rule:test",)


@dataclass
class _Assessment:
    probability: float
    risk: int
    band: str
    language: str
    text: str
    findings: tuple = ()
    model: dict = field(default_factory=lambda: {"name": "stub", "version": "0"})


class StubDetector:
    """Scores a text with the probability written in it as ``p=0.NN``; flags the word ``PROMO``."""

    class config:  # noqa: N801 - mimics Detector.config
        bands = (30, 70)

    def score(self, text: str, *, title=None, lang=None, source="<text>", id=None):
        p = float(text.split("p=")[1].split()[0])
        start = text.find("PROMO")
        findings = (_Finding(start, start + 5, "PROMO"),) if start >= 0 else ()
        risk = int(round(100 * p))
        band = "high" if risk >= 70 else "elevated" if risk >= 30 else "low"
        return _Assessment(p, risk, band, lang or "en", text, findings)


# ---------------------------------------------------------------------------- metrics
def test_roc_auc_and_average_precision_match_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(20):
        y = rng.integers(0, 2, 60)
        if y.min() == y.max():
            continue
        p = np.round(rng.random(60), 1)  # many ties
        assert roc_auc(y, p) == pytest.approx(sk.roc_auc_score(y, p))
        assert average_precision(y, p) == pytest.approx(sk.average_precision_score(y, p))


def test_metrics_degenerate_inputs():
    assert roc_auc([1, 1], [0.2, 0.9]) is None
    assert average_precision([0, 0], [0.2, 0.9]) is None
    assert expected_calibration_error([], []) == 0.0
    m = binary_metrics([0, 0, 0], [0.1, 0.5, 0.9], (30, 70))
    assert m["roc_auc"] is None and m["bands"]["elevated"]["recall"] is None
    assert m["bands"]["elevated"]["fp"] == 2 and m["bands"]["high"]["fp"] == 1
    assert m["flagged"]["label_0"]["elevated_or_above"] == pytest.approx(2 / 3, abs=1e-4)


def test_binary_metrics_confusion_and_shares():
    y = [0, 0, 0, 1, 1, 1]
    p = [0.05, 0.35, 0.75, 0.2, 0.5, 0.95]
    m = binary_metrics(y, p, (30, 70))
    e, h = m["bands"]["elevated"], m["bands"]["high"]
    assert (e["tp"], e["fp"], e["fn"], e["tn"]) == (2, 2, 1, 1)
    assert (h["tp"], h["fp"], h["fn"], h["tn"]) == (1, 1, 2, 2)
    assert e["precision"] == 0.5 and e["recall"] == pytest.approx(0.6667, abs=1e-4)
    assert m["flagged"]["label_1"] == {"n": 3, "low": pytest.approx(1 / 3, abs=1e-4), "elevated": pytest.approx(1 / 3, abs=1e-4),
                                       "high": pytest.approx(1 / 3, abs=1e-4), "elevated_or_above": pytest.approx(2 / 3, abs=1e-4)}
    assert m["brier"] == pytest.approx(np.mean((np.array(p) - np.array(y)) ** 2), abs=1e-4)


def test_phrase_occurrences_ignore_case_and_whitespace():
    assert phrase_occurrences("Jetzt  KAUFEN! und\njetzt kaufen", "jetzt kaufen") == [(0, 13), (19, 31)]
    assert phrase_occurrences("nichts", "jetzt kaufen") == []


# ---------------------------------------------------------------------------- reading
def test_read_jsonl_fields(labelled_jsonl: Path):
    rows = read_labelled(labelled_jsonl)
    assert [r.label for r in rows] == [0, 1, 0, 1]
    assert rows[0].lang == "de" and rows[1].lang is None and rows[1].title == "Der nächste Überflieger"
    assert rows[1].key_phrases == ("weitere 150 Prozent möglich", "Jetzt kaufen")
    assert rows[1].line == 2 and rows[1].id == "labelled.jsonl:2"


@pytest.mark.parametrize("name", ["labelled.csv", "labelled.csv.gz"])
def test_read_csv_and_gz(tmp_path: Path, name: str):
    path = write_csv(tmp_path / name, [
        {"text": NEWS_DE, "label": "0", "lang": "de", "title": "", "key_phrases": ""},
        {"text": PROMO_DE + "\nzweite Zeile", "label": "true", "lang": "", "title": "T",
         "key_phrases": "weitere 150 Prozent möglich; Jetzt kaufen"},
        {"text": PROMO_EN, "label": "1", "lang": "en", "title": "", "key_phrases": ""},
    ], ["text", "label", "lang", "title", "key_phrases"])
    rows = read_labelled(path)
    assert [r.label for r in rows] == [0, 1, 1]
    assert rows[1].key_phrases == ("weitere 150 Prozent möglich", "Jetzt kaufen")
    assert rows[1].title == "T" and rows[0].title is None
    assert [r.line for r in rows] == [2, 3, 5]  # the second record spans two physical lines


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_labelled(path)
    return str(info.value)


@pytest.mark.parametrize("lines, expected", [
    (['{"text": "a", "label": 0}', '{"text": "b", "label": 1', ''], ["bad.jsonl:2", "invalid JSON"]),
    (['{"text": "a", "label": 0}', '{"text": "b"}'], ["bad.jsonl:2", "'label' field is missing"]),
    (['{"text": "a", "label": "maybe"}'], ["bad.jsonl:1", "label must be 0 or 1", "maybe"]),
    (['{"text": "a", "label": 2}'], ["bad.jsonl:1", "label must be 0 or 1"]),
    (['{"label": 1}'], ["bad.jsonl:1", "'text' field is missing"]),
    (['{"text": "   ", "label": 1}'], ["bad.jsonl:1", "empty input"]),
    (['{"text": 5, "label": 1}'], ["bad.jsonl:1", "'text' must be a string"]),
    (['{"text": "a", "label": 1, "lang": "fr"}'], ["bad.jsonl:1", "unsupported lang 'fr'"]),
    (['{"text": "a", "label": 1, "key_phrases": {"x": 1}}'], ["bad.jsonl:1", "key_phrases"]),
    (['{"text": "a", "label": 1, "key_phrases": ["ok", 3]}'], ["bad.jsonl:1", "entries must be strings"]),
    (['["text", 1]'], ["bad.jsonl:1", "expected a JSON object"]),
    ([''], ["bad.jsonl", "empty input"]),
])
def test_bad_jsonl_rows_name_file_and_line(tmp_path: Path, lines: list[str], expected: list[str]):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    message = _error(path)
    for part in expected:
        assert part in message


def test_bad_csv_header_and_rows(tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text("body,label\nx,1\n", encoding="utf-8")
    assert "bad.csv:1" in _error(path) and "text" in _error(path)
    path.write_text('text,label\n"ok",1\n"fine",0\n"bad",yes please\n', encoding="utf-8")
    message = _error(path)
    assert "bad.csv:4" in message and "yes please" in message
    path.write_text('text,label\n"a",1,extra\n', encoding="utf-8")
    assert "bad.csv:2" in _error(path)


def test_file_level_errors(tmp_path: Path):
    assert "E001" in _error(tmp_path / "missing.jsonl")
    (tmp_path / "data.txt").write_text("x", encoding="utf-8")
    assert "expected .jsonl or .csv" in _error(tmp_path / "data.txt")
    (tmp_path / "broken.jsonl.gz").write_bytes(b"not gzip at all")
    assert "broken.jsonl.gz" in _error(tmp_path / "broken.jsonl.gz")
    (tmp_path / "latin.csv").write_bytes("text,label\n\"Überflieger\",1\n".encode("cp1252"))
    message = _error(tmp_path / "latin.csv")
    assert "latin.csv:2" in message and "UTF-8" in message


# ---------------------------------------------------------------------------- evaluation
def test_evaluate_with_stub_detector(tmp_path: Path):
    path = write_jsonl(tmp_path / "stub.jsonl", [
        {"text": "p=0.05 news", "label": 0},
        {"text": "p=0.40 news that looks like PROMO", "label": 0},
        {"text": "p=0.90 news", "label": 0},
        {"text": "p=0.10 quiet PROMO pitch", "label": 1, "key_phrases": ["quiet"]},
        {"text": "p=0.50 PROMO here", "label": 1, "key_phrases": ["PROMO here"]},
        {"text": "p=0.95 big PROMO", "label": 1, "key_phrases": ["big PROMO", "p=0.95"]},
    ])
    report = evaluate_files([path], StubDetector(), worst=2)
    m = report["metrics"]
    assert m["n"] == 6 and m["positives"] == 3
    assert m["bands"]["elevated"]["tp"] == 2 and m["bands"]["elevated"]["fp"] == 2
    assert report["false_positives"] == 2 and report["false_negatives"] == 1
    assert [c["risk"] for c in report["worst_false_positives"]] == [90, 40]
    assert report["worst_false_negatives"][0]["where"].endswith("stub.jsonl:4")
    assert report["worst_false_negatives"][0]["key_phrases_missed"] == ["quiet"]
    kp = report["key_phrases"]
    assert (kp["found"], kp["total"]) == (2, 4) and kp["recall"] == 0.5
    json.dumps(report)  # serialisable
    text = format_report(report, "text")
    assert "ROC-AUC" in text and "key phrases: 2/4 found" in text and "stub.jsonl:3" in text


def test_key_phrase_missing_from_text_is_a_row_error_before_scoring(tmp_path: Path):
    path = write_jsonl(tmp_path / "kp.jsonl", [{"text": "p=0.5 PROMO", "label": 1},
                                               {"text": "p=0.5 PROMO", "label": 1, "key_phrases": ["not there"]}])
    calls = []

    class Counting(StubDetector):
        def score(self, text, **kw):
            calls.append(text)
            return super().score(text, **kw)

    with pytest.raises(InputError, match=r"kp.jsonl:2.*'not there' does not occur"):
        evaluate_files([path], Counting())
    assert calls == []


def test_evaluate_rules_only_end_to_end(labelled_jsonl: Path, tmp_path: Path, rules_detector):
    csv_path = write_csv(tmp_path / "more.csv", [{"text": NEWS_EN, "label": 0}, {"text": PROMO_DE, "label": 1}],
                         ["text", "label"])
    report = evaluate_files([labelled_jsonl, csv_path], rules_detector, worst=3)
    assert report["metrics"]["n"] == 6
    assert set(report["by_language"]) == {"de", "en"}
    assert set(report["by_file"]) == {str(labelled_jsonl), str(csv_path)}
    assert report["bands"] == {"elevated": 30, "high": 70}
    # the clear German pitch is flagged and its key phrases are found
    assert report["metrics"]["flagged"]["label_1"]["elevated_or_above"] >= 0.5
    assert report["key_phrases"]["total"] == 3
    parsed = json.loads(format_report(report, "json"))
    assert parsed["schema"] == "hypecheck.evaluation/1"


def test_forced_language_applies_to_every_row(labelled_jsonl: Path, rules_detector):
    report = evaluate_files([labelled_jsonl], rules_detector, lang="en")
    assert "by_language" not in report  # every row scored as English
    with pytest.raises(InputError):
        evaluate_files([labelled_jsonl], rules_detector, lang="fr")


# ---------------------------------------------------------------------------- CLI
@pytest.fixture
def rules_cli(monkeypatch, rules_detector):
    """The CLI with a rules-only detector, so the tests do not depend on the bundled model."""
    import hypecheck.cli as cli_module

    monkeypatch.setattr(cli_module, "_detector", lambda *a, **k: rules_detector)
    return CliRunner()


def test_cli_evaluate_text_and_json(rules_cli: CliRunner, labelled_jsonl: Path):
    result = rules_cli.invoke(cli, ["evaluate", str(labelled_jsonl)])
    assert result.exit_code == 0, result.output
    assert "ROC-AUC" in result.output and "key phrases:" in result.output
    result = rules_cli.invoke(cli, ["evaluate", "--format", "json", "--worst", "1", str(labelled_jsonl)])
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert report["metrics"]["n"] == 4 and len(report["worst_false_negatives"]) <= 1


def test_cli_evaluate_bad_row_exits_2_without_traceback(rules_cli: CliRunner, tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "label": 1}\n{"text": "b", "label": "x"}\n', encoding="utf-8")
    result = rules_cli.invoke(cli, ["evaluate", str(bad)])
    assert result.exit_code == 2
    assert "Error:" in result.output and "bad.jsonl:2" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    result = rules_cli.invoke(cli, ["evaluate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2 and "file not found" in result.output


def test_cli_evaluate_help():
    result = CliRunner().invoke(cli, ["evaluate", "--help"])
    assert result.exit_code == 0 and "labelled" in result.output


def test_cli_evaluate_bundled_model(labelled_jsonl: Path):
    from hypecheck.errors import ModelError
    from hypecheck.model import load_model
    from hypecheck.rules.loader import rules_digest

    try:
        load_model(None, rules_digest=rules_digest())
    except ModelError as exc:
        pytest.skip(f"bundled model does not load with the current rules; retrain it ({exc})")
    result = CliRunner().invoke(cli, ["evaluate", "--format", "json", str(labelled_jsonl)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["model"]["name"] == "default" and report["metrics"]["n"] == 4


# ---------------------------------------------------------------------------- training/real_data.py
REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
needs_shared = pytest.mark.skipif(not (SHARED / "data").is_dir(), reason=f"{SHARED}/data not found (real sets live beside the checkout)")


def test_lexicon_baseline_and_ad_blocks():
    from training.real_data import ad_blocks, lexicon_score

    p, hits = lexicon_score("Jetzt kaufen! Die Kursrakete zündet.", "de")
    assert len(hits) == 2 and p == pytest.approx(0.64)
    assert lexicon_score("Der Umsatz stieg um 3 Prozent.", "de")[0] == 0.0
    assert ad_blocks([(0, 7), (8, 20), (30, 40), (41, 45)]) == [(0, 20), (30, 45)]


@needs_shared
def test_ad_units_match_provenance_counts():
    from collections import Counter

    from training.real_data import ad_units

    ads = [json.loads(line) for line in (SHARED / "data/finanzen-net-dax-news/ad_spans.jsonl").read_text(encoding="utf-8").splitlines() if line]
    counts = Counter(g for a in ads for g in ad_units(a["spans"]))
    assert counts == {"finance": 126, "non_finance": 85, "anzeige": 42, "newsletter": 7}


@needs_shared
def test_real_data_small_run(tmp_path: Path, capsys):
    from training.real_data import run

    out = tmp_path / "rd.json"
    results = run(["--shared", str(SHARED), "--limit", "4", "--ham-sample", "50", "--scorers", "lexicon,rules",
                   "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert "FALSE POSITIVES on real news" in printed and "reproduce" in printed and "--limit 4" in printed
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["scorers_run"] == ["lexicon", "rules"]
    assert saved["sets"]["de_10kgnad_wirtschaft"]["scored"] == 4
    assert saved["sets"]["de_10kgnad_wirtschaft"]["available"] == 141
    ad = saved["ad_articles"]["rules"]
    assert ad["n"] == 5 and ad["span_recall"]["all"]["total"] > 0
    assert 0.0 <= ad["span_recall"]["all"]["recall"] <= 1.0
    assert set(saved["combined"]["rules"]) == {"all", "de_articles", "en"}
    assert results["table"] in printed


@needs_shared
@pytest.mark.slow
def test_real_data_all_scorers_small_run(tmp_path: Path):
    """Trains (or reuses from results/cache) the model-only baseline: about 2 minutes the first time."""
    from training.real_data import run

    results = run(["--shared", str(SHARED), "--limit", "3", "--ham-sample", "20", "--out", str(tmp_path / "rd.json"), "--quiet"])
    assert results["scorers_run"] == ["lexicon", "rules", "model_only", "full"]
    assert results["scorers"]["model_only"]["model"]["name"] == "model-only"
    for scorer in results["scorers_run"]:
        assert results["combined"][scorer]["all"]["n"] > 0
