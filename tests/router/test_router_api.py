"""The HTTP API on a minimal Flask app (the blueprint alone, as search_app registers it)."""

from __future__ import annotations

import pytest
from flask import Flask
from router_testkit import make_payload

from router.api import bp, init_app
from router.members import SAMPLE_MEMBERS
from router.network import SAMPLE_NETWORK
from router.service import CatalogItems, Router


@pytest.fixture
def client(tmp_path, clock):
    payloads = {
        "c-1": make_payload(["211030", "221010", "252010"]),
        "c-oa": make_payload(
            ["221010"], id="c-oa", links=[{"url": "https://oa.example/1", "access": "open"}]
        ),
    }
    items = CatalogItems(get_payload=payloads.get, find_eholdings=lambda **_: [])
    router = Router(
        tmp_path / "ledger.sqlite3",
        members=SAMPLE_MEMBERS,
        network_path=SAMPLE_NETWORK,
        items=items,
        clock=clock,
    )
    app = Flask(__name__)
    app.register_blueprint(bp)
    init_app(app, router)
    client = app.test_client()
    # a consortium-wide key: these tests are about the API's behaviour, not its access rules
    # (tests/router/test_api_auth.py)
    key = router.api_keys.create(router.members_file.consortium.code)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client


def _error(response, status, field):
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "field"}
    assert body["error"]["status"] == status and body["error"]["field"] == field
    return body["error"]


def test_create_lend_request_then_refuse_moves_on(client):
    response = client.post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "loan"}},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/requests/{body['id']}"
    assert body["state"] == "RequestReceived"
    decision = body["decision"]
    assert decision["kind"] == "lend"
    assert [e["library"] for e in decision["rota"]] == ["211030", "221010"]
    assert set(decision["rota"][0]) >= {"library", "score", "components"}
    assert decision["excluded"] == [
        {"library": "252010", "reason": "does not lend to other libraries"}
    ]
    assert body["lender"] == "211030"
    event = client.post(
        f"/api/v1/requests/{body['id']}/events",
        json={"type": "refused", "library": "211030", "reason": "in use"},
        headers={"Idempotency-Key": "k1"},
    )
    assert event.status_code == 200 and event.get_json()["lender"] == "221010"
    again = client.post(
        f"/api/v1/requests/{body['id']}/events",
        json={"type": "refused", "library": "211030"},
        headers={"Idempotency-Key": "k1"},
    )
    assert again.get_json()["lender"] == "221010"
    shown = client.get(f"/api/v1/requests/{body['id']}").get_json()
    assert shown["lender"] == "221010"
    assert [e["type"] for e in shown["events"]] == ["created", "sent", "refused", "sent"]


def test_citation_request_with_open_link_is_full_text(client):
    response = client.post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-oa"},
    )
    body = response.get_json()
    assert body["decision"]["kind"] == "fulltext" and body["state"] == "Resolved"
    assert body["decision"]["links"][0]["url"] == "https://oa.example/1"


def test_citation_nobody_holds_is_none_with_purchase_offer(client):
    response = client.post(
        "/api/v1/requests",
        json={
            "library": "211010",
            "citation": {"genre": "book", "btitle": "X", "isbn": "0-19-852663-6"},
        },
    )
    body = response.get_json()
    assert response.status_code == 201
    assert body["decision"]["kind"] == "none" and body["state"] == "Unfilled"
    assert body["purchase_suggestion"] is True


REC = {"library": "211010", "record_id": "c-1"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"record_id": "c-1"}, "library"),
        ({"library": "nope", "record_id": "c-1"}, "library"),
        ({"library": "211010"}, "citation"),
        ({"library": "211010", "record_id": "c-1", "citation": {"atitle": "x"}}, "citation"),
        ({"library": "211010", "citation": {"colour": "red"}}, "citation.colour"),
        ({"library": "211010", "citation": {"year": "2001"}}, "citation.year"),
        ({"library": "211010", "record_id": "c-1", "needs": {"service": "buy"}}, "needs.service"),
        ({"library": "211010", "record_id": "c-1", "needs": {"max_cost": -1}}, "needs.max_cost"),
        (
            {"library": "211010", "record_id": "c-1", "needs": {"needed_by": "soon"}},
            "needs.needed_by",
        ),
        ({"library": "211010", "record_id": "c-1", "needs": {"speed": 1}}, "needs.speed"),
    ],
)
def test_bad_requests_name_the_field(client, payload, field):
    _error(client.post("/api/v1/requests", json=payload), 422, field)


def test_unknown_record_and_request_are_404(client):
    _error(
        client.post("/api/v1/requests", json={"library": "211010", "record_id": "zz"}),
        404,
        "record_id",
    )
    _error(client.get("/api/v1/requests/nope"), 404, "id")


def test_not_json_is_400(client):
    _error(client.post("/api/v1/requests", data="x", content_type="text/plain"), 400, None)


def test_event_errors(client):
    rid = client.post(
        "/api/v1/requests", json={"library": "211010", "record_id": "c-1"}
    ).get_json()["id"]
    url = f"/api/v1/requests/{rid}/events"
    _error(client.post(url, json={"type": "timeout", "library": "211010"}), 422, "type")
    _error(client.post(url, json={"type": "refused"}), 422, "library")
    _error(client.post(url, json={"type": "refused", "library": "211040"}), 403, "library")
    _error(client.post(url, json={"type": "returned", "library": "211010"}), 409, "type")


def test_libraries(client):
    body = client.get("/api/v1/libraries").get_json()
    assert len(body["libraries"]) >= 20
    first = body["libraries"][0]
    assert first == {
        "code": "211010", "name": "Peking University Library", "name_zh": "北京大学图书馆",
        "name_en": "Peking University Library", "region": "North China", "role": "centre",
        "city": "Beijing",
    }  # fmt: skip
