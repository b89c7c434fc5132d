"""The scan's worker pool: the forkserver builds the pipelines once, and a failure there is harmless."""

from __future__ import annotations

import subprocess
import sys

import hypecheck.scan_preload as preload
from hypecheck.detector import Detector
from scan_helpers import assert_accounted, synthetic_items, write_feed


def test_workers_reuse_the_pipelines_the_preload_built():
    # what a worker forked from the forkserver sees: the preload's pipelines, found in the cache
    code = ("import hypecheck.scan_preload as p\n"
            "from hypecheck.nlp import _pipeline\n"
            "from hypecheck.detector import Detector\n"
            "built = _pipeline.cache_info().misses\n"
            "Detector(model=False).prepare()\n"
            "Detector(model=False, disabled=['urgency']).prepare()\n"
            "print(built, _pipeline.cache_info().misses)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    built, after = map(int, proc.stdout.split())
    assert built == 2  # German and English
    assert after == built  # no pipeline built again, also with a category disabled


def test_a_failing_preload_is_logged_not_raised(monkeypatch, caplog):
    def broken(self, langs=None):
        raise OSError("rules folder unreadable")

    monkeypatch.setattr(Detector, "prepare", broken)
    with caplog.at_level("DEBUG", logger="hypecheck.scan_preload"):
        assert preload.warm_pipelines() is False
    assert "rules folder unreadable" in caplog.text


HOUSE_RULES = """\
language: de
category: insider_tip
rules:
- id: de.insider_tip.house_geheimliste
  description: The text teases a secret list ({text}) as exclusive knowledge.
  base_score: 0.9
  phrases:
  - Geheimliste des Chefredakteurs
  examples:
    positive:
    - Die Geheimliste des Chefredakteurs verrät den Favoriten.
    negative:
    - Der Chefredakteur stellte die Liste der Quartalszahlen vor.
"""


def test_scan_with_house_rules_on_two_workers(tmp_path, scan):
    # house rules need a pipeline of their own: each worker builds it and finds the house phrase
    rules = tmp_path / "house.yml"
    rules.write_text(HOUSE_RULES, encoding="utf-8")
    items = synthetic_items(0, 12)
    for item in items[::3]:
        item["body"] += "<p>Die Geheimliste des Chefredakteurs verrät den Favoriten für das zweite Halbjahr.</p>"
    feed = write_feed(tmp_path / "house.xml", items)
    s1, one = scan([feed], out=tmp_path / "one.jsonl", extra_rules=[str(rules)], lang="de")
    s2, two = scan([feed], out=tmp_path / "two.jsonl", extra_rules=[str(rules)], lang="de", workers=2, batch_size=2)
    assert_accounted(s2, two)
    assert s2.errors == 0

    def view(rows):
        return sorted((r["item"], r["risk"], tuple(sorted(o for f in r["findings"] for o in f["origin"])))
                      for r in rows)

    assert view(one) == view(two)
    house = [r for r in two if any("rule:de.insider_tip.house_geheimliste" in f["origin"] for f in r["findings"])]
    assert sorted(r["item"] for r in house) == [1, 4, 7, 10]
