"""Layer 3, rules: pattern files (data/<lang>/<category>.yml) validated, compiled to spaCy matchers, run, then context-adjusted."""

from hypecheck.rules.loader import RuleSet, load_rules
from hypecheck.rules.matcher import RuleMatcher

__all__ = ["RuleMatcher", "RuleSet", "load_rules"]
