"""The bundled model must be trained on the current corpus and rules: this test fails when it is stale."""

from __future__ import annotations

import json

from hypecheck.model import DEFAULT_MODEL_DIR
from hypecheck.rules.loader import rules_digest

HOW_TO_FIX = "the bundled model is stale: run `hypecheck train` (it rewrites hypecheck/data/model/) and commit the result"


def _card() -> dict:
    return json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))


def test_bundled_model_matches_the_corpus(corpus_dir):
    from hypecheck.train import corpus_sha256

    current = corpus_sha256(corpus_dir)
    trained = _card()["corpus_sha256"]
    assert trained == current, (
        f"corpora/ changed since training (model card {trained[:12]}, corpus now {current[:12]}); {HOW_TO_FIX}"
    )


def test_bundled_model_matches_the_rules():
    current = rules_digest()
    trained = _card()["rules_digest"]
    assert trained == current, (
        f"rule files changed since training (model card {trained[:12]}, rules now {current[:12]}); {HOW_TO_FIX}"
    )
