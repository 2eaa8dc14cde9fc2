"""The results-page cache: reused for the same request, never across libraries,
languages or embed scopes, and emptied when the index changes."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from portal_catalogue import FDU, PKU, THU, sample_clusters, sample_members

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from search_app import create_app
from search_app.services import services


def _pages(app: Flask) -> int:
    with app.app_context():
        return len(services().pages)


def test_same_request_reuses_the_rendered_part(app: Flask, client: FlaskClient) -> None:
    first = client.get("/search?q=climate&lang=en").get_data(as_text=True)
    assert _pages(app) == 1
    second = client.get("/search?q=climate&lang=en").get_data(as_text=True)
    assert _pages(app) == 1
    assert first == second


def test_library_language_and_embed_each_get_their_own(app: Flask, client: FlaskClient) -> None:
    query = "/search?q=journal+climate+history"
    thu = client.get(f"{query}&lang=en&lib={THU}").get_data(as_text=True)
    fdu = client.get(f"{query}&lang=en&lib={FDU}").get_data(as_text=True)
    assert "Full text online" in thu and "Full text online" not in fdu
    chinese = client.get(f"{query}&lang=zh_CN&lib={FDU}").get_data(as_text=True)
    assert "条结果" in chinese
    embedded = client.get(f"{query}&embed={PKU}&lang=en").get_data(as_text=True)
    assert f"embed={PKU}" in embedded.split('<main id="main"', 1)[1]
    # The library remembered in the session (no lib= in the URL) still counts.
    again = client.get(f"{query}&lang=en").get_data(as_text=True)
    assert "Full text online" not in again  # FDU is remembered (the last lib= given)
    assert _pages(app) == 4 + 1


def test_index_change_empties_the_cache(tmp_path: Path) -> None:
    clusters = sample_clusters()
    engine = TantivyBackend(None)
    engine.ensure_index()
    engine.upsert([cluster_document(clusters[0])])
    engine.refresh()
    app = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path),
            "EFIRST_BACKEND": engine,
            "EFIRST_MEMBERS": sample_members(),
            "SECRET_KEY": "test",
        }
    )
    client = app.test_client()
    assert "1 result" in client.get("/search?q=climate&lang=en").get_data(as_text=True)
    engine.upsert([cluster_document(clusters[1])])
    engine.refresh()
    assert "2 results" in client.get("/search?q=climate&lang=en").get_data(as_text=True)
    engine.close()
