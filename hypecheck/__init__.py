"""hypecheck: detect promotional claims and hype in finance articles (German and English).

>>> import hypecheck                                  # doctest: +SKIP
>>> det = hypecheck.load()                            # doctest: +SKIP
>>> det.score("Jetzt kaufen! 300 Prozent sind drin.").band  # doctest: +SKIP
'high'
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Assessment", "Detector", "Document", "Finding", "HypecheckError", "InputError", "ModelError",
           "RuleConfigError", "load", "score_frame", "__version__"]

from typing import TYPE_CHECKING, Any

from hypecheck.errors import HypecheckError, InputError, ModelError, RuleConfigError
from hypecheck.types import Assessment, Document, Finding

if TYPE_CHECKING:
    from hypecheck.detector import Detector


def __getattr__(name: str) -> Any:
    if name == "Detector":
        from hypecheck.detector import Detector

        return Detector
    if name == "score_frame":
        from hypecheck.frame import score_frame

        return score_frame
    raise AttributeError(name)


def load(model: Any = None, **kwargs: Any) -> "Detector":
    """Return a Detector with the bundled model (or ``model``), cached per arguments.

    Keyword arguments are those of :class:`hypecheck.detector.Detector`
    (``extra_rules``, ``disabled``, ``bands``, ``min_confidence``).
    """
    from hypecheck.detector import Detector

    key = (str(model), tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
    det = _CACHE.get(key)
    if det is None:
        det = _CACHE.setdefault(key, Detector(model, **kwargs))
    return det


_CACHE: dict[tuple, "Detector"] = {}
