"""Edge, evaluation: score labelled files and report document, band, calibration and key-phrase figures.

Used by ``hypecheck evaluate`` and by ``training/real_data.py``. The metrics are
plain numpy (no scikit-learn import), so they are cheap and testable against
scikit-learn's own implementations.

Input rows (JSONL, or CSV with a header; both may be gzip-compressed):

``text``
    the article (required, non-empty);
``label``
    1 = a moderator would call it promotional, 0 = not (``0``/``1``,
    ``true``/``false``, ``yes``/``no``);
``lang``
    ``de``, ``en`` or empty/``auto`` (optional; ``--lang`` overrides it);
``title``
    optional; scored as the first paragraph, as ``hypecheck score`` does;
``key_phrases``
    optional passages that must be flagged: a list of strings in JSONL, a
    ``;``-separated string in CSV. A key phrase counts as found when a finding
    overlaps a place where it occurs in the normalised text;
``id``
    optional; defaults to ``FILE:LINE``.

A row that breaks these rules raises :class:`hypecheck.errors.InputError`
naming the file and line; nothing is scored until every row has been read.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from hypecheck.errors import HypecheckError, InputError, message
from hypecheck.metrics import expected_calibration_error
from hypecheck.normalize import SUPPORTED_LANGUAGES, normalize_text

if TYPE_CHECKING:  # pragma: no cover
    from hypecheck.detector import Detector
    from hypecheck.types import Assessment

SCHEMA = "hypecheck.evaluation/1"
_TRUE = frozenset({"1", "true", "yes", "y", "promotional"})
_FALSE = frozenset({"0", "false", "no", "n", "neutral"})
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_CSV_SUFFIXES = (".csv", ".tsv")
EXCERPT_CHARS = 240


# ---------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class LabelledRow:
    """One labelled document read from an evaluation file."""

    path: str
    line: int
    id: str
    text: str
    label: int
    lang: str | None = None
    title: str | None = None
    key_phrases: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _bad(path: str, line: int | None, reason: str) -> InputError:
    where = f"{path}:{line}" if line is not None else str(path)
    return InputError(message("E002", source=where, reason=reason), code="E002")


def _parse_label(value: Any, path: str, line: int) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value in (0, 1):
            return int(value)
    elif isinstance(value, str):
        v = value.strip().lower()
        if v in _TRUE:
            return 1
        if v in _FALSE:
            return 0
        if v in ("1.0", "0.0"):
            return int(float(v))
    if value is None or value == "":
        raise _bad(path, line, "the 'label' is missing; give 1 (promotional) or 0 (not)")
    raise _bad(path, line, f"label must be 0 or 1 (or true/false), got {value!r}")


def _parse_lang(value: Any, path: str, line: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(path, line, f"'lang' must be a string, got {type(value).__name__}")
    v = value.strip().lower()
    if v in ("", "auto"):
        return None
    if v not in SUPPORTED_LANGUAGES:
        raise _bad(path, line, f"unsupported lang {value!r}; use one of {', '.join(SUPPORTED_LANGUAGES)} or leave it empty")
    return v


def _parse_phrases(value: Any, path: str, line: int) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = value.split(";")
    elif isinstance(value, list):
        items = value
    else:
        raise _bad(path, line, f"'key_phrases' must be a list of strings (JSONL) or a ';'-separated string, got {type(value).__name__}")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise _bad(path, line, f"'key_phrases' entries must be strings, got {item!r}")
        if item.strip():
            out.append(item.strip())
    return tuple(out)


def _row(record: Mapping[str, Any], path: str, line: int) -> LabelledRow:
    text = record.get("text")
    if text is None:
        raise _bad(path, line, "the 'text' field is missing")
    if not isinstance(text, str):
        raise _bad(path, line, f"'text' must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InputError(message("E003", source=f"{path}:{line}"), code="E003")
    if "label" not in record:
        raise _bad(path, line, "the 'label' field is missing; give 1 (promotional) or 0 (not)")
    title = record.get("title")
    if title is not None and not isinstance(title, str):
        raise _bad(path, line, f"'title' must be a string, got {type(title).__name__}")
    row_id = record.get("id")
    known = {"text", "label", "lang", "title", "key_phrases", "id"}
    return LabelledRow(
        path=path,
        line=line,
        id=str(row_id) if row_id not in (None, "") else f"{Path(path).name}:{line}",
        text=text,
        label=_parse_label(record.get("label"), path, line),
        lang=_parse_lang(record.get("lang"), path, line),
        title=title or None,
        key_phrases=_parse_phrases(record.get("key_phrases"), path, line),
        meta={k: v for k, v in record.items() if k not in known},
    )


def _decode(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _bad(path, line, "not valid UTF-8; save the file as UTF-8") from None


def _read_bytes(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise InputError(message("E001", source=path), code="E001")
    if p.is_dir():
        raise _bad(path, None, "is a directory; pass labelled .jsonl or .csv files")
    try:
        data = p.read_bytes()
        if p.name.endswith(".gz"):
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise _bad(path, None, f"{type(exc).__name__}: {exc}") from None
    return data


def _kind(path: str) -> str:
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(_CSV_SUFFIXES):
        return "tsv" if name.endswith(".tsv") else "csv"
    raise _bad(path, None, "unknown file type; expected .jsonl or .csv (optionally .gz)")


def _read_jsonl(text: str, path: str) -> list[LabelledRow]:
    rows = []
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise _bad(path, n, f"invalid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise _bad(path, n, f"expected a JSON object per line, got {type(record).__name__}")
        rows.append(_row(record, path, n))
    return rows


def _read_csv(text: str, path: str, delimiter: str) -> list[LabelledRow]:
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise _bad(path, 1, f"bad CSV header: {exc}") from None
    if header is None:
        return []
    header = [h.strip().lower() for h in header]
    missing = [c for c in ("text", "label") if c not in header]
    if missing:
        raise _bad(path, 1, f"the header lacks column(s) {', '.join(missing)}; found: {', '.join(header) or '(none)'}")
    rows = []
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _bad(path, start, f"bad CSV: {exc}") from None
        if not values or all(not v.strip() for v in values):
            start = reader.line_num + 1
            continue
        if len(values) > len(header):
            raise _bad(path, start, f"{len(values)} fields but the header has {len(header)}")
        record = dict(zip(header, values))
        rows.append(_row(record, path, start))
        start = reader.line_num + 1
    return rows


def read_labelled(path: str | Path) -> list[LabelledRow]:
    """Read one labelled JSONL or CSV file (``.gz`` too).

    Raises
    ------
    InputError
        For a missing or unreadable file, an unknown type, or a bad row; the
        message names the file and line.
    """
    path = str(path)
    kind = _kind(path)
    text = _decode(_read_bytes(path), path)
    if kind == "jsonl":
        rows = _read_jsonl(text, path)
    else:
        rows = _read_csv(text, path, "\t" if kind == "tsv" else ",")
    if not rows:
        raise InputError(message("E003", source=path), code="E003")
    return rows


# ---------------------------------------------------------------------------- metrics
def roc_auc(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float | None:
    """Area under the ROC curve (ties count half); None when only one class is present.

    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=float)
    sorted_p = p[order]
    i = 0
    while i < len(p):  # average ranks over ties
        j = i
        while j + 1 < len(p) and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def average_precision(y: Sequence[int] | np.ndarray, p: Sequence[float] | np.ndarray) -> float | None:
    """PR-AUC as average precision (step-wise, as scikit-learn computes it); None without positives.

    >>> round(average_precision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 4)
    0.8333
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    n_pos = int(y.sum())
    if n_pos == 0:
        return None
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    tps = np.cumsum(y_sorted)
    fps = np.cumsum(1 - y_sorted)
    last = np.r_[np.flatnonzero(np.diff(p_sorted)), len(p_sorted) - 1]  # last index of each distinct score
    tp, fp = tps[last], fps[last]
    precision = tp / (tp + fp)
    recall = tp / n_pos
    prev = np.r_[0.0, recall[:-1]]
    return float(np.sum((recall - prev) * precision))


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def band_metrics(y: np.ndarray, risk: np.ndarray, threshold: int) -> dict[str, Any]:
    """Confusion, precision, recall and F1 when ``risk >= threshold`` counts as flagged."""
    pred = risk >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    tn = int(np.sum(~pred & (y == 0)))
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return {"threshold": int(threshold), "precision": _r(precision), "recall": _r(recall), "f1": _r(f1),
            "fpr": _r(_ratio(fp, fp + tn)), "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def flagged_shares(risk: np.ndarray, bands: tuple[int, int]) -> dict[str, Any]:
    """Share of documents per band, plus elevated-or-above."""
    n = len(risk)
    if n == 0:
        return {"n": 0}
    high = float(np.mean(risk >= bands[1]))
    elev_up = float(np.mean(risk >= bands[0]))
    return {"n": int(n), "low": _r(1 - elev_up), "elevated": _r(elev_up - high), "high": _r(high),
            "elevated_or_above": _r(elev_up)}


def binary_metrics(y: Sequence[int] | np.ndarray, probability: Sequence[float] | np.ndarray,
                   bands: tuple[int, int], risk: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
    """Document-level figures of one labelled set.

    ``risk`` defaults to ``round(100 * probability)``, as an Assessment computes it.
    """
    y = np.asarray(y, dtype=int)
    p = np.asarray(probability, dtype=float)
    risk_arr = np.asarray(risk, dtype=float) if risk is not None else np.round(100 * p)
    out: dict[str, Any] = {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "roc_auc": _r(roc_auc(y, p)),
        "pr_auc": _r(average_precision(y, p)),
        "brier": _r(float(np.mean((p - y) ** 2)) if len(y) else None),
        "ece": _r(expected_calibration_error(y, p)),
        "bands": {
            "elevated": band_metrics(y, risk_arr, bands[0]),
            "high": band_metrics(y, risk_arr, bands[1]),
        },
        "flagged": {
            "label_0": flagged_shares(risk_arr[y == 0], bands),
            "label_1": flagged_shares(risk_arr[y == 1], bands),
        },
    }
    return out


# ---------------------------------------------------------------------------- key phrases
def phrase_occurrences(text: str, phrase: str) -> list[tuple[int, int]]:
    """Where ``phrase`` occurs in ``text`` (both normalised; case and runs of whitespace ignored).

    >>> phrase_occurrences("Jetzt  KAUFEN! und jetzt kaufen", "jetzt kaufen")
    [(0, 13), (19, 31)]
    """
    words = normalize_text(phrase).split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def key_phrase_hits(text: str, phrases: Sequence[str], findings: Sequence[Any]) -> list[dict[str, Any]]:
    """For each key phrase: where it occurs, and whether a finding overlaps any occurrence."""
    out = []
    for phrase in phrases:
        occ = phrase_occurrences(text, phrase)
        found = any(f.start < e and f.end > s for s, e in occ for f in findings)
        out.append({"phrase": phrase, "located": bool(occ), "found": found})
    return out


# ---------------------------------------------------------------------------- evaluation
def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _case(row: LabelledRow, a: "Assessment", hits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "where": row.where,
        "label": row.label,
        "risk": a.risk,
        "band": a.band,
        "language": a.language,
        "title": row.title,
        "excerpt": _excerpt(a.text or row.text),
        "findings": [{"text": f.text, "category": f.category, "confidence": round(f.confidence, 3),
                      "origin": list(f.origin)} for f in a.findings],
        "key_phrases_missed": [h["phrase"] for h in hits if not h["found"]],
    }


def _check_key_phrases(rows: Sequence[LabelledRow]) -> None:
    """Fail before scoring when a key phrase does not occur in its (normalised) title + text."""
    from hypecheck.normalize import prepare
    from hypecheck.types import Document

    for row in rows:
        if not row.key_phrases:
            continue
        text = prepare(Document(text=row.text, title=row.title))[0]
        for phrase in row.key_phrases:
            if not phrase_occurrences(text, phrase):
                raise _bad(row.path, row.line, f"key phrase {phrase!r} does not occur in the text (title + text, normalised)")


def evaluate_rows(rows: Sequence[LabelledRow], detector: "Detector", *, lang: str | None = None, worst: int = 5,
                  progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Score ``rows`` with ``detector`` and return the report (a JSON-serialisable dict)."""
    if lang not in (None, "auto") and lang not in SUPPORTED_LANGUAGES:
        raise InputError(message("E030", lang=lang, choices=", ".join(SUPPORTED_LANGUAGES)), code="E030")
    forced = None if lang in (None, "auto") else lang
    _check_key_phrases(rows)
    low, high = detector.config.bands
    bands = (int(low), int(high))
    started = time.perf_counter()
    assessments: list[Any] = []
    phrase_hits: list[list[dict[str, Any]]] = []
    for i, row in enumerate(rows):
        try:
            a = detector.score(row.text, title=row.title, lang=forced or row.lang, source=row.where, id=row.id)
        except HypecheckError as exc:
            if row.where in str(exc):
                raise
            raise _bad(row.path, row.line, str(exc)) from None
        hits = key_phrase_hits(a.text or "", row.key_phrases, a.findings)
        for h in hits:
            if not h["located"]:
                raise _bad(row.path, row.line, f"key phrase {h['phrase']!r} does not occur in the text (title + text, normalised)")
        assessments.append(a)
        phrase_hits.append(hits)
        if progress:
            progress(i + 1, len(rows))
    seconds = time.perf_counter() - started

    y = np.array([r.label for r in rows], dtype=int)
    prob = np.array([a.probability for a in assessments], dtype=float)
    risk = np.array([a.risk for a in assessments], dtype=float)
    langs = np.array([a.language for a in assessments])
    paths = np.array([r.path for r in rows])

    report: dict[str, Any] = {
        "schema": SCHEMA,
        "files": [{"path": p, "rows": int((paths == p).sum())} for p in dict.fromkeys(r.path for r in rows)],
        "model": dict(assessments[0].model) if assessments else {},
        "bands": {"elevated": int(bands[0]), "high": int(bands[1])},
        "seconds": round(seconds, 2),
        "documents_per_second": round(len(rows) / seconds, 1) if seconds > 0 else None,
        "metrics": binary_metrics(y, prob, bands, risk),
    }
    if len(set(langs.tolist())) > 1:
        report["by_language"] = {code: binary_metrics(y[langs == code], prob[langs == code], bands, risk[langs == code])
                                 for code in sorted(set(langs.tolist()))}
    if len(report["files"]) > 1:
        report["by_file"] = {p["path"]: binary_metrics(y[paths == p["path"]], prob[paths == p["path"]], bands,
                                                       risk[paths == p["path"]]) for p in report["files"]}

    all_hits = [h for hits in phrase_hits for h in hits]
    kp: dict[str, Any] = {"total": len(all_hits), "found": sum(h["found"] for h in all_hits)}
    kp["recall"] = _r(_ratio(kp["found"], kp["total"]))
    for label in (0, 1):
        sub = [h for hits, row in zip(phrase_hits, rows) if row.label == label for h in hits]
        if sub:
            kp[f"label_{label}"] = {"total": len(sub), "found": sum(h["found"] for h in sub),
                                    "recall": _r(_ratio(sum(h["found"] for h in sub), len(sub)))}
    kp["documents_with_phrases"] = sum(1 for hits in phrase_hits if hits)
    report["key_phrases"] = kp

    fp_idx = [i for i in np.argsort(-risk, kind="mergesort") if y[i] == 0 and risk[i] >= bands[0]]
    fn_idx = [i for i in np.argsort(risk, kind="mergesort") if y[i] == 1 and risk[i] < bands[0]]
    report["false_positives"] = len(fp_idx)
    report["false_negatives"] = len(fn_idx)
    report["worst_false_positives"] = [_case(rows[i], assessments[i], phrase_hits[i]) for i in fp_idx[: max(0, worst)]]
    report["worst_false_negatives"] = [_case(rows[i], assessments[i], phrase_hits[i]) for i in fn_idx[: max(0, worst)]]
    return report


