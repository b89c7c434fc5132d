"""Layer 2, tokens: ``parse`` and ``TokenTable`` give what spaCy's own, slower paths give.

The rules, signals and features layers read a Doc only through a TokenTable;
these tests hold the table to the Doc it summarises, and the anchor-gated
PatternBank to plain spaCy matching, on the corpus.
"""

from __future__ import annotations

import bisect
import functools
import re
from pathlib import Path

import numpy as np
import pytest
from spacy.attrs import LOWER, ORTH
from spacy.matcher import Matcher

from hypecheck.nlp import JoinedStrings, TokenTable, make_nlp, parse, parse_table, sentence_starts
from hypecheck.rules import load_rules
from hypecheck.rules.matcher import PatternBank
from hypecheck.train import load_corpus

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def corpus_sample():
    records = sorted(load_corpus(REPO / "corpora"), key=lambda r: r["id"])
    return [(r["lang"], r["text"]) for r in records[::7]]  # ~200 documents, both languages


EDGE_TEXTS = [
    "",
    "   ",
    "\n\n",
    "Ein Satz.",
    "Kurs +40 %!!! Jetzt kaufen.\n\nNeuer Absatz ohne Punkt\nKurze Zeile\nnoch eine",
    "DerDAXlegte zu.ReportInvestoren lesen\r\n\tweiter …",
]


@functools.lru_cache(maxsize=None)
def spacy_sentencizer(lang):
    import spacy

    return spacy.blank(lang).add_pipe("sentencizer")


def reference_sentence_starts(lang, text):
    """spaCy's own Sentencizer on hypecheck's tokens, then the paragraph rule token by token."""
    from hypecheck.nlp import _NEWLINES, _breaks_sentence

    doc = spacy_sentencizer(lang)(make_nlp(lang).make_doc(text))
    starts = {t.i for t in doc if t.is_sent_start}
    token_starts = [t.idx for t in doc]
    for m in _NEWLINES.finditer(text):
        if _breaks_sentence(text, m.start(), m.group(0).count("\n")):
            first_after = bisect.bisect_left(token_starts, m.end())
            if first_after < len(doc):
                starts.add(first_after)
    return sorted(starts)


def test_sentence_starts_are_the_sentencizer_plus_paragraphs(corpus_sample):
    for lang, text in corpus_sample + [("de", t) for t in EDGE_TEXTS]:
        assert sentence_starts(parse(make_nlp(lang), text)) == reference_sentence_starts(lang, text), text[:100]


def test_parse_equals_running_the_pipeline(corpus_sample):
    for lang, text in corpus_sample + [("de", t) for t in EDGE_TEXTS]:
        nlp = make_nlp(lang)
        a, b = parse(nlp, text), nlp(text)
        assert [t.text for t in a] == [t.text for t in b]
        assert sentence_starts(a) == sentence_starts(b)
        assert "hypecheck.text" not in a.user_data


def test_table_arrays_match_the_doc(corpus_sample):
    for lang, text in corpus_sample + [("de", t) for t in EDGE_TEXTS]:
        doc = parse(make_nlp(lang), text)
        table = TokenTable(doc, text)
        assert table.text == doc.text
        assert table.sent_id.tolist() == [k for k, sent in enumerate(doc.sents) for _ in sent]
        clause, expected_clauses = 0, []
        for t in doc:  # token by token: a clause starts with the Doc, a sentence, or a break token
            clause += t.i == 0 or bool(t.is_sent_start) or t.text in {",", ";", ":", "–", "—", "-", "(", ")", "\n"}
            expected_clauses.append(clause)
        assert table.clause_ids().tolist() == expected_clauses
        assert [s.start for s in table.sentences()] == sentence_starts(doc)
        assert [table.token_end(i) for i in range(len(doc))] == [t.idx + len(t.text) for t in doc]
        assert table.is_space.tolist() == [t.is_space for t in doc]


