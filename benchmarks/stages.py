"""Where the scoring time goes: CPU milliseconds per document for each stage of the pipeline.

Usage::

    python benchmarks/stages.py [--docs 300] [--runs 7] [--min-chars 2500]

Runs the stages of ``Detector.score`` one by one over corpus documents, with the
pipeline and the rules' regex memo warmed on other documents (as in
``bench.py``), and prints the fastest of ``--runs`` runs per stage (the minimum
is the figure least disturbed by other jobs on a shared machine). The bare
spaCy pass is measured the same way, so the stage figures compare with it.

A profile for finding work, not a benchmark of record: quote ``bench.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import corpus_texts  # noqa: E402

STAGES = ("normalize", "parse+table", "rules", "context", "signals", "sentences+terms", "sentence features",
          "model+findings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--min-chars", type=int, default=0, help="only documents at least this long")
    args = parser.parse_args()

    import spacy

    from hypecheck import features as F
    from hypecheck.detector import BATCH_SIZE, Analysis, Detector, _Meta
    from hypecheck.nlp import clear_pipelines, parse_table
    from hypecheck.normalize import prepare
    from hypecheck.types import Document

    texts = [(lang, t) for lang, t in corpus_texts(100_000) if len(t) >= args.min_chars][: args.docs]
    warmup = corpus_texts(150, offset=1)
    if args.min_chars:  # the long documents come from the whole corpus: warm up on synthetic-free others
        warmup = [(lang, t) for lang, t in warmup if (lang, t) not in set(texts)]
    clock = time.process_time
    best: dict[str, float] = {}
    for _ in range(args.runs):
        # bare pass, fresh and warmed on the other documents
        pipes = {}
        for lang in ("de", "en"):
            pipes[lang] = spacy.blank(lang)
            pipes[lang].add_pipe("sentencizer")
        for lang, text in warmup:
            pipes[lang](text)
        t0 = clock()
        for lang, text in texts:
            sum(1 for _ in pipes[lang](text).sents)
        spent = {"bare spaCy + sentencizer": clock() - t0}

        clear_pipelines()
        det = Detector()
        for _ in det.score_many({"text": t, "lang": lang} for lang, t in warmup):
            pass
        analyses = []
        meta = _Meta(None, "x", None)
        for lang, raw in texts:
            parts = det._lang(lang)
            marks = [clock()]
            text, _ = prepare(Document(text=raw, source="x"))
            marks.append(clock())
            table = parse_table(parts.nlp, text)
            doc = table.doc
            marks.append(clock())
            evidence = parts.rules(doc, table)
            marks.append(clock())
            cues = parts.context.find_cues(doc, table)
            evidence = parts.context(doc, evidence, cues, table)
            marks.append(clock())
            signals = parts.signals(doc, cues, table)
            marks.append(clock())
            sents = F.sentences(doc, table)
            rows, keys = F.sentence_term_keys(table, sents)
            marks.append(clock())
            feats = F.sentence_feature_rows(sents, evidence, text)
            marks.append(clock())
            analyses.append((Analysis(text, lang, doc, sents, evidence, cues, signals, feats, rows, keys), meta))
            for stage, a, b in zip(STAGES, marks, marks[1:]):
                spent[stage] = spent.get(stage, 0.0) + b - a
        start = clock()  # the model scores batches of documents, as score_many does
        for at in range(0, len(analyses), BATCH_SIZE):
            det.assess_analyses(analyses[at : at + BATCH_SIZE])
        spent["model+findings"] = clock() - start
        best = spent if not best else {k: min(best[k], v) for k, v in spent.items()}

    per_doc = {k: 1000 * v / len(texts) for k, v in best.items()}
    bare = per_doc.pop("bare spaCy + sentencizer")
    total = sum(per_doc.values())
    width = max(map(len, per_doc))
    print(f"CPU ms per document, fastest of {args.runs} runs, {len(texts)} corpus documents")
    print(f"  {'bare spaCy + sentencizer':<{width}}  {bare:6.3f}")
    for stage, ms in per_doc.items():
        print(f"  {stage:<{width}}  {ms:6.3f}  {100 * ms / total:4.1f} %")
    print(f"  {'hypecheck total':<{width}}  {total:6.3f}  = {bare / total:.2f} x the bare pass's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
