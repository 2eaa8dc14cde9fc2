"""The usage-event store: one sqlite3 file (WAL) under the data dir, ``usage.sqlite3``.

Every captured event is one row. A store made with ``flush_seconds`` (the web app's:
:func:`search_app.usage.get_store`) keeps the rows in memory, stamped when captured, and
a background thread writes them every ``flush_seconds`` in one transaction; a page then
never waits for sqlite, nor for the write lock another worker holds (at ~1,300 searches a
second, a row per request kept the workers queueing on that lock). Reads through the
store write its buffer first; :meth:`UsageStore.close` and the end of the process
(``atexit``: a gunicorn worker's graceful exit, ``efirst serve`` stopped) write what is
left, so a clean shutdown loses nothing; a killed process loses at most the last
``flush_seconds``. Without ``flush_seconds`` each event is one short autocommit
``INSERT`` (``synchronous=NORMAL``: tens of microseconds). A write that fails (disk
full, a lock held too long by another worker) is logged and dropped: statistics never
break a patron's page.

Event kinds (:data:`KINDS`), and the COUNTER metrics they feed (:mod:`search_app.counter`):

=================  ==========================================================
``search``         a search run by a patron (portal or API) → Searches_Platform
``investigation``  a record viewed (portal page, API record, export) → *_Investigations
``request``        a full-text link followed through ``/go`` → *_Requests
``denial``         full text wanted but not licensed to the patron's library → No_License
=================  ==========================================================

ILL requests are not logged here: reports read them from the router's ledger.

``session`` is a keyed hash of the client address, its user agent and the hour (the
COUNTER fallback for sessions without a login), so no address is stored. Times are UTC;
``month`` is the UTC month of the event.
"""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from indexer.sqlite import ThreadConnections

__all__ = ["ACCESS_TYPES", "FILE_NAME", "KINDS", "TitleInfo", "UsageEvent", "UsageStore"]

log = logging.getLogger(__name__)

FILE_NAME = "usage.sqlite3"
KINDS = ("search", "investigation", "request", "denial")
ACCESS_TYPES = ("Controlled", "Open")

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,                       -- UTC, ISO 8601 with microseconds
    month TEXT NOT NULL,                    -- YYYY-MM (UTC)
    kind TEXT NOT NULL,                     -- search / investigation / request / denial
    library TEXT NOT NULL DEFAULT '',       -- the patron's library ('' when unknown)
    record TEXT NOT NULL DEFAULT '',        -- cluster id, or 'cit:...' for a bare citation
    session TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',       -- portal / api / go / resolver
    access TEXT NOT NULL DEFAULT 'Controlled',
    detail TEXT NOT NULL DEFAULT ''         -- the URL followed, or why access was denied
);
CREATE INDEX IF NOT EXISTS usage_events_month ON usage_events (month, library);

