"""Helpers shared by the router tests (importable from test modules and subprocesses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["MONDAY", "FakeClock"]

# A Monday, outside every closed period of the sample consortium.
MONDAY = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock the tests move by hand (no sleeping)."""

    def __init__(self, start: datetime = MONDAY) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
