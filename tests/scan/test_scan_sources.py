"""Feed and CSV export loaders: item text, identity, encodings, large feeds in chunks, any bytes."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scan_helpers import synthetic_items, write_feed

from hypecheck import Document
from hypecheck.normalize import prepare
from hypecheck.sources import feeds
from hypecheck.sources.exports import expand_exports, iter_export
from hypecheck.types import LoadIssue


def docs_of(path: Path | str, **kw) -> list[Document | LoadIssue]:
    return list(iter_export(str(path), **kw))


def only_docs(items: list) -> list[Document]:
    assert all(isinstance(x, Document) for x in items), [x for x in items if not isinstance(x, Document)]
    return items


# -- RSS 2.0 -------------------------------------------------------------------------------------
def test_rss_item_text_prefers_content_encoded_and_keeps_umlauts(fixtures_dir):
    items = docs_of(fixtures_dir / "boersenbrief_de.rss")
    first = items[0]
    assert isinstance(first, Document)
    assert first.title == "Müller Solar: Großauftrag aus Übersee"
    assert first.is_html
    assert "weitere 150 Prozent möglich" in first.text  # from content:encoded, not the short description
    assert "Kurzfassung" not in first.text
    text, title = prepare(first)  # what the detector will see
    assert text.startswith("Müller Solar: Großauftrag aus Übersee\n\nDie Müller Solar AG hat einen Großauftrag")
    assert "<p>" not in text
    assert first.meta["feed"] == "Börsenbrief Süd – Testfeed"
    assert first.meta["published"] == "2025-01-14T07:30:00Z"
    assert first.meta["item"] == 1


def test_rss_escaped_html_and_character_references_decode(fixtures_dir):
    second = docs_of(fixtures_dir / "boersenbrief_de.rss")[1]
    text, _ = prepare(second)
    assert "Prognose für das Wirtschaftswachstum" in text  # &#252; in escaped HTML
    assert "gemäßigten Erholung im Frühjahr" in text
    assert "&lt;" not in text and "<p>" not in text


def test_item_identity_guid_then_link_then_content_hash(fixtures_dir):
    first, second, third, fourth = docs_of(fixtures_dir / "boersenbrief_de.rss")
    # a GUID without ':' is only unique within its feed: scoped by the feed link
    assert first.id == "https://boersenbrief.example/#bb-2025-001"
    assert second.id == "https://boersenbrief.example/artikel/bundesbank-prognose"  # no guid: the link
    assert third.id.startswith("sha256:") and len(third.id) == 7 + 32  # neither: a content hash
    assert fourth.id == "https://boersenbrief.example/#bb-2025-004"
    assert fourth.title is None and not fourth.text.strip()  # the scan turns it into an error row


def test_content_hash_is_stable_and_ignores_markup():
    a = feeds.content_key("Titel", "<p>Gleicher   Text</p>")
    b = feeds.content_key("Titel", "Gleicher Text")
    assert a == b
    assert a != feeds.content_key("Titel", "Anderer Text")


# -- Atom, RSS 1.0, encodings ------------------------------------------------------------------------
def test_atom_content_over_summary(fixtures_dir):
    first, second = only_docs(docs_of(fixtures_dir / "markets_en.atom"))
    assert first.id == "tag:marketnotes.example,2025:1"
    assert "weekly data" in first.text and first.is_html
    assert first.meta["link"] == "https://marketnotes.example/2025/01/banks"
    assert first.meta["published"] == "2025-01-14T11:00:00Z"  # <updated> when there is no <published>
    assert "free report" in second.text


def test_rss10_latin1_umlauts_and_sharp_s(fixtures_dir):
    (doc,) = only_docs(docs_of(fixtures_dir / "wirtschaft_latin1.rdf"))
    assert doc.title == "Außenhandel: Exporte nach Übersee gestiegen"
    assert "außereuropäische" in doc.text and "Größter" in doc.text
    assert doc.id == "https://wirtschaft.example/1"
    assert doc.meta["format"] == "rss10"


@pytest.mark.parametrize("codec", ["utf-16", "cp1252"])
def test_declared_encodings(tmp_path, codec):
    body = "Kursgewinne für Anleger: Größe zählt – über 5 % Plus für die Aktie"
    name = "utf-16" if codec == "utf-16" else "windows-1252"
    xml = (f'<?xml version="1.0" encoding="{name}"?><rss version="2.0"><channel><title>t</title>'
           f"<item><title>Prüfung</title><description>{body}</description></item></channel></rss>")
    path = tmp_path / "enc.xml"
    path.write_bytes(xml.encode(codec))
    (doc,) = only_docs(docs_of(path))
    assert doc.title == "Prüfung"
    assert doc.text == body


def test_gzipped_feed_is_read(tmp_path, fixtures_dir):
    gz = tmp_path / "feed.rss.gz"
    gz.write_bytes(gzip.compress((fixtures_dir / "boersenbrief_de.rss").read_bytes()))
    plain = docs_of(fixtures_dir / "boersenbrief_de.rss")
    zipped = docs_of(gz)
    assert [d.id for d in zipped] == [d.id for d in plain]
    assert [d.text for d in zipped] == [d.text for d in plain]


def test_feed_warning_travels_with_its_items(tmp_path):
    # an undefined HTML entity makes the XML ill-formed; the lenient parser still finds the item
    path = tmp_path / "bozo.xml"
    path.write_text('<rss version="2.0"><channel><title>t</title><item><title>Kurs&nbsp;+5 %</title>'
                    "<description>Die Aktie stieg.</description></item></channel></rss>", encoding="utf-8")
    (doc,) = only_docs(docs_of(path))
    assert doc.warnings and doc.warnings[0].startswith("W006")
    assert "not well-formed" in doc.warnings[0]


# -- CSV exports ------------------------------------------------------------------------------------
def test_csv_export_columns(fixtures_dir):
    items = docs_of(fixtures_dir / "export.csv")
    assert len(items) == 3  # the blank line is not an item
    first = items[0]
    assert first.title == "Ifo-Index: Stimmung hellt sich leicht auf"
    assert "Dienstleister äußerten sich" in first.text
    assert first.id == first.meta["link"] == "https://news.example/ifo-januar"
    assert first.meta["published"] == "2025-01-14T08:00:00Z"
    assert first.meta["format"] == "csv"
    assert items[1].title == 'Zinsen: "Keine schnelle Wende", sagt die EZB'
    assert [d.meta["item"] for d in items] == [1, 2, 3]


def test_csv_semicolons_news_text_and_german_dates(fixtures_dir):
    first, second = only_docs(docs_of(fixtures_dir / "export_semicolon.csv"))
    assert first.title == "Dax schließt fester"
    assert "Autowerte; Anleger" in first.text  # a quoted delimiter stays in the field
    assert first.id == "https://markt.example/#fx-1" or first.id == "export_semicolon.csv#fx-1"
    assert first.meta["published"] == "2025-01-14T17:45:00"
    assert "Jahrhundertchance" in second.text


def test_csv_gzip_and_latin1(tmp_path):
    text = "title,text,url\nÜbernahme geplant,Die Gesellschaft prüft eine Übernahme für 3 Mrd. Euro.,https://x.example/1\n"
    path = tmp_path / "latin.csv.gz"
    path.write_bytes(gzip.compress(text.encode("cp1252")))
    (doc,) = only_docs(docs_of(path))
    assert doc.title == "Übernahme geplant"
    assert "prüft" in doc.text
    assert any(w.startswith("text decoded as") for w in doc.warnings)


def test_csv_picks_the_fullest_text_column(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("title,summary,news_text,link\nT,kurz,Ein deutlich längerer Text über die Aktie.,https://x.example/a\n",
                    encoding="utf-8")
    (doc,) = only_docs(docs_of(path))
    assert doc.text == "Ein deutlich längerer Text über die Aktie."


def test_csv_without_content_hash_collisions(tmp_path):
    path = tmp_path / "nolink.csv"
    path.write_text("title,text\nA,eins\nB,zwei\nA,eins\n", encoding="utf-8")
    ids = [d.id for d in only_docs(docs_of(path))]
    assert ids[0] == ids[2] != ids[1]


# -- finding exports ---------------------------------------------------------------------------------
def test_expand_exports_dirs_globs_and_missing(tmp_path, fixtures_dir):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    write_feed(sub / "one.xml", synthetic_items(0, 1))
    write_feed(tmp_path / "a" / "two.rss.gz", synthetic_items(1, 1), gz=True)
    (tmp_path / "a" / "notes.md").write_text("not an export")
    paths, issues = expand_exports([str(tmp_path / "a"), str(fixtures_dir / "*.csv"), str(tmp_path / "nope.xml"),
                                    str(tmp_path / "a" / "b" / "one.xml")])
    names = [os.path.basename(p) for p in paths]
    assert names == ["two.rss.gz", "one.xml", "export.csv", "export_semicolon.csv"]  # each once, dirs sorted
    assert all(os.path.isabs(p) for p in paths)
    assert len(issues) == 1 and issues[0].code == "E001" and "nope.xml" in issues[0].reason


def test_expand_exports_glob_matching_nothing(tmp_path):
    paths, issues = expand_exports([str(tmp_path / "*.xml")])
    assert paths == [] and "matches no file" in issues[0].reason


# -- large feeds in chunks ----------------------------------------------------------------------------
def _big_feed(path: Path) -> Path:
    items = synthetic_items(0, 120)
    # CDATA and comments holding text that looks like item boundaries must not split items
    items[5]["raw"] = ("<content:encoded><![CDATA[<p>Ein </item> im Text und <item> auch.</p>"
                       + "<p>Langer Absatz über die Aktie. </p>" * 20 + "]]></content:encoded>")
    items[9]["raw"] = "<!-- </item><item> ein Kommentar -->"
    return write_feed(path, items)


def test_chunked_parse_equals_whole_parse(tmp_path, monkeypatch):
    path = _big_feed(tmp_path / "big.xml")
    whole = only_docs(docs_of(path))
    monkeypatch.setattr(feeds, "WHOLE_LIMIT", 2000)  # force chunked parsing
    monkeypatch.setattr(feeds, "CHUNK_ITEMS", 7)
    chunked = only_docs(docs_of(path))
    assert len(whole) == len(chunked) == 120
    assert [(d.id, d.title, d.text, d.meta["item"]) for d in chunked] == [(d.id, d.title, d.text, d.meta["item"]) for d in whole]
    assert chunked[5].text.startswith("<p>Ein ") and "Langer Absatz" in chunked[5].text  # one item, not split


def test_closing_tags_of_a_header():
    assert feeds.closing_tags(b'<?xml version="1.0"?><!-- <x> --><rdf:RDF xmlns:rdf="u"><channel><title>T</title>'
                              b"<items><rdf:Seq><rdf:li rdf:resource='a'/></rdf:Seq></items></channel>") == b"</rdf:RDF>"
    assert feeds.closing_tags(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>') == b"</feed>"


def test_chunked_parse_skips_an_oversized_item(tmp_path, monkeypatch):
    items = synthetic_items(0, 6)
    items[2]["body"] = "<p>" + "Sehr langer Text. " * 2000 + "</p>"
    path = write_feed(tmp_path / "huge_item.xml", items)
    monkeypatch.setattr(feeds, "WHOLE_LIMIT", 1000)
    monkeypatch.setattr(feeds, "MAX_ITEM_BYTES", 5000)
    monkeypatch.setattr(feeds, "CHUNK_ITEMS", 2)
    out = docs_of(path)
    issues = [x for x in out if isinstance(x, LoadIssue)]
    docs = [x for x in out if isinstance(x, Document)]
    assert len(issues) == 1 and issues[0].item == "3" and "larger than" in issues[0].reason
    assert [d.meta["item"] for d in docs] == [1, 2, 4, 5, 6]
    assert [d.id for d in docs] == [f"urn:syn:{i}" for i in (0, 1, 3, 4, 5)]


def test_chunked_parse_of_a_truncated_feed_keeps_what_is_there(tmp_path, monkeypatch):
    path = write_feed(tmp_path / "cut.xml", synthetic_items(0, 40))
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    monkeypatch.setattr(feeds, "WHOLE_LIMIT", 1500)
    monkeypatch.setattr(feeds, "CHUNK_ITEMS", 5)
    docs = [x for x in docs_of(path) if isinstance(x, Document)]
    assert 15 <= len(docs) <= 25
    assert [d.id for d in docs[:10]] == [f"urn:syn:{i}" for i in range(10)]


# -- any bytes: documents or issues, never an exception ------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=400),
    st.builds(lambda head, tail: head + tail, st.sampled_from([
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>',
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><content type='html'>",
        b"\x1f\x8b\x08\x00", b"title,text,link\n", b"\xff\xfe<\x00r\x00", b"<!DOCTYPE r [<!ENTITY a 'x'>]><rss>"]),
        st.binary(max_size=300)),
), suffix=st.sampled_from([".xml", ".csv", ".xml.gz", ".dat"]))
def test_any_bytes_yield_documents_or_issues(tmp_path, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    out = docs_of(path)
    assert out, "every export yields at least one item or one issue"
    for x in out:
        assert isinstance(x, (Document, LoadIssue))
        if isinstance(x, LoadIssue):
            assert x.reason and x.code
        else:
            assert x.id and isinstance(x.meta["item"], int)
    export_level = [x for x in out if isinstance(x, LoadIssue) and x.item is None]
    assert len(export_level) <= 1 and (not export_level or out[-1] is export_level[0])


def test_chunked_parse_accounts_for_a_piece_that_is_no_item(tmp_path, monkeypatch):
    items = synthetic_items(0, 8)
    items[5]["title"] = "DROPME"
    path = write_feed(tmp_path / "odd.xml", items)
    real = feeds.parse_bytes

    def parser_that_loses_one(data):  # stands in for a piece of XML the lenient parser cannot make an item of
        parsed = real(data)
        parsed["entries"] = [e for e in parsed["entries"] if e.get("title") != "DROPME"]
        return parsed

    monkeypatch.setattr(feeds, "parse_bytes", parser_that_loses_one)
    monkeypatch.setattr(feeds, "WHOLE_LIMIT", 500)
    monkeypatch.setattr(feeds, "CHUNK_ITEMS", 4)
    out = docs_of(path)
    numbers = [x.meta["item"] if isinstance(x, Document) else int(x.item) for x in out]
    assert numbers == list(range(1, 9))  # every piece of XML has a number, none twice
    (issue,) = [x for x in out if isinstance(x, LoadIssue)]
    assert issue.item == "6" and "could not be parsed" in issue.reason
    assert [d.id for d in out if isinstance(d, Document)] == [f"urn:syn:{i}" for i in (0, 1, 2, 3, 4, 6, 7)]
