"""Who may send events to, and read, requests over the HTTP API: API keys and staff
sessions on the whole app (create_app), anonymous callers kept out or shown less."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from consortium_kit import consortium_app, staff_accounts
from flask import Flask
from flask.testing import FlaskClient

from router import api as router_api
from router.service import Router
from search_app.cli import main

BORROWER, LENDER, SECOND, OTHER = "211010", "211030", "221010", "241010"
PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Path, clock) -> Flask:
    holdings = [
        {"library": code, "kind": "print", "location": "Stacks", "call_number": "K25"}
        for code in (LENDER, SECOND, "252010")
    ]
    payloads = {
        "c-1": {
            "id": "c-1",
            "title": "中国近代史",
            "format": "book",
            "year": 2001,
            "isbn": [],
            "issn": [],
            "holdings": holdings,
            "links": [],
        }
    }
    application = consortium_app(tmp_path, clock, secret="router-auth-tests", payloads=payloads.get)
    store = staff_accounts(application)
    store.create_user("lend", PASSWORD, "ill_staff", [LENDER], actor="test")
    store.create_user("other", PASSWORD, "ill_staff", [OTHER], actor="test")
    store.create_user("boss", PASSWORD, "consortium_admin", actor="test")
    return application


@pytest.fixture
def router(app: Flask) -> Router:
    return app.extensions[router_api.EXTENSION]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def created(client: FlaskClient) -> dict:
    response = client.post(
        "/api/v1/requests",
        json={"library": BORROWER, "record_id": "c-1", "needs": {"service": "loan"}},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["lender"] == LENDER, body["decision"]
    return body


def sign_in(client: FlaskClient, username: str) -> None:
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def refuse(client: FlaskClient, request_id: str, **kwargs):
    return client.post(
        f"/api/v1/requests/{request_id}/events",
        json={"type": "refused", "library": LENDER, "reason": "in use"},
        **kwargs,
    )


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"status", "code", "message", "field"}
    assert (body["error"]["status"], body["error"]["code"]) == (status, code)
    return body["error"]


# -- events ----------------------------------------------------------------------------


def test_an_event_without_credentials_is_401_and_changes_nothing(client, router, created):
    response = refuse(client, created["id"])
    error = assert_error(response, 401, "unauthorized")
    assert "API key" in error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert router.ledger.get(created["id"])["lender"] == LENDER


@pytest.mark.parametrize(
    "header", ["Bearer efk_000000000000_" + "A" * 43, "Bearer nonsense", "Basic dXNlcjpwdw=="]
)
def test_a_bad_key_is_401_not_anonymous(client, created, header):
    assert_error(
        refuse(client, created["id"], headers={"Authorization": header}), 401, "unauthorized"
    )


def test_a_key_of_another_library_is_403(client, router, created):
    key = router.api_keys.create(OTHER)
    error = assert_error(refuse(client, created["id"], headers=bearer(key)), 403, "forbidden")
    assert error["field"] == "library" and OTHER not in error["message"]
    assert router.ledger.get(created["id"])["lender"] == LENDER


def test_the_borrowers_key_cannot_send_a_lenders_event(client, router, created):
    key = router.api_keys.create(BORROWER)
    response = client.post(
        f"/api/v1/requests/{created['id']}/events",
        json={"type": "refused", "library": BORROWER},
        headers=bearer(key),
    )
    assert "only the current lender" in assert_error(response, 403, "forbidden")["message"]


def test_the_lenders_key_refuses_and_the_request_moves_on(client, router, created):
    key = router.api_keys.create(LENDER, "ILS bridge")
    response = refuse(client, created["id"], headers=bearer(key))
    assert response.status_code == 200
    assert response.get_json()["lender"] == SECOND


def test_a_key_for_one_library_may_leave_the_library_out(client, router, created):
    key = router.api_keys.create(LENDER)
    response = client.post(
        f"/api/v1/requests/{created['id']}/events",
        json={"type": "will_supply"},
        headers=bearer(key),
    )
    assert response.status_code == 200 and response.get_json()["state"] == "WillSupply"


def test_a_revoked_key_is_401(client, router, created):
    key = router.api_keys.create(LENDER)
    assert router.api_keys.revoke(LENDER) == 1
    assert_error(refuse(client, created["id"], headers=bearer(key)), 401, "unauthorized")


def test_the_consortium_key_acts_for_every_member(client, router, created):
    key = router.api_keys.create(router.members_file.consortium.code)
    assert refuse(client, created["id"], headers=bearer(key)).status_code == 200


def test_the_lenders_staff_session_may_refuse(client, created):
    sign_in(client, "lend")
    response = refuse(client, created["id"])
    assert response.status_code == 200 and response.get_json()["lender"] == SECOND


def test_staff_of_another_library_is_403(client, router, created):
    sign_in(client, "other")
    assert_error(refuse(client, created["id"]), 403, "forbidden")
    assert router.ledger.get(created["id"])["lender"] == LENDER


def test_a_consortium_admin_may_act_for_the_lender(client, created):
    sign_in(client, "boss")
    assert refuse(client, created["id"]).status_code == 200


def test_a_staff_session_must_send_json(client, created):
    sign_in(client, "lend")
    response = client.post(
        f"/api/v1/requests/{created['id']}/events",
        data='{"type": "refused", "library": "211030"}',
        content_type="text/plain",
    )
    assert_error(response, 400, "bad_request")


# -- reading and creating ------------------------------------------------------------------


def test_anonymous_readers_get_no_free_text(client, router, created):
    router.event(created["id"], "refused", library=LENDER, reason="Li Hua took it home")
    body = client.get(f"/api/v1/requests/{created['id']}").get_json()
    assert body["redacted"] is True
    assert (body["lender"], body["state"], body["borrower"]) == (
        SECOND,
        "RequestReceived",
        BORROWER,
    )
    assert [e["type"] for e in body["events"]][-2:] == ["refused", "sent"]
    assert "Li Hua" not in str(body)
    assert body["request"] == {"record_id": "c-1", "needs": {"service": "loan"}}


def test_those_involved_read_everything(client, router, created):
    router.event(created["id"], "refused", library=LENDER, reason="Li Hua took it home")
    key = router.api_keys.create(LENDER)  # no longer the lender, but on the rota
    body = client.get(f"/api/v1/requests/{created['id']}", headers=bearer(key)).get_json()
    assert body["redacted"] is False and "Li Hua" in str(body)
    outsider = router.api_keys.create(OTHER)
    seen = client.get(f"/api/v1/requests/{created['id']}", headers=bearer(outsider))
    assert seen.get_json()["redacted"] is True
    assert seen.headers["Cache-Control"] == "private, no-store"


def test_a_key_creates_requests_only_for_its_own_library(client, router):
    key = router.api_keys.create(OTHER)
    response = client.post(
        "/api/v1/requests",
        json={"library": BORROWER, "record_id": "c-1"},
        headers=bearer(key),
    )
    assert assert_error(response, 403, "forbidden")["field"] == "library"
    own = client.post(
        "/api/v1/requests", json={"library": OTHER, "record_id": "c-1"}, headers=bearer(key)
    )
    assert own.status_code == 201


# -- the CLI ---------------------------------------------------------------------------


def test_api_key_cli_creates_lists_and_revokes(tmp_path, monkeypatch):
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    made = runner.invoke(main, ["router", "api-key", "create", LENDER, "--label", "ILS"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    router = Router(tmp_path / "ledger.sqlite3")
    assert router.api_keys.verify(key) == LENDER
    listed = runner.invoke(main, ["router", "api-key", "list"])
    assert LENDER in listed.stdout and "ILS" in listed.stdout and key not in listed.stdout
    revoked = runner.invoke(main, ["router", "api-key", "revoke", LENDER])
    assert revoked.exit_code == 0 and "1 key(s)" in revoked.stdout
    assert router.api_keys.verify(key) is None
    unknown = runner.invoke(main, ["router", "api-key", "create", "999999"])
    assert unknown.exit_code == 2 and "neither a member" in unknown.output


# -- who acted (issue 6: every event records who) ------------------------------------------


def _by(stored: dict, kind: str) -> dict:
    return next(e for e in reversed(stored["events"]) if e["type"] == kind)["by"]


def test_an_anonymous_request_is_the_patrons_and_the_send_the_systems(created):
    assert _by(created, "created") == {"kind": "patron", "name": "patron"}
    assert _by(created, "sent") == {"kind": "system", "name": "system"}


def test_an_event_sent_with_a_key_records_the_key_id_never_the_secret(client, router, created):
    key = router.api_keys.create(LENDER)
    assert refuse(client, created["id"], headers=bearer(key)).status_code == 200
    key_id = key.split("_")[1]
    stored = router.ledger.get(created["id"])
    assert _by(stored, "refused") == {"kind": "api_key", "name": key_id}
    assert key.split("_", 2)[2] not in str(stored)


def test_a_staff_event_records_the_username(client, router, created):
    sign_in(client, "lend")
    assert refuse(client, created["id"]).status_code == 200
    assert _by(router.ledger.get(created["id"]), "refused") == {"kind": "staff", "name": "lend"}


def test_a_request_made_by_signed_in_staff_is_theirs(client):
    sign_in(client, "boss")
    response = client.post(
        "/api/v1/requests",
        json={"library": BORROWER, "record_id": "c-1", "needs": {"service": "loan"}},
    )
    assert response.status_code == 201
    assert _by(response.get_json(), "created") == {"kind": "staff", "name": "boss"}


def test_a_timeout_is_the_systems(router, created, clock):
    clock.advance(days=30)
    assert router.tick() == [created["id"]]
    assert _by(router.ledger.get(created["id"]), "timeout") == {"kind": "system", "name": "system"}


def test_staff_names_and_key_ids_are_shown_only_to_those_involved(client, router, created):
    sign_in(client, "lend")
    assert refuse(client, created["id"]).status_code == 200
    outsider = client.get(
        f"/api/v1/requests/{created['id']}",
        headers=bearer(router.api_keys.create(OTHER)),
    ).get_json()
    assert outsider["redacted"] is True
    assert _by(outsider, "refused") == {"kind": "staff", "name": ""}
    assert _by(outsider, "sent") == {"kind": "system", "name": "system"}
    insider = client.get(
        f"/api/v1/requests/{created['id']}", headers=bearer(router.api_keys.create(LENDER))
    ).get_json()
    assert insider["redacted"] is False
    assert _by(insider, "refused") == {"kind": "staff", "name": "lend"}


def test_the_staff_timeline_shows_who_acted(client, router, created):
    sign_in(client, "lend")
    assert refuse(client, created["id"]).status_code == 200
    page = client.get(f"/staff/lib/{LENDER}/requests/{created['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'class="who">[^<]*staff lend<', html), html
    assert re.search(r'class="who">[^<]*patron<', html)