def test_parse_table_reuses_the_sentence_arrays_exactly(corpus_sample):
    for lang, text in corpus_sample + [("de", t) for t in EDGE_TEXTS]:
        fast = parse_table(make_nlp(lang), text)
        plain = TokenTable(fast.doc, text)
        for name in ("lower", "orth", "idx", "is_space", "is_punct", "like_num", "length", "sent_id", "sent_bounds"):
            assert getattr(fast, name).tolist() == getattr(plain, name).tolist(), (name, text[:60])
        assert "hypecheck.arrays" not in fast.doc.user_data


@pytest.mark.parametrize("pattern", [r"^\d+$", r"^\d{2,}(?:[.,]\d+)?$", r"prozent", r"^[A-Z]{3,5}$", r"mal$", r"^\s+$", r"x^"])
def test_joined_strings_match_like_per_string_search(corpus_sample, pattern):
    rx = re.compile(pattern, re.M)
    for lang, text in corpus_sample[:60]:
        table = TokenTable(parse(make_nlp(lang), text), text)
        for attr in (LOWER, ORTH):
            column = table.lower if attr == LOWER else table.orth
            strings = [table.doc.vocab.strings[h] for h in dict.fromkeys(column.tolist())]
            expected = {j for j, s in enumerate(strings) if rx.search(s)}
            assert set(JoinedStrings(strings).matching(rx)) == expected, (pattern, text[:80])
            some = strings[::3]
            assert set(JoinedStrings(some).matching(rx)) == {j for j, s in enumerate(some) if rx.search(s)}
    assert JoinedStrings([]).matching(rx) == []


@pytest.mark.parametrize("lang", ["de", "en"])
def test_gated_bank_matches_like_plain_matchers(corpus_sample, lang):
    """The anchor gate only skips work: per sentence, every pattern finds what an ungated Matcher finds."""
    nlp = make_nlp(lang)
    ruleset = load_rules(lang)
    bank = PatternBank(nlp)
    plain = Matcher(nlp.vocab, validate=False)
    groups = [(entry.rule.id, entry.rule.patterns) for entry in ruleset.rules]
    groups += [(f"signals.{name}", cue.patterns) for name, cue in ruleset.signals.signals.items()]
    groups += [(f"context.{kind}", cue.patterns) for kind, cue in ruleset.context.cues.items()]
    for label, patterns in groups:
        bank.add(label, patterns, [], "test", label)
        if patterns:
            plain.add(label, [list(p) for p in patterns])
    assert bank.single and bank.matchers  # both paths are exercised
    texts = [t for lg, t in corpus_sample if lg == lang]
    assert texts
    for text in texts + texts[:20]:  # the second pass runs on the regex memo of the first
        doc = parse(nlp, text)
        table = TokenTable(doc, text)
        expected = set()
        for sent in table.sentences():
            expected.update((nlp.vocab.strings[k], s + sent.start, e + sent.start) for k, s, e in plain(sent))
        got = {(m.label, m.start, m.end) for m in bank(doc, table)}
        assert got == expected, text[:120]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_bank_phrases_match_like_spacys_phrase_matcher(corpus_sample, lang):
    """The bank's phrases match as spaCy's PhraseMatcher does (held here as the bank changes)."""
    from spacy.matcher import PhraseMatcher

    nlp = make_nlp(lang)
    ruleset = load_rules(lang)
    groups = [(entry.rule.id, entry.rule.phrases) for entry in ruleset.rules]
    groups += [(f"signals.{name}", cue.phrases) for name, cue in ruleset.signals.signals.items()]
    groups += [(f"context.{kind}", cue.phrases) for kind, cue in ruleset.context.cues.items()]
    bank, plain = PatternBank(nlp), PhraseMatcher(nlp.vocab, attr="LOWER")
    for label, phrases in groups:
        bank.add(label, [], phrases, "test", label)
        if phrases:
            plain.add(label, [nlp.make_doc(p) for p in phrases])
    texts = [t for lg, t in corpus_sample if lg == lang] + EDGE_TEXTS
    for text in texts:
        doc = parse(nlp, text)
        expected = {(nlp.vocab.strings[k], s, e) for k, s, e in plain(doc)}
        assert {(m.label, m.start, m.end) for m in bank(doc)} == expected, text[:120]


