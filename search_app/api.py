"""The versioned JSON API: ``/api/v1/search``, ``/api/v1/records/<id>``,
``/api/v1/openapi.json``. Errors use the one envelope of :mod:`search_app.errors`;
cross-origin requests are answered only for member domains.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from mappings.schema import Library
from search_app.availability import Availability, availability
from search_app.errors import ApiError
from search_app.exports import EXPORTS
from search_app.openapi import openapi_document
from search_app.query import FACET_PARAMS, SearchForm
from search_app.security import origin_allowed
from search_app.services import members
from search_app.urls import link_for
from search_app.views import fetch_record, parse_form, run_search

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_FACET_NAMES = {field: name for name, field in FACET_PARAMS.items()} | {"year": "year"}


def _library() -> Library | None:
    """``?lib=CODE`` (unknown codes are an error), else the client's IP range."""
    directory = members()
    if "lib" in request.args:
        code = request.args.get("lib", "")
        library = directory.get(code)
        if library is None:
            raise ApiError(400, "unknown_library", f"no member library {code[:40]!r}", "lib")
        return library
    return directory.for_ip(request.remote_addr)


def _availability_json(found: Availability) -> dict[str, Any]:
    return {
        "best": found.best,
        "online": found.online,
        "shelf": found.shelf,
        "lenders": found.lenders,
    }


def _library_json(library: Library | None) -> dict[str, Any] | None:
    if library is None:
        return None
    return {"code": library.code, "name_zh": library.name_zh, "name_en": library.name_en}


def _strict_form() -> SearchForm:
    form = parse_form()
    if form.problems:
        field, message = form.problems[0]
        raise ApiError(400, "bad_parameter", message, field)
    return form


@bp.get("/search")
def search() -> Response:
    form = _strict_form()
    library = _library()
    results, items = run_search(form, library.code if library else "")
    api_link, html_link = (
        link_for("api.record", "record_id"),
        link_for("portal.record", "record_id"),
    )
    return jsonify(
        {
            "total": results.total,
            "page": form.page,
            "per_page": form.per_page,
            "pages": math.ceil(results.total / form.per_page) if results.total else 0,
            "library": _library_json(library),
            "results": [
                {
                    **item.payload,
                    "availability": _availability_json(item.availability),
                    "_links": {
                        "self": api_link(item.id),
                        "html": html_link(item.id),
                    },
                }
                for item in items
            ],
            "facets": {
                _FACET_NAMES.get(name, name): [{"value": v, "count": c} for v, c in counts]
                for name, counts in results.facets.items()
            },
        }
    )


@bp.get("/records/<record_id>")
def record(record_id: str) -> Response:
    library = _library()
    try:
        payload = fetch_record(record_id)
    except NotFound:
        raise ApiError(404, "not_found", f"no record {record_id[:80]!r}", "id") from None
    return jsonify(
        {
            "record": payload,
            "availability": _availability_json(
                availability(payload, library.code if library else "")
            ),
            "library": _library_json(library),
            "exports": {
                name: url_for("portal.export", record_id=record_id, fmt=name) for name in EXPORTS
            },
        }
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(request.host_url.rstrip("/")))


@bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin", "")
    if not origin:
        return response
    response.vary.add("Origin")
    domains = [d for lib in members().libraries.values() for d in lib.embed_domains]
    if origin_allowed(origin, domains):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
        response.headers["Access-Control-Max-Age"] = str(current_app.config["EFIRST_CORS_MAX_AGE"])
    return response
