"""Golden files: whole articles beside their expected verdicts.

Each ``<case>.txt`` is scored like ``hypecheck score`` would score the file;
``<case>.expected.json`` holds the language, the risk rounded to the nearest 5,
the band, and the sorted (category, finding text) pairs. Run
``pytest tests/golden --update-golden`` to rewrite the expectations after an
intended change, and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hypecheck.sources import read_document

HERE = Path(__file__).parent
CASES = sorted(p.stem for p in HERE.glob("*.txt"))


def summarise(assessment) -> dict:
    """The stable part of an Assessment that a golden file pins down."""
    return {
        "language": assessment.language,
        "risk": 5 * round(assessment.risk / 5),
        "band": assessment.band,
        "findings": sorted([f.category, f.text] for f in assessment.findings),
    }


def dump(summary: dict) -> str:
    """JSON with one finding per line, so a review diff shows exactly which passages changed."""
    head = {k: v for k, v in summary.items() if k != "findings"}
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    pairs = [f"    {json.dumps(pair, ensure_ascii=False)}" for pair in summary["findings"]]
    findings = '  "findings": [\n' + ",\n".join(pairs) + "\n  ]" if pairs else '  "findings": []'
    return "{\n" + "\n".join(lines) + "\n" + findings + "\n}\n"


def test_dump_is_json():
    summary = {"language": "de", "risk": 5, "band": "low", "findings": [["puffery", "„Kursrakete“"], ["urgency", "jetzt"]]}
    assert json.loads(dump(summary)) == summary
    assert json.loads(dump(dict(summary, findings=[]))) == dict(summary, findings=[])


def test_cases_exist():
    assert len(CASES) >= 4
    assert {case.split("-")[0] for case in CASES} == {"de", "en"}


@pytest.mark.parametrize("case", CASES)
def test_golden(case, detector, update_golden):
    text_path = HERE / f"{case}.txt"
    expected_path = HERE / f"{case}.expected.json"
    actual = summarise(detector.score_document(read_document(str(text_path))))
    if update_golden:
        expected_path.write_text(dump(actual), encoding="utf-8")
    if not expected_path.exists():
        pytest.fail(f"{expected_path.name} is missing; run pytest tests/golden --update-golden and review it")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected, f"{case}: output changed; if intended, rerun with --update-golden and review the diff"
