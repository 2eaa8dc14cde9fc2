"""ElasticBackend against a real Elasticsearch node: failures as data, outages, rebuilds.

The query contract itself is tested in ``tests/contract`` (both engines); these tests
cover what only the Elasticsearch backend does.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid

import es_node  # tests/es_node.py (tests/ is on sys.path via tests/conftest.py)
import pytest
from click.testing import CliRunner

from indexer.backends.base import SearchQuery
from indexer.backends.elastic_backend import ElasticBackend
from indexer.settings import Settings
from mappings.errors import BackendError, BackendUnavailable

pytestmark = pytest.mark.elasticsearch


@pytest.fixture
def backend(es_url):
    alias = f"efirst-test-{uuid.uuid4().hex[:8]}"
    engine = ElasticBackend(es_url, alias)
    yield engine
    es_node.drop_indices(engine.client, f"{alias}*")
    engine.close()


def _doc(doc_id: str, title: str = "A history of Chinese literature", **extra) -> dict:
    return {"id": doc_id, "title": [title], "payload": {"id": doc_id, "title": title}, **extra}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_document_is_indexed_or_reported(backend):
    docs = [
        _doc("good-1"),
        {"title": ["no id"], "payload": {}},
        _doc("bad-year", year="nineteen-ninety"),
        _doc("too-big-for-lucene", title_sort="x" * 40_000),  # refused by Elasticsearch
        _doc("good-2", year=1999),
    ]
    result = backend.upsert(docs)
    backend.refresh()
    assert result.indexed == 2
    failed = dict(result.failed)
    assert set(failed) == {"", "bad-year", "too-big-for-lucene"}
    assert "no id" in failed[""]
    assert "nineteen-ninety" in failed["bad-year"]
    assert "immense term" in failed["too-big-for-lucene"]
    assert backend.count() == 2
    assert sorted(backend.iter_ids(page=1)) == ["good-1", "good-2"]


def test_ping_tells_up_from_down(backend):
    assert backend.ping() is True
    assert ElasticBackend(f"http://127.0.0.1:{_closed_port()}").ping() is False


def test_upsert_replaces_and_delete_ignores_unknown_ids(backend):
    backend.upsert([_doc("a", "first title"), _doc("b")])
    backend.upsert([_doc("a", "second title")])
    backend.delete(["b", "never-there"])
    backend.refresh()
    assert backend.count() == 1
    assert backend.get("a")["title"] == "second title"
    assert backend.get("b") is None


def test_unreachable_elasticsearch_is_a_clear_error():
    url = f"http://127.0.0.1:{_closed_port()}"
    engine = ElasticBackend(url, "efirst", max_retries=0)
    with pytest.raises(BackendUnavailable, match=f"Elasticsearch at {url} cannot be reached"):
        engine.search(SearchQuery(text="x"))
    assert engine.generation.startswith("unavailable:")  # a cache key never raises


def test_a_node_that_does_not_answer_in_time_is_a_clear_error():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(silent.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        engine = ElasticBackend(url, "efirst", request_timeout=0.5, max_retries=0)
        with pytest.raises(BackendUnavailable, match="did not answer in time"):
            engine.count()
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        silent.close()


def test_rebuild_switches_the_alias_only_when_complete(backend):
    backend.upsert([_doc("old-1"), _doc("old-2")])
    backend.refresh()
    old_index = backend._indices()
    backend.chunk_size = 50  # several bulk requests land in the new index before the check
    seen_during_rebuild: list[int] = []

    def new_docs():
        for n in range(300):
            if n == 150:
                seen_during_rebuild.append(backend.count())
            yield _doc(f"new-{n:03d}")

    report = backend.rebuild(new_docs())
    assert seen_during_rebuild == [2]  # searches saw the old index mid-rebuild
    assert report.previous == old_index and report.index != old_index[0]
    assert backend._indices() == [report.index]
    assert not backend.client.indices.exists(index=old_index[0])
    assert backend.count() == 300
    assert backend.search(SearchQuery(text="literature")).total == 300


def test_a_failed_rebuild_leaves_the_live_index_alone(backend):
    backend.upsert([_doc("live")])
    backend.refresh()
    before = backend._indices()
    with pytest.raises(BackendError, match="alias was not switched"):
        backend.rebuild([_doc("x1"), _doc("x2", year="not a year")], max_failures=0)
    assert backend._indices() == before
    assert backend.client.indices.get(index=f"{backend.alias}-*").keys() == set(before)
    assert [h.id for h in backend.search(SearchQuery()).hits] == ["live"]


def test_an_index_with_an_incompatible_definition_asks_for_reindex(backend):
    name = f"{backend.alias}-legacy"
    backend.client.indices.create(index=name, mappings={"properties": {"year": {"type": "text"}}})
    backend.client.indices.put_alias(index=name, name=backend.alias)
    with pytest.raises(BackendError, match="efirst reindex"):
        backend.ensure_index()


def test_an_index_named_like_the_alias_is_refused(es_url):
    name = f"efirst-plain-{uuid.uuid4().hex[:8]}"
    engine = ElasticBackend(es_url, name)
    engine.client.indices.create(index=name)
    try:
        with pytest.raises(BackendError, match="is an index, not an alias"):
            engine.ensure_index()
    finally:
        engine.client.indices.delete(index=name)


def test_indexer_stops_on_an_outage_and_resumes(es_url, tmp_path, make_record):
    from indexer.pipeline import index_records

    settings = Settings.from_env({"EFIRST_DATA_DIR": str(tmp_path)})
    records = [make_record(f"r{n}", title=f"Record number {n}", isbn=[]) for n in range(5)]
    down = ElasticBackend(f"http://127.0.0.1:{_closed_port()}", "efirst", max_retries=0)
    with pytest.raises(BackendUnavailable):
        index_records(records, "lib-a", settings, down)
    alias = f"efirst-resume-{uuid.uuid4().hex[:8]}"
    up = ElasticBackend(es_url, alias)
    try:
        report = index_records(records, "lib-a", settings, up)
        up.refresh()
        assert report.clusters_written == 5
        assert up.search(SearchQuery(text="record number")).total == 5
    finally:
        es_node.drop_indices(up.client, f"{alias}-*")


def test_reindex_command_rebuilds_from_the_catalog(es_url, tmp_path, make_record, monkeypatch):
    from indexer.backends.tantivy_backend import TantivyBackend
    from indexer.pipeline import index_records
    from search_app.cli import main

    settings = Settings.from_env({"EFIRST_DATA_DIR": str(tmp_path)})
    records = [make_record(f"r{n}", title=f"Reindexed work {n}") for n in range(7)]
    tantivy = TantivyBackend(settings.index_dir)
    assert index_records(records, "lib-a", settings, tantivy).clusters_written == 7
    tantivy.close()
    alias = f"efirst-cli-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("EFIRST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EFIRST_SEARCH_URL", es_url)
    monkeypatch.setenv("EFIRST_INDEX_NAME", alias)
    try:
        first = CliRunner().invoke(main, ["reindex", "--no-progress"])
        second = CliRunner().invoke(main, ["reindex", "--no-progress"])
        assert first.exit_code == 0, first.output
        assert "reindexed 7 cluster documents into " + alias in first.output
        assert second.exit_code == 0 and "(replaced " + alias in second.output
        assert ElasticBackend(es_url, alias).count() == 7
    finally:
        es_node.drop_indices(ElasticBackend(es_url, alias).client, f"{alias}-*")
    monkeypatch.setenv("EFIRST_SEARCH_URL", f"http://127.0.0.1:{_closed_port()}")
    down = CliRunner().invoke(main, ["reindex", "--no-progress"])
    assert down.exit_code == 1
    assert "cannot be reached" in down.output and "Traceback" not in down.output


def test_bulk_stops_cleanly_when_the_node_goes_away(backend):
    from elastic_transport import ConnectionError as TransportConnectionError
    from elasticsearch import Elasticsearch

    from indexer.backends.es_bulk import send_bulk

    client = Elasticsearch(f"http://127.0.0.1:{_closed_port()}", max_retries=0)
    actions = ({"_index": "x", "_id": str(n), "_source": {}} for n in range(50_000))
    with pytest.raises(TransportConnectionError):
        send_bulk(client, actions, chunk_size=100, max_retries=0)
    assert next(actions)["_id"] != "49999"  # the feeder stopped early, not at the end


def test_bulk_passes_on_an_error_of_the_document_source(backend):
    def docs():
        yield _doc("first")
        raise RuntimeError("catalog read failed")

    with pytest.raises(RuntimeError, match="catalog read failed"):
        backend.upsert(docs())
    backend.refresh()
    assert backend.get("first") is not None  # what was sent before the error is kept


def test_bulk_retries_while_the_node_answers_429(backend):
    """A real 429: Elasticsearch's in-flight request breaker trips on our bulk bodies.

    The breaker is released as soon as the first 429 is seen; the retry then succeeds.
    """
    client = backend.client
    backend.ensure_index()
    backend.chunk_size = 200
    limit = "network.breaker.inflight_requests.limit"
    seen: list[str] = []

    class ReleaseOnFirst429(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "status:429" in record.getMessage() and not seen:
                seen.append(record.getMessage())
                client.cluster.put_settings(transient={limit: None})

    transport_log = logging.getLogger("elastic_transport.transport")
    handler, level = ReleaseOnFirst429(), transport_log.level
    transport_log.addHandler(handler)
    transport_log.setLevel(logging.INFO)
    client.cluster.put_settings(transient={limit: "2kb"})
    try:
        result = backend.upsert(_doc(f"d{n}", "pressure " * 30) for n in range(1000))
    finally:
        transport_log.removeHandler(handler)
        transport_log.setLevel(level)
        client.cluster.put_settings(transient={limit: None})
    assert seen, "the breaker never tripped: this test proved nothing"
    assert (result.indexed, result.failed) == (1000, [])
    backend.refresh()
    assert backend.count() == 1000


def test_a_429_that_persists_is_reported_as_busy(backend):
    backend.upsert([_doc("a")])
    backend.refresh()
    limit = "indices.breaker.request.limit"  # trips on the facet aggregations
    backend.client.cluster.put_settings(transient={limit: "1b"})
    try:
        with pytest.raises(BackendUnavailable, match=r"busy or unavailable .*HTTP 429"):
            backend.search(SearchQuery(text="history"))
    finally:
        backend.client.cluster.put_settings(transient={limit: None})
    assert backend.search(SearchQuery(text="history")).total == 1


def test_generation_changes_with_searchable_content(backend):
    backend.ensure_index()
    first = backend.generation
    assert backend.generation == first
    backend.upsert([_doc("g1")])
    backend.refresh()
    second = backend.generation
    assert second != first
    backend.rebuild([_doc("g2")])
    assert backend.generation not in (first, second)


def test_clear_swaps_in_an_empty_index(backend):
    backend.upsert([_doc("c1"), _doc("c2")])
    backend.refresh()
    backend.clear()
    assert backend.count() == 0
    assert len(backend._indices()) == 1
    assert backend.search(SearchQuery(text="literature")).total == 0


def test_processes_racing_to_create_the_index_end_with_one(es_url):
    alias = f"efirst-race-{uuid.uuid4().hex[:8]}"
    engines = [ElasticBackend(es_url, alias) for _ in range(4)]
    errors: list[BaseException] = []

    def start(engine: ElasticBackend) -> None:
        try:
            engine.ensure_index()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(e,)) for e in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        indices = engines[0]._indices()
        assert len(indices) == 1
        assert engines[1].upsert([_doc("one")]).indexed == 1
    finally:
        es_node.drop_indices(engines[0].client, f"{alias}-*")


def test_later_writes_of_one_document_win_within_a_call(backend):
    docs = [_doc(f"k{n % 50}", f"version {n // 50}") for n in range(5000)]
    assert backend.upsert(docs).indexed == 5000
    backend.refresh()
    assert backend.count() == 50
    assert {backend.get(f"k{n}")["title"] for n in range(50)} == {"version 99"}
