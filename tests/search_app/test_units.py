"""Small parts: availability, query parsing, highlighting, exports, cache, origins."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from search_app.availability import availability
from search_app.exports import to_bibtex, to_ris
from search_app.highlight import highlight
from search_app.query import parse_search_args
from search_app.security import csp_sources, origin_allowed
from search_app.services import SearchCache

PAYLOAD = {
    "id": "r1",
    "title": "T {x} & y",
    "format": "book",
    "authors": ["A, B", "C, D"],
    "year": 2001,
    "isbn": ["9780199547463"],
    "holdings": [
        {"library": "L1", "kind": "print", "call_number": "QA1"},
        {"library": "L2", "kind": "print"},
        {"library": "L3", "kind": "print"},
    ],
    "links": [{"url": "https://x.example/lic", "access": "licensed", "library": "L2"}],
}


def test_availability_prefers_online_then_shelf_then_request() -> None:
    assert availability(PAYLOAD, "L2").best == "online"
    mine = availability(PAYLOAD, "L1")
    assert mine.best == "shelf" and mine.lenders == ["L2", "L3"]
    assert availability(PAYLOAD, "L9").best == "request"
    assert availability(PAYLOAD, "").online == []
    assert availability({"holdings": []}, "L1").best == "none"


def test_consortium_wide_licence_needs_a_member() -> None:
    payload = {"links": [{"url": "https://c.example", "access": "licensed", "library": ""}]}
    assert availability(payload, "L1").best == "online"
    assert availability(payload, "").best == "none"


def test_query_parsing_is_lenient_and_reports_problems() -> None:
    form = parse_search_args(
        MultiDict(
            [
                ("q", " a\x00b  "),
                ("page", "x"),
                ("sort", "bad"),
                ("f.format", "book"),
                ("f.format", "book"),
                ("year_from", "2010"),
                ("year_to", "2000"),
            ]
        )
    )
    assert form.q == "a b" and form.page == 1 and form.sort == "relevance"
    assert form.filters == {"format": ["book"]}
    assert (form.year_from, form.year_to) == (2000, 2010)
    assert {name for name, _ in form.problems} == {"page", "sort"}


def test_query_maps_online_now_and_boost() -> None:
    query = parse_search_args(MultiDict({"q": "x", "online": "1", "f.subject": "S"})).to_query("L1")
    assert query.filters == {"subject_facet": ["S"], "online_for": ["*", "L1"]}
    assert query.online_boost == "L1"


def test_page_beyond_max_offset_is_refused() -> None:
    form = parse_search_args(MultiDict({"page": "1000"}), page_size=20, max_offset=10000)
    assert form.page == 1 and form.problems[0][0] == "page"


def test_highlight_escapes_and_marks() -> None:
    assert str(highlight("<b>Climate</b> change", "climate")) == (
        "&lt;b&gt;<mark>Climate</mark>&lt;/b&gt; change"
    )
    assert str(highlight("中国文学史", "中國文學")) == "<mark>中国</mark><mark>文学</mark>史"


def test_ris_and_bibtex() -> None:
    ris = to_ris(PAYLOAD)
    assert (
        ris.startswith("TY  - BOOK\r\n") and "AU  - C, D\r\n" in ris and ris.endswith("ER  - \r\n")
    )
    bib = to_bibtex(PAYLOAD)
    assert "title = {T \\{x\\} \\& y}" in bib and "author = {A, B and C, D}" in bib


def test_cache_is_emptied_when_the_generation_changes() -> None:
    cache = SearchCache(maxsize=10, ttl=60)
    calls: list[int] = []

    def compute() -> object:
        calls.append(1)
        return object()

    first = cache.get_or_compute("g1", b"k", compute)  # type: ignore[arg-type]
    assert cache.get_or_compute("g1", b"k", compute) is first  # type: ignore[arg-type]
    assert cache.get_or_compute("g2", b"k", compute) is not first  # type: ignore[arg-type]
    assert len(calls) == 2


@pytest.mark.parametrize(
    "origin,domains,ok",
    [
        ("https://lib.example.edu", ["https://lib.example.edu"], True),
        ("http://lib.example.edu", ["https://lib.example.edu"], False),
        ("https://lib.example.edu", ["lib.example.edu"], True),
        ("https://a.example.edu", ["*.example.edu"], True),
        ("https://example.edu.evil.com", ["*.example.edu"], False),
        ("http://127.0.0.1:8001", ["http://127.0.0.1:8001"], True),
        ("http://127.0.0.1:8002", ["http://127.0.0.1:8001"], False),
        ("null", ["lib.example.edu"], False),
    ],
)
def test_origin_allowed(origin: str, domains: list[str], ok: bool) -> None:
    assert origin_allowed(origin, domains) is ok


def test_csp_sources_drop_injection() -> None:
    assert csp_sources(["https://ok.example", "x; script-src *", "a b"]) == ["https://ok.example"]
