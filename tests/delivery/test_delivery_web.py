"""Secure delivery through the app: the lender's upload page (roles, CSRF, bad files,
nothing changed on failure), the ledger event, the patron's link (notice, download,
limits, expiry, wrong tokens), the status-page link and the e-mail to the patron."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from delivery_testkit import (
    LENDER,
    OTHER_LENDER,
    Clock,
    SmtpSink,
    build_app,
    csrf,
    login,
    make_pdf,
    make_png,
)
from flask import Flask
from flask.testing import FlaskClient

from router.service import Router
from search_app.delivery_store import DeliveryStore
from search_app.request_views import patron_store


def page_of(request: dict[str, Any], code: str = LENDER) -> str:
    return f"/staff/lib/{code}/requests/{request['id']}/delivery"


def upload(
    client: FlaskClient,
    request: dict[str, Any],
    data: bytes,
    *,
    code: str = LENDER,
    token: Any = ...,
) -> Any:
    form: dict[str, Any] = {"file": (io.BytesIO(data), "scan.pdf")}
    if token is ...:
        token = csrf(client, page_of(request, code))
    if token is not None:
        form["csrf_token"] = token
    return client.post(page_of(request, code), data=form, content_type="multipart/form-data")


def delivered(client: FlaskClient, store: DeliveryStore, request: dict[str, Any]) -> str:
    """Upload as the lender, then mint the patron's link the way the status page does."""
    login(client, "lend")
    response = upload(client, request, make_pdf())
    assert response.status_code == 303, response.get_data(as_text=True)
    return store.new_token(request["id"], "li.hua@example.edu")  # type: ignore[return-value]


def notice_token(client: FlaskClient, request: dict[str, Any], token: str) -> str:
    page = client.get(f"/delivery/{request['id']}?token={token}")
    assert page.status_code == 200
    return csrf(client, f"/delivery/{request['id']}?token={token}")


def download(client: FlaskClient, request: dict[str, Any], token: str, form_token: str) -> Any:
    return client.post(
        f"/delivery/{request['id']}/download", data={"token": token, "csrf_token": form_token}
    )


# -- the lender's upload -----------------------------------------------------------------


def test_upload_ships_the_copy_and_shows_it_on_the_timeline(
    client: FlaskClient, copy_request: dict[str, Any], router: Router, store: DeliveryStore
) -> None:
    login(client, "lend")
    response = upload(client, copy_request, make_pdf(pages=3))
    assert response.status_code == 303
    stored = router.ledger.get(copy_request["id"])
    assert stored["state"] == "CopyCompleted"
    shipped = stored["events"][-1]
    assert (shipped["type"], shipped["library"]) == ("shipped", LENDER)
    assert "secure delivery" in shipped["reason"]
    document = store.document(copy_request["id"])
    assert (document.pages, document.max_accesses, document.patron_email) == (
        3,
        5,
        "li.hua@example.edu",
    )
    page = client.get(page_of(copy_request)).get_data(as_text=True)
    assert "0 of 5 times" in page
    assert "li.hua" not in page  # the lender never sees the patron's address


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (make_png(), 415, "not a PDF"),
        (make_pdf()[:-300], 400, "no %%EOF marker"),
    ],
    ids=["png-renamed", "truncated"],
)
def test_bad_file_leaves_the_request_unchanged(
    client: FlaskClient,
    copy_request: dict[str, Any],
    router: Router,
    store: DeliveryStore,
    data: bytes,
    status: int,
    words: str,
) -> None:
    before = router.ledger.get(copy_request["id"])
    login(client, "lend")
    response = upload(client, copy_request, data)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)
    assert router.ledger.get(copy_request["id"]) == before
    assert store.document(copy_request["id"]) is None
    assert list(store.root.iterdir()) == []


def patron_request(app: Flask) -> dict[str, Any]:
    """A copy request as the portal form makes it (ledger + patron contact)."""
    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
    )
    assert made.status_code == 201
    request = made.get_json()
    with app.app_context():
        patron_store().add(
            request["id"], name="Li Hua", email="li.hua@example.edu", library="211010"
        )
    return request


