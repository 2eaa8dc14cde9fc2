"""``GET /go?url=URL&record=ID``: log a full-text request, then 302 to the full text.

Never an open redirect: ``url`` must be one of the record's own links (its ``links`` and
electronic holdings) or one of the full-text / open-access options the resolver gives the
patron's library for the record (KBART lines, article-level links). Anything else is a
400 naming the ``url`` parameter, and nothing is logged. Only ``http(s)`` targets.

Templates link through it with the ``go_url(url, record_id)`` global.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, abort, redirect, request
from werkzeug.wrappers import Response

from mappings.errors import BackendError
from mappings.schema import Citation
from resolver.web import get_resolver
from search_app.patron import library_code
from search_app.urls import query_url
from search_app.usage import get_store, log_event, title_of_payload
from search_app.views import fetch_record

__all__ = ["allowed_targets", "bp", "go_url"]

log = logging.getLogger(__name__)

bp = Blueprint("go", __name__)
MAX_URL = 4000


def _web(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


def _citation(payload: dict[str, Any]) -> Citation:
    fmt = str(payload.get("format") or "")
    title = str(payload.get("title") or "")
    year = payload.get("year")
    is_serial = fmt in ("journal", "article")
    return Citation(
        genre="journal" if fmt == "journal" else ("article" if fmt == "article" else "book"),
        jtitle=title if is_serial else "",
        btitle="" if is_serial else title,
        issn=[str(i) for i in payload.get("issn") or []],
        isbn=[str(i) for i in payload.get("isbn") or []],
        doi=str(payload.get("doi") or ""),
        year=year if isinstance(year, int) else None,
    )


def _resolver_targets(payload: dict[str, Any], library: str) -> dict[str, str]:
    try:
        resolution = get_resolver().resolve(_citation(payload), library)
    except (BackendError, OSError) as exc:
        log.warning("go: no resolver options for record %s: %s", payload.get("id"), exc)
        return {}
    return {
        o.url: "Open" if o.kind == "open_access" else "Controlled"
        for o in resolution.options
        if o.kind in ("fulltext", "open_access") and _web(o.url)
    }


def allowed_targets(payload: dict[str, Any], library: str) -> dict[str, str]:
    """Every URL ``/go`` may send to for this record and library → its COUNTER
    Access_Type (``Open`` or ``Controlled``)."""
    found: dict[str, str] = {}
    for link in payload.get("links") or []:
        url = str(link.get("url") or "")
        if _web(url):
            found[url] = "Open" if link.get("access") == "open" else "Controlled"
    for holding in payload.get("holdings") or []:
        url = str(holding.get("url") or "")
        if holding.get("kind") == "electronic" and _web(url):
            found.setdefault(url, "Controlled")
    for url, access in _resolver_targets(payload, library).items():
        found.setdefault(url, access)
    return found


@bp.get("/go")
def go() -> Response:
    """Log the click as a full-text request of the record, then redirect."""
    url = request.args.get("url", "")
    record_id = request.args.get("record", "")
    if not record_id:
        abort(400, "record: the record id is required")
    if not url or len(url) > MAX_URL or not _web(url):
        abort(400, "url: an http(s) link of the record is required")
    payload = fetch_record(record_id)
    library = library_code()
    access = allowed_targets(payload, library).get(url)
    if access is None:
        abort(400, "url: this link does not belong to the record")
    get_store().remember_title(title_of_payload(payload))
    log_event("request", library, record_id, channel="go", access=access, detail=url)
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def go_url(url: str, record_id: str) -> str:
    """The ``/go`` link for ``url`` of record ``record_id`` (a template global):
    ``url_for("go.go", url=url, record=record_id)``, quickly."""
    return query_url("go.go", {"url": url, "record": record_id})


@bp.record_once
def _globals(state: Any) -> None:
    app: Flask = state.app
    app.jinja_env.globals.setdefault("go_url", go_url)
