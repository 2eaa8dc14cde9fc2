"""Helpers for the staff-page tests: CSRF tokens from real pages, signing in, requests
created through the router's real HTTP API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient

__all__ = [
    "BORROWER",
    "MONDAY",
    "PASSWORD",
    "Clock",
    "csrf",
    "login",
    "logout",
    "new_request",
    "post_form",
]

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # outside the sample consortium's closed dates
PASSWORD = "correct horse battery"
BORROWER = "211010"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime = MONDAY) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def csrf(client: FlaskClient, path: str = "/staff/login") -> str:
    """The CSRF token a real page at ``path`` hands out."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in (signing out first when someone is signed in)."""
    if client.get("/staff/login").status_code == 302:
        logout(client)
    token = csrf(client)
    return client.post(
        "/staff/login", data={"username": username, "password": password, "csrf_token": token}
    )


def logout(client: FlaskClient) -> Any:
    """Sign out through the form every staff page carries."""
    response = client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff/account")})
    assert response.status_code == 302
    return response


def post_form(client: FlaskClient, page: str, target: str, data: dict[str, str]) -> Any:
    """POST ``data`` to ``target`` with the CSRF token (and nonce) of the form on ``page``."""
    html = client.get(page).get_data(as_text=True)
    token = _TOKEN.search(html)
    assert token, f"no CSRF token on {page}"
    form = {"csrf_token": token.group(1), **data}
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)
    if nonce and "nonce" not in data:
        form["nonce"] = nonce.group(1)
    return client.post(target, data=form)


def new_request(
    client: FlaskClient, record_id: str = "c-1", library: str = BORROWER, service: str = "loan"
) -> dict[str, Any]:
    """A delivery request created through POST /api/v1/requests."""
    response = client.post(
        "/api/v1/requests",
        json={"library": library, "record_id": record_id, "needs": {"service": service}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()
