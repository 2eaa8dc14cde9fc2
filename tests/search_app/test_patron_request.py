"""The patron's request form: pre-filling, CSRF, validation naming the field, submission
through the router, the confirmation and the token-protected status page."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from portal_catalogue import PKU

from router.api import get_router
from search_app.request_views import patron_store

PRINT_ONLY_OPENURL = (
    "/openurl?url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=book"
    "&rft.btitle=Climate+change&rft.isbn=9780199547470&rft.au=Maslin,+Mark&rft.date=2009"
    f"&lib={PKU}&format=json"
)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def _value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', page
    )
    return html.unescape(match.group(1)) if match else ""


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert select, name
    match = re.search(r'<option selected value="([^"]*)"', select.group(0)) or re.search(
        r'<option value="([^"]*)" selected', select.group(0)
    )
    return match.group(1) if match else ""


def _csrf(client: FlaskClient, url: str = "/request?record=c-request") -> str:
    token = _value(client.get(url).get_data(as_text=True), "csrf_token")
    assert token
    return token


def _form(client: FlaskClient, **overrides: str) -> dict[str, str]:
    data = {
        "csrf_token": _csrf(client),
        "record_id": "c-request",
        "service": "copy",
        "electronic_ok": "y",
        "format": "",
        "name": "Wang Fang",
        "email": "wang.fang@pku.example.edu.cn",
        "library": PKU,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _errors(page: str) -> dict[str, str]:
    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'class="field-error" id="([\w-]+)-error">([^<]*)<', page)
    }


# -- pre-filling ---------------------------------------------------------------------


def test_form_for_a_record_shows_it_and_the_patrons_library(client: FlaskClient) -> None:
    page = client.get(f"/request?record=c-request&lib={PKU}&lang=en").get_data(as_text=True)
    assert 'data-record-id="c-request"' in page
    assert "Climate change: a very short introduction" in page
    assert _value(page, "record_id") == "c-request"
    assert _selected(page, "library") == PKU
    assert 'name="csrf_token"' in page


def test_form_for_an_unknown_record_is_404(client: FlaskClient) -> None:
    assert client.get("/request?record=no-such-record").status_code == 404


def test_resolver_request_link_prefills_the_form(client: FlaskClient) -> None:
    """Resolve a print-only citation, follow its "Request delivery" option, see the form."""
    resolved = client.get(PRINT_ONLY_OPENURL).get_json()
    kinds = [option["kind"] for option in resolved["options"]]
    assert "fulltext" not in kinds and "print" in kinds
    url = next(o["url"] for o in resolved["options"] if o["kind"] == "request")
    assert urlsplit(url).path == "/request"
    page = client.get(url + "&lang=en").get_data(as_text=True)
    assert _value(page, "title") == "Climate change"
    assert _value(page, "isbn") == "9780199547470"
    assert _value(page, "date") == "2009"
    assert "Maslin, Mark" in _value(page, "authors")
    assert _selected(page, "genre") == "book"
    assert _selected(page, "library") == PKU


def test_openurl_article_prefills_article_and_journal_titles(client: FlaskClient) -> None:
    query = (
        "url_ver=Z39.88-2004&rft.genre=article&rft.atitle=On+glaciers&rft.jtitle=Ice"
        "&rft.issn=1234-5679&rft.volume=7&rft.issue=2&rft.spage=10&rft.epage=19"
        "&rft_id=info:doi/10.1234/ICE.7.2"
    )
    page = client.get(f"/request?{query}").get_data(as_text=True)
    assert _value(page, "title") == "On glaciers"
    assert _value(page, "container") == "Ice"
    assert _value(page, "pages") == "10-19"
    assert _value(page, "doi") == "10.1234/ice.7.2"
    assert _selected(page, "genre") == "article"


# -- submitting ----------------------------------------------------------------------


def test_happy_path_creates_the_request_and_shows_its_status(client: FlaskClient) -> None:
    response = client.post("/request?lang=en", data=_form(client))
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    request_id = location.path.rsplit("/", 1)[1]
    stored = client.get(f"/api/v1/requests/{request_id}").get_json()
    assert stored["borrower"] == PKU
    assert stored["decision"]["kind"] == "lend"
    assert stored["state"] == "RequestReceived"
    assert stored["request"]["record_id"] == "c-request"
    # The patron's contact details stay out of the public request JSON.
    assert "wang.fang" not in str(stored)

    page = client.get(f"{location.path}?{location.query}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]
    text = _text(page)
    assert "Your request has been sent." in text
    assert request_id in text
    assert "Sent to a member library; waiting for its answer." in text
    assert "2 member libraries can send it to you." in text
    assert f"Asked {_name(client, stored['lender'])}." in text


def test_citation_request_goes_through_the_router(client: FlaskClient) -> None:
    data = _form(client, record_id="", genre="book", title="Weather and climate")
    data["isbn"] = "0-415-27171-1"  # ISBN-10 form of c-merged's ISBN
    response = client.post("/request", data=data)
    assert response.status_code == 303
    request_id = urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1]
    stored = client.get(f"/api/v1/requests/{request_id}").get_json()
    assert stored["request"]["citation"]["isbn"] == ["0-415-27171-1"]
    # PKU holds c-merged itself: the router answers "on your shelf", nothing to lend.
    assert stored["decision"]["kind"] == "local"
    assert stored["state"] == "Resolved"


def test_needs_reach_the_router(client: FlaskClient) -> None:
    needed_by = (date.today() + timedelta(days=30)).isoformat()
    data = _form(client, service="loan", max_cost="0", needed_by=needed_by)
    data.pop("electronic_ok")
    response = client.post("/request", data=data)
    assert response.status_code == 303
    request_id = urlsplit(response.headers["Location"]).path.rsplit("/", 1)[1]
    stored = client.get(f"/api/v1/requests/{request_id}").get_json()
    assert stored["request"]["needs"] == {
        "service": "loan",
        "electronic_ok": False,
        "max_cost": 0.0,
        "needed_by": needed_by,
    }
    assert stored["service"] == "loan"


# -- bad input -----------------------------------------------------------------------


def test_missing_csrf_token_is_refused_and_keeps_the_input(client: FlaskClient) -> None:
    data = _form(client, title="")
    data.pop("csrf_token")
    before = _count(client)
    response = client.post("/request?lang=en", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The CSRF token is missing." in html.unescape(page)
    assert _value(page, "name") == "Wang Fang"
    assert _value(page, "email") == "wang.fang@pku.example.edu.cn"
    assert _count(client) == before


def test_forged_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/request", data=_form(client, csrf_token="forged"))
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Invalid email address."),
        ("email", "", "This field is required."),
        ("name", "", "This field is required."),
        ("library", "999999", "This is not a member library."),
        ("library", "", "Choose your library."),
        ("max_cost", "-5", "Number must be between 0 and 100000."),
        ("max_cost", "lots", "Not a valid decimal value."),
        ("needed_by", "2001-01-01", "The date has passed."),
        ("needed_by", "next week", "Not a valid date value."),
        ("service", "steal", "Not a valid choice."),
    ],
)
def test_bad_input_names_the_field(
    client: FlaskClient, field: str, value: str, message: str
) -> None:
    before = _count(client)
    response = client.post("/request?lang=en", data=_form(client, **{field: value}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    errors = _errors(page)
    assert set(errors) == {field}
    assert errors[field] == message
    assert f'href="#{field}"' in page  # the summary links to the field
    assert _value(page, "name") == ("" if field == "name" else "Wang Fang")
    assert _count(client) == before


def test_empty_citation_is_refused_on_the_title(client: FlaskClient) -> None:
    response = client.post("/request?lang=en", data=_form(client, record_id="", date="2009"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _errors(page) == {"title": "Give a title, ISSN, ISBN or DOI."}
    assert _value(page, "date") == "2009"


def test_router_rejection_is_shown_on_its_field(client: FlaskClient) -> None:
    response = client.post("/request", data=_form(client, record_id="", title="x", issn="bad"))
    # A malformed ISSN is dropped by the router's parser; the title still identifies it.
    assert response.status_code == 303


def test_errors_in_chinese(client: FlaskClient) -> None:
    response = client.post("/request?lang=zh_CN", data=_form(client, library="999999"))
    assert "不是成员馆" in html.unescape(response.get_data(as_text=True))


# -- the status page -----------------------------------------------------------------


def test_status_needs_the_right_token(client: FlaskClient) -> None:
    response = client.post("/request", data=_form(client))
    location = urlsplit(response.headers["Location"])
    assert client.get(f"{location.path}?{location.query}").status_code == 200
    assert client.get(location.path).status_code == 404
    assert client.get(f"{location.path}?token=guess").status_code == 404
    assert client.get("/request/nonexistent?token=guess").status_code == 404


def test_status_follows_the_request(client: FlaskClient) -> None:
    response = client.post("/request", data=_form(client))
    location = urlsplit(response.headers["Location"])
    request_id = location.path.rsplit("/", 1)[1]
    first = client.get(f"/api/v1/requests/{request_id}").get_json()["lender"]
    with client.application.app_context():  # the lender's refusal, as the ledger takes it
        refused = get_router().event(request_id, "refused", library=first, reason="not on shelf")
    text = _text(client.get(f"{location.path}?{location.query}&lang=en"))
    assert "The library could not supply it." in text
    second = refused["lender"]
    assert second and second != first
    assert f"Asked {_name(client, second)}." in text


def test_patron_details_are_stored_apart(client: FlaskClient) -> None:
    response = client.post("/request", data=_form(client))
    location = urlsplit(response.headers["Location"])
    request_id = location.path.rsplit("/", 1)[1]
    token = location.query.split("token=", 1)[1]
    with client.application.app_context():
        patron = patron_store().check(request_id, token)
    assert patron is not None
    assert (patron.name, patron.email, patron.library) == (
        "Wang Fang",
        "wang.fang@pku.example.edu.cn",
        PKU,
    )


def _count(client: FlaskClient) -> int:
    with client.application.app_context():
        return len(get_router().ledger.list_requests(limit=10_000))


def _name(client: FlaskClient, code: str) -> str:
    with client.application.app_context():
        return get_router().members_file.members[code].name_en


def test_unfilled_request_offers_a_purchase_suggestion(client: FlaskClient) -> None:
    """Nobody holds it: the request ends Unfilled and the patron may suggest buying it."""
    data = _form(client, record_id="", genre="book", title="A book no member holds")
    response = client.post("/request?lang=en", data=data)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    request_id = location.path.rsplit("/", 1)[1]
    page = client.get(f"{location.path}?{location.query}").get_data(as_text=True)
    text = " ".join(html.unescape(page).split())
    assert 'data-state="Unfilled"' in page
    assert "No member library can supply it at present." in text
    token = location.query.split("token=", 1)[1]
    assert f'href="/suggest?request={request_id}&amp;token={token}"' in page
