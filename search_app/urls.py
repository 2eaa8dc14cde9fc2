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
from typing import Any
from urllib.parse import quote, urlencode

from flask import current_app, g, url_for
from werkzeug.datastructures import iter_multi_items

__all__ = ["link_for", "record_url_for", "search_url"]

#: What Werkzeug leaves unescaped in query strings and in path segments.
_QUERY_SAFE = "!$'()*,/:;?@"
_PATH_SAFE = "!$&'()*+,/:;=@"
_PLACEHOLDER = "EFIRSTRECORDID0"


def _query(values: Mapping[str, Any]) -> str:
    items = [(k, v) for k, v in iter_multi_items(values) if v is not None]
    return urlencode(items, safe=_QUERY_SAFE)


def _search_base() -> tuple[str, dict[str, Any]]:
    found = g.get("efirst_search_base")
    if found is None:
        defaults: dict[str, Any] = {}
        current_app.inject_url_defaults("portal.search", defaults)
        path = url_for("portal.search").partition("?")[0]
        found = g.efirst_search_base = (path, defaults)
    return found


def search_url(args: Mapping[str, Any], **first: Any) -> str:
    """``url_for("portal.search", **first, **args)``, quickly."""
    path, defaults = _search_base()
    values = {**first, **args}
    for key, value in defaults.items():
        values.setdefault(key, value)
    query = _query(values)
    return f"{path}?{query}" if query else path


def link_for(endpoint: str, argument: str, **fixed: Any) -> Callable[[str], str]:
    """A function ``value -> url_for(endpoint, **{argument: value}, **fixed)``, quickly
    (``argument`` is a path segment of the endpoint's rule)."""
    template = url_for(endpoint, **{argument: _PLACEHOLDER}, **fixed)
    prefix, _, suffix = template.partition(_PLACEHOLDER)
    return lambda value: prefix + quote(str(value), safe=_PATH_SAFE) + suffix


def record_url_for(q: str | None) -> Callable[[str], str]:
    """A function ``id -> url_for("portal.record", record_id=id, q=q)``, quickly."""
    return link_for("portal.record", "record_id", q=q or None)
