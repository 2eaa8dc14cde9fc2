"""Usage capture: searches, record views, full-text clicks and denials, as they happen.

:func:`init_app` installs everything with one call from :func:`search_app.create_app`:

- an ``after_request`` hook keyed on endpoint names (:data:`CAPTURED`) — the portal and
  API views themselves are untouched. Only successful (200) answers count; page 2 and
  later of a result list are the same search; robots (:data:`ROBOTS`) are not counted;
- the ``/go`` click-through (:mod:`search_app.go`) that logs a full-text request;
- a resolver listener (:mod:`resolver.listeners`) that logs a ``No_License`` denial when
  :func:`resolver.denials.denial` says so;
- the staff report pages (:mod:`search_app.stats_pages`).

Events go to :class:`search_app.usage_store.UsageStore` (``EFIRST_USAGE_DB``, default
``<data dir>/usage.sqlite3``), buffered and written every second by a background thread
and when the process ends. ``EFIRST_USAGE=False`` turns capture off.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

from mappings.schema import Citation
from resolver import listeners
from resolver.denials import denial
from search_app.patron import current_library
from search_app.services import members
from search_app.usage_store import FILE_NAME, TitleInfo, UsageEvent, UsageStore
from search_app.views import parse_form

__all__ = [
    "CAPTURED",
    "ROBOTS",
    "citation_record",
    "close_store",
    "get_store",
    "init_app",
    "is_robot",
    "log_event",
    "session_key",
    "title_of_payload",
]

log = logging.getLogger(__name__)

EXTENSION = "efirst.usage"

#: User agents that are not people (a short form of the COUNTER robots list).
ROBOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|headlesschrome|phantomjs"
    r"|python-urllib|libwww|wget|curl/|httrack|linkcheck|monitor|uptime|preview",
    re.IGNORECASE,
)

#: efirst formats → COUNTER Data_Type.
DATA_TYPES = {
    "book": "Book",
    "journal": "Journal",
    "article": "Article",
    "thesis": "Thesis_or_Dissertation",
    "conference paper": "Conference_Item",
    "standard": "Standard",
    "patent": "Patent",
    "report": "Report",
    "audio": "Sound",
    "video": "Audiovisual",
    "other": "Other",
}


#: How often the app's usage store writes its buffered events (see usage_store).
FLUSH_SECONDS = 1.0


def get_store() -> UsageStore:
    """The app's usage store, opened on first use (events buffered, written every
    :data:`FLUSH_SECONDS` and when the process ends)."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        config = current_app.config
        path = config.get("EFIRST_USAGE_DB") or Path(config["EFIRST_DATA_DIR"]) / FILE_NAME
        opened = UsageStore(path, flush_seconds=FLUSH_SECONDS)
        store = current_app.extensions.setdefault(EXTENSION, opened)
    return store


def close_store(app: Flask) -> None:
    """Write the app's buffered usage events and close its store (a worker's exit)."""
    store = app.extensions.get(EXTENSION)
    if store is not None:
        store.close()


def is_robot(user_agent: str) -> bool:
    """Whether a user agent is a robot (no user agent at all counts as one)."""
    return not user_agent.strip() or ROBOTS.search(user_agent) is not None


