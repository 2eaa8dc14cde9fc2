"""Usage events are buffered and written by a background thread (search_app.usage_store):
reads see them at once, and a clean end (close, process exit) loses none."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from search_app.usage_store import UsageEvent, UsageStore

ROOT = Path(__file__).resolve().parents[2]


def _event(n: int) -> UsageEvent:
    return UsageEvent("search", "211010", "", f"s{n}", channel="portal")


def _written(path: Path) -> int:
    """Events in the file, read by another (unbuffered) store."""
    reader = UsageStore(path)
    try:
        return len(list(reader.events("2000-01", "2999-12")))
    finally:
        reader.close()


def test_buffered_events_are_written_by_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path, flush_seconds=0.05)
    for n in range(5):
        assert store.add(_event(n))
    deadline = time.monotonic() + 5
    while _written(path) < 5:
        assert time.monotonic() < deadline, "the writer thread never wrote"
        time.sleep(0.02)
    assert _written(path) == 5
    store.close()


def test_reads_through_the_store_see_its_buffer(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path, flush_seconds=3600)
    for n in range(3):
        store.add(_event(n))
    assert _written(path) == 0  # still in memory
    assert [row["session"] for row in store.events("2000-01", "2999-12")] == ["s0", "s1", "s2"]
    assert _written(path) == 3
    store.close()


def test_close_writes_what_is_left(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path, flush_seconds=3600)
    for n in range(4):
        store.add(_event(n))
    store.close()
    assert _written(path) == 4


def test_the_end_of_the_process_writes_what_is_left(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    script = (
        "from search_app.usage_store import UsageEvent, UsageStore\n"
        f"store = UsageStore({str(path)!r}, flush_seconds=3600)\n"
        "for n in range(7):\n"
        "    store.add(UsageEvent('search', '', '', f's{n}'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0
    assert _written(path) == 7


def test_events_are_stamped_when_captured_not_when_written(tmp_path: Path) -> None:
    store = UsageStore(tmp_path / "usage.sqlite3", flush_seconds=3600)
    store.add(_event(0))
    time.sleep(0.2)
    store.add(_event(1))
    first, second = [
        datetime.fromisoformat(row["at"]) for row in store.events("2000-01", "2999-12")
    ]
    assert (second - first).total_seconds() >= 0.2  # both were written together
    store.close()


def test_an_unbuffered_store_writes_each_event_at_once(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    store = UsageStore(path)
    store.add(_event(0))
    assert _written(path) == 1
    store.close()
