"""The search-backend contract (:mod:`indexer.backends.base`), once per engine.

Every test runs against tantivy and against a real Elasticsearch (``engine`` fixture),
on the same corpus, and checks the engine's answer against a plain-Python oracle
(:mod:`contract_oracle`), so an engine cannot pass by agreeing with a wrong twin.
``test_engines_agree.py`` then compares the two engines' relevance orders.
"""

from __future__ import annotations

import pytest
from contract_oracle import facet_counts, matches_text, sort_key_order, values

from indexer.backends.base import SearchQuery
from mappings.fields import FACETS

WORD_QUERIES = [
    "中国",  # simplified, bigrammed
    "中國發展報告",  # traditional: folded to simplified, then bigrams ANDed
    "perl",
    "Perl programming",
    "journal of",
    "science",
    "history china",
    "Prokudin-Gorskii",  # hyphen is a separator; ĭ folds to i in the index
    "ecology",
]


def _all(engine, **kwargs) -> list[str]:
    found = engine.search(SearchQuery(limit=5000, facets=(), **kwargs))
    assert found.total == len(found.hits)
    return [hit.id for hit in found.hits]


def test_count_and_get(engine, corpus):
    assert engine.count() == len(corpus)
    doc = corpus[17]
    assert engine.get(doc["id"]) == doc["payload"]
    assert engine.get("no-such-cluster") is None


@pytest.mark.parametrize("text", WORD_QUERIES)
def test_words_are_anded_over_all_text_fields(engine, corpus, text):
    expected = {d["id"] for d in corpus if matches_text(d, text)}
    assert expected, f"query {text!r} finds nothing in the corpus: pick another"
    found = engine.search(SearchQuery(text=text, limit=len(expected) + 5, facets=()))
    assert found.total == len(expected)
    assert {hit.id for hit in found.hits} == expected


def test_hits_carry_the_payload(engine, corpus):
    by_id = {d["id"]: d["payload"] for d in corpus}
    for hit in engine.search(SearchQuery(text="中国", limit=5)).hits:
        assert hit.doc == by_id[hit.id]


def test_relevance_ranks_title_matches_first(engine, corpus):
    found = engine.search(SearchQuery(text="perl", limit=3, facets=()))
    for hit in found.hits:
        assert any("perl" in t.lower() for t in hit.doc.get("title", "").split())
    assert [h.score for h in found.hits] == sorted((h.score for h in found.hits), reverse=True)


@pytest.mark.parametrize("form", ["0-7486-4053-3", "0748640533", "978-0-7486-4053-9"])
def test_isbn_in_any_form_matches_exactly(engine, corpus, form):
    expected = {d["id"] for d in corpus if "9780748640539" in values(d, "isbn")}
    assert len(expected) == 1
    assert set(_all(engine, text=form)) == expected
    assert set(_all(engine, text=f"isbn:{form}")) == expected


def test_issn_and_doi_match_exactly(engine, corpus):
    issn = next(v for d in corpus for v in values(d, "issn"))
    doi = next(v for d in corpus for v in values(d, "doi"))
    assert set(_all(engine, text=issn)) == {d["id"] for d in corpus if issn in values(d, "issn")}
    assert set(_all(engine, text=doi.upper())) == {
        d["id"] for d in corpus if doi in values(d, "doi")
    }


def test_advanced_fields_are_anded(engine, corpus):
    expected = {
        d["id"]
        for d in corpus
        if matches_text(d, "Prokudin", ["author"]) and matches_text(d, "Kostroma", ["title"])
    }
    assert expected
    assert set(_all(engine, fields={"author": "Prokudin", "title": "Kostroma"})) == expected
    assert _all(engine, fields={"title": "Kostroma", "isbn": "12345"}) == []  # bad ISBN


def test_filters_or_within_a_field_and_across_fields(engine, corpus):
    libraries = ["221010", "223010"]
    expected = {
        d["id"]
        for d in corpus
        if set(values(d, "library")) & set(libraries) and "book" in values(d, "format")
    }
    got = _all(engine, filters={"library": libraries, "format": ["book"]})
    assert set(got) == expected
    assert got == sorted(got)  # no scoring clause: id order


def test_year_bounds_are_inclusive(engine, corpus):
    expected = {d["id"] for d in corpus if d["year"] is not None and 1990 <= d["year"] <= 1999}
    assert set(_all(engine, year_from=1990, year_to=1999)) == expected
    assert set(_all(engine, filters={"year": ["1993"]})) == {
        d["id"] for d in corpus if d["year"] == 1993
    }


@pytest.mark.parametrize("name", FACETS)
def test_facet_counts_over_the_whole_result(engine, corpus, name):
    found = engine.search(SearchQuery(facet_size=8, limit=1))
    assert found.facets[name] == facet_counts(corpus, name, 8)
    subset = [d for d in corpus if matches_text(d, "中国")]
    found = engine.search(SearchQuery(text="中国", facet_size=5, limit=1))
    assert found.facets[name] == facet_counts(subset, name, 5)


def test_no_match_gives_empty_facets(engine):
    found = engine.search(SearchQuery(text="qqxqzzv"))
    assert (found.total, found.hits) == (0, [])
    assert found.facets == {name: [] for name in FACETS}


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [("newest", "year", True), ("oldest", "year", False), ("title", "title_sort", False)],
)
def test_sorts_with_id_tie_break_and_missing_last(engine, corpus, sort, key, descending):
    books = [d for d in corpus if "book" in values(d, "format")]
    expected = sort_key_order(books, key, descending)
    assert _all(engine, filters={"format": ["book"]}, sort=sort) == expected


def test_pages_concatenate_to_the_whole_list(engine):
    whole = [h.id for h in engine.search(SearchQuery(text="journal", limit=60)).hits]
    paged = []
    for offset in range(0, 60, 7):
        query = SearchQuery(text="journal", offset=offset, limit=min(7, 60 - offset))
        paged += [h.id for h in engine.search(query).hits]
    assert paged == whole


def test_online_boost_puts_e_access_first(engine, corpus):
    library = "221010"
    online = sorted(d["id"] for d in corpus if {library, "*"} & set(values(d, "online_for")))
    rest = sorted(d["id"] for d in corpus if d["id"] not in set(online))
    assert online and rest
    assert _all(engine, online_boost=library) == online + rest
    relevant = engine.search(SearchQuery(text="journal", online_boost=library, limit=400))
    flags = [bool({library, "*"} & set(hit_online(hit, corpus))) for hit in relevant.hits]
    assert flags == sorted(flags, reverse=True)


def hit_online(hit, corpus) -> list[str]:
    return next(values(d, "online_for") for d in corpus if d["id"] == hit.id)


def test_highlight_marks_query_words_in_the_title(engine):
    found = engine.search(SearchQuery(text="perl", highlight=True, limit=1))
    assert "<mark>Perl</mark>" in found.hits[0].highlights["title"]
