"""Reading what clients send: needs, citations and events, each error naming its field.

Kept apart from the Flask views so the ISO 18626 endpoint and the staff pages validate
the same way.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from mappings.errors import RoutingError
from mappings.identifiers import normalise_doi, normalise_isbn, normalise_issn
from mappings.schema import FORMATS, Citation, Needs

__all__ = ["API_EVENTS", "RequestError", "parse_citation", "parse_event", "parse_needs"]

#: Events clients may send (``timeout`` is the scheduler's own).
API_EVENTS = frozenset(
    {
        "refused",
        "will_supply",
        "expect_to_supply",
        "shipped",
        "received",
        "returned",
        "cancelled",
        "overdue",
        "reroute",
    }
)
_CITATION_LISTS = {"issn", "isbn", "authors"}
_CITATION_FIELDS = {f.name for f in dataclasses.fields(Citation)}


class RequestError(RoutingError):
    """Bad client input: ``field`` names the JSON member, ``status`` the HTTP status."""

    def __init__(
        self, message: str, *, field: str | None, status: int = 422, code: str = ""
    ) -> None:
        super().__init__(message)
        self.field = field
        self.status = status
        self.code = code or {400: "bad_request", 404: "not_found", 503: "unavailable"}.get(
            status, "invalid"
        )


def parse_needs(data: Any) -> Needs:
    """``needs`` of a request; every member optional."""
    if not isinstance(data, dict):
        raise RequestError("must be an object", field="needs")
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(Needs)})
    if unknown:
        raise RequestError(f"unknown member {unknown[0]!r}", field=f"needs.{unknown[0]}")
    needs = Needs()
    fmt = data.get("format", "")
    if fmt and fmt not in FORMATS:
        raise RequestError(f"must be one of {', '.join(FORMATS)}", field="needs.format")
    needs.format = fmt
    service = data.get("service", "copy")
    if service not in ("copy", "loan"):
        raise RequestError("must be 'copy' or 'loan'", field="needs.service")
    needs.service = service
    cost = data.get("max_cost")
    if cost is not None and (
        isinstance(cost, bool) or not isinstance(cost, int | float) or cost < 0
    ):
        raise RequestError("must be a number >= 0", field="needs.max_cost")
    needs.max_cost = None if cost is None else float(cost)
    needed_by = data.get("needed_by") or ""
    if needed_by:
        try:
            date.fromisoformat(str(needed_by))
        except ValueError:
            raise RequestError("must be a date YYYY-MM-DD", field="needs.needed_by") from None
    needs.needed_by = str(needed_by)
    electronic = data.get("electronic_ok", True)
    if not isinstance(electronic, bool):
        raise RequestError("must be true or false", field="needs.electronic_ok")
    needs.electronic_ok = electronic
    return needs


def parse_citation(data: Any) -> Citation:
    """A citation object (the resolver's JSON shape); identifiers normalised."""
    if not isinstance(data, dict) or not data:
        raise RequestError("must be a non-empty object", field="citation")
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"citation.{key}"
        if key not in _CITATION_FIELDS:
            raise RequestError(f"unknown member {key!r}", field=where)
        if key in _CITATION_LISTS:
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RequestError("must be a string or a list of strings", field=where)
        elif key == "year":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise RequestError("must be a whole number", field=where)
        elif not isinstance(value, str):
            raise RequestError("must be a string", field=where)
        values[key] = value
    citation = Citation(**values)
    citation.issn = [n for n in (normalise_issn(v) for v in citation.issn) if n]
    citation.isbn = [n for n in (normalise_isbn(v) for v in citation.isbn) if n]
    citation.doi = normalise_doi(citation.doi)
    if not (citation.title or citation.issn or citation.isbn or citation.doi):
        raise RequestError("needs a title, ISSN, ISBN or DOI", field="citation")
    return citation


def parse_event(data: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
    """``{"type", "library", "reason", "message_id", "to_library"}`` checked and cleaned."""
    kind = data.get("type")
    if kind not in API_EVENTS:
        raise RequestError(f"must be one of {', '.join(sorted(API_EVENTS))}", field="type")
    event: dict[str, Any] = {"type": kind}
    for key in ("library", "reason", "message_id", "to_library"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise RequestError("must be a string", field=key)
        if value:
            event[key] = value
    if "library" not in event:
        raise RequestError("the sending library's code is required", field="library")
    if idempotency_key and "message_id" not in event:
        event["message_id"] = idempotency_key
    return event
