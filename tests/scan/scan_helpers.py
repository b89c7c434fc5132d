"""Helpers of the scanner tests: a synthetic feed writer, row reading and the accounting check.

Imported by the tests of this folder (``from scan_helpers import ...``); the
texts are templates written for these tests.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parent / "fixtures"

SOBER_DE = [
    "Der Umsatz von {name} stieg im dritten Quartal um {n} Prozent, teilte das Unternehmen mit.",
    "Analysten der Commerzbank sehen das Kursziel bei {n} Euro und stufen {name} mit Halten ein.",
    "Die Aktie von {name} schloss am Freitag {n} Cent tiefer; der Dax gab leicht nach.",
]
HYPE_DE = [
    "Bis Jahresende sind bei {name} weitere {n}0 Prozent möglich! Jetzt kaufen, bevor es alle merken.",
    "{name} ist der Geheimtipp des Jahres: eine Kursrakete, die noch unter dem Radar fliegt.",
]
SOBER_EN = [
    "{name} reported revenue up {n}% in the quarter, the company said in a filing.",
    "Analysts at Jefferies cut their price target on {name} to ${n}, citing weaker demand.",
]
HYPE_EN = [
    "{name} could soar {n}00% - act now, before it's too late! The ticker is in our free report.",
]


def item_text(i: int) -> tuple[str, str]:
    """A deterministic (title, body) for synthetic item ``i``; about one in five is promotional."""
    name = f"Beispiel {i % 97} AG" if i % 2 else f"Example Corp {i % 89}"
    german = i % 2 == 1
    sober, hype = (SOBER_DE, HYPE_DE) if german else (SOBER_EN, HYPE_EN)
    sentences = [sober[(i + k) % len(sober)].format(name=name, n=(i * 7 + k) % 90 + 2) for k in range(3)]
    if i % 5 == 0:
        sentences.append(hype[i % len(hype)].format(name=name, n=i % 9 + 1))
    title = f"{name}: Meldung Nr. {i}" if german else f"{name}: note no. {i}"
    return title, " ".join(sentences)


def rss_feed(items: list[dict[str, Any]], title: str = "Synthetic feed", link: str = "https://synthetic.example/") -> str:
    """An RSS 2.0 document; each item dict may have title, body (HTML allowed), guid, link, date."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>',
             '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
             f"<title>{escape(title)}</title><link>{escape(link)}</link><description>test</description>"]
    for it in items:
        parts.append("<item>")
        if it.get("title") is not None:
            parts.append(f"<title>{escape(it['title'])}</title>")
        if it.get("guid"):
            parts.append(f'<guid isPermaLink="false">{escape(it["guid"])}</guid>')
        if it.get("link"):
            parts.append(f"<link>{escape(it['link'])}</link>")
        if it.get("date"):
            parts.append(f"<pubDate>{it['date']}</pubDate>")
        if it.get("body") is not None:
            parts.append(f"<description>{escape(it['body'])}</description>")
        if it.get("raw"):
            parts.append(it["raw"])
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def synthetic_items(start: int, count: int, guid_prefix: str = "syn") -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + count):
        title, body = item_text(i)
        out.append({"title": title, "body": f"<p>{body}</p>", "guid": f"urn:{guid_prefix}:{i}",
                    "link": f"https://synthetic.example/{guid_prefix}/{i}", "date": "Tue, 14 Jan 2025 08:30:00 +0100"})
    return out


def write_feed(path: Path, items: list[dict[str, Any]], gz: bool = False, **kw: Any) -> Path:
    data = rss_feed(items, **kw).encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def assert_accounted(summary: Any, rows: list[dict[str, Any]]) -> None:
    """Every row once per (export, item); the summary's arithmetic matches the rows."""
    refs = [(r["export"], r["item"]) for r in rows]
    assert len(refs) == len(set(refs)), "an item has more than one row"
    statuses = [r["status"] for r in rows]
    assert summary.read == len(rows)
    assert summary.read == summary.scored + summary.duplicates + summary.errors
    assert summary.scored == statuses.count("scored")
    assert summary.duplicates == statuses.count("duplicate")
    assert summary.errors == statuses.count("error")
