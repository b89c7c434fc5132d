"""Edge, batch scan: score every item of many RSS/Atom feeds and CSV exports, once, resumably.

``hypecheck scan`` and :func:`run_scan` stream items from the exports
(:mod:`hypecheck.sources.exports`), give each exactly one output row and
close with a :class:`ScanSummary`:

* ``scored``: the item's Assessment (``Assessment.to_dict()``) plus the scan
  fields ``status``, ``export``, ``item``, ``key``, ``link``, ``published``, ``feed``;
* ``duplicate``: an item whose key (GUID/id, else link, else content hash)
  was already seen in this scan, with ``duplicate_of`` naming the first one;
* ``error``: an item (or a whole export, ``item`` 0) that could not be
  scored, with ``error`` and ``code``.

Crash safety: rows go to a JSONL *journal* (the ``--out`` file itself for
JSONL, else a sidecar ``<out>.journal.jsonl`` converted to CSV/Parquet at the
end), one unbuffered append per row. ``--resume`` drops a torn last line,
reads back which ``(export, item)`` rows exist, skips those items and
rebuilds the duplicate set from the keys of scored and error rows, so a run
killed at any point and resumed ends with every item exactly once.

Scoring runs in ``workers`` processes, each with one Detector built once;
the reader keeps at most a few batches in flight, so memory does not grow
with the size of the exports (the duplicate set holds 8 bytes of hash and a
reference per distinct item).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import logging
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from hypecheck.errors import HypecheckError, InputError
from hypecheck.sources.exports import expand_exports, iter_export
from hypecheck.sources.feeds import strip_tags
from hypecheck.types import Document, LoadIssue

log = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv", "parquet")
SUMMARY_SCHEMA = "hypecheck.scan-summary/1"
#: Columns of the CSV and Parquet outputs, in order.
FLAT_COLUMNS = ("source", "item", "id", "title", "link", "published", "language", "risk", "probability", "band",
                "top_categories", "findings", "status", "error", "duplicate_of", "feed", "export", "warnings")
EXIT_OK = 0
EXIT_BAD_INPUT = 2
#: Documents sent to a worker process per task.
BATCH_SIZE = 8
#: Tasks in flight per worker process (bounds memory: workers x this x BATCH_SIZE items).
TASKS_PER_WORKER = 8
#: Seconds between fsyncs of the journal (each row is written to the OS at once).
FSYNC_INTERVAL = 2.0


@dataclass
class ScanOptions:
    """What to scan and how; the fields mirror ``hypecheck scan``'s options.

    ``model`` is a model directory, None for the bundled model, or False
    for rules only. ``fmt`` None takes the format from the ``out`` suffix
    (``.csv``, ``.parquet``), else JSONL. ``workers`` None uses every core.
    """

    exports: Sequence[str]
    out: str
    fmt: str | None = None
    workers: int | None = None
    resume: bool = False
    summary_path: str | None = None
    strict: bool = False
    progress: bool = False
    model: Any = None
    extra_rules: Sequence[str] = ()
    disabled: Sequence[str] = ()
    bands: tuple[int, int] | None = None
    lang: str | None = None
    encoding: str | None = None
    batch_size: int = BATCH_SIZE


# -- summary -----------------------------------------------------------------------------------
@dataclass
class ExportStats:
    """Counts for one export (feed or CSV file)."""

    export: str
    label: str
    feed: str | None = None
    scored: int = 0
    duplicates: int = 0
    errors: int = 0
    risk_sum: int = 0
    bands: dict[str, int] = field(default_factory=lambda: {"low": 0, "elevated": 0, "high": 0})
    failure: str | None = None  # why the export as a whole could not be (fully) read
    parse_warning: str | None = None  # a feed-level warning (W006 not well-formed, W007 encoding)

    @property
    def items(self) -> int:
        """Item rows (the export-level error row of an unreadable export is not an item)."""
        return self.scored + self.duplicates + self.errors - (1 if self.failure else 0)

    @property
    def mean_risk(self) -> float | None:
        return round(self.risk_sum / self.scored, 1) if self.scored else None

    def add(self, row: dict[str, Any]) -> None:
        status = row.get("status")
        if row.get("feed") and not self.feed:
            self.feed = row["feed"]
        if status == "scored":
            self.scored += 1
            self.risk_sum += int(row.get("risk") or 0)
            band = row.get("band") or "low"
            self.bands[band] = self.bands.get(band, 0) + 1
            if self.parse_warning is None:
                self.parse_warning = next((w for w in row.get("warnings") or () if w.startswith(("W006", "W007"))), None)
        elif status == "duplicate":
            self.duplicates += 1
        else:
            self.errors += 1
            if not row.get("item"):
                self.failure = row.get("error") or "unreadable"

    def to_dict(self) -> dict[str, Any]:
        return {"export": self.export, "label": self.label, "feed": self.feed, "items": self.items,
                "scored": self.scored, "duplicates": self.duplicates, "errors": self.errors,
                "mean_risk": self.mean_risk, "high": self.bands.get("high", 0),
                "elevated": self.bands.get("elevated", 0), "low": self.bands.get("low", 0),
                "unreadable": self.failure, "parse_warning": self.parse_warning}


@dataclass
class ScanSummary:
    """What a scan did; ``read == scored + duplicates + errors`` always holds (one row each)."""

    out: str
    fmt: str
    workers: int
    exports: dict[str, ExportStats] = field(default_factory=dict)
    resumed_rows: int = 0
    elapsed: float = 0.0
    new_rows: int = 0
    stopped_early: str | None = None
    journal: str | None = None

    def stats(self, export: str) -> ExportStats:
        stats = self.exports.get(export)
        if stats is None:
            stats = self.exports[export] = ExportStats(export, _label(export))
        return stats

    def add(self, row: dict[str, Any]) -> None:
        self.stats(row["export"]).add(row)

    @property
    def scored(self) -> int:
        return sum(s.scored for s in self.exports.values())

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.exports.values())

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.exports.values())

    @property
    def read(self) -> int:
        return self.scored + self.duplicates + self.errors

    @property
    def unreadable(self) -> list[ExportStats]:
        return [s for s in self.exports.values() if s.failure]

    @property
    def exit_code(self) -> int:
        """0, or 2 when an export could not be read (fully) or ``--strict`` stopped the scan."""
        return EXIT_BAD_INPUT if self.unreadable or self.stopped_early else EXIT_OK

    @property
    def items_per_second(self) -> float:
        return round(self.new_rows / self.elapsed, 1) if self.elapsed > 0 else 0.0

    def band_counts(self) -> dict[str, int]:
        total = {"low": 0, "elevated": 0, "high": 0}
        for s in self.exports.values():
            for band, n in s.bands.items():
                total[band] = total.get(band, 0) + n
        return total

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SUMMARY_SCHEMA, "read": self.read, "scored": self.scored, "duplicates": self.duplicates,
            "errors": self.errors, "unreadable_exports": len(self.unreadable), "bands": self.band_counts(),
            "rows_this_run": self.new_rows, "rows_from_earlier_run": self.resumed_rows,
            "elapsed_s": round(self.elapsed, 2), "items_per_s": self.items_per_second, "workers": self.workers,
            "out": self.out, "format": self.fmt, "journal": self.journal, "stopped_early": self.stopped_early,
            "exit_code": self.exit_code, "exports": [s.to_dict() for s in self.exports.values()],
        }

    def to_text(self, max_unreadable: int = 25) -> str:
        """A plain-text report for stderr."""
        lines = [f"scan: read {self.read:,} = {self.scored:,} scored + {self.duplicates:,} duplicates + "
                 f"{self.errors:,} errors ({len(self.unreadable)} of them unreadable exports)"]
        lines.append(f"  this run: {self.new_rows:,} rows in {self.elapsed:.1f} s ({self.items_per_second:,} items/s, "
                     f"{self.workers} worker{'s' if self.workers != 1 else ''})"
                     + (f"; {self.resumed_rows:,} rows kept from the earlier run" if self.resumed_rows else ""))
        bands = self.band_counts()
        lines.append(f"  bands: {bands['low']:,} low, {bands['elevated']:,} elevated, {bands['high']:,} high")
        lines.append(f"  output: {self.out} ({self.fmt})" + (f"; journal {self.journal}" if self.journal else ""))
        if self.stopped_early:
            lines.append(f"  stopped early (--strict): {self.stopped_early}")
        readable = [s for s in self.exports.values() if s.items or not s.failure]
        if readable:
            width = min(60, max(len(s.label) for s in readable))
            lines.append("")
            lines.append(f"  {'export':<{width}} {'items':>6} {'scored':>6} {'dup':>5} {'err':>5} {'mean risk':>9} {'high':>5}")
            for s in readable:
                label = s.label if len(s.label) <= width else "…" + s.label[-(width - 1):]
                mean = f"{s.mean_risk:.1f}" if s.mean_risk is not None else "-"
                lines.append(f"  {label:<{width}} {s.items:>6,} {s.scored:>6,} {s.duplicates:>5,} {s.errors:>5,} "
                             f"{mean:>9} {s.bands.get('high', 0):>5,}")
        def listing(heading: str, messages: list[str], more: str) -> None:
            if messages:
                lines.extend(["", f"  {heading}:"])
                lines.extend(f"    {m}" for m in messages[:max_unreadable])
                if len(messages) > max_unreadable:
                    lines.append(f"    … and {len(messages) - max_unreadable} more{more}")

        warned = [s.parse_warning for s in self.exports.values() if s.parse_warning]
        listing(f"exports parsed with warnings ({len(warned)}; their rows carry the warning)", warned, "")
        bad = [s.failure for s in self.exports.values() if s.failure]
        listing(f"unreadable exports ({len(bad)}; each has an error row)", bad, " (see the rows with item 0)")
        return "\n".join(lines)


def _label(path: str) -> str:
    """A short display name for an export: relative to the working directory when under it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# -- rows ----------------------------------------------------------------------------------------
