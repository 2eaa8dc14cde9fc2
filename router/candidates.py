"""Candidate lenders: who could supply the item, who is excluded and why, and the rota.

:class:`RoutingContext` is everything a decision reads, prepared once per change of the
members, the network or the weights: each member's policy pre-digested into a
:class:`Profile` (sets, not lists), the member-to-member :class:`~router.network.DeliveryTable`
and the lenders' history. A decision is then lookups and arithmetic, no I/O and no
graph search.

Delivery: a copy goes electronically when the lender offers it and the patron accepts it
(no transit, no shipping); otherwise, and for every loan, by courier (the network's
quickest route) or by post (slower, cheaper). A loan pays the shipping both ways.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from mappings.coverage import covers
from mappings.schema import Library, Needs, RotaEntry
from router.members import Consortium, expand_dates
from router.network import DeliveryTable
from router.rank import LenderStats, Priors, Scales, Weights, score

if TYPE_CHECKING:
    from router.decision import Item

__all__ = ["UNAVAILABLE_STATUSES", "Profile", "RoutingContext", "rank_candidates"]

UNAVAILABLE_STATUSES = frozenset(
    {"missing", "lost", "withdrawn", "on loan", "checked out", "damaged"}
)


@dataclass(frozen=True, slots=True)
class Profile:
    """One member's lending policy as sets and numbers, ready for fast checks."""

    code: str
    name: str
    lends: bool
    loans: bool
    copies: bool
    formats: frozenset[str]
    fees: Mapping[str, float]
    payment: frozenset[str]
    delivery: frozenset[str]
    processing_days: float
    closed: frozenset[date]
    partners: frozenset[str]

    @classmethod
    def of(cls, library: Library, consortium_closed: frozenset[date] = frozenset()) -> Profile:
        policy = library.policy
        return cls(
            code=library.code,
            name=library.name_en or library.name_zh,
            lends=policy.lends,
            loans=policy.loans,
            copies=policy.copies,
            formats=frozenset(policy.formats),
            fees=dict(policy.fees),
            payment=frozenset(policy.payment_methods),
            delivery=frozenset(policy.delivery_methods),
            processing_days=policy.processing_days,
            closed=expand_dates(policy.closed_dates) | consortium_closed,
            partners=frozenset(library.partner_groups),
        )


@dataclass(slots=True)
class RoutingContext:
    """What decisions read: members' profiles, the delivery table, weights and history."""

    profiles: dict[str, Profile]
    table: DeliveryTable
    consortium: str = "CONSORTIUM"
    currency: str = "CNY"
    weights: Weights = field(default_factory=Weights)
    stats: Mapping[str, LenderStats] = field(default_factory=dict)
    scales: Scales = field(default_factory=Scales)
    priors: Priors = field(default_factory=Priors)

    @classmethod
    def build(
        cls,
        members: Mapping[str, Library],
        table: DeliveryTable,
        consortium: Consortium | None = None,
        **options: object,
    ) -> RoutingContext:
        consortium = consortium or Consortium()
        closed = expand_dates(consortium.closed_dates)
        profiles = {code: Profile.of(lib, closed) for code, lib in members.items()}
        return cls(
            profiles,
            table,
            consortium.code,
            consortium.currency,
            **options,  # type: ignore[arg-type]
        )

    def label(self, code: str) -> str:
        profile = self.profiles.get(code)
        return f"{profile.name} ({code})" if profile else code


@dataclass(slots=True)
class _Offer:
    """One way a library could supply: from print, or electronically under an ILL licence."""

    library: str
    electronic: bool
    print_too: bool = False


def _offers(item: Item, borrower: str, today: date) -> tuple[list[_Offer], list[dict[str, str]]]:
    """Every library holding the item, once each; an ILL e-licence beats print for copies."""
    offers: dict[str, _Offer] = {}
    unavailable: dict[str, str] = {}
    for holding in item.holdings:
        if holding.kind != "print" or holding.library in offers:
            continue
        status = holding.status.strip().lower()
        if status in UNAVAILABLE_STATUSES:
            unavailable.setdefault(holding.library, status)
        else:
            offers[holding.library] = _Offer(holding.library, electronic=False)
    for line in item.eholdings:
        if not line.ill_allowed or line.library == borrower:
            continue
        known = offers.get(line.library)
        if known is not None and known.electronic:
            continue
        if covers(line, year=item.year, volume=item.volume, issue=item.issue, today=today):
            offers[line.library] = _Offer(
                line.library, electronic=True, print_too=known is not None
            )
    excluded = [
        {"library": code, "reason": f"its copy is {status}"}
        for code, status in unavailable.items()
        if code not in offers and code != borrower
    ]
    return list(offers.values()), excluded


def rank_candidates(
    item: Item, borrower: str, needs: Needs, ctx: RoutingContext, *, today: date
) -> tuple[list[RotaEntry], list[dict[str, str]]]:
    """The rota (best first) and the excluded libraries with the reason for each."""
    offers, excluded = _offers(item, borrower, today)
    home = ctx.profiles.get(borrower)
    fmt = needs.format or item.format or "book"
    needed_by = date.fromisoformat(needs.needed_by) if needs.needed_by else None
    scored: list[tuple[float, float, str, RotaEntry]] = []
    for offer in offers:
        entry_or_reason = _consider(offer, borrower, home, fmt, needs, needed_by, ctx, today)
        if isinstance(entry_or_reason, str):
            excluded.append({"library": offer.library, "reason": entry_or_reason})
        else:
            entry = entry_or_reason
            scored.append((-entry.score, entry.facts["total_cost"], entry.library, entry))
    scored.sort(key=lambda row: row[:3])
    rota = [row[3] for row in scored]
    for rank, entry in enumerate(rota, start=1):
        entry.rank = rank
    return rota, excluded


