"""Purchase suggestions, "recommend to librarian" (blueprint ``suggestions``).

=============================================  ==========================================
``GET|POST /suggest?record=ID``                 the patron's form for a catalogue record
``GET|POST /suggest?request=ID&token=T``        the same for an unfilled ILL request (the
                                                request's status token proves the patron)
``GET /staff/lib/<code>/suggestions``           the library's list (``?sort=type|requests|
                                                title|latest&order=asc|desc``)
``GET /staff/lib/<code>/suggestions/item/<k>``  every suggestion of one item
``GET /staff/lib/<code>/suggestions.csv``       all of them as CSV
``POST /staff/lib/<code>/suggestions/notify``   e-mail notices on or off, and to whom
=============================================  ==========================================

Templates link here with :func:`suggest_url` (a record page) and
:func:`suggest_url_for_request` (the status page of an Unfilled request, which the router
flags with ``purchase_suggestion``), or include the ``suggest_link`` macro of
``suggestions/_macros.html``. Staff pages need the ``ill`` permission of the library
(its ILL staff and administrators, any consortium administrator); every form is CSRF
checked. A notice that cannot be e-mailed is remembered and shown to the librarians;
it never loses the suggestion.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from mappings.errors import BackendError, RoutingError
from router.api import get_router
from router.ledger import RequestNotFound
from router.queues import request_title
from search_app import auth
from search_app.mailer import MailError, mail_enabled, send_mail
from search_app.patron import current_library
from search_app.request_views import patron_store
from search_app.services import members
from search_app.staff_frame import error_message, staff_context
from search_app.suggestion_store import SORTS, Suggestion, SuggestionStore
from search_app.templating import FORMAT_LABELS

__all__ = ["SuggestionForm", "bp", "init_app", "suggest_url", "suggest_url_for_request"]

log = logging.getLogger(__name__)

bp = Blueprint("suggestions", __name__)
auth.protect_blueprint(bp)
bp.record_once(lambda state: auth.init_app(state.app))
EXTENSION = "efirst.suggestions"
CSV_COLUMNS = ("product type", "title", "link", "request date", "name", "email", "message")


class SuggestionForm(FlaskForm):
    """One patron's suggestion; ``library.choices`` is set per request."""

    record = HiddenField(validators=[Optional(), Length(max=200)])
    request_id = HiddenField(validators=[Optional(), Length(max=64)])
    token = HiddenField(validators=[Optional(), Length(max=200)])
    library = SelectField(_l("Your library"), validators=[DataRequired()])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Your e-mail address"), validators=[DataRequired(), Email(), Length(max=254)]
    )
    message = TextAreaField(
        _l("Why the library should buy it (optional)"), validators=[Optional(), Length(max=2000)]
    )


def init_app(app: Any, store: SuggestionStore | None = None) -> None:
    """Use ``store`` (e.g. with a test clock) instead of the one built on first use."""
    if store is not None:
        app.extensions[EXTENSION] = store


def suggestion_store() -> SuggestionStore:
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        path = Path(current_app.config["EFIRST_DATA_DIR"]) / "suggestions.sqlite3"
        store = current_app.extensions.setdefault(EXTENSION, SuggestionStore(path))
    return store


@bp.app_template_global()
def suggest_url(record_id: str) -> str:
    """The suggestion form for a catalogue record (for the record page)."""
    return url_for("suggestions.form", record=record_id)


@bp.app_template_global()
def suggest_url_for_request(request_id: str, token: str) -> str:
    """The suggestion form for an unfilled request (for the patron's status page)."""
    return url_for("suggestions.form", request=request_id, token=token)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # patron data on every page
    return response


