"""Validate corpora/ and regenerate the counts table of corpora/README.md.

Usage::

    python -m training.validate_corpus            # check; exit 1 on errors
    python -m training.validate_corpus --write    # check and rewrite the counts table

Checks: schema, offsets (spans inside the text, no overlaps within a category,
no span starting or ending inside a word), known categories, label/span
consistency, unique ids, near-duplicates (word 5-gram shingle Jaccard >= 0.5),
and the balance targets of the corpus issue.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from hypecheck.types import CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpora"
GENRES = (
    "wire_news", "earnings_report", "market_wrap", "analyst_note", "explainer", "hype_warning", "forum_post",
    "boersenbrief", "penny_stock_push", "crypto_pump", "advertorial", "newsletter_teaser", "news_with_pitch", "sales_page",
)
#: Genres whose promotional documents are sober news carrying an insert.
MIXED_GENRES = ("news_with_pitch", "newsletter_teaser")
REQUIRED = {"id": str, "lang": str, "label": int, "genre": str, "title": str, "text": str, "spans": list, "hard_negative": bool}
TARGETS = {"de_docs": 600, "en_docs": 400, "label1_share": (0.40, 0.55), "genre_min": 25, "hard_negative_share": 0.35,
           "mixed_share": 0.25, "noise_share": 0.10, "spans_per_category": 40}
WORD = re.compile(r"\w+")
BEGIN, END = "<!-- counts:begin -->", "<!-- counts:end -->"


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)


def load(corpus: Path, report: Report) -> None:
    for path in sorted(corpus.rglob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.relative_to(corpus)}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                report.errors.append(f"{where}: invalid JSON ({exc})")
                continue
            rec["_where"] = where
            rec.setdefault("batch", path.stem)
            report.records.append(rec)


def check_record(rec: dict, report: Report) -> None:
    where = f"{rec['_where']} ({rec.get('id')})"
    for key, typ in REQUIRED.items():
        if not isinstance(rec.get(key), typ):
            report.errors.append(f"{where}: field {key!r} missing or not {typ.__name__}")
            return
    if rec["lang"] not in ("de", "en") or not rec["id"].startswith(rec["lang"] + "-"):
        report.errors.append(f"{where}: lang must be de/en and prefix the id")
    if rec["label"] not in (0, 1):
        report.errors.append(f"{where}: label must be 0 or 1")
    if rec["genre"] not in GENRES:
        report.errors.append(f"{where}: unknown genre {rec['genre']!r}")
    text, spans = rec["text"], rec["spans"]
    if rec["label"] == 1 and not spans:
        report.errors.append(f"{where}: label 1 without spans")
    if rec["label"] == 0 and spans:
        report.errors.append(f"{where}: label 0 with spans")
    if rec["label"] == 1 and rec["hard_negative"]:
        report.errors.append(f"{where}: hard_negative set on a promotional document")
    by_cat: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for s in spans:
        try:
            start, end, cat = int(s["start"]), int(s["end"]), s["category"]
        except (KeyError, TypeError, ValueError):
            report.errors.append(f"{where}: malformed span {s!r}")
            continue
        if cat not in CATEGORIES:
            report.errors.append(f"{where}: unknown category {cat!r}")
        if not 0 <= start < end <= len(text):
            report.errors.append(f"{where}: span {start}-{end} outside the text")
            continue
        if text[start].isspace() or text[end - 1].isspace():
            report.errors.append(f"{where}: span {start}-{end} has edge whitespace")
        if start > 0 and text[start - 1].isalnum() and text[start].isalnum():
            report.warnings.append(f"{where}: span {text[start:end][:30]!r} starts inside a word")
        if end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
            report.warnings.append(f"{where}: span {text[start:end][:30]!r} ends inside a word")
        for o_start, o_end in by_cat[cat]:
            if start < o_end and end > o_start:
                report.errors.append(f"{where}: overlapping {cat} spans at {start}-{end} and {o_start}-{o_end}")
        by_cat[cat].append((start, end))


def shingles(text: str, n: int = 5) -> set[int]:
    words = [w.lower() for w in WORD.findall(text)]
    return {hash(tuple(words[i : i + n])) for i in range(max(0, len(words) - n + 1))}


def near_duplicates(records: list[dict], threshold: float = 0.5) -> list[tuple[str, str, float]]:
    sets = [shingles(r["text"]) for r in records]
    index: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            index[h].append(i)
    shared: Counter = Counter()
    for ids in index.values():
        if len(ids) > 50:  # boilerplate shingles shared by many documents
            continue
        for a in range(len(ids)):
            for b in range(a + 1, len(ids)):
                shared[(ids[a], ids[b])] += 1
    dups = []
    for (a, b), n in shared.items():
        union = len(sets[a] | sets[b])
        if union and n / union >= threshold:
            dups.append((records[a]["id"], records[b]["id"], round(n / union, 3)))
    return dups


def is_mixed(rec: dict) -> bool:
    if rec["label"] != 1:
        return False
    if rec["genre"] in MIXED_GENRES:
        return True
    covered = sum(s["end"] - s["start"] for s in rec["spans"])
    return covered < 0.25 * max(1, len(rec["text"]))


def counts(records: list[dict]) -> dict:
    out: dict = {}
    for lang in ("de", "en"):
        rs = [r for r in records if r["lang"] == lang]
        neg = [r for r in rs if r["label"] == 0]
        pos = [r for r in rs if r["label"] == 1]
        words = sorted(len(WORD.findall(r["text"])) for r in rs) or [0]
        out[lang] = {
            "documents": len(rs),
            "label1": len(pos),
            "label1_share": round(len(pos) / len(rs), 3) if rs else 0,
            "hard_negative_share": round(sum(r["hard_negative"] for r in neg) / len(neg), 3) if neg else 0,
            "mixed_share": round(sum(is_mixed(r) for r in pos) / len(pos), 3) if pos else 0,
            "noise_share": round(sum(bool(r.get("noise")) for r in rs) / len(rs), 3) if rs else 0,
            "words_min": words[0], "words_median": words[len(words) // 2], "words_max": words[-1],
            "genres": {g: sum(r["genre"] == g for r in rs) for g in GENRES},
            "genres_label1": {g: sum(r["genre"] == g and r["label"] == 1 for r in rs) for g in GENRES},
            "spans": {c: sum(s["category"] == c for r in rs for s in r["spans"]) for c in CATEGORIES},
        }
    return out


def check_balance(c: dict, report: Report) -> None:
    for lang, minimum in (("de", TARGETS["de_docs"]), ("en", TARGETS["en_docs"])):
        got = c[lang]
        if got["documents"] < minimum:
            report.errors.append(f"{lang}: {got['documents']} documents, need >= {minimum}")
        lo, hi = TARGETS["label1_share"]
        if not lo <= got["label1_share"] <= hi:
            report.errors.append(f"{lang}: label-1 share {got['label1_share']} outside [{lo}, {hi}]")
        for g, n in got["genres"].items():
            if n < TARGETS["genre_min"]:
                report.errors.append(f"{lang}: genre {g} has {n} documents, need >= {TARGETS['genre_min']}")
        for cat, n in got["spans"].items():
            if n < TARGETS["spans_per_category"]:
                report.errors.append(f"{lang}: category {cat} has {n} spans, need >= {TARGETS['spans_per_category']}")
        for key in ("hard_negative_share", "mixed_share", "noise_share"):
            if got[key] < TARGETS[key]:
                report.errors.append(f"{lang}: {key} {got[key]} below {TARGETS[key]}")


def table(c: dict) -> str:
    lines = ["| | de | en |", "|---|---:|---:|"]
    for key in ("documents", "label1", "label1_share", "hard_negative_share", "mixed_share", "noise_share",
                "words_min", "words_median", "words_max"):
        lines.append(f"| {key.replace('_', ' ')} | {c['de'][key]} | {c['en'][key]} |")
    lines += ["", "| genre | de (promotional) | en (promotional) |", "|---|---:|---:|"]
    for g in GENRES:
        lines.append(f"| {g} | {c['de']['genres'][g]} ({c['de']['genres_label1'][g]}) | {c['en']['genres'][g]} ({c['en']['genres_label1'][g]}) |")
    lines += ["", "| span category | de | en |", "|---|---:|---:|"]
    for cat in CATEGORIES:
        lines.append(f"| {cat} | {c['de']['spans'][cat]} | {c['en']['spans'][cat]} |")
    return "\n".join(lines)


def validate(corpus: Path = CORPUS) -> tuple[Report, dict]:
    report = Report()
    load(corpus, report)
    ids = Counter(r.get("id") for r in report.records)
    for doc_id, n in ids.items():
        if n > 1:
            report.errors.append(f"duplicate id {doc_id} ({n} times)")
    for rec in report.records:
        check_record(rec, report)
    for a, b, j in near_duplicates(report.records):
        report.errors.append(f"near-duplicates {a} ~ {b} (5-gram Jaccard {j})")
    c = counts(report.records)
    check_balance(c, report)
    return report, c


def readme_table_current(readme: Path, c: dict) -> bool:
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    return f"{BEGIN}\n{table(c)}\n{END}" in text


def write_table(readme: Path, c: dict) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    readme.write_text(text[:start] + f"{BEGIN}\n{table(c)}\n{END}" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--write", action="store_true", help="rewrite the counts table in corpora/README.md")
    parser.add_argument("--warnings", action="store_true", help="list warnings too")
    args = parser.parse_args(argv)
    report, c = validate(args.corpus)
    readme = args.corpus / "README.md"
    if args.write:
        write_table(readme, c)
    elif not readme_table_current(readme, c):
        report.errors.append(f"{readme}: counts table is stale; run python -m training.validate_corpus --write")
    for e in report.errors:
        print(f"error: {e}")
    if args.warnings:
        for w in report.warnings:
            print(f"warning: {w}")
    print(f"{len(report.records)} documents: {len(report.errors)} errors, {len(report.warnings)} warnings")
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
