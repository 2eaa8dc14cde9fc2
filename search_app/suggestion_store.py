"""Purchase suggestions ("recommend to librarian") and each library's e-mail notice setting.

Suggestions for the same thing are grouped: by record id when the patron came from a
record page or a request for a record, else by a title key
(:func:`mappings.text.title_key`), so the librarian sees how many patrons asked for it.
One sqlite3 file (WAL), ``<data dir>/suggestions.sqlite3``; one connection per thread
(:class:`indexer.sqlite.ThreadConnections`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer.sqlite import ThreadConnections
from mappings.text import title_key

__all__ = ["SORTS", "Notify", "Suggestion", "SuggestionStore", "group_key"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS suggestions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    library       TEXT NOT NULL,
    group_key     TEXT NOT NULL,
    record_id     TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    product_type  TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL,
    link          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS suggestions_group ON suggestions (library, group_key);
CREATE TABLE IF NOT EXISTS suggestion_notify (
    library       TEXT PRIMARY KEY,
    enabled       INTEGER NOT NULL DEFAULT 0,
    email         TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT '',
    last_error    TEXT NOT NULL DEFAULT ''
);
"""

_UPSERT_NOTIFY = """
INSERT INTO suggestion_notify (library, enabled, email, updated_at, updated_by)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (library) DO UPDATE SET enabled = excluded.enabled, email = excluded.email,
    updated_at = excluded.updated_at, updated_by = excluded.updated_by, last_error = ''
"""

#: List sort keys (the page's ``?sort=``) and the SQL they order by.
SORTS: dict[str, str] = {
    "type": "product_type COLLATE NOCASE",
    "requests": "requests",
    "title": "title COLLATE NOCASE",
    "latest": "latest",
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    library: str
    group_key: str
    record_id: str
    request_id: str
    product_type: str
    title: str
    link: str
    created_at: datetime
    name: str
    email: str
    message: str


@dataclass(frozen=True, slots=True)
class Notify:
    library: str
    enabled: bool
    email: str
    last_error: str


def group_key(record_id: str, title: str) -> str:
    """What suggestions are counted together by: the record, else the title's key."""
    return f"record:{record_id}" if record_id else f"title:{title_key(title, 80)}"


def _suggestion(row: sqlite3.Row) -> Suggestion:
    data = dict(row)
    data["created_at"] = datetime.fromisoformat(data["created_at"])
    return Suggestion(**data)


class SuggestionStore:
    """Suggestions and notice settings in one sqlite3 file."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = ThreadConnections(self.path, timeout=30, synchronous="FULL")
        self._db.get().executescript(_SCHEMA)

    def add(
        self,
        *,
        library: str,
        title: str,
        name: str,
        email: str,
        message: str = "",
        record_id: str = "",
        request_id: str = "",
        product_type: str = "",
        link: str = "",
    ) -> Suggestion:
        """Store one patron's suggestion (one transaction)."""
        now = self.clock().astimezone(UTC).isoformat(timespec="seconds")
        with self._db.write() as conn:
            cursor = conn.execute(
                "INSERT INTO suggestions (library, group_key, record_id, request_id,"
                " product_type, title, link, created_at, name, email, message)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    library,
                    group_key(record_id, title),
                    record_id,
                    request_id,
                    product_type,
                    title,
                    link,
                    now,
                    name,
                    email,
                    message,
                ),
            )
            row = conn.execute(
                "SELECT * FROM suggestions WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
        return _suggestion(row)

    def groups(
        self, library: str, sort: str = "latest", descending: bool = True
    ) -> list[dict[str, Any]]:
        """One row per suggested item of ``library``: key, type, title, link, number of
        requests, latest request (ISO time). ``sort`` is a key of :data:`SORTS`."""
        order = SORTS.get(sort, SORTS["latest"])
        direction = "DESC" if descending else "ASC"
        conn = self._db.get()
        rows = conn.execute(
            "SELECT group_key, MAX(product_type) AS product_type, MAX(title) AS title,"
            " MAX(link) AS link, COUNT(*) AS requests, MAX(created_at) AS latest"
            " FROM suggestions WHERE library = ? GROUP BY group_key"
            f" ORDER BY {order} {direction}, latest DESC",  # noqa: S608 - from SORTS only
            (library,),
        ).fetchall()
        return [dict(row) for row in rows]

    def group(self, library: str, key: str) -> list[Suggestion]:
        """Every suggestion of one group, newest first."""
        conn = self._db.get()
        rows = conn.execute(
            "SELECT * FROM suggestions WHERE library = ? AND group_key = ?"
            " ORDER BY created_at DESC, id DESC",
            (library, key),
        ).fetchall()
        return [_suggestion(row) for row in rows]

    def all(self, library: str) -> list[Suggestion]:
        """Every suggestion of ``library``, newest first (for the CSV)."""
        conn = self._db.get()
        rows = conn.execute(
            "SELECT * FROM suggestions WHERE library = ? ORDER BY created_at DESC, id DESC",
            (library,),
        ).fetchall()
        return [_suggestion(row) for row in rows]

    # -- notices -----------------------------------------------------------------------

    def notify(self, library: str) -> Notify:
        conn = self._db.get()
        row = conn.execute(
            "SELECT * FROM suggestion_notify WHERE library = ?", (library,)
        ).fetchone()
        if row is None:
            return Notify(library, False, "", "")
        return Notify(library, bool(row["enabled"]), row["email"], row["last_error"])

    def set_notify(self, library: str, *, enabled: bool, email: str, actor: str) -> None:
        now = self.clock().astimezone(UTC).isoformat(timespec="seconds")
        with self._db.write() as conn:
            conn.execute(
                _UPSERT_NOTIFY,
                (library, int(enabled), email, now, actor),
            )

    def notice_result(self, library: str, error: str) -> None:
        """Remember how the last notice went ('' when it was sent)."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE suggestion_notify SET last_error = ? WHERE library = ?", (error, library)
            )
