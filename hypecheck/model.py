"""Layer 5, model: the exported linear models, loaded from plain arrays and scored with numpy.

A model directory holds ``model.npz`` (arrays only, loaded with
``allow_pickle=False``, so loading can never execute code) and ``model.json``
(the model card: versions, corpus hash, rules digest, metrics, band
thresholds). ``hypecheck.train`` builds both from scikit-learn pipelines; a
test proves that these numpy scorers reproduce the pipelines' probabilities.
"""

from __future__ import annotations

import json
import math
import zipfile
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from hypecheck.arrays import run_starts
from hypecheck.errors import ModelError, message

if TYPE_CHECKING:  # features imports spaCy: model-only tools load without it
    from hypecheck.features import FeatureRows

FORMAT = "hypecheck.model/1"
DEFAULT_MODEL_DIR = Path(__file__).parent / "data" / "model"


@dataclass(frozen=True)
class LinearBlock:
    """TF-IDF terms + named features -> linear scores, as sklearn's ColumnTransformer + LogisticRegression compute them."""

    vocab: Mapping[str, int]
    idf: np.ndarray
    dict_index: Mapping[str, int]
    coef: np.ndarray  # (n_outputs, n_terms + n_dict)
    intercept: np.ndarray  # (n_outputs,)
    labels: tuple[str, ...]
    sublinear_tf: bool = True
    term_keys: np.ndarray | None = None  # the vocabulary's term keys, in vocabulary order (computed when absent)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> "LinearBlock":
        vocab = {str(t): i for i, t in enumerate(arrays[f"{prefix}.vocab"].tolist())}
        dict_names = arrays[f"{prefix}.dict_names"].tolist()
        n_terms = len(vocab)
        return cls(
            vocab=vocab,
            idf=np.asarray(arrays[f"{prefix}.idf"], dtype=np.float64),
            dict_index={str(n): n_terms + i for i, n in enumerate(dict_names)},
            coef=np.asarray(arrays[f"{prefix}.coef"], dtype=np.float64),
            intercept=np.asarray(arrays[f"{prefix}.intercept"], dtype=np.float64),
            labels=tuple(str(x) for x in arrays[f"{prefix}.labels"].tolist()),
            sublinear_tf=bool(arrays[f"{prefix}.sublinear_tf"]) if f"{prefix}.sublinear_tf" in arrays else True,
            term_keys=np.asarray(arrays[f"{prefix}.term_keys"], dtype=np.uint64) if f"{prefix}.term_keys" in arrays else None,
        )

    @cached_property
    def _coef_t(self) -> np.ndarray:
        """``coef`` transposed and contiguous: one row per input column, gathered fast."""
        return np.ascontiguousarray(self.coef.T)

    @cached_property
    def _key_lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary's term keys (see :func:`hypecheck.features.term_key`), sorted, and their columns."""
        keys = self.term_keys
        if keys is None or len(keys) != len(self.vocab):  # a model exported before the keys were stored
            from hypecheck.features import term_keys  # imports spaCy: late, for model-only tools

            keys = term_keys(list(self.vocab))
        cols = np.fromiter(self.vocab.values(), dtype=np.int64, count=len(self.vocab))
        order = np.argsort(keys, kind="stable")
        return keys[order], cols[order]

    @cached_property
    def _rows_coefs(self) -> dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]]:
        return {}

    def _rows_coef(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """For feature rows with columns ``names``: the columns the model knows, and their coefficients."""
        got = self._rows_coefs.get(names)
        if got is None:
            known = [j for j, name in enumerate(names) if name in self.dict_index]
            columns = [self.dict_index[names[j]] for j in known]
            got = self._rows_coefs[names] = (np.asarray(known, dtype=np.int64),
                                             np.ascontiguousarray(self.coef[:, columns].T))
        return got

    def decision_keys(self, n_rows: int, rows: np.ndarray, keys: np.ndarray, features: "FeatureRows") -> np.ndarray:
        """:meth:`decision` for many rows at once, the terms given as keys: ``keys[i]`` belongs to row
        ``rows[i]`` (from :func:`hypecheck.features.sentence_term_keys`), the named features as
        :class:`~hypecheck.features.FeatureRows`. Shape (n_rows, n_outputs)."""
        z = np.empty((n_rows, len(self.intercept)))
        z[:] = self.intercept
        if not n_rows:
            return z
        sorted_keys, key_cols = self._key_lookup
        if len(keys) and len(sorted_keys):
            j = sorted_keys.searchsorted(keys)
            j[j == len(sorted_keys)] = 0
            known = sorted_keys[j] == keys
            if known.any():
                n_terms = len(self.idf)
                cells = np.sort(rows[known] * n_terms + key_cols[j[known]])
                first = run_starts(cells)
                tf = np.empty(len(first))  # occurrences of each (row, term)
                tf[:-1] = first[1:] - first[:-1]
                tf[-1] = len(cells) - first[-1]
                r, cols = np.divmod(cells[first], n_terms)
                if self.sublinear_tf:
                    tf = 1.0 + np.log(tf)
                vals = tf * self.idf[cols]
                norms = np.sqrt(np.bincount(r, weights=vals * vals, minlength=n_rows))
                vals = vals / norms[r]
                starts = run_starts(r)  # cells come sorted by row
                z[r[starts]] += np.add.reduceat(self._coef_t[cols] * vals[:, None], starts, axis=0)
        known, coef = self._rows_coef(features.names)  # absent entries hold 0, as in a dict without them
        if len(known):
            z += features.values[:, known] @ coef
        return z

    def decision(self, terms: Sequence[str], features: Mapping[str, float]) -> np.ndarray:
        """Linear scores of one row, one per output label."""
        counts: dict[int, int] = {}
        vocab = self.vocab
        for term in terms:
            idx = vocab.get(term)
            if idx is not None:
                counts[idx] = counts.get(idx, 0) + 1
        z = self.intercept.copy()
        if counts:
            idxs = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            if self.sublinear_tf:
                tf = 1.0 + np.log(tf)
            vals = tf * self.idf[idxs]
            norm = math.sqrt(float(vals @ vals))
            if norm > 0:
                z += self.coef[:, idxs] @ (vals / norm)
        columns: list[int] = []
        values: list[float] = []
        for name, value in features.items():
            idx = self.dict_index.get(name)
            if idx is not None and value:
                columns.append(idx)
                values.append(value)
        if columns:
            z += self.coef[:, columns] @ np.asarray(values, dtype=np.float64)
        return z


class SentenceProbs(Sequence[Mapping[str, float]]):
    """The sentence model's probabilities for one document: a row per sentence, a column per label.

    Reads as a sequence of ``{label: probability}`` dicts (built when asked for);
    the scoring code reads whole columns instead.
    """

    def __init__(self, labels: Sequence[str], values: np.ndarray) -> None:
        self.labels = tuple(labels)
        self.values = values
        self._column = {label: j for j, label in enumerate(self.labels)}

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return dict(zip(self.labels, self.values[i].tolist()))

    def column(self, label: str) -> np.ndarray | None:
        """Every sentence's probability of ``label`` (None when the model has no such label)."""
        j = self._column.get(label)
        return None if j is None else self.values[:, j]


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@dataclass(frozen=True)
class Model:
    """The bundled or a custom model: a sentence-category model and a calibrated document model."""

    sentence: LinearBlock
    document: LinearBlock
    calib_a: float
    calib_b: float
    card: Mapping[str, Any]
    path: str

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], card: Mapping[str, Any], path: str) -> "Model":
        """A Model from the arrays of ``model.npz`` and the card of ``model.json``."""
        calib = arrays["doc.calibration"]
        return cls(
            sentence=LinearBlock.from_arrays(arrays, "sent"),
            document=LinearBlock.from_arrays(arrays, "doc"),
            calib_a=float(calib[0]),
            calib_b=float(calib[1]),
            card=card,
            path=path,
        )

    def sentence_probs(self, terms: Sequence[str], features: Mapping[str, float]) -> dict[str, float]:
        """Per-label probability that a sentence carries that red flag (``any``: some red flag)."""
        probs = sigmoid(self.sentence.decision(terms, features))
        return dict(zip(self.sentence.labels, probs.tolist()))

    def sentence_probs_batch(self, docs: Sequence[tuple[int, np.ndarray, np.ndarray, "FeatureRows"]]
                             ) -> list[SentenceProbs]:
        """:meth:`sentence_probs` for all sentences of many documents in one pass, the terms
        given as keys (see :meth:`LinearBlock.decision_keys`).

        ``docs``: per document ``(n_rows, rows, keys, features)``. Every row is
        scored on its own, so the probabilities are those of one document at a time.
        """
        if not docs:
            return []
        sizes = [n for n, _, _, _ in docs]
        offsets = np.cumsum([0, *sizes[:-1]])
        rows = np.concatenate([r + off for (_, r, _, _), off in zip(docs, offsets.tolist())])
        keys = np.concatenate([k for _, _, k, _ in docs])
        first = docs[0][3]
        features = replace(first, values=np.concatenate([f.values for _, _, _, f in docs]),
                           present=np.concatenate([f.present for _, _, _, f in docs]))
        probs = sigmoid(self.sentence.decision_keys(sum(sizes), rows, keys, features))
        labels = self.sentence.labels
        return [SentenceProbs(labels, probs[at : at + n]) for at, n in zip(offsets.tolist(), sizes)]

    def document_probability(self, terms: Sequence[str], features: Mapping[str, float]) -> float:
        """Calibrated probability that a moderator would judge the document promotional."""
        z = float(self.document.decision(terms, features)[0])
        return float(1.0 / (1.0 + math.exp(self.calib_a * z + self.calib_b)))

    @property
    def bands(self) -> tuple[int, int]:
        low, high = self.card.get("bands", {"elevated": 30, "high": 70}).values()
        return int(low), int(high)

    def info(self) -> dict[str, Any]:
        """The model fields of an Assessment."""
        return {
            "name": self.card.get("name", "default"),
            "version": self.card.get("version", ""),
            "corpus_sha256": self.card.get("corpus_sha256", ""),
        }


