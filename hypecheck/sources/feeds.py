"""Layer 1, input: RSS 0.9x/1.0/2.0 and Atom feeds -> a stream of Documents and LoadIssues.

feedparser does the parsing (it survives malformed feeds, recovering what a
lenient parser can and flagging ``bozo``), but it only ever sees bytes we read
ourselves, in a ``BytesIO``: no URL or path string reaches it, so there is no
hidden I/O. Three guards sit in front of it:

* an entity check refuses documents whose DTD declares nested entities (the
  "billion laughs" attack) or entities that would expand to far more text than
  the file holds ("quadratic blowup");
* documents up to :data:`WHOLE_LIMIT` bytes are parsed in one piece; larger
  ones are cut at item boundaries and parsed :data:`CHUNK_ITEMS` items at a
  time under the feed's own header, so memory stays bounded however large
  the file is;
* each item is turned into a :class:`~hypecheck.types.Document` carrying its
  identity (GUID/id, else link, else a content hash) in ``Document.id`` and
  where it came from in ``Document.meta``.

HTML in item bodies is left as HTML (``Document.is_html``): the normalise
layer turns it into text for the detector.
"""

from __future__ import annotations

import hashlib
import html
import io
import logging
import re
import time
from typing import Any, BinaryIO, Iterator, Mapping

from hypecheck.errors import message
from hypecheck.types import Document, LoadIssue

log = logging.getLogger(__name__)

#: Bytes of feed XML parsed in one piece; larger feeds are parsed in chunks of items.
WHOLE_LIMIT = 8_000_000
#: Items per piece when a large feed is parsed in chunks.
CHUNK_ITEMS = 256
#: An item larger than this (in bytes of XML) is reported as an error and skipped.
MAX_ITEM_BYTES = 8_000_000
#: At most this many bytes of a document's prolog (before the root element) are accepted.
MAX_PROLOG_BYTES = 1_000_000

#: Messages of this module (code -> template); export-level failures use errors.Messages.E040.
W_NOT_WELL_FORMED = "W006 {export}: feed is not well-formed XML ({detail}); items recovered by a lenient parser"
W_ENCODING = "W007 {export}: {detail}"
E_ITEM_TOO_LARGE = "item is larger than {limit:,} bytes of XML; skipped"
E_ITEM_UNPARSABLE = "the XML of this item could not be parsed, even leniently; skipped"

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_TAGS = re.compile(r"<[^>]{0,2000}>")
_WS = re.compile(r"\s+")

# -- entity-expansion guard ---------------------------------------------------------------
_ENTITY_DECL = re.compile(r"""<!ENTITY\s+(%\s+)?([\w.:-]+)\s+(?:"([^"]*)"|'([^']*)'|(SYSTEM|PUBLIC)\b[^>]*)\s*>""", re.S)
_NAMED_REF = re.compile(r"[&%][A-Za-z_][\w.:-]*;")
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_DOCTYPE_START = re.compile(rb"<!DOCTYPE", re.I)


