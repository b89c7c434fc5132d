"""run_scan end to end: one row per item, duplicates across exports, output formats, workers, summary."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from scan_helpers import assert_accounted, synthetic_items, write_feed

from hypecheck.errors import HypecheckError
from hypecheck.scan import FLAT_COLUMNS, ScanOptions, resolve_format, run_scan
from hypecheck.types import SCHEMA


@pytest.fixture
def all_fixtures(fixtures_dir: Path) -> list[Path]:
    return sorted(p for p in fixtures_dir.iterdir() if p.is_file())


def test_every_item_gets_one_row_and_the_summary_adds_up(scan, all_fixtures, tmp_path):
    summary, rows = scan(all_fixtures, summary_path=str(tmp_path / "summary.json"))
    assert_accounted(summary, rows)
    # 4 (rss) + 3 (csv) + 2 (semicolon csv) + 2 (atom) + 1 (rdf) items
    assert summary.read == 12
    assert (summary.scored, summary.duplicates, summary.errors) == (10, 1, 1)
    assert summary.exit_code == 0
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["schema"] == "hypecheck.scan-summary/1"
    assert data["read"] == data["scored"] + data["duplicates"] + data["errors"] == 12
    per_feed = {Path(e["export"]).name: e for e in data["exports"]}
    assert per_feed["boersenbrief_de.rss"]["items"] == 4
    assert per_feed["boersenbrief_de.rss"]["errors"] == 1
    assert sum(e["items"] for e in data["exports"]) == 12
    text = summary.to_text()
    assert "read 12 = 10 scored + 1 duplicates + 1 errors" in text
    assert "boersenbrief_de.rss" in text and "mean risk" in text


def test_rows_carry_the_assessment_and_the_scan_fields(scan, fixtures_dir):
    _, rows = scan([fixtures_dir / "boersenbrief_de.rss"])
    row = rows[0]
    assert row["status"] == "scored"
    assert row["schema"] == SCHEMA
    for key in ("export", "item", "key", "link", "published", "feed", "id", "risk", "band", "categories", "findings"):
        assert key in row
    assert row["export"].endswith("boersenbrief_de.rss") and row["item"] == 1
    assert row["link"] == "https://boersenbrief.example/artikel/mueller-solar"
    assert row["published"] == "2025-01-14T07:30:00Z"
    assert row["id"] == row["key"] == "https://boersenbrief.example/#bb-2025-001"
    assert row["title"] == "Müller Solar: Großauftrag aus Übersee"
    assert row["language"] == "de"
    assert row["risk"] > rows[1]["risk"]  # the pitch scores above the Bundesbank note
    assert {"return_promise", "call_to_action"} & set(row["categories"])
    found = " ".join(f["text"] for f in row["findings"])
    assert "150 Prozent" in found


def test_same_item_in_two_exports_is_scored_once(scan, fixtures_dir):
    summary, rows = scan([fixtures_dir / "boersenbrief_de.rss", fixtures_dir / "export.csv"])
    assert_accounted(summary, rows)
    dup = [r for r in rows if r["status"] == "duplicate"]
    assert len(dup) == 1
    assert dup[0]["export"].endswith("export.csv") and dup[0]["item"] == 3
    assert dup[0]["key"] == "https://boersenbrief.example/artikel/bundesbank-prognose"
    assert dup[0]["duplicate_of"].endswith("boersenbrief_de.rss#2")
    scored_keys = [r["key"] for r in rows if r["status"] == "scored"]
    assert len(scored_keys) == len(set(scored_keys))


def test_duplicates_within_one_feed_and_across_snapshots(tmp_path, scan):
    items = synthetic_items(0, 10)
    write_feed(tmp_path / "snap1.xml", items[:6])
    write_feed(tmp_path / "snap2.xml", items[3:] + items[:1])  # 4 new, 4 seen before
    summary, rows = scan([tmp_path / "snap1.xml", tmp_path / "snap2.xml"])
    assert_accounted(summary, rows)
    assert (summary.scored, summary.duplicates) == (10, 4)
    stats = {s.label.rsplit("/", 1)[-1]: s for s in summary.exports.values()}
    assert stats["snap2.xml"].items == 8 and stats["snap2.xml"].duplicates == 4


def test_two_workers_give_the_same_rows_as_one(tmp_path, scan, fixtures_dir):
    write_feed(tmp_path / "many.xml", synthetic_items(0, 60))
    exports = [tmp_path / "many.xml", fixtures_dir / "boersenbrief_de.rss", fixtures_dir / "export.csv"]
    s1, one = scan(exports, out=tmp_path / "one.jsonl", workers=1)
    s2, two = scan(exports, out=tmp_path / "two.jsonl", workers=2, batch_size=4)
    assert_accounted(s2, two)

    def view(rows):
        return sorted((r["export"], r["item"], r["status"], r.get("risk"), r.get("band")) for r in rows)

    assert view(one) == view(two)
    assert s2.workers == 2


def test_csv_output(tmp_path, scan, all_fixtures):
    out = tmp_path / "res.csv"
    summary, _ = scan(all_fixtures, out=out)
    assert out.exists()
    with out.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert tuple(table[0]) == FLAT_COLUMNS
    assert len(table) == summary.read
    assert {r["status"] for r in table} == {"scored", "duplicate", "error"}
    pitch = next(r for r in table if r["title"].startswith("Müller Solar"))
    assert int(pitch["risk"]) >= 0 and pitch["band"] and int(pitch["findings"]) >= 1
    err = next(r for r in table if r["status"] == "error")
    assert err["error"] and err["risk"] == ""
    # the sidecar journal holds the full rows and stays for --resume
    journal = Path(str(out) + ".journal.jsonl")
    assert journal.exists() and len(journal.read_text(encoding="utf-8").splitlines()) == summary.read
    assert summary.journal == str(journal)


def test_parquet_output(tmp_path, scan, all_fixtures):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "res.parquet"
    summary, _ = scan(all_fixtures, out=out)
    table = pq.read_table(out)
    assert table.num_rows == summary.read
    assert tuple(table.column_names) == FLAT_COLUMNS
    assert str(table.schema.field("risk").type) == "int16"
    rows = table.to_pylist()
    assert sum(1 for r in rows if r["status"] == "scored") == summary.scored
    assert all(r["risk"] is None for r in rows if r["status"] != "scored")


def test_jsonl_to_stdout(scan, fixtures_dir, capsys):
    summary, _ = scan([fixtures_dir / "markets_en.atom"], out=Path("-"))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == summary.read == 2
    assert [json.loads(line)["status"] for line in lines] == ["scored", "scored"]


def test_csv_to_stdout(scan, fixtures_dir, capsys):
    summary, _ = scan([fixtures_dir / "markets_en.atom"], out=Path("-"), fmt="csv")
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == 2 and table[0]["language"] == "en"


def test_format_from_suffix():
    assert resolve_format("a.csv", None) == "csv"
    assert resolve_format("a.parquet", None) == "parquet"
    assert resolve_format("a.jsonl", None) == "jsonl"
    assert resolve_format("a.out", None) == "jsonl"
    assert resolve_format("a.csv", "jsonl") == "jsonl"


def test_resume_to_stdout_is_refused(fixtures_dir):
    with pytest.raises(HypecheckError, match="--resume needs an --out file"):
        run_scan(ScanOptions(exports=[str(fixtures_dir)], out="-", resume=True, model=False))


def test_unwritable_output_is_a_clear_error(tmp_path, fixtures_dir):
    with pytest.raises(HypecheckError, match="cannot write the output"):
        run_scan(ScanOptions(exports=[str(fixtures_dir)], out=str(tmp_path / "no" / "such" / "dir.jsonl"), model=False,
                             workers=1))


def test_rerun_without_resume_starts_over(tmp_path, scan, fixtures_dir):
    out = tmp_path / "out.jsonl"
    scan([fixtures_dir / "markets_en.atom"], out=out)
    summary, rows = scan([fixtures_dir / "markets_en.atom"], out=out)
    assert len(rows) == 2 and summary.resumed_rows == 0


def test_language_option_is_passed_on(scan, fixtures_dir):
    _, rows = scan([fixtures_dir / "markets_en.atom"], lang="de")
    assert {r["language"] for r in rows} == {"de"}