def test_regex_memo_restarts_when_full_and_stays_exact(corpus_sample, monkeypatch):
    """A tiny memo limit makes the bank clear its memo over and over: matches must not change."""
    from hypecheck.rules import matcher as M

    nlp = make_nlp("de")
    ruleset = load_rules("de")
    texts = [t for lg, t in corpus_sample if lg == "de"][:40]

    def all_matches():
        bank = PatternBank(nlp)
        for entry in ruleset.rules:
            bank.add(entry.rule.id, entry.rule.patterns, [], entry.path, entry.rule.id)
        out = []
        for text in texts + texts[:10]:
            doc = parse(nlp, text)
            out.append([(m.label, m.start, m.end) for m in bank(doc, TokenTable(doc, text))])
        return out, bank

    expected, bank = all_matches()
    assert 0 < sum(len(m) for m in bank._memo.values()) <= M.MEMO_LIMIT
    monkeypatch.setattr(M, "MEMO_LIMIT", 25)
    got, small = all_matches()
    assert got == expected
    most_forms = max(len(set(parse(nlp, t).to_array(attr).tolist())) for t in texts for attr in (LOWER, ORTH))
    assert all(len(m) <= most_forms for m in small._memo.values())  # cleared before each document that would overflow it


@pytest.mark.parametrize("lang", ["de", "en"])
def test_pipelines_compute_only_the_lexical_attributes_someone_reads(lang, corpus_sample):
    """New words get the attributes the TokenTable and the rules read, the same as spaCy's; no others."""
    import spacy
    from spacy.attrs import NAMES

    from hypecheck.nlp import BASE_LEXICAL

    ruleset = load_rules(lang)
    nlp = make_nlp(lang, ruleset.token_attributes())
    assert nlp is make_nlp(lang)  # the bundled rules test no attribute beyond the base ones
    assert {NAMES[k] for k in nlp.vocab.lex_attr_getters} == set(BASE_LEXICAL)
    assert ruleset.token_attributes() >= {"LOWER", "TEXT"}
    full = spacy.blank(lang)
    for text in [t for code, t in corpus_sample if code == lang][:20]:
        for tok in nlp.make_doc(text):
            ref = full.vocab[tok.text]
            assert (tok.lower_, tok.is_space, tok.is_punct, tok.like_num) == (ref.lower_, ref.is_space, ref.is_punct,
                                                                              ref.like_num)
    shaped = make_nlp(lang, ["shape"])
    assert shaped is not nlp and shaped.vocab["Kurs12"].shape_ == "Xxxxdd"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_infix_finder_skips_only_chunks_without_infixes(corpus_sample, lang):
    """The precheck changes no token: the same tokens as the plain infix regex, on the corpus and on
    words built to hit the glued-word and punctuation infixes; and the tokenizer still serialises."""
    import random

    from hypecheck.nlp import InfixFinder

    nlp = make_nlp(lang)
    finder = nlp.tokenizer.infix_finditer.__self__
    assert isinstance(finder, InfixFinder)
    import spacy

    reference = spacy.blank(lang)
    reference.tokenizer.infix_finditer = finder.regex.finditer
    rng = random.Random(7)
    letters = "aeiouxyzäöüßAEIOUXYZÄÖÜ"
    made = [" ".join("".join(rng.choice(letters + ".,-:!?…/1") for _ in range(rng.randint(1, 12))) for _ in range(30))
            for _ in range(40)]
    texts = [t for lg, t in corpus_sample if lg == lang] + EDGE_TEXTS + made
    for text in texts:
        assert [t.text for t in nlp.make_doc(text)] == [t.text for t in reference.make_doc(text)], text[:100]
    assert nlp.tokenizer.to_bytes()
