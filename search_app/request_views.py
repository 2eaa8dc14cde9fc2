"""The patron's delivery request: the form, the confirmation and the status page.

- ``GET /request?record=ID`` — the form for a catalogue record (the "Get it" box links
  here); ``GET /request?<OpenURL 1.0 KEV>&lib=CODE`` — the form pre-filled with a
  citation (the resolver's "Request delivery" option, ``EFIRST_REQUEST_URL``).
- ``POST /request`` — CSRF-checked; valid input goes through the router exactly as
  ``POST /api/v1/requests`` does (the router's parsers, its catalogue lookup,
  :meth:`router.service.Router.submit`); then 303 to the status page. Invalid input
  re-shows the form with every value kept and each error next to its field (400).
- ``GET /request/<id>?token=T`` — the request's state and decision in words, and its
  timeline. Only the patron holds ``T`` (see :mod:`search_app.patron_requests`); any
  other token, or none, is a 404 that does not tell whether the request exists.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

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
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from mappings.errors import BackendError, RoutingError
from mappings.schema import FORMATS
from resolver.openurl import is_usable
from resolver.web import parse_request
from router.api import get_router
from router.ledger import RequestNotFound
from router.service import Router
from search_app.error_text import localise_error
from search_app.getit import describe
from search_app.patron import current_library
from search_app.patron_requests import PatronRequests
from search_app.request_form import (
    CITATION_FIELDS,
    RequestForm,
    citation_data,
    needs_data,
    prefill,
)
from search_app.services import get_backend, members
from search_app.templating import FORMAT_LABELS, library_name

__all__ = ["STATE_TEXT", "bp", "patron_store"]

log = logging.getLogger(__name__)

bp = Blueprint("request", __name__)
EXTENSION = "efirst.patron_requests"

#: ISO 18626 states (router/states.toml) in the patron's words.
STATE_TEXT = {
    "RequestReceived": _l("Sent to a member library; waiting for its answer."),
    "ExpectToSupply": _l("A member library expects to supply it."),
    "WillSupply": _l("A member library will supply it; it is being prepared."),
    "Loaned": _l("On loan to you through your library."),
    "Overdue": _l("The loan is overdue: please return it to your library."),
    "CopyCompleted": _l("Delivered."),
    "LoanCompleted": _l("Returned. Thank you."),
    "Unfilled": _l("No member library could supply it. Your library will consider buying it."),
    "Cancelled": _l("Cancelled."),
    "Resolved": _l("Nothing to deliver: you can get it yourself, see below."),
}
#: Where a router error's ``field`` is shown on the form.
_FIELD_OF_ERROR = {
    "library": "library",
    "record_id": "record_id",
    "citation": "title",
    "needs.format": "format",
    "needs.service": "service",
    "needs.max_cost": "max_cost",
    "needs.needed_by": "needed_by",
    "needs.electronic_ok": "electronic_ok",
}


_EVENT_TEXT = {
    "created": _l("Request received."),
    "refused": _l("The library could not supply it."),
    "timeout": _l("The library did not answer in time."),
    "shipped": _l("Sent on its way."),
    "received": _l("Arrived at your library."),
    "returned": _l("Returned."),
    "cancelled": _l("Cancelled."),
}


@bp.app_template_filter("parse_iso")
def parse_iso(value: str) -> datetime | None:
    """An ISO 8601 timestamp as a datetime (None when empty or bad) for Babel's filters."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.app_template_global()
def event_text(event: dict[str, Any]) -> str:
    """One timeline event in the patron's words."""
    if event.get("type") == "sent" and event.get("lender"):
        return str(_l("Asked %(library)s.", library=library_name(event["lender"])))
    text = _EVENT_TEXT.get(event.get("type", ""))
    if text is not None:
        return str(text)
    target = event.get("to") or ""
    return str(STATE_TEXT.get(target, event.get("type", "")))


