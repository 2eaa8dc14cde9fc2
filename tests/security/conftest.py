"""Fixtures for the security checks: the whole app as the delivery tests build it (real
router and ledger, staff accounts, delivery and suggestion stores), from tests/delivery's
kit, and a browser signed in as the consortium administrator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))

from delivery_testkit import Clock, build_app, login  # noqa: E402


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return build_app(tmp_path, Clock())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """The consortium administrator's browser (the victim a forged form aims at)."""
    login(client, "admin")
    return client
