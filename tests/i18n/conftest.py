"""Fixtures for the i18n tests: the whole app (create_app) with a real tantivy index of
the portal's sample catalogue, the real router on a sqlite ledger, real staff accounts,
delivery and suggestion stores (the delivery tests' builder), seen in Chinese."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_kit import tantivy_of
from flask import Flask
from flask.testing import FlaskClient

HERE = Path(__file__).resolve().parent
# The builders of the delivery and portal tests (unique module names, see their folders).
for folder in ("delivery", "search_app"):
    if str(HERE.parent / folder) not in sys.path:
        sys.path.append(str(HERE.parent / folder))

from delivery_testkit import Clock, build_app  # noqa: E402
from portal_catalogue import sample_clusters  # noqa: E402

from indexer.backends.tantivy_backend import TantivyBackend  # noqa: E402
from router.members import SAMPLE_MEMBERS  # noqa: E402


@pytest.fixture(scope="session")
def backend() -> Iterator[TantivyBackend]:
    with tantivy_of(sample_clusters()) as engine:
        yield engine


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def app(tmp_path: Path, clock: Clock, backend: TantivyBackend) -> Flask:
    members = tmp_path / "members.toml"  # a copy: the admin pages refuse the bundled one
    shutil.copyfile(SAMPLE_MEMBERS, members)
    return build_app(tmp_path, clock, EFIRST_BACKEND=backend, EFIRST_MEMBERS_FILE=str(members))


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A browser that asks for Chinese (as the app's default would give it too)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return browser
