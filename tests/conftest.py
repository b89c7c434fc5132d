"""Shared fixtures for the whole test suite.

Kept generic on purpose: the folders under ``tests/`` (unit, cli, golden,
property, acceptance, scan, evaluate, library, ...) add their own fixtures in
their own ``conftest.py`` files. Everything here is session-scoped and
side-effect free.

- ``nlp_de`` / ``nlp_en`` / ``blank_nlp``: the blank spaCy pipelines hypecheck
  itself uses (``hypecheck.nlp.make_nlp``);
- ``detector``: one shared ``hypecheck.load()`` Detector (the bundled model);
- ``repo_root``, ``corpus_dir``: the checkout;
- ``shared_path`` (may not exist) and ``shared_dir`` (skips when absent):
  the ``../shared`` folder beside the checkout with examples and data;
- ``update_golden``: True when pytest runs with ``--update-golden``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PATH = REPO_ROOT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/*.expected.json from the current output (review the diff before committing).",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run should rewrite golden files instead of comparing against them."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The root of the source checkout (the folder holding setup.cfg, hypecheck/ and corpora/)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir(repo_root: Path) -> Path:
    """``corpora/`` of the checkout (the bundled model's training data)."""
    path = repo_root / "corpora"
    if not path.is_dir():
        pytest.skip(f"{path} not found (tests run outside a source checkout)")
    return path


@pytest.fixture(scope="session")
def shared_path() -> Path:
    """``../shared`` relative to the repository root; it may not exist (use ``shared_dir`` to skip then)."""
    return SHARED_PATH


@pytest.fixture(scope="session")
def shared_dir(shared_path: Path) -> Path:
    """``../shared`` relative to the repository root; skips the test with a reason when it is absent."""
    if not shared_path.is_dir():
        pytest.skip(f"shared folder {shared_path} not found (examples and data live beside the checkout)")
    return shared_path


@pytest.fixture(scope="session")
def nlp_de():
    """The blank German pipeline hypecheck uses (tokenizer, sentence and paragraph starts)."""
    from hypecheck.nlp import make_nlp

    return make_nlp("de")


@pytest.fixture(scope="session")
def nlp_en():
    """The blank English pipeline hypecheck uses (tokenizer, sentence and paragraph starts)."""
    from hypecheck.nlp import make_nlp

    return make_nlp("en")


@pytest.fixture(scope="session")
def blank_nlp(nlp_de, nlp_en):
    """``blank_nlp("de")`` / ``blank_nlp("en")``: the session pipelines by language code."""
    pipelines = {"de": nlp_de, "en": nlp_en}
    return pipelines.__getitem__


@pytest.fixture(scope="session")
def detector():
    """One Detector with the bundled model, shared by the whole session (Detectors are thread-safe and read-only)."""
    import hypecheck

    return hypecheck.load()
