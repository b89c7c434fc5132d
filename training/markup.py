"""Convert hand-written corpus sources with inline span markup to corpus JSONL, and back.

Annotators write documents as blocks; promotional phrases are marked inline as
``[[category|phrase]]`` (markers may nest, e.g. a piggyback inside a teaser).
The converter strips the markers, computes character offsets and writes one
JSON object per line in the corpus schema of DESIGN.md.

Source block format::

    === id: de-boersenbrief-0001 | label: 1 | genre: boersenbrief | hard_negative: false | noise: false
    title: Der nächste Überflieger?
    ---
    Body text with [[return_promise|weitere 150 Prozent möglich]] ...

Usage::

    python -m training.markup to-jsonl SRC.txt OUT.jsonl     # source -> corpus JSONL
    python -m training.markup from-jsonl IN.jsonl OUT.txt    # corpus JSONL -> editable source
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from hypecheck.types import CATEGORIES


HEADER = re.compile(r"^===\s*(.*)$")
OPEN = "[["
CLOSE = "]]"


class MarkupError(ValueError):
    """A source block cannot be converted; the message names the document."""


def strip_markup(marked: str, doc_id: str) -> tuple[str, list[dict]]:
    """Return the plain text and the spans of ``marked``.

    >>> strip_markup("a [[urgency|jetzt]] b", "x")
    ('a jetzt b', [{'start': 2, 'end': 7, 'category': 'urgency'}])
    """
    out: list[str] = []
    pos = 0  # length of plain text so far
    stack: list[tuple[str, int]] = []
    spans: list[dict] = []
    i = 0
    while i < len(marked):
        if marked.startswith(OPEN, i):
            bar = marked.find("|", i)
            if bar < 0:
                raise MarkupError(f"{doc_id}: '[[' without '|' at {i}")
            category = marked[i + 2 : bar].strip()
            if category not in CATEGORIES:
                raise MarkupError(f"{doc_id}: unknown category {category!r}")
            stack.append((category, pos))
            i = bar + 1
        elif marked.startswith(CLOSE, i) and stack:
            category, start = stack.pop()
            spans.append({"start": start, "end": pos, "category": category})
            i += 2
        else:
            out.append(marked[i])
            pos += 1
            i += 1
    if stack:
        raise MarkupError(f"{doc_id}: unclosed [[{stack[-1][0]}|")
    text = "".join(out)
    fixed = []
    for span in spans:  # trim whitespace that annotators left inside markers
        start, end = span["start"], span["end"]
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise MarkupError(f"{doc_id}: empty span of {span['category']}")
        fixed.append({"start": start, "end": end, "category": span["category"]})
    fixed.sort(key=lambda s: (s["start"], s["end"], s["category"]))
    return text, fixed


def _parse_header(line: str) -> dict:
    fields = {}
    for part in line.split("|"):
        if ":" not in part:
            continue
        key, value = part.split(":", 1)
        fields[key.strip()] = value.strip()
    return fields


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes"}


def parse_source(src: str, batch: str) -> list[dict]:
    """Parse a source file's text into corpus records."""
    blocks: list[list[str]] = []
    for line in src.splitlines():
        if HEADER.match(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    records = []
    for block in blocks:
        meta = _parse_header(HEADER.match(block[0]).group(1))
        doc_id = meta.get("id", "?")
        title = ""
        body_lines: list[str] = []
        in_body = False
        for line in block[1:]:
            if in_body:
                body_lines.append(line)
            elif line.strip() == "---":
                in_body = True
            elif line.startswith("title:"):
                title = line[len("title:") :].strip()
        if not in_body:
            raise MarkupError(f"{doc_id}: no '---' line before the body")
        marked = "\n".join(body_lines).strip("\n")
        text, spans = strip_markup(marked, doc_id)
        label = int(meta.get("label", "-1"))
        if label not in (0, 1):
            raise MarkupError(f"{doc_id}: label must be 0 or 1")
        if label == 1 and not spans:
            raise MarkupError(f"{doc_id}: label 1 but no span marked")
        if label == 0 and spans:
            raise MarkupError(f"{doc_id}: label 0 but spans marked")
        lang = doc_id.split("-", 1)[0]
        records.append(
            {
                "id": doc_id,
                "lang": lang,
                "label": label,
                "genre": meta.get("genre", ""),
                "title": title,
                "text": text,
                "spans": spans,
                "hard_negative": _bool(meta.get("hard_negative", "false")),
                "noise": _bool(meta.get("noise", "false")),
                "batch": batch,
            }
        )
    return records


def to_source(records: list[dict]) -> str:
    """Render corpus records back to the editable source format."""
    chunks = []
    for rec in records:
        text = rec["text"]
        inserts: list[tuple[int, int, str]] = []  # (offset, order, marker)
        for span in rec["spans"]:
            inserts.append((span["start"], -span["end"], f"[[{span['category']}|"))
            inserts.append((span["end"], span["start"], "]]"))
        out, last = [], 0
        for offset, _, marker in sorted(inserts, key=lambda t: (t[0], 0 if t[2] == "]]" else 1, t[1])):
            out.append(text[last:offset])
            out.append(marker)
            last = offset
        out.append(text[last:])
        header = (
            f"=== id: {rec['id']} | label: {rec['label']} | genre: {rec['genre']}"
            f" | hard_negative: {str(rec.get('hard_negative', False)).lower()}"
            f" | noise: {str(rec.get('noise', False)).lower()}"
        )
        chunks.append(f"{header}\ntitle: {rec.get('title', '')}\n---\n{''.join(out)}\n")
    return "\n".join(chunks)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] not in {"to-jsonl", "from-jsonl"}:
        print(__doc__, file=sys.stderr)
        return 2
    mode, src, dst = argv
    src_path, dst_path = Path(src), Path(dst)
    if mode == "to-jsonl":
        try:
            records = parse_source(src_path.read_text(encoding="utf-8"), batch=dst_path.stem)
        except MarkupError as exc:
            print(f"Error: {src}: {exc}", file=sys.stderr)
            return 1
        ids = [r["id"] for r in records]
        if len(ids) != len(set(ids)):
            print(f"Error: {src}: duplicate ids", file=sys.stderr)
            return 1
        with dst_path.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        n_pos = sum(r["label"] for r in records)
        print(f"{dst}: {len(records)} documents ({n_pos} promotional, {sum(len(r['spans']) for r in records)} spans)")
    else:
        records = [json.loads(line) for line in src_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        dst_path.write_text(to_source(records), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
