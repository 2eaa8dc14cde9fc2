"""The indexing pipeline: catalog + engine in step, replace, deletions, rejects, rollback."""

from __future__ import annotations

import csv

import pytest

from indexer.backends.base import SearchQuery
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.catalog import Catalog
from indexer.pipeline import apply_deletions, index_records, rebuild_index
from indexer.settings import Settings
from mappings.errors import BackendError, RecordError
from mappings.schema import Holding, Link


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def backend(settings):
    engine = TantivyBackend(settings.index_dir)
    yield engine
    engine.close()


@pytest.fixture
def corpus(make_record):
    return [
        make_record(
            "1",
            format="book",
            title="中國文學史",
            authors=["魯迅"],
            year=1990,
            isbn=["9780444897282"],
            holdings=[Holding("PKU", call_number="I209")],
        ),
        make_record(
            "2",
            format="book",
            title="A history of Chinese literature",
            isbn=["9780140443714"],
            holdings=[Holding("PKU")],
        ),
        make_record(
            "3",
            format="journal",
            title="Nature",
            issn=["0028-0836"],
            links=[Link("https://nature.example", "licensed", library="THU")],
        ),
    ]


def test_records_become_searchable_clusters(settings, backend, corpus):
    report = index_records(corpus, "lib-a", settings, backend)
    assert (report.records_in, report.clusters_written, report.rejected) == (3, 3, 0)
    hit = backend.search(SearchQuery(text="中国文学")).hits[0]
    assert hit.doc["holdings"][0]["call_number"] == "I209"


def test_second_source_merges_into_existing_cluster(settings, backend, corpus, make_record):
    index_records(corpus, "lib-a", settings, backend)
    other = make_record(
        "x9",
        source="lib-b",
        format="book",
        title="中国文学史",
        isbn=["9780444897282"],
        holdings=[Holding("FDU")],
    )
    index_records([other], "lib-b", settings, backend)
    assert backend.count() == 3
    doc = backend.search(SearchQuery(text="978-0-444-89728-2")).hits[0].doc
    assert [h["library"] for h in doc["holdings"]] == ["PKU", "FDU"]
    assert doc["records"] == ["lib-a:1", "lib-b:x9"]


def test_reindex_same_input_changes_nothing(settings, backend, corpus):
    index_records(corpus, "lib-a", settings, backend, replace=True)
    ids = sorted(backend.iter_ids())
    again = index_records(corpus, "lib-a", settings, backend, replace=True)
    assert again.clusters_written == 0 and again.deleted == 0
    assert sorted(backend.iter_ids()) == ids


def test_full_load_replaces_the_sources_contributions(settings, backend, corpus):
    index_records(corpus, "lib-a", settings, backend, replace=True)
    report = index_records(corpus[:1], "lib-a", settings, backend, replace=True)
    assert report.deleted == 2 and report.clusters_deleted == 2
    assert backend.count() == 1


def test_incremental_load_keeps_unseen_records(settings, backend, corpus):
    index_records(corpus, "lib-a", settings, backend)
    index_records(corpus[:1], "lib-a", settings, backend, replace=False)
    assert backend.count() == 3


def test_apply_deletions_removes_record_and_empty_cluster(settings, backend, corpus):
    index_records(corpus, "lib-a", settings, backend)
    report = apply_deletions(["3", "unknown"], "lib-a", settings, backend)
    assert report.clusters_deleted == 1
    assert backend.search(SearchQuery(text="0028-0836")).total == 0


def test_deleted_record_in_stream_leaves_cluster(settings, backend, corpus, make_record):
    index_records(corpus, "lib-a", settings, backend)
    index_records([make_record("2", deleted=True)], "lib-a", settings, backend)
    assert backend.count() == 2


def test_rejects_written_counted_and_batch_goes_on(settings, backend, corpus):
    bad = RecordError("invalid leader: length 'abcde'", path="in.mrc", record=2, offset=1234)
    report = index_records([corpus[0], bad, corpus[1]], "lib-a", settings, backend)
    assert report.rejected == 1 and report.records_in == 2 and backend.count() == 2
    assert report.rejects_by_reason == {"invalid leader": 1}
    with open(report.rejects_file, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows == [
        {
            "file": "in.mrc",
            "record": "2",
            "offset": "1234",
            "source_id": "",
            "field": "",
            "reason": "invalid leader: length 'abcde'",
        }
    ]
    assert report.rejects_file.parent == settings.rejects_dir
    with Catalog(settings.catalog_db) as catalog:
        assert ("lib-a", "reject", "invalid leader", 1) in catalog.counters()


class _FailingOnce(TantivyBackend):
    """A real tantivy backend whose first commit fails (an engine outage)."""

    failed = False

    def refresh(self) -> None:
        if not self.failed:
            self.failed = True
            raise BackendError("search engine unavailable")
        super().refresh()


def test_engine_failure_rolls_back_catalog_so_rerun_redoes_batch(settings, corpus):
    engine = _FailingOnce(settings.index_dir)
    with pytest.raises(BackendError):
        index_records(corpus, "lib-a", settings, engine)
    with Catalog(settings.catalog_db) as catalog:
        assert catalog.totals() == (0, 0)
    report = index_records(corpus, "lib-a", settings, engine)
    assert report.clusters_written == 3 and engine.count() == 3
    engine.close()


def test_batches_commit_independently(settings, backend, make_record):
    records = [make_record(str(i), format="book", title=f"Volume number {i}") for i in range(25)]
    report = index_records(records, "lib-a", settings, backend, batch_size=10)
    assert report.records_in == 25 and backend.count() == 25


def test_rebuild_index_from_catalog(settings, backend, corpus):
    index_records(corpus, "lib-a", settings, backend)
    backend.clear()
    assert rebuild_index(settings, backend) == 3 and backend.count() == 3


def test_parallel_reader_matches_sequential_reader(monkeypatch):
    from pathlib import Path

    import indexer
    from indexer import parallel
    from indexer.readers import read_records

    path = Path(indexer.__file__).parent / "sample" / "records" / "yaz__marccol1.u8.mrc"
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_CHUNK", 4)
    fast = list(parallel.read_parallel(path, source="s", library="L", workers=2))
    slow = list(read_records(path, source="s", library="L"))
    assert len(fast) == 19 and fast == slow
