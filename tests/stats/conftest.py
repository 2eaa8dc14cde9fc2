"""Fixtures for the usage statistics: the whole app (create_app) on a real tantivy index
(in RAM) of a small catalogue, a real e-holdings store, a real router and ledger in a
temporary data dir, the bundled sample consortium, and staff accounts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from consortium_kit import consortium_app, staff_accounts
from engine_kit import tantivy_of
from flask import Flask
from flask.testing import FlaskClient
from stats_testkit import FDU, PASSWORD, PKU, THU, Clock, at, eholdings, sample_clusters

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.eholdings import EHoldingStore
from router import api as router_api
from router.service import Router
from search_app.usage import get_store
from search_app.usage_store import UsageStore


@pytest.fixture(scope="session")
def backend() -> Iterator[TantivyBackend]:
    with tantivy_of(sample_clusters()) as engine:
        yield engine


@pytest.fixture
def clock() -> Clock:
    return Clock(at("2025-03-03 09:00:00"))


@pytest.fixture
def app(tmp_path: Path, backend: TantivyBackend, clock: Clock) -> Iterator[Flask]:
    store = EHoldingStore(":memory:")
    store.load_package(PKU, "glaciology", eholdings())
    application = consortium_app(
        tmp_path,
        clock,
        secret="stats-tests",
        payloads=backend.get,
        config={"EFIRST_BACKEND": backend, "EFIRST_EHOLDINGS": store},
        stats_ttl=0,
    )
    accounts = staff_accounts(application)
    accounts.create_user("admin", PASSWORD, "consortium_admin", actor="test")
    accounts.create_user("pku", PASSWORD, "ill_staff", [PKU], actor="test")
    accounts.create_user("thu", PASSWORD, "ill_staff", [THU], actor="test")
    accounts.create_user("fdu", PASSWORD, "ill_staff", [FDU], actor="test")
    yield application
    store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    browser.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    return browser


@pytest.fixture
def usage(app: Flask) -> UsageStore:
    with app.app_context():
        return get_store()


@pytest.fixture
def router(app: Flask) -> Router:
    return app.extensions[router_api.EXTENSION]
