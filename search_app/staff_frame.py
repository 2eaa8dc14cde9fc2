"""What every blueprint behind the staff login shares: CSRF on its forms, pages never
cached, error pages that say what went wrong, and the staff page frame's context.

``staff_blueprint(bp)`` wires all of it; blueprints that also serve patrons (delivery,
suggestions) use the pieces (:func:`error_message`, :func:`staff_context`) themselves.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from search_app import auth

__all__ = ["error_message", "no_store", "staff_blueprint", "staff_context", "staff_error_page"]


def no_store(response: Response) -> Response:
    """Staff pages hold patron data and secrets: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response


def error_message(exc: HTTPException) -> str:
    """The reader-facing text of an HTTP error (an expired form said as such)."""
    if isinstance(exc, CSRFError):
        return _("The form has expired or did not come from this site; reload and retry.")
    return exc.description or ""


def staff_error_page(exc: HTTPException) -> tuple[str, int]:
    """Errors on staff pages say what went wrong (the portal's pages stay terse)."""
    status = exc.code or 500
    return render_template("staff/error.html", status=status, message=error_message(exc)), status


def staff_context() -> dict[str, Any]:
    """What the staff page frame (``staff/base.html``) needs."""
    account = auth.current_user()
    return {
        "staff_user": account,
        "staff_libraries": auth.allowed_libraries(account) if account else [],
        "staff_library": session.get("staff_lib"),
        "may": auth.may,
    }


def staff_blueprint(bp: Blueprint, *, cache_control: bool = True) -> Blueprint:
    """Make ``bp`` a staff blueprint; ``cache_control=False`` leaves caching to ``bp``."""
    auth.protect_blueprint(bp)
    bp.record_once(lambda state: auth.init_app(state.app))
    if cache_control:
        bp.after_request(no_store)
    bp.register_error_handler(HTTPException, staff_error_page)
    bp.context_processor(staff_context)
    return bp
