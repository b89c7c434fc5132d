"""Layer 7, detector: wires normalise -> rules -> context -> signals -> features -> model -> score.

:func:`load` (also ``hypecheck.load``) returns one cached Detector per
distinct set of arguments; the API, the CLI, the pandas helper and the spaCy
component all score through a Detector.

One Detector is safe to share between threads: its state is read-only after
construction except for lazily built per-language parts, which are guarded by
a lock, and the spaCy pass, which runs under a per-language lock. That lock is
module-wide because the Detectors of a process share the pipelines that
``make_nlp`` caches.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence, TypeVar

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from hypecheck import features as F
from hypecheck.errors import InputError, message
from hypecheck.model import Model, SentenceProbs, load_model
from hypecheck.nlp import TokenTable, make_nlp, parse_table
from hypecheck.normalize import SUPPORTED_LANGUAGES, detect_language, prepare
from hypecheck.rules import RuleMatcher, load_rules
from hypecheck.rules.context import ContextAdjuster
from hypecheck.rules.loader import rules_digest
from hypecheck.rules.matcher import Match
from hypecheck.scoring import ScoringConfig, assess, make_findings
from hypecheck.signals import SignalExtractor
from hypecheck.types import CATEGORIES, Assessment, Document, Evidence

log = logging.getLogger(__name__)

#: Characters scored at most per document; longer texts are cut with a warning.
MAX_CHARS = 300_000
#: Documents ``score_many`` scores together: the sentence model runs once per batch.
BATCH_SIZE = 16

#: One lock per language around the spaCy pass and the matchers. ``make_nlp`` hands the
#: same pipeline (tokenizer caches, StringStore) to every Detector of the process whose
#: rules test the same token attributes, so a lock per Detector would let two Detectors
#: tokenize on the same pipeline at once.
_NLP_LOCKS: dict[str, threading.Lock] = {lang: threading.Lock() for lang in SUPPORTED_LANGUAGES}

_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass
class _LangParts:
    nlp: Language
    rules: RuleMatcher
    context: ContextAdjuster
    signals: SignalExtractor
    lock: threading.Lock


def check_bands(bands: Sequence[int] | None) -> tuple[int, int] | None:
    """Validate band thresholds ``(elevated, high)``: integers with ``0 < elevated < high <= 100``.

    >>> check_bands([30, 70])
    (30, 70)
    """
    if bands is None:
        return None
    try:
        low, high = (int(b) for b in bands)
    except (TypeError, ValueError):
        low = high = -1
    if not 0 < low < high <= 100 or list(bands) != [low, high]:
        raise InputError(f"bands must be two integers (elevated, high) with 0 < elevated < high <= 100, got {bands!r}",
                         code="E032")
    return low, high


def map_ordered(func: Callable[[_T], _R], items: Iterable[_T], n_jobs: int = 1) -> Iterator[_R]:
    """Yield ``func(item)`` for each item, in input order, on up to ``n_jobs`` threads.

    Items are consumed lazily, with at most ``4 * n_jobs`` in flight, so a long
    generator is never read into memory. ``n_jobs=-1`` uses one thread per
    CPU. An exception of ``func`` propagates at that item's position and
    cancels the items not yet started.

    >>> list(map_ordered(len, ["a", "bb", "ccc"], n_jobs=2))
    [1, 2, 3]
    """
    if n_jobs < 0:
        n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    if n_jobs <= 1:
        for item in items:
            yield func(item)
        return
    pending: deque[Future[_R]] = deque()
    pool = ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="hypecheck")
    try:
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) >= 4 * n_jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:  # also when the caller stops early or an item failed
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Lists of up to ``size`` consecutive items, read lazily."""
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _text_document(text: Any, title: str | None = None, source: str = "<text>", id: str | None = None,
                   html: bool = False) -> Document:
    """The Document of a text given to :meth:`Detector.score` or :meth:`Detector.score_many`."""
    if not isinstance(text, str):
        raise InputError(f"{source}: expected str, got {type(text).__name__}", code="E002")
    return Document(text=text, title=title, source=source, id=id, is_html=html)