def _scan_fields(doc: Document, status: str) -> dict[str, Any]:
    meta = doc.meta
    return {"status": status, "export": meta["export"], "item": meta["item"], "key": meta["key"],
            "link": meta.get("link"), "published": meta.get("published"), "feed": meta.get("feed")}


def scored_row(doc: Document, assessment_dict: dict[str, Any]) -> dict[str, Any]:
    """The row of a scored item: scan fields, then the Assessment."""
    row = _scan_fields(doc, "scored")
    row.update(assessment_dict)
    return row


def error_row(doc: Document, reason: str, code: str) -> dict[str, Any]:
    row = _scan_fields(doc, "error")
    row.update({"id": doc.id, "source": doc.source, "title": doc.title, "error": reason, "code": code})
    return row


def duplicate_row(doc: Document, first: str) -> dict[str, Any]:
    row = _scan_fields(doc, "duplicate")
    row.update({"id": doc.id, "source": doc.source, "title": doc.title, "duplicate_of": first})
    return row


def issue_row(issue: LoadIssue, export: str) -> dict[str, Any]:
    """The row of a LoadIssue: a whole export (item 0) or one unreadable item."""
    item = int(issue.item) if issue.item and issue.item.isdigit() else 0
    return {"status": "error", "export": export, "item": item, "key": None, "link": None, "published": None,
            "feed": None, "id": None, "source": _label(export), "title": None, "error": issue.reason, "code": issue.code}


def flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """A journal row as a flat table row (:data:`FLAT_COLUMNS`)."""
    scored = row.get("status") == "scored"
    return {
        "source": row.get("source"), "item": row.get("item"), "id": row.get("id") or row.get("key"),
        "title": row.get("title"), "link": row.get("link"), "published": row.get("published"),
        "language": row.get("language"), "risk": row.get("risk"), "probability": row.get("probability"),
        "band": row.get("band"),
        "top_categories": ";".join(list(row.get("categories") or {})[:3]) if scored else None,
        "findings": len(row.get("findings") or ()) if scored else None,
        "status": row.get("status"), "error": row.get("error"), "duplicate_of": row.get("duplicate_of"),
        "feed": row.get("feed"), "export": row.get("export"),
        "warnings": " | ".join(row.get("warnings") or ()) if scored else None,
    }


# -- scoring (in worker processes or inline) ------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _make_detector(model: Any, extra_rules: Sequence[str], disabled: Sequence[str], bands: tuple[int, int] | None) -> Any:
    from hypecheck.detector import Detector

    return Detector(model, extra_rules=list(extra_rules), disabled=list(disabled), bands=bands)


def _watch_parent(pid: int) -> None:
    """Exit this worker when the scan process is gone (e.g. killed with SIGKILL)."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat", "rb") as fh:  # a killed but unreaped parent is a zombie
                if fh.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                    raise ProcessLookupError
        except FileNotFoundError:
            pass  # no /proc: os.kill alone decides
        except (ProcessLookupError, PermissionError):
            os._exit(1)


def _init_worker(parent: int, model: Any, extra_rules: Sequence[str], disabled: Sequence[str],
                 bands: tuple[int, int] | None, lang: str | None) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan process's to handle
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="hypecheck-parent-watch").start()
    _WORKER["detector"] = _make_detector(model, extra_rules, disabled, bands)
    _WORKER["lang"] = lang


def score_rows(detector: Any, docs: Sequence[Document], lang: str | None) -> list[dict[str, Any]]:
    """Score items together into rows (Detector.score_documents); a failure becomes that item's error row."""
    try:
        results = detector.score_documents([(doc, lang) for doc in docs])
    except Exception:  # noqa: BLE001 - batch boundary: one bad item must not end a scan of thousands
        results = []
        for doc in docs:  # something failed for the batch as a whole: score one by one to place it
            try:
                results.append(detector.score_document(doc, lang=lang))
            except Exception as exc:  # noqa: BLE001
                results.append(exc)
    rows = []
    for doc, result in zip(docs, results):
        if isinstance(result, HypecheckError):
            rows.append(error_row(doc, result.args[0], result.code))
        elif isinstance(result, Exception):
            log.error("%s: item %s: internal error while scoring", doc.source, doc.meta.get("item"), exc_info=result)
            rows.append(error_row(doc, f"{doc.source}: item {doc.meta.get('item')}: internal error while scoring "
                                       f"({type(result).__name__}: {result})", "E099"))
        else:
            rows.append(scored_row(doc, result.to_dict()))
    return rows


