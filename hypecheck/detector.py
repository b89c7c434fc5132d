"""Layer 7, detector: wires normalise -> rules -> context -> signals -> features -> model -> score.

One Detector is safe to share between threads: its state is read-only after
construction except for lazily built per-language parts, which are guarded by
a lock, and the spaCy pass, which runs under a per-language lock.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from hypecheck import features as F
from hypecheck.errors import InputError, message
from hypecheck.model import Model, load_model
from hypecheck.nlp import make_nlp
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


@dataclass
class _LangParts:
    nlp: Language
    rules: RuleMatcher
    context: ContextAdjuster
    signals: SignalExtractor
    lock: threading.Lock = field(default_factory=threading.Lock)


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
    sentence_terms: list[list[str]]
    sentence_features: list[dict[str, float]]
    doc_terms: list[str]


class Detector:
    """Score texts for promotional risk.

    Parameters
    ----------
    model : str, Path, Model, False or None
        A model directory made by ``hypecheck train --out``; None for the
        bundled model; False for rules only (no trained model).
    extra_rules : sequence of paths
        House rule files in the bundled rules' format, validated on load.
    disabled : iterable of str
        Categories to switch off.
    bands : (int, int)
        Risk thresholds of ``elevated`` and ``high`` (default: the model card's).
    min_confidence : float
        Findings below this confidence are not reported.

    Examples
    --------
    >>> det = Detector()                                        # doctest: +SKIP
    >>> det.score("Bis Jahresende sind weitere 150 Prozent möglich!").band  # doctest: +SKIP
    'high'
    """

    def __init__(
        self,
        model: str | Path | Model | bool | None = None,
        *,
        extra_rules: Sequence[str | Path] = (),
        disabled: Iterable[str] = (),
        bands: tuple[int, int] | None = None,
        min_confidence: float = 0.4,
    ) -> None:
        disabled = frozenset(disabled)
        unknown = disabled - set(CATEGORIES)
        if unknown:
            raise InputError(message("E031", name=sorted(unknown)[0], choices=", ".join(CATEGORIES)), code="E031")
        self.extra_rules = tuple(str(p) for p in extra_rules)
        self.disabled = disabled
        if model is False:
            self.model: Model | None = None
        elif isinstance(model, Model):
            self.model = model
        else:
            self.model = load_model(model, rules_digest=rules_digest())
        model_bands = self.model.bands if self.model is not None else None
        self.config = ScoringConfig(bands=bands or model_bands or (30, 70), min_confidence=min_confidence, disabled=disabled)
        self._parts: dict[str, _LangParts] = {}
        self._parts_lock = threading.Lock()
        for path in self.extra_rules:  # validate house rules now, not at the first text of their language
            for lang in SUPPORTED_LANGUAGES:
                load_rules(lang, self.extra_rules)

    # -- layers 2-4 ------------------------------------------------------------
    def _lang(self, lang: str) -> _LangParts:
        parts = self._parts.get(lang)
        if parts is None:
            with self._parts_lock:
                parts = self._parts.get(lang)
                if parts is None:
                    if lang not in SUPPORTED_LANGUAGES:
                        raise InputError(message("E030", lang=lang, choices=", ".join(SUPPORTED_LANGUAGES)), code="E030")
                    ruleset = load_rules(lang, self.extra_rules)
                    nlp = make_nlp(lang)
                    parts = _LangParts(nlp, RuleMatcher(nlp, ruleset), ContextAdjuster(nlp, ruleset), SignalExtractor(nlp, ruleset))
                    self._parts[lang] = parts
        return parts

    def analyze(self, text: str, lang: str) -> Analysis:
        """Run tokens, rules, context, signals and features over normalised ``text``."""
        parts = self._lang(lang)
        with parts.lock:
            doc = parts.nlp(text)
            evidence = parts.rules(doc)
            cues = parts.context.find_cues(doc)
            evidence = parts.context(doc, evidence, cues)
            signals = parts.signals(doc, cues)
        sents = F.sentences(doc)
        sent_terms = [F.terms(s.span) for s in sents]
        sent_feats = [F.sentence_features(s, len(sents), evidence) for s in sents]
        doc_terms = [t for terms in sent_terms for t in terms]
        return Analysis(text, lang, doc, sents, evidence, cues, signals, sent_terms, sent_feats, doc_terms)

    # -- layers 5-6 ------------------------------------------------------------
    def assess_analysis(self, analysis: Analysis, *, title: str | None, source: str, doc_id: str | None,
                        warnings: Sequence[str] = ()) -> Assessment:
        """Score an Analysis with the model (or rules alone) and build the Assessment."""
        if self.model is not None:
            sent_probs = [self.model.sentence_probs(t, f) for t, f in zip(analysis.sentence_terms, analysis.sentence_features)]
            doc_feats = F.document_features(analysis.evidence, analysis.signals, sent_probs)
            probability = self.model.document_probability(analysis.doc_terms, doc_feats)
            info = self.model.info()
        else:
            sent_probs = None
            probability = rules_only_probability(analysis.evidence)
            info = {"name": "rules-only", "version": "", "corpus_sha256": ""}
        findings = make_findings(analysis.text, analysis.evidence, analysis.sentences, sent_probs, self.config)
        return assess(text=analysis.text, title=title, source=source, doc_id=doc_id, language=analysis.language,
                      probability=probability, findings=findings, signals=analysis.signals, warnings=warnings,
                      model_info=info, config=self.config)

    # -- public API --------------------------------------------------------------
    def score_document(self, document: Document, *, lang: str | None = None) -> Assessment:
        """Score a Document (from a loader); raises InputError when it holds no text."""
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
        analysis = self.analyze(text, lang)
        return self.assess_analysis(analysis, title=title, source=document.source, doc_id=document.id, warnings=warnings)

    def score(self, text: str, *, title: str | None = None, lang: str | None = None, source: str = "<text>",
              id: str | None = None, html: bool = False) -> Assessment:
        """Score one text (plain, or HTML with ``html=True``) and return its Assessment."""
        if not isinstance(text, str):
            raise InputError(f"{source}: expected str, got {type(text).__name__}", code="E002")
        return self.score_document(Document(text=text, title=title, source=source, id=id, is_html=html), lang=lang)

    def score_many(self, items: Iterable[str | Document | Mapping[str, Any]], n_jobs: int = 1,
                   lang: str | None = None) -> Iterator[Assessment]:
        """Score many texts, Documents or dicts (``text``, optional ``title``, ``id``, ``source``) in order.

        ``n_jobs > 1`` uses threads; results come back in input order.
        """
        def one(item: str | Document | Mapping[str, Any]) -> Assessment:
            if isinstance(item, Document):
                return self.score_document(item, lang=lang)
            if isinstance(item, str):
                return self.score(item, lang=lang)
            return self.score(item["text"], title=item.get("title"), id=item.get("id"),
                              source=item.get("source", "<text>"), lang=item.get("lang", lang))

        if n_jobs <= 1:
            for item in items:
                yield one(item)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            yield from pool.map(one, items)


def rules_only_probability(evidence: Sequence[Evidence]) -> float:
    """Noisy-OR of the strongest evidence per category: the no-model baseline."""
    best: dict[str, float] = {}
    for ev in evidence:
        best[ev.category] = max(best.get(ev.category, 0.0), ev.score)
    p_none = 1.0
    for score in best.values():
        p_none *= 1.0 - 0.8 * score
    return 1.0 - p_none
