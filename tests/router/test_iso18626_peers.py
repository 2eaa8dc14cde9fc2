"""Two routers talking ISO 18626 over real HTTP on 127.0.0.1: requests out, answers back.

Router A serves the borrowing library 211010; router B (a second app instance with its
own ledger) serves the lender 211030. Both read the same members file, which gives each
of them an ``iso18626_url``. Each router holds an API key for the other's library and
sends it (``iso18626_key_env``): A's key at B is in ``ISO18626_KEY_211030``, B's at A
in ``ISO18626_KEY_211010``.
"""

from __future__ import annotations

import pytest
from iso_testkit import free_port, make_app, make_router, serve, write_members
from router_testkit import FakeClock

from router.iso18626 import read_message
from router.iso18626_inbound import request_id_for

KEY_ENV = {"211010": "ISO18626_KEY_211010", "211030": "ISO18626_KEY_211030"}


@pytest.fixture
def peers(tmp_path, monkeypatch):
    port_a, port_b = free_port(), free_port()
    members = write_members(
        tmp_path / "members.toml",
        {
            "211010": f"http://127.0.0.1:{port_a}/iso18626",
            "211030": f"http://127.0.0.1:{port_b}/iso18626",
        },
        key_env=KEY_ENV,
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clock = FakeClock()
    a = make_router(tmp_path / "a", members, clock)
    b = make_router(tmp_path / "b", members, clock)
    monkeypatch.setenv(KEY_ENV["211030"], b.api_keys.create("211010", "peer A"))
    monkeypatch.setenv(KEY_ENV["211010"], a.api_keys.create("211030", "peer B"))
    return {"a": a, "b": b, "port_a": port_a, "port_b": port_b, "clock": clock}


def borrow(router):
    client = make_app(router).test_client()
    response = client.post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "loan"}},
    )
    assert response.status_code == 201
    return response.get_json()


def types(request):
    return [e["type"] for e in request["events"]]


def test_request_goes_to_the_lender_and_its_answers_come_back(peers):
    a, b = peers["a"], peers["b"]
    with serve(make_app(a), peers["port_a"]), serve(make_app(b), peers["port_b"]):
        created = borrow(a)
        assert created["lender"] == "211030"
        assert "iso18626_sent" in types(created)
        (sent,) = a.outbox.messages(created["id"])
        assert (sent["kind"], sent["status"], sent["library"]) == ("request", "sent", "211030")

        (incoming,) = b.ledger.list_requests()
        at_b = b.ledger.get(incoming["id"])
        assert (at_b["borrower"], at_b["lender"], at_b["state"]) == (
            "211010",
            "211030",
            "RequestReceived",
        )
        assert at_b["request"]["iso18626"]["requesting_request_id"] == created["id"]
        assert b.outbox.messages(at_b["id"]) == []  # the lender side does not ask anyone

        lender = make_app(b).test_client()
        lender.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {b.api_keys.create('211030')}"
        for event in ("will_supply", "shipped"):
            answer = lender.post(
                f"/api/v1/requests/{at_b['id']}/events",
                json={"type": event, "library": "211030"},
            )
            assert answer.status_code == 200

    at_a = a.ledger.get(created["id"])
    assert (at_a["state"], at_a["lender"]) == ("Loaned", "211030")
    moves = [(e["type"], e["actor"], e["library"], e["to"]) for e in at_a["events"]]
    assert ("will_supply", "lender", "211030", "WillSupply") in moves
    assert ("shipped", "lender", "211030", "Loaned") in moves
    # who acted: at A the lender's answers came from its ISO 18626 peer; at B, the
    # request from A's peer and the answers from B's API key.
    by_a = {e["type"]: e["by"] for e in at_a["events"]}
    assert by_a["will_supply"] == {"kind": "iso18626", "name": "ISIL:OCLC-BCDEF"}
    assert by_a["created"] == {"kind": "patron", "name": "patron"}
    assert by_a["sent"] == {"kind": "system", "name": "system"}
    by_b = {e["type"]: e["by"] for e in b.ledger.get(at_b["id"])["events"]}
    assert by_b["created"] == {"kind": "iso18626", "name": "ISIL:OCLC-ABCDE"}
    assert by_b["will_supply"]["kind"] == "api_key" and by_b["will_supply"]["name"]
    statuses = [m["status"] for m in b.outbox.messages(at_b["id"])]
    assert statuses == ["sent", "sent"]


def test_refusal_at_the_lender_sends_the_request_on(peers):
    a, b = peers["a"], peers["b"]
    with serve(make_app(a), peers["port_a"]), serve(make_app(b), peers["port_b"]):
        created = borrow(a)
        (incoming,) = b.ledger.list_requests()
        make_app(b).test_client().post(
            f"/api/v1/requests/{incoming['id']}/events",
            json={"type": "refused", "library": "211030", "reason": "missing from shelf"},
            headers={"Authorization": f"Bearer {b.api_keys.create('211030')}"},
        )
    assert b.ledger.get(incoming["id"])["state"] == "Unfilled"
    at_a = a.ledger.get(created["id"])
    assert at_a["lender"] == "221010" and at_a["state"] == "RequestReceived"
    refused = next(e for e in at_a["events"] if e["type"] == "refused")
    assert refused["library"] == "211030" and "missing from shelf" in refused["reason"]


