"""The resolver's Flask blueprint: ``GET``/``POST`` ``/openurl`` and ``/resolve``.

The raw query string (and a form or XML body) is parsed by :mod:`resolver.openurl`,
never by Flask's own argument parser, which would break values holding a bare ``&``.
Service parameters: ``format=json`` (or ``Accept: application/json``), ``redirect=1``
(302 to the full text when exactly one licensed target exists) and ``lib=CODE``.

Configuration (``app.config``): ``EFIRST_CONSORTIUM_CODES`` (e-holdings every member
may use; default ``["*"]``), ``EFIRST_REQUEST_URL`` (the router's request form; default
``/request``), ``EFIRST_RESOLVER_CACHE_SIZE`` / ``_TTL``, ``EFIRST_EHOLDINGS`` (an open
e-holdings store, tests). The index and settings come from the portal's services
(``app.extensions["efirst"]``) when present, else from the environment. The portal can
plug its patron detection in as ``app.extensions["efirst.patron_library"]`` (a callable
returning a library code); until then :func:`patron_library` reads ``lib`` and the session.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request
from flask import session as flask_session
from flask_babel import Babel, get_locale
from flask_babel import gettext as _

from indexer.backends import open_backend
from indexer.eholdings import EHoldingStore
from indexer.settings import Settings
from mappings.errors import error_body
from resolver.ctx_xml import parse_context_objects
from resolver.kev import split_kev
from resolver.listeners import notify
from resolver.openurl import ParsedOpenURL, citation_from_pairs, citation_json, is_usable
from resolver.resolve import Resolution, Resolver

__all__ = ["bp", "get_resolver", "parse_request", "patron_library"]

log = logging.getLogger(__name__)

bp = Blueprint("resolver", __name__, template_folder="templates")


@bp.record_once
def _ensure_babel(state: Any) -> None:
    """The pages are translated with the host app's Flask-Babel (the portal sets it up
    with its catalogs); an app without one gets a default Babel, so pages render in
    English."""
    if "babel" not in state.app.extensions:
        Babel(state.app)


EXTENSION = "efirst.resolver"
SERVICE_KEYS = frozenset({"format", "redirect", "lib", "url_ctx_val"})
_LOCK = threading.Lock()


def _ascii_query(data: bytes) -> str:
    """Raw bytes as text with non-ASCII bytes percent-escaped (decoded later, per value)."""
    return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in data)


def parse_request() -> tuple[ParsedOpenURL, dict[str, str]]:
    """The citation of this request and its service parameters (``format``, ``lib``...)."""
    pairs = split_kev(_ascii_query(request.query_string))
    mimetype = request.mimetype or ""
    if request.method == "POST" and mimetype == "multipart/form-data":
        pairs += [(k.lower(), v) for k, v in request.form.items(multi=True)]
    elif request.method == "POST":
        body = request.get_data(cache=True)
        if "xml" in mimetype:
            found = parse_context_objects(body)
            pairs += found[0].pairs if found else []
        else:
            pairs += split_kev(_ascii_query(body))
    service = {k: v for k, v in reversed(pairs) if k in SERVICE_KEYS}
    if service.get("url_ctx_val"):
        found = parse_context_objects(service["url_ctx_val"].encode("utf-8"))
        pairs += found[0].pairs if found else []
    return citation_from_pairs(p for p in pairs if p[0] not in SERVICE_KEYS), service


def patron_library(service: dict[str, str]) -> str:
    """The patron's library code: the portal's detector if installed, else ``lib``/session."""
    detect = current_app.extensions.get("efirst.patron_library")
    if detect is not None:
        return str(detect() or "")
    if "lib" in service:
        code = service["lib"].strip()
        if code:
            flask_session["lib"] = code
        else:
            flask_session.pop("lib", None)
        return code
    return str(flask_session.get("lib", ""))


def get_resolver() -> Resolver:
    """The app's :class:`Resolver`, built on first use."""
    found = current_app.extensions.get(EXTENSION)
    if found is not None:
        return found
    with _LOCK:
        found = current_app.extensions.get(EXTENSION)
        if found is None:
            found = current_app.extensions[EXTENSION] = _build_resolver()
    return found


def _build_resolver() -> Resolver:
    config = current_app.config
    services = current_app.extensions.get("efirst")
    settings = services.settings if services is not None else Settings.from_env()
    backend = services.backend() if services is not None else open_backend(settings)
    store = config.get("EFIRST_EHOLDINGS") or EHoldingStore(settings.catalog_db)
    return Resolver(
        backend,
        store,
        consortium=config.get("EFIRST_CONSORTIUM_CODES", ("*",)),
        request_url=config.get("EFIRST_REQUEST_URL", "/request"),
        cache_size=int(config.get("EFIRST_RESOLVER_CACHE_SIZE", 4096)),
        cache_ttl=float(config.get("EFIRST_RESOLVER_CACHE_TTL", 600)),
    )


def _wants_json(service: dict[str, str]) -> bool:
    if service.get("format", "").lower() == "json":
        return True
    accept = request.accept_mimetypes
    return accept.best == "application/json" and accept["application/json"] > accept["text/html"]


def _library_name(code: str) -> str:
    services = current_app.extensions.get("efirst")
    if not code or services is None:
        return code
    try:
        library = services.directory.current().get(code)
    except Exception:  # the member file is the portal's: never fail a resolution on it
        log.exception("member directory unavailable")
        return code
    return library.name(str(get_locale() or "en")) if library is not None else code


def _json(resolution: Resolution) -> Response:
    options = [o.as_json() for o in resolution.options]
    return jsonify({"citation": citation_json(resolution.citation), "options": options})


NOTHING = (
    "This OpenURL carries no usable citation: give at least a DOI, PMID, ISBN, ISSN, "
    "OCLC number or a title (for example ?id=doi:10.1000/xyz or ?issn=1234-5679&volume=1)."
)


def _nothing_message() -> str:
    """:data:`NOTHING` in the page's language (JSON errors stay English)."""
    return _(
        "This OpenURL carries no usable citation: give at least a DOI, PMID, ISBN, ISSN, "
        "OCLC number or a title (for example ?id=doi:10.1000/xyz or ?issn=1234-5679&volume=1)."
    )


@bp.route("/openurl", methods=["GET", "POST"])
@bp.route("/resolve", methods=["GET", "POST"])
def openurl() -> Any:
    """Resolve an OpenURL: the options page, JSON, or a redirect to the full text."""
    parsed, service = parse_request()
    as_json = _wants_json(service)
    if not is_usable(parsed.citation):
        if as_json:
            return jsonify(error_body(400, "no_citation", NOTHING)), 400
        return render_template(
            "resolver/nothing.html", message=_nothing_message(), parsed=parsed
        ), 400
    library = patron_library(service)
    resolution = get_resolver().resolve(parsed.citation, library)
    notify(current_app.extensions, resolution, get_resolver())
    if service.get("redirect") in ("1", "true", "yes") and resolution.single_target:
        return redirect(resolution.single_target, code=302)
    if as_json:
        return _json(resolution)
    return render_template(
        "resolver/resolve.html",
        resolution=resolution,
        citation=parsed.citation,
        library=library,
        library_name=_library_name(library),
    )
