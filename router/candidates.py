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
from typing import TYPE_CHECKING

from mappings.coverage import covers
from mappings.schema import Library, Needs, RotaEntry
from router.members import Consortium, expand_dates
from router.network import DeliveryTable
from router.rank import LenderStats, Priors, Scales, Weights, fill_rate, turnaround

if TYPE_CHECKING:
    from router.decision import Item

__all__ = ["UNAVAILABLE_STATUSES", "Profile", "RoutingContext", "rank_candidates"]

UNAVAILABLE_STATUSES = frozenset(
    {"missing", "lost", "withdrawn", "on loan", "checked out", "damaged"}
)


@dataclass(frozen=True, slots=True)
class Profile:
    """One member's lending policy as sets and numbers, ready for fast checks.

    The words and flags a decision needs for every candidate (how it can deliver, what
    it accepts in payment) are worked out here once, when the members load.
    """

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
    electronic: bool = False
    courier: bool = False
    post: bool = False
    payment_text: str = "no payment"

    @classmethod
    def of(cls, library: Library, consortium_closed: frozenset[date] = frozenset()) -> Profile:
        policy = library.policy
        delivery = frozenset(policy.delivery_methods)
        payment = frozenset(policy.payment_methods)
        return cls(
            code=library.code,
            name=library.name_en or library.name_zh,
            lends=policy.lends,
            loans=policy.loans,
            copies=policy.copies,
            formats=frozenset(policy.formats),
            fees=dict(policy.fees),
            payment=payment,
            delivery=delivery,
            processing_days=policy.processing_days,
            closed=expand_dates(policy.closed_dates) | consortium_closed,
            partners=frozenset(library.partner_groups),
            electronic="electronic" in delivery,
            courier="courier" in delivery,
            post="post" in delivery,
            payment_text=", ".join(sorted(payment)) or "no payment",
        )


