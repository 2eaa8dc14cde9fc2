"""Secure document delivery (article exchange): lenders upload, patrons download (blueprint
``delivery``).

==================================================  =====================================
``GET|POST /staff/lib/<code>/requests/<id>/delivery``  the copy of a request: upload it
                                                     (the current lender's ILL staff), its
                                                     state and access log (both sides)
``GET /delivery/<id>?token=T``                       the copyright notice, then a button
``POST /delivery/<id>/download``                     the PDF (counts one access)
``POST /delivery/<id>/link``                         a fresh link for the patron, from the
                                                     request's status page (status token)
==================================================  =====================================

An upload is checked by content (:func:`search_app.delivery_store.check_pdf`), stored,
and recorded in the request's timeline with the router's ``shipped`` event (a copy
request then becomes ``CopyCompleted``) in one step: if the event is refused, the file
and its rows are dropped and the request is unchanged. The patron gets the link by
e-mail (:mod:`search_app.mailer`) and can always fetch one from the request's status page.

Settings: ``EFIRST_DELIVERY_MAX_ACCESSES`` (5), ``EFIRST_DELIVERY_DAYS`` (30),
``EFIRST_DELIVERY_MAX_BYTES`` (50 MiB).
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mappings.errors import BackendError, RoutingError
from router.api import get_router
from router.ledger import RequestNotFound
from router.queues import request_title
from search_app import auth
from search_app.delivery_store import AccessRefused, DeliveryError, DeliveryStore, Document
from search_app.mailer import MailError, mail_enabled, send_mail
from search_app.request_views import patron_store
from search_app.staff_frame import error_message, staff_context

__all__ = ["bp", "delivery_settings", "delivery_store", "init_app"]

log = logging.getLogger(__name__)

bp = Blueprint("delivery", __name__)


@bp.before_request
def _limit_upload() -> None:
    """Cap the body of an upload before anything parses it (the CSRF check reads the form)."""
    if request.method == "POST" and request.endpoint == "delivery.upload":
        request.max_content_length = int(delivery_settings()["max_bytes"]) + _FORM_OVERHEAD


auth.protect_blueprint(bp)  # after the cap: before_request functions run in order
bp.record_once(lambda state: auth.init_app(state.app))
EXTENSION = "efirst.delivery"
#: The states a copy may be uploaded in (those the router's ``shipped`` event leaves).
UPLOAD_STATES = ("RequestReceived", "ExpectToSupply", "WillSupply")
_FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other form fields
_REFUSAL_STATUS = {"bad_token": 404, "expired": 410, "used_up": 410, "deleted": 410}


def init_app(app: Any, store: DeliveryStore | None = None) -> None:
    """Use ``store`` (e.g. with a test clock) instead of the one built on first use."""
    if store is not None:
        app.extensions[EXTENSION] = store


def delivery_store() -> DeliveryStore:
    """The app's delivery store (``<data dir>/delivery.sqlite3`` and ``delivery/``)."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        data_dir = Path(current_app.config["EFIRST_DATA_DIR"])
        store = current_app.extensions.setdefault(
            EXTENSION, DeliveryStore(data_dir / "delivery.sqlite3", data_dir / "delivery")
        )
    return store


def delivery_settings() -> dict[str, float]:
    """The limits in force: ``max_accesses``, ``days``, ``max_bytes``."""
    config = current_app.config  # parsed and checked at startup (search_app.config)
    return {
        "max_accesses": int(config["EFIRST_DELIVERY_MAX_ACCESSES"]),
        "days": float(config["EFIRST_DELIVERY_DAYS"]),
        "max_bytes": int(config["EFIRST_DELIVERY_MAX_BYTES"]),
    }


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


bp.after_request(_no_store)


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    if isinstance(exc, RequestEntityTooLarge):
        limit = int(delivery_settings()["max_bytes"])
        message = _("The file is too large: the limit is %(limit)s bytes.", limit=f"{limit:,}")
    else:
        message = error_message(exc)
    if request.path.startswith("/staff/"):
        return render_template("staff/error.html", status=status, message=message), status
    return render_template("delivery/error.html", status=status, message=message), status


