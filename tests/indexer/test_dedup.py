"""De-duplication: strong identifiers, CJK and Latin title keys, vetoes, re-index, deletions."""

from __future__ import annotations

import logging

import pytest

from indexer.catalog import Catalog
from indexer.dedup import Deduplicator, author_key, match_keys
from mappings.schema import Holding, Link


@pytest.fixture
def catalog(tmp_path):
    with Catalog(tmp_path / "catalog.sqlite3") as store:
        yield store


def add(catalog: Catalog, records, run: int = 1) -> set[str]:
    catalog.begin()
    dirty = Deduplicator(catalog).add(list(records), run)
    catalog.commit()
    return dirty


def remove(catalog: Catalog, keys) -> set[str]:
    catalog.begin()
    dirty = Deduplicator(catalog).remove(keys)
    catalog.commit()
    return dirty


def cluster_of(catalog: Catalog, key: str) -> str | None:
    return catalog.cluster_of(key)


def test_same_isbn_in_two_sources_is_one_cluster(catalog, make_record):
    a = make_record(
        "1",
        format="book",
        title="Dream of the Red Chamber",
        isbn=["9780140443714"],
        holdings=[Holding("PKU")],
    )
    b = make_record(
        "9",
        source="lib-b",
        format="book",
        title="The story of the stone",
        isbn=["9780140443714"],
        links=[Link("https://e.example/1", "licensed", library="FDU")],
    )
    add(catalog, [a, b])
    cluster = catalog.cluster(cluster_of(catalog, a.key))
    assert {r.key for r in cluster.records} == {"lib-a:1", "lib-b:9"}
    assert [h.library for r in cluster.records for h in r.holdings] == ["PKU"]


def test_isbn10_and_13_forms_meet_after_normalisation(catalog, make_record):
    # readers normalise ISBN-10 to 13, so only the 13 form reaches dedup
    a = make_record("1", format="book", title="X", isbn=["9780444897282"])
    b = make_record("2", format="book", title="Y", isbn=["9780444897282", "9780444897275"])
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) == cluster_of(catalog, b.key)


def test_cjk_traditional_and_simplified_titles_meet(catalog, make_record):
    a = make_record("1", format="book", title="中國文學史", authors=["魯迅"], year=1990)
    b = make_record(
        "2", source="lib-b", format="book", title="中国文学史", authors=["鲁迅"], year=1991
    )
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) == cluster_of(catalog, b.key)


def test_romanised_record_with_vernacular_880_meets_cjk_only_record(catalog, make_record):
    a = make_record(
        "1",
        format="book",
        title="Zhongguo wen xue shi",
        title_vernacular=["中國文學史"],
        authors=["Lu, Xun"],
        authors_vernacular=["魯迅"],
    )
    b = make_record("2", source="lib-b", format="book", title="中国文学史", authors=["鲁迅"])
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) == cluster_of(catalog, b.key)


def test_latin_title_key_ignores_case_punctuation_and_name_form(catalog, make_record):
    a = make_record("1", format="book", title="War and peace.", authors=["Tolstoy, Leo, 1828-1910"])
    b = make_record("2", format="book", title="WAR AND PEACE", authors=["Leo Tolstoy"])
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) == cluster_of(catalog, b.key)


def test_different_authors_same_title_stay_apart(catalog, make_record):
    a = make_record("1", format="book", title="Introduction to economics", authors=["Smith, A."])
    b = make_record("2", format="book", title="Introduction to economics", authors=["Jones, B."])
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) != cluster_of(catalog, b.key)


@pytest.mark.parametrize(
    ("left", "right", "reason"),
    [
        ({"format": "book"}, {"format": "video"}, "format differs"),
        ({"year": 1990}, {"year": 1995}, "year differs by more than 1"),
        ({"isbn": ["9780444897282"]}, {"isbn": ["9780140443714"]}, "different ISBNs"),
        ({"issn": ["0028-0836"]}, {"issn": ["1476-4687"]}, "different ISSNs"),
        ({"doi": "10.1000/a"}, {"doi": "10.1000/b"}, "different DOIs"),
    ],
)
def test_veto_keeps_records_apart_and_is_counted(catalog, make_record, caplog, left, right, reason):
    base = {"format": "book", "title": "Collected essays on society", "authors": ["Doe, J."]}
    a = make_record("1", **{**base, **left})
    b = make_record("2", source="lib-b", **{**base, **right})
    with caplog.at_level(logging.INFO, logger="indexer.dedup"):
        add(catalog, [a, b])
    assert cluster_of(catalog, a.key) != cluster_of(catalog, b.key)
    assert ("lib-b", "veto", reason, 1) in catalog.counters()
    assert f"lib-b:2 not merged into {cluster_of(catalog, a.key)}: {reason}" in caplog.text


