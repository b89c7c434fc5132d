"""Layer 6, score: combine rule evidence and model probabilities into Findings and an Assessment."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from hypecheck.features import Sentence
from hypecheck.model import SentenceProbs
from hypecheck.types import CATEGORY_DESCRIPTIONS, REGULATORY_HOOKS, Assessment, Evidence, Finding

DEFAULT_BANDS = (30, 70)
#: Categories whose strong findings make a text finance talk even without finance vocabulary.
FINANCE_CLAIMS = frozenset({"return_promise", "guarantee", "track_record"})


@dataclass(frozen=True)
class ScoringConfig:
    """How evidence becomes findings and risk becomes a band."""

    bands: tuple[int, int] = DEFAULT_BANDS  # risk >= bands[0]: elevated; >= bands[1]: high
    min_confidence: float = 0.4  # findings below this are not reported
    model_only_threshold: float = 0.35  # a sentence the model flags with no matching rule (calibrated probability)
    model_only_min_words: int = 5
    #: How far the sentence model's disagreement can lower a rule finding (0: not at all, 1: to zero).
    model_weight: float = 0.3
    disabled: frozenset[str] = frozenset()
    #: The model's own band thresholds: the cap and floor below use these, so a caller's ``bands``
    #: override changes bands only, never the risk.
    policy_bands: tuple[int, int] = DEFAULT_BANDS
    #: A text with no finance vocabulary at all is not a finance article: its risk stays below ``elevated``.
    require_finance_context: bool = True
    #: A rule finding this confident that no context cue lowered lifts the risk to at least ``elevated``.
    floor_confidence: float = 0.7
    floor_categories: frozenset[str] = frozenset(
        {"return_promise", "guarantee", "teaser_upsell", "insider_tip", "call_to_action", "track_record", "paid_promotion"}
    )


def band_of(risk: int, bands: tuple[int, int] = DEFAULT_BANDS) -> str:
    """``low`` < bands[0] <= ``elevated`` < bands[1] <= ``high``.

    >>> band_of(29), band_of(30), band_of(70)
    ('low', 'elevated', 'high')
    """
    return "high" if risk >= bands[1] else "elevated" if risk >= bands[0] else "low"


def _sentence_of(ev: Evidence, sentences: Sequence[Sentence]) -> int | None:
    for sent in sentences:
        if ev.start < sent.end and ev.end > sent.start:
            return sent.number
    return None


def make_findings(
    text: str,
    evidence: Sequence[Evidence],
    sentences: Sequence[Sentence],
    sentence_probs: Sequence[Mapping[str, float]] | None,
    config: ScoringConfig,
) -> list[Finding]:
    """Rule evidence weighed by the sentence model, plus sentences only the model flags."""
    findings: list[Finding] = []
    for ev in evidence:
        if ev.category in config.disabled:
            continue
        origin = [f"rule:{ev.rule_id}"]
        confidence = ev.score
        idx = _sentence_of(ev, sentences)
        if sentence_probs is not None and idx is not None:
            probs = sentence_probs[idx]
            agreement = max(probs.get(ev.category, 0.0), 0.8 * probs.get("any", 0.0))
            confidence = ev.score * (1.0 - config.model_weight + config.model_weight * agreement)
            if agreement >= 0.5:
                origin.append("model")
        if confidence < config.min_confidence:
            continue
        findings.append(
            Finding(ev.start, ev.end, ev.text, ev.category, confidence, tuple(origin), ev.why,
                    REGULATORY_HOOKS[ev.category], ev.adjustments)
        )
    if sentence_probs is not None:
        candidates: set[int] | None = None
        if isinstance(sentence_probs, SentenceProbs):  # the batched model's arrays: find the candidates at once
            flags = [j for j, label in enumerate(sentence_probs.labels) if label != "any"]
            reach = (sentence_probs.values[:, flags] >= config.model_only_threshold).any(axis=1)
            candidates = set(reach.nonzero()[0].tolist())
        for sent in sentences:
            if candidates is not None and sent.number not in candidates:
                continue  # no label reaches the threshold: nothing below would report it
            if len(text[sent.start : sent.end].split()) < config.model_only_min_words:
                continue  # too little text for the model alone to name a red flag
            probs = sentence_probs[sent.number]
            for cat, p in probs.items():
                if cat == "any" or cat in config.disabled or p < config.model_only_threshold:
                    continue
                if any(f.category == cat and f.start < sent.end and f.end > sent.start for f in findings):
                    continue
                if any(ev.category == cat and ev.adjustments and ev.start < sent.end and ev.end > sent.start for ev in evidence):
                    continue  # context explained a rule match of this category away; the model does not overrule it
                findings.append(
                    Finding(sent.start, sent.end, text[sent.start : sent.end], cat, p * 0.9, ("model",),
                            f"The model reads this sentence as one that {CATEGORY_DESCRIPTIONS[cat]} (no rule matched).",
                            REGULATORY_HOOKS[cat])
                )
    findings.sort(key=lambda f: (f.start, f.end, f.category))
    return findings


def apply_policy(probability: float, findings: Sequence[Finding], signals: Mapping[str, Any],
                 config: ScoringConfig) -> tuple[float, dict[str, Any]]:
    """Two explained adjustments of the model's probability; returns it and the signals that record them.

    - no finance vocabulary at all and no strong return promise, guarantee or track record:
      capped just below ``elevated`` (``finance_context: false``);
    - a strong, unqualified rule finding (confidence >= ``floor_confidence``, no context
      cue lowered it): lifted to at least ``elevated`` (``floor: <rule id>``).
    """
    policy: dict[str, Any] = {"finance_context": True}
    unqualified = [f for f in findings if not f.adjustments and any(o.startswith("rule:") for o in f.origin)]
    strong = [f for f in unqualified if f.category in config.floor_categories and f.confidence >= config.floor_confidence]
    if config.require_finance_context and signals.get("finance_terms", 1) == 0:
        # A promised return, guarantee or own track record is finance talk even without finance nouns.
        if not any(f.category in FINANCE_CLAIMS and f.confidence >= 0.6 for f in unqualified):
            policy["finance_context"] = False
            return min(probability, (config.policy_bands[0] - 1) / 100), policy
    if strong and probability < config.policy_bands[0] / 100:
        policy["floor"] = strong[0].origin[0].removeprefix("rule:")
        probability = config.policy_bands[0] / 100
    return probability, policy


def assessment_id(source: str, text: str) -> str:
    return hashlib.sha256(f"{source}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def assess(
    *,
    text: str,
    title: str | None,
    source: str,
    doc_id: str | None,
    language: str,
    probability: float,
    findings: Sequence[Finding],
    signals: Mapping[str, Any],
    warnings: Sequence[str],
    model_info: Mapping[str, Any],
    config: ScoringConfig,
    include_text: bool = True,
) -> Assessment:
    """Build the Assessment of one document."""
    probability, policy = apply_policy(float(probability), findings, signals, config)
    probability = min(1.0, max(0.0, probability))
    risk = int(round(100 * probability))
    categories: dict[str, float] = {}
    for f in findings:
        categories[f.category] = max(categories.get(f.category, 0.0), f.confidence)
    categories = dict(sorted(categories.items(), key=lambda kv: -kv[1]))
    return Assessment(
        id=doc_id or assessment_id(source, text),
        source=source,
        title=title,
        language=language,
        risk=risk,
        probability=probability,
        band=band_of(risk, config.bands),
        categories=categories,
        findings=tuple(findings),
        signals={**signals, **policy},
        warnings=tuple(warnings),
        model=dict(model_info),
        text=text if include_text else None,
    )
