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

Layout: this module holds the connections, the transactions and the queries; the steps
of a transition (sender check, actions, asking the next lender, timeline lines) are in
:mod:`router.ledger_moves`, and the tables and the JSON view in :mod:`router.ledger_schema`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from indexer.sqlite import ThreadConnections
from mappings.errors import RoutingError
from router.actors import SYSTEM, Actor
from router.business_days import add_business_days
from router.ledger_moves import (
    DeadlineFor,
    EventError,
    MoveContext,
    append_event,
    ask_next,
    check_sender,
    perform,
    stamp,
)
from router.ledger_schema import SCHEMA, migrate, request_view
from router.rank import LenderStats
from router.track import StateTable, load_states

__all__ = ["EventError", "Ledger", "RequestNotFound", "utcnow"]


class RequestNotFound(RoutingError):
    """No request has this id."""


def utcnow() -> datetime:
    return datetime.now(UTC)


_stamp = stamp  # the name the router's other modules import


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
        self._db = ThreadConnections(self.path, timeout=60.0, foreign_keys=True)
        self._connection().executescript(SCHEMA)
        migrate(self._connection())

    @property
    def _moves(self) -> MoveContext:
        return MoveContext(self.states, self.deadline_for)

    # -- connections and transactions ------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (the router's other modules read through it)."""
        return self._db.get()

    def close(self) -> None:
        """Close this thread's connection."""
        self._db.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: ``with ledger._write() as conn: ...``."""
        return self._db.write()

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
        by: Actor | None = None,
    ) -> dict[str, Any]:
        """Record a new request with its decision; a lend decision goes to its first lender.

        ``by`` is who asked (see :mod:`router.actors`)."""
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
                    stamp(now),
                    stamp(now),
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
            append_event(
                conn,
                request_id,
                now,
                "created",
                "borrower",
                borrower,
                "",
                created_state,
                reason,
                by=by,
            )
            if kind == "lend":
                ask_next(self._moves, conn, request_id, now, "")
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
        by: Actor | None = None,
    ) -> dict[str, Any]:
        """Apply one event in one transaction; a repeated ``message_id`` changes nothing.

        ``by`` is who acted (the scheduler, ``system=True``, is :data:`~router.actors.SYSTEM`)."""
        now = now or self.clock()
        if by is None and system:
            by = SYSTEM
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
            sender = check_sender(row, transition.by, library, system)
            if event == "timeout" and (row["deadline"] is None or row["deadline"] > stamp(now)):
                return {**self.get(request_id), "duplicate": True}
            # The event is written before what it causes ("refused", then "sent" to the
            # next lender); its to-state is filled in once the action has chosen it.
            seq = append_event(
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
                by=by,
            )
            target = perform(self._moves, conn, row, transition, event, now, reason, to_library)
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
        by: Actor | None = None,
    ) -> bool:
        """Record an event that changes no state (a message sent, failed, acknowledged).

        ``by`` defaults to :data:`~router.actors.SYSTEM` when the role is ``system``.
        Returns False when ``message_id`` was already recorded for this request.
        """
        now = now or self.clock()
        by = by or (SYSTEM if actor == "system" else None)
        with self._write() as conn:
            row = conn.execute(
                "SELECT state, lender FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
            if row is None:
                raise RequestNotFound(f"no request {request_id!r}")
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (request_id, at, type, actor, by_kind, by_name,"
                " library, from_state, to_state, lender, reason, message_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    request_id,
                    stamp(now),
                    kind,
                    actor,
                    by.kind if by else "",
                    by.name if by else "",
                    library or "system",
                    row["state"],
                    row["state"],
                    row["lender"],
                    reason,
                    message_id,
                ),
            )
        return cursor.rowcount == 1

    # -- the scheduler and statistics ------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[str]:
        """Apply every passed timeout (idempotent); returns the ids of the requests moved on."""
        now = now or self.clock()
        due = (
            self._connection()
            .execute(
                "SELECT id, position FROM requests WHERE deadline IS NOT NULL AND deadline <= ?"
                " ORDER BY deadline",
                (stamp(now),),
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
