"""Fixtures for secure document delivery: the whole app (create_app) with a real router
on a real sqlite ledger, the sample consortium, real staff accounts, the real patron
store, a delivery store and a ledger sharing one hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from delivery_testkit import BORROWER, LENDER, OTHER_LENDER, PASSWORD, Clock, SmtpSink
from flask import Flask
from flask.testing import FlaskClient

from router import api as router_api
from router.members import SAMPLE_MEMBERS, load_members
from router.network import SAMPLE_NETWORK
from router.service import CatalogItems, Router
from search_app import auth, create_app
from search_app import delivery as delivery_views
from search_app.delivery_store import DeliveryStore
from search_app.request_views import patron_store
from search_app.staff_store import StaffStore

FAST_HASH = "pbkdf2:sha256:1000"
CATALOGUE = {
    "c-1": {
        "id": "c-1",
        "title": "Collected papers on watershed hydrology",
        "format": "book",
        "year": 2001,
        "isbn": [],
        "issn": [],
        "holdings": [
            {"library": code, "kind": "print", "location": "Stacks", "call_number": f"K{n}"}
            for n, code in enumerate([LENDER, OTHER_LENDER, "252010"])
        ],
        "links": [],
    }
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


def build_app(tmp_path: Path, clock: Clock, **config: Any) -> Flask:
    application = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path),
            "EFIRST_MEMBERS": load_members(SAMPLE_MEMBERS),
            "EFIRST_MEMBERS_FILE": str(SAMPLE_MEMBERS),
            "SECRET_KEY": "delivery-tests",
            "EFIRST_SMTP_HOST": "",
            **config,
        }
    )
    router = Router(
        tmp_path / "ledger.sqlite3",
        members=SAMPLE_MEMBERS,
        network_path=SAMPLE_NETWORK,
        items=CatalogItems(get_payload=CATALOGUE.get, find_eholdings=lambda **_: []),
        clock=clock,
        stats_ttl=0,
    )
    router_api.init_app(application, router)
    staff = StaffStore(tmp_path / "ledger.sqlite3", clock=clock, hash_method=FAST_HASH)
    auth.init_app(application, staff)
    delivery_views.init_app(
        application,
        DeliveryStore(tmp_path / "delivery.sqlite3", tmp_path / "delivery", clock=clock),
    )
    for name, role, libraries in (
        ("admin", "consortium_admin", []),
        ("lend", "ill_staff", [LENDER]),
        ("lend2", "ill_staff", [OTHER_LENDER]),
        ("bor", "ill_staff", [BORROWER]),
    ):
        staff.create_user(name, PASSWORD, role, libraries, actor="test")
    return application


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Flask:
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
