"""Layer 2, tokens and sentences: the only module that builds spaCy pipelines.

Pipelines are blank (no trained spaCy model can be installed here): the
language's tokenizer and one component that sets sentence starts with spaCy's
rule-based sentencizer's rule (vectorised) and also at line breaks, so a pitch
set under a news paragraph becomes a sentence of its own. They compute only
the word attributes hypecheck and the loaded rules read (:func:`make_nlp`).

:func:`parse` runs a pipeline; :func:`parse_table` also returns the
:class:`TokenTable`, the arrays that the rules, signals and features layers
read from the resulting Doc.

The tokenizer also splits words that scraping glued together ("DerDAXlegte",
"ReportInvestoren", "Zinszyklus?Anzeige"): the text is left as it is, only the
token boundaries change, so offsets still point into the text a user sees.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
from typing import Iterable, Iterator

import numpy as np
from functools import lru_cache

import spacy
from spacy.attrs import NAMES, IDX, IS_PUNCT, IS_SPACE, LENGTH, LIKE_NUM, LOWER, ORTH, SENT_START
from spacy.pipeline import Sentencizer
from spacy.strings import get_string_id
from spacy.util import compile_infix_regex
from spacy.lang.lex_attrs import LEX_ATTRS
from spacy.language import Language
from spacy.tokens import Doc, Span

from hypecheck.arrays import NONE as _NONE, member

_LOCK = threading.Lock()


#: Zero-width or punctuation infixes for glued words: lower->Upper+lower ("ReportInvestoren"),
#: lower->UPPER ("DerDAX"), UPPER->lower ("DAXlegte"), and sentence punctuation between letters.
GLUE_INFIXES = (
    # Each starts with its cheapest test (a one-character look-ahead where possible): the tokenizer
    # runs these at every position of every new chunk. The order of zero-width tests changes no match.
    r"(?=[A-ZÄÖÜ][a-zäöüß]{2})(?<=[a-zäöüß]{3})",
    r"(?=[A-ZÄÖÜ]{2,}[a-zäöüß]{2})(?<=[a-zäöüß]{2})",
    r"(?=[A-ZÄÖÜ]{3,}\b)(?<=[a-zäöüß]{2})",
    r"(?<=[A-ZÄÖÜ]{3})(?=[a-zäöüß]{3,})",
    r"(?=[.!?:][A-ZÄÖÜ])(?<=[a-zäöüß]{2})[.!?:]",
)


class InfixFinder:
    """The tokenizer's infix search, skipping chunks where no infix can occur.

    Every infix of spaCy's German and English defaults consumes a character
    that is not a letter, and the glued-word infixes need an upper-case letter
    after the first character; a chunk of letters that is lower-case after its
    first letter ("Aktie", "stieg") has none, and most chunks are like that.
    ``pattern`` is the regex's, so spaCy can still serialise the tokenizer.
    """

    def __init__(self, regex: "re.Pattern[str]") -> None:
        self.regex = regex
        self.pattern = regex.pattern

    def finditer(self, chunk: str) -> Iterator["re.Match[str]"]:
        if chunk.isalpha() and (len(chunk) < 2 or chunk[1:].islower()):
            return iter(())
        return self.regex.finditer(chunk)


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


#: spaCy's Sentencizer punctuation, as ORTH ids: a sentence ends after one of these.
_SENTENCE_PUNCT = np.array(sorted({get_string_id(c) for c in Sentencizer.default_punct_chars}), dtype=np.uint64)


@Language.component("hypecheck_sentences")
def _sentence_breaks(doc: Doc) -> Doc:
    """Sentence starts: spaCy's Sentencizer rule, plus paragraph breaks (see :func:`mark_sentences`)."""
    return mark_sentences(doc, doc.user_data.get(TEXT_KEY) or doc.text)


def mark_sentences(doc: Doc, text: str) -> Doc:
    """Set every token's sentence start from the text (``Doc.text`` is given: rebuilding it is costly).

    Two rules, computed with numpy over the Doc's arrays:

    - spaCy's Sentencizer, vectorised: after a token that is one of its
      punctuation characters, the next token that is neither punctuation nor
      one of those characters starts a sentence (the same starts as
      ``nlp.add_pipe("sentencizer")``, which walks the tokens in Python);
    - paragraphs: a sentence also starts after a blank line, after a line
      ending in punctuation and after a short line, but not at a hard wrap.
    """
    n = len(doc)
    if not n:
        return doc
    arr = doc.to_array([ORTH, IS_PUNCT, IDX])
    ends_sentence = member(arr[:, 0], _SENTENCE_PUNCT)
    candidates = (~ends_sentence & (arr[:, 1] == 0)).nonzero()[0]
    seen = ends_sentence.cumsum()[candidates]  # such punctuation before each candidate
    since_previous = seen.copy()
    since_previous[1:] -= seen[:-1]
    flags = np.full(n, -1, dtype=np.int64)
    flags[candidates[since_previous > 0]] = 1  # some since the previous candidate
    flags[0] = 1
    if "\n" in text and n > 1:
        ends = [m.end() for m in _NEWLINES.finditer(text) if _breaks_sentence(text, m.start(), m.group(0).count("\n"))]
        if ends:
            starts = arr[:, 2].searchsorted(np.asarray(ends, dtype=arr.dtype), side="left")
            flags[starts[starts < n]] = 1
    # One array write: setting Token.is_sent_start scans the whole Doc each time (quadratic on long texts).
    doc.from_array([SENT_START], flags.astype(np.uint64))  # type: ignore[arg-type]  # spaCy's stub says float64
    if TEXT_KEY in doc.user_data:  # inside parse(): hand the arrays read here on to the TokenTable
        doc.user_data[_ARRAYS_KEY] = (arr, flags)
    return doc