class FeedError(Exception):
    """A whole feed cannot be read; ``detail`` says why (turned into a LoadIssue, never raised to callers)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _utf16_or_32(data: bytes) -> str | None:
    """The codec of a UTF-16/32 document (by BOM or NUL pattern), else None."""
    head = data[:4]
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head == b"\x00\x00\x00<":
        return "utf-32-be"
    if head == b"<\x00\x00\x00":
        return "utf-32-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    return None


def _prolog(data: bytes) -> str:
    """The text before the root element (XML declaration, comments, DOCTYPE), decoded loosely."""
    wide = _utf16_or_32(data)
    if wide:
        sample = data[: 4 * MAX_PROLOG_BYTES].decode(wide, errors="ignore")
        first = re.search(r"<[A-Za-z_]", sample)
        return sample[: first.start()] if first else sample
    doctype = _DOCTYPE_START.search(data, 0, MAX_PROLOG_BYTES)
    if doctype is None:
        return ""
    # The root element starts after the DOCTYPE (whose internal subset may contain '<!ENTITY', not '<x').
    m = _FIRST_ELEMENT.search(data, doctype.end())
    end = m.start() if m else len(data)
    if end > MAX_PROLOG_BYTES:
        raise FeedError(f"the DOCTYPE declaration is larger than {MAX_PROLOG_BYTES:,} bytes; refused")
    return data[:end].decode("latin-1")


def check_entities(data: bytes) -> None:
    """Refuse XML whose DTD could make a parser expand entities without bound.

    Raises
    ------
    FeedError
        For nested entity declarations ("billion laughs"), more than 64
        declarations, or entities whose references would expand to more than
        1 MB plus four times the document ("quadratic blowup").

    Examples
    --------
    >>> try:
    ...     check_entities(b'<!DOCTYPE r [<!ENTITY a "x"><!ENTITY b "&a;&a;">]><r>&b;</r>')
    ... except FeedError as exc:
    ...     print(exc.detail.split(",")[0])
    the DTD declares nested entities (b -> &a;)
    >>> check_entities(b'<!DOCTYPE r [<!ENTITY firma "M&#252;ller AG">]><r>&firma;</r>')  # harmless: passes
    """
    prolog = _prolog(data)
    if "<!ENTITY" not in prolog:
        return
    decls = _ENTITY_DECL.findall(prolog)
    if len(decls) > 64:
        raise FeedError(f"the DTD declares {len(decls)} entities; more than 64 refused as a possible entity-expansion attack")
    expansion = 0
    for _percent, name, v1, v2, _external in decls:
        value = v1 or v2
        nested = _NAMED_REF.search(value)
        if nested:
            raise FeedError(f"the DTD declares nested entities ({name} -> {nested.group(0)}), "
                            "an XML entity-expansion ('billion laughs') attack; refused")
        if value:
            expansion += len(value) * data.count(f"&{name};".encode("ascii", "ignore"))
    if expansion > 1_000_000 + 4 * len(data):
        raise FeedError(f"the DTD's entities would expand to {expansion:,} characters from a {len(data):,}-byte file "
                        "(a 'quadratic blowup' entity attack); refused")


# -- parsing -----------------------------------------------------------------------------------
def parse_bytes(data: bytes) -> Any:
    """Parse feed bytes with feedparser, after the entity check; never given a URL or path."""
    import feedparser

    check_entities(data)
    # application/xml makes feedparser follow the XML rules (declaration, BOM, UTF-8 default);
    # without a content type it would fall back to Latin-1 guesses and flag every file.
    return feedparser.parse(io.BytesIO(data), response_headers={"content-type": "application/xml"},
                            resolve_relative_uris=False, sanitize_html=True)


def _bozo_warning(parsed: Any, export: str) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    name = type(exc).__name__
    if name == "CharacterEncodingOverride":
        return W_ENCODING.format(export=export, detail=str(exc))
    if name in ("NonXMLContentType",):
        return None
    detail = str(exc).replace("<unknown>:", "line ") if exc is not None else "unknown problem"
    return W_NOT_WELL_FORMED.format(export=export, detail=detail)


def strip_tags(text: str) -> str:
    """Crude tag strip and whitespace fold, for identity hashing and emptiness checks only."""
    return _WS.sub(" ", html.unescape(_TAGS.sub(" ", text))).strip()


def content_key(title: str, text: str) -> str:
    """A stable key from an item's visible text, for items with neither id nor link."""
    basis = f"{strip_tags(title)}\n{strip_tags(text)}".lower()
    return "sha256:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32]


def item_key(guid: str | None, link: str | None, title: str, text: str, scope: str) -> str:
    """The identity of an item: its GUID/id, else its link, else a content hash.

    GUIDs and links without a ``:`` (``"12345"``, ``"swr.de/podcast/1"``) are
    only unique within their feed, so they are prefixed with ``scope`` (the
    feed's link or title, else the export's name).

    >>> item_key("12345", None, "t", "x", "https://example.com/feed")
    'https://example.com/feed#12345'
    >>> item_key(None, "https://example.com/a", "t", "x", "s")
    'https://example.com/a'
    """
    for value in (guid, link):
        value = (value or "").strip()
        if value:
            return value if ":" in value else f"{scope}#{value}"
    return content_key(title, text)


def _iso(parsed_time: Any) -> str | None:
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed_time) if parsed_time else None
    except (TypeError, ValueError):
        return None