def load_model(path: str | Path | None = None, rules_digest: str | None = None) -> Model:
    """Load a model directory (default: the bundled model).

    Raises
    ------
    ModelError
        If the directory is not a hypecheck model, has an unknown format, or
        was trained with other rules than ``rules_digest``.
    """
    return _load(str(path or DEFAULT_MODEL_DIR), rules_digest)


@lru_cache(maxsize=8)
def _load(path: str, rules_digest: str | None) -> Model:
    folder = Path(path)
    if folder.is_file():
        folder = folder.parent
    card_path, arrays_path = folder / "model.json", folder / "model.npz"
    if not card_path.exists() or not arrays_path.exists():
        raise ModelError(message("E020", path=path, detail="model.json and model.npz are required"), code="E020")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(message("E020", path=card_path, detail=f"unreadable card: {exc}"), code="E020") from None
    if not isinstance(card, dict):
        raise ModelError(message("E020", path=card_path, detail="model.json does not hold a JSON object"), code="E020")
    if card.get("format") != FORMAT:
        raise ModelError(message("E021", path=path, found=card.get("format"), expected=FORMAT), code="E021")
    if rules_digest and card.get("rules_digest") and card["rules_digest"] != rules_digest:
        raise ModelError(message("E022", path=path, found=card["rules_digest"][:12], expected=rules_digest[:12]), code="E022")
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        return Model.from_arrays(arrays, card, str(folder))
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:  # object arrays refuse to load without pickle
        raise ModelError(message("E020", path=arrays_path, detail=f"{type(exc).__name__}: {exc}"), code="E020") from None
