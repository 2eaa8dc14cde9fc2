"""Staff read-models of the ledger: a library's borrowing and lending queues, and who may
see a request.

Read-only queries over the ledger's tables (:mod:`router.ledger_schema`); every change
still goes through :meth:`router.ledger.Ledger.apply`. A library's **lending queue** is
what waits for its answer (it is the current lender); its **borrowing queue** is what its
patrons asked for and is not finished. ``include_closed`` adds finished requests.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from indexer.sqlite import connect
from router.ledger import Ledger
from router.track import StateTable

__all__ = ["QueueEntry", "can_see", "connect_readonly", "queue", "request_title"]

SIDES = ("borrowing", "lending")


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: str
    borrower: str
    lender: str | None
    state: str
    kind: str
    service: str
    title: str
    created_at: str
    updated_at: str
    deadline: str | None
    position: int


def connect_readonly(ledger: Ledger) -> sqlite3.Connection:
    """A read-only connection to the ledger file (closed by the caller)."""
    return connect(ledger.path, readonly=True)


def request_title(request_json: dict[str, Any] | str) -> str:
    """A short label for what was asked: the citation's title, else the record id."""
    data = json.loads(request_json) if isinstance(request_json, str) else request_json
    citation = data.get("citation") or {}
    if isinstance(citation, dict):
        for key in ("atitle", "btitle", "jtitle", "title"):
            value = citation.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        for key in ("doi", "isbn", "issn"):
            value = citation.get(key)
            if value:
                return f"{key.upper()} {value if isinstance(value, str) else value[0]}"
    return str(data.get("record_id") or "")


def queue(
    ledger: Ledger,
    library: str,
    side: str,
    *,
    include_closed: bool = False,
    limit: int = 200,
) -> list[QueueEntry]:
    """``library``'s borrowing or lending requests, the most urgent first."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {', '.join(SIDES)}, not {side!r}")
    states: StateTable = ledger.states
    params: list[Any]
    if side == "borrowing":
        where, params = ["borrower = ?"], [library]
    elif include_closed:  # also what it answered before
        where = [
            "(lender = ? OR id IN (SELECT request_id FROM rota WHERE library = ?"
            " AND status NOT IN ('waiting', 'skipped')))"
        ]
        params = [library, library]
    else:
        where, params = ["lender = ?"], [library]
    if not include_closed:
        open_states = [name for name, info in states.states.items() if not info.terminal]
        where.append(f"state IN ({','.join('?' * len(open_states))})")
        params.extend(open_states)
    sql = (
        "SELECT id, borrower, lender, state, kind, service, request_json, created_at,"  # noqa: S608
        f" updated_at, deadline, position FROM requests WHERE {' AND '.join(where)}"
        " ORDER BY deadline IS NULL, deadline, created_at DESC LIMIT ?"
    )
    with closing(connect_readonly(ledger)) as conn:
        rows = conn.execute(sql, (*params, limit)).fetchall()
    return [
        QueueEntry(
            id=row["id"],
            borrower=row["borrower"],
            lender=row["lender"],
            state=row["state"],
            kind=row["kind"],
            service=row["service"],
            title=request_title(row["request_json"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deadline=row["deadline"],
            position=row["position"],
        )
        for row in rows
    ]


def can_see(request: dict[str, Any], library: str) -> bool:
    """May staff of ``library`` see ``request`` (a :meth:`Ledger.get` view)? The borrower
    and every library of its rota (asked or not) may."""
    if request["borrower"] == library or request.get("lender") == library:
        return True
    return any(entry["library"] == library for entry in request.get("rota", []))
