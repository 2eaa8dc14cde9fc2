"""KBART coverage: does an e-holding (one KBART line) cover a given year / volume / issue?

The rules follow NISO RP-9-2014 (KBART):

* ``date_first_issue_online`` / ``date_last_issue_online`` are ``YYYY``, ``YYYY-MM`` or
  ``YYYY-MM-DD``; an empty first date means "from the start", an empty last date means
  "up to now" (open-ended, the title is still received).
* ``num_*_vol_online`` / ``num_*_issue_online`` bound the volumes and issues; an issue
  bound only applies inside its boundary volume. Issue values like ``3-4`` count as 3
  at the start of a range and 4 at its end.
* ``embargo_info`` is ``R<n><unit>`` (moving wall: the most recent *n* units are *not*
  available) or ``P<n><unit>`` (*only* the most recent *n* units are available), unit
  ``D`` (days, rolling), ``M`` (calendar months) or ``Y`` (calendar years; the current
  one counts as the first, so ``R1Y`` hides the current year and ``P1Y`` shows only it).
  Some knowledge bases combine both as ``P10Y;R1Y``; every part must allow the date.

A citation known only by its year is covered when *any* part of that year is covered
(the link is offered; the platform is the final judge). What cannot be checked (no
year, no volume, unreadable KBART values) does not exclude: coverage is then decided by
what can be checked.

>>> from mappings.schema import EHolding
>>> line = EHolding("LIB", "pkg", "J", date_first_issue_online="1990", embargo_info="R2Y")
>>> covers(line, year=1999, today=date(2024, 6, 1))
True
>>> covers(line, year=2023, today=date(2024, 6, 1))
False
>>> parse_embargo("P1Y")
('P', 365)
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

from mappings.errors import RecordError
from mappings.schema import EHolding

__all__ = ["covers", "embargo_boundary", "parse_embargo"]

log = logging.getLogger(__name__)

_EMBARGO = re.compile(r"^\s*([RP])\s*(\d{1,5})\s*([DMY])\s*$", re.IGNORECASE)
_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
_INT = re.compile(r"\d+")
_UNIT_DAYS = {"D": 1, "M": 30, "Y": 365}


def _split_embargo(text: str) -> list[tuple[str, int, str]]:
    """``[(kind, amount, unit)]`` for each ``;``-separated part of ``embargo_info``."""
    parts: list[tuple[str, int, str]] = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        match = _EMBARGO.match(part)
        if not match:
            raise RecordError(f"unreadable embargo {part.strip()!r}", field="embargo_info")
        parts.append((match.group(1).upper(), int(match.group(2)), match.group(3).upper()))
    return parts


def parse_embargo(text: str) -> tuple[str, int]:
    """``(kind, days)`` of a KBART ``embargo_info``: kind ``"R"``, ``"P"`` or ``""`` (none).

    ``days`` is the length in days (``M`` = 30, ``Y`` = 365); :func:`covers` uses the
    calendar rules instead. For a combined value (``P10Y;R1Y``) the first part is
    returned. Raises :class:`~mappings.errors.RecordError` (a ``ValueError``) when the
    text is not an embargo.

    >>> parse_embargo("R6M"), parse_embargo(""), parse_embargo("p30d")
    (('R', 180), ('', 0), ('P', 30))
    """
    parts = _split_embargo(text)
    if not parts:
        return ("", 0)
    kind, amount, unit = parts[0]
    return (kind, amount * _UNIT_DAYS[unit])


def embargo_boundary(amount: int, unit: str, today: date) -> date:
    """First day of the most recent ``amount`` units (the moving wall), counted from ``today``."""
    if unit == "D":
        ordinal = today.toordinal() - amount + 1
        return date.fromordinal(min(max(ordinal, 1), date.max.toordinal()))
    if unit == "M":
        months = today.year * 12 + (today.month - 1) - (amount - 1)
        year = months // 12
    else:
        year, months = today.year - amount + 1, 0
    if year < 1:
        return date.min
    if year > date.max.year:
        return date.max
    return date(year, months % 12 + 1, 1)


def _date_bound(text: str, *, end: bool) -> date | None:
    """The first (or, with ``end``, last) day a KBART date denotes; None if empty or unreadable."""
    match = _DATE.match(text or "")
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    try:
        if month is None or not 1 <= month <= 12:
            return date(year, 12, 31) if end else date(year, 1, 1)
        if day is None:
            if not end:
                return date(year, month, 1)
            following = date(year + (month == 12), month % 12 + 1, 1)
            return following - timedelta(days=1)
        return date(year, month, day)
    except ValueError:  # 0000, day 31 of a 30-day month...: fall back to the year
        return (date(year, 12, 31) if end else date(year, 1, 1)) if year >= 1 else None


def _number(text: str, *, end: bool) -> int | None:
    """The first (or, with ``end``, last) integer in a volume/issue value, else None."""
    numbers = _INT.findall(text or "")
    if not numbers:
        return None
    return int(numbers[-1] if end else numbers[0])


def _dates_allow(line: EHolding, year: int, today: date) -> bool:
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    first = _date_bound(line.date_first_issue_online, end=False)
    last = _date_bound(line.date_last_issue_online, end=True)
    if first and hi < first:
        return False
    if last and lo > last:
        return False
    try:
        parts = _split_embargo(line.embargo_info)
    except RecordError as exc:
        log.warning("%s (%s, %s): embargo ignored", exc, line.package, line.publication_title)
        parts = []
    for kind, amount, unit in parts:
        wall = embargo_boundary(amount, unit, today)
        if kind == "R" and lo >= wall:
            return False
        if kind == "P" and hi < wall:
            return False
    return True


def _numbers_allow(line: EHolding, volume: str, issue: str) -> bool:
    vol = _number(volume, end=False)
    if vol is None:
        return True
    first_vol = _number(line.num_first_vol_online, end=False)
    last_vol = _number(line.num_last_vol_online, end=True)
    if first_vol is not None and vol < first_vol:
        return False
    if last_vol is not None and vol > last_vol:
        return False
    iss_lo, iss_hi = _number(issue, end=False), _number(issue, end=True)
    if iss_lo is None or iss_hi is None:
        return True
    first_issue = _number(line.num_first_issue_online, end=False)
    last_issue = _number(line.num_last_issue_online, end=True)
    if vol == first_vol and first_issue is not None and iss_hi < first_issue:
        return False
    return not (vol == last_vol and last_issue is not None and iss_lo > last_issue)


def covers(
    eholding: EHolding,
    *,
    year: int | None,
    volume: str = "",
    issue: str = "",
    today: date | None = None,
) -> bool:
    """Whether ``eholding`` covers an item of ``year`` / ``volume`` / ``issue``.

    Parameters
    ----------
    eholding:
        One KBART line.
    year:
        Publication year of the wanted item, or None when unknown.
    volume, issue:
        As cited (``"12"``, ``"3-4"``, ``"Suppl 2"``); empty when unknown.
    today:
        The reference date for embargoes (default: today).
    """
    today = today or date.today()
    if year is not None and 1 <= year <= 9999 and not _dates_allow(eholding, year, today):
        return False
    return _numbers_allow(eholding, volume, issue)
