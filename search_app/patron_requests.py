"""Who asked: the patron's name and e-mail for each request made through the portal form,
and the secret that lets only that patron see the request's status page.

Kept out of the router's ledger on purpose: the ledger's request JSON is returned by
``GET /api/v1/requests/<id>`` and shown to lenders, and a patron's contact details are
for the borrowing library only. The status token is random (``secrets``); only its
SHA-256 is stored, and it is compared in constant time. One sqlite3 file (WAL) in the
data dir, ``patron_requests.sqlite3``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indexer.sqlite import ThreadConnections

__all__ = ["Patron", "PatronRequests"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS patron_requests (
    request_id   TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    library      TEXT NOT NULL,
    created_at   TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Patron:
    """The patron behind one request."""

    request_id: str
    name: str
    email: str
    library: str
    created_at: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class PatronRequests:
    """The store (one short-lived connection per call: safe across threads and workers)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = ThreadConnections(path, timeout=10, synchronous="FULL")
        self._db.get().execute(_SCHEMA)

    def add(self, request_id: str, *, name: str, email: str, library: str) -> str:
        """Remember the patron of ``request_id``; returns the new status token."""
        token = secrets.token_urlsafe(24)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO patron_requests VALUES (?, ?, ?, ?, ?, ?)",
                (request_id, _digest(token), name, email, library, now),
            )
        return token

    def check(self, request_id: str, token: str) -> Patron | None:
        """The patron of ``request_id`` if ``token`` is its token, else None."""
        if not token or len(token) > 200:
            return None
        conn = self._db.get()
        row = conn.execute(
            "SELECT * FROM patron_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
        if row is None or not hmac.compare_digest(row["token_sha256"], _digest(token)):
            return None
        return Patron(
            row["request_id"], row["name"], row["email"], row["library"], row["created_at"]
        )
