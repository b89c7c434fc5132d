"""Speed and footprint of hypecheck, measured beside its floor (the spaCy tokenizer pass) in one run.

Usage::

    python benchmarks/bench.py [--runs 5] [--docs 400] [--json results/bench.json]

Measures on the same texts (the corpus in corpora/, both languages):

- bare ``spacy.blank(lang)`` + sentencizer throughput (documents/s);
- ``Detector.score_many`` throughput (documents/s) and its ratio to the bare pass;
- cold-start wall time of ``hypecheck score FILE`` beside ``python -c "import spacy; spacy.blank('de')"``;
- peak RSS of ``hypecheck score FILE``.

Each throughput run starts from fresh pipelines warmed on the same other corpus
documents (spaCy's tokenizer cache makes re-reading a text about three times
faster than reading a new one). Every figure is the median of ``--runs`` runs.
A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"throughput_ratio": 0.5, "cold_start_ratio": 1.5, "peak_rss_mb": 250}


def corpus_texts(limit: int, offset: int = 0) -> list[tuple[str, str]]:
    """``limit`` corpus documents spread over the corpus; ``offset`` picks a disjoint set."""
    from hypecheck.train import load_corpus

    records = load_corpus(ROOT / "corpora")
    records.sort(key=lambda r: r["id"])
    step = max(2, len(records) // limit)
    return [(r["lang"], r["text"]) for r in records[offset::step][:limit]]


# Both passes start each run from fresh pipelines warmed on the same other texts. spaCy's tokenizer
# caches every chunk it has seen, so a pipeline re-reading the texts it just read runs about three
# times faster than on new articles; measuring one side warm and the other cold would flatter it.

def bare_pass(texts: list[tuple[str, str]], warmup: list[tuple[str, str]]) -> float:
    import spacy

    pipes = {}
    for lang in ("de", "en"):
        nlp = spacy.blank(lang)
        nlp.add_pipe("sentencizer")
        pipes[lang] = nlp
    for lang, text in warmup:
        pipes[lang](text)
    start = time.perf_counter()
    for lang, text in texts:
        doc = pipes[lang](text)
        sum(1 for _ in doc.sents)
    return len(texts) / (time.perf_counter() - start)


def detector_pass(texts: list[tuple[str, str]], warmup: list[tuple[str, str]]) -> float:
    from hypecheck.detector import Detector
    from hypecheck.nlp import clear_pipelines

    clear_pipelines()  # fresh pipelines, as in bare_pass
    det = Detector()
    for _ in det.score_many({"text": t, "lang": lang} for lang, t in warmup):
        pass
    start = time.perf_counter()
    for _ in det.score_many({"text": t, "lang": lang} for lang, t in texts):
        pass
    return len(texts) / (time.perf_counter() - start)


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one subprocess run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode()[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def rss_of(cmd: list[str]) -> float:
    """Peak RSS (MB) of a command, measured in a fresh child so earlier children do not mask it."""
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True)
    return int(out.stdout.strip()) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    texts = corpus_texts(args.docs)
    warmup = corpus_texts(args.docs // 2, offset=1)  # other documents
    chars = sum(len(t) for _, t in texts)
    bare_runs, scored_runs = [], []
    for _ in range(args.runs):  # interleaved, so that a busy spell of the machine hits both
        bare_runs.append(bare_pass(texts, warmup))
        scored_runs.append(detector_pass(texts, warmup))
    bare, scored = statistics.median(bare_runs), statistics.median(scored_runs)
    # the ratio of each run's adjacent passes: steadier than a ratio of medians on a shared machine
    ratio = statistics.median(s / b for s, b in zip(scored_runs, bare_runs))

    exe = str(Path(sys.executable).with_name("hypecheck"))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write(next(t for lang, t in texts if lang == "de" and len(t) > 1500))
        sample = fh.name
    try:
        spacy_cmd = [sys.executable, "-c", "import spacy; spacy.blank('de')"]
        score_cmd = [exe, "score", sample]
        starts = [(timed(spacy_cmd)[0], timed(score_cmd)[0]) for _ in range(args.runs)]  # interleaved pairs
        spacy_start = statistics.median(a for a, _ in starts)
        score_start = statistics.median(b for _, b in starts)
        start_ratio = statistics.median(b / a for a, b in starts)
        peak = statistics.median(rss_of(score_cmd) for _ in range(max(1, args.runs // 2)))
    finally:
        os.unlink(sample)

    rows = [
        ("texts", f"{len(texts)} corpus documents, {chars / len(texts):.0f} characters on average", f"pipelines warmed on {len(warmup)} others"),
        ("bare spacy.blank + sentencizer", f"{bare:.1f} docs/s", ""),
        ("Detector.score_many", f"{scored:.1f} docs/s", f"ratio {ratio:.2f} (target >= {TARGETS['throughput_ratio']}; median of per-run ratios)"),
        ("cold start: python -c 'import spacy; spacy.blank(\"de\")'", f"{spacy_start:.2f} s", ""),
        ("cold start: hypecheck score FILE", f"{score_start:.2f} s", f"ratio {start_ratio:.2f} (target <= {TARGETS['cold_start_ratio']}; median of per-run ratios)"),
        ("peak RSS: hypecheck score FILE", f"{peak:.0f} MB", f"target <= {TARGETS['peak_rss_mb']} MB"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"hypecheck benchmark (median of {args.runs} runs; {os.cpu_count()} cores)")
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<14} {note}")
    print(f"reproduce: python benchmarks/bench.py --runs {args.runs} --docs {args.docs}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "docs": len(texts), "bare_docs_per_s": bare, "score_docs_per_s": scored, "throughput_ratio": ratio,
            "spacy_cold_start_s": spacy_start, "score_cold_start_s": score_start,
            "cold_start_ratio": start_ratio, "peak_rss_mb": peak, "runs": args.runs,
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
