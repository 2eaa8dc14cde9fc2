"""The staff "what if": re-score a stored request with other weights, side by side.

Both decisions are made *now*, from the same routing context (members, delivery table,
lenders' history), one with the router's weights and one with the weights asked for, so
every difference in the ranking comes from the weights alone. Nothing is written: a
staff member who likes the new order re-routes the request by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mappings.errors import RoutingError
from mappings.schema import Decision
from router.decision import Item
from router.rank import COMPONENTS, Weights
from router.requests import parse_citation, parse_needs
from router.service import Router

__all__ = ["Rescored", "WhatIf", "item_for", "what_if"]


@dataclass(frozen=True, slots=True)
class Rescored:
    """One candidate lender under both weightings."""

    library: str
    rank: int | None  # with the router's weights (None: not in that rota)
    score: float | None
    new_rank: int | None
    new_score: float | None
    components: dict[str, float]

    @property
    def moved(self) -> int:
        """Places gained (positive) or lost (negative) with the new weights."""
        if self.rank is None or self.new_rank is None:
            return 0
        return self.rank - self.new_rank


@dataclass(slots=True)
class WhatIf:
    weights: dict[str, float]
    new_weights: dict[str, float]
    kind: str
    rows: list[Rescored] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(row.rank != row.new_rank for row in self.rows)


def item_for(router: Router, stored: dict[str, Any]) -> Item:
    """The item a stored request asked for, looked up again in the catalogue."""
    asked = stored.get("request") or {}
    if router.items is None:
        raise RoutingError("no catalogue is configured to look the request up again")
    if asked.get("record_id"):
        item = router.items.by_record_id(str(asked["record_id"]))
        if item is None:
            raise RoutingError(f"record {asked['record_id']!r} is no longer in the catalogue")
        return item
    if asked.get("citation"):
        return router.items.by_citation(parse_citation(asked["citation"]))
    raise RoutingError("the request has neither a record id nor a citation")


def what_if(router: Router, stored: dict[str, Any], weights: Weights) -> WhatIf:
    """Decide ``stored`` again with the router's weights and with ``weights``."""
    item = item_for(router, stored)
    needs = parse_needs((stored.get("request") or {}).get("needs") or {})
    if not needs.format:
        needs.format = item.format or "book"
    needs.service = stored.get("service") or needs.service
    borrower = stored["borrower"]
    before = router.decide(item, borrower, needs)
    after = router.decide(item, borrower, needs, weights=weights)
    return WhatIf(
        weights=router.weights.as_dict(),
        new_weights=weights.as_dict(),
        kind=after.kind,
        rows=_compare(before, after),
        excluded=list(after.excluded),
        explanation=list(after.explanation),
    )


def _compare(before: Decision, after: Decision) -> list[Rescored]:
    old = {entry.library: entry for entry in before.rota}
    rows = []
    for entry in after.rota:
        was = old.get(entry.library)
        rows.append(
            Rescored(
                library=entry.library,
                rank=was.rank if was else None,
                score=round(was.score, 4) if was else None,
                new_rank=entry.rank,
                new_score=round(entry.score, 4),
                components={k: round(entry.components.get(k, 0.0), 4) for k in COMPONENTS},
            )
        )
    return rows
