"""Layer 3, rules: finite_words spells out exactly the strings an anchored regex matches."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from hypecheck.rules import load_rules
from hypecheck.rules.regex_words import finite_words
from hypecheck.train import load_corpus

REPO = Path(__file__).resolve().parents[3]


def bundled_regexes():
    found = set()
    for lang in ("de", "en"):
        for entry in load_rules(lang).rules:
            for pattern in entry.rule.patterns:
                for spec in pattern:
                    for value in spec.values():
                        if isinstance(value, dict) and "REGEX" in value:
                            found.add(value["REGEX"])
    return sorted(found)


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"^(kurs|gewinn)?potenzial$", {"potenzial", "kurspotenzial", "gewinnpotenzial"}),
        (r"^upside-?$|^chance$", {"upside", "upside-", "chance"}),
        (r"^[!?]{1,2}$", {"!", "?", "!!", "!?", "?!", "??"}),
        (r"^(?:a|b)c$", {"ac", "bc"}),
    ],
)
def test_spells_out_word_lists(pattern, words):
    assert finite_words(pattern) == words


@pytest.mark.parametrize(
    "pattern",
    [r"^\d+$", r"potenzial$", r"^potenzial", r"report|studie", r"^(\w+-)?aktie$", r"(?i)^aktie$", r"^a.c$",
     r"^[^x]$", r"^a+$", r"\baktie\b", r"^(a|b$)", r"^(?=a)a$"],
)
def test_refuses_open_patterns(pattern):
    assert finite_words(pattern) is None


def test_bundled_regexes_match_exactly_their_words():
    """For every bundled REGEX that is spelled out: re.search agrees with membership on real word forms."""
    forms = set()
    for record in load_corpus(REPO / "corpora")[::5]:
        forms.update(record["text"].split())
        forms.update(w.lower() for w in record["text"].split())
    checked = 0
    for pattern in bundled_regexes():
        words = finite_words(pattern)
        if words is None:
            continue
        checked += 1
        rx = re.compile(pattern)
        probe = forms | words | {w + "x" for w in words} | {w[1:] for w in words}
        for s in probe:
            assert bool(rx.search(s)) == (s in words), (pattern, s)
    assert checked >= 30  # most bundled regexes are word lists


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abkrsu-?!%", max_size=8))
def test_agrees_with_re_on_any_string(s):
    for pattern in (r"^(kurs|ab)?s-?$", r"^[!?%]{1,3}$|^ku?r$"):
        words = finite_words(pattern)
        assert words is not None
        assert bool(re.search(pattern, s)) == (s in words)
