"""Harvest state and the durable spool (sqlite3, ``Settings.catalog_db``, WAL).

Per source, the state row says where a harvest stands:

* ``committed_from``: the ``responseDate`` of the last harvest whose records were all
  indexed; the next incremental harvest asks ``from`` it;
* ``run_date`` / ``token`` / ``page``: the run under way (its first page's
  ``responseDate``, the resumptionToken of the next page, pages done so far).

Each page's raw ``<record>`` XML is written to the spool **in the same transaction** that
advances the token, so a crash at any point loses nothing: the next run first replays
the spool, then asks for the page after the last one stored. Spooled records stay until
:meth:`HarvestState.commit` (called once the indexer has committed them), so a crash
between harvest and index replays them too (re-indexing is idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.sqlite import connect, write

__all__ = ["HarvestState", "RunState", "SpooledRecord"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvest_state (
    source TEXT PRIMARY KEY, committed_from TEXT NOT NULL DEFAULT '',
    run_date TEXT NOT NULL DEFAULT '', token TEXT NOT NULL DEFAULT '',
    page INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS harvest_spool (
    source TEXT NOT NULL, page INTEGER NOT NULL, seq INTEGER NOT NULL,
    identifier TEXT NOT NULL, datestamp TEXT NOT NULL, deleted INTEGER NOT NULL,
    xml BLOB NOT NULL, PRIMARY KEY (source, page, seq));
"""


@dataclass(frozen=True, slots=True)
class RunState:
    """Where a source's harvest stands (see the module docstring)."""

    source: str
    committed_from: str = ""
    run_date: str = ""
    token: str = ""
    page: int = 0
    finished: bool = False

    @property
    def in_progress(self) -> bool:
        """A run started and not finished: resume it from ``token``."""
        return bool(self.token) and not self.finished


@dataclass(frozen=True, slots=True)
class SpooledRecord:
    """One harvested ``<record>`` as stored: header facts and its raw XML."""

    page: int
    seq: int
    identifier: str
    datestamp: str
    deleted: bool
    xml: bytes


class HarvestState:
    """The harvest tables of one sqlite database."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = connect(path, synchronous="FULL", row_factory=None)
        self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> HarvestState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, source: str) -> RunState:
        row = self.conn.execute(
            "SELECT source, committed_from, run_date, token, page, finished "
            "FROM harvest_state WHERE source = ?",
            (source,),
        ).fetchone()
        if row is None:
            return RunState(source)
        return RunState(row[0], row[1], row[2], row[3], row[4], bool(row[5]))

    def _put(self, state: RunState) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO harvest_state VALUES (?, ?, ?, ?, ?, ?)",
            (
                state.source,
                state.committed_from,
                state.run_date,
                state.token,
                state.page,
                int(state.finished),
            ),
        )

    def store_page(
        self, state: RunState, records: Iterable[tuple[str, str, bool, bytes]]
    ) -> RunState:
        """Spool one page's records and advance to ``state`` in one transaction."""
        with write(self.conn):
            self.conn.executemany(
                "INSERT OR REPLACE INTO harvest_spool VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (state.source, state.page, seq, ident, stamp, int(deleted), xml)
                    for seq, (ident, stamp, deleted, xml) in enumerate(records)
                ],
            )
            self._put(state)
        return state

    def finish(self, state: RunState) -> RunState:
        """Mark the run complete (all pages spooled); ``commit`` still to come."""
        done = RunState(state.source, state.committed_from, state.run_date, "", state.page, True)
        self._put(done)
        return done

    def restart(self, source: str) -> RunState:
        """Forget the run under way (its token expired); spool and page numbers are kept."""
        old = self.get(source)
        fresh = RunState(source, old.committed_from, "", "", old.page, False)
        self._put(fresh)
        return fresh

    def spooled(self, source: str, after_page: int = -1) -> Iterator[SpooledRecord]:
        """Spooled records of ``source`` in harvest order (pages after ``after_page``)."""
        rows = self.conn.execute(
            "SELECT page, seq, identifier, datestamp, deleted, xml FROM harvest_spool "
            "WHERE source = ? AND page > ? ORDER BY page, seq",
            (source, after_page),
        )
        for page, seq, ident, stamp, deleted, xml in rows:
            yield SpooledRecord(page, seq, ident, stamp, bool(deleted), bytes(xml))

    def spool_size(self, source: str) -> int:
        query = "SELECT count(*) FROM harvest_spool WHERE source = ?"
        return self.conn.execute(query, (source,)).fetchone()[0]

    def commit(self, source: str) -> RunState:
        """The indexer has the records: empty the spool; next ``from`` = this run's date.

        Only a finished run moves ``committed_from``; committing during an unfinished run
        just empties the spool (its pages are indexed) and keeps the token.
        """
        state = self.get(source)
        with write(self.conn):
            self.conn.execute("DELETE FROM harvest_spool WHERE source = ?", (source,))
            if state.finished:
                state = RunState(source, state.run_date or state.committed_from)
            self._put(state)
        return state

    def reset(self, source: str) -> None:
        """Forget everything about ``source`` (next harvest is a full one)."""
        self.conn.execute("DELETE FROM harvest_spool WHERE source = ?", (source,))
        self.conn.execute("DELETE FROM harvest_state WHERE source = ?", (source,))