def _item_body(entry: Mapping[str, Any]) -> tuple[str, bool]:
    """The fullest body an item carries (content:encoded over description/summary) and whether it is HTML."""
    candidates: list[tuple[str, str]] = []
    for content in entry.get("content") or ():
        candidates.append((content.get("value") or "", content.get("type") or "text/html"))
    summary = entry.get("summary")
    if summary:
        candidates.append((summary, (entry.get("summary_detail") or {}).get("type") or "text/html"))
    best, best_len, best_type = "", -1, "text/plain"
    for value, ctype in candidates:  # content comes first and wins ties
        length = len(strip_tags(value)) if ctype in _HTML_TYPES else len(value.strip())
        if length > best_len:
            best, best_len, best_type = value, length, ctype
    return best, best_type in _HTML_TYPES


def _item_title(entry: Mapping[str, Any]) -> str:
    title = entry.get("title") or ""
    if (entry.get("title_detail") or {}).get("type") in _HTML_TYPES and "<" in title:
        title = strip_tags(title)
    return title.strip()


class _FeedContext:
    """What every item of one feed shares: its name, scope for keys and warnings."""

    def __init__(self, export: str, parsed: Any, label: str) -> None:
        feed = parsed.get("feed") or {}
        self.export = export
        self.label = label
        self.title = (feed.get("title") or "").strip() or None
        self.scope = (feed.get("link") or "").strip() or self.title or label
        self.version = parsed.get("version") or ""
        warning = _bozo_warning(parsed, label)
        self.warnings: tuple[str, ...] = (warning,) if warning else ()
        if warning:
            log.warning("%s", warning)


def _documents(parsed: Any, ctx: _FeedContext, first_number: int) -> Iterator[Document]:
    for offset, entry in enumerate(parsed.get("entries") or ()):
        number = first_number + offset
        title = _item_title(entry)
        body, is_html = _item_body(entry)
        guid, link = entry.get("id"), entry.get("link")
        key = item_key(guid, link, title, body, ctx.scope)
        published = (_iso(entry.get("published_parsed") or entry.get("updated_parsed"))
                     or entry.get("published") or entry.get("updated"))
        meta = {"export": ctx.export, "item": number, "key": key, "link": link or None, "published": published or None,
                "feed": ctx.title, "format": ctx.version or "feed"}
        yield Document(text=body, title=title or None, source=ctx.label, id=key, meta=meta, warnings=ctx.warnings,
                       is_html=is_html)


def _export_issue(export: str, label: str, detail: str) -> LoadIssue:
    return LoadIssue(source=export, reason=message("E040", source=label, detail=detail), item=None, code="E040")


def iter_feed(stream: BinaryIO, export: str, label: str | None = None) -> Iterator[Document | LoadIssue]:
    """Yield one Document per item of the RSS/Atom feed read from ``stream``.

    Parameters
    ----------
    stream : binary file object
        The (already decompressed) feed bytes.
    export : str
        The export's identity, copied into ``Document.meta["export"]``.
    label : str
        The name used in messages and ``Document.source`` (default: ``export``).

    Yields
    ------
    Document or LoadIssue
        Items are numbered from 1 in ``meta["item"]``. A LoadIssue with
        ``item=None`` (code E040) means the feed as a whole could not be
        read; it is always the last thing yielded.
    """
    label = label or export
    head, error = _read_head(stream, WHOLE_LIMIT + 1)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        yield _export_issue(export, label, error or "the file is empty")
        return
    try:
        if len(head) <= WHOLE_LIMIT or error:
            yield from _iter_whole(head, export, label)
        else:
            yield from _iter_chunked(head, stream, export, label)
    except FeedError as exc:
        yield _export_issue(export, label, f"{error}; {exc.detail}" if error else exc.detail)
        return
    if error:  # the items before the break were read; say that the rest is lost
        yield _export_issue(export, label, f"{error}; the items after the break are missing")


def _read_head(stream: BinaryIO, limit: int) -> tuple[bytes, str | None]:
    """Up to about ``limit`` bytes, and the read error that stopped short (everything before it is kept)."""
    read = getattr(stream, "read1", stream.read)
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        try:
            chunk = read(min(1 << 16, limit - size))
        except (OSError, EOFError) as exc:
            return b"".join(chunks), str(exc) or type(exc).__name__
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), None


