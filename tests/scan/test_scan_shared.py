"""The scanner on the real feeds and exports in ../shared/data (skipped when that folder is absent).

Licence note (shared/data/feeds/README.md): these files are read in place and
never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from scan_helpers import assert_accounted


@pytest.fixture(scope="module")
def feeds_dir(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "feeds"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="module")
def csv_dir(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "finanzen-net-dax-news"
    if not path.is_dir():
        pytest.skip(f"{path} not found")
    return path


def test_illformed_samples_never_crash_and_are_all_accounted(scan, feeds_dir):
    folder = feeds_dir / "illformed-samples"
    summary, rows = scan([folder])
    assert_accounted(summary, rows)
    files = sorted(p for p in folder.rglob("*.xml"))
    assert {Path(r["export"]) for r in rows} == set(files)  # every file has at least one row
    assert summary.exit_code == 2  # several samples hold no item at all
    assert all(r["item"] == 0 for r in rows if r["status"] == "error" and r["code"] == "E040")
    warned = {Path(r["export"]).name for r in rows if any(w[:4] in ("W006", "W007") for w in r.get("warnings", []))}
    assert {"bozo_double-encoded-html.xml", "hex_entity_x_uppercase.xml", "bozo_linenoise.xml"} <= warned


def test_ill_formed_podcast_feed_is_recovered_with_a_warning(scan, feeds_dir):
    path = feeds_dir / "podsearch-finance-podcasts" / "en__feedburner_InvesttalkPodcasts__ILLFORMED.xml.gz"
    summary, rows = scan([path])
    assert_accounted(summary, rows)
    assert summary.scored == 75
    assert all(any(w.startswith("W006") for w in r["warnings"]) for r in rows)
    assert "W006" in summary.to_text()


@pytest.mark.parametrize("name, fragment", [
    ("de__dradio.de_wirtschaftammittag.xml", "Börsenbericht"),  # ISO-8859-1
    ("de__swr.de_topthema-wirtschaft.xml", "Überprüfungen"),
    ("de__br-online.de_magazin-fuer-wirtschaft-und-soziales.xml", "Führungswechsel"),
])
def test_german_umlauts_come_out_right(scan, feeds_dir, name, fragment):
    _, rows = scan([feeds_dir / "podsearch-finance-podcasts" / name])
    titles = " ".join(r["title"] or "" for r in rows)
    assert fragment in titles
    assert "Ã" not in titles and "\ufffd" not in titles


def test_cnbc_snapshots_deduplicate(scan, feeds_dir):
    folder = feeds_dir / "cnbc-yahoo-finance"
    summary, rows = scan(sorted(folder.glob("cnbc_*.xml")))
    assert_accounted(summary, rows)
    assert (summary.read, summary.scored, summary.duplicates) == (90, 72, 18)  # 3 x 30 items, 72 distinct


def test_ntv_csv_export(scan, csv_dir):
    summary, rows = scan([csv_dir / "ntv_wirtschaft_rss.csv.gz"])
    assert_accounted(summary, rows)
    assert summary.scored == 83 and summary.exit_code == 0
    assert rows[0]["published"] == "2024-10-07T14:30:33Z"
    assert rows[0]["link"].startswith("https://www.n-tv.de/")
    assert all(r["language"] == "de" for r in rows)


@pytest.mark.slow
def test_whole_feed_folder_and_csv_exports(scan, feeds_dir, csv_dir, tmp_path):
    summary, rows = scan([feeds_dir, csv_dir / "*.csv.gz"], workers=2, summary_path=str(tmp_path / "s.json"))
    assert_accounted(summary, rows)
    assert summary.read >= 4000
    per_export = {Path(s.export).name: s for s in summary.exports.values()}
    assert per_export["finanzen_net_dax_news.csv.gz"].scored == 455
    assert per_export["en__odiogo_free-articles-in-investment-management.xml.gz"].scored == 1029