def session_key(moment: datetime | None = None) -> str:
    """The COUNTER session of this request: a keyed hash of address, agent and hour."""
    hour = (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H")
    raw = f"{request.remote_addr or ''}|{request.user_agent.string}|{hour}"
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, raw.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def log_event(kind: str, library: str, record: str = "", **extra: Any) -> bool:
    """Store one event of this request (unless capture is off or the client is a robot)."""
    if not current_app.config["EFIRST_USAGE"]:
        return False
    if is_robot(request.user_agent.string):
        return False
    event = UsageEvent(kind, library, record, session_key(), **extra)
    return get_store().add(event)


def title_of_payload(payload: dict[str, Any]) -> TitleInfo:
    """What a Title Report shows about a cluster payload."""
    issns = [str(i) for i in payload.get("issn") or []]
    isbns = [str(i) for i in payload.get("isbn") or []]
    year = payload.get("year")
    publisher = payload.get("publisher") or ""
    if isinstance(publisher, list):
        publisher = publisher[0] if publisher else ""
    return TitleInfo(
        record=str(payload.get("id", "")),
        title=str(payload.get("title") or ""),
        data_type=DATA_TYPES.get(str(payload.get("format") or ""), "Unspecified"),
        publisher=str(publisher),
        doi=str(payload.get("doi") or ""),
        isbn=isbns[0] if isbns else "",
        print_issn=issns[0] if issns else "",
        online_issn=issns[1] if len(issns) > 1 else "",
        yop=str(year) if isinstance(year, int) else "",
    )


def citation_record(citation: Citation) -> TitleInfo:
    """A stable pseudo record (``cit:<hash>``) for a citation found in no catalogue record."""
    ids = "|".join(
        [citation.doi, ",".join(citation.issn), ",".join(citation.isbn), citation.title.lower()]
    )
    digest = hashlib.sha1(ids.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    genre = (citation.genre or "").lower()
    data_type = "Book" if genre in ("book", "bookitem") or citation.isbn else "Journal"
    return TitleInfo(
        record=f"cit:{digest}",
        title=citation.jtitle or citation.btitle or citation.atitle,
        data_type=data_type,
        publisher=citation.publisher,
        doi=citation.doi,
        isbn=citation.isbn[0] if citation.isbn else "",
        print_issn=citation.issn[0] if citation.issn else "",
        online_issn=citation.issn[1] if len(citation.issn) > 1 else "",
        yop=str(citation.year or ""),
    )


# -- capture -------------------------------------------------------------------------------


def _api_library() -> str:
    directory = members()
    if "lib" in request.args:
        found = directory.get(request.args.get("lib", ""))
    else:
        found = directory.for_ip(request.remote_addr)
    return found.code if found is not None else ""


def _portal_library() -> str:
    library = current_library()
    return library.code if library is not None else ""


def _search(channel: str, library: Callable[[], str]) -> Callable[[], None]:
    def capture() -> None:
        form = parse_form()
        if form.is_empty or form.page != 1:
            return
        log_event("search", library(), channel=channel)

    return capture


def _view(channel: str, library: Callable[[], str]) -> Callable[[], None]:
    def capture() -> None:
        record = str((request.view_args or {}).get("record_id", ""))
        log_event("investigation", library(), record, channel=channel)

    return capture


#: Endpoint → what to log when it answers 200.
CAPTURED: dict[str, Callable[[], None]] = {
    "portal.search": _search("portal", _portal_library),
    "api.search": _search("api", _api_library),
    "portal.record": _view("portal", _portal_library),
    "portal.export": _view("portal", _portal_library),
    "api.record": _view("api", _api_library),
}


def _after_request(response: Response) -> Response:
    capture = CAPTURED.get(request.endpoint or "")
    if capture is not None and response.status_code == 200:
        try:
            capture()
        except Exception:  # statistics never break a page
            log.exception("usage capture failed for %s", request.endpoint)
    return response


def _on_resolution(resolution: Any, resolver: Any) -> None:
    """Resolver listener: log a No_License denial."""
    found = denial(resolution, resolver)
    if found is None:
        return
    store = get_store()
    record = found.record
    if record:
        payload = resolver.backend.get(record)
        if payload is not None:
            store.remember_title(title_of_payload(payload))
    else:
        info = citation_record(resolution.citation)
        store.remember_title(info)
        record = info.record
    detail = found.reason + (
        f": licensed to {', '.join(found.licensees)}" if found.licensees else ""
    )
    log_event("denial", found.library, record, channel="resolver", detail=detail)


def init_app(app: Flask) -> None:
    """Install usage capture, ``/go``, the resolver listener and the report pages."""
    from search_app import go, stats_pages  # they use this module's helpers

    app.config.setdefault("EFIRST_USAGE", True)
    app.after_request(_after_request)
    listeners.connect(app.extensions, _on_resolution)
    app.register_blueprint(go.bp)
    app.register_blueprint(stats_pages.bp)
