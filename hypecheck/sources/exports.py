"""Layer 1, input: find exports (files, directories, globs, ``.gz``) and stream their items.

An *export* is one file holding many items: an RSS/Atom feed (parsed by
:mod:`hypecheck.sources.feeds`) or a CSV export with title/summary/link
columns (read here, row by row). Both become the same
:class:`~hypecheck.types.Document` with the item's identity in ``id`` and
``meta`` holding ``export``, ``item`` (its number, from 1), ``key``, ``link``,
``published``, ``feed`` and ``format``. Anything unreadable becomes a
:class:`~hypecheck.types.LoadIssue`; nothing here raises on bad input, and
nothing holds more than one item (or one feed of at most
``feeds.WHOLE_LIMIT`` bytes) in memory.

Examples
--------
>>> paths, issues = expand_exports(["feeds/", "exports/*.csv.gz"])   # doctest: +SKIP
>>> for item in iter_export(paths[0]):                                # doctest: +SKIP
...     print(item.id if isinstance(item, Document) else item.reason)
"""

from __future__ import annotations

import csv
import glob
import io
import logging
import os
import re
import zlib
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import BinaryIO, Iterator, Sequence

from hypecheck.errors import InputError, message
from hypecheck.sources.feeds import iter_feed, item_key
from hypecheck.sources.text import decode_bytes
from hypecheck.types import Document, LoadIssue

log = logging.getLogger(__name__)

#: File name endings picked up when a directory is scanned (each also with ``.gz``).
EXPORT_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".feed", ".csv", ".tsv")
CSV_SUFFIXES = (".csv", ".tsv")
#: CSV field size limit (characters); longer fields make the row an error.
CSV_FIELD_LIMIT = 16_000_000
#: Consecutive unreadable CSV rows after which the rest of the export is given up.
CSV_MAX_BAD_ROWS = 100

# Column names, in order of preference (compared lower-cased and stripped).
ID_COLUMNS = ("id", "guid", "uuid", "item_id")
TITLE_COLUMNS = ("title", "headline", "titel", "subject")
TEXT_COLUMNS = ("content_encoded", "content", "news_text", "text", "body", "article", "description", "summary", "teaser")
LINK_COLUMNS = ("link", "url", "article_url", "href")
DATE_COLUMNS = ("published", "pubdate", "pub_date", "published_at", "date", "datetime", "updated", "time")

_GZIP_MAGIC = b"\x1f\x8b"
_GLOB_CHARS = re.compile(r"[*?\[]")
_HTML_TAG = re.compile(r"</?(?:p|br|div|a|span|b|i|strong|em|img|ul|ol|li|h[1-6]|table|tr|td)\b[^>]*>", re.I)


def _missing(pattern: str, detail: str) -> LoadIssue:
    return LoadIssue(source=pattern, item=None, code="E001", reason=message("E001", source=pattern) + detail)


def _wanted(name: str) -> bool:
    name = name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(EXPORT_SUFFIXES)


