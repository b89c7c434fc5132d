"""Layer 3, rules: compile token patterns and phrases to spaCy matchers and run them over a Doc."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from spacy.attrs import LOWER, ORTH
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from hypecheck.arrays import HashMemo, member
from hypecheck.errors import RuleConfigError, message
from hypecheck.nlp import JoinedStrings, TokenTable
from hypecheck.rules.loader import RuleSet
from hypecheck.rules.regex_words import finite_words
from hypecheck.types import Evidence


#: Word forms a PatternBank remembers the anchors of; the memo starts over when full.
MEMO_LIMIT = 200_000


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
                words = finite_words(value["REGEX"])
                if words is not None:  # a word list written as a regex: checked like IN (lower-cased: a superset)
                    return Anchor(words=frozenset(w.lower() for w in words))
                # re.M: searched over token forms joined one per line (see hypecheck.nlp.JoinedStrings)
                rx = re.compile(value["REGEX"], re.M)
                return Anchor(lower_regex=rx) if attr in ("LOWER", "NORM") else Anchor(text_regex=rx)
    return None


def _single_word_list(pattern: Sequence[dict]) -> tuple[int, list[str]] | None:
    """``(attr, words)`` of a pattern that is one token with only a LOWER or ORTH/TEXT word or word list."""
    if len(pattern) != 1 or len(pattern[0]) != 1:
        return None
    (key, value), = pattern[0].items()
    attr = {"LOWER": LOWER, "ORTH": ORTH, "TEXT": ORTH}.get(key.upper())
    if attr is None:
        return None
    if isinstance(value, dict) and list(value) == ["IN"]:
        value = value["IN"]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        return None
    return attr, values


def pattern_anchors(pattern: Sequence[dict]) -> tuple[Anchor, ...]:
    """Conditions every match of ``pattern`` meets: one per required token with a lexical attribute."""
    return tuple(a for spec in pattern if not _is_optional(spec) for a in [_token_anchor(spec)] if a is not None)


class PatternBank:
    """spaCy Matcher (token patterns) and PhraseMatcher (lower-cased phrases) under string labels.

    Each token pattern gets a Matcher of its own, which only runs on the
    sentences holding all its *anchors* (its required tokens' lexical
    conditions), and not at all when the Doc lacks one of them. spaCy
    evaluates every IN/REGEX predicate in Python at every token, so this gating
    keeps the rule pass close to the tokenizer's own speed; it never changes
    what matches within a sentence.

    Anchors are checked on word forms, not tokens, and remembered across
    documents: per form (its hash) the bank keeps the set of anchors it meets,
    so a Doc looks all its tokens up in one array search and tests only its
    new forms (word anchors by one dict lookup, regex anchors by one scan per
    regex over all new forms at once). A pattern of one token out of a word
    list needs no Matcher at all.
    """

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self.matchers: list[tuple[Matcher, tuple[int, ...]]] = []  # a Matcher and the ids of its anchors
        self.single: list[tuple[str, int, np.ndarray]] = []  # one-token word lists: label, attribute, sorted hashes
        self.anchors: list[Anchor] = []  # distinct anchors; patterns share them (numbers, "%", ...)
        self._anchor_ids: dict[tuple, int] = {}
        self._word_index: dict[int, tuple[int, ...]] | None = None  # lower-case hash -> word anchors; built on first use
        # Regex anchors per attribute, and per form hash the set of anchors it meets (a number in
        # _sets). The memo spans documents, so each anchor is tested on a form once (until the
        # memo starts over at MEMO_LIMIT forms), not on every form of every document.
        self._regexes: dict[int, list[tuple[int, re.Pattern]]] = {LOWER: [], ORTH: []}
        self._memo = self._fresh_memo()
        self._sets: list[tuple[int, ...]] = [()]
        self._set_numbers: dict[tuple[int, ...], int] = {(): 0}
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.size = 0

    def add(self, label: str, patterns: Sequence[list[dict]], phrases: Sequence[str], where: str, rule_id: str) -> None:
        """Add patterns under ``label``; a pattern spaCy rejects raises RuleConfigError naming ``where``."""
        for pattern in patterns:
            matcher = Matcher(self.nlp.vocab, validate=False)  # rules/schema.py validated the pattern on load
            try:
                matcher.add(label, [list(pattern)])  # spaCy validates the pattern even when the fast path below takes it
                single = _single_word_list(pattern)
                if single is not None:  # one token out of a word list: its matches are the tokens with those strings
                    attr, words = single
                    hashes = np.array(sorted({self.nlp.vocab.strings.add(w) for w in words}), dtype=np.uint64)
                    self.single.append((label, attr, hashes))
                    continue
                anchors = tuple(self._anchor_id(a) for a in pattern_anchors(pattern))
            except (ValueError, TypeError, KeyError, re.error) as exc:  # spaCy's pattern validation errors, bad REGEX
                detail = " ".join(str(exc).split())[:300]
                raise RuleConfigError(message("E011", path=where, rule_id=rule_id, detail=f"bad token pattern: {detail}"), code="E011") from None
            # word anchors first: the cheapest to rule a pattern out
            anchors = tuple(sorted(anchors, key=lambda i: self.anchors[i].words is None))
            self.matchers.append((matcher, anchors))
        if phrases:
            self.phrases.add(label, [self.nlp.make_doc(p) for p in phrases])
        self.size += len(patterns) + len(phrases)

    def _anchor_id(self, anchor: Anchor) -> int:
        key = (anchor.words, getattr(anchor.lower_regex, "pattern", None), getattr(anchor.text_regex, "pattern", None))
        if key not in self._anchor_ids:
            self._anchor_ids[key] = len(self.anchors)
            self.anchors.append(anchor)
            if anchor.lower_regex is not None:
                self._regexes[LOWER].append((len(self.anchors) - 1, anchor.lower_regex))
            elif anchor.text_regex is not None:
                self._regexes[ORTH].append((len(self.anchors) - 1, anchor.text_regex))
            self._memo = self._fresh_memo()  # a new anchor: what the forms meet must be learnt again
            self._word_index = None
        return self._anchor_ids[key]

    @staticmethod
    def _fresh_memo() -> dict[int, HashMemo]:
        return {LOWER: HashMemo(MEMO_LIMIT), ORTH: HashMemo(MEMO_LIMIT)}

    def _words(self) -> dict[int, tuple[int, ...]]:
        """Every word anchor's lower-case hash, and the anchors holding it."""
        index = self._word_index
        if index is None:
            by_hash: dict[int, list[int]] = {}
            for i, anchor in enumerate(self.anchors):
                for word in anchor.words or ():
                    by_hash.setdefault(self.nlp.vocab.strings.add(word), []).append(i)
            index = self._word_index = {h: tuple(ids) for h, ids in by_hash.items()}
        return index

    def _learn(self, attr: int, new: list[int], table: TokenTable) -> dict[int, int]:
        """The anchor set (its number in ``_sets``) each of the forms ``new`` (hashes under ``attr``) meets."""
        found: dict[int, list[int]] = {}
        if attr == LOWER:
            words = self._words()
            for h in new:
                ids = words.get(h)
                if ids:
                    found[h] = list(ids)
        regexes = self._regexes[attr]
        if regexes:
            strings = table.doc.vocab.strings
            joined = JoinedStrings([strings[h] for h in new])
            for anchor, rx in regexes:
                for k in joined.matching(rx):
                    found.setdefault(new[k], []).append(anchor)
        learned = {}
        for h in new:
            ids = tuple(sorted(found[h])) if h in found else ()
            number = self._set_numbers.get(ids)
            if number is None:
                number = self._set_numbers[ids] = len(self._sets)
                self._sets.append(ids)
            learned[h] = number
        self._memo[attr].add(learned)
        return learned

    def _anchor_sentences(self, table: TokenTable) -> dict[int, int]:
        """For each anchor some token of the Doc meets, the sentences holding such tokens, as a bit mask.

        One array lookup of every token's form in the memo; only new forms are
        tested, and only the tokens meeting some anchor are visited in Python.
        """
        where: dict[int, int] = {}
        sets = self._sets
        for attr in (LOWER, ORTH):
            if not self._regexes[attr] and (attr == ORTH or not self._words()):
                continue
            column = table.lower if attr == LOWER else table.orth
            numbers = self._memo[attr].lookup(column)
            unknown = (numbers < 0).nonzero()[0]
            if len(unknown):
                hashes = column[unknown].tolist()
                learned = self._learn(attr, list(dict.fromkeys(hashes)), table)
                numbers[unknown] = [learned[h] for h in hashes]
            at = numbers.nonzero()[0]  # set 0 is the empty one
            in_sentences: dict[int, int] = {}  # anchor set -> the sentences of its tokens
            for number, k in zip(numbers[at].tolist(), table.sent_id[at].tolist()):
                in_sentences[number] = in_sentences.get(number, 0) | 1 << k
            for number, mask in in_sentences.items():
                for anchor in sets[number]:
                    where[anchor] = where.get(anchor, 0) | mask
        return where

    def __call__(self, doc: Doc, table: TokenTable | None = None) -> list[Match]:
        """Every match in ``doc``, sorted by position (``table``: the Doc's TokenTable, when the caller has one)."""
        strings = self.nlp.vocab.strings
        found: set[tuple[str, int, int]] = set()
        if (self.matchers or self.single) and len(doc):
            table = TokenTable(doc) if table is None else table
            for label, attr, hashes in self.single:  # no Matcher: the same test, on the whole token array at once
                column = table.lower if attr == LOWER else table.orth
                found.update((label, i, i + 1) for i in member(column, hashes).nonzero()[0].tolist())
            if self.matchers:
                where = self._anchor_sentences(table)  # anchor id -> bit mask of the sentences holding it
                for matcher, anchors in self.matchers:
                    if anchors and anchors[0] not in where:
                        continue  # its first anchor (a word anchor, if it has one) is absent: most patterns stop here
                    for span in self._windows(table, anchors, where):
                        offset = span.start
                        found.update((strings[key], s + offset, e + offset) for key, s, e in matcher(span))
        if len(self.phrases):
            found.update((strings[key], s, e) for key, s, e in self.phrases(doc))
        return [Match(label, s, e) for label, s, e in sorted(found, key=lambda t: (t[1], t[2], t[0]))]

    def _windows(self, table: TokenTable, anchors: tuple[int, ...], where: dict[int, int]) -> list[Span]:
        """The sentences holding every anchor of the pattern (the whole Doc when it has none).

        Patterns match within one sentence, so a sentence lacking one of the
        pattern's required tokens cannot hold a match: the Matcher never sees it.
        """
        if not anchors:
            return [table.doc[:]]
        common = -1  # all sentences
        for i in anchors:
            common &= where.get(i, 0)  # no token of the Doc meets an anchor missing here
            if not common:
                return []
        spans = []
        while common:
            low = common & -common
            spans.append(table.sentence(low.bit_length() - 1))
            common ^= low
        return spans