def patron_store() -> PatronRequests:
    """The app's store of patrons' contact details and status tokens."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        path = Path(current_app.config["EFIRST_DATA_DIR"]) / "patron_requests.sqlite3"
        store = current_app.extensions[EXTENSION] = PatronRequests(path)
    return store


def _record(record_id: str) -> dict[str, Any] | None:
    if not record_id or len(record_id) > 200:
        return None
    try:
        return get_backend().get(record_id)
    except BackendError as exc:
        log.warning("request form: record %s unavailable: %s", record_id, exc)
        return None


def _choices(form: RequestForm) -> None:
    locale = str(get_locale())
    form.library.choices = [SelectChoice("", _l("Choose…"))] + [
        SelectChoice(code, lib.name(locale)) for code, lib in sorted(members().libraries.items())
    ]
    form.format.choices = [SelectChoice("", _l("As cited"))] + [
        SelectChoice(name, FORMAT_LABELS.get(name, name)) for name in FORMATS
    ]


def _prefill(form: RequestForm) -> dict[str, Any] | None:
    """Fill a fresh form from ``?record=`` or from the OpenURL in the query string."""
    library = current_library()
    form.library.data = library.code if library is not None else ""
    record_id = request.args.get("record", "")
    if record_id:
        record = _record(record_id)
        if record is None:
            abort(404)
        form.record_id.data = record_id
        return record
    parsed, _service = parse_request()
    if is_usable(parsed.citation):
        for name, value in prefill(parsed.citation).items():
            getattr(form, name).data = value
    return None


@bp.route("/request", methods=["GET", "POST"])
def form() -> Response | tuple[str, int]:
    """The request form; a valid POST submits and redirects to the status page."""
    form = RequestForm()
    _choices(form)
    if request.method == "GET":
        record = _prefill(form)
        return _form_page(form, record), 200
    record = _record(form.record_id.data or "")
    if form.validate_on_submit():
        try:
            stored = submit(get_router(), form)
        except RoutingError as exc:
            target = getattr(form, _error_field(exc))
            target.errors = [*target.errors, localise_error(exc)]
        else:
            token = patron_store().add(
                stored["id"],
                name=form.name.data.strip(),
                email=form.email.data.strip(),
                library=form.library.data,
            )
            flash(str(_l("Your request has been sent.")), "success")
            return redirect(url_for(".status", request_id=stored["id"], token=token), 303)
    return _form_page(form, record), 400


def _form_page(form: RequestForm, record: dict[str, Any] | None) -> str:
    return render_template(
        "portal/request.html",
        form=form,
        record=record,
        citation_fields=CITATION_FIELDS,
        library=current_library(),
    )


def _error_field(exc: RoutingError) -> str:
    """The form field a router error is about (the citation's title when unsure)."""
    field = getattr(exc, "field", None) or ""
    if field in _FIELD_OF_ERROR:
        return _FIELD_OF_ERROR[field]
    name = field.removeprefix("citation.")
    name = {"atitle": "title", "jtitle": "container", "btitle": "container"}.get(name, name)
    return name if name in CITATION_FIELDS else "title"


def submit(router: Router, form: RequestForm) -> dict[str, Any]:
    """Decide and record the request (the path of ``POST /api/v1/requests``)."""
    asked: dict[str, Any] = {"needs": needs_data(form), "channel": "portal"}
    if form.record_id.data:
        asked["record_id"] = form.record_id.data
    else:
        asked["citation"] = citation_data(form)
    return router.create_request(form.library.data, asked)


@bp.get("/request/<request_id>")
def status(request_id: str) -> Response:
    """The patron's view of one request (needs the request's token)."""
    token = request.args.get("token", "")
    if len(request_id) > 64 or patron_store().check(request_id, token) is None:
        abort(404)
    router = get_router()
    try:
        stored = router.ledger.get(request_id)
    except RequestNotFound:
        abort(404)
    asked = stored.get("request") or {}
    record = _record(asked.get("record_id", "")) if asked.get("record_id") else None
    citation = asked.get("citation") or {}
    title = (record or {}).get("title") or citation.get("atitle") or citation.get("btitle")
    page = render_template(
        "portal/request_status.html",
        stored=stored,
        record=record,
        title=title or citation.get("jtitle") or "",
        state_text=STATE_TEXT.get(stored["state"], stored["state"]),
        sentence=describe(stored["decision"], router.members_file.consortium.currency),
        library=current_library(),
        token=token,
    )
    response = make_response(page)
    # The token is in the URL: keep it out of Referer headers and shared caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
