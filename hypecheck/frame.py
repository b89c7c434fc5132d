"""Edge, pandas: score a DataFrame's text column and add risk, band, top_category and findings columns.

The only module of hypecheck that imports pandas.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Sequence

import pandas as pd

from hypecheck.detector import Detector, load, map_ordered
from hypecheck.errors import HypecheckError, InputError, message
from hypecheck.types import Assessment

if TYPE_CHECKING:
    from hypecheck.model import Model

log = logging.getLogger(__name__)

#: The columns :func:`score_frame` adds (after ``prefix``), in order.
COLUMNS = ("risk", "band", "top_category", "findings")
BANDS = ("low", "elevated", "high")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def score_frame(
    df: pd.DataFrame,
    text: str = "text",
    title: str | None = None,
    *,
    lang: str | None = None,
    n_jobs: int = 1,
    errors: Literal["raise", "coerce"] = "raise",
    prefix: str = "",
    detector: Detector | None = None,
    model: str | Path | Model | Literal[False] | None = None,
    extra_rules: Sequence[str | Path] = (),
    disabled: Iterable[str] = (),
    bands: tuple[int, int] | None = None,
    min_confidence: float = 0.4,
) -> pd.DataFrame:
    """Score every row's text and return a copy of ``df`` with four columns added.

    Parameters
    ----------
    df : pandas.DataFrame
        The items; its index is kept as it is.
    text : str
        Column with the article text (plain text).
    title : str, optional
        Column with headlines, scored as the first paragraph.
    lang : {"de", "en", "auto"}, optional
        Language of all rows; detected per row when None.
    n_jobs : int
        Threads (``-1``: one per CPU); the result does not depend on it.
    errors : {"raise", "coerce"}
        What a row without scorable text (missing, blank, not a string)
        does: raise :class:`~hypecheck.InputError` naming the row, or get
        ``<NA>`` risk, no band and no findings.
    prefix : str
        Put before the new column names, e.g. ``"hype_"``, to keep existing
        columns; columns of the same name are replaced in the copy.
    detector : Detector, optional
        Use this detector; otherwise ``hypecheck.load(model, extra_rules=...,
        disabled=..., bands=..., min_confidence=...)`` with the remaining
        arguments (cached).

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with ``risk`` (int 0-100; nullable ``Int64`` with
        ``errors="coerce"``), ``band`` (ordered categorical low < elevated <
        high), ``top_category`` (the category of the most confident finding,
        or None) and ``findings`` (a list of ``Finding.to_dict()`` dicts).

    Examples
    --------
    >>> import pandas as pd, hypecheck
    >>> df = pd.DataFrame({"text": ["Die Aktie stieg um 2 Prozent.",
    ...                             "Jetzt kaufen! Weitere 300 Prozent sind drin."]}, index=["a", "b"])
    >>> out = hypecheck.score_frame(df)
    >>> list(out.columns), list(out.index)
    (['text', 'risk', 'band', 'top_category', 'findings'], ['a', 'b'])
    >>> out.loc["b", "band"], sorted({f["category"] for f in out.loc["b", "findings"]})[:2]
    ('high', ['call_to_action', 'return_promise'])
    >>> out.loc["a", "findings"]
    []
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"score_frame expects a pandas DataFrame, got {type(df).__name__}")
    if errors not in ("raise", "coerce"):
        raise ValueError(f"errors must be 'raise' or 'coerce', got {errors!r}")
    for column in (text, title):
        if column is not None and column not in df.columns:
            raise KeyError(f"column {column!r} not in the frame; columns: {', '.join(map(str, df.columns))}")
    if detector is None:
        detector = load(model, extra_rules=extra_rules, disabled=disabled, bands=bands, min_confidence=min_confidence)
    det = detector

    titles: Iterable[Any] = df[title] if title is not None else [None] * len(df)
    rows = list(zip(df.index, df[text], titles))

    def one(row: tuple[Any, Any, Any]) -> Assessment | None:
        index, body, head = row
        source = f"row {index!r}"
        try:
            if _missing(body):
                raise InputError(message("E003", source=source), code="E003")
            return det.score(body, title=None if _missing(head) else str(head), lang=lang, source=source)
        except HypecheckError:
            if errors == "raise":
                raise
            return None

    results = list(map_ordered(one, rows, n_jobs))
    failed = sum(1 for a in results if a is None)
    if failed:
        log.warning("score_frame: %d of %d rows had no scorable text (risk <NA>)", failed, len(results))

    out = df.copy()
    risk = [a.risk if a is not None else pd.NA for a in results]
    out[prefix + "risk"] = pd.array(risk, dtype="Int64" if errors == "coerce" else "int64")
    out[prefix + "band"] = pd.Categorical([a.band if a is not None else None for a in results],
                                          categories=BANDS, ordered=True)
    out[prefix + "top_category"] = pd.Series(
        [next(iter(a.categories), None) if a is not None else None for a in results], index=df.index, dtype=object)
    out[prefix + "findings"] = pd.Series(
        [[f.to_dict() for f in a.findings] if a is not None else [] for a in results], index=df.index, dtype=object)
    return out


__all__ = ["COLUMNS", "score_frame"]
