"""The record page's "Get it" box: the router's decision for the patron's library, in words.

The sample catalogue (portal_catalogue.py) and the bundled sample consortium give one
record per case for a Peking University (PKU) patron: open access full text, PKU's own
shelf, lending by other members, and nobody holding it.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from portal_catalogue import FDU, PKU, THU

from router.api import get_router


def _box(client: FlaskClient, record_id: str, lib: str = PKU, lang: str = "en") -> str:
    response = client.get(f"/record/{record_id}?lib={lib}&lang={lang}")
    assert response.status_code == 200
    match = re.search(r'<section id="get-it".*?</section>', response.get_data(as_text=True), re.S)
    assert match, "no Get it box"
    return " ".join(match.group(0).split())


def _kind(box: str) -> str:
    match = re.search(r'data-kind="(\w+)"', box)
    return match.group(1) if match else ""


def test_open_access_record_offers_the_full_text_link(client: FlaskClient) -> None:
    box = _box(client, "c-open")
    assert _kind(box) == "fulltext"
    assert "You can read it online now (1 link)." in box
    link = re.search(r'class="fulltext-link" href="(/go\?[^"]+)"', box)
    assert link is not None  # through /go, which logs the click and redirects
    target = client.get(link.group(1).replace("&amp;", "&"))
    assert target.headers["Location"] == "https://example.org/oa/climate.pdf"
    assert "(open access)" in box


def test_own_shelf_gives_location_and_call_number(client: FlaskClient) -> None:
    box = _box(client, "c-shelf")
    assert _kind(box) == "local"
    assert "It is on the shelf at your library: Main library, QC989.C6 L5." in box


def test_lend_names_the_lender_count_and_turnaround(client: FlaskClient) -> None:
    box = _box(client, "c-request")
    assert _kind(box) == "lend"
    decision = _router_decision(client, "c-request", PKU)
    days = max(1, round(decision["rota"][0]["facts"]["delivery_days"]))
    assert len(decision["rota"]) == 2  # Fudan and Tsinghua hold it in print
    assert "2 member libraries can send it to you." in box
    assert f"Expect it in about {days} day" in box
    assert 'id="request-delivery"' in box and "/request?record=c-request" in box


def test_nobody_holds_it(client: FlaskClient) -> None:
    box = _box(client, "c-none")
    assert _kind(box) == "none"
    assert "No member library can supply it at present." in box
    assert 'href="/suggest?record=c-none"' in box  # recommend it to the librarian


def test_embedded_request_link_leaves_the_frame(client: FlaskClient) -> None:
    response = client.get(f"/record/c-request?embed={PKU}&lang=en")
    match = re.search(r'<a [^>]*id="request-delivery"[^>]*>', response.get_data(as_text=True))
    assert match and 'target="_blank"' in match.group(0)


def test_the_same_record_differs_by_library(client: FlaskClient) -> None:
    # Tsinghua holds c-request itself: for its patrons it is on the shelf.
    assert _kind(_box(client, "c-request", THU)) == "local"
    assert _kind(_box(client, "c-request", FDU)) == "local"


def test_chinese_sentence(client: FlaskClient) -> None:
    box = _box(client, "c-request", lang="zh_CN")
    assert "2 所成员馆可以为您提供。" in box
    assert "获取" in box


def test_without_a_library_the_box_falls_back_to_availability(client: FlaskClient) -> None:
    response = client.get("/record/c-request?lang=en")
    html = " ".join(response.get_data(as_text=True).split())
    assert "Choose your library to see what you can open and borrow." in html
    assert "data-kind=" not in html
    assert "held by 2 member libraries" in html


@pytest.mark.parametrize("record_id", ["c-open", "c-shelf", "c-request", "c-none"])
def test_box_agrees_with_the_router_api(client: FlaskClient, record_id: str) -> None:
    """The box shows the decision the router's HTTP API makes for the same request."""
    api = client.post("/api/v1/requests", json={"library": PKU, "record_id": record_id})
    assert api.status_code == 201
    assert _kind(_box(client, record_id)) == api.get_json()["decision"]["kind"]


def _router_decision(client: FlaskClient, record_id: str, library: str) -> dict:
    from mappings.schema import Needs
    from router.service import decision_json

    with client.application.test_request_context():
        router = get_router()
        item = router.items.by_record_id(record_id)
        assert item is not None
        return decision_json(router.decide(item, library, Needs(format=item.format)))
