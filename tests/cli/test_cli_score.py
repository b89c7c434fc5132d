"""CLI, ``hypecheck score``: output formats, exit codes and exact ``Error:`` messages."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from hypecheck.cli import cli
from hypecheck.types import SCHEMA

PROMO = (
    "Diese Kursrakete zündet jetzt! Bis Jahresende sind weitere 150 Prozent möglich. "
    "Ein echter Geheimtipp, noch unter dem Radar. Jetzt kaufen, bevor es alle merken!"
)
SOBER = (
    "Die Aktie des Maschinenbauers Kranwerk stieg am Dienstag um 4 Prozent auf 31,20 Euro. "
    "Der Umsatz wuchs im dritten Quartal um 6 Prozent, teilte das Unternehmen in Stuttgart mit. "
    "Analysten von Berenberg bestätigten ihre Einstufung."
)
ENGLISH = "Shares of Kranwerk rose 4 percent on Tuesday after the company reported higher quarterly revenue, it said."
LINE = re.compile(r"^(?P<source>.+): risk (?P<risk>\d{1,3})/100 (?P<band>LOW|ELEVATED|HIGH)  \((?P<lang>de|en)\)$")


@pytest.fixture()
def invoke():
    runner = CliRunner()

    def _invoke(*args, input=None):
        return runner.invoke(cli, ["score", *map(str, args)], input=input, catch_exceptions=False)

    return _invoke


@pytest.fixture()
def files(tmp_path):
    def write(name, content):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    return {
        "promo": write("promo.txt", PROMO),
        "sober": write("sober.txt", SOBER),
        "english": write("english.md", ENGLISH),
        "empty": write("empty.txt", b""),
        "blank": write("blank.txt", b"  \n\t\n"),
        "binary": write("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
        "cp1252": write("legacy.txt", ("Börsenbrief: Diese Kursrakete zündet – jetzt kaufen! " + SOBER).encode("cp1252")),
        "html": write("broken.html", "<html><head><title>Kursrakete</title><body><p>Jetzt kaufen!<div>Bis Jahresende "
                                     "sind weitere 150 Prozent m&ouml;glich<script>alert('x')</p><span>"),
        "missing": tmp_path / "does-not-exist.txt",
        "dir": tmp_path,
    }


def _json(result):
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------- formats
def test_text_output(invoke, files):
    result = invoke(files["promo"])
    assert result.exit_code == 0, result.stderr
    first = result.stdout.splitlines()[0]
    m = LINE.match(first)
    assert m, first
    assert m["source"] == str(files["promo"])
    assert m["lang"] == "de"
    assert "\x1b[" not in result.stdout  # not a terminal: no colour
    assert "why:" in result.stdout and "regulation:" in result.stdout
    assert result.stderr == ""


def test_text_output_in_colour(invoke, files):
    result = invoke(files["promo"], "--color")
    assert result.exit_code == 0
    assert "\x1b[" in result.stdout


def test_json_output_one_file_is_an_object(invoke, files):
    result = invoke("--format", "json", files["promo"])
    assert result.exit_code == 0
    data = _json(result)
    assert data["schema"] == SCHEMA
    assert data["source"] == str(files["promo"])
    assert data["language"] == "de"
    assert 0 <= data["risk"] <= 100
    assert data["band"] in ("low", "elevated", "high")
    assert data["findings"]
    assert "text" not in data


def test_json_output_several_files_is_an_array(invoke, files):
    result = invoke("--format", "json", files["promo"], files["sober"], files["english"])
    assert result.exit_code == 0
    data = _json(result)
    assert [d["source"] for d in data] == [str(files[k]) for k in ("promo", "sober", "english")]
    assert [d["language"] for d in data] == ["de", "de", "en"]


def test_json_include_text_offsets(invoke, files):
    data = _json(invoke("--format", "json", "--include-text", files["promo"]))
    for f in data["findings"]:
        assert data["text"][f["start"] : f["end"]] == f["text"]


def test_jsonl_output_one_line_per_file(invoke, files):
    result = invoke("--format", "jsonl", files["promo"], files["sober"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    rows = [json.loads(line) for line in lines]
    assert [r["source"] for r in rows] == [str(files["promo"]), str(files["sober"])]
    assert rows[0]["risk"] > rows[1]["risk"]


def test_lang_option_overrides_detection(invoke, files):
    data = _json(invoke("--format", "json", "--lang", "en", files["promo"]))
    assert data["language"] == "en"


# ---------------------------------------------------------------------------- exit codes
def test_fail_above(invoke, files):
    risk = _json(invoke("--format", "json", files["promo"]))["risk"]
    assert risk >= 1
    above = invoke("--format", "json", "--fail-above", risk - 1, files["promo"])
    assert above.exit_code == 1
    assert _json(above)["risk"] == risk  # the result is still printed
    assert invoke("--format", "json", "--fail-above", risk, files["promo"]).exit_code == 0
    assert invoke("--fail-above", 100, files["promo"], files["sober"]).exit_code == 0


def test_missing_file(invoke, files):
    path = files["missing"]
    result = invoke(path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: file not found [E001]\n"
    assert result.stdout == ""


def test_empty_file(invoke, files):
    for key in ("empty", "blank"):
        path = files[key]
        result = invoke(path)
        assert result.exit_code == 2
        assert result.stderr == f"Error: {path}: empty input (no text after normalisation) [E003]\n"


def test_binary_file(invoke, files):
    path = files["binary"]
    result = invoke(path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: looks like a binary file, not text (NUL bytes at offset 8); "
        "pass a text, Markdown or HTML file [E004]\n"
    )


def test_directory(invoke, files):
    path = files["dir"]
    result = invoke(path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: is a directory; pass files, or use 'hypecheck scan' for folders of feeds [E007]\n"


def test_html_with_no_text(invoke, tmp_path):
    path = tmp_path / "nothing.html"
    path.write_text("<html><body><script>var x = 1;</script></body></html>", encoding="utf-8")
    result = invoke(path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: empty input (no text after normalisation) [E003]\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml", "x.txt"], "Error: Invalid value for '--format': 'xml' is not one of 'text', 'json', 'jsonl'."),
        (["--fail-above", "101", "x.txt"], "Error: Invalid value for '--fail-above': 101 is not in the range 0<=x<=100."),
        (["--lang", "fr", "x.txt"], "Error: Invalid value for '--lang': 'fr' is not one of 'auto', 'de', 'en'."),
        (["--bands", "70,30", "x.txt"], "Error: Invalid value for '--bands': need 0 < elevated < high <= 100"),
        (["--qqq", "x.txt"], "Error: No such option '--qqq'."),
        ([], "Error: Missing argument 'FILES...'."),
    ],
    ids=["format", "fail-above", "lang", "bands", "unknown-option", "no-files"],
)
def test_bad_options(invoke, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.rstrip("\n").splitlines()[-1] == message


def test_bad_model_directory(invoke, files, tmp_path):
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    result = invoke("--model", empty, files["promo"])
    assert result.exit_code == 2
    assert "Error: " in result.stderr
    assert f"{empty}: not a hypecheck model" in result.stderr


def test_one_bad_file_among_several(invoke, files):
    result = invoke("--format", "jsonl", files["promo"], files["missing"], files["sober"], files["binary"], files["english"])
    assert result.exit_code == 2
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rows] == [str(files[k]) for k in ("promo", "sober", "english")]
    errors = result.stderr.splitlines()
    assert errors == [
        f"Error: {files['missing']}: file not found [E001]",
        f"Error: {files['binary']}: looks like a binary file, not text (NUL bytes at offset 8); "
        "pass a text, Markdown or HTML file [E004]",
    ]


def test_bad_input_beats_fail_above(invoke, files):
    result = invoke("--fail-above", 0, files["promo"], files["missing"])
    assert result.exit_code == 2


# ---------------------------------------------------------------------------- awkward inputs
def test_cp1252_file(invoke, files):
    result = invoke("--format", "json", "--include-text", files["cp1252"])
    assert result.exit_code == 0, result.stderr
    data = _json(result)
    assert "Börsenbrief" in data["text"] and "–" in data["text"]
    assert "text decoded as cp1252 (not UTF-8)" in data["warnings"]
    assert data["language"] == "de"


def test_broken_html_file(invoke, files):
    result = invoke("--format", "json", "--include-text", files["html"])
    assert result.exit_code == 0, result.stderr
    data = _json(result)
    assert data["title"] == "Kursrakete"
    assert "alert" not in data["text"] and "<" not in data["text"]
    assert "weitere 150 Prozent möglich" in data["text"]
    assert any(f["category"] == "return_promise" for f in data["findings"])


def test_fifty_megabyte_file_is_truncated_and_scored(invoke, tmp_path):
    path = tmp_path / "huge.txt"
    chunk = ("Die Aktie der Beispiel AG stieg am Montag um 3 Prozent. Der Umsatz wuchs leicht, "
             "teilte das Unternehmen in Frankfurt mit.\n").encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(chunk * (50_000_000 // len(chunk) + 1))
    assert path.stat().st_size >= 50_000_000
    try:
        result = invoke("--format", "json", path)
    finally:
        path.unlink()  # pytest keeps recent tmp dirs; do not leave 50 MB behind
    assert result.exit_code == 0, result.stderr
    data = _json(result)
    assert data["language"] == "de"
    truncated = [w for w in data["warnings"] if w.startswith("input truncated")]
    assert truncated, data["warnings"]
    assert "50.0 MB" in truncated[0]


def test_stdin(invoke):
    result = invoke("--format", "json", "-", input=PROMO.encode("utf-8"))
    assert result.exit_code == 0, result.stderr
    data = _json(result)
    assert data["source"] == "<stdin>"
    assert data["findings"]


def test_stdin_cp1252(invoke):
    result = invoke("--format", "json", "-", input=SOBER.encode("cp1252"))
    assert result.exit_code == 0
    assert "text decoded as cp1252 (not UTF-8)" in _json(result)["warnings"]


def test_empty_stdin(invoke):
    result = invoke("-", input=b"")
    assert result.exit_code == 2
    assert result.stderr == "Error: <stdin>: empty input (no text after normalisation) [E003]\n"


def test_explicit_wrong_encoding(invoke, files):
    path = files["cp1252"]
    result = invoke("--encoding", "utf-8", path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: cannot decode the text as utf-8; pass --encoding with the right one "
        "(e.g. cp1252, latin-1, utf-16) [E005]\n"
    )
