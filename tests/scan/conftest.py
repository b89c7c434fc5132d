"""Fixtures for the batch scanner tests: the hand-written feeds and a scan runner.

Scans here use the rules-only detector (``model=False``) so they do not
depend on the bundled model's state and stay fast; the CLI tests use the
bundled model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from scan_helpers import FIXTURES, read_rows


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The hand-written feeds and exports of tests/scan/fixtures."""
    return FIXTURES


@pytest.fixture
def scan(tmp_path: Path) -> Callable[..., tuple[Any, list[dict[str, Any]]]]:
    """``scan(exports, **options)`` runs a rules-only scan into a JSONL file and returns (summary, rows)."""
    from hypecheck.scan import ScanOptions, run_scan

    def run(exports: list[Any], out: Path | None = None, **kw: Any) -> tuple[Any, list[dict[str, Any]]]:
        out = out or tmp_path / "out.jsonl"
        kw.setdefault("workers", 1)
        kw.setdefault("model", False)
        summary = run_scan(ScanOptions(exports=[str(e) for e in exports], out=str(out), **kw))
        rows = read_rows(out) if str(out).endswith(".jsonl") and out.exists() else []
        return summary, rows

    return run