#: ``Doc.user_data`` key under which :func:`parse` leaves the text, so components need not rebuild it.
TEXT_KEY = "hypecheck.text"


#: Lexical attributes every pipeline computes for a new word: the TokenTable reads them.
BASE_LEXICAL = frozenset({"LOWER", "IS_SPACE", "IS_PUNCT", "LIKE_NUM"})


def make_nlp(lang: str, lexical: Iterable[str] = ()) -> Language:
    """Return the shared blank pipeline for ``lang`` (built once per process and attribute set).

    ``lexical``: further lexical attributes (spaCy names such as ``SHAPE`` or
    ``IS_DIGIT``) that token patterns test, beyond :data:`BASE_LEXICAL`.

    spaCy computes some twenty attributes (shape, prefix, suffix, norm, flags)
    in Python for each word it has not seen before, which costs about a third
    of the tokenizer pass on news text. A pipeline here computes only the ones
    hypecheck reads; the others stay at their defaults (0 or the empty string),
    so a pattern testing one of them must be declared through ``lexical``.
    """
    return _pipeline(lang, BASE_LEXICAL | ({name.upper() for name in lexical} & _LEXICAL_NAMES))


def clear_pipelines() -> None:
    """Forget the pipelines built so far (the benchmarks start each run from fresh ones)."""
    _pipeline.cache_clear()


def _attr_name(key: object) -> str | None:
    return NAMES[key] if isinstance(key, int) and 0 <= key < len(NAMES) else None


#: Attributes spaCy computes per word (not per token): the only ones a pipeline can leave out.
_LEXICAL_NAMES = frozenset(filter(None, map(_attr_name, LEX_ATTRS))) | {"IS_STOP", "LANG", "NORM", "LIKE_NUM"}


@lru_cache(maxsize=None)
def _pipeline(lang: str, lexical: frozenset[str]) -> Language:
    with _LOCK:
        nlp = spacy.blank(lang)
        getters = nlp.vocab.lex_attr_getters  # type: ignore[attr-defined]  # missing from spaCy's stub
        nlp.vocab.lex_attr_getters = {key: get for key, get in getters.items()  # type: ignore[attr-defined]
                                      if _attr_name(key) in lexical}
        infixes = list(nlp.Defaults.infixes or ()) + list(GLUE_INFIXES)
        finder = InfixFinder(compile_infix_regex(infixes))
        nlp.tokenizer.infix_finditer = finder.finditer  # type: ignore[union-attr]  # a Tokenizer here
        nlp.add_pipe("hypecheck_sentences")
        return nlp


_ARRAYS_KEY = "hypecheck.arrays"


def parse(nlp: Language, text: str) -> Doc:
    """Run ``nlp`` over ``text``: the same Doc as ``nlp(text)``, without rebuilding ``Doc.text`` in the components."""
    return parse_table(nlp, text).doc


def parse_table(nlp: Language, text: str) -> "TokenTable":
    """:func:`parse`, and the TokenTable of the Doc, which reuses the arrays the sentence component read."""
    doc = nlp.make_doc(text)
    doc.user_data[TEXT_KEY] = text
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    del doc.user_data[TEXT_KEY]
    return TokenTable(doc, text, doc.user_data.pop(_ARRAYS_KEY, None))


def sentence_starts(doc: Doc) -> list[int]:
    """Token indices where sentences start (always including 0), read from one array.

    Faster than ``doc.sents``, which first checks the annotation by creating every Token.
    """
    if not len(doc):
        return []
    flags = doc.to_array([SENT_START])
    starts = np.flatnonzero(flags == 1).tolist()
    return starts if starts and starts[0] == 0 else [0] + starts


#: Tokens that end a clause (besides sentence ends), as sorted ORTH ids.
_CLAUSE_BREAKS = np.array(sorted({get_string_id(c) for c in (",", ";", ":", "–", "—", "-", "(", ")", "\n")}), dtype=np.uint64)


