"""Edge, spaCy: ``nlp.add_pipe("hypecheck")`` sets ``doc._.hypecheck`` and ``doc.spans["hypecheck"]``.

A thin adapter over the same Detector the CLI uses. Findings are character
offsets into ``doc.text`` (the component scores the text as it stands, with no
normalisation, so offsets map onto the caller's tokens).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable, Iterable

from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span, SpanGroup

from hypecheck.detector import Detector
from hypecheck.normalize import detect_language

SPANS_KEY = "hypecheck"


class HypecheckComponent(Pipe):
    """Score each Doc for promotional risk; findings become a span group."""

    def __init__(self, nlp: Language, name: str = "hypecheck", *, model: str | None = None,
                 extra_rules: Iterable[str] = (), disabled: Iterable[str] = (), min_confidence: float = 0.4,
                 spans_key: str = SPANS_KEY) -> None:
        self.name = name
        self.lang = nlp.lang if nlp.lang in ("de", "en") else None
        self.spans_key = spans_key
        self.cfg: dict[str, Any] = {"model": model, "extra_rules": list(extra_rules), "disabled": sorted(disabled),
                                    "min_confidence": min_confidence, "spans_key": spans_key}
        self._detector: Detector | None = None
        if not Doc.has_extension("hypecheck"):
            Doc.set_extension("hypecheck", default=None)

    @property
    def detector(self) -> Detector:
        if self._detector is None:
            self._detector = Detector(self.cfg["model"], extra_rules=self.cfg["extra_rules"],
                                      disabled=self.cfg["disabled"], min_confidence=self.cfg["min_confidence"])
        return self._detector

    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            if not doc.text.strip():
                doc._.hypecheck = None
                doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=[])
                return doc
            lang = self.lang or detect_language(doc.text)[0]
            det = self.detector
            analysis = det.analyze(doc.text, lang)
            assessment = det.assess_analysis(analysis, title=None, source="<spacy>", doc_id=None)
            spans = []
            for f in assessment.findings:
                span = doc.char_span(f.start, f.end, label=f.category, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
            doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans,
                                                  attrs={"scores": [f.confidence for f in assessment.findings]})
            doc._.hypecheck = assessment
            return doc
        except Exception as exc:  # spaCy's error-handler protocol: the handler decides (raise by default)
            error_handler(self.name, self, [doc], exc)
            return doc

    # -- serialisation: settings and house-rule files, never Python objects --------
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        rules_dir = path / "rules"
        rules_dir.mkdir(exist_ok=True)
        stored = []
        for i, rule_path in enumerate(self.cfg["extra_rules"]):
            target = rules_dir / f"{i:02d}-{Path(rule_path).name}"
            shutil.copyfile(rule_path, target)
            stored.append(target.name)
        cfg = dict(self.cfg, extra_rules=stored)
        (path / "cfg.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "HypecheckComponent":
        path = Path(path)
        cfg = json.loads((path / "cfg.json").read_text(encoding="utf-8"))
        cfg["extra_rules"] = [str(path / "rules" / name) for name in cfg.get("extra_rules", [])]
        self.cfg = cfg
        self.spans_key = cfg.get("spans_key", SPANS_KEY)
        self._detector = None
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        rules = {Path(p).name: Path(p).read_text(encoding="utf-8") for p in self.cfg["extra_rules"]}
        return json.dumps({"cfg": self.cfg, "rules": rules}).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "HypecheckComponent":
        import tempfile

        payload = json.loads(data.decode("utf-8"))
        folder = Path(tempfile.mkdtemp(prefix="hypecheck-rules-"))
        paths = []
        for name, text in payload["rules"].items():
            (folder / name).write_text(text, encoding="utf-8")
            paths.append(str(folder / name))
        self.cfg = dict(payload["cfg"], extra_rules=paths)
        self._detector = None
        return self


@Language.factory(
    "hypecheck",
    assigns=["doc._.hypecheck", "doc.spans"],
    default_config={"model": None, "extra_rules": [], "disabled": [], "min_confidence": 0.4, "spans_key": SPANS_KEY},
)
def make_hypecheck_component(nlp: Language, name: str, model: str | None, extra_rules: list[str], disabled: list[str],
                             min_confidence: float, spans_key: str) -> HypecheckComponent:
    """spaCy factory (also exposed through the ``spacy_factories`` entry point)."""
    return HypecheckComponent(nlp, name, model=model, extra_rules=extra_rules, disabled=disabled,
                              min_confidence=min_confidence, spans_key=spans_key)


__all__ = ["HypecheckComponent", "make_hypecheck_component", "SPANS_KEY"]
_: Callable = make_hypecheck_component
