"""Layer 2, tokens and sentences: the only module that builds spaCy pipelines.

Pipelines are blank (no trained spaCy model can be installed here): the
language's tokenizer, the rule-based sentencizer, and a small component that
also starts a sentence at line breaks, so a pitch set under a news paragraph
becomes a sentence of its own.

The tokenizer also splits words that scraping glued together ("DerDAXlegte",
"ReportInvestoren", "Zinszyklus?Anzeige"): the text is left as it is, only the
token boundaries change, so offsets still point into the text a user sees.
"""

from __future__ import annotations

import re
import threading

import numpy as np
from functools import lru_cache

import spacy
from spacy.attrs import IDX, ORTH, SENT_START
from spacy.util import compile_infix_regex
from spacy.language import Language
from spacy.tokens import Doc

_LOCK = threading.Lock()


#: Zero-width or punctuation infixes for glued words: lower->Upper+lower ("ReportInvestoren"),
#: lower->UPPER ("DerDAX"), UPPER->lower ("DAXlegte"), and sentence punctuation between letters.
GLUE_INFIXES = (
    r"(?<=[a-zäöüß]{3})(?=[A-ZÄÖÜ][a-zäöüß]{2})",
    r"(?<=[a-zäöüß]{2})(?=[A-ZÄÖÜ]{2,}[a-zäöüß]{2})",
    r"(?<=[a-zäöüß]{2})(?=[A-ZÄÖÜ]{3,}\b)",
    r"(?<=[A-ZÄÖÜ]{3})(?=[a-zäöüß]{3,})",
    r"(?<=[a-zäöüß]{2})[.!?:](?=[A-ZÄÖÜ])",
)
#: A single line break inside a line at least this long that ends without punctuation is a hard wrap.
HARD_WRAP_CHARS = 50
_LINE_END = tuple(".!?:;…»«\"“”)]|")


def _breaks_sentence(text: str, newline_at: int, newlines: int) -> bool:
    """True when the line break at ``newline_at`` separates sentences (not a hard-wrapped line)."""
    if newlines >= 2:
        return True
    line = text[text.rfind("\n", 0, newline_at) + 1 : newline_at].rstrip()
    return not line or line.endswith(_LINE_END) or len(line) < HARD_WRAP_CHARS


_NEWLINES = re.compile(r"\n[ \t\r\f\v\n]*")


@Language.component("hypecheck_paragraphs")
def _paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence after blank lines, after lines ending in punctuation, and after short lines."""
    text = doc.text
    if "\n" not in text or len(doc) < 2:
        return doc
    token_starts = doc.to_array([IDX])
    starts = []
    for m in _NEWLINES.finditer(text):
        if _breaks_sentence(text, m.start(), m.group(0).count("\n")):
            i = int(np.searchsorted(token_starts, m.end(), side="left"))
            if 0 < i < len(doc):
                starts.append(i)
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
        infixes = list(nlp.Defaults.infixes or ()) + list(GLUE_INFIXES)
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[union-attr]  # a Tokenizer here
        nlp.add_pipe("sentencizer")
        nlp.add_pipe("hypecheck_paragraphs")
        return nlp


def sentence_starts(doc: Doc) -> list[int]:
    """Token indices where sentences start (always including 0), read from one array.

    Faster than ``doc.sents``, which first checks the annotation by creating every Token.
    """
    if not len(doc):
        return []
    flags = doc.to_array([SENT_START])
    starts = np.flatnonzero(flags == 1).tolist()
    return starts if starts and starts[0] == 0 else [0] + starts


def sentence_spans(doc: Doc) -> list:
    """The sentences of ``doc`` as Spans (same boundaries as ``doc.sents``)."""
    starts = sentence_starts(doc)
    return [doc[a:b] for a, b in zip(starts, starts[1:] + [len(doc)])]


def sentence_ids(doc: Doc) -> list[int]:
    """The sentence number of every token of ``doc``."""
    if not len(doc):
        return []
    flags = doc.to_array([SENT_START])
    ids = np.cumsum(flags == 1)
    if flags[0] != 1:
        ids = ids + 1
    return (ids - 1).tolist()


_CLAUSE_BREAKS = frozenset({",", ";", ":", "–", "—", "-", "(", ")", "\n"})


def clause_ids(doc: Doc) -> list[int]:
    """A clause number for every token: clauses end at sentence ends and at , ; : dashes and brackets."""
    if not len(doc):
        return []
    strings = doc.vocab.strings
    breaks = np.array([strings.add(c) for c in _CLAUSE_BREAKS], dtype=np.uint64)
    arr = doc.to_array([SENT_START, ORTH])
    new_clause = (arr[:, 0] == 1) | np.isin(arr[:, 1], breaks)
    new_clause[0] = True
    return np.cumsum(new_clause).tolist()
