"""Property-based tests (hypothesis): no input makes hypecheck misbehave.

- for any text, ``Detector.score`` returns an Assessment (or raises InputError
  when nothing scorable is left), with risk in [0, 100], probability in [0, 1],
  findings that point at their own text, deterministic results and a JSON
  round trip;
- for any bytes, the text loaders return or raise InputError, never anything else.
"""

from __future__ import annotations

import codecs
import io
import json
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hypecheck import Assessment, Document, InputError
from hypecheck.normalize import normalize_text
from hypecheck.sources.text import decode_bytes, read_stream

SETTINGS = settings(
    # 60 keeps the default run fast; HYPECHECK_HYPOTHESIS_EXAMPLES=5000 for a deeper hunt
    max_examples=int(os.environ.get("HYPECHECK_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,  # never assert wall-clock time
    database=None,  # leave no files behind; hypothesis prints the falsifying example
    suppress_health_check=[HealthCheck.too_slow],
)

# Pieces that reach the rules, the context cues and the normaliser's corner cases.
FRAGMENTS = [
    "Jetzt kaufen!", "Bis Jahresende sind weitere 150 Prozent möglich.", "Kursziel 10 Euro", "Geheimtipp",
    "Analysten von Berenberg sehen das Kursziel bei 95 Euro.", "Vorsicht bei Versprechen wie", "stieg um 38 Prozent",
    "This stock could soar 500%!", "Buy now before it's too late.", "the next Nvidia", "Paid advertisement.",
    "im Aktien-Report \"Besser als DeepSeek\" vorgestellten Titel", "Seit Veröffentlichung",
    " ", "  ", "\n", "\n\n\n", "\r\n", "\t", "\u00a0", "\u200b", "\ufeff", "\x00", "\x07",
    "&nbsp;", "&amp;", "&#8364;", "&bogus;", "<p>", "</p>", "<br>", "<script>x()</script>",
    "a\u0308", "e\u0301", "ß", "İ", "ﬁ", "ǅ", "😀", "€", "%", "!", "„", "“", "–", ".", ",", "1,5", "+400 %",
]
finance_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=25).map("".join)
any_text = st.one_of(st.text(), finance_text)
langs = st.sampled_from([None, "auto", "de", "en"])
titles = st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["Kursrakete!", "Quartalszahlen"]))


def _check(assessment: Assessment) -> None:
    assert isinstance(assessment, Assessment)
    assert isinstance(assessment.risk, int) and 0 <= assessment.risk <= 100
    assert 0.0 <= assessment.probability <= 1.0
    assert assessment.band in ("low", "elevated", "high")
    assert assessment.language in ("de", "en")
    text = assessment.text
    assert isinstance(text, str) and text
    for f in assessment.findings:
        assert 0 <= f.start < f.end <= len(text), f
        assert text[f.start : f.end] == f.text, f
        assert 0.0 <= f.confidence <= 1.0
    for value in assessment.categories.values():
        assert 0.0 <= value <= 1.0


def _score_or_empty(detector, text, **kwargs):
    try:
        return detector.score(text, **kwargs)
    except InputError as exc:
        # only when nothing scorable is left after normalisation
        assert exc.code == "E003", str(exc)
        title = kwargs.get("title")
        assert normalize_text(text) == "" or kwargs.get("html"), repr(text)
        assert not (title and normalize_text(title)), repr(title)
        return None


@SETTINGS
@given(text=any_text, lang=langs, title=titles, html=st.booleans())
@example(text="", lang=None, title=None, html=False)
@example(text=" \n\t\u200b\x00", lang="de", title=None, html=False)
@example(text="Jetzt kaufen!", lang="en", title="Kursrakete!", html=True)
def test_score_any_text(detector, text, lang, title, html):
    first = _score_or_empty(detector, text, lang=lang, title=title, html=html)
    if first is None:
        return
    _check(first)
    # deterministic
    second = detector.score(text, lang=lang, title=title, html=html)
    assert second.to_dict(include_text=True) == first.to_dict(include_text=True)
    # JSON round trip
    data = first.to_dict(include_text=True)
    assert json.loads(json.dumps(data)) == data
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


