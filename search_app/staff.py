"""The ILL staff pages (blueprint ``staff`` under ``/staff``).

==============================================  ===========================================
``GET|POST /staff/login``, ``POST /logout``     sign in / out (lock-out after failures)
``POST /staff/switch``                          act for another library (consortium admin)
``GET /staff/lib/<code>/``                      the library's lending and borrowing queues
``GET /staff/lib/<code>/requests/<id>``         decision explained, rota, timeline, actions
``POST .../requests/<id>/events``               an action (same path as the events API)
``GET .../requests/<id>/whatif``                re-score with other weights
``GET /staff/lib/<code>/stats[.csv]``           statistics (+ chart, CSV)
``GET /staff/consortium/stats[.csv]``           consortium statistics (consortium admin)
``GET|POST /staff/users...``, ``/staff/audit``  accounts and the audit log (administrators)
==============================================  ===========================================

Every page needs a staff sign-in with the right role (:mod:`search_app.auth`); every
form carries a CSRF token, checked before any view runs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from router.api import get_router
from router.queues import queue
from search_app import auth, staff_requests, staff_stats, staff_users
from search_app.staff_frame import staff_blueprint
from search_app.staff_store import LockedOut

__all__ = ["bp"]

bp = staff_blueprint(Blueprint("staff", __name__, url_prefix="/staff"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in; five failures in 15 minutes lock the account for 15 minutes."""
    target = auth.safe_next(request.values.get("next"), url_for("staff.index"))
    if request.method == "GET":
        if auth.current_user() is not None:
            return redirect(target)
        return render_template("staff/login.html", next=target, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    error, status = "", 200
    if not username or not password:
        error, status = _("Enter your user name and password."), 400
    else:
        try:
            account = auth.get_store().authenticate(
                username, password, address=auth.client_address()
            )
        except LockedOut as exc:
            error = _(
                "Too many failed sign-ins: this account is locked until %(until)s UTC.",
                until=f"{exc.until:%Y-%m-%d %H:%M}",
            )
            status = 429
        else:
            if account is not None:
                auth.log_in(account)
                return redirect(target)
            error, status = _("Wrong user name or password."), 401
    page = render_template("staff/login.html", next=target, username=username, error=error)
    return page, status


@bp.post("/logout")
def logout() -> Response:
    auth.log_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.get("/")
def index() -> Response:
    account = auth.current_user()
    if account is None:
        return redirect(url_for("staff.login"))
    libraries = auth.allowed_libraries(account)
    chosen = session.get("staff_lib")
    if chosen not in libraries:
        chosen = libraries[0] if libraries else None
    if chosen is None:
        abort(403, _("this account works for no member library"))
    return redirect(url_for("staff.queues", code=chosen))


@bp.post("/switch")
def switch() -> Response:
    """Act for another library (only those the account may act for)."""
    account = auth.current_user()
    if account is None:
        abort(401, _("sign in first"))
    code = request.form.get("library", "")
    if not auth.may(account, "ill", code):
        abort(403, _("your account may not act for this library"))
    session["staff_lib"] = code
    return redirect(url_for("staff.queues", code=code))


@bp.get("/lib/<code>/")
@auth.require("ill")
def queues(code: str) -> str:
    """The library's lending queue (waiting for its answer) and borrowing queue."""
    session["staff_lib"] = code
    closed = request.args.get("closed") == "1"
    ledger = get_router().ledger
    return render_template(
        "staff/queues.html",
        code=code,
        closed=closed,
        lending=queue(ledger, code, "lending", include_closed=closed),
        borrowing=queue(ledger, code, "borrowing", include_closed=closed),
        states=ledger.states.states,
    )


staff_requests.init_views(bp)
staff_stats.init_views(bp)
staff_users.init_views(bp)
