"""Helpers shared by the portal and the API: parse a search, run it, present hits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g, request

from indexer.backends import SearchResults
from mappings.errors import BackendError
from search_app.availability import Availability, availability
from search_app.query import SearchForm, parse_search_args
from search_app.services import cached_search, get_backend

__all__ = ["ResultItem", "fetch_record", "parse_form", "run_search"]


@dataclass(slots=True)
class ResultItem:
    id: str
    payload: dict[str, Any]
    availability: Availability


def parse_form() -> SearchForm:
    """This request's search form (parsed once: the view and usage capture both ask;
    treat it as read-only)."""
    found = g.get("efirst_form")
    if found is None:
        config = current_app.config
        found = g.efirst_form = parse_search_args(
            request.args,
            page_size=config["EFIRST_PAGE_SIZE"],
            max_page_size=config["EFIRST_MAX_PAGE_SIZE"],
            max_offset=config["EFIRST_MAX_OFFSET"],
        )
    return found


def run_search(form: SearchForm, code: str) -> tuple[SearchResults, list[ResultItem]]:
    """Search (through the hot-query cache) and attach each hit's E-first availability."""
    try:
        results = cached_search(form.to_query(code))
    except BackendError as exc:
        abort(503, str(exc))
    items = [ResultItem(hit.id, hit.doc, availability(hit.doc, code)) for hit in results.hits]
    return results, items


def count_online(form: SearchForm, code: str) -> int:
    """How many results the patron could open online now (the "online now" facet)."""
    online = SearchForm(**{**{s: getattr(form, s) for s in form.__slots__}, "online": True})
    online.page, online.per_page = 1, 1
    query = online.to_query(code, facets=False)
    query.limit = 0
    try:
        return cached_search(query).total
    except BackendError:
        return 0


def fetch_record(record_id: str) -> dict[str, Any]:
    if len(record_id) > 200:
        abort(404)
    try:
        payload = get_backend().get(record_id)
    except BackendError as exc:
        abort(503, str(exc))
    if payload is None:
        abort(404)
    return payload
