"""Crash safety: a scan killed at any point and resumed ends with every item exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scan_helpers import assert_accounted, read_rows, synthetic_items, write_feed

from hypecheck.errors import HypecheckError
from hypecheck.sources.exports import expand_exports, iter_export
from hypecheck.types import Document


def view(rows: list[dict]) -> list[tuple]:
    return sorted((r["export"], r["item"], r["status"], r.get("risk"), r.get("key")) for r in rows)


def expected_refs(exports: list[Path]) -> set[tuple[str, int]]:
    """(export, item) of every row a complete scan must write, read straight from the loaders."""
    paths, missing = expand_exports([str(e) for e in exports])
    refs = {(os.path.abspath(m.source), 0) for m in missing}
    for path in paths:
        for x in iter_export(path):
            refs.add((path, x.meta["item"]) if isinstance(x, Document) else (path, int(x.item or 0)))
    return refs


@pytest.fixture
def exports(tmp_path: Path, fixtures_dir: Path) -> list[Path]:
    items = synthetic_items(0, 30)
    write_feed(tmp_path / "a.xml", items[:20])
    write_feed(tmp_path / "b.xml.gz", items[15:], gz=True)  # 5 duplicates of a.xml
    (tmp_path / "broken.xml").write_bytes(b"<rss><channel><title>x")
    return [tmp_path / "a.xml", tmp_path / "b.xml.gz", tmp_path / "broken.xml", fixtures_dir / "boersenbrief_de.rss",
            fixtures_dir / "export.csv"]


@pytest.fixture
def clean(scan, exports, tmp_path):
    summary, rows = scan(exports, out=tmp_path / "clean.jsonl")
    assert_accounted(summary, rows)
    return summary, rows


@pytest.mark.parametrize("keep", [0, 1, 9, 24, -1])
@pytest.mark.parametrize("torn", [False, True])
def test_resume_after_a_cut_journal_equals_a_clean_run(scan, exports, clean, tmp_path, keep, torn):
    _, clean_rows = clean
    lines = (tmp_path / "clean.jsonl").read_bytes().splitlines(keepends=True)
    keep = len(lines) + keep if keep < 0 else keep
    out = tmp_path / "cut.jsonl"
    data = b"".join(lines[:keep])
    if torn and keep < len(lines):
        data += lines[keep][: len(lines[keep]) // 2]  # the write that the kill interrupted
    out.write_bytes(data)
    summary, rows = scan(exports, out=out, resume=True)
    assert_accounted(summary, rows)
    assert view(rows) == view(clean_rows)
    assert summary.resumed_rows == keep
    assert summary.new_rows == len(clean_rows) - keep


def test_a_duplicate_row_written_before_its_original(scan, exports, clean, tmp_path):
    """With several workers a duplicate can be written while its original is still being scored.

    If the scan dies then, the original must still be scored on resume (the
    duplicate set is rebuilt from scored and error rows only).
    """
    _, clean_rows = clean
    dup = next(r for r in clean_rows if r["status"] == "duplicate")
    original_ref = dup["duplicate_of"]
    journal = [r for r in clean_rows if f"{r['export']}#{r['item']}" != original_ref]
    out = tmp_path / "partial.jsonl"
    out.write_text("".join(__import__("json").dumps(r, ensure_ascii=False) + "\n" for r in journal), encoding="utf-8")
    summary, rows = scan(exports, out=out, resume=True)
    assert_accounted(summary, rows)
    assert view(rows) == view(clean_rows)
    assert summary.new_rows == 1


def test_resume_of_a_finished_scan_writes_nothing(scan, exports, clean, tmp_path):
    summary, rows = scan(exports, out=tmp_path / "clean.jsonl", resume=True)
    assert summary.new_rows == 0 and summary.resumed_rows == len(rows) == len(clean[1])
    assert summary.read == len(rows)


def test_resume_of_csv_output_uses_the_sidecar_journal(scan, exports, clean, tmp_path):
    out = tmp_path / "res.csv"
    journal = Path(str(out) + ".journal.jsonl")
    lines = (tmp_path / "clean.jsonl").read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:10]) + lines[10][:7])
    summary, _ = scan(exports, out=out, resume=True)
    assert summary.resumed_rows == 10
    assert view(read_rows(journal)) == view(clean[1])
    import csv

    with out.open(encoding="utf-8", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == len(clean[1])


def test_resume_refuses_a_journal_it_did_not_write(scan, exports, tmp_path):
    out = tmp_path / "foreign.jsonl"
    out.write_text('{"status": "scored", "export": "x", "item": 1}\nnot json\n{"status": "error", "export": "x", "item": 2}\n')
    with pytest.raises(HypecheckError, match="line 2 is not a scan row"):
        scan(exports, out=out, resume=True)


# -- a real process, killed with SIGKILL ------------------------------------------------------------------
RUNNER = ("import sys\n"
          "from hypecheck.scan import ScanOptions, run_scan\n"
          "s = run_scan(ScanOptions(exports=sys.argv[3:], out=sys.argv[1], workers=2, model=False, batch_size=4,\n"
          "                         resume=sys.argv[2] == 'resume'))\n"
          "sys.exit(s.exit_code)\n")


def _descendants(pid: int) -> set[int]:
    """PIDs of all processes below ``pid`` (Linux /proc), e.g. the forkserver and the worker processes."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parents[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc process checks need Linux")
def test_sigkill_mid_scan_then_resume(tmp_path):
    items = synthetic_items(0, 800)
    exports = [write_feed(tmp_path / "big1.xml", items[:400]), write_feed(tmp_path / "big2.xml.gz", items[350:], gz=True),
               tmp_path / "empty.xml"]
    (tmp_path / "empty.xml").write_bytes(b"")
    out = tmp_path / "killed.jsonl"
    args = [sys.executable, "-c", RUNNER, str(out)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(args + ["fresh"] + [str(e) for e in exports], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_bytes().count(b"\n") >= 120:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the scan ended before it could be killed: " + proc.stderr.read().decode()[-2000:]
        workers = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    partial = out.read_bytes()
    written = partial.count(b"\n")
    assert 120 <= written < 851
    # the worker processes notice that the scan is gone and exit
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers), "worker processes outlived the killed scan"

    done = subprocess.run(args + ["resume"] + [str(e) for e in exports], env=env, capture_output=True, timeout=600)
    assert done.returncode == 2, done.stderr.decode()[-2000:]  # 2: empty.xml is unreadable
    rows = read_rows(out)
    refs = [(r["export"], r["item"]) for r in rows]
    assert len(refs) == len(set(refs)), "an item was written twice"
    assert set(refs) == expected_refs(exports), "an item was lost"
    statuses = [r["status"] for r in rows]
    assert statuses.count("duplicate") == 50  # items 350-399 are in both feeds
    assert statuses.count("error") == 1
    scored_keys = [r["key"] for r in rows if r["status"] == "scored"]
    assert len(scored_keys) == len(set(scored_keys)) == 800


@pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")
def test_a_second_scan_on_the_same_output_is_refused_and_changes_nothing(scan, exports, clean, tmp_path):
    from hypecheck.scan import Journal

    out = tmp_path / "clean.jsonl"
    before = out.read_bytes()
    running = Journal(str(out))
    running.open()  # another scan holds the file
    try:
        for resume in (False, True):
            with pytest.raises(HypecheckError, match="another scan is writing to this file"):
                scan(exports, out=out, resume=resume)
    finally:
        running.close()
    assert out.read_bytes() == before
