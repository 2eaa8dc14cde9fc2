"""Request bodies over EFIRST_MAX_UPLOAD_BYTES are refused with 413 before they are read:
the JSON error envelope on API paths, a page otherwise. The holdings upload has its own,
larger cap (EFIRST_ADMIN_MAX_UPLOAD_BYTES); the delivery upload keeps its own limit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from delivery_testkit import Clock, build_app, csrf, login
from flask import Flask
from flask.testing import FlaskClient

LIMIT = 4096


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return build_app(
        tmp_path,
        Clock(),
        EFIRST_MAX_UPLOAD_BYTES=LIMIT,
        EFIRST_ADMIN_MAX_UPLOAD_BYTES=20 * LIMIT,
        EFIRST_ADMIN_INLINE_BYTES=0,  # queue the file: the test checks the limit only
    )


def test_the_limit_is_flasks(app: Flask) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == LIMIT


def test_a_huge_api_body_is_the_error_envelope(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/requests", data=b"{" + b" " * LIMIT + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_huge_form_gets_a_page(client: FlaskClient) -> None:
    response = client.post("/suggest", data={"message": "x" * LIMIT})
    assert response.status_code == 413
    assert response.content_type.startswith("text/html")


def test_a_huge_staff_form_gets_the_staff_error_page(admin: FlaskClient) -> None:
    response = admin.post("/staff/switch", data={"library": "x" * LIMIT})
    assert response.status_code == 413
    assert response.content_type.startswith("text/html")


KBART_COLUMNS = (
    "publication_title", "print_identifier", "online_identifier", "date_first_issue_online",
    "num_first_vol_online", "num_first_issue_online", "date_last_issue_online",
    "num_last_vol_online", "num_last_issue_online", "title_url", "first_author", "title_id",
    "embargo_info", "coverage_depth", "notes", "publisher_name",
)  # fmt: skip


def _kbart(size: int) -> bytes:
    """A KBART file (NISO RP-9-2014 header) of at least ``size`` bytes."""
    head = "\t".join(KBART_COLUMNS) + "\n"
    values = ["A journal", "", "1234-5679", "2000-01-01", "1", "1", "", "", ""]
    values += ["https://example.org/j", "", "j1", "", "fulltext", "", "A publisher"]
    line = "\t".join(values) + "\n"
    return (head + line * (size // len(line) + 1)).encode()


def _upload(admin: FlaskClient, body: bytes) -> int:
    token = csrf(admin, "/admin/lib/211010/holdings")
    data = {"csrf_token": token, "kind": "kbart", "package": "P1"}
    data["file"] = (io.BytesIO(body), "p1.txt")
    page = admin.post("/admin/lib/211010/holdings/upload", data=data)
    return page.status_code


def test_a_holdings_file_above_the_general_limit_is_accepted(admin: FlaskClient) -> None:
    assert _upload(admin, _kbart(4 * LIMIT)) == 302


def test_a_holdings_file_above_its_own_limit_is_refused(admin: FlaskClient) -> None:
    assert _upload(admin, _kbart(30 * LIMIT)) == 413


def test_the_app_limit_does_not_shrink_the_delivery_limit(app: Flask) -> None:
    with app.test_request_context():
        from search_app.delivery import delivery_settings

        assert delivery_settings()["max_bytes"] == 50 * 1024 * 1024 > LIMIT


def test_login_still_works_under_a_small_limit(client: FlaskClient) -> None:
    login(client, "admin")
