"""Layer 1, sources.text: decoding, binary/empty detection, truncation and file errors."""

from __future__ import annotations

import codecs
import io

import pytest

from hypecheck import Document, InputError
from hypecheck.errors import Messages
from hypecheck.sources.text import MAX_BYTES, decode_bytes, looks_like_html, read_document, read_stream

GERMAN = "Die Börse schloss fester – der DAX gewann 1,2 Prozent, Anleger zahlten für Öl 80 € je Fass."


def _prefix(template: str) -> str:
    """The fixed start of a message template (before its first placeholder)."""
    return template.split("{")[0]


# ---------------------------------------------------------------------------- decode_bytes
def test_utf8_decodes_without_warnings():
    text, warnings = decode_bytes(GERMAN.encode("utf-8"), "a.txt")
    assert text == GERMAN
    assert warnings == []


def test_cp1252_is_detected_and_reported():
    text, warnings = decode_bytes(GERMAN.encode("cp1252"), "a.txt")
    assert text == GERMAN
    assert len(warnings) == 1
    assert warnings[0].startswith(_prefix(Messages.W003))
    assert "cp1252" in warnings[0]


def test_explicit_encoding_is_used():
    text, warnings = decode_bytes(GERMAN.encode("latin-1", "replace"), "a.txt", encoding="latin-1")
    assert text == GERMAN.encode("latin-1", "replace").decode("latin-1")
    assert warnings == []


def test_explicit_wrong_encoding_raises_e005_naming_source():
    with pytest.raises(InputError) as info:
        decode_bytes("Größe".encode("cp1252"), "report.txt", encoding="utf-8")
    assert info.value.code == "E005"
    assert "report.txt" in str(info.value)
    assert "--encoding" in str(info.value)


def test_unknown_explicit_encoding_raises_e005():
    with pytest.raises(InputError) as info:
        decode_bytes(b"abc", "x.txt", encoding="no-such-codec")
    assert info.value.code == "E005"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + GERMAN.encode("utf-8"),
        GERMAN.encode("utf-16"),  # Python writes the BOM of the platform's byte order
        codecs.BOM_UTF16_LE + GERMAN.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + GERMAN.encode("utf-16-be"),
        GERMAN.encode("utf-32"),
    ],
    ids=["utf-8-bom", "utf-16-native", "utf-16-le-bom", "utf-16-be-bom", "utf-32"],
)
def test_byte_order_marks_decide_the_encoding(data):
    text, warnings = decode_bytes(data, "bom.txt")
    assert text == GERMAN  # the BOM itself is not part of the text
    assert warnings == []


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
        b"Text with a NUL\x00 in the middle",
        GERMAN.encode("utf-16-le"),  # UTF-16 without a BOM is indistinguishable from binary
    ],
    ids=["png", "zip", "nul", "utf-16-no-bom"],
)
def test_binary_data_raises_e004(data):
    with pytest.raises(InputError) as info:
        decode_bytes(data, "blob.bin")
    assert info.value.code == "E004"
    assert str(info.value).startswith("blob.bin: looks like a binary file")
    assert str(info.value).endswith("[E004]")


def test_multibyte_character_cut_at_the_end_is_dropped():
    data = "Gr\u00f6\u00df".encode("utf-8")[:-1]  # the last character loses its second byte
    text, warnings = decode_bytes(data, "cut.txt")
    assert text == "Grö"
    assert warnings == []


# ---------------------------------------------------------------------------- read_stream
def test_read_stream_returns_a_document():
    doc = read_stream(io.BytesIO(GERMAN.encode()), "<stdin>")
    assert isinstance(doc, Document)
    assert doc.text == GERMAN
    assert doc.source == "<stdin>"
    assert doc.warnings == ()
    assert doc.is_html is False


def test_read_stream_flags_html():
    markup = b"<!DOCTYPE html><html><body><p>Jetzt kaufen!</p></body></html>"
    assert read_stream(io.BytesIO(markup), "x").is_html is True


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\n\t  \r\n"], ids=["empty", "spaces", "blank-lines"])
def test_empty_input_raises_e003(data):
    with pytest.raises(InputError) as info:
        read_stream(io.BytesIO(data), "empty.txt")
    assert info.value.code == "E003"
    assert str(info.value) == "empty.txt: empty input (no text after normalisation) [E003]"


def test_truncation_at_max_bytes_warns_w001():
    data = ("Die Aktie stieg. " * 20).encode()
    doc = read_stream(io.BytesIO(data), "long.txt", max_bytes=50)
    assert doc.text == data[:50].decode()
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith(_prefix(Messages.W001))


def test_truncation_names_the_total_size_when_known():
    data = b"a" * 3000
    doc = read_stream(io.BytesIO(data), "long.txt", max_bytes=1000, total=3000)
    assert doc.warnings == ("input truncated: scored the first 1,000 bytes of 3,000 bytes",)


def test_exactly_max_bytes_is_not_truncated():
    data = b"x" * 64
    doc = read_stream(io.BytesIO(data), "exact.txt", max_bytes=64)
    assert doc.text == "x" * 64
    assert doc.warnings == ()


def test_truncation_inside_a_multibyte_character_still_decodes():
    data = ("ä" * 10).encode("utf-8")  # 20 bytes
    doc = read_stream(io.BytesIO(data), "umlaut.txt", max_bytes=5)
    assert doc.text == "ää"
    assert doc.warnings[0].startswith(_prefix(Messages.W001))


def test_default_limit_is_large_enough_for_articles():
    assert MAX_BYTES >= 1_000_000


# ---------------------------------------------------------------------------- read_document
def test_read_document_reads_a_file(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(GERMAN, encoding="utf-8")
    doc = read_document(str(path))
    assert doc.text == GERMAN
    assert doc.source == str(path)


def test_read_document_cp1252_file(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes(GERMAN.encode("cp1252"))
    doc = read_document(str(path))
    assert doc.text == GERMAN
    assert any("cp1252" in w for w in doc.warnings)


def test_missing_file_raises_e001(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert info.value.code == "E001"
    assert str(info.value) == f"{path}: file not found [E001]"


def test_directory_raises_e007(tmp_path):
    with pytest.raises(InputError) as info:
        read_document(str(tmp_path))
    assert info.value.code == "E007"
    assert str(info.value).startswith(f"{tmp_path}: is a directory")


def test_empty_file_raises_e003(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert info.value.code == "E003"
    assert str(path) in str(info.value)


def test_binary_file_raises_e004(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InputError) as info:
        read_document(str(path))
    assert info.value.code == "E004"
    assert str(path) in str(info.value)


def test_read_document_truncates_with_total_size(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"Kurs " * 1000)  # 5,000 bytes
    doc = read_document(str(path), max_bytes=100)
    assert len(doc.text) == 100
    assert doc.warnings == ("input truncated: scored the first 100 bytes of 5,000 bytes",)


def test_read_document_html_by_suffix(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("Nur Text, aber mit HTML-Endung.", encoding="utf-8")
    assert read_document(str(path)).is_html is True


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        ("<p>eins</p><div>zwei</div>", "x.txt", True),
        ("<html><body>Text", "x.txt", True),
        ("Kurs < 5 Euro und > 3 Euro", "x.txt", False),
        ("plain text", "x.HTM", True),
    ],
)
def test_looks_like_html(data, name, expected):
    assert looks_like_html(data, name) is expected
