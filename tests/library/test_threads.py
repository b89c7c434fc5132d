"""One Detector shared by many threads gives the same results as sequential use."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest

import hypecheck
from hypecheck import Detector, InputError
from hypecheck.detector import BATCH_SIZE


def _score(det: Detector, item: dict) -> dict:
    return det.score(item["text"], title=item.get("title"), html=item.get("html", False)).to_dict(include_text=True)


def test_shared_detector_in_a_thread_pool_matches_sequential(detector: Detector, texts: list[dict],
                                                               reference: list[dict]) -> None:
    order = list(range(len(texts))) * 4
    random.Random(7).shuffle(order)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (i, _score(detector, texts[i])), order))
    for i, result in results:
        assert result == reference[i], texts[i]["text"][:60]


def test_fresh_detector_raced_on_first_use(texts: list[dict], reference: list[dict]) -> None:
    """The lazily built per-language parts are built once even when 12 threads hit a new Detector at once."""
    det = Detector()  # not cached: its German and English parts do not exist yet
    barrier = threading.Barrier(12)

    def work(worker: int) -> list[tuple[int, dict]]:
        barrier.wait()
        mine = [i for i in range(len(texts)) if (i + worker) % 3 == 0]
        return [(i, _score(det, texts[i])) for i in mine]

    with ThreadPoolExecutor(max_workers=12) as pool:
        for chunk in pool.map(work, range(12)):
            for i, result in chunk:
                assert result == reference[i]


def test_two_detectors_used_at_once_stay_independent(detector: Detector, texts: list[dict],
                                                     reference: list[dict]) -> None:
    """Detectors share one spaCy pipeline per language; concurrent use must not mix their results."""
    other = hypecheck.load(disabled=["call_to_action", "urgency"], bands=(10, 20))
    other_ref = [_score(other, t) for t in texts]
    jobs = [(d, i) for i in range(len(texts)) for d in (0, 1)] * 3
    random.Random(3).shuffle(jobs)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: (job, _score((detector, other)[job[0]], texts[job[1]])), jobs))
    for (which, i), result in results:
        assert result == (reference, other_ref)[which][i]
    assert all(f["category"] not in ("call_to_action", "urgency") for r in other_ref for f in r["findings"])


@pytest.mark.parametrize("n_jobs", [1, 2, 4, -1])
def test_score_many_matches_sequential_in_input_order(detector: Detector, texts: list[dict], reference: list[dict],
                                                      n_jobs: int) -> None:
    items = [{"text": t["text"], "title": t.get("title"), "html": t.get("html", False)} for t in texts]
    got = [a.to_dict(include_text=True) for a in detector.score_many(items, n_jobs=n_jobs)]
    assert got == reference


def test_score_many_reads_its_input_lazily(detector: Detector) -> None:
    pulled = 0

    def endless() -> Iterator[str]:
        nonlocal pulled
        while True:
            pulled += 1
            yield f"Die Aktie stieg um {pulled} Prozent."

    results = detector.score_many(endless(), n_jobs=2)
    first = [next(results) for _ in range(5)]
    results.close()  # type: ignore[attr-defined]
    assert [a.text for a in first] == [f"Die Aktie stieg um {i} Prozent." for i in range(1, 6)]
    # a bounded window, not the whole (endless) input: up to 4 batches per thread in flight
    assert pulled <= (4 * 2 + 1) * BATCH_SIZE


def test_score_many_raises_at_the_bad_item(detector: Detector) -> None:
    results = detector.score_many(["Jetzt kaufen!", "  ", "Buy now!"], n_jobs=2)
    assert next(results).language == "de"
    with pytest.raises(InputError, match="E003"):
        next(results)


def test_score_many_scores_in_batches_as_one_by_one(detector: Detector) -> None:
    """The sentence model scores a batch at once; every result equals scoring that item alone."""
    from pathlib import Path

    from hypecheck.train import load_corpus

    records = sorted(load_corpus(Path(__file__).resolve().parents[2] / "corpora"), key=lambda r: r["id"])[::30]
    items = [{"text": r["text"], "lang": r["lang"], "id": r["id"]} for r in records]
    assert len(items) > 2 * BATCH_SIZE  # several batches, the last one partial
    one_by_one = [detector.score(i["text"], lang=i["lang"], id=i["id"]).to_dict() for i in items]
    for n_jobs in (1, 2):
        assert [a.to_dict() for a in detector.score_many(items, n_jobs=n_jobs)] == one_by_one
    # a bad item in the middle of a batch: the items before it come out, then the error
    bad = items[: BATCH_SIZE + 3] + [{"text": " "}] + items[BATCH_SIZE + 3 :]
    results = detector.score_many(bad)
    assert [next(results).to_dict() for _ in range(BATCH_SIZE + 3)] == one_by_one[: BATCH_SIZE + 3]
    with pytest.raises(InputError, match="E003"):
        next(results)


def test_a_text_that_is_not_a_str_is_refused_naming_its_source(detector: Detector) -> None:
    with pytest.raises(InputError, match=r"<text>: expected str, got bytes") as info:
        detector.score(b"Jetzt kaufen!")  # type: ignore[arg-type]
    assert info.value.code == "E002"
    results = detector.score_many(["Die Aktie stieg.", {"text": 5, "source": "feed.xml#3"}])
    assert next(results).language == "de"
    with pytest.raises(InputError, match=r"feed.xml#3: expected str, got int"):
        next(results)
