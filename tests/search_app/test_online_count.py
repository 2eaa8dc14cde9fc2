"""The "online now" count taken from the facet counts equals the count query's answer."""

from __future__ import annotations

import pytest
from flask import Flask
from portal_catalogue import FDU, PKU, THU

from search_app.portal import _search, online_now
from search_app.views import count_online, parse_form

QUERIES = [
    "q=climate",
    "q=climate&f.format=book",
    "q=open+climate",
    "q=journal",
    "q=report",
    "q=nothing+like+this",
    "q=climate&online=1",
    "q=climate&f.access=licensed",
    "q=climate&f.access=open",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("code", ["", PKU, THU, FDU])
def test_facet_shortcut_matches_the_count_query(app: Flask, query: str, code: str) -> None:
    with app.test_request_context(f"/search?{query}"):
        form = parse_form()
        results, _items = _search(form, code)
        assert online_now(form, code, results) == count_online(form, code)


def test_licensed_results_still_count_per_library(app: Flask) -> None:
    # "Journal of climate history" is licensed to Tsinghua only.
    with app.test_request_context("/search?q=journal+climate+history"):
        form = parse_form()
        thu = online_now(form, THU, _search(form, THU)[0])
        pku = online_now(form, PKU, _search(form, PKU)[0])
    assert (thu, pku) == (1, 0)
