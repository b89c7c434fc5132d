"""Acceptance: what a moderation team expects of the bundled model on whole articles.

- sober wire reports with an attributed price target and large reported moves are not promotion (band ``low``);
- the real Alibaba article (``../shared/examples/alibaba-de.txt``) is news with a pitch at the end: band
  ``high``, the pitch localised, the news paragraphs left alone.

These tests judge model and rule quality: when one fails, fix the rules, the
corpus or the model, not the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hypecheck.sources import read_document

HERE = Path(__file__).parent
SOBER = ["sober-wire-de.txt", "sober-wire-en.txt"]
PITCH_START = "Nach den US-Big-Tech-Unternehmen"


def _describe(a) -> str:
    found = ", ".join(f"{f.category} {f.confidence:.2f} {f.text!r}" for f in a.findings) or "none"
    return f"risk {a.risk} ({a.band}), findings: {found}"


# ---------------------------------------------------------------------------- sober reports
@pytest.fixture(scope="module", params=SOBER)
def sober(request, detector):
    path = HERE / request.param
    return path.name, detector.score_document(read_document(str(path)))


def test_sober_report_scores_low(sober):
    name, a = sober
    assert a.band == "low", f"{name}: {_describe(a)}"


def test_sober_report_has_no_return_promise(sober):
    # the attributed target and the reported moves are facts, not promises
    name, a = sober
    assert not [f for f in a.findings if f.category == "return_promise"], f"{name}: {_describe(a)}"


def test_sober_reports_are_in_both_languages(detector):
    langs = {detector.score_document(read_document(str(HERE / name))).language for name in SOBER}
    assert langs == {"de", "en"}


# ---------------------------------------------------------------------------- the Alibaba article
@pytest.fixture(scope="module")
def alibaba(shared_dir, detector):
    path = shared_dir / "examples" / "alibaba-de.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    a = detector.score_document(read_document(str(path)))
    assert a.text is not None
    return a


def _covering(a, phrase: str, category: str):
    start = a.text.index(phrase)
    end = start + len(phrase)
    return [f for f in a.findings if f.category == category and f.start <= start and f.end >= end]


def test_alibaba_scores_high(alibaba):
    assert alibaba.language == "de"
    assert alibaba.band == "high", _describe(alibaba)


def test_alibaba_return_promise_is_found(alibaba):
    assert _covering(alibaba, "weitere 150 Prozent möglich", "return_promise"), _describe(alibaba)


def test_alibaba_teaser_is_found(alibaba):
    assert _covering(alibaba, "Aktien-Report", "teaser_upsell"), _describe(alibaba)


def test_alibaba_news_paragraphs_are_not_flagged_as_pitch(alibaba):
    cutoff = alibaba.text.index(PITCH_START)
    in_news = [f for f in alibaba.findings if f.start < cutoff and f.category in ("return_promise", "teaser_upsell")]
    assert in_news == [], _describe(alibaba)
