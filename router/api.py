"""The router's HTTP API (a Flask blueprint; the only router module that imports Flask).

- ``POST /api/v1/requests`` ``{"library": CODE, "citation": {...} | "record_id": ID,
  "needs": {"format", "service": "copy"|"loan", "max_cost", "needed_by": "YYYY-MM-DD",
  "electronic_ok"}}`` → ``201`` ``{"id", "state", "lender", "decision": {"kind", "links",
  "holding", "rota": [{"library", "score", "components", ...}], "excluded": [{"library",
  "reason"}], "explanation": [...]}, "events": [...]}``
- ``GET /api/v1/requests/<id>`` → the request, its ``lender`` (or null), rota and events
  (each with ``by``: ``{"kind", "name"}``, who acted — :mod:`router.actors`); without
  free text and staff names (``"redacted": true``) unless the caller acts for the
  borrower or a library of the rota.
- ``POST /api/v1/requests/<id>/events`` ``{"type", "library", "reason", "message_id"?,
  "to_library"?}`` → the updated request. An ``Idempotency-Key`` header works as
  ``message_id``: a repeated message changes nothing. Needs a staff session or an API
  key acting for ``library`` (401 / 403 otherwise; see :mod:`router.api_auth`).
- ``GET /api/v1/libraries`` → ``{"libraries": [{"code", "name", "name_zh", "name_en",
  "region", "role", "city"}]}``.

Errors use the one envelope of the app, ``{"error": {"status", "code", "message",
"field"}}``, with ``field`` naming the JSON member at fault.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from indexer.settings import Settings
from mappings.errors import RoutingError, error_body
from router.api_auth import (
    AuthError,
    current_caller,
    may_see,
    public_view,
    require_caller,
    session_actor,
)
from router.ledger import EventError, RequestNotFound
from router.requests import RequestError, parse_event
from router.service import CatalogItems, Router

__all__ = ["bp", "get_router", "init_app"]

bp = Blueprint("router", __name__, url_prefix="/api/v1")
EXTENSION = "router"


def init_app(app: Flask, router: Router | None = None) -> Router:
    """Attach a router to the app (built from the app's config when not given)."""
    router = router or _build(app)
    router.actor_source = session_actor
    app.extensions[EXTENSION] = router
    return router


def get_router() -> Router:
    """The app's router, built on first use (flaskr's ``get_db`` pattern)."""
    router = current_app.extensions.get(EXTENSION)
    if router is None:
        router = init_app(current_app._get_current_object())  # type: ignore[attr-defined]
    return router


def _build(app: Flask) -> Router:
    config = app.config
    settings = Settings.from_env()
    if config.get("EFIRST_DATA_DIR"):
        settings = Settings(Path(config["EFIRST_DATA_DIR"]).resolve(), settings.search_url)
    from indexer.backends import SearchQuery, open_backend
    from indexer.eholdings import find_eholdings

    shared = app.extensions.get("efirst")
    backend_of = (
        shared.backend if shared is not None else functools.cache(lambda: open_backend(settings))
    )

    def search_ids(citation: Any) -> list[str]:
        fields = _lookup_fields(citation)
        if not fields:
            return []
        return [hit.id for hit in backend_of().search(SearchQuery(fields=fields, limit=1)).hits]

    items = CatalogItems(
        get_payload=lambda record_id: backend_of().get(record_id),
        find_eholdings=functools.partial(find_eholdings, settings=settings),
        search_ids=search_ids,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Router(
        settings.ledger_db,
        members=config.get("EFIRST_MEMBERS_FILE") or None,
        network_path=config.get("EFIRST_NETWORK_FILE") or None,
        items=items,
    )


def _lookup_fields(citation: Any) -> dict[str, str]:
    if citation.doi:
        return {"doi": citation.doi}
    if citation.isbn:
        return {"isbn": citation.isbn[0]}
    if citation.issn:
        return {"issn": citation.issn[0]}
    title = citation.jtitle or citation.btitle or citation.atitle
    return {"title": title} if title else {}


def _error(status: int, code: str, message: str, field: str | None) -> tuple[Response, int]:
    return jsonify(error_body(status, code, message, field)), status


@bp.errorhandler(RequestError)
def _bad_request(exc: RequestError) -> tuple[Response, int]:
    return _error(exc.status, exc.code, str(exc), exc.field)


@bp.errorhandler(AuthError)
def _auth_error(exc: AuthError) -> tuple[Response, int] | Response:
    response, status = _error(exc.status, exc.code, str(exc), exc.field)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="efirst router"'
    return response, status


@bp.errorhandler(RequestNotFound)
def _not_found(exc: RequestNotFound) -> tuple[Response, int]:
    return _error(404, "not_found", str(exc), "id")


@bp.errorhandler(EventError)
def _event_refused(exc: EventError) -> tuple[Response, int]:
    code = {403: "forbidden", 409: "conflict"}.get(exc.status, "unprocessable")
    return _error(exc.status, code, str(exc), exc.field)


@bp.errorhandler(RoutingError)
def _routing_error(exc: RoutingError) -> tuple[Response, int]:
    return _error(422, "unprocessable", str(exc), None)


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise RequestError("the body must be a JSON object", field=None, status=400)
    return data


@bp.post("/requests")
def create_request() -> tuple[Response, int, dict[str, str]]:
    """Decide and record a delivery request."""
    router = get_router()
    caller = current_caller(router)
    data = _json_body()
    library = data.get("library")
    if not isinstance(library, str) or not library:
        raise RequestError("the patron's library code is required", field="library")
    router.check_borrower(library)
    if caller is not None and caller.via == "api_key" and not caller.acts_for(library):
        raise AuthError(
            f"this API key may not create requests for {library}", status=403, field="library"
        )
    asked = {key: data[key] for key in ("record_id", "citation") if key in data}
    asked["needs"] = data.get("needs", {})
    stored = router.create_request(library, asked, by=caller.actor if caller else None)
    return jsonify(stored), 201, {"Location": f"{bp.url_prefix}/requests/{stored['id']}"}


@bp.get("/requests/<request_id>")
def show_request(request_id: str) -> Response:
    """A request with its lender, rota and timeline (free text only for those involved)."""
    router = get_router()
    caller = current_caller(router)
    stored = router.ledger.get(request_id)
    response = jsonify(
        {**stored, "redacted": False} if may_see(caller, stored) else public_view(stored)
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.vary.update(("Authorization", "Cookie"))
    return response


@bp.post("/requests/<request_id>/events")
def post_event(request_id: str) -> Response:
    """Apply a lender's or the borrower's message; a refusal moves to the next lender."""
    router = get_router()
    caller = require_caller(router)
    data = _json_body()
    if "library" not in data and caller.only_library:
        data = {**data, "library": caller.only_library}
    event = parse_event(data, request.headers.get("Idempotency-Key"))
    if not caller.acts_for(event["library"]):
        raise AuthError(
            f"you may not act for library {event['library']}", status=403, field="library"
        )
    result = router.event(request_id, event.pop("type"), by=caller.actor, **event)
    return jsonify({**result, "redacted": False})


@bp.get("/libraries")
def libraries() -> Response:
    """The member libraries."""
    members = get_router().members_file.members
    return jsonify(
        {
            "libraries": [
                {
                    "code": lib.code,
                    "name": lib.name_en or lib.name_zh,
                    "name_zh": lib.name_zh,
                    "name_en": lib.name_en,
                    "region": lib.region,
                    "role": lib.role,
                    "city": lib.city,
                }
                for lib in members.values()
            ]
        }
    )
