"""Security headers on every kind of response (pages, JSON, downloads, redirects, error
pages of every sort), and error pages that never show a traceback."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

REQUIRED = {
    "Content-Security-Policy": "frame-ancestors",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "",
    "Permissions-Policy": "camera=()",
}


def _assert_headers(response: TestResponse) -> None:
    for name, part in REQUIRED.items():
        assert name in response.headers, f"{name} missing ({response.status_code})"
        assert part in response.headers[name]


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/staff/login", 200, "text/html"),
        ("/api/v1/openapi.json", 200, "application/json"),
        ("/api/v1/no-such-thing", 404, "application/json"),
        ("/no-such-page", 404, "text/html"),
        ("/staff/", 302, ""),
        ("/media/logos/none.png", 404, "text/html"),
    ],
)
def test_public_responses_carry_the_headers(
    client: FlaskClient, path: str, status: int, kind: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.content_type.startswith(kind)
    _assert_headers(response)


def test_a_file_download_carries_the_headers(admin: FlaskClient) -> None:
    response = admin.get("/staff/lib/211010/suggestions.csv")
    assert response.status_code == 200 and response.content_type.startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    _assert_headers(response)


def test_staff_error_pages_carry_the_headers(admin: FlaskClient) -> None:
    forbidden = admin.post("/staff/switch", data={"csrf_token": "x"})
    assert forbidden.status_code == 400
    _assert_headers(forbidden)
    missing = admin.get("/admin/lib/NOPE/settings")
    assert missing.status_code in (403, 404)
    _assert_headers(missing)


def test_hsts_only_when_configured(app: Flask, client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/staff/login").headers
    app.config["EFIRST_HSTS"] = True
    assert "max-age" in client.get("/staff/login").headers["Strict-Transport-Security"]


def _boom() -> str:
    raise RuntimeError("secret detail /etc/efirst/db.sqlite3")


@pytest.fixture
def failing(app: Flask) -> FlaskClient:
    """The app with two views that fail (a page and an API path), not in testing mode."""
    app.add_url_rule("/boom", "boom", _boom)
    app.add_url_rule("/api/v1/boom", "api_boom", _boom)
    app.testing = False
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


def test_a_crash_shows_a_page_without_the_traceback(failing: FlaskClient) -> None:
    response = failing.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and response.content_type.startswith("text/html")
    assert "Traceback" not in body and "secret detail" not in body and "RuntimeError" not in body
    _assert_headers(response)


def test_a_crash_on_the_api_is_the_error_envelope(failing: FlaskClient) -> None:
    response = failing.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {
            "status": 500,
            "code": "internal_error",
            "message": response.get_json()["error"]["message"],
            "field": None,
        }
    }
    assert "secret detail" not in response.get_data(as_text=True)
    _assert_headers(response)