@dataclass(slots=True)
class RoutingContext:
    """What decisions read: members' profiles, the delivery table, weights and history.

    ``stats``, ``weights``, ``scales`` and ``priors`` may be replaced at any time (the
    service swaps in fresh history); the per-lender parts of the score that depend only
    on them are cached and recomputed when any of them is a different object.
    """

    profiles: dict[str, Profile]
    table: DeliveryTable
    consortium: str = "CONSORTIUM"
    currency: str = "CNY"
    weights: Weights = field(default_factory=Weights)
    stats: Mapping[str, LenderStats] = field(default_factory=dict)
    scales: Scales = field(default_factory=Scales)
    priors: Priors = field(default_factory=Priors)
    _parts: dict[str, tuple[float, float, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _parts_of: tuple[object, ...] = field(default=(), init=False, repr=False, compare=False)

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

    def lender_parts(self, lender: Profile) -> tuple[float, float, float]:
        """``(turnaround, fill_rate, load)`` components of ``lender`` (cached, see above)."""
        of = self._parts_of
        if (
            not of
            or of[0] is not self.stats
            or of[1] is not self.scales
            or of[2] is not self.priors
        ):
            self._parts = {}
            self._parts_of = (self.stats, self.scales, self.priors)
        parts = self._parts.get(lender.code)
        if parts is None:
            stats = self.stats.get(lender.code) or _NO_HISTORY
            scales, priors, sd = self.scales, self.priors, self.scales.days
            parts = (
                sd / (sd + turnaround(stats, lender.processing_days, priors)),
                fill_rate(stats, priors),
                scales.load / (scales.load + stats.load),
            )
            self._parts[lender.code] = parts
        return parts


def _offers(
    item: Item, borrower: str, today: date
) -> tuple[dict[str, tuple[bool, bool]], list[dict[str, str]]]:
    """Every library holding the item, once each, as ``{library: (electronic, print_too)}``.

    An ILL e-licence that covers the item beats print for copies.
    """
    offers: dict[str, tuple[bool, bool]] = {}
    unavailable: dict[str, str] = {}
    for holding in item.holdings:
        library = holding.library
        if holding.kind != "print" or library in offers:
            continue
        status = holding.status
        if status and (status := status.strip().lower()) in UNAVAILABLE_STATUSES:
            unavailable.setdefault(library, status)
        else:
            offers[library] = _PRINT
    for line in item.eholdings:
        if not line.ill_allowed or line.library == borrower:
            continue
        known = offers.get(line.library)
        if known is not None and known[0]:
            continue
        if covers(line, year=item.year, volume=item.volume, issue=item.issue, today=today):
            offers[line.library] = (True, known is not None)
    excluded = [
        {"library": code, "reason": f"its copy is {status}"}
        for code, status in unavailable.items()
        if code not in offers and code != borrower
    ]
    return offers, excluded


_PRINT = (False, False)
_NO_HISTORY = LenderStats()
_HOME_LESS = Profile(
    "",
    "",
    False,
    False,
    False,
    frozenset(),
    {},
    frozenset(),
    frozenset(),
    0.0,
    frozenset(),
    frozenset(),
)


def rank_candidates(
    item: Item, borrower: str, needs: Needs, ctx: RoutingContext, *, today: date
) -> tuple[list[RotaEntry], list[dict[str, str]]]:
    """The rota (best first) and the excluded libraries with the reason for each."""
    offers, excluded = _offers(item, borrower, today)
    request = _Request(
        borrower,
        ctx.profiles.get(borrower),
        needs.format or item.format or "book",
        needs,
        date.fromisoformat(needs.needed_by) if needs.needed_by else None,
        today,
    )
    scored: list[tuple[float, float, str, RotaEntry]] = []
    for code, (electronic, print_too) in offers.items():
        entry_or_reason = _consider(code, electronic, print_too, request, ctx)
        if entry_or_reason.__class__ is str:
            excluded.append({"library": code, "reason": entry_or_reason})  # type: ignore[dict-item]
        else:
            entry: RotaEntry = entry_or_reason  # type: ignore[assignment]
            scored.append((-entry.score, entry.facts["total_cost"], code, entry))
    scored.sort(key=_RANK_KEY)
    rota = [row[3] for row in scored]
    for rank, entry in enumerate(rota, start=1):
        entry.rank = rank
    return rota, excluded


def _RANK_KEY(row: tuple[float, float, str, RotaEntry]) -> tuple[float, float, str]:  # noqa: N802
    return row[0], row[1], row[2]


@dataclass(slots=True)
class _Request:
    """The parts of a request every candidate is checked against, worked out once."""

    borrower: str
    home: Profile | None
    fmt: str
    needs: Needs
    needed_by: date | None
    today: date


def _consider(
    code: str, electronic: bool, print_too: bool, request: _Request, ctx: RoutingContext
) -> RotaEntry | str:
    """A scored rota entry for this offer, or the reason it is excluded."""
    if code == request.borrower:
        return "is the requesting library"
    lender = ctx.profiles.get(code)
    if lender is None:
        return "is not a member of the consortium"
    needs, fmt = request.needs, request.fmt
    reason = _policy_refusal(lender, electronic, print_too, fmt, needs)
    if reason:
        return reason
    method, days, shipping = _delivery(
        electronic, print_too, lender, request.borrower, needs, ctx.table
    )
    if not method:
        return _no_delivery(electronic, print_too, lender, needs)
    fee = lender.fees.get(fmt, 0.0)
    home = request.home or _HOME_LESS
    if fee > 0 and home.payment and not (home.payment & lender.payment):
        return f"accepts {lender.payment_text} only"
    total = fee + shipping
    if needs.max_cost is not None and total > needs.max_cost:
        return (
            f"costs {total:.2f} {ctx.currency} (fee {fee:.2f} + shipping {shipping:.2f}), "
            f"more than the maximum {needs.max_cost:.2f}"
        )
    today = request.today
    if today in lender.closed:
        return f"is closed today ({today.isoformat()})"
    eta = lender.processing_days + days
    needed_by = request.needed_by
    if needed_by is not None and today + timedelta(days=eta) > needed_by:
        return f"would deliver in about {eta:.1f} days, after the needed-by date {needed_by}"
    shared = home.partners & lender.partners
    return _entry(code, lender, ctx, fee, shipping, total, days, eta, method, electronic, shared)


def _entry(
    code: str,
    lender: Profile,
    ctx: RoutingContext,
    fee: float,
    shipping: float,
    total: float,
    days: float,
    eta: float,
    method: str,
    electronic: bool,
    shared: frozenset[str],
) -> RotaEntry:
    """The scored rota entry: the same arithmetic as :func:`router.rank.score`, inlined."""
    turn, fill, load = ctx.lender_parts(lender)
    scales, w = ctx.scales, ctx.weights
    sd = scales.days
    components = {
        "cost": scales.cost / (scales.cost + total),
        "time": sd / (sd + eta),
        "turnaround": turn,
        "fill_rate": fill,
        "load": load,
        "partner": 1.0 if shared else 0.0,
    }
    value = (
        w.cost * components["cost"]
        + w.time * components["time"]
        + w.turnaround * turn
        + w.fill_rate * fill
        + w.load * load
        + w.partner * components["partner"]
    ) / w.total
    source = "electronic" if electronic else "print"
    total_cost, delivery_days = round(total, 2), round(eta, 3)
    partner_groups = sorted(shared) if shared else []
    facts = {
        "fee": fee,
        "shipping": shipping,
        "total_cost": total_cost,
        "processing_days": lender.processing_days,
        "transit_days": days,
        "delivery_days": delivery_days,
        "delivery": method,
        "source": source,
        "partner_groups": partner_groups,
    }
    how = _HOW.get((source, method)) or f"its print copy by {method}"
    reason = (
        f"{how}, about {delivery_days:g} days, {total_cost:.2f} {ctx.currency} "
        f"(fee {fee:.2f} + shipping {shipping:.2f})"
    )
    if partner_groups:
        reason += f", partner ({', '.join(partner_groups)})"
    return RotaEntry(code, 0, round(value, 4), components, facts, reason)


def _policy_refusal(
    lender: Profile, electronic: bool, print_too: bool, fmt: str, needs: Needs
) -> str:
    if not lender.lends:
        return "does not lend to other libraries"
    if fmt not in lender.formats:
        return f"does not supply {fmt}s"
    if needs.service == "loan":
        if not lender.loans:
            return "supplies copies only, no loans"
        if electronic and not print_too:
            return "holds it electronically only, which cannot be lent as a loan"
    elif not lender.copies:
        return "lends returnable items only, no copies"
    return ""


def _delivery(
    electronic: bool,
    print_too: bool,
    lender: Profile,
    borrower: str,
    needs: Needs,
    table: DeliveryTable,
) -> tuple[str, float, float]:
    """``(method, transit days, shipping cost)``; method ``""`` when nothing fits."""
    if lender.electronic and needs.electronic_ok and needs.service == "copy":
        return "electronic", 0.0, 0.0
    if electronic and not print_too:
        return "", 0.0, 0.0
    try:
        days, cost = table.get(lender.code, borrower)
    except KeyError:
        return "", 0.0, 0.0
    trips = 2 if needs.service == "loan" else 1
    if lender.courier:
        return "courier", days, round(cost * trips, 2)
    if lender.post:
        return (
            "post",
            round(days * table.post_days_factor, 3),
            round(cost * table.post_cost_factor * trips, 2),
        )
    return "", 0.0, 0.0


def _no_delivery(electronic: bool, print_too: bool, lender: Profile, needs: Needs) -> str:
    if electronic and not print_too:
        if not needs.electronic_ok:
            return "holds it electronically only, and the patron needs print"
        return "holds it electronically only but does not deliver electronically"
    if lender.delivery == {"electronic"}:
        if needs.service == "loan":
            return "delivers electronically only, which cannot carry a loan"
        return "delivers electronically only, and the patron needs print"
    return "has no delivery method for this request"


_HOW = {
    ("electronic", "electronic"): "copy from its e-licence (ILL allowed), sent electronically",
    ("print", "electronic"): "scan of its print copy, sent electronically",
    ("print", "courier"): "its print copy by courier",
    ("print", "post"): "its print copy by post",
}
