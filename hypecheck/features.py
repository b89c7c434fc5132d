"""Layer 4, features: turn a Doc, its evidence and signals into terms and named feature dicts.

Both levels use the same two kinds of input so one linear model format serves both:

- ``terms``: lower-cased word unigrams and bigrams (numbers folded to ``<num>``),
  fed to a TF-IDF block;
- ``features``: a ``dict[str, float]`` of rule evidence, position and signals,
  fed to a DictVectorizer block. Names survive into the model, so weights map
  back to explanations.

Training (sklearn) and scoring (numpy) call these same functions.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
from spacy.attrs import LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span

from hypecheck.arrays import member, run_starts
from hypecheck.nlp import TokenTable
from hypecheck.types import CATEGORIES, Evidence

KEEP_PUNCT = frozenset({"%", "!", "€", "$", "?"})


class Sentence(NamedTuple):
    """A sentence of the normalised text: trimmed character offsets, and its tokens in ``doc``.

    A named tuple, not a frozen dataclass: a document has dozens, and a frozen
    dataclass costs several times more to build.
    """

    start: int
    end: int
    token_start: int  # the sentence's tokens are doc[token_start:token_end], edge white space included
    token_end: int
    number: int  # its place among the non-blank sentences
    doc: Doc

    @property
    def span(self) -> Span:
        return self.doc[self.token_start : self.token_end]


def sentences(doc: Doc, table: TokenTable | None = None) -> list[Sentence]:
    """Non-blank sentences of ``doc`` with trimmed character offsets."""
    table = TokenTable(doc) if table is None else table
    solid = (~table.is_space).nonzero()[0]
    if not len(solid):
        return []
    sent_of = table.sent_id[solid]  # non-decreasing
    first = run_starts(sent_of)
    kept = sent_of[first]
    last = np.concatenate((first[1:], [len(solid)])) - 1
    starts = table.idx[solid[first]].tolist()
    ends = (table.idx[solid[last]] + table.length[solid[last]]).tolist()
    bounds = table.sent_bounds
    return [Sentence(a, e, b, c, i, doc) for i, (a, e, b, c) in
            enumerate(zip(starts, ends, bounds[kept].tolist(), bounds[kept + 1].tolist()))]


def token_words(doc: Doc, table: TokenTable | None = None) -> list[str | None]:
    """Per token: its lower-cased form, ``<num>`` for numbers, None for spaces and dropped punctuation."""
    table = TokenTable(doc) if table is None else table
    if not table.n:
        return []
    number_like, dropped = _token_classes(table)
    strings = doc.vocab.strings
    out = np.array([strings[h] for h in table.lower.tolist()], dtype=object)
    out[table.like_num | number_like] = "<num>"
    out[table.is_punct & dropped] = None
    out[table.is_space] = None
    return out.tolist()


#: Punctuation the terms keep, as LOWER hashes (punctuation has no case: LOWER is ORTH).
_KEPT_PUNCT = np.array(sorted(get_string_id(p) for p in KEEP_PUNCT), dtype=np.uint64)


def _is_digit(codepoints: np.ndarray) -> np.ndarray:
    """``str.isdigit`` of each code point: ASCII in numpy, the few others in Python."""
    digit = (codepoints >= 48) & (codepoints <= 57)
    other = (codepoints > 127).nonzero()[0]
    if len(other):
        digit[other] = [chr(c).isdigit() for c in codepoints[other].tolist()]
    return digit


def _token_classes(table: TokenTable) -> tuple[np.ndarray, np.ndarray]:
    """Per token: whether its form reads as a number (starts with a digit, or with + or - and a
    digit), and whether it is punctuation the terms drop.

    Read from the text's code points at each token's start, not from the forms'
    strings: lower-casing never makes or unmakes a digit, a sign or the
    punctuation kept, so this is the test on the lower-cased form.
    """
    codepoints = np.frombuffer(table.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    codepoints = np.append(codepoints, np.uint32(0))  # a token's second character may be past the end
    first = codepoints[table.idx]
    second = codepoints[table.idx + 1] * (table.length > 1)
    number_like = _is_digit(first) | (((first == 43) | (first == 45)) & _is_digit(second))  # 43, 45: "+", "-"
    return number_like, ~member(table.lower, _KEPT_PUNCT)


#: Term keys: a unigram's key is spaCy's id of its string (the token's LOWER hash, or that of
#: ``<num>``); a bigram's key mixes its two unigram keys. The model looks terms up by key, so
#: scoring never builds the term strings. Training and explanations use the strings.
NUM_KEY = get_string_id("<num>")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def bigram_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Keys of the bigrams ``(first[i], second[i])`` from their unigram keys (uint64, wrapping)."""
    return first * _MIX + second