def _no_items_detail(parsed: Any) -> str:
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.get("version") and not (parsed.get("feed") or {}):
        why = "no RSS or Atom feed found"
    elif not parsed.get("version"):
        why = "the XML is not an RSS or Atom feed"
    else:
        why = f"the {parsed.get('version')} feed has no items"
    if exc is not None and type(exc).__name__ not in ("NonXMLContentType",):
        why += f"; the XML parser said: {str(exc).replace('<unknown>:', 'line ')}"
    return why


def _iter_whole(data: bytes, export: str, label: str) -> Iterator[Document | LoadIssue]:
    parsed = parse_bytes(data)
    if not parsed.get("entries"):
        raise FeedError(_no_items_detail(parsed))
    yield from _documents(parsed, _FeedContext(export, parsed, label), 1)


# -- chunked parsing of large feeds --------------------------------------------------------------
_NAME = rb"(?:[A-Za-z_][\w.\-]*:)?(?:item|entry)"
_ITEM_START = re.compile(rb"<!\[CDATA\[|<!--|<" + _NAME + rb"(?=[\s/>])")
_ITEM_EVENT = re.compile(rb"<!\[CDATA\[|<!--|</" + _NAME + rb"\s*>")
_HEADER_TAG = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>|<!.*?>"
    rb"|</([^\s>]+)\s*>|<([A-Za-z_][^\s/>]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(/?)>",
    re.S,
)


def closing_tags(header: bytes) -> bytes:
    """The end tags that close the elements still open at the end of ``header``.

    >>> closing_tags(b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>')
    b'</channel></rss>'
    """
    stack: list[bytes] = []
    for m in _HEADER_TAG.finditer(header):
        close, open_, selfclose = m.group(1), m.group(2), m.group(3)
        if open_ and not selfclose:
            stack.append(open_)
        elif close and close in stack:
            while stack and stack.pop() != close:
                pass
    return b"".join(b"</" + name + b">" for name in reversed(stack))


class _Buffer:
    """A growing window over a stream, searched with regexes, with consumed bytes dropped."""

    def __init__(self, stream: BinaryIO, initial: bytes) -> None:
        self.stream = stream
        self.data = bytearray(initial)
        self.eof = False
        self.read_error: str | None = None

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk, self.read_error = _read_head(self.stream, 1 << 20)
        if self.read_error or not chunk:
            self.eof = True  # a read error ends the data; what came before it is kept
        self.data += chunk
        return bool(chunk)

    def search(self, pattern: re.Pattern[bytes], pos: int, stop: int) -> re.Match[bytes] | None:
        """First match at or after ``pos`` that starts before ``stop``, reading more data as needed."""
        while True:
            m = pattern.search(self.data, pos, min(len(self.data), stop + 64))
            if m is not None:
                return m
            before = len(self.data)
            if before >= stop + 64 or not self.fill():
                return None
            pos = max(pos, before - 64)

    def find(self, needle: bytes, pos: int, stop: int) -> int:
        """Offset of ``needle`` at or after ``pos``, starting before ``stop`` (-1 when there is none)."""
        while True:
            i = self.data.find(needle, pos, min(len(self.data), stop + len(needle)))
            if i >= 0:
                return i
            before = len(self.data)
            if before >= stop + len(needle) or not self.fill():
                return -1
            pos = max(pos, before - len(needle))

    def drop(self, upto: int) -> None:
        del self.data[:upto]


def _skip_to(buf: _Buffer, m: re.Match[bytes], stop: int) -> int | None:
    """Position after the CDATA section or comment that ``m`` opens (None when it does not close before ``stop``)."""
    closer = b"]]>" if m.group(0).startswith(b"<![") else b"-->"
    end = buf.find(closer, m.end(), stop)
    return None if end < 0 else end + len(closer)


