"""``hypecheck scan`` on the command line: summary on stderr, rows in --out, exit codes, no tracebacks."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hypecheck.cli import cli


@pytest.fixture()
def invoke():
    runner = CliRunner()

    def _invoke(*args):
        return runner.invoke(cli, ["scan", *map(str, args)], catch_exceptions=False)

    return _invoke


def test_help_has_examples(invoke):
    result = invoke("--help")
    assert result.exit_code == 0
    assert "hypecheck scan feeds/ --out results.jsonl" in result.output
    for option in ("--out", "--format", "--workers", "--resume", "--summary", "--strict"):
        assert option in result.output


def test_scan_writes_rows_and_a_summary(invoke, fixtures_dir, tmp_path):
    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    result = invoke(fixtures_dir, "--out", out, "--workers", "1", "--summary", summary, "--no-progress")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("scan: read 12 = 10 scored + 1 duplicates + 1 errors")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 12
    assert {r["model"]["name"] for r in rows if r["status"] == "scored"} != {"rules-only"}  # the bundled model
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["read"] == 12 and data["exit_code"] == 0


def test_unreadable_export_exits_2_without_a_traceback(invoke, fixtures_dir, tmp_path):
    bad = tmp_path / "kaputt.xml.gz"
    bad.write_bytes(b"<rss>kein gzip</rss>")
    out = tmp_path / "out.jsonl"
    result = invoke(bad, fixtures_dir / "markets_en.atom", "--out", out, "--workers", "1")
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "kaputt.xml.gz: not a feed or export hypecheck can read (named .gz but is not gzip data" in result.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_resume_to_stdout_is_an_error(invoke, fixtures_dir):
    result = invoke(fixtures_dir, "--out", "-", "--resume")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --resume needs an --out file")


def test_stdout_output(invoke, fixtures_dir):
    result = invoke(fixtures_dir / "markets_en.atom", "--out", "-", "--workers", "1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["scored", "scored"]


def test_csv_format_by_suffix(invoke, fixtures_dir, tmp_path):
    out = tmp_path / "res.csv"
    result = invoke(fixtures_dir / "export.csv", "--out", out, "--workers", "1")
    assert result.exit_code == 0
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("source,item,id,title,link,published,language,risk")
