"""Security headers on every response, CSP ``frame-ancestors`` per member, API CORS,
upload size limits.

Only the embedded portal (``?embed=CODE``) may be framed, and only by the origins in that
member's ``embed_domains``; every other page says ``frame-ancestors 'self'``. The JSON API
answers cross-origin requests only from member domains. Entries of ``embed_domains`` are
CSP host sources: ``https://lib.example.edu``, ``lib.example.edu``, ``*.example.edu``,
optionally with a port.

Request bodies are capped by ``MAX_CONTENT_LENGTH`` (``EFIRST_MAX_UPLOAD_BYTES``): a bigger
one is refused with 413 before it is read. The endpoints in :data:`UPLOAD_LIMITS` have
their own cap (the delivery upload sets its own, ``EFIRST_DELIVERY_MAX_BYTES``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

__all__ = ["UPLOAD_LIMITS", "csp_sources", "init_app", "origin_allowed", "valid_domain"]

#: endpoint -> the setting that caps its request body instead of EFIRST_MAX_UPLOAD_BYTES
UPLOAD_LIMITS = {"admin.upload": "EFIRST_ADMIN_MAX_UPLOAD_BYTES"}

_DOMAIN = re.compile(
    r"^(?:(?P<scheme>https?)://)?(?P<host>(?:\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])"
    r"(?::(?P<port>\d{1,5}))?/?$"
)
BASE_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'"
)


def valid_domain(entry: str) -> bool:
    return bool(_DOMAIN.match(entry.strip()))


def csp_sources(domains: Iterable[str]) -> list[str]:
    """The well-formed ``embed_domains`` entries (anything else could inject CSP)."""
    return [d.strip().rstrip("/") for d in domains if valid_domain(d)]


def origin_allowed(origin: str, domains: Iterable[str]) -> bool:
    """Does the ``Origin`` header value match one of the member domain entries?"""
    parts = urlsplit(origin or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for entry in domains:
        match = _DOMAIN.match(entry.strip())
        if not match:
            continue
        scheme, host = match["scheme"], match["host"].lower()
        if scheme and scheme != parts.scheme:
            continue
        default_port = 443 if (scheme or parts.scheme) == "https" else 80
        if int(match["port"] or default_port) != port:
            continue
        name = parts.hostname.lower()
        if host == name or (host.startswith("*.") and name.endswith(host[1:])):
            return True
    return False


def _frame_ancestors() -> str:
    allowed = g.get("frame_ancestors")
    if allowed:
        return "frame-ancestors 'self' " + " ".join(allowed)
    return "frame-ancestors 'self'"


def _set_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", f"{BASE_CSP}; {_frame_ancestors()}")
    if not g.get("frame_ancestors"):
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("EFIRST_HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def _upload_limit() -> None:
    """Give the big-upload endpoints their own cap (before any blueprint hook reads the
    form, e.g. the CSRF check)."""
    setting = UPLOAD_LIMITS.get(request.endpoint or "")
    if setting and request.method == "POST":
        request.max_content_length = int(current_app.config[setting])


def init_app(app: Flask) -> None:
    app.before_request(_upload_limit)
    app.after_request(_set_headers)
