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
