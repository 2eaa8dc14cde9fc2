"""Staff views of one request: the decision explained, its timeline, actions, "what if".

Actions go through the same code as ``POST /api/v1/requests/<id>/events``:
:func:`router.requests.parse_event` then :meth:`router.service.Router.event` (one ledger
transaction). The form carries a one-time nonce used as the event's ``message_id``, so a
form submitted twice changes the request once. A refused action (wrong state, wrong
library) answers with the page, the error and the staff member's input kept.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from mappings.errors import RoutingError
from router.api import get_router
from router.ledger import EventError, RequestNotFound
from router.queues import can_see, request_title
from router.rank import COMPONENTS, Weights
from router.requests import RequestError, parse_event
from router.track import StateTable
from router.whatif import what_if
from search_app import auth
from search_app.error_text import localise_error

__all__ = ["available_actions", "init_views", "rota_rows"]

#: Actions offered on the page, in the order shown (``timeout`` is the scheduler's).
ACTIONS = (
    "will_supply",
    "expect_to_supply",
    "shipped",
    "refused",
    "received",
    "returned",
    "overdue",
    "cancelled",
    "reroute",
)


def available_actions(states: StateTable, stored: dict[str, Any], code: str) -> list[str]:
    """The actions staff of ``code`` may take on ``stored`` in its current state."""
    sides = set()
    if stored.get("lender") == code:
        sides |= {"lender", "staff"}
    if stored["borrower"] == code:
        sides |= {"borrower", "staff"}
    found = []
    for event in ACTIONS:
        transition = states.find(stored["state"], event)
        if transition is not None and transition.by in sides:
            found.append(event)
    return found


def rota_rows(stored: dict[str, Any]) -> list[dict[str, Any]]:
    """The ledger's rota joined with the decision's scores, position by position."""
    decided = {n: e for n, e in enumerate(stored["decision"].get("rota", []), start=1)}
    rows = []
    for entry in stored["rota"]:
        scored = decided.get(entry["position"])
        if scored is not None and scored.get("library") != entry["library"]:
            scored = None
        rows.append(
            {
                **entry,
                "components": (scored or {}).get("components", {}),
                "reason": (scored or {}).get("reason") or entry.get("note", ""),
                "current": entry["position"] == stored.get("rota_position"),
                "manual": scored is None,
            }
        )
    return rows


def _load(code: str, request_id: str) -> dict[str, Any]:
    try:
        stored = get_router().ledger.get(request_id)
    except RequestNotFound:
        abort(404, _("no such request"))
    if not can_see(stored, code):
        account = auth.current_user()
        if account is None or account.role != "consortium_admin":
            abort(403, _("this request is not your library's"))
    return stored


def _page(code: str, stored: dict[str, Any], status: int = 200, **extra: Any) -> Any:
    router = get_router()
    page = render_template(
        "staff/request.html",
        code=code,
        req=stored,
        title=request_title(stored["request"]),
        rota=rota_rows(stored),
        actions=available_actions(router.ledger.states, stored, code),
        state_info=router.ledger.states.states.get(stored["state"]),
        components=COMPONENTS,
        nonce=secrets.token_urlsafe(16),
        reroute_targets=sorted(
            c for c in router.members_file.members if c not in (stored["borrower"], code)
        ),
        form=extra.pop("form", {}),
        **extra,
    )
    return page, status


def show(code: str, request_id: str) -> Any:
    """The request: decision explained, rota with score components, timeline, actions."""
    return _page(code, _load(code, request_id))


def act(code: str, request_id: str) -> Any:
    """Apply one staff action; on refusal show the page again with the input kept."""
    stored = _load(code, request_id)
    form = {k: request.form.get(k, "").strip() for k in ("type", "reason", "to_library", "nonce")}
    try:
        event = _event_from(form, code)
        kind = event.pop("type")
        result = get_router().event(request_id, kind, **event)
    except (RequestError, EventError) as exc:
        status = 422 if isinstance(exc, RequestError) else exc.status
        return _page(
            code, stored, status, form=form, error=localise_error(exc), error_field=exc.field
        )
    account = auth.current_user()
    assert account is not None
    if result.get("duplicate"):
        flash(_("This action was already recorded."), "info")
    else:
        auth.get_store().audit(
            account.username,
            f"request.{kind}",
            target=request_id,
            library=code,
            details={
                "from": stored["state"],
                "to": result["state"],
                "reason": form["reason"],
                "to_library": form["to_library"],
            },
            address=auth.client_address(),
        )
        flash(_("Done: the request is now %(state)s.", state=result["state"]), "success")
    return redirect(url_for("staff.request_page", code=code, request_id=request_id))


def _event_from(form: dict[str, str], code: str) -> dict[str, Any]:
    if form["type"] not in ACTIONS:
        raise RequestError(_("choose an action"), field="type")
    if form["type"] == "refused" and not form["reason"]:
        raise RequestError(_("a refusal needs a reason"), field="reason")
    if len(form["reason"]) > 500:
        raise RequestError(_("at most 500 characters"), field="reason")
    if form["type"] == "reroute" and form["to_library"] not in get_router().members_file.members:
        raise RequestError(_("choose the member library to send it to"), field="to_library")
    if not form["nonce"]:
        raise RequestError(_("the form is incomplete; reload the page"), field="nonce")
    payload = {
        "type": form["type"],
        "library": code,
        "reason": form["reason"],
        "message_id": f"staff:{form['nonce']}",
    }
    if form["type"] == "reroute":
        payload["to_library"] = form["to_library"]
    return parse_event(payload)


def whatif(code: str, request_id: str) -> Any:
    """Re-score the request with the weights in the query string (defaults: the router's)."""
    stored = _load(code, request_id)
    router = get_router()
    values = dict(router.weights.as_dict())
    given = {k: request.args[k] for k in COMPONENTS if request.args.get(k, "").strip()}
    error, status, result = "", 200, None
    try:
        for key, raw in given.items():
            try:
                values[key] = float(raw)
            except ValueError:
                raise RoutingError(f"weights.{key}: must be a number >= 0") from None
        weights = Weights.from_mapping(values)
        result = what_if(router, stored, weights)
    except RoutingError as exc:
        error, status = localise_error(exc), 400
    page = render_template(
        "staff/whatif.html",
        code=code,
        req=stored,
        title=request_title(stored["request"]),
        components=COMPONENTS,
        values={k: request.args.get(k, values[k]) for k in COMPONENTS},
        result=result,
        error=error,
    )
    return page, status


def init_views(bp: Blueprint) -> None:
    bp.add_url_rule("/lib/<code>/requests/<request_id>", "request_page", auth.require("ill")(show))
    bp.add_url_rule(
        "/lib/<code>/requests/<request_id>/events",
        "request_event",
        auth.require("ill")(act),
        methods=["POST"],
    )
    bp.add_url_rule(
        "/lib/<code>/requests/<request_id>/whatif", "request_whatif", auth.require("ill")(whatif)
    )
