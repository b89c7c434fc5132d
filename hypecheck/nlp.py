"""Layer 2, tokens and sentences: the only module that builds spaCy pipelines.

Pipelines are blank (no trained spaCy model can be installed here): the
language's tokenizer, the rule-based sentencizer, and a small component that
also starts a sentence after every line break, so a pitch glued under a news
paragraph becomes a sentence of its own.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import spacy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

_LOCK = threading.Lock()


@Language.component("hypecheck_paragraphs")
def _paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence after each newline token and after a title line."""
    starts = [i + 1 for i, token in enumerate(doc[:-1]) if "\n" in token.text or "\n" in token.whitespace_]
    if starts:
        # One array write: setting Token.is_sent_start scans the whole Doc each time (quadratic on long texts).
        flags = doc.to_array([SENT_START])
        flags[starts] = 1
        doc.from_array([SENT_START], flags)  # type: ignore[arg-type]  # spaCy's stub says float64; it is uint64
    return doc


@lru_cache(maxsize=None)
def make_nlp(lang: str) -> Language:
    """Return the shared blank pipeline for ``lang`` (built once per process)."""
    with _LOCK:
        nlp = spacy.blank(lang)
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("hypecheck_paragraphs")
        return nlp


def sentence_ids(doc: Doc) -> list[int]:
    """The sentence number of every token of ``doc``."""
    ids = [0] * len(doc)
    for n, sent in enumerate(doc.sents):
        for i in range(sent.start, sent.end):
            ids[i] = n
    return ids


_CLAUSE_BREAKS = frozenset({",", ";", ":", "–", "—", "-", "(", ")", "\n"})


def clause_ids(doc: Doc) -> list[int]:
    """A clause number for every token: clauses end at sentence ends and at , ; : dashes and brackets."""
    ids, n = [0] * len(doc), 0
    for i, token in enumerate(doc):
        if token.is_sent_start or token.text in _CLAUSE_BREAKS:
            n += 1
        ids[i] = n
    return ids
