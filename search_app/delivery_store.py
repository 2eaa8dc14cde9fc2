"""Secure document delivery: the scanned copies lenders upload, the patrons' links, the log.

- **Files** live in ``<data dir>/delivery/`` (mode 0700), one per document, mode 0600,
  named by a random id (never by anything the uploader chose). A file is written to a
  temporary name, flushed to disk, then renamed, so a crash never leaves half a PDF.
- **Checks by content** (:func:`check_pdf`): the ``%PDF-`` signature, an ``%%EOF`` marker
  near the end, a trailer and page tree pypdf can parse, at least one page, no
  encryption; and the size limit. Each error names what is wrong.
- **Links**: a token from :func:`secrets.token_urlsafe` (256 bits); only its SHA-256 is
  stored, bound to the request and to the patron's e-mail address. A document opens at
  most ``max_accesses`` times or until ``expires_at``, whichever comes first; the download
  that uses the last access deletes the file, and :meth:`DeliveryStore.purge` deletes
  expired ones (idempotent: run it from cron).
- **Every access is logged** (time, client address, action, outcome), good or bad.
- **Nothing half-done**: :meth:`DeliveryStore.add` writes the file, inserts the rows and
  runs the caller's ``confirm`` (the ledger event) inside one sqlite transaction; if any
  step fails, the rows are rolled back and the file removed.

One sqlite3 file (WAL), ``<data dir>/delivery.sqlite3``; one connection per thread
(:class:`indexer.sqlite.ThreadConnections`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import secrets
import sqlite3
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from indexer.sqlite import ThreadConnections

__all__ = [
    "AccessRefused",
    "Document",
    "DeliveryError",
    "DeliveryStore",
    "PurgeReport",
    "check_pdf",
    "hash_token",
]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id            TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL UNIQUE,
    lender        TEXT NOT NULL,
    borrower      TEXT NOT NULL,
    patron_email  TEXT NOT NULL,
    original_name TEXT NOT NULL,
    size          INTEGER NOT NULL,
    pages         INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_at   TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    max_accesses  INTEGER NOT NULL,
    accesses      INTEGER NOT NULL DEFAULT 0,
    deleted_at    TEXT,
    deleted_why   TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256  TEXT PRIMARY KEY,
    document_id   TEXT NOT NULL REFERENCES documents (id),
    request_id    TEXT NOT NULL,
    patron_email  TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    document_id   TEXT,
    address       TEXT NOT NULL,
    action        TEXT NOT NULL,          -- notice / download / link / upload / purge
    outcome       TEXT NOT NULL,          -- ok / bad_token / expired / used_up / deleted ...
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS access_log_request ON access_log (request_id, seq);
"""

#: Why a link no longer opens, as stored in the log.
EXPIRED, USED_UP, DELETED, BAD_TOKEN = "expired", "used_up", "deleted", "bad_token"