@bp.errorhandler(HTTPException)
def _error_page(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    message = error_message(exc)
    template = "staff/error.html" if request.path.startswith("/staff/") else "delivery/error.html"
    return render_template(template, status=status, message=message), status


@bp.context_processor
def _staff_context() -> dict[str, Any]:
    return staff_context() if request.path.startswith("/staff/") else {}


# -- patrons ---------------------------------------------------------------------------


def _subject(form: SuggestionForm) -> dict[str, str]:
    """What is suggested (title, product type, link, record, request) or a 404."""
    items = get_router().items
    record_id = form.record.data or ""
    request_id = form.request_id.data or ""
    if request_id:
        patron = patron_store().check(request_id, form.token.data or "")
        if patron is None:
            abort(404)
        try:
            stored = get_router().ledger.get(request_id)
        except RequestNotFound:
            abort(404)
        if not stored["purchase_suggestion"]:
            abort(404, _("This request was not left unfilled."))
        asked = stored.get("request") or {}
        record_id = asked.get("record_id") or ""
        citation = asked.get("citation") or {}
        found = {
            "title": request_title(asked),
            "type": citation.get("genre", ""),
            "library": stored["borrower"],
            "name": patron.name,
            "email": patron.email,
        }
    elif record_id:
        found = {"title": "", "type": "", "library": "", "name": "", "email": ""}
    else:
        abort(404, _("Say what you suggest: a record or a request."))
    if record_id and items is not None:
        try:
            item = items.by_record_id(record_id)
        except (BackendError, RoutingError) as exc:
            log.warning("suggestion: record %s unavailable: %s", record_id, exc)
            item = None
        if item is None and not request_id:
            abort(404, _("No such record."))
        if item is not None:
            found["title"] = item.title or found["title"]
            found["type"] = item.format or found["type"]
    if not found["title"]:
        abort(404, _("No such record."))
    link = url_for("portal.record", record_id=record_id, _external=True) if record_id else ""
    return {**found, "record": record_id, "request": request_id, "link": link}


def _choices(form: SuggestionForm) -> None:
    locale = str(get_locale())
    form.library.choices = [("", _("Choose…"))] + [
        (code, lib.name(locale)) for code, lib in sorted(members().libraries.items())
    ]


@bp.route("/suggest", methods=["GET", "POST"])
def form() -> Any:
    """The patron's form; a valid POST stores the suggestion and thanks the patron."""
    suggestion = SuggestionForm()
    _choices(suggestion)
    if request.method == "GET":
        suggestion.record.data = request.args.get("record", "")[:200]
        suggestion.request_id.data = request.args.get("request", "")[:64]
        suggestion.token.data = request.args.get("token", "")[:200]
    subject = _subject(suggestion)
    if request.method == "GET":
        library = current_library()
        suggestion.library.data = subject["library"] or (library.code if library else "")
        suggestion.name.data = subject["name"]
        suggestion.email.data = subject["email"]
        return _form_page(suggestion, subject, 200)
    if subject["library"]:
        suggestion.library.data = subject["library"]  # an unfilled request's own library
    if not suggestion.validate_on_submit():
        return _form_page(suggestion, subject, 400)
    stored = suggestion_store().add(
        library=suggestion.library.data,
        title=subject["title"],
        name=suggestion.name.data.strip(),
        email=suggestion.email.data.strip(),
        message=(suggestion.message.data or "").strip(),
        record_id=subject["record"],
        request_id=subject["request"],
        product_type=subject["type"],
        link=subject["link"],
    )
    _notify(stored)
    flash(_("Thank you: your suggestion has been sent to the library."), "success")
    return redirect(url_for(".thanks"), 303)


def _form_page(form: SuggestionForm, subject: dict[str, str], status: int) -> tuple[str, int]:
    label = FORMAT_LABELS.get(subject["type"], subject["type"])
    page = render_template("suggestions/form.html", form=form, subject=subject, type_label=label)
    return page, status


@bp.get("/suggest/thanks")
def thanks() -> str:
    return render_template("suggestions/thanks.html")


def _notify(suggestion: Suggestion) -> None:
    """E-mail the library's librarians if they asked for it; remember any failure."""
    store = suggestion_store()
    setting = store.notify(suggestion.library)
    if not setting.enabled or not setting.email:
        return
    page = url_for(".details", code=suggestion.library, key=suggestion.group_key, _external=True)
    body = "\n".join(
        [
            f"A patron suggests that the library buy: {suggestion.title}",
            f"Type: {suggestion.product_type or '-'}",
            f"Link: {suggestion.link or '-'}",
            f"From: {suggestion.name} <{suggestion.email}>",
            f"Message: {suggestion.message or '-'}",
            "",
            f"All suggestions for it: {page}",
        ]
    )
    try:
        send_mail([setting.email], f"Purchase suggestion: {suggestion.title[:120]}", body)
    except MailError as exc:
        log.warning("suggestion notice for %s failed: %s", suggestion.library, exc)
        store.notice_result(suggestion.library, str(exc))
    else:
        store.notice_result(suggestion.library, "")


# -- librarians ------------------------------------------------------------------------


@bp.get("/staff/lib/<code>/suggestions")
@auth.require("ill")
def listing(code: str) -> str:
    """The library's suggested items, sortable; the notice setting."""
    sort = request.args.get("sort", "latest")
    sort = sort if sort in SORTS else "latest"
    descending = request.args.get("order", "desc") != "asc"
    return render_template(
        "suggestions/list.html",
        code=code,
        groups=suggestion_store().groups(code, sort, descending),
        sort=sort,
        descending=descending,
        notify=suggestion_store().notify(code),
        mail_enabled=mail_enabled(),
        format_labels=FORMAT_LABELS,
    )


@bp.get("/staff/lib/<code>/suggestions/item/<path:key>")
@auth.require("ill")
def details(code: str, key: str) -> str:
    found = suggestion_store().group(code, key)
    if not found:
        abort(404, _("No suggestions for this item."))
    return render_template(
        "suggestions/details.html", code=code, key=key, rows=found, first=found[0]
    )


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/staff/lib/<code>/suggestions.csv")
@auth.require("ill")
def export(code: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in suggestion_store().all(code):
        writer.writerow(
            [
                _cell(value)
                for value in (
                    row.product_type,
                    row.title,
                    row.link,
                    row.created_at.isoformat(),
                    row.name,
                    row.email,
                    row.message,
                )
            ]
        )
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="suggestions-{code}.csv"'
    return response


@bp.post("/staff/lib/<code>/suggestions/notify")
@auth.require("ill")
def notify(code: str) -> Any:
    """Turn e-mail notices of new suggestions on or off."""
    enabled = request.form.get("enabled") == "1"
    email = request.form.get("email", "").strip()
    if enabled and not _valid_email(email):
        flash(_("E-mail address: enter a valid address to send notices to."), "error")
        return redirect(url_for(".listing", code=code), 303)
    account = auth.current_user()
    suggestion_store().set_notify(
        code, enabled=enabled, email=email, actor=account.username if account else ""
    )
    flash(_("Notices are on.") if enabled else _("Notices are off."), "success")
    return redirect(url_for(".listing", code=code), 303)


def _valid_email(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return len(address) <= 254
