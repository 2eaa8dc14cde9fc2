"""The catalog: every source record and its cluster, in sqlite3 (WAL) under the data dir.

The search index holds merged cluster documents only; the catalog is the truth they are
rebuilt from. Tables:

- ``records``: one row per source record (``source:source_id``), its cluster, the run
  that last saw it, a fingerprint of its content and the record itself (orjson);
- ``match_keys``: the de-duplication keys of each record (``isbn:...``, ``t:...``) and
  its cluster: the lookup that finds candidate clusters in constant memory;
- ``clusters``: each cluster's size and merged *facts* (format, years, ISBNs, ISSNs,
  DOIs) that the veto checks compare a candidate record with;
- ``counters``: per source and run kind, records read, rejects and vetoes by reason
  (what ``efirst stats`` reports); ``runs``: one row per indexing run;
- ``engine_mark``: the search engine commit this catalog's clusters match (see
  :func:`indexer.pipeline.index_records`), committed with them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from indexer import sqlite
from mappings.schema import Cluster, Holding, Link, Record

__all__ = ["Catalog", "record_from_dict", "record_to_bytes"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    cluster_id TEXT NOT NULL,
    run INTEGER NOT NULL,
    fingerprint BLOB NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_cluster ON records (cluster_id);
CREATE INDEX IF NOT EXISTS records_source ON records (source, run);
CREATE TABLE IF NOT EXISTS match_keys (
    key TEXT NOT NULL,
    record TEXT NOT NULL,
    cluster_id TEXT NOT NULL,
    PRIMARY KEY (key, record)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS match_keys_record ON match_keys (record);
CREATE TABLE IF NOT EXISTS clusters (
    id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    facts BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (source, kind, reason)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT
);
CREATE TABLE IF NOT EXISTS engine_mark (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    mark TEXT NOT NULL
);
"""
_CHUNK = 500
_CACHE_KIB = 64 * 1024


def record_to_bytes(record: Record) -> bytes:
    """The stored form of ``record``: the JSON of :func:`mappings.schema.to_dict`.

    orjson serialises dataclasses natively, field by field in declaration order, so the
    bytes (and the fingerprints made of them) equal ``orjson.dumps(to_dict(record))``
    at a fraction of the cost of ``dataclasses.asdict``.
    """
    return orjson.dumps(record)


def record_from_dict(data: dict[str, Any]) -> Record:
    """Rebuild a :class:`Record` from :func:`mappings.schema.to_dict` output."""
    return _record(dict(data))


def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_RECORD_FIELDS, _LINK_FIELDS, _HOLDING_FIELDS = _fields(Record), _fields(Link), _fields(Holding)


