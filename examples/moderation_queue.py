"""A moderation queue that routes incoming finance articles by hypecheck band and shows moderators the findings.

Run it with ``python examples/moderation_queue.py``. It scores a handful of
German and English items on worker threads that share one Detector, routes
each item (high -> hold, elevated -> review, low -> publish, unscorable ->
error), prints the moderator's view of every held or reviewed item, and
writes the audit log as JSON Lines (one Assessment per line).
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import hypecheck
from hypecheck import Assessment, Detector, HypecheckError

#: What a moderation team does with each band.
ROUTES = {"high": "hold", "elevated": "review", "low": "publish"}


@dataclass(frozen=True)
class Item:
    """An incoming article, as a feed reader or CMS would hand it over."""

    id: str
    title: str
    text: str
    link: str


@dataclass
class Decision:
    """Where an item went, and why."""

    item: Item
    queue: str
    assessment: Assessment | None = None
    error: str | None = None


@dataclass
class ModerationQueue:
    """Score items with one shared Detector and sort them into queues."""

    detector: Detector
    workers: int = 4
    queues: dict[str, list[Decision]] = field(default_factory=lambda: {q: [] for q in ("hold", "review", "publish",
                                                                                       "error")})

    def _decide(self, item: Item) -> Decision:
        try:
            assessment = self.detector.score(item.text, title=item.title, source=item.link, id=item.id)
        except HypecheckError as exc:  # e.g. an empty item: route it, never lose it
            return Decision(item, "error", error=str(exc))
        return Decision(item, ROUTES[assessment.band], assessment)

    def submit(self, items: list[Item]) -> list[Decision]:
        """Score ``items`` on worker threads (the Detector is thread-safe) and file each decision."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            decisions = list(pool.map(self._decide, items))
        for decision in decisions:
            self.queues[decision.queue].append(decision)
        for queue in self.queues.values():  # riskiest first
            queue.sort(key=lambda d: -(d.assessment.risk if d.assessment else 0))
        return decisions

    def audit_log(self, path: Path) -> int:
        """Write every Assessment as one JSON line (schema hypecheck.assessment/1); return the count."""
        with path.open("w", encoding="utf-8") as out:
            for queue in self.queues.values():
                for d in queue:
                    record = d.assessment.to_dict() if d.assessment else {"id": d.item.id, "error": d.error}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return sum(len(q) for q in self.queues.values())


def moderator_card(decision: Decision) -> str:
    """What a moderator sees: the verdict, then each flagged passage in its sentence, with the reason."""
    a = decision.assessment
    if a is None:
        return f"[{decision.queue}] {decision.item.id}: {decision.error}"
    lines = [f"[{decision.queue}] {decision.item.id} - {decision.item.title!r}",
             f"  risk {a.risk}/100 ({a.band}), language {a.language}; "
             f"categories: {', '.join(a.categories) or 'none'}"]
    text = a.text or ""
    for n, f in enumerate(a.findings, 1):
        left = text[max(0, f.start - 50):f.start].split("\n")[-1]
        right = text[f.end:f.end + 50].split("\n")[0]
        lines.append(f"  {n}. {f.category} ({f.confidence:.2f}): ...{left}>>{f.text}<<{right}...")
        lines.append(f"     why: {f.why}")
        lines.append(f"     regulation: {f.regulation}")
        for adj in f.adjustments:
            lines.append(f"     context: {adj.kind} cue {adj.cue!r} changed {adj.before:.2f} -> {adj.after:.2f}")
    return "\n".join(lines)


INCOMING = [
    Item("de-001", "Alibaba: Cloud-Geschäft wächst",
         "Alibaba legte im Quartal beim Umsatz zu; der Cloud-Umsatz wuchs um 13 Prozent.\n\n"
         "Der Wettlauf ums Geld hebt auch den im Aktien-Report 'Besser als DeepSeek' vorgestellten Titel. "
         "Seit Veröffentlichung legten die Papiere bereits um 15 Prozent zu - "
         "bis Jahresende sind weitere 150 Prozent möglich.",
         "https://example.org/de-001"),
    Item("de-002", "DAX schließt fester",
         "Der DAX schloss am Freitag 0,4 Prozent höher bei 18.200 Punkten. Autowerte waren gefragt, "
         "nachdem die Analysten von UBS das Kursziel für BMW auf 110 Euro angehoben hatten.",
         "https://example.org/de-002"),
    Item("en-001", "The 10-bagger Wall Street hasn't noticed",
         "This tiny OTC miner could soar 500% - act now before it's too late! Guaranteed gains for early buyers. "
         "Paid advertisement.",
         "https://example.org/en-001"),
    Item("en-002", "Acme beats estimates",
         "Shares of Acme rose 3% on Tuesday after quarterly sales beat estimates, Reuters reported.",
         "https://example.org/en-002"),
    Item("en-003", "", "   ", "https://example.org/en-003"),
]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)  # the application, not hypecheck, decides where logs go
    detector = hypecheck.load()  # cached: every later load() with the same arguments returns this object
    queue = ModerationQueue(detector)
    queue.submit(INCOMING)

    print("Queues: " + ", ".join(f"{name} {len(items)}" for name, items in queue.queues.items()))
    for name in ("hold", "review", "error"):
        for decision in queue.queues[name]:
            print()
            print(moderator_card(decision))
    print()
    for decision in queue.queues["publish"]:
        a = decision.assessment
        print(f"[publish] {decision.item.id} (risk {a.risk if a else '-'})")

    log_path = Path(argv[0]) if argv else Path(tempfile.gettempdir()) / "hypecheck-audit.jsonl"
    print(f"\naudit log: {queue.audit_log(log_path)} records in {log_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