@dataclass(frozen=True)
class _Meta:
    """What an Assessment carries besides the analysis: where the text came from, and warnings."""

    title: str | None
    source: str
    doc_id: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything the rules and features layers know about one normalised text."""

    text: str
    language: str
    doc: Doc
    sentences: list[F.Sentence]
    evidence: list[Evidence]
    cues: list[Match]
    signals: dict[str, Any]
    sentence_features: F.FeatureRows
    term_rows: np.ndarray  # the sentences' terms as keys: term_keys[i] belongs to sentences[term_rows[i]]
    term_keys: np.ndarray

    @cached_property
    def sentence_terms(self) -> list[list[str]]:
        """The terms of every sentence as strings (training reads them; scoring uses the keys)."""
        words = F.token_words(self.doc, TokenTable(self.doc, self.text))
        return [F.terms_of(words[s.token_start : s.token_end]) for s in self.sentences]

    @property
    def doc_terms(self) -> list[str]:
        """All sentence terms of the document (derived; only models with document n-grams read them)."""
        return [t for terms in self.sentence_terms for t in terms]


class Detector:
    """Score texts for promotional risk.

    Parameters
    ----------
    model : str, Path, Model, False or None
        A model directory made by ``hypecheck train --out``; None for the
        bundled model; False for rules only (no trained model).
    extra_rules : sequence of paths
        House rule files in the bundled rules' format. They are validated,
        and their patterns compiled, here: a bad file raises
        :class:`~hypecheck.RuleConfigError` naming the file and rule id.
    disabled : iterable of str
        Categories to switch off: their rules give no evidence (so they no
        longer raise the risk) and no finding of theirs is reported.
    bands : (int, int)
        Risk thresholds of ``elevated`` and ``high`` (default: the model card's).
    min_confidence : float
        Findings below this confidence are not reported.

    Raises
    ------
    RuleConfigError
        A house rule file is malformed.
    ModelError
        The model is missing, unsafe, or incompatible with this version or these rules.
    InputError
        An unknown category in ``disabled`` or invalid ``bands``.

    Notes
    -----
    Prefer :func:`hypecheck.load`, which caches Detectors per arguments. A
    Detector is thread-safe: share one between threads.

    Examples
    --------
    >>> det = Detector(disabled=["paid_promotion"], bands=(40, 80))
    >>> det.config.bands
    (40, 80)
    >>> "return_promise" in det.score("Bis Jahresende sind weitere 150 Prozent möglich!").categories
    True
    """

    def __init__(
        self,
        model: str | Path | Model | Literal[False] | None = None,
        *,
        extra_rules: Sequence[str | Path] = (),
        disabled: Iterable[str] = (),
        bands: tuple[int, int] | None = None,
        min_confidence: float = 0.4,
    ) -> None:
        if isinstance(disabled, str):  # disabled="puffery" would otherwise disable "p", "u", ...
            disabled = (disabled,)
        if isinstance(extra_rules, (str, Path)):
            extra_rules = (extra_rules,)
        disabled = frozenset(disabled)
        unknown = disabled - set(CATEGORIES)
        if unknown:
            raise InputError(message("E031", name=sorted(unknown)[0], choices=", ".join(CATEGORIES)), code="E031")
        bands = check_bands(bands)
        self.extra_rules = tuple(str(p) for p in extra_rules)
        self.disabled = disabled
        if model is False:
            self.model: Model | None = None
        elif isinstance(model, Model):
            self.model = model
        else:
            self.model = load_model(model, rules_digest=rules_digest())
        model_bands = self.model.bands if self.model is not None else None
        self.config = ScoringConfig(bands=bands or model_bands or (30, 70), policy_bands=model_bands or (30, 70),
                                    min_confidence=min_confidence, disabled=disabled)
        self._parts: dict[str, _LangParts] = {}
        self._parts_lock = threading.Lock()
        if self.extra_rules:
            # Validate house rules now, not at the first text of their language: parse every
            # file, and compile the patterns, which is where spaCy rejects a bad one.
            for lang in SUPPORTED_LANGUAGES:
                self._lang(lang)
        log.debug("Detector ready: model %s, %d house rule file(s), disabled %s, bands %s",
                  self.model_info["name"], len(self.extra_rules), sorted(disabled) or "none", self.config.bands)

    @property
    def model_info(self) -> dict[str, Any]:
        """The ``model`` block of every Assessment this Detector makes."""
        if self.model is None:
            return {"name": "rules-only", "version": "", "corpus_sha256": ""}
        return self.model.info()

    def __repr__(self) -> str:
        info = self.model_info
        return (f"Detector(model={info['name']!r} {info['version']}, extra_rules={list(self.extra_rules)!r}, "
                f"disabled={sorted(self.disabled)!r}, bands={self.config.bands!r}, "
                f"min_confidence={self.config.min_confidence!r})")

    def prepare(self, langs: Iterable[str] | None = None) -> Detector:
        """Build the pipelines and rule matchers of ``langs`` (default: all) now; return self.

        A Detector builds each language's parts at its first text, about half
        a second of CPU per language. A service calls this before it takes
        requests, so the first article is not slower than the rest. The
        scan's forkserver calls it (:mod:`hypecheck.scan_preload`) so that the
        workers it forks inherit the pipelines.

        Raises
        ------
        InputError
            E030 for a language hypecheck does not support.

        Examples
        --------
        >>> Detector().prepare(["de"]).score("Die Aktie stieg um 3 Prozent.", lang="de").band
        'low'
        """
        for lang in SUPPORTED_LANGUAGES if langs is None else langs:
            self._lang(lang)
        return self

    # -- layers 2-4 ------------------------------------------------------------
    def _lang(self, lang: str) -> _LangParts:
        parts = self._parts.get(lang)
        if parts is None:
            with self._parts_lock:
                parts = self._parts.get(lang)
                if parts is None:
                    if lang not in SUPPORTED_LANGUAGES:
                        raise InputError(message("E030", lang=lang, choices=", ".join(SUPPORTED_LANGUAGES)), code="E030")
                    ruleset = load_rules(lang, self.extra_rules, self.disabled)
                    nlp = make_nlp(lang, ruleset.token_attributes())
                    lock = _NLP_LOCKS[lang]
                    with lock:  # the matchers add to the shared pipeline's StringStore
                        parts = _LangParts(nlp, RuleMatcher(nlp, ruleset), ContextAdjuster(nlp, ruleset),
                                           SignalExtractor(nlp, ruleset), lock)
                    self._parts[lang] = parts
                    log.debug("built the %s pipeline: %d rules", lang, len(ruleset.rules))
        return parts

    def analyze(self, text: str, lang: str) -> Analysis:
        """Run tokens, rules, context, signals and features over normalised ``text``."""
        parts = self._lang(lang)
        with parts.lock:
            table = parse_table(parts.nlp, text)  # the Doc, and the token arrays every layer below reads
            doc = table.doc
            evidence = parts.rules(doc, table)
            cues = parts.context.find_cues(doc, table)
            evidence = parts.context(doc, evidence, cues, table)
            signals = parts.signals(doc, cues, table)
        sents = F.sentences(doc, table)
        term_rows, term_keys = F.sentence_term_keys(table, sents)
        sent_feats = F.sentence_feature_rows(sents, evidence, text)
        return Analysis(text, lang, doc, sents, evidence, cues, signals, sent_feats, term_rows, term_keys)

    # -- layers 5-6 ------------------------------------------------------------
    def assess_analysis(self, analysis: Analysis, *, title: str | None, source: str, doc_id: str | None,
                        warnings: Sequence[str] = ()) -> Assessment:
        """Score an Analysis with the model (or rules alone) and build the Assessment."""
        return self.assess_analyses([(analysis, _Meta(title, source, doc_id, tuple(warnings)))])[0]

    def assess_analyses(self, batch: Sequence[tuple[Analysis, "_Meta"]]) -> list[Assessment]:
        """:meth:`assess_analysis` for many documents: the sentence model scores all their sentences
        in one pass (the same probabilities as one document at a time, at a fraction of the cost)."""
        if self.model is not None:
            all_probs = self.model.sentence_probs_batch(
                [(len(a.sentences), a.term_rows, a.term_keys, a.sentence_features) for a, _ in batch])
        out = []
        for k, (analysis, meta) in enumerate(batch):
            if self.model is not None:
                probs = all_probs[k]
                sent_probs: SentenceProbs | None = probs
                doc_feats = F.document_features(analysis.evidence, analysis.signals, probs)
                doc_terms = analysis.doc_terms if self.model.document.vocab else []  # the bundled model reads none
                probability = self.model.document_probability(doc_terms, doc_feats)
                info = self.model.info()
            else:
                sent_probs = None
                probability = rules_only_probability(analysis.evidence)
                info = self.model_info
            findings = make_findings(analysis.text, analysis.evidence, analysis.sentences, sent_probs, self.config)
            out.append(assess(text=analysis.text, title=meta.title, source=meta.source, doc_id=meta.doc_id,
                              language=analysis.language, probability=probability, findings=findings,
                              signals=analysis.signals, warnings=meta.warnings, model_info=info, config=self.config))
        return out

    # -- public API --------------------------------------------------------------
    def _prepare(self, document: Document, lang: str | None) -> tuple[str, str, "_Meta"]:
        """Normalise a Document: ``(text, lang, meta)``; raises InputError when it holds no text."""
        text, title = prepare(document)
        warnings = list(document.warnings)
        if not text:
            raise InputError(message("E003", source=document.source), code="E003")
        if len(text) > MAX_CHARS:
            warnings.append(message("W001", kept=f"{MAX_CHARS:,} characters", total=f"{len(text):,}"))
            text = text[:MAX_CHARS]
        if lang in (None, "auto"):
            lang, confidence = detect_language(text)
            if confidence < 0.6:
                warnings.append(message("W002", lang=lang))
        return text, lang, _Meta(title, document.source, document.id, tuple(warnings))

    def score_documents(self, documents: Sequence[tuple[Document, str | None]]) -> list[Assessment | Exception]:
        """Score ``(document, lang)`` pairs together (the sentence model runs once for all of them).

        An item that cannot be scored gives the exception it raised in its
        place; the others are scored all the same.
        """
        results: list[Assessment | Exception | None] = []
        batch: list[tuple[Analysis, _Meta]] = []
        for document, lang in documents:
            try:
                text, code, meta = self._prepare(document, lang)
                batch.append((self.analyze(text, code), meta))
                results.append(None)
            except Exception as exc:  # noqa: BLE001 - handed back in the item's place
                results.append(exc)
        assessed = iter(self.assess_analyses(batch))
        return [next(assessed) if r is None else r for r in results]

    def score_document(self, document: Document, *, lang: str | None = None) -> Assessment:
        """Score a Document (from a loader); raises InputError when it holds no text."""
        text, lang, meta = self._prepare(document, lang)
        return self.assess_analyses([(self.analyze(text, lang), meta)])[0]

    def score(self, text: str, *, title: str | None = None, lang: str | None = None, source: str = "<text>",
              id: str | None = None, html: bool = False) -> Assessment:
        """Score one text and return its Assessment.

        Parameters
        ----------
        text : str
            The article: plain text, or HTML with ``html=True``.
        title : str, optional
            The headline; it is scored as the first paragraph.
        lang : {"de", "en", "auto"}, optional
            The language; detected when None or ``"auto"``.
        source : str
            Where the text came from (a path or a link), copied into the result.
        id : str, optional
            The item's id; by default a hash of ``source`` and the text.
        html : bool
            Convert HTML to text first.

        Returns
        -------
        Assessment
            Frozen; ``to_dict()`` gives the JSON form (schema ``hypecheck.assessment/1``).
            Finding offsets refer to the normalised text, ``Assessment.text``.

        Raises
        ------
        InputError
            No text is left after normalisation, ``text`` is not a str, or ``lang`` is unsupported.

        Examples
        --------
        >>> import hypecheck
        >>> det = hypecheck.load()
        >>> a = det.score("Jetzt kaufen! Bis Jahresende sind weitere 150 Prozent möglich.")
        >>> a.language, a.band
        ('de', 'high')
        >>> f = a.findings[0]
        >>> a.text[f.start:f.end] == f.text
        True
        >>> det.score("Shares of Acme rose 2% after quarterly sales beat estimates, Reuters reported.").band
        'low'
        """
        return self.score_document(_text_document(text, title, source, id, html), lang=lang)

    def score_many(self, items: Iterable[str | Document | Mapping[str, Any]], n_jobs: int = 1,
                   lang: str | None = None) -> Iterator[Assessment]:
        """Score many texts, in input order, optionally on several threads.

        Parameters
        ----------
        items : iterable of str, Document or mapping
            Texts, Documents, or mappings with ``text`` and optionally
            ``title``, ``id``, ``source``, ``lang``, ``html``. Read lazily,
            :data:`BATCH_SIZE` items at a time (the sentence model scores a
            batch in one pass), so a generator of any length is fine.
        n_jobs : int
            Threads to use (``-1``: one per CPU). Results are the same as with
            ``n_jobs=1`` and come back in input order.
        lang : {"de", "en", "auto"}, optional
            Language of every item (a mapping's ``lang`` overrides it).

        Yields
        ------
        Assessment
            One per item. The first item that cannot be scored raises
            :class:`~hypecheck.InputError`; to keep going past bad items, use
            :meth:`score_documents` (each failure in its item's place) or
            :func:`hypecheck.score_frame` with ``errors="coerce"``.

        Examples
        --------
        >>> import hypecheck
        >>> texts = ["Die Aktie stieg um 2 Prozent.", "Kaufen Sie jetzt, bevor es zu spät ist!"]
        >>> [a.language for a in hypecheck.load().score_many(texts, n_jobs=2)]
        ['de', 'de']
        """
        def document(item: str | Document | Mapping[str, Any]) -> tuple[Document, str | None]:
            if isinstance(item, Document):
                return item, lang
            if isinstance(item, str):
                return _text_document(item), lang
            return (_text_document(item["text"], item.get("title"), item.get("source", "<text>"), item.get("id"),
                                   bool(item.get("html", False))), item.get("lang", lang))

        def batch(items: list[str | Document | Mapping[str, Any]]) -> list[Assessment | Exception]:
            documents: list[tuple[Document, str | None]] = []
            for item in items:
                try:
                    documents.append(document(item))
                except Exception as exc:  # raised at its item's place, after the items before it
                    return [*self.score_documents(documents), exc]
            return self.score_documents(documents)

        def run() -> Iterator[Assessment]:
            for results in map_ordered(batch, _batches(items, BATCH_SIZE), n_jobs):
                for result in results:
                    if isinstance(result, BaseException):
                        raise result
                    yield result

        return run()


# -- hypecheck.load: one cached Detector per distinct set of arguments --------------------
_CacheKey = tuple[Any, ...]
_CACHE: dict[_CacheKey, Detector] = {}
_CACHE_LOCK = threading.Lock()


def _path_key(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def _cache_key(model: Any, extra_rules: Sequence[str | Path], disabled: Iterable[str],
               bands: Sequence[int] | None, min_confidence: float) -> _CacheKey:
    if model is None or model is False:
        model_key: Any = model
    elif isinstance(model, (str, Path)):
        model_key = ("path", _path_key(model))
    else:  # a Model object: the cached Detector keeps it alive, so its id stays unique
        model_key = ("object", id(model))
    if isinstance(extra_rules, (str, Path)):
        extra_rules = [extra_rules]
    if isinstance(disabled, str):
        disabled = [disabled]
    return (model_key, tuple(_path_key(p) for p in extra_rules), tuple(sorted(set(disabled))),
            tuple(bands) if bands is not None else None, float(min_confidence))


def load(
    model: str | Path | Model | Literal[False] | None = None,
    *,
    extra_rules: Sequence[str | Path] = (),
    disabled: Iterable[str] = (),
    bands: tuple[int, int] | None = None,
    min_confidence: float = 0.4,
) -> Detector:
    """Return a Detector, built once per distinct set of arguments and then cached.

    Equal arguments give the same object (paths compare after resolving, the
    order of ``disabled`` does not matter), so call ``load()`` wherever you
    need the detector instead of passing it around. The Detector is
    thread-safe.

    Parameters
    ----------
    model : str, Path, Model, False or None
        A model directory made by ``hypecheck train --out``; None for the
        bundled model; False for rules only. Model files are plain arrays
        and JSON, loaded without pickle: loading never executes code.
    extra_rules : sequence of str or Path
        House rule files in the bundled rules' YAML format. They are
        validated (and their spaCy patterns compiled) now.
    disabled : iterable of str
        Categories to switch off, e.g. ``["paid_promotion"]``.
    bands : (int, int), optional
        Risk thresholds of ``elevated`` and ``high``; default: the model card's.
    min_confidence : float
        Findings below this confidence are not reported.

    Returns
    -------
    Detector

    Raises
    ------
    RuleConfigError
        A house rule file is malformed; the message names the file and rule id.
    ModelError
        The model is missing, not a hypecheck model, of an unsupported format
        version, or trained with other rules.
    InputError
        An unknown category in ``disabled`` or invalid ``bands``.

    Notes
    -----
    The cache holds files as they were when first loaded: after editing a
    house rule file or retraining a model in place, restart the process.

    Examples
    --------
    >>> import hypecheck
    >>> det = hypecheck.load()
    >>> det is hypecheck.load()
    True
    >>> strict = hypecheck.load(bands=(20, 50), disabled=["paid_promotion"])
    >>> strict.config.bands
    (20, 50)
    """
    key = _cache_key(model, extra_rules, disabled, bands, min_confidence)
    det = _CACHE.get(key)
    if det is None:
        with _CACHE_LOCK:  # two threads loading at once build one Detector
            det = _CACHE.get(key)
            if det is None:
                det = Detector(model, extra_rules=extra_rules, disabled=disabled, bands=bands,
                               min_confidence=min_confidence)
                _CACHE[key] = det
    return det


def rules_only_probability(evidence: Sequence[Evidence]) -> float:
    """Noisy-OR of the strongest evidence per category: the no-model baseline."""
    best: dict[str, float] = {}
    for ev in evidence:
        best[ev.category] = max(best.get(ev.category, 0.0), ev.score)
    p_none = 1.0
    for score in best.values():
        p_none *= 1.0 - 0.8 * score
    return 1.0 - p_none
