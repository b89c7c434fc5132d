"""Layer 3, context: cue words near a match lower or raise its score, and every change is recorded.

Like presidio's context-aware enhancer, but in both directions and explained:
an attributed target ("Analysten von Jefferies sehen ..."), a warning about hype
("Vorsicht bei Versprechen wie ...") or a past move reported as fact ("stieg um
760 Prozent") lowers a finding; "garantiert", "nur heute" raise one.
"""

from __future__ import annotations

from dataclasses import replace

from spacy.language import Language
from spacy.tokens import Doc

from hypecheck.nlp import TokenTable
from hypecheck.rules.loader import RuleSet
from hypecheck.rules.matcher import Match, PatternBank
from hypecheck.types import Adjustment, Evidence

KINDS_IN_ORDER = ("criticism", "attribution", "reported_fact", "boost")


class ContextAdjuster:
    """Adjust Evidence scores by the cues of ``context.yml`` found in the same sentence."""

    def __init__(self, nlp: Language, ruleset: RuleSet) -> None:
        self.cues = ruleset.context.cues
        self.entries = ruleset.by_id()
        self.bank = PatternBank(nlp)
        for kind, cue in self.cues.items():
            self.bank.add(kind, cue.patterns, cue.phrases, f"{ruleset.language}/context.yml", f"context.{kind}")

    def find_cues(self, doc: Doc, table: TokenTable | None = None) -> list[Match]:
        return self.bank(doc, table)

    def __call__(self, doc: Doc, evidence: list[Evidence], cues: list[Match] | None = None,
                 table: TokenTable | None = None) -> list[Evidence]:
        if not evidence:
            return evidence
        table = TokenTable(doc) if table is None else table
        cues = self.find_cues(doc, table) if cues is None else cues
        if not cues:
            return evidence
        sent_of = table.sent_id.tolist()
        clause_of = table.clause_ids().tolist()
        by_sent: dict[int, list[Match]] = {}
        for cue in cues:
            by_sent.setdefault(sent_of[cue.start], []).append(cue)
        adjusted = []
        for ev in evidence:
            span = doc.char_span(ev.start, ev.end, alignment_mode="expand")
            if span is None or len(span) == 0:
                adjusted.append(ev)
                continue
            sent = sent_of[span.start]
            nearby = by_sent.get(sent, [])
            if sent > 0:
                nearby = nearby + [c for c in by_sent.get(sent - 1, []) if c.label == "criticism"]
            entry = self.entries.get(ev.rule_id)
            applicable = set(entry.rule.demoted_by) if entry else {"criticism"}
            applicable.add("boost")
            score, notes = ev.score, []
            for kind in KINDS_IN_ORDER:
                if kind not in applicable:
                    continue
                cfg = self.cues[kind] if kind in self.cues else None
                if cfg is None:
                    continue
                hit = self._first_cue(nearby, kind, span.start, span.end, cfg.window, clause_of)
                if hit is None:
                    continue
                before = score
                score = min(1.0, score * cfg.factor)
                notes.append(Adjustment(kind, doc[hit.start : hit.end].text, before, score))
            adjusted.append(replace(ev, score=score, adjustments=ev.adjustments + tuple(notes)) if notes else ev)
        return adjusted

    @staticmethod
    def _first_cue(cues: list[Match], kind: str, start: int, end: int, window: str, clause_of: list[int]) -> Match | None:
        clauses = set(clause_of[start:end])
        for cue in cues:
            if cue.label != kind:
                continue
            inside = cue.start >= start and cue.end <= end
            if inside and kind != "attribution":
                continue  # the match's own words are not context for it (a named source inside it is)
            if window == "before" and cue.start >= start:
                continue
            if window == "clause" and clause_of[cue.start] not in clauses:
                continue
            return cue
        return None
