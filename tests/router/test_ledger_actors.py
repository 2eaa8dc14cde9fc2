"""Who acted, in the ledger: a ledger made before actors were recorded is migrated in
place, and every way an event is written records its actor."""

from __future__ import annotations

import sqlite3

import pytest

from router.actors import PATRON, SYSTEM, Actor
from router.ledger import Ledger
from router.ledger_schema import migrate

#: the events table as the first release created it (no by_kind / by_name).
OLD_EVENTS = """
CREATE TABLE requests (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    borrower TEXT NOT NULL, state TEXT NOT NULL, kind TEXT NOT NULL, service TEXT NOT NULL,
    lender TEXT, position INTEGER NOT NULL DEFAULT 0, deadline TEXT,
    purchase_suggestion INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 0,
    request_json TEXT NOT NULL, decision_json TEXT NOT NULL
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL REFERENCES requests (id),
    at TEXT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL,
    library TEXT NOT NULL DEFAULT '', from_state TEXT NOT NULL DEFAULT '',
    to_state TEXT NOT NULL DEFAULT '', lender TEXT, reason TEXT NOT NULL DEFAULT '',
    message_id TEXT, UNIQUE (request_id, message_id)
);
INSERT INTO requests VALUES ('old-1', '2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00',
    '211010', 'RequestReceived', 'lend', 'copy', '211030', 1, NULL, 0, 2, '{}', '{"kind": "lend"}');
INSERT INTO events (request_id, at, type, actor, library, to_state)
    VALUES ('old-1', '2024-01-01T00:00:00+00:00', 'created', 'borrower', '211010', '');
INSERT INTO events (request_id, at, type, actor, library, to_state, lender)
    VALUES ('old-1', '2024-01-01T00:00:01+00:00', 'sent', 'system', 'system', 'RequestReceived',
            '211030');
"""


def lend(ledger: Ledger, request_id: str = "r-1", by: Actor | None = None) -> dict:
    decision = {
        "kind": "lend",
        "rota": [{"library": code, "score": 0.5} for code in ("211030", "221010")],
        "excluded": [],
        "explanation": [],
    }
    return ledger.create(
        borrower="211010", request={}, decision=decision, request_id=request_id, by=by
    )


def test_an_old_ledger_gains_the_actor_columns_and_keeps_its_events(tmp_path, clock):
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_EVENTS)
    ledger = Ledger(path, clock=clock)
    old = ledger.get("old-1")
    assert [(e["type"], e["by"]) for e in old["events"]] == [
        ("created", {"kind": "", "name": ""}),  # who it was is not known
        ("sent", {"kind": "system", "name": "system"}),
    ]
    ledger.apply("old-1", "refused", library="211030", by=Actor(name="lend", kind="staff"))
    assert ledger.get("old-1")["events"][2]["by"] == {"kind": "staff", "name": "lend"}
    # opening it again (another process, a restart) migrates nothing twice
    assert migrate(ledger._connection()) == []
    assert len(Ledger(path, clock=clock).get("old-1")["events"]) == len(
        ledger.get("old-1")["events"]
    )


def test_migrate_reports_what_it_added(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    conn.executescript(OLD_EVENTS)
    assert migrate(conn) == ["events.by_kind", "events.by_name"]
    assert migrate(conn) == []


def test_each_writer_records_its_actor(tmp_path, clock):
    ledger = Ledger(tmp_path / "ledger.sqlite3", clock=clock)
    stored = lend(ledger, by=PATRON)
    ledger.note("r-1", "iso18626_sent", library="211030", reason="confirmed")
    ledger.apply("r-1", "will_supply", library="211030", by=Actor(name="k1", kind="api_key"))
    clock.advance(days=60)
    ledger.apply("r-1", "cancelled", library="211010", by=Actor(name="bor", kind="staff"))
    events = [(e["type"], e["by"]["kind"], e["by"]["name"]) for e in ledger.get("r-1")["events"]]
    assert events == [
        ("created", "patron", "patron"),
        ("sent", "system", "system"),
        ("iso18626_sent", "system", "system"),
        ("will_supply", "api_key", "k1"),
        ("cancelled", "staff", "bor"),
    ]
    assert stored["events"][0]["by"] == PATRON.as_json()


def test_the_scheduler_is_the_system(tmp_path, clock):
    ledger = Ledger(tmp_path / "ledger.sqlite3", clock=clock)
    lend(ledger)
    clock.advance(days=30)
    assert ledger.tick() == ["r-1"]
    timeout = next(e for e in ledger.get("r-1")["events"] if e["type"] == "timeout")
    assert timeout["by"] == SYSTEM.as_json()


def test_an_actor_kind_outside_the_list_is_refused():
    with pytest.raises(ValueError, match="actor kind 'robot'"):
        Actor(name="r2", kind="robot")
