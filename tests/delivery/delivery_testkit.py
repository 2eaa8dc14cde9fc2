"""Helpers for the delivery and suggestion tests: real PDFs and PNGs made with real
libraries, a hand-moved clock, CSRF tokens taken from real pages, signing in, and a real
SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import io
import re
import socket
import struct
import zlib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfWriter

from router import api as router_api
from router.members import SAMPLE_MEMBERS, load_members
from router.network import SAMPLE_NETWORK
from router.service import CatalogItems, Router
from search_app import auth, create_app, suggestions
from search_app import delivery as delivery_views
from search_app.delivery_store import DeliveryStore
from search_app.staff_store import StaffStore
from search_app.suggestion_store import SuggestionStore

__all__ = [
    "BORROWER",
    "LENDER",
    "OTHER_LENDER",
    "MONDAY",
    "PASSWORD",
    "CATALOGUE",
    "Clock",
    "SmtpSink",
    "build_app",
    "csrf",
    "login",
    "make_pdf",
    "make_png",
]

MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
BORROWER = "211010"
LENDER = "221010"  # first in the rota of a copy of record c-1 (see conftest)
OTHER_LENDER = "211030"  # second in that rota
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


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
    },
    # held only by a library that does not lend: the request ends Unfilled
    "c-none": {
        "id": "c-none",
        "title": "Tea gardens of Fujian",
        "format": "book",
        "year": 1999,
        "isbn": [],
        "issn": [],
        "holdings": [{"library": "252010", "kind": "print", "location": "Stacks"}],
        "links": [],
    },
}


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
    suggestions.init_app(
        application, SuggestionStore(tmp_path / "suggestions.sqlite3", clock=clock)
    )
    for name, role, libraries in (
        ("admin", "consortium_admin", []),
        ("lend", "ill_staff", [LENDER]),
        ("lend2", "ill_staff", [OTHER_LENDER]),
        ("bor", "ill_staff", [BORROWER]),
    ):
        staff.create_user(name, PASSWORD, role, libraries, actor="test")
    return application


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime = MONDAY) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_pdf(pages: int = 2, padding: int = 0) -> bytes:
    """A real PDF written by pypdf (blank pages; ``padding`` bytes of metadata to grow it)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if padding:
        writer.add_metadata({"/Subject": "x" * padding})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_png(width: int = 4, height: int = 4) -> bytes:
    """A real PNG image (grey pixels), as a scanner might save it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def csrf(client: FlaskClient, path: str) -> str:
    """The CSRF token a real page at ``path`` hands out."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def login(client: FlaskClient, username: str) -> None:
    """Sign in through the real staff login form."""
    token = csrf(client, "/staff/login")
    response = client.post(
        "/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


class _Handler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, keeping what it receives."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
