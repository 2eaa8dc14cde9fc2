"""Helpers shared by the router tests (importable from test modules and subprocesses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["MONDAY", "FakeClock", "make_payload"]

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


def make_payload(libraries: list[str], **overrides: Any) -> dict[str, Any]:
    """A cluster payload (the search backend's display document) held in print by ``libraries``."""
    payload: dict[str, Any] = {
        "id": "c-1",
        "title": "中国近代史 = Modern Chinese history",
        "format": "book",
        "year": 2001,
        "isbn": ["9787101003048"],
        "issn": [],
        "holdings": [
            {"library": code, "kind": "print", "location": "Stacks", "call_number": f"K25/{n}"}
            for n, code in enumerate(libraries)
        ],
        "links": [],
    }
    payload.update(overrides)
    return payload
