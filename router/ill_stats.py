"""ILL statistics from the ledger, per library and for the whole consortium.

Definitions (requests counted by the day they were created, within the period):

- **borrowing requests** — requests whose patrons belong to the library (``borrower``),
  counted by state; ``Resolved`` ones (full text or own shelf) are not ILL and are
  left out of the rates.
- **filled** — ``CopyCompleted``, ``LoanCompleted``, ``Loaned``, ``Overdue`` (the lender
  shipped); **unfilled** — ``Unfilled``; **fill rate** = filled / (filled + unfilled):
  cancelled and still-open requests are not in it (CASHL's definition).
- **turnaround** (borrowing) — days from the request to the lender's ``shipped`` event;
  average and median.
- **lending** — the library's rota answers: supplied, refused, timed out; the lender
  fill rate is supplied / (supplied + refused + timed out) and the lender turnaround is
  asked → shipped.
- **reasons for unfilled** — for every unfilled request, each lender's refusal reason
  (or "no answer in time"), or "no member library could supply it" when the decision
  found no lender.
"""

from __future__ import annotations

import statistics
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from router.ledger import Ledger
from router.queues import connect_readonly

__all__ = [
    "CSV_FIELDS",
    "FILLED_STATES",
    "LibraryStats",
    "Period",
    "collect",
    "consortium",
    "csv_row",
]

FILLED_STATES = ("CopyCompleted", "LoanCompleted", "Loaned", "Overdue")
NO_LENDER = "no member library could supply it"
NO_ANSWER = "no answer in time"
NO_REASON = "refused, no reason given"


@dataclass(frozen=True, slots=True)
class Period:
    """Inclusive creation-date bounds (either may be open)."""

    start: date | None = None
    end: date | None = None

    def clause(self, column: str) -> tuple[str, list[str]]:
        parts, params = [], []
        if self.start:
            parts.append(f"substr({column}, 1, 10) >= ?")
            params.append(self.start.isoformat())
        if self.end:
            parts.append(f"substr({column}, 1, 10) <= ?")
            params.append(self.end.isoformat())
        return (" AND ".join(parts) or "1"), params


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


@dataclass(slots=True)
class LibraryStats:
    """One library's (or the consortium's) numbers for a period."""

    by_state: Counter[str] = field(default_factory=Counter)
    turnaround_days: list[float] = field(default_factory=list)
    lending: Counter[str] = field(default_factory=Counter)
    lending_days: list[float] = field(default_factory=list)
    unfilled_reasons: Counter[str] = field(default_factory=Counter)
    refusal_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(n for state, n in self.by_state.items() if state != "Resolved")

    @property
    def filled(self) -> int:
        return sum(self.by_state[state] for state in FILLED_STATES)

    @property
    def unfilled(self) -> int:
        return self.by_state["Unfilled"]

    @property
    def cancelled(self) -> int:
        return self.by_state["Cancelled"]

    @property
    def open(self) -> int:
        return self.requests - self.filled - self.unfilled - self.cancelled

    @property
    def fill_rate(self) -> float | None:
        answered = self.filled + self.unfilled
        return round(self.filled / answered, 4) if answered else None

    @property
    def turnaround_mean(self) -> float | None:
        return _mean(self.turnaround_days)

    @property
    def turnaround_median(self) -> float | None:
        return _median(self.turnaround_days)

    @property
    def lender_fill_rate(self) -> float | None:
        answered = self.lending["supplied"] + self.lending["refused"] + self.lending["timed_out"]
        return round(self.lending["supplied"] / answered, 4) if answered else None

    @property
    def lending_turnaround_mean(self) -> float | None:
        return _mean(self.lending_days)

    @property
    def lending_turnaround_median(self) -> float | None:
        return _median(self.lending_days)

    def merge(self, other: LibraryStats) -> None:
        self.by_state.update(other.by_state)
        self.turnaround_days.extend(other.turnaround_days)
        self.lending.update(other.lending)
        self.lending_days.extend(other.lending_days)
        self.unfilled_reasons.update(other.unfilled_reasons)
        self.refusal_reasons.update(other.refusal_reasons)


