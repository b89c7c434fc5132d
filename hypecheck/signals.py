"""Layer 3, document signals: micro-cap context, risk warnings, attributed sources, address and tone.

Signals are not spans; they feed the document model and the explanation.
Their lexicons live in ``rules/data/<lang>/signals.yml``.
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from hypecheck.nlp import TokenTable
from hypecheck.rules.loader import RuleSet
from hypecheck.rules.matcher import Match, PatternBank

COUNTED = ("microcap", "risk_warning", "second_person", "byline", "crypto", "subscription", "finance")


class SignalExtractor:
    """Compute the document-level signals of DESIGN.md from a Doc and the context cues."""

    def __init__(self, nlp: Language, ruleset: RuleSet) -> None:
        self.bank = PatternBank(nlp)
        for name, cue in ruleset.signals.signals.items():
            self.bank.add(name, cue.patterns, cue.phrases, f"{ruleset.language}/signals.yml", f"signals.{name}")

    def __call__(self, doc: Doc, cues: list[Match], table: TokenTable | None = None) -> dict[str, Any]:
        table = TokenTable(doc) if table is None else table
        counts = dict.fromkeys(COUNTED, 0)
        for match in self.bank(doc, table):
            counts[match.label] = counts.get(match.label, 0) + 1
        words = int((~table.is_punct & ~table.is_space).sum())
        sentences = table.n_sentences
        exclaims = table.text.count("!")
        attributed = sum(1 for c in cues if c.label == "attribution")
        criticism = sum(1 for c in cues if c.label == "criticism")
        return {
            "microcap": counts["microcap"] > 0,
            "risk_warning": counts["risk_warning"] > 0,
            "attributed_sources": attributed,
            "criticism_cues": criticism,
            "named_author": counts["byline"] > 0,
            "crypto": counts["crypto"] > 0,
            "subscription_cues": counts["subscription"],
            "finance_terms": counts["finance"],
            "second_person_share": round(counts["second_person"] / words, 4) if words else 0.0,
            "exclamation_density": round(exclaims / sentences, 4) if sentences else 0.0,
            "words": words,
            "sentences": sentences,
        }
