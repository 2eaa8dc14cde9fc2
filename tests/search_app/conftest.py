"""Fixtures for the portal: a real tantivy index (in RAM) of a small catalogue, the
bundled sample consortium with embedding domains, and the app built on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_kit import tantivy_of
from flask import Flask
from flask.testing import FlaskClient
from portal_catalogue import ALLOWED_ORIGIN, PKU, THU, sample_clusters, sample_members

from indexer.backends.tantivy_backend import TantivyBackend
from search_app import create_app


@pytest.fixture(scope="session")
def backend() -> Iterator[TantivyBackend]:
    with tantivy_of(sample_clusters()) as engine:
        yield engine


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
