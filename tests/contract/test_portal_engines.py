"""The product end to end on both engines: the JSON API answers the same.

The sample consortium is loaded with ``efirst demo`` (tantivy), then ``efirst reindex``
copies the catalog into Elasticsearch. Two apps from ``search_app.create_app`` share the
data dir and differ only in ``EFIRST_SEARCH_URL``; every API answer must be identical
(hits in order, totals, facets, availability, links).
"""

from __future__ import annotations

import uuid

import es_node  # tests/es_node.py (on sys.path via tests/conftest.py)
import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.elasticsearch

REQUESTS = [
    "q=中国",
    "q=journal&per_page=20&page=2",
    "q=perl&sort=newest",
    "q=science&f.format=journal&f.format=book",
    "title=history&year_from=1980&year_to=2010",
    "q=0-7486-4053-3",
    "q=journal&online=1&library=221010",
    "author=Prokudin&sort=title",
    "q=qqxqzzv",
]


@pytest.fixture(scope="module")
def apps(es_url, tmp_path_factory):
    from search_app import create_app
    from search_app.cli import main

    data_dir = tmp_path_factory.mktemp("portal-engines")
    alias = f"efirst-portal-{uuid.uuid4().hex[:8]}"
    env = {"EFIRST_DATA_DIR": str(data_dir), "EFIRST_SEARCH_URL": ""}
    loaded = CliRunner().invoke(main, ["demo"], env=env)
    assert loaded.exit_code == 0, loaded.output
    copied = CliRunner().invoke(
        main,
        ["reindex", "--no-progress"],
        env={**env, "EFIRST_SEARCH_URL": es_url, "EFIRST_INDEX_NAME": alias},
    )
    assert copied.exit_code == 0, copied.output
    base = {"TESTING": True, "EFIRST_DATA_DIR": str(data_dir), "EFIRST_CACHE_TTL": 0}
    embedded = create_app({**base, "EFIRST_SEARCH_URL": ""})
    elastic = create_app({**base, "EFIRST_SEARCH_URL": es_url, "EFIRST_INDEX_NAME": alias})
    yield embedded.test_client(), elastic.test_client()
    from indexer.backends.elastic_backend import ElasticBackend

    es_node.drop_indices(ElasticBackend(es_url, alias).client, f"{alias}-*")


@pytest.mark.parametrize("params", REQUESTS)
def test_api_answers_identically(apps, params):
    embedded, elastic = (client.get(f"/api/v1/search?{params}") for client in apps)
    assert embedded.status_code == elastic.status_code == 200
    assert embedded.get_json() == elastic.get_json()
    assert (embedded.get_json()["total"] > 0) == ("qqxqzzv" not in params)


def test_record_pages_identical(apps):
    embedded, elastic = apps
    first = embedded.get("/api/v1/search?q=中国").get_json()["results"][0]
    path = first["_links"]["self"]
    assert embedded.get(path).get_json() == elastic.get(path).get_json()