def test_an_unreachable_lender_is_retried_by_tick_and_nothing_is_lost(peers):
    a, b, clock = peers["a"], peers["b"], peers["clock"]
    created = borrow(a)  # nobody listens on B's port yet
    (row,) = a.outbox.pending(created["id"])
    assert row["attempts"] == 1 and "Connection" in row["last_error"]
    failed = [e for e in a.ledger.get(created["id"])["events"] if e["type"] == "iso18626_failed"]
    assert len(failed) == 1 and "try 1" in failed[0]["reason"]

    assert a.tick() == []  # not due yet: back-off
    assert len(a.outbox.pending(created["id"])) == 1
    clock.advance(minutes=2)
    with serve(make_app(b), peers["port_b"]):
        a.tick()
    assert a.outbox.pending(created["id"]) == []
    assert a.outbox.messages(created["id"])[0]["status"] == "sent"
    assert len(b.ledger.list_requests()) == 1


def test_a_request_the_lender_rejects_is_kept_with_the_reason(peers):
    a, b = peers["a"], peers["b"]
    b.members_file.members.pop("211010")  # the lender's directory does not know the borrower
    with serve(make_app(b), peers["port_b"]):
        created = borrow(a)
    (message,) = a.outbox.messages(created["id"])
    assert message["status"] == "rejected"
    assert "UnrecognisedDataValue" in message["last_error"]
    assert "requestingAgencyId ISIL:OCLC-ABCDE is not a member" in message["last_error"]
    assert b.ledger.list_requests() == []
    assert "iso18626_rejected" in types(a.ledger.get(created["id"]))


def test_lender_side_request_id_is_stable(peers):
    a = peers["a"]
    with serve(make_app(a), peers["port_a"]), serve(make_app(peers["b"]), peers["port_b"]):
        created = borrow(a)
    (message,) = a.outbox.messages(created["id"])
    body = (
        a.ledger._connection()
        .execute("SELECT body FROM iso18626_outbox WHERE id = ?", (message["id"],))
        .fetchone()[0]
    )
    parsed = read_message(body)
    assert parsed.requesting_request_id == created["id"]
    assert peers["b"].ledger.get(request_id_for(parsed))["borrower"] == "211010"


def _borrower_event(router, request_id, event):
    client = make_app(router).test_client()
    return client.post(
        f"/api/v1/requests/{request_id}/events",
        json={"type": event, "library": "211010", "reason": f"patron: {event}"},
        headers={"Authorization": f"Bearer {router.api_keys.create('211010')}"},
    )


def test_a_cancel_by_the_borrower_reaches_the_lender(peers):
    a, b = peers["a"], peers["b"]
    with serve(make_app(a), peers["port_a"]), serve(make_app(b), peers["port_b"]):
        created = borrow(a)
        cancelled = _borrower_event(a, created["id"], "cancelled")
        assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "Cancelled"
    (incoming,) = b.ledger.list_requests()
    at_b = b.ledger.get(incoming["id"])
    assert at_b["state"] == "Cancelled"
    cancel = next(e for e in at_b["events"] if e["type"] == "cancelled")
    assert (cancel["actor"], cancel["library"]) == ("borrower", "211010")
    assert "patron: cancelled" in cancel["reason"]
    kinds = [(m["kind"], m["status"], m["library"]) for m in a.outbox.messages(created["id"])]
    assert kinds == [("request", "sent", "211030"), ("requestingAgencyMessage", "sent", "211030")]


def test_received_and_returned_reach_the_lender_and_complete_the_loan(peers):
    a, b = peers["a"], peers["b"]
    with serve(make_app(a), peers["port_a"]), serve(make_app(b), peers["port_b"]):
        created = borrow(a)
        (incoming,) = b.ledger.list_requests()
        for event in ("will_supply", "shipped"):
            b.event(incoming["id"], event, library="211030")
        assert a.ledger.get(created["id"])["state"] == "Loaned"
        assert _borrower_event(a, created["id"], "received").status_code == 200
        assert _borrower_event(a, created["id"], "returned").status_code == 200
    at_b = b.ledger.get(incoming["id"])
    assert at_b["state"] == "LoanCompleted"
    moves = [(e["type"], e["actor"], e["to"]) for e in at_b["events"] if e["actor"] == "borrower"]
    assert moves[-2:] == [
        ("received", "borrower", "Loaned"),
        ("returned", "borrower", "LoanCompleted"),
    ]
    actions = [
        m for m in a.outbox.messages(created["id"]) if m["kind"] == "requestingAgencyMessage"
    ]
    assert [m["status"] for m in actions] == ["sent", "sent"]
    bodies = [
        read_message(
            a.ledger._connection()
            .execute("SELECT body FROM iso18626_outbox WHERE id = ?", (m["id"],))
            .fetchone()[0]
        )
        for m in actions
    ]
    assert [m.fields["action"] for m in bodies] == ["Received", "ShippedReturn"]
    assert {m.requesting_request_id for m in bodies} == {created["id"]}


def test_a_cancel_for_a_lender_without_iso18626_sends_nothing(peers):
    a = peers["a"]
    created = borrow(a)  # B is not listening: the request message stays pending
    a.members_file.members["211030"].iso18626_url = ""  # now the lender does not speak it
    assert _borrower_event(a, created["id"], "cancelled").status_code == 200
    assert [m["kind"] for m in a.outbox.messages(created["id"])] == ["request"]


def test_without_our_key_the_lender_refuses_and_the_message_waits_for_it(peers, monkeypatch):
    a, b, clock = peers["a"], peers["b"], peers["clock"]
    monkeypatch.delenv(KEY_ENV["211030"])
    key = b.api_keys.create("211010", "peer A, set late")
    with serve(make_app(b), peers["port_b"]):
        created = borrow(a)
        (row,) = a.outbox.pending(created["id"])
        assert "HTTP 401" in row["last_error"] and "no credentials" in row["last_error"]
        assert b.ledger.list_requests() == []
        monkeypatch.setenv(KEY_ENV["211030"], key)
        clock.advance(minutes=2)
        a.tick()
    assert a.outbox.messages(created["id"])[0]["status"] == "sent"
    assert len(b.ledger.list_requests()) == 1
