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

from hypecheck._version import __version__

__all__ = ["Assessment", "Detector", "Document", "Finding", "HypecheckError", "InputError", "ModelError",
           "RuleConfigError", "load", "score_frame", "__version__"]

import logging
from typing import TYPE_CHECKING, Any

from hypecheck.errors import HypecheckError, InputError, ModelError, RuleConfigError
from hypecheck.types import Assessment, Document, Finding

if TYPE_CHECKING:
    from hypecheck.detector import Detector, load
    from hypecheck.frame import score_frame

# A library configures no output: without this, Python's last-resort handler would
# print hypecheck's warnings to stderr in applications that set up no logging.
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    # load and Detector (spaCy) and score_frame (pandas) are imported on first use, so
    # that ``import hypecheck`` stays cheap.
    if name in ("load", "Detector"):
        from hypecheck import detector

        return getattr(detector, name)
    if name == "score_frame":
        from hypecheck.frame import score_frame

        return score_frame
    raise AttributeError(f"module 'hypecheck' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
