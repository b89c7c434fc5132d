"""Layer 1, input: read one text, Markdown or HTML file (or stdin) into a Document.

Bytes are decoded with BOM sniffing, strict UTF-8, then charset-normalizer for
legacy encodings (cp1252/Latin-1 are common in German text). Oversized inputs
are truncated with a warning rather than rejected.
"""

from __future__ import annotations

import codecs
import os
import re
from typing import BinaryIO

from hypecheck.errors import InputError, message
from hypecheck.types import Document

#: Bytes read from one input at most; the rest is dropped with warning W001.
MAX_BYTES = 2_000_000

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HTML_SNIFF = re.compile(rb"<(!doctype html|html|body|p|div|br|a\s|span|article)\b", re.I)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


def _size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n:,} bytes"


def decode_bytes(data: bytes, source: str, encoding: str | None = None) -> tuple[str, list[str]]:
    """Decode ``data`` to text; return the text and warnings.

    Raises
    ------
    InputError
        For binary data or text that cannot be decoded.

    Examples
    --------
    >>> decode_bytes("Kurs für Anleger".encode("cp1252"), "x.txt")[0]
    'Kurs für Anleger'
    """
    warnings: list[str] = []
    if encoding:
        try:
            return data.decode(encoding), warnings
        except (UnicodeDecodeError, LookupError):
            raise InputError(message("E005", source=source, encoding=encoding), code="E005") from None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), warnings
            except UnicodeDecodeError:
                break
    nul = data.find(b"\x00", 0, 8192)
    if nul >= 0:
        raise InputError(message("E004", source=source, offset=nul), code="E004")
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by truncation at the very end is not an encoding problem.
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8"), warnings
    from charset_normalizer import from_bytes  # only needed for legacy encodings

    best = from_bytes(data[:200_000], cp_isolation=["cp1252", "latin_1", "iso8859_15", "utf_16", "cp850", "mac_roman"]).best()
    if best is None:
        raise InputError(message("E006", source=source), code="E006")
    enc = best.encoding
    try:
        text = data.decode(enc)
    except UnicodeDecodeError:
        raise InputError(message("E005", source=source, encoding=enc), code="E005") from None
    warnings.append(message("W003", encoding=enc))
    return text, warnings


def looks_like_html(data: bytes | str, name: str = "") -> bool:
    """True for HTML files by suffix or by markup in the first 4 KB."""
    if name.lower().endswith(_HTML_SUFFIXES):
        return True
    head = data[:4096]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    return len(_HTML_SNIFF.findall(head)) >= 2 or head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def read_stream(stream: BinaryIO, source: str, encoding: str | None = None, max_bytes: int = MAX_BYTES, total: int | None = None) -> Document:
    """Read at most ``max_bytes`` from ``stream`` into a Document named ``source``."""
    data = stream.read(max_bytes + 1)
    warnings: list[str] = []
    if len(data) > max_bytes:
        size = total if total is not None else len(data)
        data = data[:max_bytes]
        warnings.append(message("W001", kept=_size_text(max_bytes), total=_size_text(size) if total else "more than that"))
    if not data.strip():
        raise InputError(message("E003", source=source), code="E003")
    text, dec_warnings = decode_bytes(data, source, encoding)
    warnings.extend(dec_warnings)
    return Document(text=text, source=source, warnings=tuple(warnings), is_html=looks_like_html(data, source))


def read_document(path: str, encoding: str | None = None, max_bytes: int = MAX_BYTES) -> Document:
    """Read the file at ``path`` (``-`` for stdin) into a Document.

    Raises
    ------
    InputError
        When the file is missing, unreadable, empty, binary or undecodable; the
        message names the file.
    """
    if path == "-":
        import sys

        return read_stream(sys.stdin.buffer, "<stdin>", encoding, max_bytes)
    if os.path.isdir(path):
        raise InputError(message("E007", source=path), code="E007")
    try:
        total = os.path.getsize(path)
        with open(path, "rb") as fh:
            return read_stream(fh, path, encoding, max_bytes, total=total)
    except FileNotFoundError:
        raise InputError(message("E001", source=path), code="E001") from None
    except OSError as exc:
        raise InputError(message("E002", source=path, reason=exc.strerror or exc.__class__.__name__), code="E002") from None
