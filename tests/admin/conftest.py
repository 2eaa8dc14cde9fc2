"""Fixtures for the admin pages: the whole app (create_app) over a members file copied
into a temporary data dir, a tantivy index in RAM, the real account store, and one
account per role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from admin_testkit import LIBRARY, OTHER, PASSWORD, login
from flask import Flask
from flask.testing import FlaskClient

from indexer.backends.tantivy_backend import TantivyBackend
from router.members import SAMPLE_MEMBERS
from search_app import auth, create_app
from search_app.staff_store import Account, StaffStore

FAST_HASH = "pbkdf2:sha256:1000"


@pytest.fixture
def members_file(tmp_path: Path) -> Path:
    path = tmp_path / "members.toml"
    shutil.copy(SAMPLE_MEMBERS, path)
    return path


@pytest.fixture
def backend() -> TantivyBackend:
    engine = TantivyBackend(None)
    engine.ensure_index()
    return engine


@pytest.fixture
def app(tmp_path: Path, members_file: Path, backend: TantivyBackend) -> Flask:
    application = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path),
            "EFIRST_MEMBERS_FILE": str(members_file),
            "EFIRST_BACKEND": backend,
            "SECRET_KEY": "admin-tests",
        }
    )
    auth.init_app(application, StaffStore(tmp_path / "ledger.sqlite3", hash_method=FAST_HASH))
    return application


@pytest.fixture
def store(app: Flask) -> StaffStore:
    return app.extensions[auth.EXTENSION]


@pytest.fixture
def accounts(store: StaffStore) -> dict[str, Account]:
    return {
        "consortium": store.create_user("boss", PASSWORD, "consortium_admin", actor="test"),
        "libadmin": store.create_user("libadmin", PASSWORD, "library_admin", [LIBRARY], actor="t"),
        "otheradmin": store.create_user("other", PASSWORD, "library_admin", [OTHER], actor="t"),
        "ill": store.create_user("illstaff", PASSWORD, "ill_staff", [LIBRARY], actor="t"),
    }


def _client(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return _client(app)


@pytest.fixture
def admin(app: Flask, accounts: dict[str, Account]) -> FlaskClient:
    """A browser signed in as the library administrator of 211010."""
    browser = _client(app)
    login(browser, "libadmin")
    return browser