def _consider(
    offer: _Offer,
    borrower: str,
    home: Profile | None,
    fmt: str,
    needs: Needs,
    needed_by: date | None,
    ctx: RoutingContext,
    today: date,
) -> RotaEntry | str:
    """A scored rota entry for this offer, or the reason it is excluded."""
    code = offer.library
    if code == borrower:
        return "is the requesting library"
    lender = ctx.profiles.get(code)
    if lender is None:
        return "is not a member of the consortium"
    reason = _policy_refusal(lender, offer, fmt, needs)
    if reason:
        return reason
    method, days, shipping = _delivery(offer, lender, borrower, needs, ctx.table)
    if not method:
        return _no_delivery(offer, lender, needs)
    fee = lender.fees.get(fmt, 0.0)
    if fee > 0 and home is not None and home.payment and not (home.payment & lender.payment):
        return f"accepts {', '.join(sorted(lender.payment)) or 'no payment'} only"
    total = fee + shipping
    if needs.max_cost is not None and total > needs.max_cost:
        return (
            f"costs {total:.2f} {ctx.currency} (fee {fee:.2f} + shipping {shipping:.2f}), "
            f"more than the maximum {needs.max_cost:.2f}"
        )
    if today in lender.closed:
        return f"is closed today ({today.isoformat()})"
    eta = lender.processing_days + days
    if needed_by is not None and today + timedelta(days=eta) > needed_by:
        return f"would deliver in about {eta:.1f} days, after the needed-by date {needed_by}"
    home_groups = home.partners if home is not None else frozenset()
    shared = home_groups & lender.partners
    value, components = score(
        cost=total,
        days=eta,
        processing_days=lender.processing_days,
        stats=ctx.stats.get(code),
        partner=bool(shared),
        weights=ctx.weights,
        scales=ctx.scales,
        priors=ctx.priors,
    )
    facts = {
        "fee": fee,
        "shipping": shipping,
        "total_cost": round(total, 2),
        "processing_days": lender.processing_days,
        "transit_days": days,
        "delivery_days": round(eta, 3),
        "delivery": method,
        "source": "electronic" if offer.electronic else "print",
        "partner_groups": sorted(shared),
    }
    return RotaEntry(code, 0, round(value, 4), components, facts, _reason(facts, ctx.currency))


def _policy_refusal(lender: Profile, offer: _Offer, fmt: str, needs: Needs) -> str:
    if not lender.lends:
        return "does not lend to other libraries"
    if fmt not in lender.formats:
        return f"does not supply {fmt}s"
    if needs.service == "loan":
        if not lender.loans:
            return "supplies copies only, no loans"
        if offer.electronic and not offer.print_too:
            return "holds it electronically only, which cannot be lent as a loan"
    elif not lender.copies:
        return "lends returnable items only, no copies"
    return ""


def _delivery(
    offer: _Offer, lender: Profile, borrower: str, needs: Needs, table: DeliveryTable
) -> tuple[str, float, float]:
    """``(method, transit days, shipping cost)``; method ``""`` when nothing fits."""
    if needs.service == "copy" and needs.electronic_ok and "electronic" in lender.delivery:
        return "electronic", 0.0, 0.0
    if offer.electronic and not offer.print_too:
        return "", 0.0, 0.0
    try:
        days, cost = table.get(lender.code, borrower)
    except KeyError:
        return "", 0.0, 0.0
    trips = 2 if needs.service == "loan" else 1
    if "courier" in lender.delivery:
        return "courier", days, round(cost * trips, 2)
    if "post" in lender.delivery:
        return (
            "post",
            round(days * table.post_days_factor, 3),
            round(cost * table.post_cost_factor * trips, 2),
        )
    return "", 0.0, 0.0


def _no_delivery(offer: _Offer, lender: Profile, needs: Needs) -> str:
    if offer.electronic and not offer.print_too:
        if not needs.electronic_ok:
            return "holds it electronically only, and the patron needs print"
        return "holds it electronically only but does not deliver electronically"
    if lender.delivery == {"electronic"}:
        if needs.service == "loan":
            return "delivers electronically only, which cannot carry a loan"
        return "delivers electronically only, and the patron needs print"
    return "has no delivery method for this request"


def _reason(facts: dict[str, Any], currency: str) -> str:
    how = {
        ("electronic", "electronic"): "copy from its e-licence (ILL allowed), sent electronically",
        ("print", "electronic"): "scan of its print copy, sent electronically",
    }.get((facts["source"], facts["delivery"]), f"its print copy by {facts['delivery']}")
    text = (
        f"{how}, about {facts['delivery_days']:g} days, {facts['total_cost']:.2f} {currency} "
        f"(fee {facts['fee']:.2f} + shipping {facts['shipping']:.2f})"
    )
    if facts["partner_groups"]:
        text += f", partner ({', '.join(facts['partner_groups'])})"
    return text
