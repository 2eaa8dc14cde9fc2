"""Fixtures for secure document delivery: the whole app (create_app) with a real router
on a real sqlite ledger, the sample consortium, real staff accounts, the real patron
store, a delivery store and a ledger sharing one hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from delivery_testkit import BORROWER, LENDER, Clock, SmtpSink, build_app
from flask import Flask
from flask.testing import FlaskClient

from router import api as router_api
from router.service import Router
from search_app import delivery as delivery_views
from search_app.delivery_store import DeliveryStore
from search_app.request_views import patron_store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Any, clock: Clock) -> Flask:
    return build_app(tmp_path, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def store(app: Flask) -> DeliveryStore:
    return app.extensions[delivery_views.EXTENSION]


@pytest.fixture
def router(app: Flask) -> Router:
    return app.extensions[router_api.EXTENSION]


@pytest.fixture
def copy_request(app: Flask, router: Router) -> dict[str, Any]:
    """A copy request made by a patron of the borrower, now with the first lender; its
    ``status_token`` is the patron's (as the portal form hands it out)."""
    client = app.test_client()
    response = client.post(
        "/api/v1/requests",
        json={"library": BORROWER, "record_id": "c-1", "needs": {"service": "copy"}},
    )
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()
    assert stored["lender"] == LENDER, stored
    with app.app_context():
        token = patron_store().add(
            stored["id"], name="Li Hua", email="li.hua@example.edu", library=BORROWER
        )
    return {**stored, "status_token": token}


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink
