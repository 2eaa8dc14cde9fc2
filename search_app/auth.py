"""Staff sign-in for the web app: sessions, roles and permissions, CSRF on every form.

- **Accounts** live in :class:`search_app.staff_store.StaffStore` (``EFIRST_STAFF_DB``,
  default the ledger database in the data dir); passwords hashed with
  ``EFIRST_STAFF_PASSWORD_METHOD`` (werkzeug, default ``scrypt``).
- **Sessions**: the signed Flask session holds the account id, its ``auth_version`` (a
  password change, a role change or disabling the account ends every session) and the
  sign-in time (sessions end after ``EFIRST_STAFF_SESSION_HOURS``, default 12).
  Signing in clears the session first (no fixation).
- **Permissions** (:func:`may`): ``ill`` — work a library's queues and see its
  statistics (its ILL staff and library administrators, any consortium administrator);
  ``library_admin`` — manage that library's accounts; ``consortium`` — consortium
  statistics and every account; ``accounts`` — the account pages at all (any
  administrator; each change is then checked against the target account).
- **CSRF**: :func:`protect_blueprint` checks a Flask-WTF token on every unsafe request of
  a blueprint (form field ``csrf_token`` or header ``X-CSRFToken``); a missing or bad
  token is a 400 (``flask_wtf.csrf.CSRFError``). It is scoped to blueprints on purpose:
  the JSON APIs (router, resolver, ISO 18626) take cross-site machine requests.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from werkzeug.wrappers import Response
from wtforms import ValidationError

from search_app.services import members
from search_app.staff_store import Account, StaffStore

__all__ = [
    "PERMISSIONS",
    "allowed_libraries",
    "current_user",
    "get_store",
    "init_app",
    "log_in",
    "log_out",
    "may",
    "protect_blueprint",
    "require",
]

EXTENSION = "efirst_staff"
PERMISSIONS = ("ill", "library_admin", "consortium", "accounts")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask, store: StaffStore | None = None) -> None:
    """Set the app up for staff pages; ``store`` replaces the one built from the config
    (``EFIRST_STAFF_DB``, ``EFIRST_STAFF_PASSWORD_METHOD``) on first use."""
    if store is not None:
        app.extensions[EXTENSION] = store
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)


def get_store() -> StaffStore:
    """The app's account store, opened on first use."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        config = current_app.config
        path = config.get("EFIRST_STAFF_DB") or Path(config["EFIRST_DATA_DIR"]) / "ledger.sqlite3"
        method = config.get("EFIRST_STAFF_PASSWORD_METHOD") or "scrypt"
        store = current_app.extensions.setdefault(EXTENSION, StaffStore(path, hash_method=method))
    return store


def member_codes() -> list[str]:
    return sorted(members().libraries)


# -- sessions ------------------------------------------------------------------------------


def log_in(account: Account) -> None:
    """Start a staff session for ``account`` (the old session is dropped)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session["staff_uid"] = account.id
    session["staff_ver"] = account.auth_version
    session["staff_at"] = int(time.time())
    libraries = allowed_libraries(account)
    if libraries:
        session["staff_lib"] = libraries[0]
    g.pop("staff_user", None)


def log_out() -> None:
    for key in ("staff_uid", "staff_ver", "staff_at", "staff_lib"):
        session.pop(key, None)
    g.pop("staff_user", None)


def current_user() -> Account | None:
    """The signed-in, active account of this request, or ``None``."""
    if "staff_user" in g:
        return g.staff_user
    account = None
    uid = session.get("staff_uid")
    if isinstance(uid, int):
        hours = float(current_app.config["EFIRST_STAFF_SESSION_HOURS"])
        fresh = time.time() - float(session.get("staff_at", 0)) < hours * 3600
        found = get_store().get(uid)
        if fresh and found and found.active and found.auth_version == session.get("staff_ver"):
            account = found
        else:
            log_out()
    g.staff_user = account
    return account


def allowed_libraries(account: Account) -> list[str]:
    """The libraries ``account`` may act for (a consortium admin: every member)."""
    if account.role == "consortium_admin":
        return member_codes()
    return [code for code in account.libraries if code]


def may(account: Account | None, permission: str, library: str | None = None) -> bool:
    """Does ``account`` hold ``permission`` (for ``library``, where it applies)?"""
    if account is None or permission not in PERMISSIONS:
        return False
    if permission == "accounts":
        return account.role in ("consortium_admin", "library_admin")
    if account.role == "consortium_admin":
        return library is None or library in members().libraries
    if permission == "consortium":
        return False
    if permission == "library_admin" and account.role != "library_admin":
        return False
    return library is not None and library in account.libraries


def require(permission: str) -> Callable[[F], F]:
    """View decorator: sign-in needed (else redirect to the login page), then
    ``permission`` for the view's ``code`` argument (else 403)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            account = current_user()
            if account is None:
                if request.method in SAFE_METHODS:
                    return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
                abort(401, _("sign in first"))
            if not may(account, permission, kwargs.get("code")):
                abort(403, _("your account may not do this for this library"))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths as a post-login target (no open redirect).

    Browsers read ``/\\host`` as ``//host`` and drop tabs and newlines from URLs, so a
    target holding a backslash or any control character or space is refused too."""
    if not target:
        return default
    if "\\" in target or any(ch <= " " or ch == "\x7f" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


# -- CSRF ----------------------------------------------------------------------------------


def check_csrf() -> None:
    """Raise ``CSRFError`` (400) unless an unsafe request carries a valid token."""
    if request.method in SAFE_METHODS:
        return
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token)
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None
    if request.is_secure:
        referrer = urlsplit(request.referrer or "")
        if referrer.scheme != "https" or referrer.netloc != request.host:
            raise CSRFError("The referrer does not match the host.")


def protect_blueprint(bp: Blueprint) -> None:
    """Check CSRF on every POST/PUT/PATCH/DELETE of ``bp`` (before its views run)."""
    bp.before_request(check_csrf)


def client_address() -> str:
    return request.remote_addr or ""


def redirect_back(default: str) -> Response:
    return redirect(safe_next(request.form.get("next"), default))
