"""Sending ISO 18626 messages to libraries that speak it, through an outbox in the ledger.

After every change of a request (:class:`~router.service.Router` calls
:meth:`Outbox.after_change`) the outbox decides what the change calls for:

- the request is now with a lender whose ``iso18626_url`` is set → a ``request``
  message to that lender (once per rota position);
- the request came in over ISO 18626 (``request["iso18626"]``) and a lender's answer
  changed its state → a ``supplyingAgencyMessage`` with the new status to the
  requesting library's ``iso18626_url``;
- the borrower cancelled, received or returned a request that was with a lender whose
  ``iso18626_url`` is set → a ``requestingAgencyMessage`` (:data:`ACTION_OUT`: ``Cancel``,
  ``Received``, ``ShippedReturn``) to that lender, naming our request id as the
  ``requestingAgencyRequestId`` the lender knows it by. Not for requests we supply
  (the borrower told us; nothing to echo).

Each message is first written to the ``iso18626_outbox`` table (unique key, so a change
seen twice queues one message), then POSTed with explicit timeouts. The answer must be
a confirmation: ``OK`` marks the message sent; ``ERROR`` marks it rejected (kept, with
the peer's errorType and text); no answer, an HTTP error or a malformed answer leaves it
pending with a growing back-off, and ``efirst router tick`` retries it — so does a
401 / 403 (the peer refused our credentials: once the key is fixed, the next tick
delivers). Messages carry our API key for the peer when its ``iso18626_key_env`` is set
(:func:`router.iso18626_auth.outbound_headers`). Every outcome is also an event on the
request's timeline. Nothing is dropped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

from router.iso18626 import (
    Agencies,
    Agency,
    Iso18626Error,
    read_confirmation,
    request_message,
    requesting_message,
    supplying_message,
)
from router.iso18626_auth import outbound_headers
from router.ledger import _stamp

if TYPE_CHECKING:
    from router.service import Router

__all__ = ["ACTION_OUT", "OUTBOX_SCHEMA", "STATUS_OUT", "Outbox"]

log = logging.getLogger(__name__)

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS iso18626_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,               -- what it is for: request:<id>:<position> ...
    request_id TEXT NOT NULL REFERENCES requests (id),
    library TEXT NOT NULL,                  -- the member it goes to
    url TEXT NOT NULL,
    kind TEXT NOT NULL,                     -- request / supplyingAgencyMessage
    body BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', -- pending / sent / rejected
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS iso18626_outbox_due ON iso18626_outbox (status, next_attempt_at);
"""

#: ledger state -> the ISO 18626 status a requester is told.
STATUS_OUT = {
    "ExpectToSupply": "ExpectToSupply",
    "WillSupply": "WillSupply",
    "Loaned": "Loaned",
    "Overdue": "Overdue",
    "CopyCompleted": "CopyCompleted",
    "LoanCompleted": "LoanCompleted",
    "Unfilled": "Unfilled",
}
#: borrower event -> the requestingAgencyMessage action a lender is sent.
ACTION_OUT = {"cancelled": "Cancel", "received": "Received", "returned": "ShippedReturn"}
_LENDER_EVENTS = frozenset(
    {"expect_to_supply", "will_supply", "shipped", "refused", "overdue", "timeout"}
)
_TIMEOUT = (5.0, 20.0)  # connect, read (seconds)
_LEASE = timedelta(seconds=120)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4 ... minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _record_note(asked: dict[str, Any]) -> str:
    record_id = asked.get("record_id")
    return f"efirst record {record_id}" if record_id else ""


def _last_change(request: dict[str, Any]) -> dict[str, Any]:
    """The latest event that changed the request itself (not the "sent" to a next
    lender it may have caused)."""
    return next((e for e in reversed(request["events"]) if e["type"] != "sent"), {})


