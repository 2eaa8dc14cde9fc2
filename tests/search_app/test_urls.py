"""The results page's fast links are exactly what ``url_for`` builds, embedded or not."""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from portal_catalogue import PKU

from search_app.urls import link_for, record_url_for, search_url

ARGS = [
    {},
    {"q": "climate"},
    {"q": "a & b / c?", "f.format": ["book", "thesis"], "year_from": 1990},
    {"q": "中国 文学", "f.library": [], "online": 1, "sort": "newest"},
    {"q": "x", "per_page": None, "f.subject": ['"><svg>']},
]
IDS = ["c-open", "with space", "slash/in/id", "中文", "a?b#c&d=e"]


@pytest.mark.parametrize("query", ["/search?q=x&lang=en", f"/search?q=x&embed={PKU}&lang=en"])
def test_same_links_as_url_for(app: Flask, query: str) -> None:
    with app.test_request_context(query):
        app.preprocess_request()  # the embed scope is set before views run
        for args in ARGS:
            assert search_url(args) == url_for("portal.search", **args)
            assert search_url(args, page=3) == url_for("portal.search", page=3, **args)
        for q in ("", "climate change", "&?"):
            build = record_url_for(q)
            for record_id in IDS:
                assert build(record_id) == url_for(
                    "portal.record", record_id=record_id, q=q or None
                )
        api_link = link_for("api.record", "record_id")
        for record_id in IDS:
            assert api_link(record_id) == url_for("api.record", record_id=record_id)


def test_embedded_links_keep_the_scope(app: Flask) -> None:
    with app.test_request_context(f"/search?q=x&embed={PKU}&lang=en"):
        app.preprocess_request()
        assert f"embed={PKU}" in search_url({"q": "x"})
        assert f"embed={PKU}" in record_url_for("x")("c-open")
