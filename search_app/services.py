"""The app's shared parts, created once per app and stored in ``app.extensions``.

No module-level state: everything hangs off the Flask app, so two apps (tests, the
embedded portal under another prefix) never share an index handle or a cache.
``get_backend()`` follows flaskr's ``get_db()``: the backend is opened on first use in
each process (gunicorn workers each open their own searcher).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from flask import Flask, current_app

from indexer.backends import SearchBackend, SearchQuery, SearchResults, open_backend
from indexer.cache import GenerationCache
from indexer.settings import Settings
from mappings.errors import BackendError
from router.members import default_members_path
from search_app.members import MemberDirectory, Members

__all__ = [
    "Services",
    "cached_page",
    "cached_search",
    "get_backend",
    "init_app",
    "members",
    "services",
]

EXTENSION = "efirst"


#: The search and page caches (one implementation with the resolver's).
SearchCache = GenerationCache


@dataclass
class Services:
    settings: Settings
    directory: MemberDirectory
    cache: SearchCache
    backend_factory: Callable[[], SearchBackend]
    #: Rendered results pages (their main part), same generation rule as ``cache``.
    pages: SearchCache = field(default_factory=lambda: SearchCache(1, 1.0))
    _backend: SearchBackend | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def backend(self) -> SearchBackend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self.backend_factory()
        return self._backend


def init_app(app: Flask) -> Services:
    config = app.config
    settings = Settings(
        data_dir=Path(config["EFIRST_DATA_DIR"]),
        search_url=config["EFIRST_SEARCH_URL"],
        index_name=config["EFIRST_INDEX_NAME"],
    )
    preset = config.get("EFIRST_MEMBERS")
    members_path = config["EFIRST_MEMBERS_FILE"] or default_members_path(
        {"EFIRST_DATA_DIR": config["EFIRST_DATA_DIR"]}
    )
    directory = MemberDirectory(Path(members_path), preset)
    given = config.get("EFIRST_BACKEND")  # an already-open backend (tests, embedding)
    factory: Callable[[], SearchBackend] = (
        (lambda: given) if given is not None else (lambda: open_backend(settings))
    )
    found = Services(
        settings=settings,
        directory=directory,
        cache=SearchCache(config["EFIRST_CACHE_SIZE"], config["EFIRST_CACHE_TTL"]),
        backend_factory=factory,
        pages=SearchCache(
            int(config.get("EFIRST_PAGE_CACHE_SIZE", 512)), config["EFIRST_CACHE_TTL"]
        ),
    )
    app.extensions[EXTENSION] = found
    return found


def services() -> Services:
    return current_app.extensions[EXTENSION]


def get_backend() -> SearchBackend:
    return services().backend()


def members() -> Members:
    return services().directory.current()


def _query_key(query: SearchQuery) -> bytes:
    data: dict[str, Any] = {name: getattr(query, name) for name in query.__slots__}
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def cached_search(query: SearchQuery) -> SearchResults:
    """Run ``query`` through the hot-query cache (results are shared: do not mutate)."""
    found = services()
    backend = found.backend()
    return found.cache.get_or_compute(
        backend.generation, _query_key(query), lambda: backend.search(query)
    )


def cached_page(key: bytes, render: Callable[[], str]) -> str:
    """A rendered page part through the page cache (emptied when the index changes).

    ``key`` must name everything the part depends on besides the index.
    """
    found = services()
    try:
        generation = found.backend().generation
    except BackendError:  # engine unreachable or refusing: no caching; ``render`` runs
        return render()  # the search, whose error handler answers 503
    return found.pages.get_or_compute(generation, key, render)
