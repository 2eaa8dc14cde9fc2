"""The ledger's sqlite3 tables, their migrations, and how a stored request is turned into
JSON-ready data.

:func:`migrate` brings a database made by an older version up to :data:`SCHEMA` (columns
added when missing, in one ``BEGIN IMMEDIATE`` transaction so two processes opening the
same old file do not both add them).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from indexer.sqlite import write

__all__ = ["SCHEMA", "migrate", "request_view"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    borrower TEXT NOT NULL,
    state TEXT NOT NULL,
    kind TEXT NOT NULL,                     -- fulltext / local / lend / none
    service TEXT NOT NULL,                  -- copy / loan
    lender TEXT,                            -- the library it is with now
    position INTEGER NOT NULL DEFAULT 0,    -- that lender's rota position (0: none)
    deadline TEXT,                          -- when the lender's timeout passes
    purchase_suggestion INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,     -- grows with every transition
    request_json TEXT NOT NULL,             -- what was asked: citation / record id, needs
    decision_json TEXT NOT NULL             -- the decision, as returned when created
);
CREATE INDEX IF NOT EXISTS requests_deadline ON requests (deadline)
    WHERE deadline IS NOT NULL;
CREATE INDEX IF NOT EXISTS requests_borrower ON requests (borrower, state);
CREATE INDEX IF NOT EXISTS requests_lender ON requests (lender, state);

CREATE TABLE IF NOT EXISTS rota (
    request_id TEXT NOT NULL REFERENCES requests (id),
    position INTEGER NOT NULL,
    library TEXT NOT NULL,
    score REAL,
    components_json TEXT NOT NULL DEFAULT '{}',
    reason TEXT NOT NULL DEFAULT '',
    -- waiting / asked / will_supply / supplied / refused / timed_out / skipped / cancelled
    status TEXT NOT NULL DEFAULT 'waiting',
    priority INTEGER NOT NULL DEFAULT 0,    -- 1: re-routed here by staff, asked next
    asked_at TEXT,
    deadline TEXT,
    answered_at TEXT,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (request_id, position)
);
CREATE INDEX IF NOT EXISTS rota_library ON rota (library, status);

CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,                    -- role: lender / borrower / staff / system
    by_kind TEXT NOT NULL DEFAULT '',       -- who acted: staff / api_key / iso18626 / ...
    by_name TEXT NOT NULL DEFAULT '',       -- username / key id / agency id / system / patron
    library TEXT NOT NULL DEFAULT '',
    from_state TEXT NOT NULL DEFAULT '',
    to_state TEXT NOT NULL DEFAULT '',
    lender TEXT,
    reason TEXT NOT NULL DEFAULT '',
    message_id TEXT,
    UNIQUE (request_id, message_id)
);
CREATE INDEX IF NOT EXISTS events_request ON events (request_id, seq);
"""


#: (table, column, declaration) added since the first release; older files gain them.
_ADDED_COLUMNS = (
    ("events", "by_kind", "TEXT NOT NULL DEFAULT ''"),
    ("events", "by_name", "TEXT NOT NULL DEFAULT ''"),
)


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Add the columns an older ledger lacks; returns ``table.column`` of each one added.

    Events written before actors were recorded keep an empty actor, except the
    scheduler's own (role ``system``), which are marked ``system``.
    """
    added: list[str] = []
    with write(conn):
        for table, column, declaration in _ADDED_COLUMNS:
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
                added.append(f"{table}.{column}")
        if "events.by_kind" in added:
            conn.execute(
                "UPDATE events SET by_kind = 'system', by_name = 'system'"
                " WHERE actor = 'system' AND by_kind = ''"
            )
    return added


def request_view(
    row: sqlite3.Row, rota: list[sqlite3.Row], events: list[sqlite3.Row]
) -> dict[str, Any]:
    """One request as the API returns it."""
    return {
        "id": row["id"],
        "state": row["state"],
        "kind": row["kind"],
        "service": row["service"],
        "borrower": row["borrower"],
        "lender": row["lender"],
        "rota_position": row["position"] or None,
        "deadline": row["deadline"],
        "purchase_suggestion": bool(row["purchase_suggestion"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "request": json.loads(row["request_json"]),
        "decision": json.loads(row["decision_json"]),
        "rota": [
            {
                "position": r["position"],
                "library": r["library"],
                "score": r["score"],
                "status": r["status"],
                "asked_at": r["asked_at"],
                "deadline": r["deadline"],
                "answered_at": r["answered_at"],
                "note": r["note"],
            }
            for r in rota
        ],
        "events": [
            {
                "seq": e["seq"],
                "at": e["at"],
                "type": e["type"],
                "actor": e["actor"],
                "by": {"kind": e["by_kind"], "name": e["by_name"]},
                "library": e["library"],
                "from": e["from_state"],
                "to": e["to_state"],
                "lender": e["lender"],
                "reason": e["reason"],
                "message_id": e["message_id"],
            }
            for e in events
        ],
    }
