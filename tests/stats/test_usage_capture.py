"""Usage capture through the real app: searches, record views, /go clicks, denials."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from stats_testkit import KBART_ANNALS, OPEN_PDF, PKU, PKU_EBOOK, THU, THU_JOURNAL

from mappings.schema import EHolding
from search_app.usage_store import UsageStore


def events(usage: UsageStore) -> list[dict[str, Any]]:
    return [dict(row) for row in usage.events("2000-01", "2999-12")]


def test_portal_search_counts_with_the_patrons_library(client: FlaskClient, usage: UsageStore):
    assert client.get(f"/search?q=climate&lib={PKU}").status_code == 200
    [event] = events(usage)
    assert (event["kind"], event["library"], event["channel"]) == ("search", PKU, "portal")
    assert len(event["session"]) == 20 and "127.0.0.1" not in event["session"]


def test_next_pages_and_empty_forms_are_not_new_searches(client: FlaskClient, usage: UsageStore):
    assert client.get(f"/search?q=climate&lib={PKU}&page=2").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/search").status_code == 200
    assert events(usage) == []


def test_api_search_takes_lib_argument(client: FlaskClient, usage: UsageStore):
    assert client.get(f"/api/v1/search?q=climate&lib={THU}").status_code == 200
    [event] = events(usage)
    assert (event["kind"], event["library"], event["channel"]) == ("search", THU, "api")


def test_failed_api_search_is_not_counted(client: FlaskClient, usage: UsageStore):
    assert client.get("/api/v1/search?q=climate&lib=nowhere").status_code == 400
    assert events(usage) == []


def test_robots_are_not_counted(client: FlaskClient, usage: UsageStore):
    response = client.get("/search?q=climate", headers={"User-Agent": "Googlebot/2.1"})
    assert response.status_code == 200
    assert events(usage) == []


def test_record_views_portal_and_api(client: FlaskClient, usage: UsageStore):
    assert client.get(f"/record/s-book?lib={PKU}").status_code == 200
    assert client.get(f"/api/v1/records/s-jnl?lib={THU}").status_code == 200
    assert client.get("/record/no-such-record").status_code == 404
    found = [(e["kind"], e["library"], e["record"], e["channel"]) for e in events(usage)]
    assert found == [
        ("investigation", PKU, "s-book", "portal"),
        ("investigation", THU, "s-jnl", "api"),
    ]


def test_go_logs_a_request_then_redirects(client: FlaskClient, usage: UsageStore):
    client.get(f"/search?q=weather&lib={PKU}")  # the session now remembers the library
    response = client.get("/go", query_string={"url": PKU_EBOOK, "record": "s-book"})
    assert response.status_code == 302
    assert response.headers["Location"] == PKU_EBOOK
    assert response.headers["Cache-Control"] == "no-store"
    click = events(usage)[-1]
    assert (click["kind"], click["library"], click["record"]) == ("request", PKU, "s-book")
    assert (click["access"], click["detail"], click["channel"]) == ("Controlled", PKU_EBOOK, "go")
    assert usage.titles(["s-book"])["s-book"].title == "Weather and climate"


def test_go_open_link_is_counted_as_open(client: FlaskClient, usage: UsageStore):
    response = client.get("/go", query_string={"url": OPEN_PDF, "record": "s-book"})
    assert response.status_code == 302
    assert events(usage)[-1]["access"] == "Open"


def test_go_follows_resolver_options_of_the_patrons_library(client: FlaskClient, usage: UsageStore):
    query = {"url": KBART_ANNALS, "record": "s-annals", "lib": PKU}
    response = client.get("/go", query_string=query)
    assert response.status_code == 302
    assert response.headers["Location"] == KBART_ANNALS
    # Tsinghua holds no licence: the KBART link is not one of its options.
    response = client.get("/go", query_string={**query, "lib": THU})
    assert response.status_code == 400
    assert [e["library"] for e in events(usage) if e["kind"] == "request"] == [PKU]


def test_go_refuses_an_open_redirect(client: FlaskClient, usage: UsageStore):
    for url in ("https://evil.example/phish", "javascript:alert(1)", "//evil.example/x", ""):
        response = client.get("/go", query_string={"url": url, "record": "s-book"})
        assert response.status_code == 400, url
        assert "Location" not in response.headers
    # another record's link is not this record's
    response = client.get("/go", query_string={"url": THU_JOURNAL, "record": "s-book"})
    assert response.status_code == 400
    assert client.get("/go", query_string={"url": OPEN_PDF}).status_code == 400
    assert client.get("/go", query_string={"url": OPEN_PDF, "record": "nope"}).status_code == 404
    assert events(usage) == []


def test_denial_when_only_another_library_holds_a_licence(client: FlaskClient, usage: UsageStore):
    response = client.get(f"/openurl?issn=1234-5679&lib={PKU}&format=json")
    assert response.status_code == 200
    [denial] = events(usage)
    assert (denial["kind"], denial["library"], denial["record"]) == ("denial", PKU, "s-jnl")
    assert denial["detail"] == f"licensed_elsewhere: licensed to {THU}"


def test_no_denial_for_the_licensee(client: FlaskClient, usage: UsageStore):
    assert client.get(f"/openurl?issn=1234-5679&lib={THU}&format=json").status_code == 200
    assert events(usage) == []


def test_denial_out_of_coverage(client: FlaskClient, usage: UsageStore):
    assert client.get(f"/openurl?issn=0260-3055&date=2015&lib={PKU}").status_code == 200
    [denial] = events(usage)
    assert (denial["kind"], denial["record"], denial["detail"]) == (
        "denial",
        "s-annals",
        "out_of_coverage",
    )


def test_no_denial_within_coverage_or_without_any_online_copy(
    client: FlaskClient, usage: UsageStore
):
    assert client.get(f"/openurl?issn=0260-3055&date=1995&lib={PKU}").status_code == 200
    assert client.get(f"/openurl?isbn=9780415271714&lib={THU}").status_code == 200  # open PDF
    assert client.get(f"/openurl?title=Glacier+retreat+models&lib={PKU}").status_code == 200
    assert events(usage) == []


def test_denial_for_a_citation_outside_the_catalogue(
    app: Flask, client: FlaskClient, usage: UsageStore
):
    line = EHolding(THU, "geo", "Polar geography", print_identifier="1088-937X",
                    title_url="https://geo.example/polar")  # fmt: skip
    app.config["EFIRST_EHOLDINGS"].load_package(THU, "geo", [line])
    client.get(f"/openurl?issn=1088-937X&jtitle=Polar+geography&lib={PKU}")
    [denial] = events(usage)
    assert denial["record"].startswith("cit:")
    assert denial["detail"] == f"licensed_elsewhere: licensed to {THU}"
    info = usage.titles([denial["record"]])[denial["record"]]
    assert (info.title, info.print_issn, info.data_type) == (
        "Polar geography",
        "1088-937X",
        "Journal",
    )


def test_capture_can_be_turned_off(app: Flask, client: FlaskClient, usage: UsageStore):
    app.config["EFIRST_USAGE"] = False
    assert client.get(f"/search?q=climate&lib={PKU}").status_code == 200
    assert client.get("/go", query_string={"url": OPEN_PDF, "record": "s-book"}).status_code == 302
    assert events(usage) == []


def test_a_broken_usage_store_never_breaks_a_page(app: Flask, client: FlaskClient, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x", encoding="utf-8")
    app.config["EFIRST_USAGE_DB"] = str(blocker / "usage.sqlite3")
    app.extensions.pop("efirst.usage", None)
    response = client.get(f"/search?q=climate&lib={PKU}")
    assert response.status_code == 200 and "/record/s-book" in response.get_data(as_text=True)
