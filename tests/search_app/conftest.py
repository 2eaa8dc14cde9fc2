"""Fixtures for the portal: a real tantivy index (in RAM) of a small catalogue, the
bundled sample consortium with embedding domains, and the app built on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from portal_catalogue import ALLOWED_ORIGIN, PKU, THU, sample_clusters, sample_members

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from search_app import create_app


@pytest.fixture(scope="session")
def backend() -> Iterator[TantivyBackend]:
    engine = TantivyBackend(None)
    engine.ensure_index()
    result = engine.upsert(cluster_document(c) for c in sample_clusters())
    assert not result.failed, result.failed
    engine.refresh()
    yield engine
    engine.close()


@pytest.fixture()
def app(backend: TantivyBackend, tmp_path: Path) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path),
            "EFIRST_BACKEND": backend,
            "EFIRST_MEMBERS": sample_members(**{PKU: [ALLOWED_ORIGIN], THU: []}),
            "SECRET_KEY": "test",
        }
    )


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()
