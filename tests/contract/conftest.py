"""Both search engines loaded with the same corpus, for the contract suite.

The corpus is the bundled sample consortium (real MARC21, CNMARC, MARCXML, KBART files
under ``indexer/sample``) run through the real pipeline (``efirst demo``'s loader):
about 1,200 de-duplicated cluster documents, Chinese and Latin script, books and
journals, holdings in many libraries. The same documents go into a tantivy index in a
temporary directory and into a real Elasticsearch node (``tests/es_node.py``; the
``elasticsearch`` marker), and every contract test runs once per engine.

Elasticsearch: ``EFIRST_TEST_ES_URL`` names a running node, else one is fetched and
started for the session. If it cannot be started the ES tests are skipped locally, but
fail in CI (``CI`` set) or with ``EFIRST_REQUIRE_ES=1``.
"""

from __future__ import annotations

from typing import Any

import es_node  # tests/es_node.py (tests/ is on sys.path via tests/conftest.py)
import pytest


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Cluster documents of the sample consortium, built by the real pipeline."""
    from indexer.catalog import Catalog
    from indexer.documents import cluster_document
    from indexer.settings import Settings
    from search_app.demo import load_demo

    data_dir = tmp_path_factory.mktemp("contract-corpus")
    settings = Settings.from_env({"EFIRST_DATA_DIR": str(data_dir)})
    load_demo(settings)
    with Catalog(settings.catalog_db) as catalog:
        docs = [cluster_document(c) for c in catalog.clusters(catalog.iter_cluster_ids())]
    assert len(docs) > 1000, "the sample corpus shrank: contract tests would prove little"
    return docs


@pytest.fixture(scope="session")
def tantivy_engine(corpus, tmp_path_factory):
    from indexer.backends.tantivy_backend import TantivyBackend

    backend = TantivyBackend(tmp_path_factory.mktemp("contract-tantivy"))
    backend.ensure_index()
    result = backend.upsert(corpus)
    assert not result.failed
    backend.refresh()
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def elasticsearch_engine(corpus, es_url):
    from indexer.backends.elastic_backend import ElasticBackend

    backend = ElasticBackend(es_url, "efirst-contract")
    report = backend.rebuild(corpus)
    assert not report.result.failed
    yield backend
    es_node.drop_indices(backend.client, "efirst-contract-2*")
    backend.close()


@pytest.fixture(
    scope="session",
    params=["tantivy", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)],
)
def engine(request):
    """Each engine in turn, loaded with :func:`corpus`."""
    return request.getfixturevalue(f"{request.param}_engine")
