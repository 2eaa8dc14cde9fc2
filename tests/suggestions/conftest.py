"""Fixtures for purchase suggestions: the same app as the delivery tests (real router,
ledger, staff accounts, patron store; one hand-moved clock), from tests/delivery's kit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "delivery"))

from delivery_testkit import Clock, SmtpSink, build_app  # noqa: E402

from search_app import suggestions  # noqa: E402
from search_app.suggestion_store import SuggestionStore  # noqa: E402


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Flask:
    return build_app(tmp_path, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def store(app: Flask) -> SuggestionStore:
    return app.extensions[suggestions.EXTENSION]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def unfilled(app: Flask) -> dict[str, Any]:
    """An Unfilled request (no member lends the record) with its patron's status token."""
    from search_app.request_views import patron_store

    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-none", "needs": {"service": "loan"}},
    )
    assert made.status_code == 201, made.get_json()
    stored = made.get_json()
    assert stored["state"] == "Unfilled" and stored["purchase_suggestion"], stored
    with app.app_context():
        token = patron_store().add(
            stored["id"], name="Wang Fang", email="wang.fang@example.edu", library="211010"
        )
    return {**stored, "status_token": token}
