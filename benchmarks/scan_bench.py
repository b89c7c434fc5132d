"""Benchmark of ``hypecheck scan``: items/s with 1 and 2 worker processes beside a bare spaCy pass.

The export is generated at run time into a temporary folder: N RSS items
(default 10,000, one gzipped feed, so large feeds are parsed in chunks) whose
texts cycle through the documents of ``corpora/`` (or synthetic templates
when the corpus is absent), each with its own GUID, so every item is scored.
Each scan runs in a fresh subprocess (cold start, worker start-up included in
the time) while this process samples the resident memory (VmRSS, from /proc)
of the scan process and of every process below it; "all" adds them up, so
pages shared between the forkserver and the workers are counted twice.

The baseline is ``spacy.blank(lang)`` + ``sentencizer`` over the same texts
(title and body as plain text), in this process, in the same round.

Shared virtual machines vary a lot from minute to minute, so the scans run in
``--rounds`` rounds (1 worker, 2 workers, bare pass, one after the other) and
the table gives medians; the speed-up of 2 workers is taken within each
round. Each round also measures what a second core gives this machine at that
moment: the bare pass in one process, then in two processes side by side with
half the texts each. A scan cannot be expected to scale better than that.

Usage::

    /work/venv/bin/python benchmarks/scan_bench.py               # 10,000 items, 1 and 2 workers, 3 rounds
    /work/venv/bin/python benchmarks/scan_bench.py --items 2000 --workers 1 2 4 --model /path/to/model
    /work/venv/bin/python benchmarks/scan_bench.py --rules-only   # when the bundled model is out of date
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from statistics import median
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent

SYNTHETIC = [
    ("de", "Quartalszahlen", "Der Umsatz von {c} stieg im dritten Quartal um {n} Prozent. Analysten der Commerzbank "
     "sehen das Kursziel bei {n} Euro.\n\nDie Aktie schloss leicht im Plus; der Dax gab nach."),
    ("de", "Geheimtipp", "{c} ist der Geheimtipp des Jahres! Bis Jahresende sind weitere {n}0 Prozent möglich. "
     "Jetzt kaufen, bevor es alle merken.\n\nDen Namen der Aktie lesen Sie im Gratis-Report."),
    ("en", "Earnings", "{c} reported revenue up {n}% in the quarter, the company said. Analysts at Jefferies kept "
     "their rating.\n\nShares were little changed in New York."),
    ("en", "Hot pick", "{c} could soar {n}00% - act now before it's too late! Our analysts just picked this "
     "penny stock.\n\nThe ticker is revealed in our free report."),
]


def corpus_texts() -> list[tuple[str, str, str]]:
    """(lang, title, text) of every corpus document, else synthetic templates."""
    out = []
    for path in sorted((REPO / "corpora").glob("*/*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    doc = json.loads(line)
                    out.append((doc.get("lang") or path.parent.name, doc.get("title") or "", doc["text"]))
    if out:
        return out
    rng = random.Random(0)
    return [(lang, f"{title} {i}", text.format(c=f"Firma {i} AG", n=rng.randint(2, 9)))
            for i in range(400) for lang, title, text in SYNTHETIC]


def make_export(folder: Path, n: int) -> tuple[Path, list[tuple[str, str]]]:
    """Write an RSS 2.0 feed of ``n`` items (gzipped); return it and the (lang, plain text) of each item."""
    texts = corpus_texts()
    plain: list[tuple[str, str]] = []
    path = folder / f"bench-{n}.xml.gz"
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=5) as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>scan benchmark</title>'
                 "<link>https://bench.example/</link><description>generated</description>\n")
        for i in range(n):
            lang, title, text = texts[i % len(texts)]
            title = title or text.split("\n", 1)[0][:80]
            body = "".join(f"<p>{escape(par)}</p>" for par in text.split("\n\n") if par.strip())
            fh.write(f"<item><title>{escape(title)}</title><guid isPermaLink=\"false\">urn:bench:{i}</guid>"
                     f"<link>https://bench.example/{i}</link><pubDate>Tue, 14 Jan 2025 08:30:00 +0100</pubDate>"
                     f"<description>{escape(body)}</description></item>\n")
            plain.append((lang if lang in ("de", "en") else "de", f"{title}\n\n{text}"))
        fh.write("</channel></rss>\n")
    return path, plain


def bare_pipelines() -> dict[str, Any]:
    """spacy.blank(lang) + sentencizer for German and English: the floor every figure is set against."""
    import spacy

    nlps = {}
    for lang in ("de", "en"):
        nlps[lang] = spacy.blank(lang)
        nlps[lang].add_pipe("sentencizer")
    return nlps


def bare_pass(nlps: dict[str, Any], plain: list[tuple[str, str]]) -> None:
    for lang, text in plain:
        sum(1 for _ in nlps[lang](text).sents)


def spacy_baseline(plain: list[tuple[str, str]]) -> tuple[float, float]:
    """Items/s (wall) and CPU seconds of a bare spacy.blank(lang) + sentencizer pass over the texts."""
    nlps = bare_pipelines()
    nlps["de"]("Aufwärmen."), nlps["en"]("Warm up.")
    start, cpu = time.perf_counter(), time.process_time()
    bare_pass(nlps, plain)
    return len(plain) / (time.perf_counter() - start), time.process_time() - cpu


def _bare_loop(plain: list[tuple[str, str]], barrier: Any, results: Any) -> None:
    """In a child process: build the bare pipelines, warm up, wait for the others, time one pass."""
    nlps = bare_pipelines()
    bare_pass(nlps, plain[:50])
    barrier.wait()
    start = time.perf_counter()
    bare_pass(nlps, plain)
    results.put(time.perf_counter() - start)


def machine_speedup(plain: list[tuple[str, str]]) -> float:
    """What two cores give this machine: the bare pass over all texts in one process, against
    two processes side by side taking half each (seconds alone / seconds side by side)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")

    def run(parts: list[list[tuple[str, str]]]) -> float:
        barrier, results = ctx.Barrier(len(parts)), ctx.Queue()
        procs = [ctx.Process(target=_bare_loop, args=(part, barrier, results)) for part in parts]
        for proc in procs:
            proc.start()
        seconds = max(results.get() for _ in procs)
        for proc in procs:
            proc.join()
        return seconds

    return run([plain]) / run([plain[0::2], plain[1::2]])


