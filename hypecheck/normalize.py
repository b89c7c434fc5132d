"""Layer 2, normalise: HTML to text, Unicode NFC, whitespace, and language identification.

All finding offsets refer to the text this module returns.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from hypecheck.types import Document

SUPPORTED_LANGUAGES = ("de", "en")

_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody td th thead tr ul".split()
)
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
#: Lone surrogates (from text decoded with ``surrogateescape``, or built in code): no encoding can
#: write them, so the tokenizer cannot hash them; they become U+FFFD.
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]")
#: Runs of horizontal white space that are not already a single plain space (those need no rewrite).
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
#: White space other than the plain space: where none of it and no double space occurs, _SPACES finds nothing.
_ODD_SPACE = re.compile(r"[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")
#: A line break and the spaces and line breaks after it (a regex starting with a literal is a fast scan).
_NEWLINES = re.compile(r"\n[ \n]*")
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_WORD = re.compile(r"[^\W\d_]+")


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Convert HTML to plain text with paragraph breaks; return ``(text, title)``.

    >>> html_to_text("<p>Die <b>Kurs</b>rakete</p><p>Zweiter Absatz</p>")[0]
    'Die Kursrakete\\nZweiter Absatz'
    """
    from selectolax.lexbor import LexborHTMLParser  # fast lexbor parser; tolerant of broken markup

    tree = LexborHTMLParser(markup)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node is not None else None
    root = tree.body or tree.root
    if root is None:
        return "", title
    for drop in _DROP_TAGS:
        for node in root.css(drop):
            node.decompose()
    parts: list[str] = []
    for node in root.traverse(include_text=True):
        tag = node.tag
        if tag == "-text":
            parts.append(node.text_content or "")
        elif tag in _BLOCK_TAGS:
            parts.append("\n")
    return "".join(parts).strip(), title or None


def normalize_text(text: str) -> str:
    """Unicode NFC, leftover HTML entities decoded, control characters dropped, whitespace folded.

    >>> normalize_text("Kurs&nbsp;+5&#8201;%\\r\\n\\r\\n\\r\\nEnde")
    'Kurs +5 %\\n\\nEnde'
    """
    if "&" in text:
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if "  " in text or _ODD_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    # Now no two spaces follow each other, so the spaces before a line break are one space at most.
    text = text.replace(" \n", "\n")
    text = _NEWLINES.sub(lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", text)
    return text.strip()


@lru_cache(maxsize=1)
def _stop_words() -> dict[str, frozenset[str]]:
    from spacy.lang.de.stop_words import STOP_WORDS as DE
    from spacy.lang.en.stop_words import STOP_WORDS as EN

    de, en = frozenset(DE), frozenset(EN)
    # Words in both lists say nothing about the language.
    return {"de": de - en, "en": en - de}


def detect_language(text: str, sample: int = 4000) -> tuple[str, float]:
    """Return ``(lang, confidence)`` for German or English text by stop-word share.

    Two languages, short news texts and no model download: a stop-word vote
    over spaCy's own lists is faster and steadier here than a general
    language-id library. ``confidence`` is the winner's share of the votes.

    >>> detect_language("Die Aktie ist in der Woche gestiegen und der Umsatz auch")[0]
    'de'
    """
    lists = _stop_words()
    words = [w.lower() for w in _WORD.findall(text[:sample])]
    de = sum(1 for w in words if w in lists["de"])
    en = sum(1 for w in words if w in lists["en"])
    if de + en == 0:
        umlaut = any(c in text[:sample] for c in "äöüßÄÖÜ")
        return ("de", 0.0) if umlaut or not words else ("en", 0.0)
    return ("de", de / (de + en)) if de >= en else ("en", en / (de + en))


def prepare(doc: Document) -> tuple[str, str | None]:
    """Return the normalised text to score (title first, then body) and the title."""
    body, title = doc.text, doc.title
    if doc.is_html:
        body, html_title = html_to_text(body)
        title = title or html_title
    body = normalize_text(body)
    title = normalize_text(title) if title else None
    if title and not body.startswith(title):
        return f"{title}\n\n{body}" if body else title, title
    return body, title
