"""Portal links without a full ``url_for`` per link.

A results page carries ~40 links (one per hit, one per facet value, the pager). Each
``url_for`` runs the URL map's builder and the app's URL defaults (the embedded portal
keeps ``embed`` and ``lang``); here that work is done once per request and endpoint, and
each link is string work. The output is exactly what ``url_for`` gives (a test compares
them): the caller's values first, then the defaults the app adds, ``None`` dropped,
lists repeated, encoded as Werkzeug encodes query strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus

from flask import current_app, g, url_for
from werkzeug.datastructures import iter_multi_items

__all__ = ["link_for", "query_url", "record_url_for", "search_url"]

#: What Werkzeug leaves unescaped in query strings and in path segments.
_QUERY_SAFE = "!$'()*,/:;?@"
_PATH_SAFE = "!$&'()*+,/:;=@"
_PLACEHOLDER = "EFIRSTRECORDID0"


@lru_cache(maxsize=4096, typed=True)
def _pair(key: str, value: Any) -> str:
    """One ``key=value`` of a query string, encoded as ``urllib.parse.urlencode`` does
    (a page's links share most of their pairs: each is encoded once)."""
    return f"{quote_plus(str(key), _QUERY_SAFE)}={quote_plus(str(value), _QUERY_SAFE)}"


def _query(values: Mapping[str, Any]) -> str:
    return "&".join(_pair(k, v) for k, v in iter_multi_items(values) if v is not None)


def _base(endpoint: str) -> tuple[str, dict[str, Any]]:
    """The path of ``endpoint`` (a rule without arguments) and the URL defaults the app
    adds to its links, once per request."""
    bases = g.get("efirst_url_bases")
    if bases is None:
        bases = g.efirst_url_bases = {}
    found = bases.get(endpoint)
    if found is None:
        defaults: dict[str, Any] = {}
        current_app.inject_url_defaults(endpoint, defaults)
        path = url_for(endpoint).partition("?")[0]
        found = bases[endpoint] = (path, defaults)
    return found


def query_url(endpoint: str, args: Mapping[str, Any], **first: Any) -> str:
    """``url_for(endpoint, **first, **args)`` for an endpoint whose rule has no
    arguments (every value goes to the query string), quickly."""
    path, defaults = _base(endpoint)
    values = {**first, **args}
    for key, value in defaults.items():
        values.setdefault(key, value)
    query = _query(values)
    return f"{path}?{query}" if query else path


def search_url(args: Mapping[str, Any], **first: Any) -> str:
    """``url_for("portal.search", **first, **args)``, quickly."""
    return query_url("portal.search", args, **first)


def link_for(endpoint: str, argument: str, **fixed: Any) -> Callable[[str], str]:
    """A function ``value -> url_for(endpoint, **{argument: value}, **fixed)``, quickly
    (``argument`` is a path segment of the endpoint's rule)."""
    template = url_for(endpoint, **{argument: _PLACEHOLDER}, **fixed)
    prefix, _, suffix = template.partition(_PLACEHOLDER)
    return lambda value: prefix + quote(str(value), safe=_PATH_SAFE) + suffix


def record_url_for(q: str | None) -> Callable[[str], str]:
    """A function ``id -> url_for("portal.record", record_id=id, q=q)``, quickly."""
    return link_for("portal.record", "record_id", q=q or None)
