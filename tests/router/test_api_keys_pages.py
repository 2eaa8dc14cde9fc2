"""The staff API keys page (search_app/api_keys_pages.py) on the whole app: who may see
and manage keys, CSRF, the secret shown once, revocation that really locks a key out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from consortium_kit import consortium_app, staff_accounts
from flask import Flask
from flask.testing import FlaskClient

from router import api as router_api
from router.service import Router
from search_app import auth

LIB, OTHER, CONSORTIUM = "211030", "241010", "CASHL"
PASSWORD = "correct horse battery"
KEY = re.compile(r"efk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def app(tmp_path: Path, clock) -> Flask:
    application = consortium_app(tmp_path, clock, secret="api-keys-page-tests")
    store = staff_accounts(application)
    store.create_user("libadmin", PASSWORD, "library_admin", [LIB], actor="test")
    store.create_user("ill", PASSWORD, "ill_staff", [LIB], actor="test")
    store.create_user("otheradmin", PASSWORD, "library_admin", [OTHER], actor="test")
    store.create_user("boss", PASSWORD, "consortium_admin", actor="test")
    return application


@pytest.fixture
def router(app: Flask) -> Router:
    return app.extensions[router_api.EXTENSION]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser asking for English pages (the app's default is Chinese)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client: FlaskClient, username: str) -> str:
    """Sign in; returns a CSRF token of the session."""
    token = token_of(client.get("/staff/login").get_data(as_text=True))
    response = client.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return token_of(client.get("/staff/account").get_data(as_text=True))  # the new session's


def create_key(client: FlaskClient, token: str, code: str = LIB, label: str = "Alma ILL"):
    return client.post(f"/staff/lib/{code}/api-keys", data={"label": label, "csrf_token": token})


def audit(app: Flask) -> list[dict]:
    with app.app_context():
        return auth.get_store().audit_entries()


def test_a_library_admin_creates_a_key_shown_once(app, client, router):
    token = sign_in(client, "libadmin")
    response = create_key(client, token)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    (key,) = KEY.findall(response.get_data(as_text=True))
    assert router.api_keys.verify(key) == LIB
    key_id = key.split("_")[1]

    listing = client.get(f"/staff/lib/{LIB}/api-keys").get_data(as_text=True)
    assert key_id in listing and "Alma ILL" in listing
    assert KEY.search(listing) is None  # the secret never again
    entry = audit(app)[0]
    assert (entry["actor"], entry["action"], entry["target"], entry["library"]) == (
        "libadmin",
        "api_key.create",
        key_id,
        LIB,
    )
    assert key.split("_", 2)[2] not in str(entry)


def test_revoking_a_key_locks_it_out_of_the_api(app, client, router):
    token = sign_in(client, "libadmin")
    key = KEY.search(create_key(client, token).get_data(as_text=True)).group(0)
    key_id = key.split("_")[1]
    api = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert api.get("/api/v1/requests/none", headers=headers).status_code == 404  # key accepted
    response = client.post(f"/staff/lib/{LIB}/api-keys/{key_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 303
    assert api.get("/api/v1/requests/none", headers=headers).status_code == 401
    page = client.get(f"/staff/lib/{LIB}/api-keys").get_data(as_text=True)
    assert re.search(rf'id="key-{key_id}">.*?revoked', page, re.S)
    assert audit(app)[0]["action"] == "api_key.revoke"
    again = client.post(f"/staff/lib/{LIB}/api-keys/{key_id}/revoke", data={"csrf_token": token})
    assert again.status_code == 404


def test_forms_without_a_csrf_token_are_refused(client, router):
    token = sign_in(client, "libadmin")
    assert create_key(client, "forged").status_code == 400
    assert client.post(f"/staff/lib/{LIB}/api-keys", data={"label": "x"}).status_code == 400
    assert router.api_keys.keys(LIB) == []
    key = router.api_keys.create(LIB)
    key_id = key.split("_")[1]
    response = client.post(f"/staff/lib/{LIB}/api-keys/{key_id}/revoke")
    assert response.status_code == 400
    assert router.api_keys.verify(key) == LIB
    assert token


@pytest.mark.parametrize(
    ("username", "code", "status"),
    [
        ("ill", LIB, 403),  # ILL staff do not manage keys
        ("otheradmin", LIB, 403),  # another library's administrator
        ("libadmin", CONSORTIUM, 403),  # consortium keys: consortium administrators only
        ("libadmin", "999999", 404),
        ("boss", LIB, 200),
        ("boss", OTHER, 200),
        ("boss", CONSORTIUM, 200),
    ],
)
def test_who_may_manage_which_keys(client, router, username, code, status):
    token = sign_in(client, username)
    assert client.get(f"/staff/lib/{code}/api-keys").status_code == status
    created = create_key(client, token, code)
    assert created.status_code == (201 if status == 200 else status)
    assert len(router.api_keys.keys(code)) == (1 if status == 200 else 0)


def test_signed_out_visitors_are_sent_to_the_login(client):
    response = client.get(f"/staff/lib/{LIB}/api-keys")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_consortium_key_acts_for_every_member(client, router):
    token = sign_in(client, "boss")
    key = KEY.search(create_key(client, token, CONSORTIUM).get_data(as_text=True)).group(0)
    assert router.api_keys.verify(key) == CONSORTIUM


def test_an_overlong_label_is_refused_and_nothing_is_made(client, router):
    token = sign_in(client, "libadmin")
    response = create_key(client, token, label="x" * 101)
    assert response.status_code == 422
    assert "longer than 100" in response.get_data(as_text=True)
    assert router.api_keys.keys(LIB) == []


def test_the_staff_menu_links_administrators_to_the_keys(client):
    sign_in(client, "libadmin")
    page = client.get(f"/staff/lib/{LIB}/").get_data(as_text=True)
    assert f'href="/staff/lib/{LIB}/api-keys"' in page
