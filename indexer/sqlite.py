"""sqlite3 connections the way every efirst store opens them.

Each store (e-holdings, harvest state, the ledger, staff accounts, usage events, upload
jobs, delivery, suggestions, patron requests) keeps its data in one sqlite3 file. They all
open it alike, so the rules live here once:

- **WAL.** Readers never block the writer and the writer never blocks readers, across
  threads and processes (gunicorn workers, the CLI, the scheduler).
- **Autocommit** (``isolation_level=None``): a statement outside :func:`write` commits on
  its own; a group of statements that must stand or fall together goes in :func:`write`.
- **Write transactions take the lock first** (``BEGIN IMMEDIATE``). Two writers never both
  read and then both try to upgrade (a deferred transaction would then fail with
  ``SQLITE_BUSY`` instead of waiting); the second waits up to the busy timeout.
- **One connection per thread** (:class:`ThreadConnections`): sqlite3 connections must not
  be shared between threads, and opening one per statement costs more than the
  statement. A process forked after a connection was opened opens its own (sqlite forbids
  using a connection across ``fork``).

Examples
--------
>>> conn = connect(":memory:")
>>> with write(conn):
...     _ = conn.execute("CREATE TABLE t (n INTEGER)")
...     _ = conn.execute("INSERT INTO t VALUES (1)")
>>> conn.execute("SELECT n FROM t").fetchone()["n"]
1
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal

__all__ = ["ThreadConnections", "connect", "write"]

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
RowFactory = Callable[[sqlite3.Cursor, tuple[Any, ...]], Any]

MEMORY = ":memory:"

# Connections a forked child inherited from its parent: never used (sqlite forbids it) and
# never closed by the child (closing could disturb the parent's WAL), only kept referenced.
_inherited: list[sqlite3.Connection] = []


def connect(
    path: str | Path,
    *,
    timeout: float = 30.0,
    synchronous: Synchronous = "NORMAL",
    foreign_keys: bool = False,
    row_factory: RowFactory | None = sqlite3.Row,
    readonly: bool = False,
    check_same_thread: bool = True,
) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode, WAL journal, with a busy timeout.

    Parameters
    ----------
    path:
        The database file (its directory must exist), or ``":memory:"``.
    timeout:
        Seconds a statement waits for another connection's lock before
        ``sqlite3.OperationalError: database is locked`` (sqlite's busy timeout).
    synchronous:
        ``PRAGMA synchronous``. ``NORMAL`` (default) survives a crash of the process with
        every committed transaction; ``FULL`` also survives a power cut (one more fsync a
        commit).
    foreign_keys:
        Enforce ``REFERENCES`` constraints (``PRAGMA foreign_keys=ON``).
    row_factory:
        How rows come back; default :class:`sqlite3.Row` (by name and by index),
        ``None`` for plain tuples.
    readonly:
        Open the file read-only (``mode=ro``): no journal change, every write fails.
    check_same_thread:
        sqlite3's own guard against use from another thread; ``False`` only for a
        connection serialised by other means (the shared ``:memory:`` connection).

    Returns
    -------
    sqlite3.Connection
        The caller closes it (or leaves that to :class:`ThreadConnections`).

    Raises
    ------
    sqlite3.OperationalError
        The file cannot be opened (missing directory; missing file when ``readonly``).
    """
    if readonly:
        uri = Path(path).absolute().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=check_same_thread)
    else:
        conn = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=check_same_thread
        )
    conn.row_factory = row_factory
    if not readonly:
        if str(path) != MEMORY:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        if foreign_keys:
            conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``conn`` (opened by :func:`connect`): ``BEGIN IMMEDIATE``,
    then ``COMMIT`` when the block ends, ``ROLLBACK`` when it raises (the exception goes on).

    ``BEGIN IMMEDIATE`` takes the database's write lock before the block runs, so what the
    block reads stays true until it commits: writers from other threads and processes
    wait (up to the busy timeout) instead of interleaving.

    Raises
    ------
    sqlite3.OperationalError
        ``database is locked`` when another writer held the lock past the busy timeout;
        a transaction already open on ``conn`` (transactions do not nest).
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class ThreadConnections:
    """One :func:`connect` connection per thread to one database file.

    Parameters
    ----------
    path:
        The database file (its directory must exist). ``":memory:"`` gives one shared
        in-memory database (a connection per thread would give each thread its own,
        empty one); its users serialise their access themselves.
    **options:
        Passed to :func:`connect` (``timeout``, ``synchronous``, ``foreign_keys``,
        ``row_factory``).

    Examples
    --------
    >>> db = ThreadConnections(":memory:")
    >>> with db.write() as conn:
    ...     _ = conn.execute("CREATE TABLE t (n INTEGER)")
    >>> db.get().execute("SELECT count(*) FROM t").fetchone()[0]
    0
    >>> db.close()
    """

    def __init__(self, path: str | Path, **options: Any) -> None:
        self.path = path
        self.options = options
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        if str(path) == MEMORY:
            self._shared = connect(MEMORY, check_same_thread=False, **options)

    def get(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        if self._shared is not None:
            return self._shared
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid != os.getpid():
            _inherited.append(conn)
            conn = None
        if conn is None:
            conn = connect(self.path, **self.options)
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """:func:`write` on this thread's connection: ``with db.write() as conn: ...``."""
        return write(self.get())

    def close(self) -> None:
        """Close this thread's connection (and the shared in-memory one); other threads'
        connections close when their thread ends. The next :meth:`get` opens a new one."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            if self._local.pid == os.getpid():
                conn.close()
            self._local.conn = None
        if self._shared is not None:
            self._shared.close()
            self._shared = None