class Outbox:
    """Queue and deliver the router's outgoing ISO 18626 messages."""

    def __init__(self, router: Router, session: requests.Session | None = None) -> None:
        self.router = router
        self.session = session or requests.Session()
        self.timeout = _TIMEOUT
        router.ledger._connection().executescript(OUTBOX_SCHEMA)

    # -- queueing -------------------------------------------------------------------

    def agencies(self) -> Agencies:
        return Agencies(self.router.members_file.members, self.router.members_file.consortium.code)

    def after_change(self, request: dict[str, Any], *, deliver: bool = True) -> dict[str, Any]:
        """Queue what ``request``'s latest change calls for, and try to send it now."""
        queued = [
            *self._lender_request(request),
            *self._status_message(request),
            *self._action_message(request),
        ]
        if queued and deliver:
            self.deliver(request_id=request["id"])
            return self.router.ledger.get(request["id"])
        return request

    def _url(self, code: str | None) -> str:
        library = self.router.members_file.members.get(code or "")
        return library.iso18626_url if library is not None else ""

    def _lender_request(self, request: dict[str, Any]) -> list[int]:
        iso = request["request"].get("iso18626") or {}
        lender = request.get("lender")
        if iso.get("role") == "supplier" or request["state"] != "RequestReceived" or not lender:
            return []
        url = self._url(lender)
        if not url:
            return []
        agencies = self.agencies()
        needs = request["request"].get("needs") or {}
        body = request_message(
            supplying=agencies.of(lender),
            requesting=agencies.of(request["borrower"]),
            request_id=request["id"],
            citation=request["request"].get("citation") or {},
            service=request["service"],
            need_before=f"{needs['needed_by']}T23:59:59Z" if needs.get("needed_by") else "",
            note=_record_note(request["request"]),
        )
        key = f"request:{request['id']}:{request['rota_position']}"
        return self._queue(key, request["id"], lender, url, "request", body)

    def _status_message(self, request: dict[str, Any]) -> list[int]:
        iso = request["request"].get("iso18626") or {}
        last = _last_change(request)
        status = STATUS_OUT.get(request["state"])
        if not iso or not status or last.get("type") not in _LENDER_EVENTS:
            return []
        url = self._url(request["borrower"])
        if not url:
            return []
        answer = last.get("from") in ("RequestReceived", "ExpectToSupply")
        body = supplying_message(
            supplying=Agency(*iso["supplying"]),
            requesting=Agency(*iso["requesting"]),
            requesting_request_id=iso["requesting_request_id"],
            supplying_request_id=request["id"],
            status=status,
            reason_for_message="RequestResponse" if answer else "StatusChange",
            note=last.get("reason") or "",
        )
        key = f"supply:{request['id']}:{last['seq']}"
        return self._queue(
            key, request["id"], request["borrower"], url, "supplyingAgencyMessage", body
        )

    def _action_message(self, request: dict[str, Any]) -> list[int]:
        iso = request["request"].get("iso18626") or {}
        last = _last_change(request)
        action = ACTION_OUT.get(last.get("type", ""))
        lender = last.get("lender")
        if not action or not lender or iso.get("role") == "supplier":
            return []
        url = self._url(lender)
        if not url:
            return []
        agencies = self.agencies()
        body = requesting_message(
            supplying=agencies.of(lender),
            requesting=agencies.of(request["borrower"]),
            requesting_request_id=request["id"],
            supplying_request_id="",
            action=action,
            note=last.get("reason") or "",
        )
        key = f"action:{request['id']}:{last['seq']}"
        return self._queue(key, request["id"], lender, url, "requestingAgencyMessage", body)

    def _queue(
        self, key: str, request_id: str, library: str, url: str, kind: str, body: bytes
    ) -> list[int]:
        now = _stamp(self.router.clock())
        with self.router.ledger._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO iso18626_outbox (key, request_id, library, url, kind, body,"
                " created_at, next_attempt_at) VALUES (?,?,?,?,?,?,?,?)",
                (key, request_id, library, url, kind, body, now, now),
            )
        return [cursor.lastrowid] if cursor.rowcount == 1 and cursor.lastrowid else []

    # -- delivering -----------------------------------------------------------------

    def pending(self, request_id: str | None = None) -> list[dict[str, Any]]:
        """Messages not yet sent (status ``pending``), oldest first."""
        sql = "SELECT * FROM iso18626_outbox WHERE status = 'pending'"
        params: tuple[str, ...] = ()
        if request_id:
            sql, params = sql + " AND request_id = ?", (request_id,)
        rows = self.router.ledger._connection().execute(sql + " ORDER BY id", params)
        return [dict(row) for row in rows]

    def messages(self, request_id: str) -> list[dict[str, Any]]:
        """Every message queued for a request, with its status and last error."""
        rows = self.router.ledger._connection().execute(
            "SELECT id, key, library, url, kind, status, attempts, created_at, sent_at,"
            " last_error FROM iso18626_outbox WHERE request_id = ? ORDER BY id",
            (request_id,),
        )
        return [dict(row) for row in rows]

    def deliver(
        self, now: datetime | None = None, *, request_id: str | None = None
    ) -> dict[str, int]:
        """Send every due pending message; returns counts by outcome."""
        now = now or self.router.clock()
        counts = {"sent": 0, "rejected": 0, "failed": 0}
        for row in self.pending(request_id):
            if row["next_attempt_at"] > _stamp(now) or not self._claim(row, now):
                continue
            counts[self._send(row, now)] += 1
        return counts

    def _claim(self, row: dict[str, Any], now: datetime) -> bool:
        """Take the message for this worker for a while (another tick skips it)."""
        with self.router.ledger._write() as conn:
            cursor = conn.execute(
                "UPDATE iso18626_outbox SET next_attempt_at = ?"
                " WHERE id = ? AND status = 'pending' AND next_attempt_at = ?",
                (_stamp(now + _LEASE), row["id"], row["next_attempt_at"]),
            )
        return cursor.rowcount == 1

    def _send(self, row: dict[str, Any], now: datetime) -> str:
        attempts = row["attempts"] + 1
        answer: requests.Response | None = None
        try:
            answer = self.session.post(
                row["url"],
                data=row["body"],
                headers=outbound_headers(self.router.members_file.members.get(row["library"])),
                timeout=self.timeout,
            )
            kind, status, error = read_confirmation(answer.content)
        except (requests.RequestException, Iso18626Error) as exc:
            where = f"HTTP {answer.status_code}: " if answer is not None else ""
            return self._failed(row, now, attempts, f"{where}{exc}")
        if answer.status_code in (401, 403):  # our key: fixable, so kept and retried
            return self._failed(row, now, attempts, f"HTTP {answer.status_code}: {error}")
        if status == "OK":
            self._finish(row, now, attempts, "sent", "")
            self._note(row, "iso18626_sent", f"{row['kind']} confirmed by {row['library']}")
            return "sent"
        self._finish(row, now, attempts, "rejected", error)
        self._note(row, "iso18626_rejected", f"{row['kind']} rejected by {row['library']}: {error}")
        return "rejected"

    def _failed(self, row: dict[str, Any], now: datetime, attempts: int, error: str) -> str:
        log.warning(
            "ISO 18626 %s for request %s to %s failed: %s",
            row["kind"],
            row["request_id"],
            row["url"],
            error,
        )
        with self.router.ledger._write() as conn:
            conn.execute(
                "UPDATE iso18626_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?",
                (attempts, _stamp(now + backoff(attempts)), error[:2000], row["id"]),
            )
        self._note(
            row,
            "iso18626_failed",
            f"{row['kind']} to {row['library']} not delivered (try {attempts}): {error}",
            message_id=f"outbox:{row['id']}:{attempts}",
        )
        return "failed"

    def _finish(
        self, row: dict[str, Any], now: datetime, attempts: int, status: str, error: str
    ) -> None:
        with self.router.ledger._write() as conn:
            conn.execute(
                "UPDATE iso18626_outbox SET status = ?, attempts = ?, sent_at = ?, last_error = ?"
                " WHERE id = ?",
                (status, attempts, _stamp(now), error[:2000], row["id"]),
            )

    def _note(
        self, row: dict[str, Any], kind: str, reason: str, message_id: str | None = None
    ) -> None:
        self.router.ledger.note(
            row["request_id"],
            kind,
            library=row["library"],
            reason=reason[:2000],
            message_id=message_id or f"outbox:{row['id']}:{kind}",
        )
