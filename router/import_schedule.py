"""Running integration profiles on their schedule: ``efirst router import --due``.

A profile's ``schedule`` is a calendar period on the consortium's calendar
(``[consortium] timezone``): ``daily`` — once per local day, ``weekly`` — once per ISO
week (Monday to Sunday). An active profile is **due** when no run of it has completed
in the current period, no run of it is in progress, and its last failed run (if any) is
at least :data:`RETRY_AFTER` old, so an unreachable system is not hammered by a cron job
that runs every few minutes.

Due-ness is decided and the run claimed (an ``import_runs`` row in state ``running``) in
one ``BEGIN IMMEDIATE`` transaction, so overlapping invocations never run a profile
twice; a run that stays ``running`` longer than :data:`STALE_AFTER` (a crashed worker)
no longer blocks its profile. Running it again in the same period does nothing: the
command is idempotent and cron-friendly (e.g. every 15 minutes).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

from router.imports import Imports, Profile, run_import
from router.ledger import _stamp

if TYPE_CHECKING:
    from router.service import Router

__all__ = ["RETRY_AFTER", "STALE_AFTER", "period_start", "run_due"]

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(hours=1)
STALE_AFTER = timedelta(hours=6)


def period_start(schedule: str, today: date) -> date:
    """The first local day of the period ``today`` is in.

    >>> period_start("weekly", date(2025, 3, 6))  # a Thursday
    datetime.date(2025, 3, 3)
    """
    if schedule == "weekly":
        return today - timedelta(days=today.weekday())
    return today


def _claim(router: Router, profile: Profile, now: datetime) -> int | None:
    """Start a run of ``profile`` if it is due at ``now``; returns the run id."""
    zone = router.members_file.consortium.zone
    start = datetime.combine(
        period_start(profile.schedule, now.astimezone(zone).date()), datetime.min.time(), zone
    )
    with router.ledger._write() as conn:
        busy = conn.execute(
            "SELECT 1 FROM import_runs WHERE profile = ? AND ("
            " (status = 'completed' AND started_at >= ?)"
            " OR (status = 'running' AND started_at > ?)"
            " OR (status = 'failed' AND started_at > ?))",
            (profile.code, _stamp(start), _stamp(now - STALE_AFTER), _stamp(now - RETRY_AFTER)),
        ).fetchone()
        if busy is not None:
            return None
        cursor = conn.execute(
            "INSERT INTO import_runs (profile, started_at) VALUES (?, ?)",
            (profile.code, _stamp(now)),
        )
        return cursor.lastrowid


def run_due(
    router: Router, now: datetime | None = None, session: requests.Session | None = None
) -> list[dict[str, Any]]:
    """Run every active profile that is due; returns the runs made (none when nothing is)."""
    now = now or router.clock()
    runs = []
    for profile in Imports(router).profiles():
        if not profile.active:
            continue
        run_id = _claim(router, profile, now)
        if run_id is None:
            continue
        log.info("import %s (%s) is due: run %d", profile.code, profile.schedule, run_id)
        runs.append(run_import(router, profile.code, session, run_id=run_id))
    return runs
