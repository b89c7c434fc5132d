"""Compare the scoring speed of two or more checkouts of hypecheck, back to back.

Usage::

    git worktree add /tmp/before <commit>
    python benchmarks/compare.py /tmp/before .  [--rounds 5]

Each round runs every checkout once, in its own fresh process (its own
``hypecheck`` on ``PYTHONPATH``), on the same corpus texts: fresh pipelines,
warmed on 150 other documents, then ``Detector.score_many`` over 300
documents, three times. The figure is CPU milliseconds per document; the
fastest over all rounds is the one least disturbed by other jobs on a shared
machine, and alternating the checkouts exposes both to the same spells of
load. The corpus texts come from this checkout's ``corpora/``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import sys, time
sys.path.insert(0, {bench!r})
from bench import corpus_texts
from hypecheck.detector import Detector
import hypecheck.nlp as nlp_module
fresh_pipelines = (getattr(nlp_module, "clear_pipelines", None)  # older checkouts: one of the others
                   or getattr(nlp_module.make_nlp, "cache_clear", None) or nlp_module._pipeline.cache_clear)
texts = corpus_texts(300)
warm = corpus_texts(150, offset=1)
best = None
for _ in range(3):
    fresh_pipelines()
    det = Detector()
    for _ in det.score_many({{"text": t, "lang": lang}} for lang, t in warm):
        pass
    start = time.process_time()
    for _ in det.score_many({{"text": t, "lang": lang}} for lang, t in texts):
        pass
    ms = 1000 * (time.process_time() - start) / len(texts)
    best = ms if best is None else min(best, ms)
print(best)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="+", type=Path, help="folders holding a hypecheck/ package")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    code = CHILD.format(bench=str(HERE))
    results: dict[Path, list[float]] = {c: [] for c in args.checkouts}
    for _ in range(args.rounds):
        for checkout in args.checkouts:
            env = dict(os.environ, PYTHONPATH=str(checkout.resolve()))
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                  cwd=checkout)
            if proc.returncode:
                raise SystemExit(f"{checkout}: {proc.stderr[-1500:]}")
            results[checkout].append(float(proc.stdout.strip()))
    print(f"CPU ms per document, Detector.score_many over 300 corpus documents ({args.rounds} rounds x 3 runs)")
    for checkout, values in results.items():
        print(f"  {str(checkout):<40} fastest {min(values):6.3f}   median of rounds {statistics.median(values):6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
