"""The e-holdings store: KBART lines of every library's packages, found by identifier.

One sqlite3 database (``Settings.catalog_db``, WAL) holds every loaded package. Each
e-holding is indexed under its normalised keys (``issn:0066-4154``, ``isbn:978…``,
``doi:10.…``, ``title:<title_key>``), so a lookup is one indexed join whatever the number
of lines. Re-loading a package replaces it atomically: readers see the old package or the
new one, never a mixture.

>>> store = EHoldingStore(":memory:")
>>> nature = EHolding("LIB", "pkg", "Nature", print_identifier="0028-0836")
>>> store.load_package("LIB", "pkg", [nature])
1
>>> [eh.publication_title for eh in store.find(issn="00280836")]
['Nature']

The resolver and the router call :func:`find_eholdings` (the store of
``Settings.from_env()``) or keep an :class:`EHoldingStore` of their own; whether a
citation's year/volume/issue falls inside an e-holding's coverage and embargo is
:func:`mappings.coverage.covers`.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from indexer.readers.kbart import eholding_identifiers, read_eholdings
from indexer.settings import Settings
from indexer.sqlite import ThreadConnections
from mappings.errors import RecordError
from mappings.identifiers import normalise_doi, normalise_isbn, normalise_issn
from mappings.schema import EHolding
from mappings.text import title_key

__all__ = ["EHoldingStore", "LoadResult", "Package", "eholding_keys", "find_eholdings"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS eholding_packages (
    library TEXT NOT NULL, package TEXT NOT NULL, source_path TEXT NOT NULL DEFAULT '',
    lines INTEGER NOT NULL, loaded_at REAL NOT NULL, PRIMARY KEY (library, package));
CREATE TABLE IF NOT EXISTS eholdings (
    eid INTEGER PRIMARY KEY, library TEXT NOT NULL, package TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS eholdings_package ON eholdings (library, package);
CREATE TABLE IF NOT EXISTS eholding_keys (
    key TEXT NOT NULL, eid INTEGER NOT NULL, PRIMARY KEY (key, eid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS eholding_keys_eid ON eholding_keys (eid);
"""
_FIELDS = tuple(f.name for f in dataclasses.fields(EHolding))


@dataclass(frozen=True, slots=True)
class Package:
    """A loaded KBART package: who holds it, where it came from, how many lines."""

    library: str
    package: str
    source_path: str
    lines: int
    loaded_at: float


@dataclass(slots=True)
class LoadResult:
    """What :meth:`EHoldingStore.load_file` stored, and the lines it rejected."""

    library: str
    package: str
    loaded: int = 0
    errors: list[RecordError] = field(default_factory=list)


def eholding_keys(eh: EHolding) -> list[str]:
    """The lookup keys of one e-holding: identifiers and its title key."""
    ids = eholding_identifiers(eh)
    keys = [f"{kind}:{value}" for kind in ("issn", "isbn", "doi") for value in ids[kind]]
    tkey = title_key(eh.publication_title)
    if tkey:
        keys.append(f"title:{tkey}")
    return keys


def _encode(eh: EHolding) -> bytes:
    return orjson.dumps([getattr(eh, name) for name in _FIELDS])


def _decode(data: bytes) -> EHolding:
    return EHolding(*orjson.loads(data))