@bp.context_processor
def _staff_context() -> dict[str, Any]:
    """What the staff page frame (staff/base.html) needs, as the staff blueprint gives it."""
    return staff_context() if request.path.startswith("/staff/") else {}


def patron_email(request_id: str) -> str:
    """The e-mail address of the patron who made ``request_id`` through the portal ('' if
    the request came another way). Reads the portal's patron store, read-only."""
    path = patron_store().path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
        row = conn.execute(
            "SELECT email FROM patron_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
    return row[0] if row else ""


def _title(stored: dict[str, Any]) -> str:
    """What was asked, in words: the record's title, else the citation's."""
    asked = stored.get("request") or {}
    record_id = asked.get("record_id")
    items = get_router().items
    if record_id and items is not None:
        try:
            item = items.by_record_id(record_id)
        except (BackendError, RoutingError) as exc:
            log.warning("delivery %s: record %s unavailable: %s", stored["id"], record_id, exc)
            item = None
        if item is not None and item.title:
            return item.title
    return request_title(asked)


# -- staff: upload ---------------------------------------------------------------------


def _staff_request(code: str, request_id: str) -> dict[str, Any]:
    """The request, if staff of ``code`` may see it (its lender now or before, or borrower)."""
    try:
        stored = get_router().ledger.get(request_id)
    except RequestNotFound:
        abort(404, _("no such request"))
    involved = {stored["borrower"], stored.get("lender")} | {r["library"] for r in stored["rota"]}
    if code not in involved:
        abort(403, _("this request does not involve your library"))
    return stored


def _upload_refusal(stored: dict[str, Any], code: str) -> str:
    """Why staff of ``code`` may not upload a copy for ``stored`` now ('' if they may)."""
    if stored["service"] != "copy":
        return _("This request is for a loan, not a copy.")
    if stored.get("lender") != code:
        return _("Only the library the request is with now (its lender) can upload the copy.")
    if stored["state"] not in UPLOAD_STATES:
        return _("A copy cannot be uploaded in state %(state)s.", state=stored["state"])
    return ""


@bp.route("/staff/lib/<code>/requests/<request_id>/delivery", methods=["GET", "POST"])
@auth.require("ill")
def upload(code: str, request_id: str) -> Any:
    """The copy's page; POST uploads it (current lender only)."""
    stored = _staff_request(code, request_id)
    store = delivery_store()
    document = store.document(request_id)
    refusal = "" if document is None else _("A copy has already been uploaded.")
    refusal = refusal or _upload_refusal(stored, code)
    if request.method == "GET":
        return _upload_page(code, stored, document, refusal, "", 200)
    if refusal:
        return _upload_page(code, stored, document, refusal, refusal, 409)
    try:
        document = _accept(code, stored, store)
    except DeliveryError as exc:
        return _upload_page(code, stored, None, "", str(exc), exc.status)
    except RoutingError as exc:  # the router refused the event: nothing was kept
        return _upload_page(code, stored, None, "", str(exc), getattr(exc, "status", 409))
    return redirect(url_for(".upload", code=code, request_id=request_id), 303)


def _accept(code: str, stored: dict[str, Any], store: DeliveryStore) -> Document:
    limits = delivery_settings()
    file = request.files.get("file")
    if file is None or not file.filename:
        raise DeliveryError(_("Choose the PDF file to upload."))
    data = file.stream.read(int(limits["max_bytes"]) + 1)
    email = patron_email(stored["id"])
    if not email:
        raise DeliveryError(
            _("This request has no patron contact (it did not come through the portal)."),
            field="request",
            status=409,
        )
    account = auth.current_user()
    uploader = account.username if account else ""
    router = get_router()
    document, token = store.add(
        request_id=stored["id"],
        lender=code,
        borrower=stored["borrower"],
        patron_email=email,
        data=data,
        original_name=file.filename,
        uploaded_by=uploader,
        max_bytes=int(limits["max_bytes"]),
        max_accesses=int(limits["max_accesses"]),
        days=limits["days"],
        confirm=lambda: router.event(
            stored["id"],
            "shipped",
            library=code,
            reason=f"copy uploaded for secure delivery ({len(data):,} bytes) by {uploader}",
            message_id=f"delivery:{stored['id']}",
        ),
    )
    flash(_("The copy was uploaded and the request marked as shipped."), "success")
    _mail_link(stored, document, token)
    return document


def _mail_link(stored: dict[str, Any], document: Document, token: str) -> None:
    """E-mail the patron the link; a failure is reported, never undoes the upload."""
    if not mail_enabled():
        flash(_("E-mail is off: the patron finds the link on their request page."), "info")
        return
    link = url_for(".notice", request_id=stored["id"], token=token, _external=True)
    body = _(
        "The copy you requested is ready.\n\nTitle: %(title)s\n\nOpen it here (at most "
        "%(n)s times, until %(until)s UTC):\n%(link)s\n\nThis link is for you only.",
        title=_title(stored) or stored["id"],
        n=document.max_accesses,
        until=f"{document.expires_at:%Y-%m-%d %H:%M}",
        link=link,
    )
    try:
        send_mail([document.patron_email], _("Your requested copy is ready"), body)
    except MailError as exc:
        log.warning("delivery %s: e-mail to the patron failed: %s", stored["id"], exc)
        flash(_("The link could not be e-mailed (%(error)s).", error=str(exc)), "error")
    else:
        flash(_("The link was e-mailed to the patron."), "success")


def _upload_page(
    code: str,
    stored: dict[str, Any],
    document: Document | None,
    refusal: str,
    error: str,
    status: int,
) -> tuple[str, int]:
    log_rows = delivery_store().access_log(stored["id"]) if document else []
    page = render_template(
        "delivery/upload.html",
        code=code,
        req=stored,
        title=_title(stored),
        document=document,
        access_log=log_rows,
        refusal=refusal,
        error=error,
        limits=delivery_settings(),
    )
    return page, status


# -- patrons: the link -----------------------------------------------------------------


def _address() -> str:
    return request.remote_addr or ""


def _refused(exc: AccessRefused, request_id: str) -> tuple[str, int]:
    status = _REFUSAL_STATUS.get(exc.reason, 404)
    page = render_template(
        "delivery/refused.html", reason=exc.reason, document=exc.document, request_id=request_id
    )
    return page, status


@bp.get("/delivery/<request_id>")
def notice(request_id: str) -> Any:
    """The copyright notice; its button downloads the copy."""
    token = request.args.get("token", "")
    try:
        document = delivery_store().view(request_id[:64], token, _address())
    except AccessRefused as exc:
        return _refused(exc, request_id)
    stored = get_router().ledger.get(request_id)
    return render_template(
        "delivery/notice.html",
        document=document,
        token=token,
        title=_title(stored),
        lender=document.lender,
    )


@bp.post("/delivery/<request_id>/download")
def download(request_id: str) -> Any:
    """The PDF itself (one access), as an attachment that is never cached."""
    try:
        document, data = delivery_store().download(
            request_id[:64], request.form.get("token", ""), _address()
        )
    except AccessRefused as exc:
        return _refused(exc, request_id)
    response = make_response(data)
    name = f"efirst-{request_id[:12]}.pdf"
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Accesses-Remaining"] = str(document.remaining)
    return response


@bp.post("/delivery/<request_id>/link")
def link(request_id: str) -> Any:
    """A fresh delivery link for the patron holding the request's status token."""
    patron = patron_store().check(request_id[:64], request.form.get("token", ""))
    if patron is None:
        abort(404)
    token = delivery_store().new_token(request_id, patron.email, _address())
    if token is None:
        abort(410, _("The copy can no longer be opened."))
    return redirect(url_for(".notice", request_id=request_id, token=token), 303)


@bp.app_template_global()
def delivery_ready(request_id: str) -> bool:
    """Can the patron still open a copy of ``request_id``? (for the status page)"""
    store = delivery_store()
    document = store.document(request_id)
    return (
        document is not None
        and document.deleted_at is None
        and document.remaining > 0
        and document.expires_at > store.clock()
    )