def test_oversized_upload_is_refused_with_the_limit(tmp_path: Path, clock: Clock) -> None:
    app = build_app(tmp_path, clock, EFIRST_DELIVERY_MAX_BYTES=20_000)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    request = patron_request(app)
    login(client, "lend")
    big = upload(client, request, make_pdf(padding=200_000))
    assert big.status_code == 413
    assert "20,000 bytes" in big.get_data(as_text=True)
    just_over = upload(client, request, make_pdf(padding=25_000))
    assert just_over.status_code == 413
    assert "the limit is 20,000 bytes" in just_over.get_data(as_text=True)
    assert app.extensions["router"].ledger.get(request["id"])["state"] == "RequestReceived"


def test_only_the_current_lenders_staff_may_upload(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    login(client, "lend2")  # staff of the second lender in the rota: not asked yet
    refused = upload(client, copy_request, make_pdf(), code=OTHER_LENDER)
    assert refused.status_code == 409
    assert "Only the library the request is with now" in refused.get_data(as_text=True)
    token = csrf(client, page_of(copy_request, OTHER_LENDER))
    wrong_library = upload(client, copy_request, make_pdf(), code=LENDER, token=token)
    assert wrong_library.status_code == 403
    assert store.document(copy_request["id"]) is None


def test_borrower_staff_see_the_page_but_cannot_upload(
    client: FlaskClient, copy_request: dict[str, Any]
) -> None:
    login(client, "bor")
    page = client.get(page_of(copy_request, "211010"))
    assert page.status_code == 200
    assert 'type="file"' not in page.get_data(as_text=True)
    assert upload(client, copy_request, make_pdf(), code="211010").status_code == 409


def test_upload_needs_sign_in_and_csrf(client: FlaskClient, copy_request: dict[str, Any]) -> None:
    assert client.get(page_of(copy_request)).status_code == 302  # to the login page
    login(client, "lend")
    missing = upload(client, copy_request, make_pdf(), token=None)
    assert missing.status_code == 400
    assert "did not come from this site" in missing.get_data(as_text=True)


def test_a_loan_request_takes_no_copy(client: FlaskClient, app: Flask) -> None:
    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "loan"}},
    )
    login(client, "lend")
    response = upload(client, made.get_json(), make_pdf())
    assert response.status_code == 409
    assert "for a loan" in response.get_data(as_text=True)


def test_request_without_patron_contact_is_refused_unchanged(
    client: FlaskClient, app: Flask, router: Router
) -> None:
    made = (
        app.test_client()
        .post(
            "/api/v1/requests",
            json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
        )
        .get_json()
    )
    login(client, "lend")
    response = upload(client, made, make_pdf())
    assert response.status_code == 409
    assert "no patron contact" in response.get_data(as_text=True)
    assert router.ledger.get(made["id"])["state"] == "RequestReceived"


def test_refused_ledger_event_keeps_nothing(
    client: FlaskClient, copy_request: dict[str, Any], router: Router, store: DeliveryStore
) -> None:
    login(client, "lend")
    form_token = csrf(client, page_of(copy_request))
    router.ledger.apply(copy_request["id"], "cancelled", library="211010")  # meanwhile
    response = upload(client, copy_request, make_pdf(), token=form_token)
    assert response.status_code == 409
    assert store.document(copy_request["id"]) is None
    assert list(store.root.iterdir()) == []


# -- the patron's link -------------------------------------------------------------------