def _record(data: dict[str, Any]) -> Record:
    """:func:`record_from_dict` of a dict it may change. Stored records have every field
    in declaration order, so their values are passed by position (twice as fast as by
    name); any other dict (an older field set) by name."""
    data["links"] = [
        Link(*link.values()) if tuple(link) == _LINK_FIELDS else Link(**link)
        for link in data.get("links", ())
    ]
    data["holdings"] = [
        Holding(*h.values()) if tuple(h) == _HOLDING_FIELDS else Holding(**h)
        for h in data.get("holdings", ())
    ]
    return Record(*data.values()) if tuple(data) == _RECORD_FIELDS else Record(**data)


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Catalog:
    """sqlite3 store of source records and cluster membership (one connection)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite.connect(self.path, row_factory=None)  # tuples: the hot path
        self.db.executescript(_SCHEMA)
        # B-tree pages kept in memory across statements (sqlite's default is 2 MiB): a
        # batch writes rows with random keys (match keys, cluster ids) all over the
        # indexes, and re-reading evicted pages was a quarter of the write cost at 200k
        self.db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and runs -------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def engine_mark(self) -> str | None:
        """The engine commit mark stored with the catalog's last indexing batch."""
        row = self.db.execute("SELECT mark FROM engine_mark WHERE one = 1").fetchone()
        return None if row is None else str(row[0])

    def set_engine_mark(self, mark: str | None) -> None:
        if mark is None:
            self.db.execute("DELETE FROM engine_mark")
        else:
            self.db.execute("INSERT OR REPLACE INTO engine_mark (one, mark) VALUES (1, ?)", (mark,))

    def start_run(self, source: str) -> int:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        cursor = self.db.execute("INSERT INTO runs (source, started) VALUES (?, ?)", (source, now))
        return int(cursor.lastrowid or 0)

    def finish_run(self, run: int) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.db.execute("UPDATE runs SET finished = ? WHERE id = ?", (now, run))

    # -- records ---------------------------------------------------------------------
    def existing(self, keys: list[str]) -> dict[str, tuple[str, bytes]]:
        """``{record key: (cluster id, fingerprint)}`` for the keys already stored."""
        found: dict[str, tuple[str, bytes]] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT key, cluster_id, fingerprint FROM records WHERE key IN ({marks})"  # noqa: S608
            for key, cluster_id, fingerprint in self.db.execute(sql, chunk):
                found[key] = (cluster_id, fingerprint)
        return found

    def touch(self, keys: list[str], run: int) -> None:
        self.db.executemany("UPDATE records SET run = ? WHERE key = ?", [(run, k) for k in keys])

    def put_record(
        self, record: Record, cluster_id: str, run: int, fingerprint: bytes, data: bytes
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO records (key, source, cluster_id, run, fingerprint, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (record.key, record.source, cluster_id, run, fingerprint, data),
        )

    def remove_record(self, key: str) -> str | None:
        """Delete a record and its keys; returns the cluster it left."""
        row = self.db.execute("SELECT cluster_id FROM records WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        self.db.execute("DELETE FROM records WHERE key = ?", (key,))
        self.db.execute("DELETE FROM match_keys WHERE record = ?", (key,))
        return str(row[0])

    def stale_records(self, source: str, run: int) -> list[str]:
        """Keys of ``source`` records not seen by ``run`` (to delete after a full load)."""
        rows = self.db.execute(
            "SELECT key FROM records WHERE source = ? AND run != ?", (source, run)
        )
        return [row[0] for row in rows]

    # -- match keys and clusters -----------------------------------------------------
    def clusters_with_key(self, key: str) -> list[str]:
        rows = self.db.execute(
            "SELECT DISTINCT cluster_id FROM match_keys WHERE key = ? ORDER BY cluster_id", (key,)
        )
        return [row[0] for row in rows]

    def put_keys(self, record_key: str, keys: Iterable[str], cluster_id: str) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO match_keys (key, record, cluster_id) VALUES (?, ?, ?)",
            [(key, record_key, cluster_id) for key in keys],
        )

    def clusters_with_keys(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """:meth:`clusters_with_key` for many keys in a few queries (absent keys: ``[]``)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, list[str]] = {key: [] for key in wanted}
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            sql = (
                f"SELECT DISTINCT key, cluster_id FROM match_keys WHERE key IN ({marks})"  # noqa: S608
                " ORDER BY key, cluster_id"
            )
            for key, cluster_id in self.db.execute(sql, chunk):
                found[key].append(cluster_id)
        return found

    def existing_clusters(self, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` that name a stored cluster."""
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id FROM clusters WHERE id IN ({marks})"  # noqa: S608
            found.update(row[0] for row in self.db.execute(sql, chunk))
        return found

    def put_many(
        self,
        records: list[tuple[str, str, str, int, bytes, bytes]],
        keys: list[tuple[str, str, str]],
        clusters: list[tuple[str, int, dict[str, Any]]],
    ) -> None:
        """Write rows of :meth:`put_record`, :meth:`put_keys` and :meth:`put_cluster`."""
        self.db.executemany(
            "INSERT OR REPLACE INTO records (key, source, cluster_id, run, fingerprint, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            records,
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO match_keys (key, record, cluster_id) VALUES (?, ?, ?)", keys
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO clusters (id, size, facts) VALUES (?, ?, ?)",
            [(cid, size, orjson.dumps(facts)) for cid, size, facts in clusters],
        )

    def cluster_facts(self, cluster_id: str) -> tuple[int, dict[str, Any]] | None:
        row = self.db.execute(
            "SELECT size, facts FROM clusters WHERE id = ?", (cluster_id,)
        ).fetchone()
        return None if row is None else (int(row[0]), orjson.loads(row[1]))

    def clusters_facts(self, ids: Iterable[str]) -> dict[str, tuple[int, dict[str, Any]]]:
        """:meth:`cluster_facts` of many clusters (absent ids are left out)."""
        found: dict[str, tuple[int, dict[str, Any]]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT id, size, facts FROM clusters WHERE id IN ({marks})"  # noqa: S608
            for cluster_id, size, facts in self.db.execute(sql, chunk):
                found[cluster_id] = (int(size), orjson.loads(facts))
        return found

    def put_cluster(self, cluster_id: str, size: int, facts: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO clusters (id, size, facts) VALUES (?, ?, ?)",
            (cluster_id, size, orjson.dumps(facts)),
        )

    def delete_cluster(self, cluster_id: str) -> None:
        self.db.execute("DELETE FROM clusters WHERE id = ?", (cluster_id,))

    def cluster_exists(self, cluster_id: str) -> bool:
        row = self.db.execute("SELECT 1 FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
        return row is not None

    def members(self, cluster_id: str) -> list[Record]:
        rows = self.db.execute(
            "SELECT data FROM records WHERE cluster_id = ? ORDER BY key", (cluster_id,)
        )
        return [_record(orjson.loads(row[0])) for row in rows]

    def clusters(self, ids: Iterable[str]) -> list[Cluster]:
        """The clusters with these ids that still have members, in id order."""
        found: dict[str, list[Record]] = {}
        for chunk in _chunks(sorted(set(ids))):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT cluster_id, data FROM records WHERE cluster_id IN ({marks}) ORDER BY key"  # noqa: S608
            for cluster_id, data in self.db.execute(sql, chunk):
                found.setdefault(cluster_id, []).append(_record(orjson.loads(data)))
        return [Cluster(cid, found[cid]) for cid in sorted(found)]

    def cluster(self, cluster_id: str) -> Cluster | None:
        """One cluster with its member records, or None."""
        members = self.members(cluster_id)
        return Cluster(cluster_id, members) if members else None

    def cluster_of(self, record_key: str) -> str | None:
        """The cluster id of a source record (``source:source_id``), or None."""
        row = self.db.execute(
            "SELECT cluster_id FROM records WHERE key = ?", (record_key,)
        ).fetchone()
        return None if row is None else str(row[0])

    def iter_cluster_ids(self, page: int = 10_000) -> Iterator[str]:
        last = ""
        while True:
            rows = self.db.execute(
                "SELECT id FROM clusters WHERE id > ? ORDER BY id LIMIT ?", (last, page)
            ).fetchall()
            yield from (row[0] for row in rows)
            if len(rows) < page:
                return
            last = rows[-1][0]

    # -- counters and statistics -----------------------------------------------------
    def reset_counters(self, source: str) -> None:
        self.db.execute("DELETE FROM counters WHERE source = ?", (source,))

    def count(self, source: str, kind: str, reason: str = "", n: int = 1) -> None:
        self.db.execute(
            "INSERT INTO counters (source, kind, reason, count) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source, kind, reason) DO UPDATE SET count = count + excluded.count",
            (source, kind, reason, n),
        )

    def count_many(self, counts: dict[tuple[str, str, str], int]) -> None:
        """:meth:`count` of each ``(source, kind, reason): n``."""
        self.db.executemany(
            "INSERT INTO counters (source, kind, reason, count) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (source, kind, reason) DO UPDATE SET count = count + excluded.count",
            [(*key, n) for key, n in counts.items()],
        )

    def counters(self) -> list[tuple[str, str, str, int]]:
        rows = self.db.execute(
            "SELECT source, kind, reason, count FROM counters ORDER BY source, kind, count DESC"
        )
        return [(s, k, r, int(c)) for s, k, r, c in rows]

    def source_totals(self) -> list[tuple[str, int, int]]:
        """``(source, records stored, clusters they are in)`` per source."""
        rows = self.db.execute(
            "SELECT source, COUNT(*), COUNT(DISTINCT cluster_id) FROM records"
            " GROUP BY source ORDER BY source"
        )
        return [(s, int(r), int(c)) for s, r, c in rows]

    def totals(self) -> tuple[int, int]:
        """``(records, clusters)`` in the whole catalog."""
        records = self.db.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        clusters = self.db.execute("SELECT COUNT(*) FROM clusters").fetchone()[0]
        return int(records), int(clusters)