def _score_batch(docs: list[Document]) -> list[dict[str, Any]]:
    return score_rows(_WORKER["detector"], docs, _WORKER["lang"])


# -- journal -------------------------------------------------------------------------------------
def _key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class Journal:
    """An append-only JSONL file of rows: one unbuffered write per row, fsync every few seconds."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._last_sync = time.monotonic()

    def open(self) -> None:
        """Open for appending and take an exclusive lock (a second scan on the same file is refused)."""
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock
            pass
        except OSError:
            os.close(self._fd)
            self._fd = None
            raise InputError(f"{self.path}: another scan is writing to this file", code="E047") from None

    def clear(self) -> None:
        """Drop the rows of an earlier scan (a scan without --resume)."""
        os.ftruncate(self._fd, 0)  # type: ignore[arg-type]

    def read_back(self) -> Iterator[dict[str, Any]]:
        """Yield the rows already in the journal, then cut off a torn last line (call after :meth:`open`)."""
        good_end = 0
        with open(self.path, "rb") as fh:
            line_no = 0
            for line in fh:
                line_no += 1
                try:
                    row = json.loads(line) if line.endswith(b"\n") else None
                except ValueError:
                    row = None
                if row is None or not isinstance(row, dict) or "status" not in row or "export" not in row:
                    if fh.read(1):  # not the last line: the journal was changed by something else
                        raise InputError(f"{self.path}: line {line_no} is not a scan row; cannot resume safely "
                                         "(remove the line, or scan again without --resume)", code="E046")
                    log.warning("%s: dropped a torn last line (%d bytes) left by an interrupted scan", self.path, len(line))
                    break
                good_end += len(line)
                yield row
        if good_end < os.fstat(self._fd).st_size:  # type: ignore[arg-type]
            os.ftruncate(self._fd, good_end)  # type: ignore[arg-type]

    def write(self, row: dict[str, Any]) -> None:
        data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)  # type: ignore[arg-type]
            view = view[n:]
        now = time.monotonic()
        if now - self._last_sync > FSYNC_INTERVAL:
            os.fsync(self._fd)  # type: ignore[arg-type]
            self._last_sync = now

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None


def _stdout_closed() -> InputError:
    """The reader of stdout went away (``| head``): silence stdout and say so once."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # later flushes (also at exit) go nowhere instead of failing
    os.close(devnull)
    return InputError("stdout was closed before the scan ended (broken pipe); the scan stopped", code="E049")


