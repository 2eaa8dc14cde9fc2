"""The resolver blueprint over HTTP: HTML, JSON, redirect, POST, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from resolver.openurl import JSON_FIELDS

CORPUS = Path(__file__).parents[1] / "fixtures" / "openurl"
IN_COVERAGE = (
    "rft.genre=article&rft.issn=0515-0361&rft.date=2010&rft.volume=40&rft.spage=1"
    "&rft.atitle=Some+paper&rft_id=info:doi/10.2143/AST.40.1.2049222"
)


def test_json_shape_exact(app: Flask) -> None:
    response = app.test_client().get(f"/openurl?{IN_COVERAGE}&format=json&lib=LIB1")
    assert response.status_code == 200
    data = response.get_json()
    assert list(data) == ["citation", "options"]
    assert set(data["citation"]) == set(JSON_FIELDS)
    assert data["citation"]["issn"] == ["0515-0361"]
    assert data["citation"]["doi"] == "10.2143/ast.40.1.2049222"
    assert data["options"][0]["kind"] == "fulltext"


def test_accept_header_selects_json(app: Flask) -> None:
    response = app.test_client().get(
        f"/resolve?{IN_COVERAGE}", headers={"Accept": "application/json"}
    )
    assert response.is_json


def test_redirect_to_single_licensed_target(app: Flask) -> None:
    response = app.test_client().get(f"/openurl?{IN_COVERAGE}&redirect=1&lib=LIB1")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://doi.org/10.2143/ast.40.1.2049222"


def test_redirect_without_licence_shows_options(app: Flask) -> None:
    response = app.test_client().get(f"/openurl?{IN_COVERAGE}&redirect=1&lib=LIB2")
    assert response.status_code == 200
    assert b"Request delivery" in response.data


def test_library_is_remembered_in_the_session(app: Flask) -> None:
    client = app.test_client()
    client.get(f"/openurl?{IN_COVERAGE}&lib=LIB1")
    response = client.get(f"/openurl?{IN_COVERAGE}&redirect=1")
    assert response.status_code == 302


def test_portal_patron_detection_hook_wins(app: Flask) -> None:
    app.extensions["efirst.patron_library"] = lambda: "LIB1"
    response = app.test_client().get(f"/openurl?{IN_COVERAGE}&redirect=1&lib=LIB2")
    assert response.status_code == 302


def test_html_page_lists_options(app: Flask) -> None:
    response = app.test_client().get(f"/openurl?{IN_COVERAGE}&lib=LIB1")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert b'href="https://doi.org/10.2143/ast.40.1.2049222"' in response.data
    assert b"Some paper" in response.data


def test_post_form_body(app: Flask) -> None:
    response = app.test_client().post(
        "/openurl?format=json",
        data=IN_COVERAGE,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.get_json()["citation"]["volume"] == "40"


def test_post_xml_context_object(app: Flask) -> None:
    xml = (CORPUS / "openurl_gem__yu.xml").read_bytes()
    response = app.test_client().post("/openurl?format=json", data=xml, content_type="text/xml")
    assert response.get_json()["citation"]["pmid"] == "14719646"


def test_raw_latin1_and_utf8_bytes_in_query(app: Flask) -> None:
    client = app.test_client()
    for raw in (b"format=json&title=Caf\xc3\xa9", b"format=json&title=Caf\xe9"):
        wsgi = {"QUERY_STRING": raw.decode("latin-1")}  # PEP 3333: bytes as latin-1
        response = client.get("/openurl", environ_overrides=wsgi)
        assert response.get_json()["citation"]["jtitle"] == "Café"


@pytest.mark.parametrize("query", ["", "sid=foo", "format=json&foo=bar", "genre=article"])
def test_nothing_usable_json_is_400_with_the_error_envelope(app: Flask, query: str) -> None:
    response = app.test_client().get(f"/openurl?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert set(error) == {"status", "code", "message", "field"}
    assert error["status"] == 400 and "DOI" in error["message"]


def test_nothing_usable_html_is_a_helpful_page(app: Flask) -> None:
    response = app.test_client().get("/openurl?sid=foo&pid=bar")
    assert response.status_code == 400
    assert b"could not read a citation" in response.data
    assert b'<form method="get"' in response.data


def test_every_corpus_line_answers_without_server_error(app: Flask) -> None:
    client = app.test_client()
    for path in sorted(CORPUS.glob("*.txt")):
        for line in path.read_text("utf-8").split("\n"):
            if not line.strip():
                continue
            query = line.split("?", 1)[1].lstrip("?") if "resolve?" in line else line
            for suffix in ("", "&format=json"):
                response = client.get("/openurl?" + query.replace("#", "%23") + suffix)
                assert response.status_code in (200, 400), line