# -- one scan, in a fresh process ----------------------------------------------------------------------
def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    """utime + stime of ``pid`` in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def _tree(pid: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        found += kids
        todo += kids
    return found


def one_scan(export: str, out: str, workers: int, model: str | None) -> dict:
    """Run in a subprocess: scan ``export`` and report time and items."""
    from hypecheck.scan import ScanOptions, run_scan

    start = time.perf_counter()
    summary = run_scan(ScanOptions(exports=[export], out=out, workers=workers, model=model))
    elapsed = time.perf_counter() - start
    return {"workers": workers, "items": summary.read, "scored": summary.scored, "errors": summary.errors,
            "seconds": elapsed, "items_per_s": summary.read / elapsed}


def timed_subprocess(cmd: list[str]) -> tuple[dict, dict]:
    """Run ``cmd`` (a ``--one`` scan) while sampling the memory of its process tree from here."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {"main": 0, "worker": 0, "total": 0}
    ticks: dict[int, int] = {}  # last CPU ticks seen per process of the scan
    while proc.poll() is None:
        if os.path.isdir("/proc"):
            tree = _tree(proc.pid)
            for p in [proc.pid, *tree]:
                ticks[p] = max(ticks.get(p, 0), _cpu_ticks(p))
            main = _rss_kb(proc.pid)
            others = [_rss_kb(p) for p in tree]
            peaks["main"] = max(peaks["main"], main)
            peaks["worker"] = max([peaks["worker"], *others])
            peaks["total"] = max(peaks["total"], main + sum(others))
        time.sleep(0.25)
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"scan failed ({proc.returncode}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    # CPU time of the scan process and every process below it, sampled every 0.25 s (the last fraction is missed)
    result["cpu_seconds"] = sum(ticks.values()) / os.sysconf("SC_CLK_TCK") if ticks else float("nan")
    return result, {k: v / 1024 for k, v in peaks.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--model", default=None, help="model directory (default: the bundled model)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of all scans, alternating (default 3)")
    ap.add_argument("--no-machine", dest="machine", action="store_false",
                    help="skip the 2-process bare pass that measures what two cores give")
    ap.add_argument("--rules-only", action="store_true", help="score with the rules alone (no trained model)")
    ap.add_argument("--one", nargs=3, metavar=("EXPORT", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        export, out, workers = args.one
        print(json.dumps(one_scan(export, out, int(workers), False if args.rules_only else args.model)))
        return

    with tempfile.TemporaryDirectory(prefix="hypecheck-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        export, plain = make_export(folder, args.items)
        print(f"generated {args.items:,} items ({export.stat().st_size / 1e6:.1f} MB gzipped, "
              f"{sum(len(t) for _, t in plain) / len(plain):,.0f} characters on average) in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        rounds: list[dict[str, Any]] = []
        for n in range(1, args.rounds + 1):
            results = []
            for workers in args.workers:
                cmd = [sys.executable, __file__, "--one", str(export), str(folder / f"out-{workers}.jsonl"), str(workers)]
                if args.model:
                    cmd += ["--model", args.model]
                if args.rules_only:
                    cmd.append("--rules-only")
                result, peaks = timed_subprocess(cmd)
                result.update({f"peak_{k}_mb": v for k, v in peaks.items()})
                assert result["items"] == args.items, result
                results.append(result)
                print(f"  round {n}: {workers} worker(s): {result['items_per_s']:.0f} items/s", file=sys.stderr)
            baseline, baseline_cpu = spacy_baseline(plain)
            ceiling = machine_speedup(plain) if args.machine else float("nan")
            rounds.append({"results": results, "baseline": baseline, "baseline_cpu": baseline_cpu, "machine": ceiling})
            print(f"  round {n}: bare pass {baseline:.0f} items/s, machine 2-process speed-up {ceiling:.2f} x",
                  file=sys.stderr)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = "rules only" if args.rules_only else args.model or "bundled"
    print(f"\nhypecheck scan benchmark: {args.items:,} items, {cores} cores, model {model}, "
          f"{args.rounds} round(s), medians\n")
    print(f"{'run':<34} {'items/s':>9} {'seconds':>8} {'vs spaCy':>9} {'CPU ms/item':>12} "
          f"{'peak MB (main / worker / all)':>31}")
    for i, workers in enumerate(args.workers):
        runs = [r["results"][i] for r in rounds]
        name = f"hypecheck scan, {workers} worker{'s' if workers > 1 else ''}"
        mem = (f"{max(r['peak_main_mb'] for r in runs):.0f} / {max(r['peak_worker_mb'] for r in runs):.0f} / "
               f"{max(r['peak_total_mb'] for r in runs):.0f}")
        print(f"{name:<34} {median(r['items_per_s'] for r in runs):>9,.0f} {median(r['seconds'] for r in runs):>8.1f} "
              f"{median(r['results'][i]['items_per_s'] / r['baseline'] for r in rounds):>8.0%} "
              f"{1000 * median(r['cpu_seconds'] for r in runs) / args.items:>12.1f} {mem:>31}")
    baseline = median(r["baseline"] for r in rounds)
    print(f"{'spacy.blank + sentencizer (bare)':<34} {baseline:>9,.0f} {args.items / baseline:>8.1f} {'100%':>9} "
          f"{1000 * median(r['baseline_cpu'] for r in rounds) / args.items:>12.1f}")
    if 1 in args.workers:
        one = args.workers.index(1)
        print()
        for i, workers in enumerate(args.workers):
            if workers > 1:
                ratios = [r["results"][i]["items_per_s"] / r["results"][one]["items_per_s"] for r in rounds]
                print(f"{workers} workers over 1, per round: {', '.join(f'{x:.2f}' for x in ratios)} x; "
                      f"median {median(ratios):.2f} x")
    if args.machine:
        ceilings = [r["machine"] for r in rounds]
        print(f"machine, per round: {', '.join(f'{x:.2f}' for x in ceilings)} x; median {median(ceilings):.2f} x "
              f"(the bare pass in 2 processes side by side, half the texts each, over 1 process:\n"
              f"what two cores give on this machine with no coordination at all)")
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "benchmarks/scan_bench.py", *sys.argv[1:]])
    print(f"\ncommand: {cmd}")
    print("scan times include process start-up, feed parsing, HTML to text, scoring and writing the JSONL journal;")
    print("the 1-worker scan scores in the scan process itself, 2+ workers use a process pool.")
    print("CPU ms/item counts every process of the scan (start-up included); it varies less than items/s with")
    print("what else the machine runs, but on a shared VM it still varies.")


if __name__ == "__main__":
    main()