def term_key(term: str) -> int:
    """The key of a term of :func:`terms` (``"a"`` or ``"a b"``), as :func:`sentence_term_keys` computes it."""
    return int(term_keys([term])[0])


def term_keys(terms: Sequence[str]) -> np.ndarray:
    """:func:`term_key` of many terms at once (a model's vocabulary)."""
    parts = [t.partition(" ") for t in terms]
    first = np.fromiter((get_string_id(a) for a, _, _ in parts), dtype=np.uint64, count=len(parts))
    second = np.fromiter((get_string_id(b) if sp else 0 for _, sp, b in parts), dtype=np.uint64, count=len(parts))
    is_bigram = np.fromiter((bool(sp) for _, sp, _ in parts), dtype=bool, count=len(parts))
    return np.where(is_bigram, bigram_keys(first, second), first)


def sentence_term_keys(table: TokenTable, sents: Sequence[Sentence]) -> tuple[np.ndarray, np.ndarray]:
    """The terms of every sentence as keys: ``(rows, keys)``, row ``i`` being ``sents[i]``.

    The same multiset of terms per sentence as :func:`terms_of` over :func:`token_words`,
    computed with numpy over the TokenTable instead of per token in Python.
    """
    if not table.n or not sents:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    number_like, dropped = _token_classes(table)
    kept = ~table.is_space & ~(table.is_punct & dropped)
    keys = np.where(table.like_num | number_like, np.uint64(NUM_KEY), table.lower)[kept]
    row_of = np.full(table.n_sentences, -1, dtype=np.int64)
    row_of[table.sent_id[[s.token_start for s in sents]]] = np.arange(len(sents))
    rows = row_of[table.sent_id[kept]]
    same = rows[1:] == rows[:-1]
    return (np.concatenate((rows, rows[:-1][same])),
            np.concatenate((keys, bigram_keys(keys[:-1][same], keys[1:][same]))))


def terms_of(words: Sequence[str | None]) -> list[str]:
    """Unigrams and bigrams of a slice of :func:`token_words`."""
    kept = [w for w in words if w is not None]
    return kept + [f"{a} {b}" for a, b in zip(kept, kept[1:])]


def terms(tokens: Iterable) -> list[str]:
    """Unigrams and bigrams of ``tokens`` (spaCy tokens), lower-cased, numbers as ``<num>``.

    >>> import spacy
    >>> terms(spacy.blank("de")("Weitere 150 Prozent!"))
    ['weitere', '<num>', 'prozent', '!', 'weitere <num>', '<num> prozent', 'prozent !']
    """
    words: list[str] = []
    for tok in tokens:
        if tok.is_space:
            continue
        if tok.is_punct and tok.text not in KEEP_PUNCT:
            continue
        words.append("<num>" if tok.like_num or tok.text[:1].isdigit() or tok.text[:1] in "+-" and tok.text[1:2].isdigit() else tok.lower_)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


#: The named features of a sentence, in the column order of :class:`FeatureRows`.
SENTENCE_FEATURES = (*(f"rule:{c}" for c in CATEGORIES), "rule:any", "rule:n",
                     "len", "pos:first", "pos:last", "pos:tail", "excl", "pct")
_RULE_COLUMN = {c: j for j, c in enumerate(CATEGORIES)}  # category -> column of rule:<category>
_ANY = len(CATEGORIES)  # column of rule:any; rule:n follows, then the shape features


@dataclass(frozen=True)
class FeatureRows:
    """Named features of many rows as one array (scoring reads it as is; training reads :meth:`dicts`).

    ``present`` marks the entries a feature dict holds: the rule features exist
    only for sentences with evidence, the shape features always.
    """

    names: tuple[str, ...]
    values: np.ndarray  # (n_rows, len(names))
    present: np.ndarray  # bool, same shape

    def __len__(self) -> int:
        return len(self.values)

    def dicts(self) -> list[dict[str, float]]:
        """One ``{name: value}`` dict per row, as scikit-learn's DictVectorizer takes them."""
        names = self.names
        return [{names[j]: v for j, (v, p) in enumerate(zip(row, has)) if p}
                for row, has in zip(self.values.tolist(), self.present.tolist())]


