"""Layer 3, rules: the schema of rule and context files, validated with pydantic when loaded."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hypecheck.types import CATEGORIES

ContextKind = Literal["attribution", "criticism", "reported_fact", "boost"]
TokenPattern = list[dict[str, Any]]


def _regexes(value: Any) -> list[str]:
    """Every ``REGEX`` value nested anywhere in a token pattern."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "REGEX" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_regexes(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_regexes(item))
    return found


def check_token_patterns(patterns: list[TokenPattern]) -> list[TokenPattern]:
    """Validate token patterns as spaCy's ``Matcher(validate=True)`` does, and compile their regexes.

    Runs when a rule file is loaded, so a bad pattern fails at start-up
    (naming file and rule), not when the Matcher is first built.
    """
    from spacy.schemas import validate_token_pattern

    for n, pattern in enumerate(patterns):
        errors = validate_token_pattern(pattern)
        if errors:
            raise ValueError(f"pattern {n} is not a valid spaCy token pattern: {'; '.join(errors)[:300]}")
        for regex in _regexes(pattern):
            try:
                re.compile(regex)
            except re.error as exc:
                raise ValueError(f"pattern {n}: REGEX {regex!r} does not compile: {exc}") from None
    return patterns


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    positive: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)


class Rule(BaseModel):
    """One rule: token patterns and/or phrases that raise evidence of one category."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z]{2}\.[a-z_]+\.[a-z0-9_]+$")
    description: str = Field(min_length=10)
    base_score: float = Field(ge=0.0, le=1.0)
    enabled: bool = True
    patterns: list[TokenPattern] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)
    #: context cues that lower this rule's score (see context.yml)
    demoted_by: list[ContextKind] = Field(default_factory=lambda: list[ContextKind](["criticism"]))
    examples: Examples = Field(default_factory=Examples)

    _patterns_valid = field_validator("patterns")(check_token_patterns)

    @model_validator(mode="after")
    def _has_patterns(self) -> "Rule":
        if not self.patterns and not self.phrases:
            raise ValueError("needs at least one entry in 'patterns' or 'phrases'")
        if not self.examples.positive:
            raise ValueError("needs at least one positive example")
        return self


class RuleFile(BaseModel):
    """A file ``data/<lang>/<category>.yml``."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["de", "en"]
    category: str
    rules: list[Rule]

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r}; known: {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _ids_match(self) -> "RuleFile":
        for rule in self.rules:
            prefix = f"{self.language}.{self.category}."
            if not rule.id.startswith(prefix):
                raise ValueError(f"rule {rule.id}: id must start with {prefix!r}")
        return self


class CueList(BaseModel):
    """Context cue words or token patterns of one kind."""

    model_config = ConfigDict(extra="forbid")
    factor: float = Field(ge=0.0, le=2.0)
    window: Literal["sentence", "before", "clause"] = "sentence"
    phrases: list[str] = Field(default_factory=list)
    patterns: list[TokenPattern] = Field(default_factory=list)
    description: str = ""

    _patterns_valid = field_validator("patterns")(check_token_patterns)


class ContextFile(BaseModel):
    """``data/<lang>/context.yml``: cues that lower or raise a finding's confidence."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["de", "en"]
    cues: dict[ContextKind, CueList]


class SignalFile(BaseModel):
    """``data/<lang>/signals.yml``: document-level cue lexicons (not spans)."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["de", "en"]
    signals: dict[str, CueList]