CREATE TABLE IF NOT EXISTS usage_titles (
    record TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    data_type TEXT NOT NULL DEFAULT '',
    publisher TEXT NOT NULL DEFAULT '',
    doi TEXT NOT NULL DEFAULT '',
    isbn TEXT NOT NULL DEFAULT '',
    print_issn TEXT NOT NULL DEFAULT '',
    online_issn TEXT NOT NULL DEFAULT '',
    yop TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class UsageEvent:
    """One captured event (see the module docstring for ``kind``)."""

    kind: str
    library: str = ""
    record: str = ""
    session: str = ""
    channel: str = ""
    access: str = "Controlled"
    detail: str = ""
    at: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"usage event kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.access not in ACCESS_TYPES:
            raise ValueError(f"usage event access: {self.access!r} is not one of {ACCESS_TYPES}")


@dataclass(frozen=True, slots=True)
class TitleInfo:
    """What a Title Report shows about a record (kept so reports outlive the record)."""

    record: str
    title: str = ""
    data_type: str = ""
    publisher: str = ""
    doi: str = ""
    isbn: str = ""
    print_issn: str = ""
    online_issn: str = ""
    yop: str = ""


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_INSERT_EVENT = (
    "INSERT INTO usage_events (at, month, kind, library, record, session, channel, access,"
    " detail) VALUES (?,?,?,?,?,?,?,?,?)"
)


def _event_row(event: UsageEvent) -> tuple[str, ...]:
    """The ``usage_events`` row of ``event`` (stamped now when it has no time)."""
    stamp = _stamp(event.at or datetime.now(UTC))
    return (
        stamp,
        stamp[:7],
        event.kind,
        event.library,
        event.record,
        event.session,
        event.channel,
        event.access,
        event.detail[:2000],
    )


class UsageStore:
    """Usage events and title snapshots in one sqlite3 file (one connection per thread).

    Parameters
    ----------
    path:
        The database file (created with its directory when missing).
    busy_timeout_ms:
        How long a writer waits for another process's lock before dropping the event.
    flush_seconds:
        Above 0: events are buffered and written by a background thread this often (see
        the module docstring); 0: each :meth:`add` writes at once.
    """

    def __init__(
        self, path: str | Path, *, busy_timeout_ms: int = 2000, flush_seconds: float = 0.0
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_timeout_ms = busy_timeout_ms
        self.flush_seconds = flush_seconds
        self._db = ThreadConnections(self.path, timeout=busy_timeout_ms / 1000)
        self._db.get().executescript(SCHEMA)
        self._pending: list[tuple[str, ...]] = []
        self._pending_lock = threading.Lock()
        self._flusher: threading.Thread | None = None
        self._flusher_pid = 0
        self._stop = threading.Event()
        if flush_seconds > 0:
            _BUFFERED.add(self)

    def close(self) -> None:
        """Write the buffered events, stop the writer thread, close this thread's
        connection."""
        self._stop.set()
        flusher = self._flusher
        if flusher is not None and self._flusher_pid == os.getpid():
            flusher.join()
        self.flush()
        self._db.close()

    # -- writing -----------------------------------------------------------------------

    def add(self, event: UsageEvent) -> bool:
        """Store one event (buffered, or one autocommit INSERT); False when the write
        failed (logged)."""
        if self.flush_seconds > 0:
            row = _event_row(event)
            with self._pending_lock:
                if self._flusher_pid != os.getpid():  # first event, or a forked child
                    self._start_flusher()
                self._pending.append(row)
            return True
        try:
            self._db.get().execute(_INSERT_EVENT, _event_row(event))
        except sqlite3.Error:
            log.exception("usage: %s event for record %r not stored", event.kind, event.record)
            return False
        return True

    def _start_flusher(self) -> None:
        """(Under the buffer lock.) A parent's buffer is the parent's to write."""
        self._pending = []
        self._stop = threading.Event()
        self._flusher_pid = os.getpid()
        self._flusher = threading.Thread(
            target=self._write_every, name="efirst-usage-writer", daemon=True
        )
        self._flusher.start()

    def _write_every(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def flush(self) -> int:
        """Write the buffered events now, in one transaction; returns how many."""
        with self._pending_lock:
            if self._flusher_pid != os.getpid():
                return 0
            rows, self._pending = self._pending, []
        if not rows:
            return 0
        try:
            with self._db.write() as conn:
                conn.executemany(_INSERT_EVENT, rows)
        except sqlite3.Error:
            log.exception("usage: %d events not stored", len(rows))
            return 0
        return len(rows)

    def add_many(self, events: Iterable[UsageEvent]) -> int:
        """Store several events in one transaction (seeding, imports); returns the count."""
        rows = [_event_row(event) for event in events]
        with self._db.write() as conn:
            conn.executemany(_INSERT_EVENT, rows)
        return len(rows)

    def remember_title(self, info: TitleInfo) -> None:
        """Keep (or refresh) what reports show about ``info.record``; failures are logged."""
        try:
            self._db.get().execute(
                "INSERT OR REPLACE INTO usage_titles (record, title, data_type, publisher, doi,"
                " isbn, print_issn, online_issn, yop, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (*astuple(info), _stamp(datetime.now(UTC))),
            )
        except sqlite3.Error:
            log.exception("usage: title of record %r not stored", info.record)

    # -- reading -----------------------------------------------------------------------

    def events(
        self, first_month: str, last_month: str, library: str | None = None
    ) -> Iterator[sqlite3.Row]:
        """Events of the months ``first_month``..``last_month`` (``YYYY-MM``, inclusive),
        oldest first; only ``library``'s when given (buffered events are written first)."""
        self.flush()
        sql = "SELECT * FROM usage_events WHERE month BETWEEN ? AND ?"
        params: list[str] = [first_month, last_month]
        if library is not None:
            sql += " AND library = ?"
            params.append(library)
        yield from self._db.get().execute(sql + " ORDER BY at, id", params)

    def titles(self, records: Iterable[str]) -> dict[str, TitleInfo]:
        """The stored title snapshots of ``records`` (those known)."""
        self.flush()
        wanted = sorted(set(records))
        found: dict[str, TitleInfo] = {}
        names = [f.name for f in fields(TitleInfo)]
        conn = self._db.get()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT {', '.join(names)} FROM usage_titles WHERE record IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[row["record"]] = TitleInfo(*(row[n] for n in names))
        return found


#: Buffered stores of this process, written out when it ends.
_BUFFERED: weakref.WeakSet[UsageStore] = weakref.WeakSet()


@atexit.register
def _write_buffers() -> None:
    for store in list(_BUFFERED):
        store.flush()
