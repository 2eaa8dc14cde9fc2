"""Scoring lenders: configurable weights over cost, time, turnaround, fill rate, load, partners.

Every component is a number in [0, 1] where 1 is best, so weights mean what they say and
staff can compare lenders component by component:

======================  ==========================================================
component               value
======================  ==========================================================
``cost``                ``c / (c + fee + shipping)``, ``c`` = ``Scales.cost``
``time``                ``d / (d + processing + transit days)``
``turnaround``          ``d / (d + measured turnaround)``; the measurement is
                        shrunk towards the lender's expected time (a prior worth
                        ``Priors.turnaround_weight`` requests) so a new member is
                        neither punished nor favoured for its short history
``fill_rate``           ``(filled + a) / (answered + a + b)`` (a Beta prior,
                        ``Priors.fill_alpha`` / ``fill_beta``)
``load``                ``l / (l + requests open with the lender now)``
``partner``             1 when the lender shares a partner group with the borrower
======================  ==========================================================

The score is the weighted mean of the components (0..1). The ledger supplies the
history (:class:`LenderStats`); :func:`score` turns one candidate into its components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mappings.errors import RoutingError

__all__ = [
    "COMPONENTS",
    "LenderStats",
    "Priors",
    "Scales",
    "Weights",
    "fill_rate",
    "score",
    "turnaround",
]

COMPONENTS = ("cost", "time", "turnaround", "fill_rate", "load", "partner")


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each component counts (any non-negative numbers; they are normalised)."""

    cost: float = 1.0
    time: float = 1.0
    turnaround: float = 0.5
    fill_rate: float = 1.5
    load: float = 0.5
    partner: float = 0.3

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, field_prefix: str = "weights") -> Weights:
        """Weights from JSON/TOML data; unknown names and bad values name the field."""
        values: dict[str, float] = {}
        for key, value in data.items():
            if key not in COMPONENTS:
                raise RoutingError(f"{field_prefix}.{key}: unknown weight")
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise RoutingError(f"{field_prefix}.{key}: must be a number >= 0")
            values[key] = float(value)
        weights = cls(**values)
        if weights.total <= 0:
            raise RoutingError(f"{field_prefix}: at least one weight must be above 0")
        return weights

    @property
    def total(self) -> float:
        # Written out (same order as the fields): this runs once per scored candidate.
        return self.cost + self.time + self.turnaround + self.fill_rate + self.load + self.partner

    def as_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in COMPONENTS}


@dataclass(frozen=True, slots=True)
class Scales:
    """The value at which a component is worth one half: 30 CNY, 3 days, 10 open requests."""

    cost: float = 30.0
    days: float = 3.0
    load: float = 10.0


@dataclass(frozen=True, slots=True)
class Priors:
    """What the router assumes of a lender before its history says otherwise."""

    fill_alpha: float = 4.0
    fill_beta: float = 1.0
    turnaround_weight: float = 3.0


@dataclass(slots=True)
class LenderStats:
    """A lender's history from the ledger: answers, supplies, turnaround, current load."""

    filled: int = 0
    unfilled: int = 0
    turnaround_days_total: float = 0.0
    turnaround_count: int = 0
    load: int = 0

    @property
    def answered(self) -> int:
        return self.filled + self.unfilled


_NO_HISTORY = LenderStats()


def fill_rate(stats: LenderStats, priors: Priors = Priors()) -> float:
    """Posterior mean fill rate: supplied / asked, with the Beta prior."""
    return (stats.filled + priors.fill_alpha) / (
        stats.answered + priors.fill_alpha + priors.fill_beta
    )


def turnaround(stats: LenderStats, expected_days: float, priors: Priors = Priors()) -> float:
    """Measured days from asking to shipping, shrunk towards ``expected_days``."""
    weight = priors.turnaround_weight
    return (stats.turnaround_days_total + expected_days * weight) / (
        stats.turnaround_count + weight
    )


def score(
    *,
    cost: float,
    days: float,
    processing_days: float,
    stats: LenderStats | None,
    partner: bool,
    weights: Weights,
    scales: Scales = Scales(),
    priors: Priors = Priors(),
) -> tuple[float, dict[str, float]]:
    """``(score, components)`` for one candidate; all in [0, 1], higher is better."""
    stats = stats or _NO_HISTORY
    sd = scales.days
    components = {
        "cost": scales.cost / (scales.cost + cost),
        "time": sd / (sd + days),
        "turnaround": sd / (sd + turnaround(stats, processing_days, priors)),
        "fill_rate": fill_rate(stats, priors),
        "load": scales.load / (scales.load + stats.load),
        "partner": 1.0 if partner else 0.0,
    }
    total = (
        weights.cost * components["cost"]
        + weights.time * components["time"]
        + weights.turnaround * components["turnaround"]
        + weights.fill_rate * components["fill_rate"]
        + weights.load * components["load"]
        + weights.partner * components["partner"]
    )
    return total / weights.total, components
