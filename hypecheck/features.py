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

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from spacy.attrs import LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span

from hypecheck.arrays import run_starts
from hypecheck.nlp import TokenTable
from hypecheck.types import CATEGORIES, Evidence

KEEP_PUNCT = frozenset({"%", "!", "€", "$", "?"})


@dataclass(frozen=True)
class Sentence:
    """A sentence of the normalised text: character offsets and the spaCy span."""

    start: int
    end: int
    span: Span
    index: int


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
    return [Sentence(a, e, table.sentence(k), i) for i, (k, a, e) in enumerate(zip(kept.tolist(), starts, ends))]


def token_words(doc: Doc, table: TokenTable | None = None) -> list[str | None]:
    """Per token: its lower-cased form, ``<num>`` for numbers, None for spaces and dropped punctuation."""
    table = TokenTable(doc) if table is None else table
    if not table.n:
        return []
    number_like, dropped = _token_classes(table)
    strings = doc.vocab.strings
    out = np.array([strings[h] for h in table.column(LOWER)], dtype=object)
    out[table.like_num | number_like] = "<num>"
    out[table.is_punct & dropped] = None
    out[table.is_space] = None
    return out.tolist()


#: Per lower-cased form (its hash), remembered across documents: bit 1 set when the form reads
#: as a number, bit 2 when it is punctuation that terms drop (if the token is punctuation).
_FORM_CLASS: dict[int, int] = {}
#: Forms ``_FORM_CLASS`` holds at most; it starts over when full.
FORM_MEMO_LIMIT = 200_000


def _form_class(form: str) -> int:
    number_like = form[:1].isdigit() or (form[:1] in "+-" and form[1:2].isdigit())
    return number_like | (form not in KEEP_PUNCT) << 1


def _token_classes(table: TokenTable) -> tuple[np.ndarray, np.ndarray]:
    """Per token: whether its form reads as a number, and whether it is punctuation terms drop.

    Decided once per form and remembered: a document only looks its forms up.
    """
    memo = _FORM_CLASS
    column = table.column(LOWER)
    codes = [memo.get(h, -1) for h in column]
    if -1 in codes:
        strings = table.doc.vocab.strings
        learned = {h: _form_class(strings[h]) for h, c in zip(column, codes) if c < 0}
        codes = [learned[h] if c < 0 else c for h, c in zip(column, codes)]
        if len(memo) + len(learned) > FORM_MEMO_LIMIT:
            memo.clear()
        memo.update(learned)
    array = np.array(codes, dtype=np.int8)
    return (array & 1).astype(bool), (array & 2).astype(bool)


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
    row_of[table.sent_id[[s.span.start for s in sents]]] = np.arange(len(sents))
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


def _in(ev: Evidence, sent: Sentence) -> bool:
    return ev.start < sent.end and ev.end > sent.start


def sentence_features(sent: Sentence, n_sentences: int, evidence: Sequence[Evidence], text: str | None = None) -> dict[str, float]:
    """Rule evidence and shape features of one sentence (``text``: the Doc's text, to avoid rebuilding it)."""
    feats: dict[str, float] = {}
    best = 0.0
    for ev in evidence:
        if not _in(ev, sent):
            continue
        key = f"rule:{ev.category}"
        feats[key] = max(feats.get(key, 0.0), ev.score)
        best = max(best, ev.score)
    if best:
        feats["rule:any"] = best
        feats["rule:n"] = math.log1p(sum(1 for ev in evidence if _in(ev, sent)))
    text = (sent.span.doc.text if text is None else text)[sent.start : sent.end]
    lowered = text.lower()
    feats["len"] = math.log1p(len(text.split())) / 5.0  # whitespace-separated words
    feats["pos:first"] = float(sent.index == 0)
    feats["pos:last"] = float(sent.index == n_sentences - 1)
    feats["pos:tail"] = float(sent.index >= n_sentences - 3 and n_sentences > 4)
    feats["excl"] = float("!" in text)
    feats["pct"] = float("%" in text or "prozent" in lowered or "percent" in lowered)
    return feats


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
        anys = sorted((p.get("any", 0.0) for p in sentence_probs), reverse=True)
        feats["sent:max"] = anys[0]
        feats["sent:top2"] = sum(anys[:2]) / 2
        feats["sent:share"] = sum(1 for a in anys if a >= 0.5) / len(anys)
        for cat in CATEGORIES:
            feats[f"sent:{cat}"] = max(p.get(cat, 0.0) for p in sentence_probs)
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
