"""Result and input types: frozen dataclasses that serialise with stable keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

SCHEMA = "hypecheck.assessment/1"

CATEGORIES: tuple[str, ...] = (
    "return_promise",
    "guarantee",
    "teaser_upsell",
    "insider_tip",
    "piggyback",
    "puffery",
    "urgency",
    "call_to_action",
    "track_record",
    "paid_promotion",
)

#: The rule each category strains (DESIGN.md taxonomy), shown to compliance reviewers.
REGULATORY_HOOKS: Mapping[str, str] = {
    "return_promise": "FINRA 2210(d)(1)(B),(F); Del. Reg. (EU) 2016/958 Art. 3(1)(d); BaFin warning on extreme price targets",
    "guarantee": "FINRA red flags (guaranteed returns); FINRA 2210(d)(1)(B)",
    "teaser_upsell": "SEC investor alert on paid newsletters and research sites; MAR Art. 20(1) objectivity",
    "insider_tip": "SEC/FINRA alerts on 'inside' information; MAR Art. 12(1)(c)",
    "piggyback": "MAR Art. 12(1)(c) misleading signals",
    "puffery": "FINRA 2210(d)(1)(B) exaggerated claims; BaFin: unusually positive tone",
    "urgency": "SEC/FINRA red flag: pressure to act now",
    "call_to_action": "MAR Art. 20 recommendation duties; BaFin scalping warning",
    "track_record": "FINRA 2210(d)(1)(F) past performance implied to recur",
    "paid_promotion": "MAR Art. 12(2)(d) scalping; Del. Reg. (EU) 2016/958 Art. 5-6 conflicts; SEC: promoters are paid",
}


#: One line per category, used when the model flags a sentence that no rule matched.
CATEGORY_DESCRIPTIONS: Mapping[str, str] = {
    "return_promise": "promises a concrete gain, multiple or price target with no source, basis or horizon",
    "guarantee": "denies risk or guarantees a gain",
    "teaser_upsell": "withholds a pick or sells a report, newsletter or service instead of substance",
    "insider_tip": "claims hidden or exclusive knowledge",
    "piggyback": "borrows the fame of a celebrated winner or theme",
    "puffery": "uses loaded superlatives instead of facts",
    "urgency": "puts the reader under time pressure",
    "call_to_action": "tells the reader to buy",
    "track_record": "shows cherry-picked past gains of its own picks as proof",
    "paid_promotion": "is sponsored content or discloses compensation or a conflict",
}


@dataclass(frozen=True)
class Document:
    """One input text with where it came from."""

    text: str
    title: str | None = None
    source: str = "<text>"
    id: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    is_html: bool = False


@dataclass(frozen=True)
class LoadIssue:
    """An input item that could not be turned into a Document, and why."""

    source: str
    reason: str
    item: str | None = None
    code: str = "E000"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "item": self.item, "reason": self.reason, "code": self.code}


@dataclass(frozen=True)
class Adjustment:
    """A context cue that changed a finding's confidence."""

    kind: str  # attribution | criticism | reported_fact | boost
    cue: str
    before: float
    after: float

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "cue": self.cue, "before": round(self.before, 3), "after": round(self.after, 3)}


@dataclass(frozen=True)
class Evidence:
    """A rule match before context and model: a character span, a category and a base score."""

    start: int
    end: int
    text: str
    category: str
    rule_id: str
    score: float
    why: str
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A flagged passage of the normalised text, with its category and reason."""

    start: int
    end: int
    text: str
    category: str
    confidence: float
    origin: tuple[str, ...]
    why: str
    regulation: str = ""
    adjustments: tuple[Adjustment, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "origin": list(self.origin),
            "why": self.why,
            "regulation": self.regulation,
            "context": [a.to_dict() for a in self.adjustments],
        }


@dataclass(frozen=True)
class Assessment:
    """The verdict on one document (JSON schema ``hypecheck.assessment/1``)."""

    id: str
    source: str
    title: str | None
    language: str
    risk: int
    probability: float
    band: str
    categories: Mapping[str, float]
    findings: tuple[Finding, ...]
    signals: Mapping[str, Any]
    warnings: tuple[str, ...]
    model: Mapping[str, Any]
    text: str | None = None

    def to_dict(self, include_text: bool = False) -> dict[str, Any]:
        """Return a JSON-serialisable dict with stable keys (the text only when asked)."""
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "id": self.id,
            "source": self.source,
            "title": self.title,
            "language": self.language,
            "risk": self.risk,
            "probability": round(self.probability, 4),
            "band": self.band,
            "categories": {k: round(v, 3) for k, v in self.categories.items()},
            "findings": [f.to_dict() for f in self.findings],
            "signals": dict(self.signals),
            "warnings": list(self.warnings),
            "model": dict(self.model),
        }
        if include_text:
            out["text"] = self.text
        return out
