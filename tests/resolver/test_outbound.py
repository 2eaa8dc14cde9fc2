"""Outbound OpenURL 1.0 links and COinS: valid KEV that our own parser reads back."""

from __future__ import annotations

from html import unescape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.schema import Citation, Library
from resolver.openurl import citation_json, parse_openurl
from resolver.outbound import (
    DEFAULT_LINK_TEXT,
    citation_kev,
    coins_for_record,
    coins_span,
    link_label,
    openurl_for_record,
)

ARTICLE = {
    "id": "c1",
    "title": "Isolation of a common receptor for coxsackie B",
    "format": "article",
    "authors": ["Bergelson, J", "Cunningham, J"],
    "year": 1997,
    "issn": ["0036-8075"],
    "doi": "10.1126/science.275.5304.1320",
    "oclc": [],
    "isbn": [],
}
BOOK = {"id": "c2", "title": "Momo", "format": "book", "isbn": ["9780385190930"],
        "authors": ["Ende, Michael"], "year": 1984, "publisher": "Doubleday",
        "oclc": ["123"]}  # fmt: skip


def library(**fields: str) -> Library:
    return Library("LIB1", "图书馆", "Library One", **fields)


def test_openurl_for_record_is_a_z39_88_link_read_back_by_our_parser() -> None:
    url = openurl_for_record(BOOK, library(resolver_base_url="https://sfx.example.edu/sfx"))
    base, _, query = url.partition("?")
    assert base == "https://sfx.example.edu/sfx"
    parsed = parse_openurl(query)
    assert parsed.version == "1.0"
    assert parsed.format == "book"
    cit = parsed.citation
    assert (cit.btitle, cit.isbn, cit.oclc, cit.year, cit.publisher) == (
        "Momo",
        ["9780385190930"],
        "123",
        1984,
        "Doubleday",
    )
    assert cit.authors == ["Ende, Michael"]


def test_base_url_with_query_keeps_it() -> None:
    url = openurl_for_record(BOOK, library(resolver_base_url="https://r.example/x?inst=9"))
    assert url.startswith("https://r.example/x?inst=9&url_ver=Z39.88-2004")


def test_no_base_url_no_link() -> None:
    assert openurl_for_record(BOOK, library()) == ""


def test_link_label_default_and_custom() -> None:
    assert link_label(library()) == (DEFAULT_LINK_TEXT, "")
    assert link_label(library(resolver_link_text="Find it", resolver_link_image="/i.png")) == (
        "Find it",
        "/i.png",
    )


def test_coins_article() -> None:
    kev = coins_for_record(ARTICLE)
    assert "url_ver" not in kev and kev.startswith("ctx_ver=Z39.88-2004")
    cit = parse_openurl(kev).citation
    assert (cit.genre, cit.atitle, cit.doi, cit.issn) == (
        "article",
        ARTICLE["title"],
        ARTICLE["doi"],
        ["0036-8075"],
    )
    assert cit.authors == ["Bergelson, J", "Cunningham, J"]


def test_coins_span_is_escaped() -> None:
    span = coins_span({**BOOK, "title": 'Tom & "Jerry" <b>'})
    assert span.startswith('<span class="Z3988" title="') and "<b>" not in span
    title = span.split('title="', 1)[1].rsplit('"', 1)[0]
    assert parse_openurl(unescape(title)).citation.btitle == 'Tom & "Jerry" <b>'


@pytest.mark.parametrize("fmt", ["journal", "thesis", "conference", "report", "other", ""])
def test_every_format_gives_a_usable_citation(fmt: str) -> None:
    cit = parse_openurl(coins_for_record({**BOOK, "format": fmt})).citation
    assert cit.title == "Momo"


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30).map(
    lambda s: " ".join(s.split())
)


@given(
    atitle=texts,
    jtitle=texts,
    volume=st.from_regex(r"[0-9]{0,3}", fullmatch=True),
    spage=st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True),
    date=st.sampled_from(["", "1999", "2004-05", "2021-12-31"]),
)
def test_citation_round_trip(atitle: str, jtitle: str, volume: str, spage: str, date: str) -> None:
    cit = Citation(genre="article", atitle=atitle, jtitle=jtitle, volume=volume, spage=spage,
                   date=date, year=int(date[:4]) if date else None, issn=["0036-8075"],
                   doi="10.1126/science.275.5304.1320", pmid="9036860")  # fmt: skip
    back = parse_openurl(citation_kev(cit)).citation
    assert citation_json(back) == citation_json(cit)