def collect(ledger: Ledger, period: Period = Period()) -> dict[str, LibraryStats]:
    """Every library's numbers (as borrower and as lender) for ``period``."""
    found: dict[str, LibraryStats] = {}

    def of(code: str) -> LibraryStats:
        return found.setdefault(code, LibraryStats())

    where, params = period.clause("r.created_at")
    with closing(connect_readonly(ledger)) as conn:
        for row in conn.execute(
            f"SELECT borrower, state, COUNT(*) AS n FROM requests r WHERE {where}"  # noqa: S608
            " GROUP BY borrower, state",
            params,
        ):
            of(row["borrower"]).by_state[row["state"]] += row["n"]
        for row in conn.execute(
            "SELECT r.borrower, julianday(e.at) - julianday(r.created_at) AS days"  # noqa: S608
            " FROM requests r JOIN events e ON e.request_id = r.id AND e.type = 'shipped'"
            f" WHERE {where}",
            params,
        ):
            of(row["borrower"]).turnaround_days.append(max(row["days"], 0.0))
        _lending(conn, where, params, of)
        _reasons(conn, where, params, of)
    return found


def _lending(conn: Any, where: str, params: list[str], of: Any) -> None:
    for row in conn.execute(
        "SELECT o.library, o.status, COUNT(*) AS n FROM rota o JOIN requests r"  # noqa: S608
        f" ON r.id = o.request_id WHERE {where} AND o.status NOT IN ('waiting', 'skipped')"
        " GROUP BY o.library, o.status",
        params,
    ):
        of(row["library"]).lending[row["status"]] += row["n"]
    for row in conn.execute(
        "SELECT o.library, julianday(o.answered_at) - julianday(o.asked_at) AS days"  # noqa: S608
        " FROM rota o JOIN requests r ON r.id = o.request_id"
        f" WHERE {where} AND o.status = 'supplied' AND o.asked_at IS NOT NULL",
        params,
    ):
        of(row["library"]).lending_days.append(max(row["days"], 0.0))


def _reasons(conn: Any, where: str, params: list[str], of: Any) -> None:
    for row in conn.execute(
        "SELECT r.borrower, o.library, o.status, o.note FROM rota o JOIN requests r"  # noqa: S608
        f" ON r.id = o.request_id WHERE {where} AND o.status IN ('refused', 'timed_out')",
        params,
    ):
        reason = NO_ANSWER if row["status"] == "timed_out" else (row["note"] or NO_REASON)
        of(row["library"]).refusal_reasons[reason] += 1
    for row in conn.execute(
        "SELECT r.borrower, r.kind, o.status, o.note FROM requests r LEFT JOIN rota o"  # noqa: S608
        " ON o.request_id = r.id AND o.status IN ('refused', 'timed_out')"
        f" WHERE {where} AND r.state = 'Unfilled'",
        params,
    ):
        if row["status"] is None:
            reason = NO_LENDER if row["kind"] == "none" else NO_REASON
        elif row["status"] == "timed_out":
            reason = NO_ANSWER
        else:
            reason = row["note"] or NO_REASON
        of(row["borrower"]).unfilled_reasons[reason] += 1


def consortium(stats: dict[str, LibraryStats]) -> LibraryStats:
    """The consortium's numbers: every library's merged."""
    total = LibraryStats()
    for one in stats.values():
        total.merge(one)
    return total


CSV_FIELDS = (
    "library",
    "name",
    "requests",
    "filled",
    "unfilled",
    "cancelled",
    "open",
    "fill_rate",
    "turnaround_mean_days",
    "turnaround_median_days",
    "lending_asked",
    "lending_supplied",
    "lending_refused",
    "lending_timed_out",
    "lender_fill_rate",
    "lending_turnaround_mean_days",
    "lending_turnaround_median_days",
)


def csv_row(code: str, name: str, stats: LibraryStats) -> dict[str, Any]:
    """One CSV line (:data:`CSV_FIELDS`); empty cells where a rate has no data."""

    def cell(value: float | None) -> Any:
        return "" if value is None else value

    return {
        "library": code,
        "name": name,
        "requests": stats.requests,
        "filled": stats.filled,
        "unfilled": stats.unfilled,
        "cancelled": stats.cancelled,
        "open": stats.open,
        "fill_rate": cell(stats.fill_rate),
        "turnaround_mean_days": cell(stats.turnaround_mean),
        "turnaround_median_days": cell(stats.turnaround_median),
        "lending_asked": sum(stats.lending.values()),
        "lending_supplied": stats.lending["supplied"],
        "lending_refused": stats.lending["refused"],
        "lending_timed_out": stats.lending["timed_out"],
        "lender_fill_rate": cell(stats.lender_fill_rate),
        "lending_turnaround_mean_days": cell(stats.lending_turnaround_mean),
        "lending_turnaround_median_days": cell(stats.lending_turnaround_median),
    }
