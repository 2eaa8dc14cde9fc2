"""Search backends: :func:`open_backend` picks tantivy or Elasticsearch from settings."""

from __future__ import annotations

from indexer.backends.base import BulkResult, Hit, SearchBackend, SearchQuery, SearchResults
from indexer.settings import Settings

__all__ = [
    "BulkResult",
    "Hit",
    "SearchBackend",
    "SearchQuery",
    "SearchResults",
    "open_backend",
]


def open_backend(settings: Settings) -> SearchBackend:
    """The embedded engine when ``search_url`` is empty, else Elasticsearch."""
    if settings.search_url:
        from indexer.backends.elastic_backend import ElasticBackend

        return ElasticBackend(settings.search_url, settings.index_name)
    from indexer.backends.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)