def sentence_feature_rows(sents: Sequence[Sentence], evidence: Sequence[Evidence], text: str | None = None,
                          n_sentences: int | None = None) -> FeatureRows:
    """Rule evidence and shape features of every sentence of a document (``text``: the Doc's text).

    - ``rule:<category>``: the strongest evidence of that category touching the sentence;
      ``rule:any``: the strongest of all; ``rule:n``: log(1 + pieces of evidence);
    - ``len``: log(1 + whitespace-separated words) / 5; ``pos:first``/``pos:last``: the
      document's first/last sentence; ``pos:tail``: one of the last three of a document of
      more than four; ``excl``: holds "!"; ``pct``: holds "%", "prozent" or "percent".
    """
    n = len(sents) if n_sentences is None else n_sentences
    values = np.zeros((len(sents), len(SENTENCE_FEATURES)))
    present = np.zeros(values.shape, dtype=bool)
    present[:, _ANY + 2 :] = True
    if not len(sents):
        return FeatureRows(SENTENCE_FEATURES, values, present)
    full = sents[0].doc.text if text is None else text
    shape = []
    for sent in sents:
        part = full[sent.start : sent.end]
        lowered = part.lower()
        k = sent.number
        shape.append((math.log1p(len(part.split())) / 5.0, k == 0, k == n - 1, k >= n - 3 and n > 4, "!" in part,
                      "%" in part or "prozent" in lowered or "percent" in lowered))
    values[:, _ANY + 2 :] = shape
    if evidence:
        starts = [s.start for s in sents]
        ends = [s.end for s in sents]  # sentences do not overlap: both lists ascend
        best = [0.0] * len(sents)
        count = [0] * len(sents)
        for ev in evidence:
            col = _RULE_COLUMN[ev.category]
            for k in range(bisect.bisect_right(ends, ev.start), bisect.bisect_left(starts, ev.end)):
                values[k, col] = max(values[k, col], ev.score) if present[k, col] else ev.score
                present[k, col] = True
                best[k] = max(best[k], ev.score)
                count[k] += 1
        for k, top in enumerate(best):
            if top:
                values[k, _ANY], values[k, _ANY + 1] = top, math.log1p(count[k])
                present[k, _ANY : _ANY + 2] = True
    return FeatureRows(SENTENCE_FEATURES, values, present)


def sentence_features(sent: Sentence, n_sentences: int, evidence: Sequence[Evidence], text: str | None = None) -> dict[str, float]:
    """The named features of one sentence as a dict (see :func:`sentence_feature_rows`)."""
    return sentence_feature_rows([sent], evidence, text, n_sentences).dicts()[0]


def document_features(
    evidence: Sequence[Evidence], signals: Mapping[str, Any], sentence_probs: Sequence[Mapping[str, float]]
) -> dict[str, float]:
    """Aggregate rule evidence, signals and sentence-model outputs of one document."""
    feats: dict[str, float] = {}
    counts: dict[str, int] = {}
    for ev in evidence:
        key = f"rule:{ev.category}"
        feats[key] = max(feats.get(key, 0.0), ev.score)
        counts[ev.category] = counts.get(ev.category, 0) + 1
    for cat, n in counts.items():
        feats[f"rule:{cat}:n"] = math.log1p(n)
    strong = [cat for cat in CATEGORIES if feats.get(f"rule:{cat}", 0.0) >= 0.5]
    feats["rule:categories"] = len(strong) / 3.0
    if evidence:
        feats["rule:max"] = max(ev.score for ev in evidence)
    if sentence_probs:
        columns = getattr(sentence_probs, "column", None)  # model.SentenceProbs: read whole columns
        if columns is not None:
            n = len(sentence_probs)
            of = {label: (col.tolist() if (col := columns(label)) is not None else [0.0] * n)
                  for label in ("any", *CATEGORIES)}
        else:
            of = {label: [p.get(label, 0.0) for p in sentence_probs] for label in ("any", *CATEGORIES)}
        anys = sorted(of["any"], reverse=True)
        feats["sent:max"] = anys[0]
        feats["sent:top2"] = sum(anys[:2]) / 2
        feats["sent:share"] = sum(1 for a in anys if a >= 0.5) / len(anys)
        for cat in CATEGORIES:
            feats[f"sent:{cat}"] = max(of[cat])
    feats["sig:microcap"] = float(bool(signals.get("microcap")))
    feats["sig:risk_warning"] = float(bool(signals.get("risk_warning")))
    feats["sig:named_author"] = float(bool(signals.get("named_author")))
    feats["sig:crypto"] = float(bool(signals.get("crypto")))
    feats["sig:attributed"] = math.log1p(signals.get("attributed_sources", 0))
    feats["sig:criticism"] = math.log1p(signals.get("criticism_cues", 0))
    feats["sig:subscription"] = math.log1p(signals.get("subscription_cues", 0))
    feats["sig:second_person"] = min(1.0, 10 * signals.get("second_person_share", 0.0))
    feats["sig:exclamation"] = min(1.0, signals.get("exclamation_density", 0.0))
    feats["sig:words"] = math.log1p(signals.get("words", 0)) / 7.0
    return feats
