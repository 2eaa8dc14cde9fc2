"""The router as one object: members, network, delivery table, history, ledger, item lookup.

:class:`Router` keeps the :class:`~router.candidates.RoutingContext` current: it rebuilds
the member profiles and the delivery table when the members file (or the network file)
changes, and refreshes the lenders' history from the ledger every ``stats_ttl`` seconds.
Decisions themselves are pure functions of that context (:func:`router.decision.decide`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import requests

from mappings.schema import Citation, Decision, Needs
from router.actors import PATRON, Actor
from router.api_keys import ApiKeys
from router.business_days import add_business_days
from router.candidates import RoutingContext
from router.decision import Item, decide, item_from_citation, item_from_payload
from router.iso18626_outbox import Outbox
from router.ledger import Ledger, utcnow
from router.members import MembersFile, default_members_path
from router.network import SAMPLE_NETWORK, DeliveryNetwork
from router.rank import Weights
from router.requests import RequestError, parse_citation, parse_needs

__all__ = ["CatalogItems", "ItemSource", "Router", "default_network_path"]

log = logging.getLogger(__name__)


class ItemSource(Protocol):
    """Where the router finds holdings and links for what a patron asks for."""

    def by_record_id(self, record_id: str) -> Item | None: ...

    def by_citation(self, citation: Citation) -> Item: ...


def default_network_path(environ: dict[str, str] | None = None) -> Path:
    """``$EFIRST_DATA_DIR/network.toml`` when it exists, else the bundled sample network."""
    env = os.environ if environ is None else environ
    candidate = Path(env.get("EFIRST_DATA_DIR") or "./var") / "network.toml"
    return candidate if candidate.is_file() else SAMPLE_NETWORK


class CatalogItems:
    """Items from the search index (cluster payloads) and the e-holdings store (KBART)."""

    def __init__(
        self,
        get_payload: Callable[[str], dict[str, Any] | None],
        find_eholdings: Callable[..., list[Any]],
        search_ids: Callable[[Citation], list[str]] | None = None,
    ) -> None:
        self.get_payload = get_payload
        self.find_eholdings = find_eholdings
        self.search_ids = search_ids

    def _eholdings(self, issn: list[str], isbn: list[str], doi: str) -> list[Any]:
        if not (issn or isbn or doi):
            return []
        return self.find_eholdings(issn=issn, isbn=isbn, doi=doi)

    def by_record_id(self, record_id: str) -> Item | None:
        payload = self.get_payload(record_id)
        if payload is None:
            return None
        lines = self._eholdings(payload.get("issn") or [], payload.get("isbn") or [], "")
        return item_from_payload(payload, lines)

    def by_citation(self, citation: Citation) -> Item:
        lines = self._eholdings(citation.issn, citation.isbn, citation.doi)
        for record_id in self.search_ids(citation) if self.search_ids else []:
            payload = self.get_payload(record_id)
            if payload is not None:
                return item_from_payload(payload, lines, citation)
        return item_from_citation(citation, eholdings=lines)


class Router:
    """Members + network + ledger: decide, record, advance and time out requests."""

    def __init__(
        self,
        ledger: Ledger | str | Path,
        *,
        members: MembersFile | str | Path | None = None,
        network_path: str | Path | None = None,
        weights: Weights | None = None,
        items: ItemSource | None = None,
        clock: Callable[[], datetime] = utcnow,
        stats_ttl: float = 30.0,
        http: requests.Session | None = None,
    ) -> None:
        self.members_file = (
            members
            if isinstance(members, MembersFile)
            else MembersFile(members or default_members_path())
        )
        self.network_path = Path(network_path or default_network_path())
        self.weights = weights or Weights()
        self.items = items
        self.clock = clock
        self.stats_ttl = stats_ttl
        self._lock = threading.Lock()
        self._context: RoutingContext | None = None
        self._built_for: tuple[int, int] = (-1, -1)
        self._stats_at = float("-inf")
        if not isinstance(ledger, Ledger):
            ledger = Ledger(ledger, clock=clock, deadline_for=self.deadline_for)
        else:
            ledger.deadline_for = self.deadline_for
        self.ledger = ledger
        self.api_keys = ApiKeys(ledger)
        self.outbox = Outbox(self, http)
        #: who is acting now when a caller names nobody (the web app's signed-in staff
        #: member; set by :func:`router.api.init_app`). None: nobody known.
        self.actor_source: Callable[[], Actor | None] = lambda: None

    # -- the routing context -----------------------------------------------------------

    def context(self) -> RoutingContext:
        """The current context: rebuilt on members/network change, history refreshed."""
        members = self.members_file.members
        stamp = (self.members_file.version, self.network_path.stat().st_mtime_ns)
        with self._lock:
            if self._context is None or stamp != self._built_for:
                network = DeliveryNetwork.from_file(self.network_path, members)
                self._context = RoutingContext.build(
                    members, network.table(), self.members_file.consortium, weights=self.weights
                )
                self._built_for = stamp
                self._stats_at = float("-inf")
                log.info("routing context rebuilt for %d members", len(members))
            if time.monotonic() - self._stats_at >= self.stats_ttl:
                self._context.stats = self.ledger.lender_stats()
                self._stats_at = time.monotonic()
            return self._context

    def refresh_stats(self) -> None:
        """Read the lenders' history from the ledger at the next decision."""
        self._stats_at = float("-inf")

    def deadline_for(self, library: str, start: datetime) -> datetime:
        """When ``library`` must have answered a request sent at ``start`` (business days)."""
        member = self.members_file.members.get(library)
        days = member.policy.timeout_days if member else 3
        profile = (self._context or self.context()).profiles.get(library)
        closed = profile.closed if profile else frozenset()
        return add_business_days(start, days, closed, self.members_file.consortium.zone)

    def today(self) -> date:
        """Today on the consortium's calendar (its ``timezone``)."""
        return self.clock().astimezone(self.members_file.consortium.zone).date()

    # -- decisions and requests --------------------------------------------------------

    def decide(
        self,
        item: Item,
        borrower: str,
        needs: Needs,
        *,
        today: date | None = None,
        weights: Weights | None = None,
    ) -> Decision:
        """The decision, optionally re-scored with other weights (the staff "what if")."""
        ctx = self.context()
        if weights is not None:
            ctx = RoutingContext(
                ctx.profiles,
                ctx.table,
                ctx.consortium,
                ctx.currency,
                weights,
                ctx.stats,
                ctx.scales,
                ctx.priors,
            )
        return decide(item, borrower, needs, ctx, today=today or self.today())

    def check_borrower(self, library: str) -> None:
        """Raise :class:`~router.requests.RequestError` (field ``library``) unless
        ``library`` is a member that may borrow."""
        if library not in self.members_file.members:
            raise RequestError(f"{library!r} is not a member library", field="library")

    def create_request(
        self, library: str, asked: dict[str, Any], *, by: Actor | None = None
    ) -> dict[str, Any]:
        """Look up, decide and record what a patron of ``library`` asked for: the one path
        of ``POST /api/v1/requests`` and of the portal's request form.

        Parameters
        ----------
        library:
            The borrowing member's code.
        asked:
            The request as it is stored: ``needs`` (:func:`~router.requests.parse_needs`)
            and exactly one of ``record_id`` (a catalogue record) or ``citation``
            (:func:`~router.requests.parse_citation`); other keys (``channel``) are kept.
        by:
            Who asked (default: the signed-in staff member, else a patron).

        Returns
        -------
        dict
            The stored request (:meth:`router.ledger.Ledger.get`'s shape).

        Raises
        ------
        RequestError
            Not a member (field ``library``); bad needs or citation (their field);
            neither or both of ``record_id`` and ``citation``; no catalogue configured
            (status 503); no such record (status 404).
        """
        self.check_borrower(library)
        needs = parse_needs(asked.get("needs", {}))
        has_citation, has_record = "citation" in asked, "record_id" in asked
        if has_citation == has_record:
            raise RequestError("give either a citation or a record_id", field="citation")
        if self.items is None:
            raise RequestError("no catalogue is configured", field=None, status=503)
        if has_record:
            record_id = asked["record_id"]
            if not isinstance(record_id, str) or not record_id:
                raise RequestError("must be a record id", field="record_id")
            item = self.items.by_record_id(record_id)
            if item is None:
                raise RequestError(f"no record {record_id!r}", field="record_id", status=404)
        else:
            item = self.items.by_citation(parse_citation(asked["citation"]))
        if not needs.format:
            needs.format = item.format or "book"
        return self.submit(library, item, needs, asked, by=by)

    def submit(
        self,
        borrower: str,
        item: Item,
        needs: Needs,
        request: dict[str, Any],
        *,
        by: Actor | None = None,
    ) -> dict[str, Any]:
        """Decide and record a request; a lend decision is sent to its first lender."""
        decision = self.decide(item, borrower, needs)
        return self.record(borrower, request, decision_json(decision), needs.service, by=by)

    def record(
        self,
        borrower: str,
        request: dict[str, Any],
        decision: dict[str, Any],
        service: str,
        request_id: str | None = None,
        *,
        by: Actor | None = None,
    ) -> dict[str, Any]:
        """Store a decided request (see :meth:`router.ledger.Ledger.create`), then tell
        the lender when it speaks ISO 18626 (:mod:`router.iso18626_outbox`).

        ``by``: who asked; by default the signed-in staff member, else a patron."""
        stored = self.ledger.create(
            borrower=borrower,
            request=request,
            decision=decision,
            service=service,
            request_id=request_id,
            by=by or self.actor_source() or PATRON,
        )
        self.refresh_stats()
        return self.outbox.after_change(stored)

    def event(
        self, request_id: str, event: str, *, by: Actor | None = None, **details: Any
    ) -> dict[str, Any]:
        """Apply one event (see :meth:`router.ledger.Ledger.apply`), then send the ISO
        18626 messages it calls for. ``by``: who acted; by default the signed-in staff
        member (the scheduler's events are the system's)."""
        if by is None and not details.get("system"):
            by = self.actor_source()
        result = self.ledger.apply(request_id, event, by=by, **details)
        self.refresh_stats()
        if result.get("duplicate"):
            return result
        return self.outbox.after_change(result)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Apply passed timeouts and retry unsent ISO 18626 messages; returns the
        requests moved on."""
        self.context()
        moved = self.ledger.tick(now)
        self.refresh_stats()
        for request_id in moved:
            self.outbox.after_change(self.ledger.get(request_id), deliver=False)
        self.outbox.deliver(now)
        return moved


def decision_json(decision: Decision) -> dict[str, Any]:
    """The decision as the API returns it (``rota`` entries keep their reasons and facts)."""
    data = asdict(decision)
    data["rota"] = [
        {
            "library": e.library,
            "rank": e.rank,
            "score": e.score,
            "components": {k: round(v, 4) for k, v in e.components.items()},
            "facts": e.facts,
            "reason": e.reason,
        }
        for e in decision.rota
    ]
    return data
