"""The main pages rendered in Chinese show no English UI text.

The English sentences are taken from the English catalog itself (every message of two
or more words, split at its placeholders), so a string added to a page without a
Chinese translation (or not wrapped for translation at all, if the English catalog
already knows it from another page) shows up here. Data (titles, names, codes) may be
English; the visible text and the ``title``/``aria-label``/``placeholder``/``alt``
attributes are checked, scripts and styles are not.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from delivery_testkit import LENDER, csrf, login, make_pdf
from flask import Flask
from flask.testing import FlaskClient

from search_app import delivery as delivery_views
from search_app.i18n_catalog import read_catalog

_PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sd]")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_ATTRIBUTE = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"')
#: Catalog phrases that are also data or code on these pages (not UI leaks).
ALLOWED: set[str] = set()


def _phrases() -> list[str]:
    found = set()
    for message in read_catalog("en"):
        ids = [message.id] if isinstance(message.id, str) else list(message.id or ())
        for ident in ids:
            for part in _PLACEHOLDER.split(ident):
                part = part.strip(" .,:;()“”'\"—–-·\n")
                if len(part.split()) >= 2 and re.search(r"[a-z]{2}", part):
                    found.add(part)
    return sorted(found - ALLOWED, key=len, reverse=True)


PHRASES = _phrases()
_MATCHERS = [(p, re.compile(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])")) for p in PHRASES]


def visible_text(page: str) -> str:
    """What a reader sees or hears: text nodes and labelling attributes."""
    page = _SCRIPT.sub(" ", page)
    attributes = " | ".join(_ATTRIBUTE.findall(page))
    text = re.sub(r"<[^>]+>", " | ", page)
    return html.unescape(" ".join(f"{text} | {attributes}".split()))


def leaks(page: str) -> list[str]:
    text = visible_text(page)
    return [phrase for phrase, matcher in _MATCHERS if matcher.search(text)]


def _new_request(app: Flask) -> dict[str, Any]:
    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    with app.app_context():
        from search_app.request_views import patron_store

        patron_store().add(
            made.get_json()["id"], name="Li Hua", email="li.hua@example.edu", library="211010"
        )
    return made.get_json()


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    page = response.get_data(as_text=True)
    assert 'lang="zh-CN"' in page or "lang=zh-CN" in page, path
    return page


PUBLIC_PAGES = {
    "portal home": "/",
    "search": "/search?q=climate",
    "no results": "/search?q=zzzqqqxxyy",
    "advanced search": "/advanced",
    "record": "/record/c-shelf",
    "request form": "/request?record=c-shelf",
    "resolver options": "/openurl?id=doi:10.1234/climate.2021",
    "staff login": "/staff/login",
    "suggestion form": "/suggest?record=c-1",
}


def test_the_check_catches_an_english_sentence() -> None:
    """The detector itself: an untranslated UI sentence is reported, data is not."""
    assert "Purchase suggestions" in PHRASES
    page = "<h1>读者荐购</h1><p>Purchase suggestions</p><p>Climate and society in China</p>"
    assert leaks(page) == ["Purchase suggestions"]
    assert leaks('<button aria-label="Revoke">x</button>') == []  # one word is not checked
    assert leaks('<a title="Get a copy delivered">x</a>') == ["Get a copy delivered"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_in_chinese(client: FlaskClient, name: str) -> None:
    assert leaks(_get(client, PUBLIC_PAGES[name])) == []


def test_resolver_page_without_citation_in_chinese(client: FlaskClient) -> None:
    response = client.get("/openurl?foo=bar")
    assert response.status_code == 400
    assert leaks(response.get_data(as_text=True)) == []


def test_staff_pages_in_chinese(app: Flask, client: FlaskClient) -> None:
    request = _new_request(app)
    login(client, "lend")
    pages = {
        "queues": f"/staff/lib/{LENDER}/",
        "request": f"/staff/lib/{LENDER}/requests/{request['id']}",
        "delivery upload": f"/staff/lib/{LENDER}/requests/{request['id']}/delivery",
        "usage": f"/staff/lib/{LENDER}/usage",
        "stats": f"/staff/lib/{LENDER}/stats",
        "suggestions": f"/staff/lib/{LENDER}/suggestions",
    }
    found = {name: leaks(_get(client, path)) for name, path in pages.items()}
    assert found == dict.fromkeys(pages, [])


def test_admin_pages_in_chinese(client: FlaskClient) -> None:
    login(client, "admin")
    pages = {
        "settings": "/admin/lib/211010/settings",
        "holdings": "/admin/lib/211010/holdings",
        "consortium usage": "/staff/consortium/usage",
        "fees": "/staff/consortium/fees",
        "accounts": "/staff/users",
        "api keys": "/staff/lib/211010/api-keys",
    }
    found = {name: leaks(_get(client, path)) for name, path in pages.items()}
    assert found == dict.fromkeys(pages, [])


def test_refused_action_error_in_chinese(app: Flask, client: FlaskClient) -> None:
    request = _new_request(app)
    login(client, "lend")
    page = f"/staff/lib/{LENDER}/requests/{request['id']}"
    token = csrf(client, page)
    response = client.post(
        f"{page}/events", data={"type": "refused", "reason": "", "nonce": "n1", "csrf_token": token}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "拒绝时必须填写理由" in body
    assert leaks(body) == []


def test_delivery_notice_in_chinese(app: Flask, client: FlaskClient) -> None:
    request = _new_request(app)
    login(client, "lend")
    page = f"/staff/lib/{LENDER}/requests/{request['id']}/delivery"
    upload = client.post(
        page,
        data={"file": (io.BytesIO(make_pdf()), "scan.pdf"), "csrf_token": csrf(client, page)},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 303, upload.get_data(as_text=True)[:300]
    store = app.extensions[delivery_views.EXTENSION]
    token = store.new_token(request["id"], "li.hua@example.edu")
    patron = app.test_client()
    patron.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    notice = _get(patron, f"/delivery/{request['id']}?token={token}")
    assert "版权声明" in notice
    assert leaks(notice) == []
    refused = patron.get(f"/delivery/{request['id']}?token=not-a-token")
    assert refused.status_code == 404
    assert leaks(refused.get_data(as_text=True)) == []