def expand_exports(patterns: Sequence[str]) -> tuple[list[str], list[LoadIssue]]:
    """Resolve files, directories (recursively) and globs into export paths.

    Returns absolute paths in a stable order (each once) and a LoadIssue
    for every pattern that names nothing. Files named explicitly are taken
    whatever their suffix; in directories only feed and CSV files
    (:data:`EXPORT_SUFFIXES`, also gzipped) are picked up.
    """
    paths: list[str] = []
    issues: list[LoadIssue] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            paths.append(os.path.abspath(path))

    def add_dir(folder: str) -> int:
        n = 0
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                if _wanted(name):
                    add(os.path.join(root, name))
                    n += 1
        return n

    for pattern in patterns:
        if os.path.isdir(pattern):
            if not add_dir(pattern):
                issues.append(_missing(pattern, f" (no {', '.join(EXPORT_SUFFIXES)} files in this directory)"))
        elif os.path.exists(pattern):
            add(pattern)
        elif _GLOB_CHARS.search(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            for match in matches:
                if os.path.isdir(match):
                    add_dir(match)
                else:
                    add(match)
            if not matches:
                issues.append(_missing(pattern, " (the pattern matches no file)"))
        else:
            issues.append(_missing(pattern, ""))
    return paths, issues


class _GzipReader(io.RawIOBase):
    """Streaming gzip decompression (all members) that hands out everything before a break.

    Each call decompresses at most the caller's buffer size, so a gzip bomb
    costs no more memory than any other stream. Truncated or corrupt data
    raises OSError with a plain message, after the data before it was returned.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(31)
        self._in = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while True:
            if self._d.eof:  # end of one gzip member: another may follow
                rest = self._d.unused_data + self._in
                if not rest:
                    rest = self._raw.read(1 << 16)
                if not rest.strip(b"\x00"):  # trailing zero padding is allowed
                    return 0
                self._d, self._in = zlib.decompressobj(31), rest
            if not self._in:
                self._in = self._raw.read(1 << 16)
                if not self._in:
                    raise OSError("the gzip data is truncated")
            try:
                out = self._d.decompress(self._in, len(b))
            except zlib.error as exc:
                raise OSError(f"the gzip data is corrupt ({exc})") from None
            self._in = self._d.unconsumed_tail
            if out:
                b[: len(out)] = out
                return len(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _open(path: str) -> BinaryIO:
    """Open ``path`` for reading, decompressing gzip (recognised by its magic bytes)."""
    fh = open(path, "rb")
    magic = fh.read(2)
    fh.seek(0)
    if magic == _GZIP_MAGIC:
        return io.BufferedReader(_GzipReader(fh), buffer_size=1 << 16)
    if path.lower().endswith(".gz"):
        fh.close()
        shown = repr(magic + b"...") if magic else "an empty file"
        raise OSError(f"named .gz but is not gzip data (it starts with {shown}); decompress or rename it")
    return io.BufferedReader(fh, buffer_size=1 << 16)


def _base_name(path: str) -> str:
    name = path.lower()
    return name[:-3] if name.endswith(".gz") else name


def iter_export(path: str, label: str | None = None, encoding: str | None = None) -> Iterator[Document | LoadIssue]:
    """Yield every item of the export at ``path`` as a Document, or a LoadIssue when it cannot be read.

    Parameters
    ----------
    path : str
        The export file (RSS/Atom XML or CSV, optionally gzipped).
    label : str
        Its name in messages and in ``Document.source`` (default: ``path``).
    encoding : str
        Text encoding of CSV exports (default: detected). Feeds declare their own.

    Yields
    ------
    Document or LoadIssue
        A LoadIssue with ``item=None`` concerns the whole export and is the
        last thing yielded for it; one with ``item`` set concerns one item.
    """
    label = label or path
    try:
        stream = _open(path)
    except OSError as exc:
        reason = exc.strerror if exc.strerror else str(exc)
        yield LoadIssue(source=path, item=None, code="E040", reason=message("E040", source=label, detail=reason))
        return
    with stream:
        try:
            head = stream.peek(4096)[:4096]  # type: ignore[attr-defined]
        except OSError as exc:
            yield LoadIssue(source=path, item=None, code="E040", reason=message("E040", source=label, detail=str(exc)))
            return
        kind = _sniff(head, path)
        if kind == "csv":
            yield from iter_csv(stream, path, label, encoding=encoding)
        elif kind == "feed":
            yield from iter_feed(stream, path, label)
        else:
            yield LoadIssue(source=path, item=None, code="E040", reason=message("E040", source=label, detail=kind))


def _sniff(head: bytes, path: str) -> str:
    """'feed', 'csv', or the reason the data is neither."""
    if _base_name(path).endswith(CSV_SUFFIXES):
        return "csv"
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    if not stripped:
        return "feed"  # empty: the feed reader reports it
    if stripped.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00", b"\x00\x00")):
        return "feed"
    if b"\x00" in head:
        return "binary data, not a feed or CSV export"
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if _pick_delimiter(first_line)[1]:
        return "csv"
    return f"not XML and not a CSV export with title/text columns (it starts with {stripped[:24]!r})"


def _pick_delimiter(header_line: str) -> tuple[str, int]:
    """The delimiter that splits ``header_line`` into the most known column names, and that count."""
    known = set(ID_COLUMNS + TITLE_COLUMNS + TEXT_COLUMNS + LINK_COLUMNS + DATE_COLUMNS)
    best, best_n = ",", 0
    for delim in (",", ";", "\t", "|"):
        names = [c.strip().strip('"').strip().lower() for c in header_line.split(delim)]
        n = sum(1 for c in names if c in known)
        if n > best_n:
            best, best_n = delim, n
    return best, best_n


class _Prepend(io.RawIOBase):
    """``prefix`` followed by the rest of ``stream``."""

    def __init__(self, prefix: bytes, stream: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(b), len(self._prefix))
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._stream.readinto(b)  # type: ignore[attr-defined]


def _column(header: list[str], names: Sequence[str]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4}),?(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?(?:\s*Uhr)?$")


def _iso_date(value: str) -> str:
    """ISO 8601 for RFC 822 dates (UTC) and German ``17.10.24 09:16 Uhr`` (local); anything else as it is.

    >>> _iso_date("Mon, 07 Oct 2024 16:30:33 +0200"), _iso_date("17.10.24 09:16 Uhr")
    ('2024-10-07T14:30:33Z', '2024-10-17T09:16:00')
    """
    m = _DOTTED_DATE.match(value.strip())
    if m:
        day, month, year, hour, minute, second = m.groups()
        year = int(year) + (2000 if len(year) == 2 else 0)
        if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            if hour is None:
                return f"{year:04d}-{int(month):02d}-{int(day):02d}"
            return f"{year:04d}-{int(month):02d}-{int(day):02d}T{int(hour):02d}:{int(minute):02d}:{int(second or 0):02d}"
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return value
    if dt.tzinfo is None:
        return dt.strftime("%Y-%m-%dT%H:%M:%S")
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_csv(stream: BinaryIO, export: str, label: str | None = None,
             encoding: str | None = None) -> Iterator[Document | LoadIssue]:
    """Yield one Document per row of a CSV export, streaming.

    The header names the columns (case-insensitive): an id (``id``,
    ``guid``), a ``title`` (or ``headline``), the text (``content``,
    ``news_text``, ``text``, ``summary``, ``description``; the fullest one
    present in a row is used), a ``link`` (``url``, ``article_url``) and a
    date (``published``, ``date``). The delimiter (``,``, ``;``, tab or
    ``|``) is the one that splits the header into known names.
    """
    label = label or export
    sample = b""
    try:
        sample = stream.read(1 << 16)
        text_sample, warnings = decode_bytes(sample, label, encoding)
    except InputError as exc:
        yield LoadIssue(source=export, item=None, code="E040", reason=message("E040", source=label, detail=exc.args[0]))
        return
    except OSError as exc:
        yield LoadIssue(source=export, item=None, code="E040", reason=message("E040", source=label, detail=str(exc)))
        return
    if not text_sample.strip():
        yield LoadIssue(source=export, item=None, code="E040", reason=message("E040", source=label, detail="the file is empty"))
        return
    enc = encoding or "utf-8"
    if warnings:  # decode_bytes fell back to a detected legacy encoding: W003 names it
        enc = warnings[-1].rsplit(" as ", 1)[-1].split(" ")[0]
    if sample.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    elif sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    raw = io.BufferedReader(_Prepend(sample, stream), buffer_size=1 << 16)
    text = io.TextIOWrapper(raw, encoding=enc, errors="replace", newline="")
    first_line = text_sample.lstrip("\ufeff").split("\n", 1)[0]
    delimiter, _ = _pick_delimiter(first_line.lower())
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = [h.strip().lstrip("\ufeff").strip().lower() for h in next(reader)]
    except (csv.Error, OSError, StopIteration) as exc:
        yield LoadIssue(source=export, item=None, code="E040",
                        reason=message("E040", source=label, detail=f"cannot read the CSV header ({exc or 'no rows'})"))
        return
    cols = {
        "id": _column(header, ID_COLUMNS),
        "title": _column(header, TITLE_COLUMNS),
        "link": _column(header, LINK_COLUMNS),
        "published": _column(header, DATE_COLUMNS),
    }
    text_cols = [header.index(name) for name in TEXT_COLUMNS if name in header]
    if cols["title"] is None and not text_cols:
        yield LoadIssue(source=export, item=None, code="E040", reason=message(
            "E040", source=label, detail=f"the CSV has no title or text column (columns: {', '.join(header[:12]) or 'none'}); "
                                         f"name one {', '.join(TITLE_COLUMNS[:2] + TEXT_COLUMNS)}"))
        return
    scope = os.path.basename(label)
    number, bad_run = 0, 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            if not number:
                yield LoadIssue(source=export, item=None, code="E040",
                                reason=message("E040", source=label, detail="the CSV has a header but no rows"))
            return
        except csv.Error as exc:
            number += 1
            bad_run += 1
            yield LoadIssue(source=export, item=str(number), code="E040",
                            reason=f"{label}: row {number}: not valid CSV ({exc})")
            if bad_run >= CSV_MAX_BAD_ROWS:
                yield LoadIssue(source=export, item=None, code="E040", reason=message(
                    "E040", source=label, detail=f"{bad_run} unreadable rows in a row; gave up after row {number}"))
                return
            continue
        except OSError as exc:
            yield LoadIssue(source=export, item=None, code="E040",
                            reason=message("E040", source=label, detail=f"{exc} (after row {number})"))
            return
        if not row or not any(cell.strip() for cell in row):
            continue  # blank lines are not items
        number += 1
        bad_run = 0
        yield _row_document(row, cols, text_cols, number, export, label, scope, tuple(warnings))


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _row_document(row: list[str], cols: dict[str, int | None], text_cols: list[int], number: int, export: str,
                  label: str, scope: str, warnings: tuple[str, ...]) -> Document:
    title = _cell(row, cols["title"])
    body = max((_cell(row, i) for i in text_cols), key=len, default="")
    link = _cell(row, cols["link"])
    published = _cell(row, cols["published"])
    key = item_key(_cell(row, cols["id"]), link, title, body, scope)
    meta = {"export": export, "item": number, "key": key, "link": link or None,
            "published": _iso_date(published) if published else None, "feed": None, "format": "csv"}
    return Document(text=body, title=title or None, source=label, id=key, meta=meta, warnings=warnings,
                    is_html=bool(_HTML_TAG.search(body)))
