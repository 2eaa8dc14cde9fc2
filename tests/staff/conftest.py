"""Fixtures for the staff pages: the whole app (create_app) with a real router on a real
sqlite ledger in a temporary data dir, the bundled sample consortium, a hand-moved clock,
and accounts in the real account store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from consortium_kit import consortium_app
from flask import Flask
from flask.testing import FlaskClient
from staff_testkit import PASSWORD, Clock

from router import api as router_api
from router.service import Router
from search_app import auth
from search_app.staff_store import Account, StaffStore


def _payload(record_id: str, libraries: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "title": f"Record {record_id}",
        "format": "book",
        "year": 2001,
        "isbn": [],
        "issn": [],
        "holdings": [
            {"library": code, "kind": "print", "location": "Stacks", "call_number": f"K{n}"}
            for n, code in enumerate(libraries)
        ],
        "links": [],
        **extra,
    }


CATALOGUE = {
    # 211010 borrows: 211030 and 221010 lend, 252010 does not lend
    "c-1": _payload("c-1", ["211030", "221010", "252010"]),
    # held only by a library that does not lend: a "none" decision
    "c-none": _payload("c-none", ["252010"]),
    # many lenders, for the "what if"
    "c-many": _payload("c-many", ["211030", "221010", "241010", "261010", "281010"]),
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Flask:
    return consortium_app(
        tmp_path,
        clock,
        secret="staff-tests",
        payloads=CATALOGUE.get,
        staff_clock=True,
        stats_ttl=0,
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser that prefers English (the app's default is Chinese; test_staff_i18n
    checks that)."""
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return browser


@pytest.fixture
def store(app: Flask) -> StaffStore:
    return app.extensions[auth.EXTENSION]


@pytest.fixture
def router(app: Flask) -> Router:
    return app.extensions[router_api.EXTENSION]


@pytest.fixture
def accounts(store: StaffStore) -> dict[str, Account]:
    """One account per role: a consortium admin, and staff of the borrower and a lender."""
    made = {
        "admin": store.create_user("admin", PASSWORD, "consortium_admin", actor="test"),
        "borrower": store.create_user("bor", PASSWORD, "ill_staff", ["211010"], actor="test"),
        "lender": store.create_user("lend", PASSWORD, "ill_staff", ["211030"], actor="test"),
        "lender2": store.create_user("lend2", PASSWORD, "ill_staff", ["221010"], actor="test"),
        "libadmin": store.create_user(
            "libadmin", PASSWORD, "library_admin", ["211010"], actor="test"
        ),
    }
    return made
