"""Layer 3, rules: the finite word lists hidden in anchored token regexes.

Most REGEX conditions of the bundled rules are word lists in disguise, e.g.
``^(kurs|gewinn)?potenzial$``. :func:`finite_words` spells such a pattern out
as the set of strings it matches, so that the anchor gate of
:class:`~hypecheck.rules.matcher.PatternBank` can check it with one sorted join
over the Doc's word forms instead of a regex scan. Patterns it cannot spell out
(``\\d+``, ``\\w*``, unanchored ones, inline flags) keep their regex.
"""

from __future__ import annotations

import importlib
import re
import sys

# The regex parser of the standard library (private modules, stable since Python 3.0; renamed in 3.11).
if sys.version_info >= (3, 11):
    C = importlib.import_module("re._constants")
    sre_parse = importlib.import_module("re._parser")
else:  # pragma: no cover
    C = importlib.import_module("sre_constants")
    sre_parse = importlib.import_module("sre_parse")

#: Stand-ins for ``^`` and ``$`` while spelling out; a finished string must start and end with them.
_BEGIN, _END = "\x02", "\x03"


class _NotFinite(Exception):
    pass


def finite_words(pattern: str, limit: int = 2000) -> frozenset[str] | None:
    """The strings ``re.search(pattern, s)`` finds, when they are at most ``limit`` and every
    match spans the whole string (``^...$``); otherwise None.

    >>> sorted(finite_words(r"^(kurs|gewinn)?potenzials?$"))[:3]
    ['gewinnpotenzial', 'gewinnpotenzials', 'kurspotenzial']
    >>> finite_words(r"^\\d+%$") is None
    True
    """
    try:
        parsed = sre_parse.parse(pattern)
        if parsed.state.flags & ~C.SRE_FLAG_UNICODE:
            return None  # inline flags such as (?i)
        spelled = _sequence(list(parsed), limit)
    except (_NotFinite, re.error, RecursionError):
        return None
    words = set()
    for s in spelled:
        if not (s.startswith(_BEGIN) and s.endswith(_END)) or _BEGIN in s[1:] or _END in s[:-1]:
            return None  # an unanchored alternative: it also matches inside longer strings
        words.add(s[1:-1])
    return frozenset(words)


def _sequence(items: list, limit: int) -> set[str]:
    out = {""}
    for op, av in items:
        part = _node(op, av, limit)
        out = {a + b for a in out for b in part}
        if len(out) > limit:
            raise _NotFinite
    return out


def _node(op, av, limit: int) -> set[str]:
    if op is C.LITERAL:
        return {chr(av)}
    if op is C.AT:
        if av is C.AT_BEGINNING:
            return {_BEGIN}
        if av is C.AT_END:
            return {_END}
        raise _NotFinite  # \b, \A, \Z ...
    if op is C.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is C.LITERAL:
                chars.add(chr(value))
            elif kind is C.RANGE and value[1] - value[0] <= 40:
                chars.update(chr(c) for c in range(value[0], value[1] + 1))
            else:
                raise _NotFinite  # negated sets, \d, \w, wide ranges
        return chars
    if op is C.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            out |= _sequence(list(branch), limit)
        return out
    if op is C.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _NotFinite
        return _sequence(list(sub), limit)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        if high > 6:
            raise _NotFinite  # includes unbounded repeats
        base = _sequence(list(sub), limit)
        out, level = set(), {""}
        for count in range(high + 1):
            if count >= low:
                out |= level
            if count < high:
                level = {a + b for a in level for b in base}
            if len(out) + len(level) > limit:
                raise _NotFinite
        return out
    raise _NotFinite  # ANY, NOT_LITERAL, lookarounds, back-references ...