def test_notice_then_download_with_safe_headers(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    token = delivered(client, store, copy_request)
    patron = client.application.test_client()
    patron.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    notice = patron.get(f"/delivery/{copy_request['id']}?token={token}")
    text = notice.get_data(as_text=True)
    assert notice.status_code == 200
    assert "Copyright notice" in text and "5 more times" in text
    assert notice.headers["Cache-Control"] == "no-store"
    assert notice.headers["Referrer-Policy"] == "no-referrer"
    assert store.document(copy_request["id"]).accesses == 0
    form_token = csrf(patron, f"/delivery/{copy_request['id']}?token={token}")
    response = download(patron, copy_request, token, form_token)
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_sixth_download_is_refused_with_a_clear_page_and_the_file_is_gone(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    token = delivered(client, store, copy_request)
    form_token = notice_token(client, copy_request, token)
    for _ in range(5):
        assert download(client, copy_request, token, form_token).status_code == 200
    document = store.document(copy_request["id"])
    assert not store.file_path(document.id).exists()
    sixth = download(client, copy_request, token, form_token)
    assert sixth.status_code == 410
    assert "already been opened 5 times" in sixth.get_data(as_text=True)
    assert client.get(f"/delivery/{copy_request['id']}?token={token}").status_code == 410


def test_expired_link(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore, clock: Clock
) -> None:
    token = delivered(client, store, copy_request)
    form_token = notice_token(client, copy_request, token)
    clock.advance(days=30, seconds=1)
    response = download(client, copy_request, token, form_token)
    assert response.status_code == 410
    assert "This link expired on" in response.get_data(as_text=True)
    assert [r["outcome"] for r in store.access_log(copy_request["id"])][-1] == "expired"


def test_wrong_token_and_other_request(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    token = delivered(client, store, copy_request)
    for url in (
        f"/delivery/{copy_request['id']}?token=not-the-token",
        f"/delivery/{copy_request['id']}",
        f"/delivery/someotherrequest?token={token}",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "The link is not valid" in response.get_data(as_text=True)
    log = store.access_log(copy_request["id"])
    assert [row["outcome"] for row in log[-2:]] == ["bad_token", "bad_token"]
    assert all(row["address"] == "127.0.0.1" for row in log if row["action"] == "notice")


def test_download_needs_csrf(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    token = delivered(client, store, copy_request)
    response = client.post(f"/delivery/{copy_request['id']}/download", data={"token": token})
    assert response.status_code == 400
    assert store.document(copy_request["id"]).accesses == 0


def test_status_page_token_gets_a_fresh_link(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    delivered(client, store, copy_request)
    patron = client.application.test_client()
    status_url = f"/request/{copy_request['id']}?token={copy_request['status_token']}"
    assert patron.get(status_url).status_code == 200
    form_token = csrf(patron, "/staff/login")  # the session's token, as the status page has it
    response = patron.post(
        f"/delivery/{copy_request['id']}/link",
        data={"token": copy_request["status_token"], "csrf_token": form_token},
    )
    assert response.status_code == 303
    assert patron.get(response.headers["Location"]).status_code == 200
    stranger = patron.post(
        f"/delivery/{copy_request['id']}/link", data={"token": "guess", "csrf_token": form_token}
    )
    assert stranger.status_code == 404


def test_link_is_emailed_to_the_patron(tmp_path: Path, clock: Clock, smtp: SmtpSink) -> None:
    app = build_app(
        tmp_path,
        clock,
        EFIRST_SMTP_HOST="127.0.0.1",
        EFIRST_SMTP_PORT=smtp.port,
        EFIRST_SMTP_FROM="ill@efirst.example",
    )
    client = app.test_client()
    made = patron_request(app)
    login(client, "lend")
    assert upload(client, made, make_pdf()).status_code == 303
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "li.hua@example.edu"
    assert message["From"] == "ill@efirst.example"
    body = message.get_payload(decode=True).decode()
    assert "watershed hydrology" in body
    link = re.search(r"http://localhost/delivery/\S+", body)
    assert link, body
    opened = app.test_client().get(
        link.group(0).removeprefix("http://localhost"), headers={"Accept-Language": "en"}
    )
    assert opened.status_code == 200
    assert "Copyright notice" in opened.get_data(as_text=True)


def test_status_page_offers_the_copy_once_it_is_delivered(
    client: FlaskClient, copy_request: dict[str, Any], store: DeliveryStore
) -> None:
    patron = client.application.test_client()
    status_url = f"/request/{copy_request['id']}?token={copy_request['status_token']}"
    assert "Open your copy" not in patron.get(status_url + "&lang=en").get_data(as_text=True)
    delivered(client, store, copy_request)
    page = patron.get(status_url + "&lang=en").get_data(as_text=True)
    assert "Open your copy" in page
    assert f'action="/delivery/{copy_request["id"]}/link"' in page
