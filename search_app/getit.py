"""The record page's "Get it" box: the router's decision for this patron, in plain words.

The decision is the router's own (:meth:`router.service.Router.decide` on the item that
:class:`router.service.CatalogItems` builds for a record id — the same path as
``POST /api/v1/requests``), with the default needs (a copy, electronic welcome). It is
presented E-first: full text link(s) ▸ on the shelf at your library (location and call
number) ▸ "Request delivery" with how many member libraries can send it and how long
the first choice should take. :func:`describe` turns any stored decision (the JSON shape
of the API) into the same sentence, for the request confirmation and status pages.

Without a known patron library, or when the router cannot decide (no catalogue, a
library the router does not know), the box falls back to the portal's own availability.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_currency, format_decimal, gettext, ngettext

from mappings.errors import BackendError, RoutingError
from mappings.schema import Needs
from router.api import get_router
from router.service import decision_json
from search_app.availability import Availability, availability

__all__ = ["GetIt", "describe", "get_it"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class GetIt:
    """What the "Get it" box shows."""

    #: ``fulltext`` | ``local`` | ``lend`` | ``none``, or ``""`` when nothing was decided.
    kind: str
    #: The patron-friendly sentence (already translated); "" when nothing was decided.
    sentence: str = ""
    #: The decision in the API's JSON shape (``links``, ``holding``, ``rota``...).
    decision: dict[str, Any] = field(default_factory=dict)
    #: The portal's own availability (used when there is no decision).
    availability: Availability = field(default_factory=Availability)

    @property
    def links(self) -> list[dict[str, Any]]:
        return list(self.decision.get("links") or [])

    @property
    def holding(self) -> dict[str, Any] | None:
        return self.decision.get("holding")

    @property
    def lenders(self) -> int:
        return len(self.decision.get("rota") or [])


def get_it(payload: dict[str, Any], code: str) -> GetIt:
    """The "Get it" box for the record ``payload`` and the patron's library ``code``."""
    found = GetIt("", availability=availability(payload, code))
    if not code:
        return found
    try:
        router = get_router()
        if code not in router.members_file.members or router.items is None:
            return found
        item = router.items.by_record_id(str(payload.get("id", "")))
        if item is None:
            return found
        needs = Needs(format=item.format or "book")
        decision = decision_json(router.decide(item, code, needs))
        currency = router.members_file.consortium.currency
    except (RoutingError, BackendError, OSError) as exc:
        log.warning(
            "get-it: no decision for record %s, library %s: %s", payload.get("id"), code, exc
        )
        return found
    found.kind = decision["kind"]
    found.decision = decision
    found.sentence = describe(decision, currency)
    return found


def describe(decision: dict[str, Any], currency: str = "CNY") -> str:
    """The decision (API JSON shape) as one or two sentences for the patron."""
    kind = decision.get("kind")
    if kind == "fulltext":
        count = len(decision.get("links") or [])
        return ngettext(
            "You can read it online now (%(count)s link).",
            "You can read it online now (%(count)s links).",
            count,
            count=format_decimal(count),
        )
    if kind == "local":
        holding = decision.get("holding") or {}
        where = ", ".join(p for p in (holding.get("location"), holding.get("call_number")) if p)
        if where:
            return gettext("It is on the shelf at your library: %(where)s.", where=where)
        return gettext("It is on the shelf at your library.")
    if kind == "lend":
        return _lend_sentence(decision.get("rota") or [], currency)
    return gettext(
        "No member library can supply it at present. You can still ask: your library "
        "will consider buying it."
    )


def _lend_sentence(rota: list[dict[str, Any]], currency: str) -> str:
    count = len(rota)
    text = ngettext(
        "%(count)s member library can send it to you.",
        "%(count)s member libraries can send it to you.",
        count,
        count=format_decimal(count),
    )
    facts = rota[0].get("facts") or {} if rota else {}
    days = facts.get("delivery_days")
    if isinstance(days, int | float) and days > 0:
        shown = max(1, round(float(days)))
        text += " " + ngettext(
            "Expect it in about %(count)s day.",
            "Expect it in about %(count)s days.",
            shown,
            count=format_decimal(shown),
        )
    cost = facts.get("total_cost")
    if isinstance(cost, int | float) and cost > 0:
        text += " " + gettext(
            "Estimated cost: %(cost)s.", cost=format_currency(float(cost), currency)
        )
    return text
