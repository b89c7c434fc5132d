"""hypecheck: detect promotional claims and hype in finance articles (German and English).

The public API: :func:`load` returns a thread-safe, cached :class:`Detector`;
``Detector.score`` and ``Detector.score_many`` return frozen
:class:`Assessment` objects whose ``to_dict()`` is JSON (schema
``hypecheck.assessment/1``, shipped as ``hypecheck/data/assessment.schema.json``);
:func:`score_frame` scores a pandas column; ``nlp.add_pipe("hypecheck")`` adds
the spaCy component.

>>> import hypecheck
>>> det = hypecheck.load()
>>> a = det.score("Jetzt kaufen! 300 Prozent sind drin.")
>>> a.band
'high'
>>> sorted(a.to_dict())[:4]
['band', 'categories', 'findings', 'id']

hypecheck never prints; it logs through :mod:`logging` under the ``hypecheck`` logger.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Assessment", "Detector", "Document", "Finding", "HypecheckError", "InputError", "ModelError",
           "RuleConfigError", "load", "score_frame", "__version__"]

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Sequence

from hypecheck.errors import HypecheckError, InputError, ModelError, RuleConfigError
from hypecheck.types import Assessment, Document, Finding

if TYPE_CHECKING:
    from hypecheck.detector import Detector
    from hypecheck.frame import score_frame
    from hypecheck.model import Model

# A library configures no output: without this, Python's last-resort handler would
# print hypecheck's warnings to stderr in applications that set up no logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    # Detector (spaCy) and score_frame (pandas) are imported on first use, so that
    # ``import hypecheck`` stays cheap.
    if name == "Detector":
        from hypecheck.detector import Detector

        return Detector
    if name == "score_frame":
        from hypecheck.frame import score_frame

        return score_frame
    raise AttributeError(f"module 'hypecheck' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


_CacheKey = tuple[Any, ...]
_CACHE: dict[_CacheKey, "Detector"] = {}
_CACHE_LOCK = threading.Lock()


def _path_key(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def _cache_key(model: Any, extra_rules: Sequence[str | Path], disabled: Iterable[str],
               bands: Sequence[int] | None, min_confidence: float) -> _CacheKey:
    if model is None or model is False:
        model_key: Any = model
    elif isinstance(model, (str, Path)):
        model_key = ("path", _path_key(model))
    else:  # a Model object: the cached Detector keeps it alive, so its id stays unique
        model_key = ("object", id(model))
    if isinstance(extra_rules, (str, Path)):
        extra_rules = [extra_rules]
    if isinstance(disabled, str):
        disabled = [disabled]
    return (model_key, tuple(_path_key(p) for p in extra_rules), tuple(sorted(set(disabled))),
            tuple(bands) if bands is not None else None, float(min_confidence))


def load(
    model: str | Path | Model | Literal[False] | None = None,
    *,
    extra_rules: Sequence[str | Path] = (),
    disabled: Iterable[str] = (),
    bands: tuple[int, int] | None = None,
    min_confidence: float = 0.4,
) -> Detector:
    """Return a Detector, built once per distinct set of arguments and then cached.

    Equal arguments give the same object (paths compare after resolving, the
    order of ``disabled`` does not matter), so call ``load()`` wherever you
    need the detector instead of passing it around. The Detector is
    thread-safe.

    Parameters
    ----------
    model : str, Path, Model, False or None
        A model directory made by ``hypecheck train --out``; None for the
        bundled model; False for rules only. Model files are plain arrays
        and JSON, loaded without pickle: loading never executes code.
    extra_rules : sequence of str or Path
        House rule files in the bundled rules' YAML format. They are
        validated (and their spaCy patterns compiled) now.
    disabled : iterable of str
        Categories to switch off, e.g. ``["paid_promotion"]``.
    bands : (int, int), optional
        Risk thresholds of ``elevated`` and ``high``; default: the model card's.
    min_confidence : float
        Findings below this confidence are not reported.

    Returns
    -------
    Detector

    Raises
    ------
    RuleConfigError
        A house rule file is malformed; the message names the file and rule id.
    ModelError
        The model is missing, not a hypecheck model, of an unsupported format
        version, or trained with other rules.
    InputError
        An unknown category in ``disabled`` or invalid ``bands``.

    Notes
    -----
    The cache holds files as they were when first loaded: after editing a
    house rule file or retraining a model in place, restart the process.

    Examples
    --------
    >>> import hypecheck
    >>> det = hypecheck.load()
    >>> det is hypecheck.load()
    True
    >>> strict = hypecheck.load(bands=(20, 50), disabled=["paid_promotion"])
    >>> strict.config.bands
    (20, 50)
    """
    from hypecheck.detector import Detector

    key = _cache_key(model, extra_rules, disabled, bands, min_confidence)
    det = _CACHE.get(key)
    if det is None:
        with _CACHE_LOCK:  # two threads loading at once build one Detector
            det = _CACHE.get(key)
            if det is None:
                det = Detector(model, extra_rules=extra_rules, disabled=disabled, bands=bands,
                               min_confidence=min_confidence)
                _CACHE[key] = det
    return det
