"""Imported once by the scan's forkserver, before it forks the worker processes.

Building a language's spaCy pipeline (tokenizer exceptions, affix regexes)
costs about a third of a second of CPU. Built here, in the forkserver, it is
inherited by every worker (``nlp.make_nlp`` caches pipelines per language and
word attributes) instead of built again in each. The built-in rules decide
which word attributes a pipeline computes, so a scan with house rules that
test other attributes still builds its own; nothing here changes a result.

A failure here must not take the forkserver down (it would fail the whole
pool with an obscure message): it is logged, and each worker builds what it
needs itself, where an error is reported as usual.
"""

from __future__ import annotations

import logging

from hypecheck.detector import Detector

log = logging.getLogger(__name__)


def warm_pipelines() -> bool:
    """Build the pipelines of every supported language for the built-in rules; True when done."""
    try:
        Detector(model=False).prepare()
    except Exception as exc:  # noqa: BLE001 - see the module docstring
        log.debug("scan preload: pipelines not built in the forkserver: %s", exc)
        return False
    return True


warm_pipelines()
