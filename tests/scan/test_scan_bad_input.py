"""Bad input never ends a scan: each broken export or item gets a clear error row, the rest is scanned."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest
from scan_helpers import assert_accounted, synthetic_items, write_feed

from hypecheck.sources import feeds
from hypecheck.sources.exports import iter_export
from hypecheck.types import Document, LoadIssue


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity-expansion bomb: ten levels of ten references, 10**9 'lol's if expanded."""
    decls = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels):
        decls.append(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">')
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(decls) + "\n]>\n"
            '<rss version="2.0"><channel><title>Bombe</title><item><title>Knall</title>'
            f"<description>&lol{levels - 1};</description></item></channel></rss>").encode()


def quadratic_blowup(size: int = 50_000, refs: int = 50_000) -> bytes:
    """One large entity referenced many times: no nesting, but gigabytes when expanded."""
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "' + "a" * size + '">]>\n'
            '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
            "<description>" + "&a;" * refs + "</description></item></channel></rss>").encode()


@pytest.fixture
def good_feed(tmp_path: Path) -> Path:
    return write_feed(tmp_path / "good.xml", synthetic_items(0, 5))


def export_rows(rows: list[dict], name: str) -> list[dict]:
    return [r for r in rows if r["export"].endswith(name)]


def test_billion_laughs_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_bytes(billion_laughs())
    tracemalloc.start()
    try:
        out = list(iter_export(str(path)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"peak {peak:,} bytes while refusing a {path.stat().st_size}-byte bomb"
    (issue,) = out
    assert isinstance(issue, LoadIssue) and issue.item is None and issue.code == "E040"
    assert "bomb.xml" in issue.reason and "billion laughs" in issue.reason


def test_quadratic_blowup_is_refused(tmp_path):
    path = tmp_path / "quad.xml"
    path.write_bytes(quadratic_blowup())
    tracemalloc.start()
    try:
        (issue,) = list(iter_export(str(path)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(issue, LoadIssue) and "quadratic blowup" in issue.reason
    assert peak < 40_000_000


def test_harmless_entity_declarations_still_work(tmp_path):
    path = tmp_path / "ents.xml"
    path.write_bytes(b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY firma "M\xc3\xbcller AG"><!ENTITY nbsp "&#160;">]>'
                     b'<rss version="2.0"><channel><title>t</title><item><title>&firma; w\xc3\xa4chst</title>'
                     b"<description>Die &firma;&nbsp;meldet Zahlen.</description></item></channel></rss>")
    (doc,) = list(iter_export(str(path)))
    assert isinstance(doc, Document)
    assert doc.title == "Müller AG wächst"


def test_entity_bomb_inside_a_large_chunked_feed(tmp_path, monkeypatch):
    data = billion_laughs().replace(b"</channel>", b"".join(
        f"<item><title>n{i}</title><description>Text {i}</description></item>".encode() for i in range(50)) + b"</channel>")
    path = tmp_path / "bigbomb.xml"
    path.write_bytes(data)
    monkeypatch.setattr(feeds, "WHOLE_LIMIT", 500)
    out = list(iter_export(str(path)))
    assert len(out) == 1 and isinstance(out[0], LoadIssue) and "billion laughs" in out[0].reason


@pytest.mark.parametrize("name, content, expect", [
    ("empty.xml", b"", "the file is empty"),
    ("blank.rss", b"  \n\t\n", "the file is empty"),
    ("noitems.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>Leer</title></channel></rss>',
     "the rss20 feed has no items"),
    ("page.xml", b"<html><body><p>Keine Feeds hier</p></body></html>", "not an RSS or Atom feed"),
    ("notes.xml", b"Dies ist eine Notiz, kein Feed.\n", "not XML and not a CSV export"),
    ("image.xml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary data"),
    ("fake.xml.gz", b'<?xml version="1.0"?><rss version="2.0"></rss>', "not gzip data"),
    ("truncated.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>Abgeb', "has no items"),
    ("nocolumns.csv", b"a,b,c\n1,2,3\n", "no title or text column"),
    ("headeronly.csv", b"title,summary,link\n", "header but no rows"),
    ("binary.csv", b"title,text\n\x00\x01\x02\x03", "binary file"),
])
def test_unreadable_export_gets_one_error_row_and_the_scan_goes_on(tmp_path, scan, good_feed, name, content, expect):
    bad = tmp_path / name
    bad.write_bytes(content)
    summary, rows = scan([bad, good_feed])
    assert_accounted(summary, rows)
    (row,) = export_rows(rows, name)
    assert row["status"] == "error" and row["item"] == 0 and row["code"] == "E040"
    assert name in row["error"] and expect in row["error"]
    assert len(export_rows(rows, "good.xml")) == 5  # the other export was scanned
    assert summary.exit_code == 2
    assert [s.label for s in summary.unreadable] == [s.label for s in summary.exports.values() if s.export.endswith(name)]
    assert name in summary.to_text()


def test_truncated_gzip_keeps_the_items_before_the_break(tmp_path, scan):
    path = write_feed(tmp_path / "big.xml", synthetic_items(0, 60))
    data = gzip.compress(path.read_bytes())
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    summary, rows = scan([cut])
    assert_accounted(summary, rows)
    export_level = [r for r in rows if r["item"] == 0]
    items = [r for r in rows if r["item"]]
    assert len(export_level) == 1 and "truncated" in export_level[0]["error"]
    assert items and all(r["status"] == "scored" for r in items)
    assert summary.exit_code == 2


def test_truncated_xml_with_items_is_scored_with_a_warning(tmp_path, scan):
    path = write_feed(tmp_path / "t.xml", synthetic_items(0, 10))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    summary, rows = scan([path])
    assert_accounted(summary, rows)
    assert rows and all(r["status"] == "scored" for r in rows)
    assert any(w.startswith("W006") for w in rows[0]["warnings"])
    assert summary.exit_code == 0
    assert "W006" in summary.to_text()


def test_item_without_text_is_an_error_row(fixtures_dir, scan):
    summary, rows = scan([fixtures_dir / "boersenbrief_de.rss"])
    assert_accounted(summary, rows)
    assert [r["status"] for r in rows] == ["scored", "scored", "scored", "error"]
    err = rows[3]
    assert err["code"] == "E003" and "no title and no text" in err["error"] and err["key"]
    assert summary.exit_code == 0  # item errors alone do not fail the scan


def test_missing_export_is_an_error_row(tmp_path, scan, good_feed):
    summary, rows = scan([tmp_path / "gibt-es-nicht.xml", good_feed])
    assert_accounted(summary, rows)
    assert rows[0]["status"] == "error" and "file not found" in rows[0]["error"] and rows[0]["code"] == "E001"
    assert summary.exit_code == 2


def test_strict_stops_at_the_first_error(tmp_path, scan, good_feed):
    bad = tmp_path / "a_empty.xml"
    bad.write_bytes(b"")
    summary, rows = scan([bad, good_feed], strict=True)
    assert len(rows) == 1 and rows[0]["status"] == "error"
    assert summary.stopped_early and "a_empty.xml" in summary.stopped_early
    assert summary.exit_code == 2


def test_a_scoring_failure_is_an_error_row(tmp_path, scan, good_feed, monkeypatch):
    from hypecheck.detector import Detector

    real = Detector._prepare

    def flaky(self, document, lang):  # fails inside a batch: the other items of the batch are scored
        if document.meta.get("item") == 2:
            raise RuntimeError("kaputt")
        return real(self, document, lang)

    monkeypatch.setattr(Detector, "_prepare", flaky)
    summary, rows = scan([good_feed])
    assert_accounted(summary, rows)
    assert [r["status"] for r in rows] == ["scored", "error", "scored", "scored", "scored"]
    assert rows[1]["code"] == "E099" and "RuntimeError: kaputt" in rows[1]["error"]


def test_gzip_bomb_is_read_with_bounded_memory(tmp_path):
    """50 MB of markup without items, gzipped to a few kB: refused without holding it all."""
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')]
    block = b"x" * (1 << 20)
    parts += [comp.compress(block) for _ in range(50)]
    parts.append(comp.flush())
    path = tmp_path / "bomb.xml.gz"
    path.write_bytes(b"".join(parts))
    tracemalloc.start()
    try:
        out = list(iter_export(str(path)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(out) == 1 and isinstance(out[0], LoadIssue) and "no <item> or <entry>" in out[0].reason
    assert peak < 60_000_000, f"peak {peak:,} bytes"