def _iter_chunked(head: bytes, stream: BinaryIO, export: str, label: str) -> Iterator[Document | LoadIssue]:
    if _utf16_or_32(head):
        raise FeedError(f"UTF-16/32 feeds larger than {WHOLE_LIMIT:,} bytes are not supported; convert the file to UTF-8")
    log.info("%s: larger than %s bytes, parsing %d items at a time", label, f"{WHOLE_LIMIT:,}", CHUNK_ITEMS)
    buf = _Buffer(stream, head)
    # 1. the header: everything before the first item (CDATA and comments skipped)
    m, unclosed = _next_tag(buf, _ITEM_START)
    if unclosed:
        raise FeedError("an unclosed CDATA section or comment before the first item")
    if m is None:
        raise FeedError("no <item> or <entry> element found in the first "
                        f"{len(buf.data):,} bytes; not an RSS or Atom feed")
    header = bytes(buf.data[: m.start()])
    closers = closing_tags(header)
    buf.drop(m.start())
    ctx: _FeedContext | None = None
    number = 1
    batch: list[bytes] = []

    def flush() -> Iterator[Document | LoadIssue]:
        nonlocal ctx, number
        if not batch:
            return
        parsed = parse_bytes(header + b"".join(batch) + closers)
        if ctx is None:
            ctx = _FeedContext(export, parsed, label)
        entries = len(parsed.get("entries") or ())
        if entries == len(batch):
            yield from _documents(parsed, ctx, number)
            number += entries
        else:  # some piece did not parse as one item: account for each piece on its own
            log.warning("%s: items %d-%d: %d pieces of XML gave %d items; parsing them one by one", label, number,
                        number + len(batch) - 1, len(batch), entries)
            for piece in batch:
                one = parse_bytes(header + piece + closers)
                found = len(one.get("entries") or ())
                if found:
                    yield from _documents(one, ctx, number)
                else:
                    yield LoadIssue(source=export, item=str(number), code="E040",
                                    reason=f"{label}: item {number}: {E_ITEM_UNPARSABLE}")
                number += max(1, found)
        batch.clear()

    # 2. items, each from its start tag (at buf.data[0]) to its end tag
    while True:
        end = _item_end(buf)
        if end is not None:
            batch.append(bytes(buf.data[:end]))
            buf.drop(end)
        elif len(buf.data) < MAX_ITEM_BYTES + 64:
            # the document ends inside an item (truncated): let the lenient parser try what is there
            batch.append(bytes(buf.data))
            buf.drop(len(buf.data))
        else:  # an item too large to hold: report it and skip to its end tag
            yield from flush()
            yield LoadIssue(source=export, item=str(number), code="E040",
                            reason=f"{label}: item {number}: " + E_ITEM_TOO_LARGE.format(limit=MAX_ITEM_BYTES))
            number += 1
            _discard_item(buf)
        if len(batch) >= CHUNK_ITEMS:
            yield from flush()
        if not _next_item(buf):
            break
    yield from flush()
    if buf.read_error:
        raise FeedError(f"{buf.read_error}; the items after the break are missing")


def _next_tag(buf: _Buffer, pattern: re.Pattern[bytes]) -> tuple[re.Match[bytes] | None, bool]:
    """The first match of ``pattern`` outside CDATA sections and comments, within MAX_ITEM_BYTES.

    Returns ``(match, False)``, ``(None, False)`` when there is none, or ``(None, True)`` when a CDATA
    section or comment does not close in that window (``pattern`` must also match their openers).
    """
    pos = 0
    while True:
        m = buf.search(pattern, pos, MAX_ITEM_BYTES)
        if m is None or not m.group(0).startswith(b"<!"):
            return m, False
        nxt = _skip_to(buf, m, MAX_ITEM_BYTES)
        if nxt is None:
            return None, True
        pos = nxt


def _item_end(buf: _Buffer) -> int | None:
    """End of the item that starts at ``buf.data[0]`` (None at end of data or past MAX_ITEM_BYTES)."""
    m, _ = _next_tag(buf, _ITEM_EVENT)
    return None if m is None else m.end()


_ITEM_CLOSE = re.compile(rb"</" + _NAME + rb"\s*>")


def _discard_item(buf: _Buffer) -> None:
    """Drop data up to the next item end tag, holding at most about 1 MB at a time."""
    while True:
        m = _ITEM_CLOSE.search(buf.data)
        if m is not None:
            buf.drop(m.end())
            return
        buf.drop(max(0, len(buf.data) - 64))
        if not buf.fill():
            buf.drop(len(buf.data))
            return


def _next_item(buf: _Buffer) -> bool:
    """Drop data up to the next item start tag; False when there is none."""
    m, _ = _next_tag(buf, _ITEM_START)
    if m is None:
        return False
    buf.drop(m.start())
    return True
