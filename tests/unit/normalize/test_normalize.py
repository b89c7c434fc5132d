"""Layer 2, normalize: HTML to text, Unicode NFC, whitespace folding, language identification."""

from __future__ import annotations

import unicodedata

import pytest

from hypecheck import Document
from hypecheck.normalize import detect_language, html_to_text, normalize_text, prepare

PAGE = """<!DOCTYPE html>
<html><head><title>Kurs &amp; Ziel</title>
<style>p { color: red; }</style>
<script>var kaufen = "JETZT KAUFEN";</script>
</head>
<body>
<h1>Quartalszahlen</h1>
<p>Die Aktie stieg um <b>3&nbsp;Prozent</b>.</p>
<script type="text/javascript">document.write("Kursrakete!");</script>
<noscript>Bitte JavaScript aktivieren</noscript>
<p>Der Umsatz wuchs &uuml;ber Plan &ndash; sagte der Vorstand.<br>Neue Zeile.</p>
</body></html>"""


# ---------------------------------------------------------------------------- HTML
def test_html_paragraphs_become_lines():
    text, _ = html_to_text(PAGE)
    lines = [line for line in normalize_text(text).split("\n") if line]
    assert lines == [
        "Quartalszahlen",
        "Die Aktie stieg um 3 Prozent.",
        "Der Umsatz wuchs über Plan – sagte der Vorstand.",
        "Neue Zeile.",
    ]


def test_html_drops_script_style_and_noscript():
    text, _ = html_to_text(PAGE)
    for dropped in ("JETZT KAUFEN", "Kursrakete", "color: red", "JavaScript", "document.write"):
        assert dropped not in text


def test_html_title_is_extracted_and_unescaped():
    _, title = html_to_text(PAGE)
    assert title == "Kurs & Ziel"


def test_html_inline_tags_do_not_split_words():
    text, _ = html_to_text("<p>Die <b>Kurs</b>rakete</p><p>Zweiter Absatz</p>")
    assert text == "Die Kursrakete\nZweiter Absatz"


def test_broken_html_is_tolerated():
    text, title = html_to_text("<p>Unclosed <b>bold <div>more</p></span>")
    assert "Unclosed bold" in text and "more" in text
    assert title is None


@pytest.mark.parametrize("markup", ["", "<html></html>", "<script>x()</script>"])
def test_html_without_text_gives_empty_text(markup):
    text, _ = html_to_text(markup)
    assert normalize_text(text) == ""


# ---------------------------------------------------------------------------- text
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kurs&nbsp;+5&#8201;%", "Kurs +5 %"),
        ("AT&amp;T &uuml;ber &#x20AC;", "AT&T über €"),
        ("Fish & Chips &unknownentity; &", "Fish & Chips &unknownentity; &"),
        ("a\u0308", "ä"),  # decomposed umlaut -> NFC
        ("e\u0301tude", "étude"),
        ("Zeile\r\nZweite\rDritte", "Zeile\nZweite\nDritte"),
        ("eins\n\n\n\n\nzwei", "eins\n\nzwei"),
        ("  viel   \t Platz  ", "viel Platz"),
        ("Null\x00Byte\u200bund\ufeffBOM", "NullByteundBOM"),
        ("Zeile  \n   weiter", "Zeile\nweiter"),
        ("\u00a0\u2009schmal\u202fes Leerzeichen\u3000", "schmal es Leerzeichen"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_is_idempotent_and_nfc():
    raw = "  Gro\u0308\u00dfe  Kursrakete&nbsp;!\r\n\r\n\r\nEnde  "
    once = normalize_text(raw)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)


# ---------------------------------------------------------------------------- language
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Die Aktie ist in der Woche gestiegen und der Umsatz auch.", "de"),
        ("Der Konzern teilte am Montag mit, dass er mehr investieren wird als bisher.", "de"),
        ("The company said on Monday that its revenue rose and the shares were higher.", "en"),
        ("Shares of the miner jumped after it reported a record quarter.", "en"),
    ],
)
def test_detect_language(text, lang):
    found, confidence = detect_language(text)
    assert found == lang
    assert confidence >= 0.6


@pytest.mark.parametrize(("text", "lang"), [("Größe", "de"), ("12345 %", "de"), ("Nvidia", "en")])
def test_detect_language_without_stop_words_is_uncertain(text, lang):
    found, confidence = detect_language(text)
    assert (found, confidence) == (lang, 0.0)


# ---------------------------------------------------------------------------- prepare
def test_prepare_puts_title_first():
    assert prepare(Document(text="Body text.", title="Titel")) == ("Titel\n\nBody text.", "Titel")


def test_prepare_does_not_repeat_a_title_the_body_starts_with():
    assert prepare(Document(text="Titel\n\nBody text.", title="Titel")) == ("Titel\n\nBody text.", "Titel")


def test_prepare_html_uses_the_html_title():
    doc = Document(text="<html><head><title>Der Titel</title></head><body><p>Text hier</p></body></html>", is_html=True)
    assert prepare(doc) == ("Der Titel\n\nText hier", "Der Titel")


def test_prepare_leaves_plain_text_markup_alone():
    doc = Document(text="Kurs < 5 Euro <b>nicht</b> HTML")
    assert prepare(doc) == ("Kurs < 5 Euro <b>nicht</b> HTML", None)


def test_lone_surrogates_become_replacement_characters(detector):
    """A str built in code (or decoded with surrogateescape) may hold lone surrogates, which no
    encoding can write: the tokenizer would fail on them, so normalisation replaces them."""
    assert normalize_text("Kurs \ud800 +5 %\udcff") == "Kurs \ufffd +5 %\ufffd"
    assessment = detector.score("Jetzt kaufen \ud800! Bis Jahresende sind weitere 150 Prozent möglich.", lang="de")
    assert assessment.band == "high" and "\ufffd" in (assessment.text or "")
