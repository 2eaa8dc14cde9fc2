"""API keys on the staff pages: administrators list, create and revoke their library's keys.

==================================================  ======================================
``GET /staff/lib/<code>/api-keys``                  the library's keys (active and revoked)
``POST /staff/lib/<code>/api-keys``                 a new key (``label``): shown once
``POST /staff/lib/<code>/api-keys/<key_id>/revoke`` revoke one key
==================================================  ======================================

``<code>`` is a member (its library administrators and any consortium administrator)
or the consortium's own code (consortium administrators only): such a key acts for every
member (:mod:`router.api_keys`). The new key's secret is in the one response that
creates it (never stored, never cached, never in the audit log); the list shows key ids.
Each creation and revocation is in the audit log. Forms carry CSRF tokens.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from router.api import get_router
from router.api_keys import ApiKeyError
from search_app import auth
from search_app.staff_frame import staff_blueprint

__all__ = ["MAX_LABEL", "bp"]

MAX_LABEL = 100
bp = staff_blueprint(Blueprint("api_keys", __name__, url_prefix="/staff/lib/<code>/api-keys"))


def _consortium() -> str:
    return get_router().members_file.consortium.code


def _check(code: str) -> None:
    """404 for an unknown code; 403 unless the account administers it."""
    router = get_router()
    consortium = code == _consortium()
    if not consortium and code not in router.members_file.members:
        abort(404, _("no such member library"))
    permission = "consortium" if consortium else "library_admin"
    if not auth.may(auth.current_user(), permission, None if consortium else code):
        abort(403, _("your account may not manage this library's API keys"))


def _page(code: str, status: int = 200, **extra: Any) -> tuple[str, int]:
    consortium = code == _consortium()
    page = render_template(
        "staff/api_keys.html",
        code=None if consortium else code,
        key_owner=code,
        consortium=consortium,
        keys=get_router().api_keys.keys(code),
        max_label=MAX_LABEL,
        **extra,
    )
    return page, status


@bp.get("")
@auth.require("accounts")
def listing(code: str) -> tuple[str, int]:
    """The library's keys, newest last, with the form for a new one."""
    _check(code)
    return _page(code)


@bp.post("")
@auth.require("accounts")
def create(code: str) -> tuple[str, int]:
    """Make a key; the page shows it this once."""
    _check(code)
    label = " ".join(request.form.get("label", "").split())
    if len(label) > MAX_LABEL:
        return _page(
            code,
            422,
            label=label,
            error=_("The label is longer than %(n)d characters.", n=MAX_LABEL),
        )
    key = get_router().api_keys.create(code, label)
    key_id = key.split("_")[1]
    account = auth.current_user()
    assert account is not None
    auth.get_store().audit(
        account.username,
        "api_key.create",
        target=key_id,
        library=code,
        details={"label": label},
        address=auth.client_address(),
    )
    return _page(code, 201, new_key=key, new_key_id=key_id)


@bp.post("/<key_id>/revoke")
@auth.require("accounts")
def revoke(code: str, key_id: str) -> Response:
    """Revoke one key of the library (it never verifies again)."""
    _check(code)
    try:
        get_router().api_keys.revoke(code, key_id)
    except ApiKeyError:
        abort(404, _("this library has no active key with that id"))
    account = auth.current_user()
    assert account is not None
    auth.get_store().audit(
        account.username,
        "api_key.revoke",
        target=key_id,
        library=code,
        address=auth.client_address(),
    )
    flash(_("Key %(key)s revoked.", key=key_id), "success")
    return redirect(url_for("api_keys.listing", code=code), 303)