class EHoldingStore:
    """E-holdings in sqlite3: atomic package loads, fast identifier lookups.

    Thread-safe: each thread gets its own connection to the same database file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = ThreadConnections(self.path, timeout=30, row_factory=None)
        self._db.get().executescript(_SCHEMA)

    def close(self) -> None:
        """Close this thread's connection (other threads close theirs on exit)."""
        self._db.close()

    def load_package(
        self, library: str, package: str, eholdings: Iterable[EHolding], source_path: str = ""
    ) -> int:
        """Replace ``library``'s ``package`` by ``eholdings`` in one transaction.

        Returns the number of lines stored. Each e-holding is stored under the library and
        package given here, whatever its own fields say.
        """
        with self._db.write() as conn:
            self._delete(conn, library, package)
            count = 0
            for eh in eholdings:
                eh = dataclasses.replace(eh, library=library, package=package)
                eid = conn.execute(
                    "INSERT INTO eholdings (library, package, data) VALUES (?, ?, ?)",
                    (library, package, _encode(eh)),
                ).lastrowid
                conn.executemany(
                    "INSERT OR IGNORE INTO eholding_keys (key, eid) VALUES (?, ?)",
                    [(key, eid) for key in eholding_keys(eh)],
                )
                count += 1
            conn.execute(
                "INSERT INTO eholding_packages VALUES (?, ?, ?, ?, ?)",
                (library, package, source_path, count, time.time()),
            )
        return count

    def load_file(
        self, path: str | Path, library: str, package: str = "", *, encoding: str | None = None
    ) -> LoadResult:
        """Load a KBART file as ``library``'s ``package`` (default: the file's stem).

        Bad lines are left out and returned in ``errors``; the good ones replace the
        package atomically.
        """
        package = package or Path(path).stem
        result = LoadResult(library, package)

        def good_lines() -> Iterable[EHolding]:
            for item in read_eholdings(path, library, package, encoding=encoding):
                if isinstance(item, RecordError):
                    result.errors.append(item)
                else:
                    yield item

        result.loaded = self.load_package(library, package, good_lines(), str(path))
        return result

    def delete_package(self, library: str, package: str) -> int:
        """Remove a package; returns the number of lines removed."""
        with self._db.write() as conn:
            return self._delete(conn, library, package)

    @staticmethod
    def _delete(conn: sqlite3.Connection, library: str, package: str) -> int:
        conn.execute(
            "DELETE FROM eholding_keys WHERE eid IN "
            "(SELECT eid FROM eholdings WHERE library = ? AND package = ?)",
            (library, package),
        )
        removed = conn.execute(
            "DELETE FROM eholdings WHERE library = ? AND package = ?", (library, package)
        ).rowcount
        conn.execute(
            "DELETE FROM eholding_packages WHERE library = ? AND package = ?", (library, package)
        )
        return removed

    def packages(self, library: str | None = None) -> list[Package]:
        """Loaded packages, of one library or all, by library then package."""
        sql = "SELECT * FROM eholding_packages"
        args: tuple[str, ...] = ()
        if library is not None:
            sql += " WHERE library = ?"
            args = (library,)
        rows = self._db.get().execute(sql + " ORDER BY library, package", args)
        return [Package(*row) for row in rows]

    def count(self, library: str | None = None) -> int:
        """Number of e-holdings stored (of one library, or all)."""
        if library is None:
            return self._db.get().execute("SELECT count(*) FROM eholdings").fetchone()[0]
        sql = "SELECT count(*) FROM eholdings WHERE library = ?"
        return self._db.get().execute(sql, (library,)).fetchone()[0]

    def lines(self, library: str, package: str | None = None) -> Iterator[EHolding]:
        """Every stored e-holding of ``library`` (one ``package``, or all), in load order."""
        sql = "SELECT data FROM eholdings WHERE library = ?"
        args: tuple[str, ...] = (library,)
        if package is not None:
            sql += " AND package = ?"
            args = (library, package)
        for (data,) in self._db.get().execute(sql + " ORDER BY package, eid", args):
            yield _decode(data)

    def find(
        self,
        *,
        issn: str | Iterable[str] = (),
        isbn: str | Iterable[str] = (),
        doi: str = "",
        title: str = "",
        library: str | Iterable[str] | None = None,
    ) -> list[EHolding]:
        """E-holdings matching any given identifier (normalised here) or the title key.

        ``library`` restricts to one library code or several (e.g. the patron's library
        and the consortium's code); None means every library. Results come in load order.
        """
        keys = _lookup_keys(issn, isbn, doi, title)
        if not keys:
            return []
        sql = (
            "SELECT DISTINCT h.eid, h.data FROM eholding_keys k JOIN eholdings h "
            f"ON h.eid = k.eid WHERE k.key IN ({','.join('?' * len(keys))})"
        )
        args = list(keys)
        if library is not None:
            libraries = [library] if isinstance(library, str) else list(library)
            sql += f" AND h.library IN ({','.join('?' * len(libraries))})"
            args += libraries
        rows = self._db.get().execute(sql + " ORDER BY h.eid", args).fetchall()
        return [_decode(data) for _, data in rows]


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _lookup_keys(
    issn: str | Iterable[str], isbn: str | Iterable[str], doi: str, title: str
) -> list[str]:
    keys = [f"issn:{v}" for v in map(normalise_issn, _as_list(issn)) if v]
    keys += [f"isbn:{v}" for v in map(normalise_isbn, _as_list(isbn)) if v]
    if normalise_doi(doi):
        keys.append(f"doi:{normalise_doi(doi)}")
    if title and title_key(title):
        keys.append(f"title:{title_key(title)}")
    return list(dict.fromkeys(keys))


_STORES: dict[str, EHoldingStore] = {}
_STORES_LOCK = threading.Lock()


def find_eholdings(
    *,
    issn: str | Iterable[str] = (),
    isbn: str | Iterable[str] = (),
    doi: str = "",
    title: str = "",
    library: str | Iterable[str] | None = None,
    settings: Settings | None = None,
) -> list[EHolding]:
    """:meth:`EHoldingStore.find` on the store in ``settings.catalog_db`` (default: env)."""
    path = str((settings or Settings.from_env()).catalog_db)
    with _STORES_LOCK:
        store = _STORES.get(path)
        if store is None:
            store = _STORES[path] = EHoldingStore(path)
    return store.find(issn=issn, isbn=isbn, doi=doi, title=title, library=library)
