"""Business days: timeouts count only the days a lender is open.

Saturdays and Sundays are closed, and so is every day in the lender's (and the
consortium's) closed dates.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime, timedelta

__all__ = ["add_business_days", "is_business_day"]


def is_business_day(day: date, closed: Set[date] = frozenset()) -> bool:
    """Monday to Friday and not a closed date."""
    return day.weekday() < 5 and day not in closed


def add_business_days(start: datetime, days: int, closed: Set[date] = frozenset()) -> datetime:
    """The moment ``days`` business days after ``start`` (same time of day).

    >>> from datetime import datetime
    >>> add_business_days(datetime(2025, 3, 7, 10), 1)  # a Friday: next is Monday
    datetime.datetime(2025, 3, 10, 10, 0)
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    moment, counted = start, 0
    for _ in range(days * 7 + len(closed) + 7):
        if counted == days:
            return moment
        moment += timedelta(days=1)
        if is_business_day(moment.date(), closed):
            counted += 1
    if counted == days:
        return moment
    raise ValueError("no business day within reach (is every day closed?)")
