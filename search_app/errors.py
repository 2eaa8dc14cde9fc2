"""One JSON error envelope for every API, and HTML error pages for people.

Every JSON error efirst sends looks like::

    {"error": {"status": 400, "code": "bad_parameter", "message": "...", "field": "page"}}

``field`` names the request parameter or JSON member at fault (``null`` when none is).
Other packages' blueprints reuse it::

    from search_app.errors import json_error
    return json_error(404, "not_found", "no such request", field="id")

or raise :class:`ApiError` from inside a view. Requests under ``/api/`` (or asking for
JSON only) get JSON for every HTTP error; browsers get a page in their language.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from mappings.errors import error_body

__all__ = ["ApiError", "error_body", "init_app", "json_error", "wants_json"]

log = logging.getLogger(__name__)

#: HTTP status -> machine-readable code used when a view just aborts.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise in a view to answer with the JSON error envelope."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def json_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    """A JSON error response in the one envelope."""
    response = jsonify(error_body(status, code, message, field))
    response.status_code = status
    return response


def wants_json() -> bool:
    """True for API paths and for clients that prefer JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept.best == "application/json" and accept["application/json"] > accept["text/html"]


def _html_error(status: int, message: str) -> tuple[str, int]:
    try:
        return render_template("errors/error.html", status=status, message=message), status
    except Exception:  # the error page must never fail: plain text as last resort
        log.exception("rendering the error page failed")
        return f"Error {status}", status


def _handle_api_error(exc: ApiError) -> Response:
    return json_error(exc.status, exc.code, exc.message, exc.field)


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    if wants_json():
        response = json_error(status, STATUS_CODES.get(status, "error"), exc.description or "")
        if status == 405 and exc.get_headers():
            response.headers.update({k: v for k, v in exc.get_headers() if k == "Allow"})
        return response
    return _html_error(status, exc.description or "")


def _handle_unexpected(exc: Exception) -> Any:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    """Register the handlers: JSON for APIs, pages for browsers, never a bare traceback."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)