class JoinedStrings:
    """Strings joined one per line, to find which of them a regex matches in one scan.

    One ``rx.search`` pass over the joined text instead of one search per string:
    ``rx`` must be compiled with ``re.M``, so that ``^``/``$`` still mean the ends of
    each string. A match running across a line break can only add a string, never
    lose one, so use the result to pick where to run the real matcher, not as a
    match. Strings holding a line break (whitespace tokens) are searched one by one.
    """

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings
        joined = "\n".join(strings)
        if joined.count("\n") == len(strings) - 1 or not strings:
            self.keep: list[int] | None = None
            self.odd: list[int] = []
            single = strings
        else:
            self.keep = [j for j, s in enumerate(strings) if "\n" not in s]
            self.odd = [j for j, s in enumerate(strings) if "\n" in s]
            single = [strings[j] for j in self.keep]
            joined = "\n".join(single)
        self.joined = joined
        self.n_lines = len(single)
        self.line_starts = list(itertools.accumulate((len(s) + 1 for s in single), initial=0))

    def matching(self, rx: "re.Pattern[str]") -> list[int]:
        """Indices of the strings ``rx.search`` finds something in (as spaCy's REGEX predicate does)."""
        hit = [j for j in self.odd if rx.search(self.strings[j])]
        joined, starts, keep = self.joined, self.line_starts, self.keep
        pos = 0
        while self.n_lines:
            m = rx.search(joined, pos)
            if m is None:
                break
            k = bisect.bisect_right(starts, m.start()) - 1
            hit.append(k if keep is None else keep[k])
            if k + 1 >= self.n_lines:
                break
            pos = starts[k + 1]
        return hit


class TokenTable:
    """Per-Doc token arrays, read from the Doc once and shared by the rules, signals and features layers.

    Every layer used to call ``Doc.to_array`` and ``Doc.text`` on its own; each
    of those walks all tokens. The table reads one array of
    ``LOWER, ORTH, SENT_START, IDX, IS_SPACE, IS_PUNCT, LIKE_NUM, LENGTH`` and derives
    the rest with numpy, lazily. Build one per Doc and use it from one thread.
    """

    ATTRS = (LOWER, ORTH, SENT_START, IDX, IS_SPACE, IS_PUNCT, LIKE_NUM, LENGTH)

    def __init__(self, doc: Doc, text: str | None = None,
                 sentence_arrays: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.doc = doc
        self.text = doc.text if text is None else text
        self.n = len(doc)
        if sentence_arrays is not None and self.n:  # ORTH, IS_PUNCT, IDX and the sentence starts: read already
            known, flags = sentence_arrays
            rest = (LOWER, IS_SPACE, LIKE_NUM, LENGTH)
            col = dict(zip(rest, doc.to_array(list(rest)).T))
            col.update({ORTH: known[:, 0], IS_PUNCT: known[:, 1], IDX: known[:, 2], SENT_START: flags})
        else:
            arr = doc.to_array(list(self.ATTRS)) if self.n else np.zeros((0, len(self.ATTRS)), dtype=np.uint64)
            col = dict(zip(self.ATTRS, arr.T))
        self.lower, self.orth = col[LOWER], col[ORTH]
        self.idx = col[IDX].astype(np.int64)
        self.is_space = col[IS_SPACE] == 1
        self.is_punct = col[IS_PUNCT] == 1
        self.like_num = col[LIKE_NUM] == 1
        self.length = col[LENGTH].astype(np.int64)
        new_sent = col[SENT_START] == 1
        if self.n:
            new_sent[0] = True
        #: sentence number of every token, and the token index where each sentence starts (plus ``n`` at the end)
        self.sent_id = new_sent.cumsum() - 1
        self.sent_bounds = np.concatenate((new_sent.nonzero()[0], [self.n]))
        self._spans: dict[int, Span] = {}

    def token_end(self, i: int) -> int:
        """Character offset just after token ``i``."""
        return int(self.idx[i] + self.length[i])

    @property
    def n_sentences(self) -> int:
        return len(self.sent_bounds) - 1

    def sentence(self, k: int) -> Span:
        """Sentence ``k`` as a Span (cached: several matchers ask for the same sentence)."""
        span = self._spans.get(k)
        if span is None:
            span = self._spans[k] = self.doc[int(self.sent_bounds[k]) : int(self.sent_bounds[k + 1])]
        return span

    def clause_ids(self) -> np.ndarray:
        """A clause number for every token: clauses end at sentence ends and at , ; : dashes and brackets."""
        if not self.n:
            return _NONE
        new_clause = member(self.orth, _CLAUSE_BREAKS)
        new_clause[self.sent_bounds[:-1]] = True
        return new_clause.cumsum()

    def sentences(self) -> list[Span]:
        return [self.sentence(k) for k in range(self.n_sentences)]