def evaluate_files(paths: Sequence[str | Path], detector: "Detector", lang: str | None = None, worst: int = 5,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Read every labelled file in ``paths``, score the rows and return the report.

    Parameters
    ----------
    paths : sequence of str or Path
        Labelled ``.jsonl`` or ``.csv`` files (``.gz`` too).
    detector : hypecheck.detector.Detector
        The detector under test; its bands decide what counts as flagged.
    lang : {None, 'auto', 'de', 'en'}
        Force a language for every row (default: the row's ``lang``, else detected).
    worst : int
        How many worst false positives and false negatives to list. A false
        positive is a label-0 document flagged ``elevated`` or ``high``; a false
        negative is a label-1 document left ``low``.

    Raises
    ------
    InputError
        When a file or a row cannot be used; the message names file and line.

    Examples
    --------
    >>> report = evaluate_files(["labelled.jsonl"], hypecheck.load())   # doctest: +SKIP
    >>> print(format_report(report, "text"))                            # doctest: +SKIP
    """
    if not paths:
        raise InputError("no evaluation files given", code="E002")
    rows: list[LabelledRow] = []
    for path in paths:
        rows.extend(read_labelled(path))
    return evaluate_rows(rows, detector, lang=lang, worst=worst, progress=progress)


# ---------------------------------------------------------------------------- rendering
def _f(x: Any, pct: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:.1f}%" if pct else f"{x:.3f}"


def _metrics_lines(m: Mapping[str, Any], indent: str = "") -> list[str]:
    lines = [f"{indent}documents {m['n']} ({m['positives']} promotional)   ROC-AUC {_f(m['roc_auc'])}   "
             f"PR-AUC {_f(m['pr_auc'])}   Brier {_f(m['brier'])}   ECE {_f(m['ece'])}"]
    lines.append(f"{indent}{'flagged at':<12}{'risk >=':>8}{'precision':>11}{'recall':>8}{'F1':>8}{'TP':>7}{'FP':>7}{'FN':>7}{'TN':>7}")
    for name, b in m["bands"].items():
        lines.append(f"{indent}{name:<12}{b['threshold']:>8}{_f(b['precision']):>11}{_f(b['recall']):>8}{_f(b['f1']):>8}"
                     f"{b['tp']:>7}{b['fp']:>7}{b['fn']:>7}{b['tn']:>7}")
    lines.append(f"{indent}{'share':<26}{'low':>8}{'elevated':>10}{'high':>8}")
    for label, name in (("label_0", "label 0 (not promo)"), ("label_1", "label 1 (promo)")):
        s = m["flagged"][label]
        if s.get("n"):
            head = f"{name} n={s['n']}"
            lines.append(f"{indent}{head:<26}{_f(s['low'], True):>8}{_f(s['elevated'], True):>10}{_f(s['high'], True):>8}")
    return lines


def _case_lines(cases: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = []
    for i, c in enumerate(cases, 1):
        lines.append(f"  {i}. {c['where']} (id {c['id']}): risk {c['risk']} {c['band']} [{c['language']}]")
        lines.append(f"     “{c['excerpt']}”")
        for f in c["findings"][:6]:
            lines.append(f"     - [{f['category']}] {f['confidence']:.2f} “{_excerpt(f['text'], 100)}”")
        if len(c["findings"]) > 6:
            lines.append(f"     - … {len(c['findings']) - 6} more findings")
        if not c["findings"]:
            lines.append("     - no findings")
        if c["key_phrases_missed"]:
            lines.append("     missed key phrases: " + "; ".join(f"“{p}”" for p in c["key_phrases_missed"]))
    return lines


def format_report(report: Mapping[str, Any], fmt: str = "text") -> str:
    """Render a report from :func:`evaluate_files` as ``text`` or ``json``."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}; use 'text' or 'json'")
    model = report.get("model", {})
    files = ", ".join(f"{f['path']} ({f['rows']})" for f in report["files"])
    lines = [f"hypecheck evaluate: {files}",
             f"model {' '.join(x for x in (model.get('name', '?'), model.get('version', '')) if x)}; bands elevated >= {report['bands']['elevated']}, "
             f"high >= {report['bands']['high']}; {report['seconds']} s"]
    lines += _metrics_lines(report["metrics"])
    for title, key in (("by language", "by_language"), ("by file", "by_file")):
        if key in report:
            lines.append(f"{title}:")
            for name, m in report[key].items():
                lines.append(f"  {name}:")
                lines += _metrics_lines(m, "    ")
    kp = report["key_phrases"]
    if kp["total"]:
        lines.append(f"key phrases: {kp['found']}/{kp['total']} found (recall {_f(kp['recall'])}) "
                     f"in {kp['documents_with_phrases']} documents")
    else:
        lines.append("key phrases: none given")
    lines.append(f"false positives (label 0 flagged elevated or high): {report['false_positives']}; worst first:")
    lines += _case_lines(report["worst_false_positives"]) or ["  none"]
    lines.append(f"false negatives (label 1 left low): {report['false_negatives']}; worst first:")
    lines += _case_lines(report["worst_false_negatives"]) or ["  none"]
    return "\n".join(lines)
