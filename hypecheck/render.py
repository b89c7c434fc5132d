"""Layer 8, output: Assessments as readable text (coloured on a terminal), JSON, JSONL or flat CSV rows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterable, Sequence

from hypecheck.types import Assessment

BAND_COLORS = {"low": "green", "elevated": "yellow", "high": "red"}
FLAT_FIELDS = ("source", "id", "title", "language", "risk", "probability", "band", "top_categories", "findings", "warnings")


def to_json(assessments: Sequence[Assessment], include_text: bool = False) -> str:
    """One object for one Assessment, an array for several."""
    data = [a.to_dict(include_text) for a in assessments]
    return json.dumps(data[0] if len(data) == 1 else data, ensure_ascii=False, indent=2)


def to_jsonl_line(assessment: Assessment, include_text: bool = False) -> str:
    return json.dumps(assessment.to_dict(include_text), ensure_ascii=False)


def flat_row(assessment: Assessment) -> dict[str, Any]:
    """A flat table row: the fields a spreadsheet or a dashboard needs."""
    return {
        "source": assessment.source,
        "id": assessment.id,
        "title": assessment.title or "",
        "language": assessment.language,
        "risk": assessment.risk,
        "probability": round(assessment.probability, 4),
        "band": assessment.band,
        "top_categories": ";".join(list(assessment.categories)[:3]),
        "findings": len(assessment.findings),
        "warnings": " | ".join(assessment.warnings),
    }


def to_csv(rows: Iterable[dict[str, Any]], fields: Sequence[str] = FLAT_FIELDS) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def _context(text: str, start: int, end: int, width: int = 110) -> tuple[str, str, str]:
    """The text around [start, end): up to the sentence or ``width`` characters each side."""
    left_bound = max(0, start - width)
    left = text[left_bound:start]
    for stop in (". ", "! ", "? ", "\n"):
        pos = left.rfind(stop)
        if pos >= 0:
            left = left[pos + len(stop):]
            left_bound = -1
            break
    right = text[end : end + width]
    cut = min([p + 1 for p in (right.find(". "), right.find("! "), right.find("? "), right.find("\n")) if p >= 0] or [len(right)])
    right_full = cut < len(right) or end + width >= len(text)
    right = right[:cut].rstrip("\n")
    prefix = "…" if left_bound > 0 else ""
    suffix = "" if right_full else "…"
    return prefix + left.replace("\n", " "), text[start:end].replace("\n", " "), right.replace("\n", " ") + suffix


def to_text(assessment: Assessment, color: bool = False, text: str | None = None) -> str:
    """A moderator's view: risk, band, then each finding with its reason and the sentence around it."""

    def style(s: str, **kw: Any) -> str:
        if not color:
            return s
        import click

        return click.style(s, **kw)

    a = assessment
    text = text if text is not None else a.text
    lines = []
    head = f"{a.source}: risk {a.risk}/100 "
    lines.append(style(head, bold=True) + style(a.band.upper(), fg=BAND_COLORS[a.band], bold=True) + f"  ({a.language})")
    if a.title:
        lines.append(f"  title: {a.title}")
    if a.categories:
        lines.append("  categories: " + ", ".join(f"{k} {v:.2f}" for k, v in a.categories.items()))
    if not a.findings:
        lines.append("  no promotional passages found")
    for i, f in enumerate(a.findings, 1):
        lines.append(f"  {i}. " + style(f"[{f.category}]", fg="magenta", bold=True) + f" {f.confidence:.2f}  “{f.text}”")
        lines.append(f"     why: {f.why}")
        if text:
            left, mid, right = _context(text, f.start, f.end)
            lines.append("     in:  " + left + style(mid, fg="red", bold=True, underline=True) if color else f"     in:  {left}»{mid}«{right}")
            if color:
                lines[-1] += right
        for adj in f.adjustments:
            lines.append(f"     context: {adj.kind} cue “{adj.cue}” ({adj.before:.2f} → {adj.after:.2f})")
        lines.append(f"     rule: {', '.join(f.origin)}; regulation: {f.regulation}")
    s = a.signals
    sig = [f"attributed sources {s.get('attributed_sources', 0)}"]
    for key, label in (("microcap", "micro-cap context"), ("risk_warning", "risk warning"), ("crypto", "crypto context"), ("named_author", "named author")):
        if s.get(key):
            sig.append(label)
    if s.get("second_person_share"):
        sig.append(f"reader addressed in {100 * s['second_person_share']:.1f}% of words")
    lines.append("  signals: " + ", ".join(sig))
    for w in a.warnings:
        lines.append(style(f"  warning: {w}", fg="yellow"))
    return "\n".join(lines)
