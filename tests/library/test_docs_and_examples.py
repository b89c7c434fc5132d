"""The integrator's page, the moderation-queue example and the docstring examples all run."""

from __future__ import annotations

import doctest
import importlib
import json
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

import hypecheck

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "moderation_queue.py"
PAGE = ROOT / "docs" / "integrating.md"


def test_the_page_shows_the_complete_example_verbatim() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") in PAGE.read_text(encoding="utf-8")


def test_the_moderation_queue_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = runpy.run_path(str(EXAMPLE), run_name="moderation_queue_example")
    audit = tmp_path / "audit.jsonl"
    assert module["main"]([str(audit)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Queues: hold ")
    assert "why: " in out and "regulation: " in out and "[error] en-003" in out and "E003" in out

    queues = {name: [d.item.id for d in decisions] for name, decisions in _queues(module).items()}
    assert "en-001" in queues["hold"] and "en-002" in queues["publish"] and queues["error"] == ["en-003"]
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(module["INCOMING"])
    assert sum(1 for r in records if r.get("schema") == "hypecheck.assessment/1") == len(records) - 1


def _queues(module: dict) -> dict:
    queue = module["ModerationQueue"](hypecheck.load())
    queue.submit(module["INCOMING"])
    return queue.queues


def test_the_example_routes_by_band() -> None:
    module = runpy.run_path(str(EXAMPLE), run_name="moderation_queue_example")
    for name, decisions in _queues(module).items():
        for d in decisions:
            assert name == ("error" if d.assessment is None else module["ROUTES"][d.assessment.band])


@pytest.mark.parametrize("name", ["hypecheck", "hypecheck.detector", "hypecheck.types", "hypecheck.frame",
                                  "hypecheck.spacy_component"])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("mypy") is None and not (Path(__import__("sys").executable).parent / "mypy").exists(),
                    reason="mypy not installed")
def test_the_public_api_type_checks() -> None:
    import sys

    mypy = Path(sys.executable).parent / "mypy"
    modules = ["hypecheck/__init__.py", "hypecheck/detector.py", "hypecheck/types.py", "hypecheck/frame.py",
               "hypecheck/spacy_component.py"]
    proc = subprocess.run([str(mypy) if mypy.exists() else "mypy", *modules], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
