"""The whole web app on the bundled sample consortium, with the real router on a sqlite
ledger and real staff accounts: what the staff, statistics and router-page tests build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from router import api as router_api
from router.members import SAMPLE_MEMBERS, load_members
from router.network import SAMPLE_NETWORK
from router.service import CatalogItems, Router
from search_app import auth, create_app
from search_app.staff_store import StaffStore

#: A cheap password hash for test accounts (the production default is far slower).
FAST_HASH = "pbkdf2:sha256:1000"


def consortium_app(
    tmp_path: Path,
    clock: Any,
    *,
    secret: str,
    payloads: Callable[[str], dict[str, Any] | None] = lambda _id: None,
    config: dict[str, Any] | None = None,
    staff_clock: bool = False,
    **router_options: Any,
) -> Flask:
    """``create_app`` on the sample members (plus ``config``), its router reading records
    from ``payloads`` on ``tmp_path/ledger.sqlite3`` with ``clock``, and staff accounts in
    the same database (on ``clock`` too when ``staff_clock``)."""
    application = create_app(
        {
            "TESTING": True,
            "EFIRST_DATA_DIR": str(tmp_path),
            "EFIRST_MEMBERS": load_members(SAMPLE_MEMBERS),
            "EFIRST_MEMBERS_FILE": str(SAMPLE_MEMBERS),
            "SECRET_KEY": secret,
            **(config or {}),
        }
    )
    ledger = tmp_path / "ledger.sqlite3"
    router = Router(
        ledger,
        members=SAMPLE_MEMBERS,
        network_path=SAMPLE_NETWORK,
        items=CatalogItems(get_payload=payloads, find_eholdings=lambda **_: []),
        clock=clock,
        **router_options,
    )
    router_api.init_app(application, router)
    accounts = StaffStore(
        ledger, hash_method=FAST_HASH, **({"clock": clock} if staff_clock else {})
    )
    auth.init_app(application, accounts)
    return application


def staff_accounts(app: Flask) -> StaffStore:
    """The app's staff account store."""
    return app.extensions[auth.EXTENSION]
