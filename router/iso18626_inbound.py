"""Incoming ISO 18626 messages drive the router's requests; every message gets its confirmation.

:func:`receive` takes the raw bytes of a message and the sender's credentials and always
returns a confirmation with its HTTP status (never raises): ``OK`` (200), or ``ERROR`` with
the ISO 18626 errorType and a text naming the problem (400; 401 / 403 when the sender
may not speak for the agency it names, :mod:`router.iso18626_auth`).

- ``request`` — a member (``requestingAgencyId``) asks for an item. Addressed to a
  member (``supplyingAgencyId``) it becomes a request with that one lender; addressed to
  the consortium (its code as the agency value) the router decides and builds the rota
  as for any patron request. The ledger id is derived from the requesting agency and its
  request id, so a repeated request is recognised and changes nothing.
- ``supplyingAgencyMessage`` — the lender answers one of our requests
  (``requestingAgencyRequestId`` is our ledger id): its ``status`` becomes a ledger event
  (:data:`STATUS_EVENTS`; ``Unfilled`` → ``refused`` → the next lender); statuses that
  change nothing here (``RequestReceived``, a renewal or cancel answer...) are recorded
  on the timeline.
- ``requestingAgencyMessage`` — the borrower acts on a request it sent us:
  :data:`ACTION_EVENTS` (``Cancel``, ``Received``, ``ShippedReturn``); ``Renew``,
  ``StatusRequest``, ``Notification`` and ``ShippedForward`` are recorded.

Agency ids map to member codes through :class:`router.iso18626.Agencies`. Each message
is idempotent: its digest is the event's message id. Its events are recorded as acted
by the peer (actor kind ``iso18626``, named by the sending agency id).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mappings.errors import RoutingError
from mappings.schema import Citation, Needs
from router.actors import Actor
from router.decision import item_from_citation
from router.iso18626 import Agencies, Iso18626Error, Message, confirmation, read_message, sniff
from router.iso18626_auth import PeerCredentials, PeerRefused, authenticate, sender_of
from router.ledger import EventError, RequestNotFound
from router.service import decision_json

if TYPE_CHECKING:
    from router.service import Router

__all__ = ["ACTION_EVENTS", "STATUS_EVENTS", "receive", "request_id_for"]

log = logging.getLogger(__name__)

#: supplyingAgencyMessage status -> ledger event.
STATUS_EVENTS = {
    "ExpectToSupply": "expect_to_supply",
    "WillSupply": "will_supply",
    "Loaned": "shipped",
    "CopyCompleted": "shipped",
    "Unfilled": "refused",
    "Overdue": "overdue",
}
#: requestingAgencyMessage action -> ledger event.
ACTION_EVENTS = {"Cancel": "cancelled", "Received": "received", "ShippedReturn": "returned"}
_SERVICES = {"Loan": "loan", "Copy": "copy", "CopyOrLoan": "copy"}


def receive(router: Router, data: bytes, credentials: PeerCredentials | None) -> tuple[bytes, int]:
    """The confirmation for one incoming message (``OK`` or ``ERROR``) and its HTTP status.

    ``credentials`` are checked against the agency the message speaks for; None only
    for an in-process caller that has vouched for the sender itself.
    """
    try:
        message = read_message(data)
    except Iso18626Error as exc:
        kind, supplying, requesting, request_id = sniff(data)
        return confirmation(
            kind,
            supplying=supplying,
            requesting=requesting,
            requesting_request_id=request_id,
            error=(exc.error_type, str(exc)),
        ), 400
    echo = message.fields.get("reason_for_message") or message.fields.get("action") or ""
    status = 200
    try:
        if credentials is None:
            by = Actor(name=str(sender_of(message)[1]), kind="iso18626")
        else:
            by = authenticate(router, message, credentials)
        _HANDLERS[message.kind](router, message, by)
        error = None
    except PeerRefused as exc:
        error, status = ("UnrecognisedDataValue", str(exc)), exc.status
    except Iso18626Error as exc:
        error = (exc.error_type, str(exc))
    except (EventError, RequestNotFound) as exc:
        error = ("UnrecognisedDataValue", str(exc))
    except RoutingError as exc:
        error = ("UnrecognisedDataValue", str(exc))
    except Exception:  # noqa: BLE001 - the peer gets an answer, the log gets the details
        log.exception("ISO 18626 %s from %s failed", message.kind, message.requesting)
        error = ("UnrecognisedDataValue", "internal error while processing; please retry later")
    body = confirmation(
        message.kind,
        supplying=message.supplying,
        requesting=message.requesting,
        requesting_request_id=message.requesting_request_id,
        error=error,
        echo=echo,
    )
    return body, 400 if error and status == 200 else status


def _agencies(router: Router) -> Agencies:
    return Agencies(router.members_file.members, router.members_file.consortium.code)


def request_id_for(message: Message) -> str:
    """The ledger id of the request a ``request`` message creates (stable across repeats)."""
    seed = f"{message.requesting}|{message.requesting_request_id}".encode()
    return "iso-" + hashlib.sha256(seed).hexdigest()[:28]


def _on_request(router: Router, message: Message, by: Actor) -> None:
    agencies = _agencies(router)
    borrower = agencies.member(message.requesting)
    if borrower is None:
        raise Iso18626Error(
            "UnrecognisedDataValue",
            f"requestingAgencyId {message.requesting} is not a member library",
        )
    if not message.requesting_request_id:
        raise Iso18626Error("UnrecognisedDataValue", "requestingAgencyRequestId is empty")
    supplier = agencies.member(message.supplying)
    if supplier is None and message.supplying.value != agencies.consortium:
        raise Iso18626Error(
            "UnrecognisedDataValue",
            f"supplyingAgencyId {message.supplying} is neither a member nor the consortium"
            f" ({agencies.consortium})",
        )
    if supplier == borrower:
        raise Iso18626Error(
            "UnrecognisedDataValue",
            f"supplyingAgencyId and requestingAgencyId are the same library ({borrower})",
        )
    request_id = request_id_for(message)
    try:
        router.ledger.get(request_id)
        return  # a repeated request: already recorded
    except RequestNotFound:
        pass
    fields = message.fields
    citation = _citation(fields)
    needs = Needs(
        service=_SERVICES.get(fields["service_type"], "copy"),
        format=citation.genre if citation.genre in ("book", "article") else "",
        needed_by=fields["need_before"][:10],
    )
    stored_request: dict[str, Any] = {
        "citation": {k: v for k, v in asdict(citation).items() if v},
        "needs": {"service": needs.service, "needed_by": needs.needed_by},
        "iso18626": {
            "role": "supplier" if supplier else "broker",
            "supplying": [message.supplying.type, message.supplying.value],
            "requesting": [message.requesting.type, message.requesting.value],
            "requesting_request_id": message.requesting_request_id,
            "note": fields["note"],
        },
    }
    if supplier is not None:
        decision = _directed(supplier, router)
    else:
        item = (
            router.items.by_citation(citation)
            if router.items is not None
            else item_from_citation(citation)
        )
        decision = decision_json(router.decide(item, borrower, needs))
    try:
        router.record(
            borrower, stored_request, decision, needs.service, request_id=request_id, by=by
        )
    except sqlite3.IntegrityError:
        return  # the same request arrived twice at once: the other one recorded it


def _citation(fields: dict[str, Any]) -> Citation:
    kind = fields["publication_type"].lower()
    article = bool(fields["article_title"]) or kind in ("article", "journal")
    citation = Citation(
        genre="article" if article else "book",
        atitle=fields["article_title"],
        volume=fields["volume"],
        issue=fields["issue"],
        spage=fields["pages"].partition("-")[0].strip(),
        epage=fields["pages"].partition("-")[2].strip(),
        date=fields["publication_date"],
        doi=fields["doi"],
        isbn=list(fields["isbn"]),
        issn=list(fields["issn"]),
        authors=[a.strip() for a in fields["author"].split(";") if a.strip()],
    )
    if article:
        citation.jtitle = fields["title"]
    else:
        citation.btitle = fields["title"]
    return citation


def _directed(supplier: str, router: Router) -> dict[str, Any]:
    label = router.context().label(supplier)
    return {
        "kind": "lend",
        "links": [],
        "holding": None,
        "rota": [
            {
                "library": supplier,
                "rank": 1,
                "score": None,
                "components": {},
                "facts": {},
                "reason": "addressed by name in the ISO 18626 request",
            }
        ],
        "excluded": [],
        "explanation": [f"ISO 18626 request addressed to {label}."],
    }


def _on_supplying(router: Router, message: Message, by: Actor) -> None:
    library = _agencies(router).member(message.supplying)
    if library is None:
        raise Iso18626Error(
            "UnrecognisedDataValue",
            f"supplyingAgencyId {message.supplying} is not a member library",
        )
    request = _find(router, message.requesting_request_id, "requestingAgencyRequestId")
    fields = message.fields
    status, why = fields["status"], fields["reason_for_message"]
    reason = "; ".join(
        p
        for p in (
            fields["reason_unfilled"] and f"unfilled: {fields['reason_unfilled']}",
            fields["note"],
        )
        if p
    )
    event = STATUS_EVENTS.get(status)
    target_now = request["state"] == {"shipped": "Loaned"}.get(event or "", status)
    if event is None or why in ("RenewResponse", "CancelResponse") or target_now:
        _note(router, request["id"], library, message, f"{why}: status {status}. {reason}", by)
        return
    router.event(
        request["id"],
        event,
        library=library,
        reason=reason or f"ISO 18626 {why}: {status}",
        message_id=f"iso18626:{message.digest}",
        by=by,
    )


def _on_requesting(router: Router, message: Message, by: Actor) -> None:
    library = _agencies(router).member(message.requesting)
    if library is None:
        raise Iso18626Error(
            "UnrecognisedDataValue",
            f"requestingAgencyId {message.requesting} is not a member library",
        )
    try:
        request = router.ledger.get(message.supplying_request_id or request_id_for(message))
    except RequestNotFound:
        request = _find(router, request_id_for(message), "requestingAgencyRequestId")
    action, note = message.fields["action"], message.fields["note"]
    event = ACTION_EVENTS.get(action)
    if event is None:
        _note(router, request["id"], library, message, f"{action}. {note}".strip(), by)
        return
    router.event(
        request["id"],
        event,
        library=library,
        reason=note or f"ISO 18626 {action}",
        message_id=f"iso18626:{message.digest}",
        by=by,
    )


def _find(router: Router, request_id: str, field: str) -> dict[str, Any]:
    try:
        return router.ledger.get(request_id)
    except RequestNotFound:
        raise Iso18626Error(
            "UnrecognisedDataValue", f"{field} {request_id!r}: no such request here"
        ) from None


def _note(
    router: Router, request_id: str, library: str, message: Message, text: str, by: Actor
) -> None:
    router.ledger.note(
        request_id,
        f"iso18626_{message.kind}",
        library=library,
        actor="lender" if message.kind == "supplyingAgencyMessage" else "borrower",
        reason=text.strip(),
        message_id=f"iso18626:{message.digest}",
        by=by,
    )


_HANDLERS = {
    "request": _on_request,
    "supplyingAgencyMessage": _on_supplying,
    "requestingAgencyMessage": _on_requesting,
}
