"""One error tree for the whole product; bad-input errors are also ``ValueError``."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BackendError",
    "BackendUnavailable",
    "ConsortiumError",
    "HarvestError",
    "MappingError",
    "RecordError",
    "ResolveError",
    "RoutingError",
    "error_body",
]


class ConsortiumError(Exception):
    """Root of every error efirst raises on purpose."""


class MappingError(ConsortiumError, ValueError):
    """A mapping file is invalid; the message names the file and the key at fault."""


class RecordError(ConsortiumError, ValueError):
    """One source record cannot be read or mapped.

    Carries where it is (``path``, ``record`` number, byte ``offset``, ``field``) so the
    rejects report can say exactly what to fix.
    """

    def __init__(
        self,
        reason: str,
        *,
        path: str = "",
        record: int | None = None,
        offset: int | None = None,
        field: str = "",
        source_id: str = "",
    ) -> None:
        self.reason = reason
        self.path = path
        self.record = record
        self.offset = offset
        self.field = field
        self.source_id = source_id
        super().__init__(self.describe())

    def __str__(self) -> str:
        # Readers fill in path/record/offset after the error is made: say where it is now.
        return self.describe()

    def describe(self) -> str:
        where = [self.path or "<input>"]
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        if self.source_id:
            where.append(f"id {self.source_id}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.reason}"


class HarvestError(ConsortiumError):
    """A harvest failed (network, protocol, or an OAI-PMH error code)."""


class BackendError(ConsortiumError):
    """The search engine refused an operation."""


class BackendUnavailable(BackendError):
    """The search engine cannot be reached (down, or too slow to answer)."""


class ResolveError(ConsortiumError, ValueError):
    """A citation cannot be resolved."""


class RoutingError(ConsortiumError, ValueError):
    """A request cannot be routed or an event does not apply to it."""


def error_body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one JSON error envelope every HTTP API of efirst answers with.

    ``{"error": {"status": 400, "code": "bad_parameter", "message": "...", "field": "page"}}``
    — ``field`` names the parameter or JSON field at fault, or is null.
    """
    return {"error": {"status": status, "code": code, "message": message, "field": field}}
