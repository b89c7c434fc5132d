"""Layer 3, rules: compile token patterns and phrases to spaCy matchers and run them over a Doc."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from hypecheck.errors import RuleConfigError, message
from hypecheck.rules.loader import RuleSet
from hypecheck.types import Evidence


@dataclass(frozen=True)
class Match:
    """A labelled token span found by a PatternBank."""

    label: str
    start: int  # token offsets
    end: int


class PatternBank:
    """spaCy Matcher (token patterns) and PhraseMatcher (lower-cased phrases) under string labels."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.size = 0

    def add(self, label: str, patterns: Sequence[list[dict]], phrases: Sequence[str], where: str, rule_id: str) -> None:
        """Add patterns under ``label``; a pattern spaCy rejects raises RuleConfigError naming ``where``."""
        if patterns:
            try:
                self.matcher.add(label, [list(p) for p in patterns])
            except (ValueError, TypeError, KeyError, re.error) as exc:  # spaCy's pattern validation errors, bad REGEX
                detail = " ".join(str(exc).split())[:300]
                raise RuleConfigError(message("E011", path=where, rule_id=rule_id, detail=f"bad token pattern: {detail}"), code="E011") from None
        if phrases:
            self.phrases.add(label, [self.nlp.make_doc(p) for p in phrases])
        self.size += len(patterns) + len(phrases)

    def __call__(self, doc: Doc) -> list[Match]:
        strings = self.nlp.vocab.strings
        found = {(strings[key], s, e) for key, s, e in self.matcher(doc)} if len(self.matcher) else set()
        if len(self.phrases):
            found.update((strings[key], s, e) for key, s, e in self.phrases(doc))
        return [Match(label, s, e) for label, s, e in sorted(found, key=lambda t: (t[1], t[2], t[0]))]


def _trim(span: Span) -> tuple[int, int]:
    """Character offsets of ``span`` without edge whitespace tokens."""
    tokens = [t for t in span if not t.is_space]
    if not tokens:
        return span.start_char, span.start_char
    return tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)


class RuleMatcher:
    """Run a RuleSet's category rules over a Doc and return Evidence, one per place and category."""

    def __init__(self, nlp: Language, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.entries = ruleset.by_id()
        self.bank = PatternBank(nlp)
        for entry in ruleset.rules:
            self.bank.add(entry.rule.id, entry.rule.patterns, entry.rule.phrases, entry.path, entry.rule.id)

    def __call__(self, doc: Doc) -> list[Evidence]:
        return select(self.candidates(doc))

    def candidates(self, doc: Doc) -> list[Evidence]:
        """Every match of every rule, before overlapping evidence is resolved."""
        candidates: list[Evidence] = []
        for match in self.bank(doc):
            entry = self.entries[match.label]
            start, end = _trim(doc[match.start : match.end])
            if end <= start:
                continue
            text = doc.text[start:end]
            candidates.append(
                Evidence(start, end, text, entry.category, entry.rule.id, entry.rule.base_score,
                         entry.rule.description.replace("{text}", text))
            )
        return candidates


def select(candidates: Iterable[Evidence]) -> list[Evidence]:
    """Keep, per category, the strongest and then longest of overlapping pieces of evidence."""
    kept: list[Evidence] = []
    by_cat: dict[str, list[Evidence]] = {}
    for ev in sorted(candidates, key=lambda e: (-e.score, -(e.end - e.start), e.start, e.rule_id)):
        taken = by_cat.setdefault(ev.category, [])
        if all(ev.end <= o.start or ev.start >= o.end for o in taken):
            taken.append(ev)
            kept.append(ev)
    return sorted(kept, key=lambda e: (e.start, e.end, e.category))
