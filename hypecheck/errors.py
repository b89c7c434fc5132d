"""Errors and coded messages: every message a user can see lives here, with a stable code."""

from __future__ import annotations


class Messages:
    """Message templates, grep-able by code (E = error, W = warning)."""

    E001 = "{source}: file not found"
    E002 = "{source}: not readable ({reason})"
    E003 = "{source}: empty input (no text after normalisation)"
    E004 = "{source}: looks like a binary file, not text (NUL bytes at offset {offset}); pass a text, Markdown or HTML file"
    E005 = "{source}: cannot decode the text as {encoding}; pass --encoding with the right one (e.g. cp1252, latin-1, utf-16)"
    E006 = "{source}: cannot detect the text encoding; pass --encoding (e.g. utf-8, cp1252)"
    E007 = "{source}: is a directory; pass files, or use 'hypecheck scan' for folders of feeds"
    E010 = "{path}: {detail}"  # rule file errors (RuleConfigError)
    E011 = "{path}: rule {rule_id}: {detail}"
    E020 = "{path}: not a hypecheck model ({detail}); rebuild it with 'hypecheck train --out DIR'"
    E021 = "{path}: model format {found} is not supported by this hypecheck (expects {expected}); retrain with 'hypecheck train --out DIR'"
    E022 = "{path}: model was trained with rules digest {found}, but the loaded rules have digest {expected}; retrain with 'hypecheck train' after changing rules"
    E030 = "unknown language {lang!r}; choose one of: {choices}"
    E031 = "unknown category {name!r}; choose from: {choices}"
    E040 = "{source}: not a feed or export hypecheck can read ({detail})"
    W001 = "input truncated: scored the first {kept} of {total}"
    W002 = "language uncertain; scored as {lang!r} (use --lang to override)"
    W003 = "text decoded as {encoding} (not UTF-8)"
    W004 = "HTML converted to text"
    W005 = "language {found!r} detected; hypecheck supports de and en, scored as {lang!r}"


class HypecheckError(Exception):
    """Base class of every error hypecheck raises on purpose."""

    code = "E000"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code

    def __str__(self) -> str:  # "E003 article.txt: empty input ..."
        return f"{self.args[0]} [{self.code}]"


class InputError(HypecheckError):
    """An input (file, stdin, feed item) cannot be read or holds no scorable text."""


class RuleConfigError(HypecheckError):
    """A rule or lexicon file is malformed; raised when rules are loaded, never while scoring."""


class ModelError(HypecheckError):
    """A model file is missing, unsafe, or incompatible with this version or these rules."""


def message(code: str, **fields: object) -> str:
    """Format the message ``code`` with ``fields``."""
    return getattr(Messages, code).format(**fields)
