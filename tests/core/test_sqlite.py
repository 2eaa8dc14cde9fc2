"""indexer.sqlite: WAL, write transactions that serialise across threads and processes,
rollback of a failed block, one connection per thread."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer.sqlite import ThreadConnections, connect, write

ROUNDS = 40

# Read the counter, give the other writer time to run, write it back plus one: without a
# lock taken up front, two writers both read n and both write n + 1 (or one of them fails).
INCREMENT = """
import sys, time
from indexer.sqlite import connect, write
conn = connect(sys.argv[1], timeout=60)
for _ in range(int(sys.argv[2])):
    with write(conn):
        (n,) = conn.execute("SELECT n FROM counter").fetchone()
        time.sleep(0.002)
        conn.execute("UPDATE counter SET n = ?", (n + 1,))
conn.close()
"""


def _counter(path: Path) -> None:
    conn = connect(path)
    conn.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
    conn.execute("INSERT INTO counter VALUES (0)")
    conn.close()


def _count(path: Path) -> int:
    conn = connect(path)
    try:
        return conn.execute("SELECT n FROM counter").fetchone()[0]
    finally:
        conn.close()


def test_connect_turns_wal_on_and_autocommits(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = connect(path, synchronous="FULL", foreign_keys=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.execute("INSERT INTO t VALUES (1)")  # autocommit: another connection sees it
        assert not conn.in_transaction
    finally:
        conn.close()
    assert _rows(path) == [(1,)]


def _rows(path: Path) -> list[tuple[int]]:
    other = sqlite3.connect(path)
    try:
        return other.execute("SELECT n FROM t ORDER BY n").fetchall()
    finally:
        other.close()


def test_rows_by_name_by_default_tuples_on_request(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _counter(path)
    named, plain = connect(path), connect(path, row_factory=None)
    try:
        assert named.execute("SELECT n FROM counter").fetchone()["n"] == 0
        assert plain.execute("SELECT n FROM counter").fetchone() == (0,)
    finally:
        named.close()
        plain.close()


def test_readonly_connection_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "odd name #1?.sqlite3"  # characters a hand-built URI gets wrong
    _counter(path)
    conn = connect(path, readonly=True)
    try:
        assert conn.execute("SELECT n FROM counter").fetchone()["n"] == 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("UPDATE counter SET n = 5")
    finally:
        conn.close()
    with pytest.raises(sqlite3.OperationalError):
        connect(tmp_path / "missing.sqlite3", readonly=True)


def test_failed_block_rolls_back_and_the_error_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _counter(path)
    conn = connect(path)
    try:
        with pytest.raises(ZeroDivisionError), write(conn):
            conn.execute("UPDATE counter SET n = 7")
            conn.execute("INSERT INTO counter VALUES (8)")
            _ = 1 / 0
        assert not conn.in_transaction
        assert [tuple(r) for r in conn.execute("SELECT n FROM counter")] == [(0,)]
        with write(conn):  # the connection is usable again
            conn.execute("UPDATE counter SET n = 1")
    finally:
        conn.close()
    assert _count(path) == 1


def test_failed_statement_rolls_back_the_whole_block(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    conn = connect(path)
    try:
        conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
        with pytest.raises(sqlite3.IntegrityError), write(conn):
            conn.execute("INSERT INTO t VALUES (1)")
            conn.execute("INSERT INTO t VALUES (1)")
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    finally:
        conn.close()


def test_write_takes_the_lock_before_the_block_runs(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _counter(path)
    holder, waiter = connect(path), connect(path, timeout=0.05)
    try:
        with write(holder):
            # No statement of the block has run yet, and still no other writer gets in.
            with pytest.raises(sqlite3.OperationalError, match="locked"), write(waiter):
                pass
            assert waiter.execute("SELECT n FROM counter").fetchone()[0] == 0  # WAL: reads go on
        assert not waiter.in_transaction
    finally:
        holder.close()
        waiter.close()


def test_writers_in_two_threads_serialise(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _counter(path)
    db = ThreadConnections(path, timeout=60)
    seen: list[sqlite3.Connection] = []
    errors: list[BaseException] = []

    def increment() -> None:
        try:
            seen.append(db.get())
            for _ in range(ROUNDS):
                with db.write() as conn:
                    (n,) = conn.execute("SELECT n FROM counter").fetchone()
                    time.sleep(0.002)
                    conn.execute("UPDATE counter SET n = ?", (n + 1,))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=increment) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen[0] is not seen[1]  # one connection per thread
    assert _count(path) == 2 * ROUNDS


def test_writers_in_two_processes_serialise(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _counter(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", INCREMENT, str(path), str(ROUNDS)],
            env=env,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    errors = [proc.communicate(timeout=120)[1].decode() for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert _count(path) == 2 * ROUNDS


def test_same_thread_gets_the_same_connection_until_close(tmp_path: Path) -> None:
    db = ThreadConnections(tmp_path / "db.sqlite3")
    first = db.get()
    assert db.get() is first
    db.close()
    second = db.get()
    assert second is not first
    assert second.execute("SELECT 1").fetchone()[0] == 1
    db.close()
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute("SELECT 1")


def test_memory_database_is_shared_by_threads() -> None:
    db = ThreadConnections(":memory:")
    with db.write() as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.execute("INSERT INTO t VALUES (3)")
    counts: list[int] = []
    thread = threading.Thread(
        target=lambda: counts.append(db.get().execute("SELECT n FROM t").fetchone()[0])
    )
    thread.start()
    thread.join()
    assert counts == [3]
    db.close()
