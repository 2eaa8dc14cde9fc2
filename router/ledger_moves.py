"""How a request moves: the ledger's transition steps, each run inside the caller's
transaction (:meth:`router.ledger.Ledger.apply` opens it with ``BEGIN IMMEDIATE``).

- :func:`check_sender` — may this library (or the scheduler) send this event?
- :func:`perform` — mark the current lender's rota line, run the transition's action
  (``next_lender``, ``reroute``, ``by_service``) and set the new state;
- :func:`ask_next` — send to the next waiting lender of the rota (with its business-day
  deadline), or end the request when the rota is exhausted;
- :func:`append_event` — one line of the timeline.

The state table (:mod:`router.track`) says which transition applies; nothing here
decides that.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mappings.errors import RoutingError
from router.actors import SYSTEM, Actor
from router.track import StateTable

__all__ = [
    "DeadlineFor",
    "EventError",
    "MoveContext",
    "append_event",
    "ask_next",
    "check_sender",
    "perform",
    "queue_first",
    "set_state",
    "stamp",
]

DeadlineFor = Callable[[str, datetime], datetime]
#: the event -> the rota line's status for the lender that had the request.
_ROTA_OUTCOME = {
    "refused": "refused",
    "timeout": "timed_out",
    "reroute": "skipped",
    "will_supply": "will_supply",
    "shipped": "supplied",
    "cancelled": "cancelled",
}


class EventError(RoutingError):
    """An event does not apply to a request; ``field`` names the part at fault, ``status``
    the HTTP status it deserves (409 for a wrong state, 403 for a wrong sender...)."""

    def __init__(self, message: str, *, field: str = "type", status: int = 409) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True, slots=True)
class MoveContext:
    """What the steps need from the ledger: the state table and the lenders' deadlines."""

    states: StateTable
    deadline_for: DeadlineFor


def stamp(moment: datetime) -> str:
    """A moment as stored: UTC ISO 8601 with microseconds (sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def check_sender(row: sqlite3.Row, by: str, library: str, system: bool) -> str:
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


def perform(
    ctx: MoveContext,
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
    outcome = _ROTA_OUTCOME.get(event)
    if outcome and position:
        conn.execute(
            "UPDATE rota SET status = ?, answered_at = ?, note = ?"
            " WHERE request_id = ? AND position = ?",
            (outcome, stamp(now), reason, request_id, position),
        )
    if transition.action in ("next_lender", "reroute"):
        if transition.action == "reroute":
            queue_first(conn, request_id, to_library, reason)
        return ask_next(ctx, conn, request_id, now, row["state"], transition)
    qualifier = row["service"] if transition.action == "by_service" else ""
    target = transition.target(qualifier)
    set_state(ctx, conn, request_id, now, target)
    return target


def queue_first(conn: sqlite3.Connection, request_id: str, library: str, reason: str) -> None:
    """Re-route by hand: put ``library`` next in the rota (appending it if new)."""
    if not library:
        raise EventError("re-routing needs the library to send to", field="to_library", status=422)
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


def ask_next(
    ctx: MoveContext,
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
            (target, stamp(now), request_id),
        )
        return target
    target = transition.target("next") if transition else ctx.states.initial
    deadline = stamp(ctx.deadline_for(nxt["library"], now))
    conn.execute(
        "UPDATE rota SET status = 'asked', asked_at = ?, deadline = ?"
        " WHERE request_id = ? AND position = ?",
        (stamp(now), deadline, request_id, nxt["position"]),
    )
    conn.execute(
        "UPDATE requests SET state = ?, lender = ?, position = ?, deadline = ?, updated_at = ?,"
        " version = version + 1 WHERE id = ?",
        (target, nxt["library"], nxt["position"], deadline, stamp(now), request_id),
    )
    append_event(
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
        by=SYSTEM,
    )
    return target


def set_state(
    ctx: MoveContext, conn: sqlite3.Connection, request_id: str, now: datetime, state: str
) -> None:
    info = ctx.states.states[state]
    keep_lender = "lender" if info.lender else "NULL"
    keep_deadline = "deadline" if info.timeout else "NULL"
    conn.execute(
        f"UPDATE requests SET state = ?, lender = {keep_lender}, deadline = {keep_deadline},"  # noqa: S608
        " updated_at = ?, version = version + 1 WHERE id = ?",
        (state, stamp(now), request_id),
    )


def append_event(
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
    by: Actor | None = None,
) -> int:
    """Append one event (``actor`` is the role; ``by`` who acted); returns its number."""
    cursor = conn.execute(
        "INSERT INTO events (request_id, at, type, actor, by_kind, by_name, library,"
        " from_state, to_state, lender, reason, message_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            request_id,
            stamp(now),
            kind,
            actor,
            by.kind if by else "",
            by.name if by else "",
            library,
            from_state,
            to_state,
            lender,
            reason,
            message_id,
        ),
    )
    return int(cursor.lastrowid or 0)