class _StdoutSink:
    """JSONL rows straight to stdout (``--out -``)."""

    path = "-"

    def write(self, row: dict[str, Any]) -> None:
        try:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            raise _stdout_closed() from None

    def close(self) -> None:
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _stdout_closed()


# -- conversion ------------------------------------------------------------------------------------
def _journal_rows(path: str) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as fh:
        for line in fh:
            if line.endswith(b"\n"):
                yield json.loads(line)


def write_csv(rows: Iterable[dict[str, Any]], fh: io.TextIOBase) -> int:
    writer = csv.DictWriter(fh, fieldnames=list(FLAT_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in flat_row(row).items()})
        n += 1
    return n


def write_parquet(rows: Iterable[dict[str, Any]], target: Any, batch_rows: int = 5000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("source", pa.string()), ("item", pa.int64()), ("id", pa.string()), ("title", pa.string()),
        ("link", pa.string()), ("published", pa.string()), ("language", pa.string()), ("risk", pa.int16()),
        ("probability", pa.float64()), ("band", pa.string()), ("top_categories", pa.string()),
        ("findings", pa.int32()), ("status", pa.string()), ("error", pa.string()), ("duplicate_of", pa.string()),
        ("feed", pa.string()), ("export", pa.string()), ("warnings", pa.string()),
    ])
    n = 0
    with pq.ParquetWriter(target, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(flat_row(row))
            if len(batch) >= batch_rows:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or not n:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            n += len(batch)
    return n


def convert_journal(journal: str, out: str, fmt: str) -> int:
    """Write the rows of ``journal`` to ``out`` ('-' for stdout) as CSV or Parquet; return the row count."""
    rows = _journal_rows(journal)
    if out == "-":
        if fmt == "csv":
            return write_csv(rows, sys.stdout)  # type: ignore[arg-type]
        n = write_parquet(rows, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return n
    folder = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=".hypecheck-", suffix="." + fmt, dir=folder)
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the output gets the usual permissions
    try:
        if fmt == "csv":
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                n = write_csv(rows, fh)
        else:
            os.close(fd)
            n = write_parquet(rows, tmp)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return n


# -- the scan ----------------------------------------------------------------------------------------
def resolve_format(out: str, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else by the suffix of ``out``, else JSONL."""
    if fmt:
        if fmt not in FORMATS:
            raise InputError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}", code="E030")
        return fmt
    lower = out.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    return "jsonl"


class _Scanner:
    """One scan: reads exports, decides each item's fate, sends work out, writes rows."""

    def __init__(self, options: ScanOptions, summary: ScanSummary, sink: Any) -> None:
        self.options = options
        self.summary = summary
        self.sink = sink
        self.export_ids: dict[str, int] = {}
        self.export_names: list[str] = []
        self.done: set[int] = set()
        self.seen: dict[int, int] = {}
        self.bar: Any = None
        self.stop: str | None = None

    # references: (export, item) packed in one int
    def ref(self, export: str, item: int) -> int:
        eid = self.export_ids.get(export)
        if eid is None:
            eid = self.export_ids[export] = len(self.export_names)
            self.export_names.append(export)
        return (eid << 32) | (item & 0xFFFFFFFF)

    def ref_name(self, ref: int) -> str:
        return f"{self.export_names[ref >> 32]}#{ref & 0xFFFFFFFF}"

    def restore(self, rows: Iterable[dict[str, Any]]) -> int:
        """Take in the rows of an earlier run: which items are done, which keys were seen."""
        n = 0
        for row in rows:
            ref = self.ref(row["export"], int(row.get("item") or 0))
            self.done.add(ref)
            if row.get("key") and row.get("status") in ("scored", "error"):
                self.seen.setdefault(_key_hash(row["key"]), ref)
            self.summary.add(row)
            n += 1
        return n

    def emit(self, row: dict[str, Any]) -> None:
        self.sink.write(row)
        self.summary.add(row)
        self.summary.new_rows += 1
        if self.bar is not None:
            self.bar.update(1)
        if self.options.strict and row["status"] == "error" and self.stop is None:
            where = f"item {row['item']}" if row.get("item") else "the export"
            self.stop = f"{_label(row['export'])}: {where}: {row.get('error')}"

    def items(self, paths: Sequence[str], missing: Sequence[LoadIssue]) -> Iterator[Document | dict[str, Any]]:
        """The Documents to score, in order, and between them the rows of the items that need no
        scoring (duplicates, errors); items a resumed scan has done already are skipped."""
        for issue in missing:
            export = os.path.abspath(issue.source)
            if self.ref(export, 0) not in self.done:
                yield issue_row(issue, export)
            if self.stop:
                return
        for n, path in enumerate(paths, 1):
            if self.bar is not None:
                self.bar.set_postfix_str(f"export {n}/{len(paths)}", refresh=False)
            for item in iter_export(path, label=_label(path), encoding=self.options.encoding):
                if isinstance(item, LoadIssue):
                    row = issue_row(item, path)
                    if self.ref(path, row["item"]) not in self.done:
                        yield row
                else:
                    ref = self.ref(path, item.meta["item"])
                    if ref in self.done:
                        continue
                    if not (item.title or "").strip() and not strip_tags(item.text):
                        yield error_row(item, f"{item.source}: item {item.meta['item']}: no title and no text", "E003")
                    else:
                        key = _key_hash(item.meta["key"])
                        first = self.seen.get(key)
                        if first is not None:
                            yield duplicate_row(item, self.ref_name(first))
                        else:
                            self.seen[key] = ref
                            yield item
                if self.stop:
                    return

    def run_inline(self, entries: Iterable[Document | dict[str, Any]], detector: Any) -> None:
        """Score in the scan process, batch_size items at a time; rows are written in item order."""
        waiting: list[Document | dict[str, Any]] = []  # the batch's items, and rows that came between them
        docs: list[Document] = []
        for entry in itertools.chain(entries, [None]):
            if entry is not None:
                waiting.append(entry)
                if isinstance(entry, Document):
                    docs.append(entry)
                if len(docs) < max(1, self.options.batch_size) and len(waiting) < 64:
                    continue
            scored = iter(score_rows(detector, docs, self.options.lang))
            for item in waiting:
                self.emit(next(scored) if isinstance(item, Document) else item)
                if self.stop:
                    return
            waiting, docs = [], []

    def run_pool(self, entries: Iterable[Document | dict[str, Any]], workers: int, ctx: Any) -> None:
        """Score on a pool of worker processes, batch_size items per task; rows come in as tasks finish."""
        o = self.options
        pending: set[Future] = set()
        limit = workers * TASKS_PER_WORKER

        def collect(block: bool) -> None:
            done, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
            for fut in done:
                pending.discard(fut)
                try:
                    rows = fut.result()
                except BrokenProcessPool:
                    raise InputError("a worker process died (out of memory?); the rows written so far are kept: "
                                     "run the same command again with --resume", code="E048") from None
                for row in rows:
                    self.emit(row)

        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(os.getpid(), o.model, list(o.extra_rules), list(o.disabled), o.bands, o.lang))
        try:
            batch: list[Document] = []
            for doc in entries:
                if not isinstance(doc, Document):  # a row of an item that needs no scoring
                    self.emit(doc)
                    if self.stop:
                        break
                    continue
                batch.append(doc)
                if len(batch) >= max(1, o.batch_size):
                    while len(pending) >= limit:
                        collect(block=True)
                    pending.add(pool.submit(_score_batch, batch))
                    batch = []
                    if pending:
                        collect(block=False)
                if self.stop:
                    break
            if batch and not self.stop:
                pending.add(pool.submit(_score_batch, batch))
            while pending and not self.stop:
                collect(block=True)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def pool_context() -> Any:
    """The multiprocessing context of the scan's workers, its server started already.

    Workers fork from a *forkserver* that has imported spaCy and built the
    pipelines once (:mod:`hypecheck.scan_preload`); ``spawn`` where there is
    no forkserver. Not ``fork``: the scan process may run other threads (a
    host application's, numpy's), and forking those is unsafe. The server is
    started here, before the scan process imports spaCy itself, so that the
    two run at the same time on two cores and the workers are ready about
    when an inline scan would have built its own pipelines.
    """
    import multiprocessing

    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # no forkserver on this platform
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(["hypecheck.scan_preload"])
    try:
        from multiprocessing import forkserver

        forkserver.ensure_running()  # returns at once; the server imports in the background
    except Exception as exc:  # noqa: BLE001 - only an early start: the pool starts the server itself
        log.debug("could not start the forkserver early: %s", exc)
    return ctx


def run_scan(options: ScanOptions) -> ScanSummary:
    """Scan the exports of ``options`` and write one row per item; return the summary.

    Raises
    ------
    HypecheckError
        For bad options (``--resume`` with ``--out -``, an unknown format),
        a model or rule file that cannot be loaded, a journal that is not
        ours, or a worker process that died. Unreadable exports and items
        never raise: they become error rows.

    Examples
    --------
    >>> summary = run_scan(ScanOptions(exports=["feeds/"], out="results.jsonl", workers=2))  # doctest: +SKIP
    >>> summary.read == summary.scored + summary.duplicates + summary.errors                # doctest: +SKIP
    True
    """
    fmt = resolve_format(options.out, options.fmt)
    to_stdout = options.out == "-"
    if options.resume and to_stdout:
        raise InputError("--resume needs an --out file: rows written to stdout cannot be read back", code="E045")
    if options.workers:
        workers = max(1, int(options.workers))
    else:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    ctx = pool_context() if workers > 1 else None  # before the import of spaCy below, to overlap the two
    detector = _make_detector(options.model, options.extra_rules, options.disabled, options.bands)  # fail early on a bad model
    paths, missing = expand_exports(options.exports)

    tmpdir = None
    if fmt == "jsonl" and to_stdout:
        journal_path = None
    elif fmt == "jsonl":
        journal_path = options.out
    elif to_stdout:
        tmpdir = tempfile.mkdtemp(prefix="hypecheck-scan-")
        journal_path = os.path.join(tmpdir, "journal.jsonl")
    else:
        journal_path = options.out + ".journal.jsonl"
    summary = ScanSummary(out=options.out, fmt=fmt, workers=workers,
                          journal=journal_path if journal_path not in (None, options.out) and not tmpdir else None)
    for issue in missing:  # the summary lists exports in the order given
        summary.stats(os.path.abspath(issue.source))
    for path in paths:
        summary.stats(path)
    sink: Any
    scanner = _Scanner(options, summary, None)
    if journal_path is None:
        sink = _StdoutSink()
    else:
        journal = Journal(journal_path)
        try:
            journal.open()
        except OSError as exc:
            raise InputError(f"{journal_path}: cannot write the output ({exc.strerror or exc})", code="E002") from None
        try:
            if options.resume:
                summary.resumed_rows = scanner.restore(journal.read_back())
                if summary.resumed_rows:
                    log.info("%s: %d rows from an earlier run kept; their items are skipped", journal_path,
                             summary.resumed_rows)
            elif os.path.getsize(journal_path):
                log.warning("%s: overwriting the rows of an earlier scan (use --resume to continue it)", journal_path)
                journal.clear()
        except BaseException:
            journal.close()
            raise
        sink = journal
    scanner.sink = sink
    started = time.monotonic()
    try:
        if options.progress:
            from tqdm import tqdm

            scanner.bar = tqdm(desc="scan", unit=" items", file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
        docs = scanner.items(paths, missing)
        if workers == 1:
            scanner.run_inline(docs, detector)
        else:
            del detector
            scanner.run_pool(docs, workers, ctx)
    finally:
        sink.close()
        if scanner.bar is not None:
            scanner.bar.close()
        summary.elapsed = time.monotonic() - started
    summary.stopped_early = scanner.stop
    try:
        if fmt != "jsonl" and journal_path is not None:
            convert_journal(journal_path, options.out, fmt)
    except BrokenPipeError:
        raise _stdout_closed() from None
    except OSError as exc:
        raise InputError(f"{options.out}: cannot write the {fmt} output ({exc.strerror or exc}); the rows are kept in "
                         f"{journal_path}: fix the problem and run again with --resume", code="E002") from None
    finally:
        if tmpdir:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)
    if options.summary_path:
        try:
            with open(options.summary_path, "w", encoding="utf-8") as fh:
                json.dump(summary.to_dict(), fh, ensure_ascii=False, indent=2)
                fh.write("\n")
        except OSError as exc:
            raise InputError(f"{options.summary_path}: cannot write the summary ({exc.strerror or exc})", code="E002") from None
    return summary
