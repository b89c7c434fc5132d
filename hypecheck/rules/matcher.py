"""Layer 3, rules: compile token patterns and phrases to spaCy matchers and run them over a Doc."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from spacy.attrs import LOWER, ORTH, SENT_START
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


_OPTIONAL_OPS = ("?", "*", "!")


def _is_optional(spec: dict) -> bool:
    op = spec.get("OP")
    if op in _OPTIONAL_OPS:
        return True
    return isinstance(op, str) and op.startswith("{") and op[1:].split(",")[0].strip() in ("", "0")


@dataclass(frozen=True)
class Anchor:
    """A lexical condition one token of a pattern must meet.

    ``words``: one of these lower-cased forms; ``lower_regex`` / ``text_regex``:
    a regex the lower-cased / original token text matches.
    """

    words: frozenset[str] | None = None
    lower_regex: re.Pattern | None = None
    text_regex: re.Pattern | None = None


def _token_anchor(spec: dict) -> Anchor | None:
    for attr in ("LOWER", "ORTH", "TEXT", "NORM"):
        value = spec.get(attr, spec.get(attr.lower()))
        if value is None:
            continue
        if isinstance(value, str):
            return Anchor(words=frozenset({value.lower()}))
        if isinstance(value, dict):
            if "IN" in value and all(isinstance(v, str) for v in value["IN"]):
                return Anchor(words=frozenset(v.lower() for v in value["IN"]))
            if "REGEX" in value:
                # re.M: searched over all token forms joined one per line (see PatternBank._possible)
                rx = re.compile(value["REGEX"], re.M)
                return Anchor(lower_regex=rx) if attr in ("LOWER", "NORM") else Anchor(text_regex=rx)
    return None


def pattern_anchors(pattern: Sequence[dict]) -> tuple[Anchor, ...]:
    """Conditions every match of ``pattern`` meets: one per required token with a lexical attribute."""
    return tuple(a for spec in pattern if not _is_optional(spec) for a in [_token_anchor(spec)] if a is not None)


class PatternBank:
    """spaCy Matcher (token patterns) and PhraseMatcher (lower-cased phrases) under string labels.

    Each token pattern gets a Matcher of its own, which only runs on a Doc that
    has, for each of the pattern's required tokens, some token meeting its
    lexical condition (the pattern's *anchors*). spaCy evaluates every IN/REGEX predicate in
    Python at every token, so this gating keeps the rule pass close to the
    tokenizer's own speed; it never changes what matches.
    """

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.matchers: list[tuple[Matcher, tuple[int, ...]]] = []  # a Matcher and the ids of its anchors
        self.anchors: list[Anchor] = []  # distinct anchors; patterns share them (numbers, "%", ...)
        self._anchor_ids: dict[tuple, int] = {}
        self._anchor_hashes: list[np.ndarray] = []  # lower-case hashes of each anchor's words
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.size = 0

    def add(self, label: str, patterns: Sequence[list[dict]], phrases: Sequence[str], where: str, rule_id: str) -> None:
        """Add patterns under ``label``; a pattern spaCy rejects raises RuleConfigError naming ``where``."""
        for pattern in patterns:
            matcher = Matcher(self.nlp.vocab, validate=False)  # rules/schema.py validated the pattern on load
            try:
                matcher.add(label, [list(pattern)])
                anchors = tuple(self._anchor_id(a) for a in pattern_anchors(pattern))
            except (ValueError, TypeError, KeyError, re.error) as exc:  # spaCy's pattern validation errors, bad REGEX
                detail = " ".join(str(exc).split())[:300]
                raise RuleConfigError(message("E011", path=where, rule_id=rule_id, detail=f"bad token pattern: {detail}"), code="E011") from None
            self.matchers.append((matcher, anchors))
        if phrases:
            self.phrases.add(label, [self.nlp.make_doc(p) for p in phrases])
        self.size += len(patterns) + len(phrases)

    def _anchor_id(self, anchor: Anchor) -> int:
        key = (anchor.words, getattr(anchor.lower_regex, "pattern", None), getattr(anchor.text_regex, "pattern", None))
        if key not in self._anchor_ids:
            self._anchor_ids[key] = len(self.anchors)
            self.anchors.append(anchor)
            words = sorted(anchor.words) if anchor.words is not None else []
            self._anchor_hashes.append(np.array([self.nlp.vocab.strings.add(w) for w in words], dtype=np.uint64))
        return self._anchor_ids[key]

    @staticmethod
    def _vocabulary(doc: Doc) -> tuple[set[str], str, str]:
        """The Doc's distinct lower-cased and original token forms, also joined one per line for regex scans."""
        strings = doc.vocab.strings
        arr = doc.to_array([LOWER, ORTH])
        lowers = {strings[int(h)] for h in set(arr[:, 0].tolist())} if len(arr) else set()
        texts = {strings[int(h)] for h in set(arr[:, 1].tolist())} if len(arr) else set()
        return lowers, "\n".join(lowers), "\n".join(texts)

    def _possible(self, anchor_ids: tuple[int, ...], memo: dict[int, bool], vocab: tuple[set[str], str, str]) -> bool:
        """Whether the Doc meets every anchor (each anchor is evaluated once per Doc)."""
        for i in anchor_ids:
            met = memo.get(i)
            if met is None:
                met = memo[i] = self._meets(self.anchors[i], *vocab)
            if not met:
                return False
        return True

    @staticmethod
    def _meets(anchor: Anchor, lowers: set[str], lower_lines: str, text_lines: str) -> bool:
        if anchor.words is not None:
            return not anchor.words.isdisjoint(lowers)
        rx, lines = (anchor.lower_regex, lower_lines) if anchor.lower_regex is not None else (anchor.text_regex, text_lines)
        # A token matching rx is a line of ``lines``: one search over the joined forms finds it.
        return rx is None or rx.search(lines) is not None

    def __call__(self, doc: Doc) -> list[Match]:
        strings = self.nlp.vocab.strings
        found: set[tuple[str, int, int]] = set()
        if self.matchers and len(doc):
            vocab = self._vocabulary(doc)
            arr = doc.to_array([LOWER, ORTH, SENT_START])
            arr_forms = arr[:, :2]
            sent_id = np.cumsum(arr[:, 2] == 1)
            bounds = np.flatnonzero(np.diff(np.concatenate(([-1], sent_id, [sent_id[-1] + 1]))))  # sentence starts + end
            memo: dict[int, bool] = {}
            hits: dict[int, np.ndarray] = {}
            for matcher, anchors in self.matchers:
                if not self._possible(anchors, memo, vocab):
                    continue
                for span in self._windows(doc, anchors, arr_forms, sent_id, bounds, hits, vocab):
                    offset = span.start
                    found.update((strings[key], s + offset, e + offset) for key, s, e in matcher(span))
        if len(self.phrases):
            found.update((strings[key], s, e) for key, s, e in self.phrases(doc))
        return [Match(label, s, e) for label, s, e in sorted(found, key=lambda t: (t[1], t[2], t[0]))]

    def _windows(self, doc: Doc, anchors: tuple[int, ...], forms: np.ndarray, sent_id: np.ndarray,
                 bounds: np.ndarray, hits: dict[int, np.ndarray], vocab: tuple[set[str], str, str]) -> list[Span]:
        """The sentences holding the pattern's rarest anchor (the whole Doc when it has none).

        Matching sentence by sentence keeps each Matcher off the many sentences that
        cannot match; patterns are meant to match within one sentence.
        """
        best: np.ndarray | None = None
        for i in anchors:
            positions = hits.get(i)
            if positions is None:
                positions = hits[i] = self._anchor_positions(i, forms, vocab)
            if best is None or len(positions) < len(best):
                best = positions
        if best is None:
            return [doc[:]]
        sentences = np.unique(sent_id[best])
        return [doc[int(bounds[k - 1]) : int(bounds[k])] for k in sentences.tolist()]

    def _anchor_positions(self, i: int, forms: np.ndarray, vocab: tuple[set[str], str, str]) -> np.ndarray:
        """Token positions meeting anchor ``i`` (``forms``: the Doc's LOWER and ORTH hashes)."""
        anchor = self.anchors[i]
        if anchor.words is not None:
            return np.flatnonzero(np.isin(forms[:, 0], self._anchor_hashes[i]))
        strings = self.nlp.vocab.strings
        lowers, _, text_lines = vocab
        if anchor.lower_regex is not None:
            wanted = [strings.add(w) for w in lowers if anchor.lower_regex.search(w)]
            return np.flatnonzero(np.isin(forms[:, 0], np.array(wanted, dtype=np.uint64)))
        texts = text_lines.split("\n")
        wanted = [strings.add(w) for w in texts if anchor.text_regex is not None and anchor.text_regex.search(w)]
        return np.flatnonzero(np.isin(forms[:, 1], np.array(wanted, dtype=np.uint64)))


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
        doc_text = doc.text  # Doc.text joins all tokens: build it once
        for match in self.bank(doc):
            entry = self.entries[match.label]
            start, end = _trim(doc[match.start : match.end])
            if end <= start:
                continue
            text = doc_text[start:end]
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
