"""Edge, spaCy: ``nlp.add_pipe("hypecheck")`` sets ``doc._.hypecheck`` and ``doc.spans["hypecheck"]``.

A thin adapter over the same cached Detector that :func:`hypecheck.load`
returns. The component scores ``doc.text`` as it stands (no normalisation), so
finding offsets are offsets into ``doc.text`` and map onto the caller's
tokens: ``doc.spans["hypecheck"][i]`` is the span of
``doc._.hypecheck.findings[i]``, labelled with its category, and the group's
``attrs["scores"][i]`` is its confidence.

>>> import spacy
>>> nlp = spacy.blank("de")
>>> _ = nlp.add_pipe("hypecheck")
>>> doc = nlp("Die Aktie stieg um 2 Prozent. Bis Jahresende sind weitere 150 Prozent möglich! Jetzt kaufen!")
>>> doc._.hypecheck.band
'high'
>>> [(span.text, span.label_) for span in doc.spans["hypecheck"]][:1]
[('weitere 150 Prozent möglich', 'return_promise')]

Saving a pipeline writes the component's settings, its house-rule files and a
custom model into the pipeline directory (``to_disk``) or bytes
(``to_bytes``), never Python objects; loading validates them.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import srsly
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, SpanGroup

from hypecheck.detector import Detector, check_bands, load
from hypecheck.errors import InputError, message
from hypecheck.normalize import SUPPORTED_LANGUAGES, detect_language
from hypecheck.types import CATEGORIES, Assessment

SPANS_KEY = "hypecheck"
EXTENSION = "hypecheck"
MODEL_FILES = ("model.json", "model.npz")
_CFG_FILE = "cfg.json"
_MSGPACK_TAG = "__hypecheck.assessment/1__"


# -- doc._.hypecheck survives Doc.to_bytes, DocBin and nlp.pipe(n_process=...) ------------
def _encode_assessment(obj: Any, chain: Callable[[Any], Any] | None = None) -> Any:
    if isinstance(obj, Assessment):
        return {_MSGPACK_TAG: obj.to_dict(include_text=True)}
    return obj if chain is None else chain(obj)


def _decode_assessment(obj: Any, chain: Callable[[Any], Any] | None = None) -> Any:
    if isinstance(obj, dict) and _MSGPACK_TAG in obj:
        return Assessment.from_dict(obj[_MSGPACK_TAG])
    return obj if chain is None else chain(obj)


srsly.msgpack_encoders.register("hypecheck.assessment", func=_encode_assessment)
srsly.msgpack_decoders.register("hypecheck.assessment", func=_decode_assessment)


# -- a private, content-addressed home for rules and models read from disk or bytes --------
_STORE_LOCK = threading.Lock()
_store: Path | None = None


def _stash(kind: str, files: Mapping[str, bytes]) -> Path:
    """Write ``files`` into a per-process folder named by their content and return it.

    Equal content gives the same folder, so hypecheck's per-path caches stay
    correct even when a pipeline directory is overwritten or came as bytes.
    """
    global _store
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    with _STORE_LOCK:
        if _store is None:
            _store = Path(tempfile.mkdtemp(prefix="hypecheck-spacy-"))
            atexit.register(shutil.rmtree, _store, True)
        folder = _store / f"{kind}-{digest.hexdigest()[:24]}"
        if not folder.exists():
            partial = Path(tempfile.mkdtemp(dir=_store))
            for name, data in files.items():
                (partial / name).write_bytes(data)
            partial.rename(folder)
    return folder


def _safe_name(name: str) -> str:
    name = Path(name).name  # never a path out of the folder
    if not name or name in (".", ".."):
        raise InputError(f"invalid house-rule file name {name!r} in a saved hypecheck component", code="E010")
    return name


class HypecheckComponent(Pipe):
    """Score each Doc for promotional risk; findings become the span group ``doc.spans[spans_key]``.

    Parameters
    ----------
    nlp : Language
        The pipeline; its language (``de``/``en``) is the texts' language
        unless ``lang`` says otherwise.
    name : str
        The component's name in the pipeline.
    model : str, optional
        A model directory made by ``hypecheck train --out``; None for the bundled model.
    extra_rules : list of str
        House rule files (the bundled rules' YAML format).
    disabled : list of str
        Categories to switch off.
    bands : [int, int], optional
        Risk thresholds of ``elevated`` and ``high``.
    min_confidence : float
        Findings below this confidence are not reported.
    spans_key : str
        The span group to write.
    lang : {"de", "en", "auto"}, optional
        The texts' language; None: the pipeline's language if it is de or en,
        else detected per Doc.

    Notes
    -----
    The Detector is built on first use, by :meth:`initialize` (``nlp.initialize()``)
    or by ``from_disk``/``from_bytes``; each validates the house rules and the
    model. The factory itself reads no files, because ``spacy.load`` calls it
    with the paths of the machine that saved the pipeline before
    ``from_disk`` replaces them with the saved copies.
    """

    def __init__(self, nlp: Language, name: str = "hypecheck", *, model: str | None = None,
                 extra_rules: Iterable[str] = (), disabled: Iterable[str] = (), bands: Iterable[int] | None = None,
                 min_confidence: float = 0.4, spans_key: str = SPANS_KEY, lang: str | None = None) -> None:
        self.name = name
        self.pipeline_lang = nlp.lang
        self.cfg: dict[str, Any] = {}
        self._configure(model=model, extra_rules=list(extra_rules), disabled=sorted(disabled),
                        bands=list(bands) if bands is not None else None, min_confidence=float(min_confidence),
                        spans_key=spans_key, lang=lang)
        self._detector: Detector | None = None
        self._lock = threading.Lock()
        if not Doc.has_extension(EXTENSION):
            Doc.set_extension(EXTENSION, default=None)

    def _configure(self, **cfg: Any) -> None:
        """Check cheap settings now (no file is read) and store them."""
        unknown = sorted(set(cfg["disabled"]) - set(CATEGORIES))
        if unknown:
            raise InputError(message("E031", name=unknown[0], choices=", ".join(CATEGORIES)), code="E031")
        check_bands(cfg["bands"])
        if cfg["lang"] not in (None, "auto", *SUPPORTED_LANGUAGES):
            raise InputError(message("E030", lang=cfg["lang"], choices=", ".join(("auto", *SUPPORTED_LANGUAGES))),
                             code="E030")
        self.cfg = cfg
        self._detector = None

    @property
    def spans_key(self) -> str:
        key: str = self.cfg["spans_key"]
        return key

    @property
    def detector(self) -> Detector:
        """The shared, cached Detector for these settings (built and validated on first access)."""
        det = self._detector
        if det is None:
            with self._lock:
                det = self._detector
                if det is None:
                    cfg = self.cfg
                    bands = check_bands(cfg["bands"])
                    det = load(cfg["model"], extra_rules=cfg["extra_rules"], disabled=cfg["disabled"], bands=bands,
                               min_confidence=cfg["min_confidence"])
                    self._detector = det
        return det

    def initialize(self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Language | None = None,
                   extra_rules: Iterable[str] | None = None, model: str | None = None) -> None:
        """Set house rules or a model (e.g. from ``[initialize.components.hypecheck]``) and validate them now.

        Raises
        ------
        RuleConfigError, ModelError
            A house rule file or the model is bad.
        """
        if extra_rules is not None or model is not None:
            cfg = dict(self.cfg)
            if extra_rules is not None:
                cfg["extra_rules"] = list(extra_rules)
            if model is not None:
                cfg["model"] = model
            self._configure(**cfg)
        self.detector  # noqa: B018 - build now so that errors surface at initialisation

    def __call__(self, doc: Doc) -> Doc:
        error_handler = self.get_error_handler()
        try:
            return self._annotate(doc)
        except Exception as exc:  # spaCy's error-handler protocol: the handler decides (it raises by default)
            error_handler(self.name, self, [doc], exc)
            return doc

    def _annotate(self, doc: Doc) -> Doc:
        key = self.spans_key
        text = doc.text
        if not text.strip():
            doc._.set(EXTENSION, None)
            doc.spans[key] = SpanGroup(doc, name=key, spans=[], attrs={"scores": []})
            return doc
        warnings: list[str] = []
        lang = self.cfg["lang"] or (self.pipeline_lang if self.pipeline_lang in SUPPORTED_LANGUAGES else "auto")
        if lang == "auto":
            lang, confidence = detect_language(text)
            if confidence < 0.6:
                warnings.append(message("W002", lang=lang))
        det = self.detector
        assessment = det.assess_analysis(det.analyze(text, lang), title=None, source="<spacy>", doc_id=None,
                                         warnings=warnings)
        spans, scores = [], []
        for finding in assessment.findings:
            # offsets are inside doc.text, so "expand" always finds at least one token
            span = doc.char_span(finding.start, finding.end, label=finding.category, alignment_mode="expand")
            if span is not None:
                spans.append(span)
                scores.append(finding.confidence)
        doc.spans[key] = SpanGroup(doc, name=key, spans=spans, attrs={"scores": scores})
        doc._.set(EXTENSION, assessment)
        return doc

    # -- serialisation: settings, house-rule files and model files; never Python objects ----
    def _payload(self) -> tuple[dict[str, Any], list[tuple[str, bytes]], dict[str, bytes] | None]:
        cfg = dict(self.cfg)
        rules = []
        for i, rule_path in enumerate(cfg["extra_rules"]):
            rules.append((f"{i:02d}-{Path(rule_path).name}", Path(rule_path).read_bytes()))
        cfg["extra_rules"] = [name for name, _ in rules]
        model_files = None
        if cfg["model"] is not None:
            folder = Path(cfg["model"])
            folder = folder.parent if folder.is_file() else folder
            model_files = {name: (folder / name).read_bytes() for name in MODEL_FILES}
            cfg["model"] = "model"
        return cfg, rules, model_files

    def _restore(self, cfg: dict[str, Any], rules: list[tuple[str, bytes]], model_files: Mapping[str, bytes] | None,
                 ) -> "HypecheckComponent":
        stored = {_safe_name(name): data for name, data in rules}
        if stored:
            folder = _stash("rules", stored)
            cfg["extra_rules"] = [str(folder / _safe_name(name)) for name, _ in rules]
        else:
            cfg["extra_rules"] = []
        if model_files is not None:
            cfg["model"] = str(_stash("model", {name: model_files[name] for name in MODEL_FILES}))
        self._configure(**{k: cfg.get(k, default) for k, default in _DEFAULTS.items()})
        self.detector  # noqa: B018 - validate the loaded rules and model now, not at the first Doc
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write ``cfg.json``, ``rules/`` (house-rule files) and ``model/`` (a custom model) to ``path``."""
        path = Path(path)
        cfg, rules, model_files = self._payload()
        path.mkdir(parents=True, exist_ok=True)
        if rules:
            (path / "rules").mkdir(exist_ok=True)
            for name, data in rules:
                (path / "rules" / name).write_bytes(data)
        if model_files is not None:
            (path / "model").mkdir(exist_ok=True)
            for name, data in model_files.items():
                (path / "model" / name).write_bytes(data)
        (path / _CFG_FILE).write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "HypecheckComponent":
        """Load what :meth:`to_disk` wrote, replacing the current settings, and validate it."""
        path = Path(path)
        cfg = json.loads((path / _CFG_FILE).read_text(encoding="utf-8"))
        rules = [(name, (path / "rules" / _safe_name(name)).read_bytes()) for name in cfg.get("extra_rules", [])]
        model_files = None
        if cfg.get("model") is not None:
            model_files = {name: (path / "model" / name).read_bytes() for name in MODEL_FILES}
        return self._restore(cfg, rules, model_files)

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The settings, house-rule files and custom model as msgpack bytes."""
        cfg, rules, model_files = self._payload()
        data: bytes = srsly.msgpack_dumps({"cfg": cfg, "rules": [[name, data] for name, data in rules],
                                           "model": model_files})
        return data

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> "HypecheckComponent":
        """Load what :meth:`to_bytes` wrote, replacing the current settings, and validate it."""
        payload = srsly.msgpack_loads(bytes_data)
        rules = [(str(name), bytes(data)) for name, data in payload["rules"]]
        model_files = payload.get("model")
        return self._restore(dict(payload["cfg"]), rules, model_files)


_DEFAULTS: dict[str, Any] = {"model": None, "extra_rules": [], "disabled": [], "bands": None, "min_confidence": 0.4,
                             "spans_key": SPANS_KEY, "lang": None}


@Language.factory(
    "hypecheck",
    assigns=["doc._.hypecheck", "doc.spans"],
    default_config=dict(_DEFAULTS),
)
def make_hypecheck_component(nlp: Language, name: str, model: str | None, extra_rules: list[str], disabled: list[str],
                             bands: list[int] | None, min_confidence: float, spans_key: str,
                             lang: str | None) -> HypecheckComponent:
    """spaCy factory, also exposed through the ``spacy_factories`` entry point.

    >>> import spacy
    >>> nlp = spacy.blank("en")
    >>> component = nlp.add_pipe("hypecheck", config={"disabled": ["puffery"], "bands": [20, 60]})
    >>> component.detector.config.bands
    (20, 60)
    """
    return HypecheckComponent(nlp, name, model=model, extra_rules=extra_rules, disabled=disabled, bands=bands,
                              min_confidence=min_confidence, spans_key=spans_key, lang=lang)


__all__ = ["EXTENSION", "HypecheckComponent", "SPANS_KEY", "make_hypecheck_component"]
