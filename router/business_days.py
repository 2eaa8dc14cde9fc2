"""Business days: timeouts count only the days a lender is open.

Saturdays and Sundays are closed, and so is every day in the lender's (and the
consortium's) closed dates. Days are counted on the calendar of the consortium's time
zone (``[consortium] timezone`` of the members file, default ``Asia/Shanghai``): a
request sent at 01:00 on Saturday in Beijing was sent on a Saturday, although it is
still Friday in UTC.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime, timedelta, tzinfo

__all__ = ["add_business_days", "is_business_day"]


def is_business_day(day: date, closed: Set[date] = frozenset()) -> bool:
    """Monday to Friday and not a closed date."""
    return day.weekday() < 5 and day not in closed


def add_business_days(
    start: datetime,
    days: int,
    closed: Set[date] = frozenset(),
    tz: tzinfo | None = None,
) -> datetime:
    """The moment ``days`` business days after ``start``, at the same wall-clock time,
    with days counted in time zone ``tz`` (default: ``start``'s own).

    >>> from datetime import datetime
    >>> add_business_days(datetime(2025, 3, 7, 10), 1)  # a Friday: next is Monday
    datetime.datetime(2025, 3, 10, 10, 0)
    >>> from datetime import UTC
    >>> from zoneinfo import ZoneInfo
    >>> friday_utc = datetime(2025, 3, 7, 17, tzinfo=UTC)  # Saturday 01:00 in Beijing
    >>> add_business_days(friday_utc, 1, tz=ZoneInfo("Asia/Shanghai")).isoformat()
    '2025-03-10T01:00:00+08:00'
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    local = start.astimezone(tz) if tz is not None and start.tzinfo is not None else start
    day, counted = local.date(), 0
    for _ in range(days * 7 + len(closed) + 7):
        if counted == days:
            break
        day += timedelta(days=1)
        if is_business_day(day, closed):
            counted += 1
    if counted != days:
        raise ValueError("no business day within reach (is every day closed?)")
    return local.replace(year=day.year, month=day.month, day=day.day)
