"""Layer 3, rules: find, parse and validate rule files; fail at load time naming the file and rule id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hypecheck.errors import RuleConfigError, message
from hypecheck.rules.schema import ContextFile, Rule, RuleFile, SignalFile
from hypecheck.types import CATEGORIES

DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class RuleEntry:
    """A validated rule with its category and the file it came from."""

    category: str
    rule: Rule
    path: str


@dataclass(frozen=True)
class RuleSet:
    """Validated rules, context cues and signal lexicons of one language."""

    language: str
    rules: tuple["RuleEntry", ...]
    context: ContextFile
    signals: SignalFile
    digest: str  # sha256 over the bundled rule files (what a model was trained with)
    sources: tuple[str, ...] = field(default=())

    def by_id(self) -> dict[str, "RuleEntry"]:
        return {entry.rule.id: entry for entry in self.rules}

    def token_attributes(self) -> frozenset[str]:
        """The token attributes (upper-case spaCy names: ``LOWER``, ``SHAPE``, ...) the patterns test.

        The pipeline computes only the lexical attributes someone reads
        (:func:`hypecheck.nlp.make_nlp`), so it needs to know these.
        """
        cue_lists = [*self.context.cues.values(), *self.signals.signals.values()]
        patterns = [p for entry in self.rules for p in entry.rule.patterns] + [p for cue in cue_lists for p in cue.patterns]
        return frozenset(key.upper() for pattern in patterns for spec in pattern for key in spec)


def _read_yaml(path: Path) -> object:
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise RuleConfigError(message("E010", path=path, detail=exc.strerror), code="E010") from None
    except yaml.YAMLError as exc:
        raise RuleConfigError(message("E010", path=path, detail=f"invalid YAML: {exc}"), code="E010") from None


def _validation_detail(exc: ValidationError, raw: object) -> tuple[str | None, str]:
    """Name the rule id (when the error sits inside a rule) and the problem."""
    err = exc.errors()[0]
    loc = err.get("loc", ())
    rule_id = None
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(raw, dict):
        try:
            rule_id = raw["rules"][loc[1]].get("id", f"#{loc[1]}")
        except (IndexError, AttributeError, KeyError):
            rule_id = f"#{loc[1]}"
    where = ".".join(str(p) for p in loc)
    return rule_id, f"{where}: {err['msg']}" if where else err["msg"]


def parse_rule_file(path: Path) -> RuleFile:
    """Parse and validate one rule file."""
    raw = _read_yaml(path)
    try:
        return RuleFile.model_validate(raw)
    except ValidationError as exc:
        rule_id, detail = _validation_detail(exc, raw)
        if rule_id:
            raise RuleConfigError(message("E011", path=path, rule_id=rule_id, detail=detail), code="E011") from None
        raise RuleConfigError(message("E010", path=path, detail=detail), code="E010") from None


_Model = TypeVar("_Model", bound=BaseModel)


def _parse(model: type[_Model], path: Path) -> _Model:
    raw = _read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        _, detail = _validation_detail(exc, raw)
        raise RuleConfigError(message("E010", path=path, detail=detail), code="E010") from None


def bundled_rule_files(lang: str) -> list[Path]:
    """The category files shipped for ``lang``, in taxonomy order."""
    folder = DATA_DIR / lang
    return [folder / f"{cat}.yml" for cat in CATEGORIES if (folder / f"{cat}.yml").exists()]


def rules_digest(lang: str | None = None) -> str:
    """sha256 over the bundled rule, context and signal files (all languages unless ``lang``)."""
    h = hashlib.sha256()
    langs = [lang] if lang else sorted(p.name for p in DATA_DIR.iterdir() if p.is_dir())
    for code in langs:
        for path in sorted((DATA_DIR / code).glob("*.yml")):
            h.update(f"{code}/{path.name}\n".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def load_rules(lang: str, extra: Sequence[str | Path] = (), disabled: Iterable[str] = ()) -> RuleSet:
    """Load the bundled rules of ``lang`` plus house rule files ``extra``.

    Raises
    ------
    RuleConfigError
        For a malformed file, an unknown category, a duplicate rule id or a
        pattern spaCy's Matcher rejects; the message names the file and rule.
    """
    return _load_rules(lang, tuple(str(p) for p in extra), tuple(sorted(disabled)))


@lru_cache(maxsize=32)
def _load_rules(lang: str, extra: tuple[str, ...], disabled: tuple[str, ...]) -> RuleSet:
    folder = DATA_DIR / lang
    if not folder.is_dir():
        raise RuleConfigError(message("E030", lang=lang, choices="de, en"), code="E030")
    rules: list[RuleEntry] = []
    seen: dict[str, Path] = {}
    files = bundled_rule_files(lang) + [Path(p) for p in extra]
    for path in files:
        parsed = parse_rule_file(path)
        if parsed.language != lang:
            continue  # a house-rule file for another language
        for rule in parsed.rules:
            if rule.id in seen:
                raise RuleConfigError(
                    message("E011", path=path, rule_id=rule.id, detail=f"duplicate id (also in {seen[rule.id]})"), code="E011"
                )
            seen[rule.id] = path
            if rule.enabled and parsed.category not in disabled:
                rules.append(RuleEntry(parsed.category, rule, str(path)))
    context = _parse(ContextFile, folder / "context.yml")
    signals = _parse(SignalFile, folder / "signals.yml")
    return RuleSet(lang, tuple(rules), context, signals, rules_digest(), tuple(str(p) for p in files))