def _trim(table: TokenTable, start: int, end: int) -> tuple[int, int]:
    """Character offsets of tokens ``start:end`` without edge whitespace tokens."""
    solid = (~table.is_space[start:end]).nonzero()[0]
    if not len(solid):
        at = int(table.idx[start]) if start < table.n else len(table.text)
        return at, at
    first, last = start + int(solid[0]), start + int(solid[-1])
    return int(table.idx[first]), table.token_end(last)


class RuleMatcher:
    """Run a RuleSet's category rules over a Doc and return Evidence, one per place and category."""

    def __init__(self, nlp: Language, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.entries = ruleset.by_id()
        self.bank = PatternBank(nlp)
        for entry in ruleset.rules:
            self.bank.add(entry.rule.id, entry.rule.patterns, entry.rule.phrases, entry.path, entry.rule.id)

    def __call__(self, doc: Doc, table: TokenTable | None = None) -> list[Evidence]:
        return select(self.candidates(doc, table))

    def candidates(self, doc: Doc, table: TokenTable | None = None) -> list[Evidence]:
        """Every match of every rule, before overlapping evidence is resolved."""
        candidates: list[Evidence] = []
        table = TokenTable(doc) if table is None else table
        doc_text = table.text
        for match in self.bank(doc, table):
            entry = self.entries[match.label]
            start, end = _trim(table, match.start, match.end)
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
