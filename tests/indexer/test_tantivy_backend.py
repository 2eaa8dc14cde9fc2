"""TantivyBackend: the query semantics of indexer.backends.base on a small corpus."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from indexer.backends.base import SearchQuery
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from mappings.errors import BackendError
from mappings.schema import Cluster, Holding, Link, Record


def _records() -> list[Record]:
    return [
        Record("a", "1", format="book", title="中國文學史", authors=["魯迅"], year=1990,
               isbn=["9780444897282"], language="chi", subjects=["Chinese literature"],
               holdings=[Holding("PKU", call_number="I209 L9")]),
        Record("a", "2", format="journal", title="Nature", issn=["0028-0836"], year=1869,
               language="eng", links=[Link("https://nature.example", "licensed", library="THU")]),
        Record("b", "3", format="book", title="Café society", authors=["Smith, Jane"],
               year=2001, language="eng", subjects=["Cafes"],
               links=[Link("https://oa.example/cafe", "open")], holdings=[Holding("PKU")]),
        Record("b", "4", format="article", title="Society and the state", authors=["Doe, J."],
               year=2001, language="eng", doi="10.1000/abc.123", subjects=["Politics"]),
        Record("b", "5", format="book", title="A history of society", year=1990,
               language="eng", summary="Cafe culture in Vienna", holdings=[Holding("FDU")]),
        Record("b", "6", format="book", title="现代汉语词典", year=2016, language="chi",
               authors=["中国社会科学院"], holdings=[Holding("FDU")]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def backend() -> TantivyBackend:
    engine = TantivyBackend(None)
    docs = [cluster_document(Cluster(f"c{i}", [r])) for i, r in enumerate(_records(), 1)]
    result = engine.upsert(docs)
    engine.refresh()
    assert result.indexed == 6 and not result.failed
    return engine


def ids(backend: TantivyBackend, **kwargs) -> list[str]:
    return [hit.id for hit in backend.search(SearchQuery(**kwargs)).hits]


def test_traditional_query_finds_traditional_title(backend):
    assert ids(backend, text="中國文學") == ["c1"]


def test_simplified_query_finds_traditional_title(backend):
    assert ids(backend, text="中国文学") == ["c1"]


def test_traditional_query_finds_simplified_title(backend):
    assert ids(backend, text="現代漢語") == ["c6"]


def test_cjk_author_search(backend):
    assert ids(backend, fields={"author": "鲁迅"}) == ["c1"]


@pytest.mark.parametrize(
    "text",
    [
        "9780444897282",
        "978-0-444-89728-2",
        "0-444-89728-3",
        "0444897283",
        "ISBN 0444897283",
        "isbn:978 0 444 89728 2",
    ],
)
def test_isbn_in_any_form(backend, text):
    assert ids(backend, text=text) == ["c1"]


@pytest.mark.parametrize("text", ["0028-0836", "00280836", "issn 0028-0836"])
def test_issn(backend, text):
    assert ids(backend, text=text) == ["c2"]


@pytest.mark.parametrize(
    "text", ["10.1000/ABC.123", "https://doi.org/10.1000/abc.123", "doi:10.1000/abc.123"]
)
def test_doi(backend, text):
    assert ids(backend, text=text) == ["c4"]


def test_identifier_with_bad_check_digit_matches_nothing(backend):
    assert ids(backend, fields={"isbn": "0-444-89728-4"}) == []


def test_words_are_anded(backend):
    assert ids(backend, text="society state") == ["c4"]


def test_accents_and_case_folded(backend):
    assert set(ids(backend, text="CAFÉ")) == {"c3", "c5"}


def test_title_boost_ranks_title_match_above_summary_match(backend):
    assert ids(backend, text="cafe") == ["c3", "c5"]


def test_relevance_ties_ordered_by_id(backend):
    assert ids(backend, text="", sort="relevance") == ["c1", "c2", "c3", "c4", "c5", "c6"]


def test_filter_values_ored_fields_anded(backend):
    found = ids(backend, filters={"format": ["book", "article"], "language": ["eng"]})
    assert found == ["c3", "c4", "c5"]


def test_year_range_inclusive(backend):
    assert ids(backend, year_from=1990, year_to=2001) == ["c1", "c3", "c4", "c5"]


def test_year_filter_value_is_string(backend):
    assert ids(backend, filters={"year": ["2016"]}) == ["c6"]


def test_facets_counted_after_filters_count_desc_value_asc(backend):
    result = backend.search(SearchQuery(filters={"language": ["eng"]}))
    assert result.total == 4
    assert result.facets["format"] == [("book", 2), ("article", 1), ("journal", 1)]
    assert result.facets["year"] == [("2001", 2), ("1869", 1), ("1990", 1)]
    assert result.facets["online"] == [("licensed", 1), ("open", 1)]


def test_facet_size_cuts(backend):
    result = backend.search(SearchQuery(facet_size=1, facets=("library",)))
    assert result.facets == {"library": [("FDU", 2)]}


def test_sort_newest_missing_last_ties_by_id(backend):
    assert ids(backend, sort="newest") == ["c6", "c3", "c4", "c1", "c5", "c2"]


def test_sort_oldest(backend):
    assert ids(backend, sort="oldest") == ["c2", "c1", "c5", "c3", "c4", "c6"]


def test_sort_title(backend):
    assert ids(backend, sort="title", filters={"language": ["eng"]}) == ["c5", "c3", "c2", "c4"]


@pytest.mark.parametrize("offset", [0, 1, 2, 3, 4, 5])
def test_paging_slices_the_full_order(backend, offset):
    full = ids(backend, sort="newest", limit=10)
    assert ids(backend, sort="newest", offset=offset, limit=2) == full[offset : offset + 2]


def test_paging_through_relevance_ties(backend):
    pages = [ids(backend, text="society", offset=o, limit=1) for o in range(3)]
    assert [p[0] for p in pages] == ids(backend, text="society", limit=3)


def test_highlight_title(backend):
    hit = backend.search(SearchQuery(text="cafe society", highlight=True)).hits[0]
    assert hit.highlights["title"] == "<mark>Café</mark> <mark>society</mark>"


def test_highlight_cjk_title(backend):
    hit = backend.search(SearchQuery(text="文学", highlight=True)).hits[0]
    assert hit.highlights["title"] == "中國<mark>文學</mark>史"


def test_online_boost_puts_e_access_first(backend):
    plain = ids(backend, text="")
    boosted = ids(backend, text="", online_boost="THU")
    assert boosted[:2] == ["c2", "c3"]  # licensed to THU, open access
    assert boosted[2:] == [i for i in plain if i not in ("c2", "c3")]


def test_online_boost_pages_across_groups(backend):
    full = ids(backend, text="", online_boost="THU", limit=10)
    assert ids(backend, text="", online_boost="THU", offset=1, limit=2) == full[1:3]


def test_payload_returned_unchanged(backend):
    hit = backend.search(SearchQuery(text="鲁迅")).hits[0]
    assert hit.doc["title"] == "中國文學史"
    assert hit.doc["holdings"][0]["call_number"] == "I209 L9"
    assert backend.get("c1") == hit.doc


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "(",
        "title:",
        "AND",
        "OR NOT",
        "*",
        "?",
        "a:b:c",
        "[1 TO",
        "\\",
        "\x00",
        "~2",
        "+-!",
        "中" * 500,
        "a" * 5000,
        "<script>alert(1)</script>",
        "{!}",
        "' OR 1=1 --",
        "😀",
    ],
)
def test_hostile_strings_never_raise(backend, text):
    result = backend.search(SearchQuery(text=text, highlight=True, fields={"title": text}))
    assert result.total >= 0


def test_unknown_filter_field_ignored(backend):
    assert backend.search(SearchQuery(filters={"nope": ["x"]})).total == 6


def test_upsert_replaces_by_id_and_delete_removes(tmp_path):
    engine = TantivyBackend(tmp_path / "idx")
    record = Record("a", "1", title="First title")
    engine.upsert([cluster_document(Cluster("x", [record]))])
    engine.refresh()
    before = engine.generation
    record.title = "Second title"
    engine.upsert([cluster_document(Cluster("x", [record]))])
    engine.refresh()
    assert engine.count() == 1 and engine.get("x")["title"] == "Second title"
    assert engine.generation != before
    engine.delete(["x", "unknown"])
    engine.refresh()
    assert engine.count() == 0 and engine.get("x") is None
    engine.close()


def test_document_without_id_is_a_per_document_failure():
    engine = TantivyBackend(None)
    result = engine.upsert([{"title": "no id"}, {"id": "ok", "title": "fine"}])
    assert result.indexed == 1 and result.failed == [("", "document has no id")]


_READER = """
import sys
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.backends.base import SearchQuery
engine = TantivyBackend(sys.argv[1])
print(engine.search(SearchQuery(text="unique")).total, engine.generation, flush=True)
sys.stdin.readline()
print(engine.search(SearchQuery(text="unique")).total, engine.generation, flush=True)
"""


def test_reader_in_another_process_sees_new_commits(tmp_path):
    engine = TantivyBackend(tmp_path / "idx")
    engine.ensure_index()
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_READER), str(tmp_path / "idx")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = reader.stdout.readline().split()
        engine.upsert([cluster_document(Cluster("u", [Record("a", "1", title="unique")]))])
        engine.refresh()
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill() if reader.poll() is None else None
    second = out.split()
    assert first[0] == "0" and second[0] == "1"
    assert first[1] != second[1]
    engine.close()


def test_second_writer_gets_clear_error(tmp_path):
    first = TantivyBackend(tmp_path / "idx")
    first.upsert([{"id": "a"}])
    second = TantivyBackend(tmp_path / "idx", lock_timeout=0.3)
    with pytest.raises(BackendError, match="another process holds its writer"):
        second.upsert([{"id": "b"}])
    first.refresh()
    first.close()


def test_clear_removes_everything(tmp_path):
    engine = TantivyBackend(tmp_path / "idx")
    engine.upsert([{"id": "a"}, {"id": "b"}])
    engine.refresh()
    engine.clear()
    assert engine.count() == 0 and list(engine.iter_ids()) == []
    engine.close()


def test_iter_ids_pages_in_id_order():
    engine = TantivyBackend(None)
    engine.upsert({"id": f"d{i:03d}"} for i in range(25))
    engine.refresh()
    assert list(engine.iter_ids(page=10)) == [f"d{i:03d}" for i in range(25)]


def test_index_built_with_other_field_table_is_refused(tmp_path):
    engine = TantivyBackend(tmp_path / "idx")
    engine.ensure_index()
    (tmp_path / "idx" / "efirst-schema.json").write_text("{}")
    with pytest.raises(BackendError, match="another field table"):
        TantivyBackend(tmp_path / "idx").ensure_index()