@SETTINGS
@given(text=st.text(alphabet=st.characters(categories=["Zs", "Cc", "Cf"]), max_size=20))
def test_blank_text_raises_input_error_only(detector, text):
    if normalize_text(text):
        _check(detector.score(text))
        return
    try:
        detector.score(text)
    except InputError as exc:
        assert exc.code == "E003"
    else:
        raise AssertionError(f"{text!r} normalises to nothing but was scored")


# ---------------------------------------------------------------------------- bytes
BOMS = [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE]
any_bytes = st.one_of(
    st.binary(),
    st.tuples(st.sampled_from(BOMS), st.binary()).map(b"".join),
    st.tuples(any_text, st.sampled_from(["utf-8", "cp1252", "utf-16", "utf-16-le", "latin-1", "utf-32"]))
    .map(lambda t: t[0].encode(t[1], "replace")),
)
encodings = st.sampled_from([None, None, "utf-8", "cp1252", "utf-16", "latin-1", "bogus-codec"])


@SETTINGS
@given(data=any_bytes, encoding=encodings)
def test_decode_bytes_returns_or_raises_input_error(data, encoding):
    try:
        text, warnings = decode_bytes(data, "blob", encoding)
    except InputError as exc:
        assert exc.code in ("E004", "E005", "E006"), str(exc)
        assert "blob" in str(exc)
        return
    assert isinstance(text, str)
    assert all(isinstance(w, str) for w in warnings)
    text.encode("utf-8")  # no lone surrogates


@SETTINGS
@given(data=any_bytes, encoding=encodings, max_bytes=st.integers(min_value=1, max_value=80))
def test_read_stream_returns_or_raises_input_error(detector, data, encoding, max_bytes):
    try:
        doc = read_stream(io.BytesIO(data), "<stdin>", encoding, max_bytes=max_bytes)
    except InputError as exc:
        assert exc.code in ("E003", "E004", "E005", "E006"), str(exc)
        return
    assert isinstance(doc, Document)
    assert len(doc.text.encode("utf-8", "surrogatepass")) <= 4 * max_bytes
    # and whatever a loader accepts, the detector scores or rejects as empty
    try:
        assessment = detector.score_document(doc)
    except InputError as exc:
        assert exc.code == "E003", str(exc)
        return
    _check(assessment)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=" \t\u00a0\u2003\u202f\u3000ab\n", max_size=30))
def test_whitespace_runs_fold_to_one_space(text):
    """_SPACES skips single plain spaces; folding must equal replacing every run with one space."""
    import re

    from hypecheck.normalize import _SPACES

    assert _SPACES.sub(" ", text) == re.sub(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", text)


def _reference_normalize(text: str) -> str:
    """normalize_text written the plain way: every rule as one regex over the whole text."""
    import html
    import re
    import unicodedata

    text = re.sub(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});", lambda m: html.unescape(m.group(0)), text)
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]", "", text)
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)
    text = re.sub(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+", " ", text)
    text = re.sub(r" *\n[ \n]*", lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", text)
    return text.strip()


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=" \t\u00a0\u2003\r\n\x0b\u200b\ud800\udc00ab&;#1", max_size=40))
def test_normalize_text_equals_the_plain_reference(text):
    """The fast paths of normalize_text (skipping folds with nothing to fold) change no output."""
    assert normalize_text(text) == _reference_normalize(text), repr(text)


@settings(max_examples=200, deadline=None)
@given(batches=st.lists(st.lists(st.integers(min_value=0, max_value=40), max_size=12), max_size=12),
       limit=st.integers(min_value=3, max_value=60), merge_at=st.integers(min_value=1, max_value=8))
def test_hash_memo_answers_like_a_dict(batches, limit, merge_at):
    """Whatever the merges and restarts, a lookup gives the value remembered since the last restart, or -1."""
    import numpy as np

    from hypecheck.arrays import HashMemo

    memo, reference = HashMemo(limit, merge_at=merge_at), {}
    for batch in batches:
        hashes = np.array([2**63 + 7919 * h for h in batch], dtype=np.uint64)  # big hashes, as spaCy's
        got = memo.lookup(hashes).tolist()
        assert got == [reference.get(h, -1) for h in hashes.tolist()]
        new = {h: h % 5 for h in hashes.tolist() if h not in reference}
        if len(reference) + len(new) > limit:
            reference = {}
        reference.update(new)
        memo.add(new)
        assert len(memo) == len(reference) <= max(limit, len(new))
