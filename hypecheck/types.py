"""Result and input types: frozen dataclasses that serialise with stable keys."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

SCHEMA = "hypecheck.assessment/1"
#: The JSON Schema of ``Assessment.to_dict()``, shipped as package data.
SCHEMA_RESOURCE = "data/assessment.schema.json"

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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Adjustment":
        """The inverse of :meth:`to_dict`."""
        return cls(str(data["kind"]), str(data["cue"]), float(data["before"]), float(data["after"]))


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
    """A flagged passage of the normalised text, with its category and reason.

    ``start``/``end`` are character offsets into ``Assessment.text``;
    ``origin`` names the rule (``rule:<id>``) and/or ``model``; ``why`` is
    the one-line explanation to show a moderator; ``regulation`` the rule
    the passage would strain; ``adjustments`` the context cues that changed
    its confidence.

    >>> f = Finding(0, 12, "Jetzt kaufen", "call_to_action", 0.8, ("rule:de.call_to_action.buy_now",),
    ...             "A direct instruction to buy.")
    >>> f.to_dict()["confidence"], Finding.from_dict(f.to_dict()) == f
    (0.8, True)
    """

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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Finding":
        """The inverse of :meth:`to_dict` (``confidence`` as rounded there)."""
        return cls(
            start=int(data["start"]),
            end=int(data["end"]),
            text=str(data["text"]),
            category=str(data["category"]),
            confidence=float(data["confidence"]),
            origin=tuple(str(o) for o in data["origin"]),
            why=str(data["why"]),
            regulation=str(data.get("regulation", "")),
            adjustments=tuple(Adjustment.from_dict(a) for a in data.get("context", ())),
        )


@dataclass(frozen=True)
class Assessment:
    """The verdict on one document (JSON schema ``hypecheck.assessment/1``).

    ``risk`` is ``round(100 * probability)``, the calibrated probability that
    a moderator would judge the text promotional; ``band`` is ``low``,
    ``elevated`` or ``high`` by the detector's thresholds; ``categories``
    maps each flagged category to its strongest finding's confidence,
    highest first; ``findings`` are in text order; ``text`` is the normalised
    text the offsets refer to.

    Examples
    --------
    >>> import json, hypecheck
    >>> a = hypecheck.load().score("Unser Kursziel: 10 Euro. Jetzt kaufen!")
    >>> d = a.to_dict()
    >>> d["schema"], d["band"] == a.band, "text" in d
    ('hypecheck.assessment/1', True, False)
    >>> line = json.dumps(a.to_dict(include_text=True))
    >>> Assessment.from_dict(json.loads(line)).to_dict(include_text=True) == json.loads(line)
    True
    """

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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Assessment":
        """Rebuild an Assessment from :meth:`to_dict` output (e.g. a JSONL line).

        Numbers come back as ``to_dict`` rounded them.

        Raises
        ------
        ValueError
            ``data`` is not a ``hypecheck.assessment/1`` object.
        """
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} object (schema: {data.get('schema')!r})")
        return cls(
            id=str(data["id"]),
            source=str(data["source"]),
            title=data.get("title"),
            language=str(data["language"]),
            risk=int(data["risk"]),
            probability=float(data["probability"]),
            band=str(data["band"]),
            categories={str(k): float(v) for k, v in data["categories"].items()},
            findings=tuple(Finding.from_dict(f) for f in data["findings"]),
            signals=dict(data["signals"]),
            warnings=tuple(str(w) for w in data["warnings"]),
            model=dict(data["model"]),
            text=data.get("text"),
        )

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) that every :meth:`to_dict` output satisfies.

        >>> Assessment.json_schema()["properties"]["schema"]["const"]
        'hypecheck.assessment/1'
        """
        text = resources.files("hypecheck").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
        schema: dict[str, Any] = json.loads(text)
        return schema
