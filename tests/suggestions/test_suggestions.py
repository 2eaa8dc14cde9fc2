"""Purchase suggestions: the patron's form (from a record page and from an unfilled
request; CSRF; errors naming the field), the librarians' list (roles, sorting, grouping,
details, CSV) and e-mail notices through a real SMTP server."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from delivery_testkit import Clock, SmtpSink, build_app, csrf, login
from flask import Flask
from flask.testing import FlaskClient

from search_app.suggestion_store import SuggestionStore

LIST = "/staff/lib/211010/suggestions"


def suggest(client: FlaskClient, query: str, **fields: str) -> Any:
    """Fill the real form at /suggest?<query> and send it."""
    html = client.get(f"/suggest?{query}").get_data(as_text=True)
    form = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    form.update({"library": "211010", "name": "Li Hua", "email": "li.hua@example.edu"})
    form.update(fields)
    return client.post("/suggest", data=form)


def test_record_page_suggestion_is_stored(client: FlaskClient, store: SuggestionStore) -> None:
    page = client.get("/suggest?record=c-1&lib=211010")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Collected papers on watershed hydrology" in text
    assert '<option selected value="211010">' in text  # the patron's library chosen for them
    response = suggest(client, "record=c-1", message="For the hydrology course")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    (row,) = store.all("211010")
    assert (row.title, row.product_type, row.record_id) == (
        "Collected papers on watershed hydrology",
        "book",
        "c-1",
    )
    assert row.link.endswith("/record/c-1")
    assert row.message == "For the hydrology course"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": ""}, "Your name: This field is required."),
        ({"email": "not-an-address"}, "Your e-mail address: Invalid email address."),
        ({"library": ""}, "Your library:"),
        (
            {"message": "x" * 2001},
            "Why the library should buy it (optional): Field cannot be longer",
        ),
    ],
    ids=["name", "email", "library", "message"],
)
def test_bad_input_names_the_field(
    client: FlaskClient, store: SuggestionStore, fields: dict[str, str], words: str
) -> None:
    response = suggest(client, "record=c-1", **fields)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert store.all("211010") == []


def test_csrf_missing_is_400(client: FlaskClient, store: SuggestionStore) -> None:
    response = client.post(
        "/suggest",
        data={"record": "c-1", "library": "211010", "name": "A", "email": "a@example.edu"},
    )
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert store.all("211010") == []


def test_unknown_record_or_nothing_is_404(client: FlaskClient) -> None:
    assert client.get("/suggest?record=no-such-record").status_code == 404
    assert client.get("/suggest").status_code == 404


def test_unfilled_request_offers_a_prefilled_suggestion(
    client: FlaskClient, app: Flask, unfilled: dict[str, Any], store: SuggestionStore
) -> None:
    with app.test_request_context():
        from search_app.suggestions import suggest_url_for_request

        url = suggest_url_for_request(unfilled["id"], unfilled["status_token"])
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tea gardens of Fujian" in text and "wang.fang@example.edu" in text
    response = suggest(
        client,
        url.split("?", 1)[1],
        library="221010",
        name="Wang Fang",
        email="wang.fang@example.edu",
    )
    assert response.status_code == 303
    (row,) = store.all("211010")  # the request's own library, whatever the form said
    assert (row.request_id, row.record_id, row.name) == (unfilled["id"], "c-none", "Wang Fang")
    assert store.all("221010") == []


def test_unfilled_offer_needs_the_patrons_token(
    client: FlaskClient, unfilled: dict[str, Any]
) -> None:
    assert client.get(f"/suggest?request={unfilled['id']}&token=guess").status_code == 404
    assert client.get(f"/suggest?request={unfilled['id']}").status_code == 404


def test_open_request_is_not_offered(client: FlaskClient, app: Flask) -> None:
    from search_app.request_views import patron_store

    made = (
        app.test_client()
        .post(
            "/api/v1/requests",
            json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
        )
        .get_json()
    )
    with app.app_context():
        token = patron_store().add(made["id"], name="A", email="a@example.edu", library="211010")
    assert client.get(f"/suggest?request={made['id']}&token={token}").status_code == 404


# -- librarians -----------------------------------------------------------------------


@pytest.fixture
def seeded(client: FlaskClient, clock: Clock, unfilled: dict[str, Any]) -> None:
    """Three suggestions of c-1 (two days), one of c-none (from the unfilled request)."""
    for name in ("A", "B"):
        assert suggest(client, "record=c-1", name=name).status_code == 303
    clock.advance(days=1)
    assert suggest(client, "record=c-1", name="C", message="=HYPERLINK(1)").status_code == 303
    clock.advance(days=1)
    query = f"request={unfilled['id']}&token={unfilled['status_token']}"
    assert suggest(client, query, name="Wang Fang").status_code == 303


def titles(client: FlaskClient, query: str = "") -> list[str]:
    html = client.get(f"{LIST}{query}").get_data(as_text=True)
    return re.findall(r'<td class="title"><a [^>]+>([^<]+)</a>', html)


def test_list_groups_and_sorts(client: FlaskClient, seeded: None) -> None:
    login(client, "bor")
    hydrology, tea = "Collected papers on watershed hydrology", "Tea gardens of Fujian"
    assert titles(client) == [tea, hydrology]  # latest first
    assert titles(client, "?sort=latest&order=asc") == [hydrology, tea]
    assert titles(client, "?sort=requests&order=desc") == [hydrology, tea]
    assert titles(client, "?sort=title&order=desc") == [tea, hydrology]
    assert titles(client, "?sort=title&order=asc") == [hydrology, tea]
    assert titles(client, "?sort=type&order=asc") == [tea, hydrology]  # c-1 is a book too: tie
    html = client.get(LIST).get_data(as_text=True)
    assert re.findall(r'<td class="requests">(\d+)</td>', html) == ["1", "3"]


def test_details_page(client: FlaskClient, seeded: None) -> None:
    login(client, "bor")
    page = client.get(f"{LIST}/item/record:c-1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text.index(">C<") < text.index(">A<")  # newest first
    assert '<dd class="requests">3</dd>' in text
    assert client.get(f"{LIST}/item/record:nothing").status_code == 404


def test_csv_download(client: FlaskClient, seeded: None) -> None:
    login(client, "bor")
    response = client.get(f"{LIST}.csv")
    assert response.status_code == 200
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="suggestions-211010.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["product type", "title", "link", "request date", "name", "email", "message"]
    assert len(rows) == 5
    newest = rows[1]
    assert newest[1] == "Tea gardens of Fujian" and newest[4] == "Wang Fang"
    assert newest[3].startswith("2025-03-05T09:00")
    formula = next(row for row in rows if row[4] == "C")
    assert formula[6] == "'=HYPERLINK(1)"  # never run as a spreadsheet formula


@pytest.mark.parametrize(
    ("user", "status"),
    [("bor", 200), ("admin", 200), ("lend", 403), (None, 302)],
    ids=["library-staff", "consortium-admin", "other-library", "signed-out"],
)
def test_roles(client: FlaskClient, user: str | None, status: int) -> None:
    if user:
        login(client, user)
    for path in (LIST, f"{LIST}.csv"):
        assert client.get(path).status_code == status


def test_notice_setting_needs_csrf_and_a_valid_address(
    client: FlaskClient, store: SuggestionStore
) -> None:
    login(client, "bor")
    assert (
        client.post(f"{LIST}/notify", data={"enabled": "1", "email": "x@example.edu"}).status_code
        == 400
    )
    token = csrf(client, LIST)
    bad = client.post(f"{LIST}/notify", data={"enabled": "1", "email": "nope", "csrf_token": token})
    assert bad.status_code == 303
    assert "E-mail address: enter a valid address" in client.get(LIST).get_data(as_text=True)
    assert not store.notify("211010").enabled
    stranger = client.application.test_client()
    login(stranger, "lend")
    token = csrf(stranger, "/staff/lib/221010/")
    other = stranger.post(
        f"{LIST}/notify", data={"enabled": "1", "email": "x@e.example", "csrf_token": token}
    )
    assert other.status_code == 403


def test_notice_is_emailed_through_a_real_smtp_server(
    tmp_path: Path, clock: Clock, smtp: SmtpSink
) -> None:
    app = build_app(
        tmp_path,
        clock,
        EFIRST_SMTP_HOST="127.0.0.1",
        EFIRST_SMTP_PORT=smtp.port,
        EFIRST_SMTP_FROM="efirst@library.example",
    )
    client = app.test_client()
    login(client, "bor")
    token = csrf(client, LIST)
    on = client.post(
        f"{LIST}/notify", data={"enabled": "1", "email": "acq@library.example", "csrf_token": token}
    )
    assert on.status_code == 303
    patron = app.test_client()
    assert suggest(patron, "record=c-1", message="Please buy").status_code == 303
    (message,) = smtp.messages
    assert message["To"] == "acq@library.example"
    assert message["Subject"] == "Purchase suggestion: Collected papers on watershed hydrology"
    body = message.get_payload(decode=True).decode()
    assert "Li Hua <li.hua@example.edu>" in body and "Please buy" in body
    assert "/staff/lib/211010/suggestions/item/record:c-1" in body


def test_failed_notice_keeps_the_suggestion_and_tells_the_librarians(
    tmp_path: Path, clock: Clock
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    app = build_app(tmp_path, clock, EFIRST_SMTP_HOST="127.0.0.1", EFIRST_SMTP_PORT=dead)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(client, "bor")
    token = csrf(client, LIST)
    client.post(
        f"{LIST}/notify", data={"enabled": "1", "email": "acq@x.example", "csrf_token": token}
    )
    assert suggest(app.test_client(), "record=c-1").status_code == 303
    page = client.get(LIST).get_data(as_text=True)
    assert "The last notice could not be sent: SMTP relay 127.0.0.1:" in page
    assert "Collected papers on watershed hydrology" in page