class DeliveryError(ValueError):
    """An upload cannot be accepted; ``field`` names the form field, ``status`` the HTTP one."""

    def __init__(self, message: str, *, field: str = "file", status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class AccessRefused(Exception):
    """A link does not open: ``reason`` is one of ``bad_token``, ``expired``, ``used_up``,
    ``deleted``."""

    def __init__(self, reason: str, document: Document | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.document = document


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    request_id: str
    lender: str
    borrower: str
    patron_email: str
    original_name: str
    size: int
    pages: int
    uploaded_at: datetime
    expires_at: datetime
    max_accesses: int
    accesses: int
    deleted_at: datetime | None

    @property
    def remaining(self) -> int:
        return max(self.max_accesses - self.accesses, 0)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    expired: int
    used_up: int
    orphans: int

    @property
    def total(self) -> int:
        return self.expired + self.used_up + self.orphans


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def check_pdf(data: bytes, max_bytes: int) -> int:
    """Check that ``data`` is a readable, unencrypted PDF of at most ``max_bytes``;
    returns its number of pages.

    Raises
    ------
    DeliveryError
        Naming the first problem found (size, signature, end marker, structure).
    """
    if not data:
        raise DeliveryError("the file is empty")
    if len(data) > max_bytes:
        raise DeliveryError(
            f"the file is {len(data):,} bytes; the limit is {max_bytes:,} bytes", status=413
        )
    if not data.startswith(b"%PDF-"):
        raise DeliveryError(
            f"not a PDF: the file starts with {data[:8]!r}, not the PDF signature %PDF-",
            status=415,
        )
    if b"%%EOF" not in data[-2048:]:
        raise DeliveryError("not a complete PDF: no %%EOF marker at the end (truncated?)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about repairable quirks
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise DeliveryError("the PDF is password-protected; upload an unprotected copy")
            pages = len(reader.pages)
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser on untrusted input may raise anything
        raise DeliveryError(f"the PDF cannot be read: {exc}") from None
    if pages < 1:
        raise DeliveryError("the PDF has no pages")
    return pages


class DeliveryStore:
    """Documents, links and the access log; files under ``root``."""

    def __init__(
        self, path: Path, root: Path, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.path = Path(path)
        self.root = Path(root)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self._db = ThreadConnections(self.path, timeout=30, synchronous="FULL")
        self._db.get().executescript(_SCHEMA)

    def file_path(self, document_id: str) -> Path:
        return self.root / f"{document_id}.pdf"

    # -- uploading -------------------------------------------------------------------------

    def add(
        self,
        *,
        request_id: str,
        lender: str,
        borrower: str,
        patron_email: str,
        data: bytes,
        original_name: str,
        uploaded_by: str,
        max_bytes: int,
        max_accesses: int,
        days: float,
        confirm: Callable[[], Any] = lambda: None,
    ) -> tuple[Document, str]:
        """Check and store a copy for ``request_id``; returns it and the patron's token.

        ``confirm`` runs inside the transaction (the ledger event): if it raises, nothing
        is kept. Raises :class:`DeliveryError` for a bad file or a second upload.
        """
        pages = check_pdf(data, max_bytes)
        now = self.clock()
        document_id = uuid.uuid4().hex
        token = secrets.token_urlsafe(32)
        target = self.file_path(document_id)
        with self._db.write() as conn:
            if conn.execute(
                "SELECT 1 FROM documents WHERE request_id = ?", (request_id,)
            ).fetchone():
                raise DeliveryError(
                    "a copy was already uploaded for this request", field="request", status=409
                )
            conn.execute(
                "INSERT INTO documents (id, request_id, lender, borrower, patron_email,"
                " original_name, size, pages, sha256, uploaded_at, uploaded_by, expires_at,"
                " max_accesses) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    document_id,
                    request_id,
                    lender,
                    borrower,
                    patron_email,
                    original_name[:200],
                    len(data),
                    pages,
                    hashlib.sha256(data).hexdigest(),
                    _stamp(now),
                    uploaded_by,
                    _stamp(now + timedelta(days=days)),
                    max_accesses,
                ),
            )
            self._insert_token(conn, token, document_id, request_id, patron_email, now)
            self._log(conn, now, request_id, document_id, "", "upload", "ok", uploaded_by)
            try:
                self._write_file(target, data)
                confirm()
            except BaseException:
                target.unlink(missing_ok=True)
                raise
        return self.document(request_id), token  # type: ignore[return-value]

    def _write_file(self, target: Path, data: bytes) -> None:
        partial = target.with_suffix(".part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    def _insert_token(
        self,
        conn: sqlite3.Connection,
        token: str,
        document_id: str,
        request_id: str,
        patron_email: str,
        now: datetime,
    ) -> None:
        conn.execute(
            "INSERT INTO tokens VALUES (?,?,?,?,?)",
            (hash_token(token), document_id, request_id, patron_email, _stamp(now)),
        )

    def new_token(self, request_id: str, patron_email: str, address: str = "") -> str | None:
        """Another link for the patron (e.g. from the status page); None when the copy can
        no longer be opened. The access limits stay those of the document."""
        now = self.clock()
        token = secrets.token_urlsafe(32)
        with self._db.write() as conn:
            row = self._row(conn, request_id)
            if row is None or self._closed(row, now) or row["patron_email"] != patron_email:
                return None
            self._insert_token(conn, token, row["id"], request_id, patron_email, now)
            self._log(conn, now, request_id, row["id"], address, "link", "ok")
        return token

    # -- opening ---------------------------------------------------------------------------

    def document(self, request_id: str) -> Document | None:
        conn = self._db.get()
        row = self._row(conn, request_id)
        return self._document(row) if row is not None else None

    def _row(self, conn: sqlite3.Connection, request_id: str) -> sqlite3.Row | None:
        return conn.execute(
            "SELECT * FROM documents WHERE request_id = ?", (request_id,)
        ).fetchone()

    @staticmethod
    def _document(row: sqlite3.Row) -> Document:
        return Document(
            id=row["id"],
            request_id=row["request_id"],
            lender=row["lender"],
            borrower=row["borrower"],
            patron_email=row["patron_email"],
            original_name=row["original_name"],
            size=row["size"],
            pages=row["pages"],
            uploaded_at=datetime.fromisoformat(row["uploaded_at"]),
            expires_at=datetime.fromisoformat(row["expires_at"]),
            max_accesses=row["max_accesses"],
            accesses=row["accesses"],
            deleted_at=_when(row["deleted_at"]),
        )

    def _closed(self, row: sqlite3.Row, now: datetime) -> str | None:
        """Why the document no longer opens, or None."""
        if row["accesses"] >= row["max_accesses"]:
            return USED_UP
        if _stamp(now) >= row["expires_at"]:
            return EXPIRED
        if row["deleted_at"]:
            return DELETED
        return None

    def _check(
        self, conn: sqlite3.Connection, request_id: str, token: str, now: datetime
    ) -> sqlite3.Row:
        """The document ``token`` opens for ``request_id``; raises :class:`AccessRefused`."""
        found = None
        if token and len(token) <= 200:
            found = conn.execute(
                "SELECT * FROM tokens WHERE token_sha256 = ?", (hash_token(token),)
            ).fetchone()
        row = self._row(conn, request_id)
        if (
            found is None
            or row is None
            or not hmac.compare_digest(found["request_id"], request_id)
            or found["document_id"] != row["id"]
            or not hmac.compare_digest(found["patron_email"], row["patron_email"])
        ):
            raise AccessRefused(BAD_TOKEN)
        reason = self._closed(row, now)
        if reason:
            raise AccessRefused(reason, self._document(row))
        return row

    def view(self, request_id: str, token: str, address: str) -> Document:
        """Check a link when its notice page is shown (not counted as an access)."""
        return self._open(request_id, token, address, download=False)[0]

    def download(self, request_id: str, token: str, address: str) -> tuple[Document, bytes]:
        """Open the file: counts one access; the last allowed access deletes the file."""
        return self._open(request_id, token, address, download=True)

    def _open(
        self, request_id: str, token: str, address: str, *, download: bool
    ) -> tuple[Document, bytes]:
        now = self.clock()
        action = "download" if download else "notice"
        refused: AccessRefused | None = None
        data = b""
        with self._db.write() as conn:
            try:
                row = self._check(conn, request_id, token, now)
                if download:
                    data = self._take(conn, row, now)
            except AccessRefused as exc:
                refused = exc
                doc_id = exc.document.id if exc.document else None
                self._log(conn, now, request_id, doc_id, address, action, exc.reason)
            else:
                self._log(conn, now, request_id, row["id"], address, action, "ok")
        if refused is not None:
            raise refused
        document = self.document(request_id)
        if download and document is not None and document.remaining == 0:
            self.file_path(document.id).unlink(missing_ok=True)
        return document, data  # type: ignore[return-value]

    def _take(self, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> bytes:
        """Read the file and count the access (marking the document deleted on the last)."""
        try:
            data = self.file_path(row["id"]).read_bytes()
        except FileNotFoundError:
            conn.execute(
                "UPDATE documents SET deleted_at = ?, deleted_why = 'file missing' WHERE id = ?",
                (_stamp(now), row["id"]),
            )
            raise AccessRefused(DELETED, self._document(row)) from None
        last = row["accesses"] + 1 >= row["max_accesses"]
        conn.execute(
            "UPDATE documents SET accesses = accesses + 1,"
            " deleted_at = CASE WHEN ? THEN ? ELSE deleted_at END,"
            " deleted_why = CASE WHEN ? THEN 'used up' ELSE deleted_why END WHERE id = ?",
            (last, _stamp(now), last, row["id"]),
        )
        return data

    # -- the log and the cleanup -----------------------------------------------------------

    def _log(
        self,
        conn: sqlite3.Connection,
        now: datetime,
        request_id: str,
        document_id: str | None,
        address: str,
        action: str,
        outcome: str,
        detail: str = "",
    ) -> None:
        conn.execute(
            "INSERT INTO access_log (at, request_id, document_id, address, action, outcome,"
            " detail) VALUES (?,?,?,?,?,?,?)",
            (_stamp(now), request_id[:64], document_id, address, action, outcome, detail),
        )

    def access_log(self, request_id: str) -> list[dict[str, Any]]:
        """Every logged access to ``request_id``'s copy, oldest first."""
        conn = self._db.get()
        rows = conn.execute(
            "SELECT at, address, action, outcome, detail FROM access_log"
            " WHERE request_id = ? ORDER BY seq",
            (request_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    def purge(self, orphan_age: timedelta = timedelta(hours=1)) -> PurgeReport:
        """Delete the files of expired or used-up documents, and stray files older than
        ``orphan_age`` that no live document owns. Safe to repeat and to run concurrently."""
        now = self.clock()
        counts = {EXPIRED: 0, USED_UP: 0}
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT * FROM documents WHERE deleted_at IS NULL"
                " AND (expires_at <= ? OR accesses >= max_accesses)",
                (_stamp(now),),
            ).fetchall()
            for row in rows:
                reason = self._closed(row, now) or EXPIRED
                conn.execute(
                    "UPDATE documents SET deleted_at = ?, deleted_why = ? WHERE id = ?",
                    (_stamp(now), reason.replace("_", " "), row["id"]),
                )
                self._log(conn, now, row["request_id"], row["id"], "", "purge", reason)
                counts[reason] += 1
            live = {
                r["id"] for r in conn.execute("SELECT id FROM documents WHERE deleted_at IS NULL")
            }
        for row in rows:
            self.file_path(row["id"]).unlink(missing_ok=True)
        orphans = self._purge_orphans(live, now, orphan_age)
        return PurgeReport(expired=counts[EXPIRED], used_up=counts[USED_UP], orphans=orphans)

    def _purge_orphans(self, live: set[str], now: datetime, age: timedelta) -> int:
        removed = 0
        cutoff = (now - age).timestamp()
        for path in self.root.iterdir():
            if path.suffix not in (".pdf", ".part") or path.stem in live:
                continue
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # another purge got there first
        return removed
