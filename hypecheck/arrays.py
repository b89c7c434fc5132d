"""Small numpy helpers for the per-document array code (no hypecheck imports, no spaCy).

The scoring path calls numpy a few hundred times per document on small arrays,
where the Python-level wrappers (``np.r_``, ``np.diff``, ``np.isin``,
``np.flatnonzero``) cost more than the work; these helpers do the same with
array methods.
"""

from __future__ import annotations

import numpy as np

NONE = np.zeros(0, dtype=np.int64)


def run_mask(values: np.ndarray) -> np.ndarray:
    """True where a run of equal values starts.

    >>> run_mask(np.array([3, 3, 5, 5, 5, 7])).tolist()
    [True, False, True, False, False, True]
    """
    change = np.empty(len(values), dtype=bool)
    change[:1] = True
    np.not_equal(values[1:], values[:-1], out=change[1:])
    return change


def run_starts(values: np.ndarray) -> np.ndarray:
    """Indices where a run of equal values starts (always 0 for a non-empty array).

    >>> run_starts(np.array([3, 3, 5, 5, 5, 7])).tolist()
    [0, 2, 5]
    """
    return run_mask(values).nonzero()[0] if len(values) else NONE


def member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for uint64 hashes, by binary search (``np.isin`` is ~10x slower here).

    >>> member(np.array([5, 7, 9], dtype=np.uint64), np.array([1, 7], dtype=np.uint64)).tolist()
    [False, True, False]
    """
    if not len(sorted_set):
        return np.zeros(len(values), dtype=bool)
    j = sorted_set.searchsorted(values)
    j[j == len(sorted_set)] = 0
    return sorted_set[j] == values


class HashMemo:
    """A memo from 64-bit hashes (word forms) to small non-negative ints, looked up a whole array at a time.

    A dict lookup per token costs more than the work it saves once documents
    are many and the dict is large (each lookup misses the CPU cache), so the
    memo keeps its entries in a sorted array searched by numpy, plus a dict of
    recent entries that is merged into the array when it grows past
    ``merge_at``. It starts over when it holds ``limit`` entries. Not
    thread-safe: guard it as the caller guards the state it belongs to.

    >>> memo = HashMemo(limit=100)
    >>> memo.add({7: 1, 3: 0})
    >>> memo.lookup(np.array([3, 5, 7], dtype=np.uint64)).tolist()
    [0, -1, 1]
    """

    def __init__(self, limit: int, merge_at: int = 2048) -> None:
        self.limit = limit
        self.merge_at = merge_at
        self.clear()

    def clear(self) -> None:
        self.keys = np.zeros(0, dtype=np.uint64)
        self.values = np.zeros(0, dtype=np.int64)
        self.recent: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.keys) + len(self.recent)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The value of every hash (uint64 array), -1 where the memo has none."""
        out = np.full(len(hashes), -1, dtype=np.int64)
        if len(self.keys):
            j = self.keys.searchsorted(hashes)
            j[j == len(self.keys)] = 0
            found = self.keys[j] == hashes
            out[found] = self.values[j[found]]
        if self.recent:
            missing = (out < 0).nonzero()[0]
            if len(missing):
                get = self.recent.get
                out[missing] = [get(h, -1) for h in hashes[missing].tolist()]
        return out

    def add(self, entries: dict[int, int]) -> None:
        """Remember ``entries`` (hashes not in the memo yet)."""
        if len(self) + len(entries) > self.limit:
            self.clear()
        self.recent.update(entries)
        if len(self.recent) >= self.merge_at:
            keys = np.concatenate((self.keys, np.fromiter(self.recent, dtype=np.uint64, count=len(self.recent))))
            values = np.concatenate((self.values, np.fromiter(self.recent.values(), dtype=np.int64, count=len(self.recent))))
            order = keys.argsort(kind="stable")
            self.keys, self.values = keys[order], values[order]
            self.recent = {}
