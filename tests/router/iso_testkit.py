"""Helpers for the ISO 18626 tests: a members file with agency ids, apps, live servers."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

from browser_kit import serve
from flask import Flask
from lxml import etree

from router import iso18626_web
from router.api import bp as api_bp
from router.api import init_app
from router.iso18626 import NS, SCHEMA_PATH
from router.members import SAMPLE_MEMBERS
from router.network import SAMPLE_NETWORK
from router.service import CatalogItems, Router

__all__ = [
    "FIXTURES",
    "AGENCIES",
    "confirmation_of",
    "free_port",
    "make_app",
    "make_router",
    "serve",
    "write_members",
]

FIXTURES = Path(__file__).parent.parent / "fixtures" / "iso18626"
#: member code -> the agency ids of the sample messages it answers to.
AGENCIES = {
    "211010": ["ISIL:OCLC-ABCDE", "ISIL:SUP_A", "ISIL:US-ocolcm", "ISIL:SLNP_TWO_A", "ISIL:BROKER"],
    "211030": ["ISIL:OCLC-BCDEF", "ISIL:SUP_B", "ISIL:US-ocolcwe", "ISIL:SLNP_ONE", "ISIL:REQ"],
}


def write_members(
    path: Path,
    urls: dict[str, str] | None = None,
    *,
    allow: list[str] | None = None,
    key_env: dict[str, str] | None = None,
) -> Path:
    """The sample consortium with agency ids (and ISO 18626 endpoints) for some members;
    ``allow``: the ``iso18626_allow`` networks of every member with agency ids;
    ``key_env``: member code -> ``iso18626_key_env``."""
    text = SAMPLE_MEMBERS.read_text(encoding="utf-8")
    for code in {**AGENCIES, **(urls or {}), **(key_env or {})}:
        extra = ""
        if code in AGENCIES:
            extra += f"agency_ids = {AGENCIES[code]!r}\n".replace("'", '"')
            if allow:
                extra += f"iso18626_allow = {allow!r}\n".replace("'", '"')
        if urls and code in urls:
            extra += f'iso18626_url = "{urls[code]}"\n'
        if key_env and code in key_env:
            extra += f'iso18626_key_env = "{key_env[code]}"\n'
        text, count = re.subn(rf'^code = "{code}"\n', f'code = "{code}"\n{extra}', text, flags=re.M)
        assert count == 1, code
    path.write_text(text, encoding="utf-8")
    return path


def make_router(tmp: Path, members: Path, clock: Any = None, **options: Any) -> Router:
    payloads = {
        "c-1": {
            "id": "c-1",
            "title": "中国近代史 = Modern Chinese history",
            "format": "book",
            "year": 2001,
            "holdings": [
                {"library": c, "kind": "print", "call_number": "K25"}
                for c in ("211030", "221010", "252010")
            ],
            "links": [],
        }
    }
    items = CatalogItems(get_payload=payloads.get, find_eholdings=lambda **_: [])
    extra = {"clock": clock} if clock is not None else {}
    return Router(
        tmp / "ledger.sqlite3",
        members=members,
        network_path=SAMPLE_NETWORK,
        items=items,
        **extra,
        **options,
    )


def make_app(router: Router) -> Flask:
    """The router's blueprints on a minimal app, as search_app registers them."""
    app = Flask(__name__)
    app.register_blueprint(api_bp)
    app.register_blueprint(iso18626_web.bp)
    init_app(app, router)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def confirmation_of(body: bytes) -> dict[str, str]:
    """A confirmation's kind, status and error (the answer is checked against the schema)."""
    root = etree.fromstring(body)
    assert _SCHEMA.validate(root), _SCHEMA.error_log.last_error
    q = f"{{{NS}}}"
    answer = root[0]
    return {
        "kind": etree.QName(answer).localname,
        "status": answer.findtext(f"{q}confirmationHeader/{q}messageStatus"),
        "request_id": answer.findtext(f"{q}confirmationHeader/{q}requestingAgencyRequestId") or "",
        "error_type": answer.findtext(f"{q}errorData/{q}errorType") or "",
        "error": answer.findtext(f"{q}errorData/{q}errorValue") or "",
        "echo": answer.findtext(f"{q}reasonForMessage") or answer.findtext(f"{q}action") or "",
    }