def test_year_one_apart_still_merges(catalog, make_record):
    a = make_record("1", format="book", title="Collected essays", authors=["Doe"], year=2000)
    b = make_record("2", format="book", title="Collected essays", authors=["Doe"], year=2001)
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) == cluster_of(catalog, b.key)


def test_articles_in_one_journal_do_not_merge_on_issn(catalog, make_record):
    a = make_record("1", format="article", title="On cells", issn=["0028-0836"], doi="10.1/a")
    b = make_record("2", format="article", title="On genes", issn=["0028-0836"], doi="10.1/b")
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) != cluster_of(catalog, b.key)


def test_journals_merge_on_shared_issn(catalog, make_record):
    a = make_record("1", format="journal", title="Nature", issn=["0028-0836", "1476-4687"])
    b = make_record(
        "2", source="lib-b", format="journal", title="Nature (London)", issn=["1476-4687"]
    )
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) == cluster_of(catalog, b.key)


def test_reindex_same_input_is_idempotent(catalog, make_record):
    records = [
        make_record("1", format="book", title="Alpha beta gamma", isbn=["9780444897282"]),
        make_record("2", format="book", title="Alpha beta gamma", authors=[]),
        make_record("3", format="book", title="Delta epsilon zeta"),
    ]
    add(catalog, records, run=1)
    before = {r.key: cluster_of(catalog, r.key) for r in records}
    dirty = add(catalog, records, run=2)
    assert dirty == set()
    assert {r.key: cluster_of(catalog, r.key) for r in records} == before
    assert catalog.totals() == (3, 2)


def test_changed_record_moves_and_keeps_singleton_id(catalog, make_record):
    a = make_record("1", format="book", title="First edition title", isbn=["9780444897282"])
    add(catalog, [a], run=1)
    old = cluster_of(catalog, a.key)
    a.title = "Corrected title"
    dirty = add(catalog, [a], run=2)
    assert cluster_of(catalog, a.key) == old and dirty == {old}
    assert catalog.cluster(old).records[0].title == "Corrected title"


def test_deleted_record_leaves_cluster_and_empty_cluster_goes(catalog, make_record):
    a = make_record("1", format="book", title="Shared", isbn=["9780444897282"])
    b = make_record("2", source="lib-b", format="book", title="Shared", isbn=["9780444897282"])
    add(catalog, [a, b])
    cid = cluster_of(catalog, a.key)
    assert remove(catalog, [b.key]) == {cid}
    assert [r.key for r in catalog.cluster(cid).records] == [a.key]
    remove(catalog, [a.key])
    assert catalog.cluster(cid) is None and catalog.totals() == (0, 0)


def test_cluster_ids_are_stable_across_catalogs(tmp_path, make_record):
    records = [make_record("1", format="book", title="T", isbn=["9780444897282"])]
    ids = []
    for name in ("one", "two"):
        with Catalog(tmp_path / f"{name}.sqlite3") as store:
            add(store, records)
            ids.append(store.cluster_of("lib-a:1"))
    assert ids[0] == ids[1] and ids[0].startswith("c") and len(ids[0]) == 17


def test_vetoed_record_founds_cluster_with_distinct_id(catalog, make_record):
    a = make_record("1", format="book", title="T", isbn=["9780444897282"])
    b = make_record("2", format="video", title="T", isbn=["9780444897282"])
    add(catalog, [a, b])
    assert cluster_of(catalog, a.key) != cluster_of(catalog, b.key)


def test_match_keys(make_record):
    record = make_record(
        "1",
        format="book",
        title="中國文學史",
        title_vernacular=[],
        authors=["魯迅"],
        isbn=["9780444897282"],
        oclc=["123"],
        lccn=["n79021164"],
    )
    strong, titles = match_keys(record)
    assert strong == ["isbn:9780444897282", "oclc:123", "lccn:n79021164"]
    assert titles == ["t:中国文学史|鲁迅"]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Tolstoy, Leo, 1828-1910", "tolstoy"),
        ("Leo Tolstoy", "tolstoy"),
        ("魯迅", "鲁迅"),
        ("", ""),
    ],
)
def test_author_key(name, key):
    assert author_key(name) == key


def test_too_short_latin_title_has_no_title_key(make_record):
    assert match_keys(make_record("1", title="Art"))[1] == []
