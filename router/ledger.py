"""The request ledger: requests, their rotas, current lenders and every event, in sqlite3 (WAL).

Guarantees
----------
- **One transaction per transition.** Each change runs inside ``BEGIN IMMEDIATE``: the
  request's state is read, the transition chosen from the state table
  (:mod:`router.track`), and the request, its rota row and the event row are written
  together, or not at all. A crash leaves the previous state, never half a transition.
- **Idempotent messages.** An event may carry a ``message_id``; a repeated id for the same
  request is answered with the current request and changes nothing (``UNIQUE`` backs it).
- **One worker at a time per request.** ``BEGIN IMMEDIATE`` takes sqlite's write lock
  before reading, so two workers (threads or processes) cannot both advance a request
  from the same state: the second sees the first one's result.
- **Timeouts** are ``deadline`` timestamps, computed in the lender's business days when
  it is asked; :meth:`Ledger.tick` turns passed deadlines into ``timeout`` events whose
  message id is ``timeout:<request>:<rota position>``, so ticks may overlap or repeat.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mappings.errors import RoutingError
from router.business_days import add_business_days
from router.ledger_schema import SCHEMA, request_view
from router.rank import LenderStats
from router.track import StateTable, load_states

__all__ = ["EventError", "Ledger", "RequestNotFound", "utcnow"]

DeadlineFor = Callable[[str, datetime], datetime]


class RequestNotFound(RoutingError):
    """No request has this id."""


class EventError(RoutingError):
    """An event does not apply to a request; ``field`` names the part at fault, ``status``
    the HTTP status it deserves (409 for a wrong state, 403 for a wrong sender...)."""

    def __init__(self, message: str, *, field: str = "type", status: int = 409) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def utcnow() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _weekday_deadline(library: str, start: datetime) -> datetime:
    return add_business_days(start, 3)


class Ledger:
    """Requests and their events in one sqlite3 file (WAL mode, one connection per thread)."""

    def __init__(
        self,
        path: str | Path,
        *,
        states: StateTable | None = None,
        clock: Callable[[], datetime] = utcnow,
        deadline_for: DeadlineFor = _weekday_deadline,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.states = states or load_states()
        self.clock = clock
        self.deadline_for = deadline_for
        self._local = threading.local()
        self._connection().executescript(SCHEMA)

    # -- connections and transactions ------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- creating and reading ----------------------------------------------------------

    def create(
        self,
        *,
        borrower: str,
        request: dict[str, Any],
        decision: dict[str, Any],
        service: str = "copy",
        request_id: str | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Record a new request with its decision; a lend decision goes to its first lender."""
        now = now or self.clock()
        request_id = request_id or uuid.uuid4().hex
        kind = decision.get("kind", "none")
        state = {"fulltext": "Resolved", "local": "Resolved", "lend": self.states.initial}.get(
            kind, "Unfilled"
        )
        with self._write() as conn:
            conn.execute(
                "INSERT INTO requests (id, created_at, updated_at, borrower, state, kind, service,"
                " purchase_suggestion, request_json, decision_json) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    request_id,
                    _stamp(now),
                    _stamp(now),
                    borrower,
                    state,
                    kind,
                    service,
                    int(kind == "none"),
                    json.dumps(request, ensure_ascii=False),
                    json.dumps(decision, ensure_ascii=False),
                ),
            )
            conn.executemany(
                "INSERT INTO rota (request_id, position, library, score, components_json, reason)"
                " VALUES (?,?,?,?,?,?)",
                [
                    (
                        request_id,
                        n,
                        entry["library"],
                        entry.get("score"),
                        json.dumps(entry.get("components", {})),
                        entry.get("reason", ""),
                    )
                    for n, entry in enumerate(decision.get("rota", []), start=1)
                ],
            )
            reason = " ".join(decision.get("explanation", []))
            created_state = "" if kind == "lend" else state
            self._event(
                conn, request_id, now, "created", "borrower", borrower, "", created_state, reason
            )
            if kind == "lend":
                self._ask_next(conn, request_id, now, "")
        return self.get(request_id)

    def get(self, request_id: str) -> dict[str, Any]:
        """The request as JSON-ready data, with its rota and events (oldest first)."""
        conn = self._connection()
        row = conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
        if row is None:
            raise RequestNotFound(f"no request {request_id!r}")
        rota = conn.execute(
            "SELECT * FROM rota WHERE request_id = ? ORDER BY position", (request_id,)
        ).fetchall()
        events = conn.execute(
            "SELECT * FROM events WHERE request_id = ? ORDER BY seq", (request_id,)
        ).fetchall()
        return request_view(row, rota, events)

    def list_requests(
        self,
        *,
        borrower: str | None = None,
        lender: str | None = None,
        state: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Request summaries (no events), newest first, filtered."""
        clauses, params = [], []
        for column, value in (("borrower", borrower), ("lender", lender), ("state", state)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._connection().execute(
            f"SELECT id, borrower, lender, state, kind, service, created_at, updated_at, deadline"  # noqa: S608
            f" FROM requests {where} ORDER BY created_at DESC LIMIT ?",
            (*params, limit),
        )
        return [dict(row) for row in rows]

    # -- events ----------------------------------------------------------------------------

    def apply(
        self,
        request_id: str,
        event: str,
        *,
        library: str = "",
        reason: str = "",
        message_id: str | None = None,
        to_library: str = "",
        system: bool = False,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """Apply one event in one transaction; a repeated ``message_id`` changes nothing."""
        now = now or self.clock()
        with self._write() as conn:
            row = conn.execute("SELECT * FROM requests WHERE id = ?", (request_id,)).fetchone()
            if row is None:
                raise RequestNotFound(f"no request {request_id!r}")
            if (
                message_id
                and conn.execute(
                    "SELECT 1 FROM events WHERE request_id = ? AND message_id = ?",
                    (request_id, message_id),
                ).fetchone()
            ):
                return {**self.get(request_id), "duplicate": True}
            transition = self.states.find(row["state"], event)
            if transition is None:
                raise EventError(
                    f"a {event!r} event does not apply to a request in state {row['state']}"
                    f" (possible: {', '.join(self.states.events_from(row['state'])) or 'none'})"
                )
            sender = self._sender(row, transition.by, library, system)
            if event == "timeout" and (row["deadline"] is None or row["deadline"] > _stamp(now)):
                return {**self.get(request_id), "duplicate": True}
            # The event is written before what it causes ("refused", then "sent" to the
            # next lender); its to-state is filled in once the action has chosen it.
            seq = self._event(
                conn,
                request_id,
                now,
                event,
                sender,
                library or "system",
                row["state"],
                "",
                reason,
                message_id,
                lender=row["lender"],
            )
            target = self._perform(conn, row, transition, event, now, reason, to_library)
            conn.execute("UPDATE events SET to_state = ? WHERE seq = ?", (target, seq))
        return self.get(request_id)

    def note(
        self,
        request_id: str,
        kind: str,
        *,
        library: str = "",
        reason: str = "",
        actor: str = "system",
        message_id: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record an event that changes no state (a message sent, failed, acknowledged).

        Returns False when ``message_id`` was already recorded for this request.
        """
        now = now or self.clock()
        with self._write() as conn:
            row = conn.execute(
                "SELECT state, lender FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
            if row is None:
                raise RequestNotFound(f"no request {request_id!r}")
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (request_id, at, type, actor, library, from_state,"
                " to_state, lender, reason, message_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    request_id,
                    _stamp(now),
                    kind,
                    actor,
                    library or "system",
                    row["state"],
                    row["state"],
                    row["lender"],
                    reason,
                    message_id,
                ),
            )
        return cursor.rowcount == 1

    def _sender(self, row: sqlite3.Row, by: str, library: str, system: bool) -> str:
        """Check who sends the event; returns the sender's role."""
        if by == "system":
            if not system:
                raise EventError("only the scheduler sends this event", status=403)
            return "system"
        if system:
            return "system"
        allowed = {
            "lender": {row["lender"]},
            "borrower": {row["borrower"]},
            "staff": {row["borrower"], row["lender"]},
        }[by]
        if not library:
            raise EventError("the sending library is required", field="library", status=422)
        if library not in allowed:
            whom = {"lender": "the current lender", "borrower": "the borrowing library"}.get(
                by, "the borrowing library or the current lender"
            )
            raise EventError(
                f"{library} cannot send this event: only {whom} can", field="library", status=403
            )
        return by

    def _perform(
        self,
        conn: sqlite3.Connection,
        row: sqlite3.Row,
        transition: Any,
        event: str,
        now: datetime,
        reason: str,
        to_library: str,
    ) -> str:
        """Run the transition's action (if any) and move the request; returns the new state."""
        request_id, position = row["id"], row["position"]
        outcome = {
            "refused": "refused",
            "timeout": "timed_out",
            "reroute": "skipped",
            "will_supply": "will_supply",
            "shipped": "supplied",
            "cancelled": "cancelled",
        }.get(event)
        if outcome and position:
            conn.execute(
                "UPDATE rota SET status = ?, answered_at = ?, note = ?"
                " WHERE request_id = ? AND position = ?",
                (outcome, _stamp(now), reason, request_id, position),
            )
        if transition.action in ("next_lender", "reroute"):
            if transition.action == "reroute":
                self._queue_first(conn, request_id, to_library, reason)
            return self._ask_next(conn, request_id, now, row["state"], transition)
        qualifier = row["service"] if transition.action == "by_service" else ""
        target = transition.target(qualifier)
        self._set_state(conn, request_id, now, target)
        return target

    def _queue_first(
        self, conn: sqlite3.Connection, request_id: str, library: str, reason: str
    ) -> None:
        """Re-route by hand: put ``library`` next in the rota (appending it if new)."""
        if not library:
            raise EventError(
                "re-routing needs the library to send to", field="to_library", status=422
            )
        waiting = conn.execute(
            "SELECT position FROM rota WHERE request_id = ? AND library = ? AND status = 'waiting'",
            (request_id, library),
        ).fetchone()
        last = conn.execute(
            "SELECT COALESCE(MAX(position), 0) FROM rota WHERE request_id = ?", (request_id,)
        ).fetchone()[0]
        if waiting is None:
            conn.execute(
                "INSERT INTO rota (request_id, position, library, reason) VALUES (?,?,?,?)",
                (request_id, last + 1, library, f"re-routed by staff: {reason}".strip(": ")),
            )
            target = last + 1
        else:
            target = waiting["position"]
        conn.execute(
            "UPDATE rota SET priority = 1 WHERE request_id = ? AND position = ?",
            (request_id, target),
        )

    def _ask_next(
        self,
        conn: sqlite3.Connection,
        request_id: str,
        now: datetime,
        previous: str,
        transition: Any = None,
    ) -> str:
        """Send to the next waiting lender of the rota, or end Unfilled; returns the state."""
        nxt = conn.execute(
            "SELECT position, library FROM rota WHERE request_id = ? AND status = 'waiting'"
            " ORDER BY priority DESC, position LIMIT 1",
            (request_id,),
        ).fetchone()
        if nxt is None:
            target = transition.target("exhausted") if transition else "Unfilled"
            conn.execute(
                "UPDATE requests SET state = ?, lender = NULL, position = 0, deadline = NULL,"
                " purchase_suggestion = 1, updated_at = ?, version = version + 1 WHERE id = ?",
                (target, _stamp(now), request_id),
            )
            return target
        target = transition.target("next") if transition else self.states.initial
        deadline = _stamp(self.deadline_for(nxt["library"], now))
        conn.execute(
            "UPDATE rota SET status = 'asked', asked_at = ?, deadline = ?"
            " WHERE request_id = ? AND position = ?",
            (_stamp(now), deadline, request_id, nxt["position"]),
        )
        conn.execute(
            "UPDATE requests SET state = ?, lender = ?, position = ?, deadline = ?, updated_at = ?,"
            " version = version + 1 WHERE id = ?",
            (target, nxt["library"], nxt["position"], deadline, _stamp(now), request_id),
        )
        self._event(
            conn,
            request_id,
            now,
            "sent",
            "system",
            "system",
            previous,
            target,
            f"asked lender {nxt['position']} of the rota; answer due by {deadline}",
            lender=nxt["library"],
        )
        return target

    def _set_state(
        self, conn: sqlite3.Connection, request_id: str, now: datetime, state: str
    ) -> None:
        info = self.states.states[state]
        keep_lender = "lender" if info.lender else "NULL"
        keep_deadline = "deadline" if info.timeout else "NULL"
        conn.execute(
            f"UPDATE requests SET state = ?, lender = {keep_lender}, deadline = {keep_deadline},"  # noqa: S608
            " updated_at = ?, version = version + 1 WHERE id = ?",
            (state, _stamp(now), request_id),
        )

    def _event(
        self,
        conn: sqlite3.Connection,
        request_id: str,
        now: datetime,
        kind: str,
        actor: str,
        library: str,
        from_state: str,
        to_state: str,
        reason: str = "",
        message_id: str | None = None,
        *,
        lender: str | None = None,
    ) -> int:
        """Append one event; returns its sequence number."""
        cursor = conn.execute(
            "INSERT INTO events (request_id, at, type, actor, library, from_state, to_state,"
            " lender, reason, message_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                request_id,
                _stamp(now),
                kind,
                actor,
                library,
                from_state,
                to_state,
                lender,
                reason,
                message_id,
            ),
        )
        return int(cursor.lastrowid or 0)

    # -- the scheduler and statistics ------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[str]:
        """Apply every passed timeout (idempotent); returns the ids of the requests moved on."""
        now = now or self.clock()
        due = (
            self._connection()
            .execute(
                "SELECT id, position FROM requests WHERE deadline IS NOT NULL AND deadline <= ?"
                " ORDER BY deadline",
                (_stamp(now),),
            )
            .fetchall()
        )
        moved = []
        for row in due:
            try:
                result = self.apply(
                    row["id"],
                    "timeout",
                    system=True,
                    now=now,
                    message_id=f"timeout:{row['id']}:{row['position']}",
                    reason="no answer within the lender's timeout",
                )
            except EventError:
                continue  # answered meanwhile: the state no longer times out
            if not result.get("duplicate"):
                moved.append(row["id"])
        return moved

    def lender_stats(self) -> dict[str, LenderStats]:
        """Each lender's history: supplied, refused or timed out, turnaround days, open load."""
        rows = self._connection().execute(
            "SELECT library,"
            " SUM(status = 'supplied') AS filled,"
            " SUM(status IN ('refused', 'timed_out')) AS unfilled,"
            " SUM(CASE WHEN status = 'supplied' AND asked_at IS NOT NULL"
            "     THEN julianday(answered_at) - julianday(asked_at) END) AS days,"
            " SUM(status = 'supplied' AND asked_at IS NOT NULL) AS timed,"
            " SUM(status IN ('asked', 'will_supply')) AS load"
            " FROM rota GROUP BY library"
        )
        return {
            row["library"]: LenderStats(
                filled=row["filled"] or 0,
                unfilled=row["unfilled"] or 0,
                turnaround_days_total=row["days"] or 0.0,
                turnaround_count=row["timed"] or 0,
                load=row["load"] or 0,
            )
            for row in rows
        }
