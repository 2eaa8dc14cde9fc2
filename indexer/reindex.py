"""Zero-downtime rebuild of the search index from the catalog (``efirst reindex``).

The catalog (sqlite3) is the truth; the index holds cluster documents derived from it
(:func:`indexer.documents.cluster_document`). A rebuild rewrites every document:

- Elasticsearch (:class:`~indexer.backends.elastic_backend.ElasticBackend`): the
  documents go into a new versioned index; when it is complete the alias moves to it in
  one atomic step and the old index is deleted. Searches see the old index, then the new
  one, never a half-built one. Too many failed documents: the new index is dropped and
  the alias stays where it was.
- tantivy (or any backend that publishes writes on :meth:`refresh`): every document is
  upserted, ids no longer in the catalog are deleted, and one commit publishes it all.

Run it while no ``efirst index`` runs: on Elasticsearch, a concurrent indexer writes
through the alias into the *old* index, and a cluster it changes after the rebuild has
read that cluster from the catalog is stale in the new index until it changes again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from indexer.backends.base import BulkResult, SearchBackend
from indexer.catalog import Catalog
from indexer.documents import cluster_document
from indexer.settings import Settings
from mappings.errors import BackendError

__all__ = ["ReindexReport", "catalog_documents", "reindex"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReindexReport:
    """What a rebuild did: documents written and refused, stale ids removed, index names."""

    result: BulkResult = field(default_factory=BulkResult)
    removed: int = 0
    index: str = ""
    previous: list[str] = field(default_factory=list)


def catalog_documents(
    catalog: Catalog, batch_size: int = 1000, progress: Any = None
) -> Iterator[dict[str, Any]]:
    """Every cluster document of the catalog, in cluster id order, in constant memory."""
    batch: list[str] = []
    for cluster_id in catalog.iter_cluster_ids():
        batch.append(cluster_id)
        if len(batch) >= batch_size:
            yield from _documents(catalog, batch, progress)
            batch = []
    if batch:
        yield from _documents(catalog, batch, progress)


def _documents(catalog: Catalog, ids: list[str], progress: Any) -> Iterator[dict[str, Any]]:
    for cluster in catalog.clusters(ids):
        yield cluster_document(cluster)
    if progress is not None:
        progress.update(len(ids))


def _rebuild_in_place(
    backend: SearchBackend, docs: Iterator[dict[str, Any]], max_failures: int
) -> ReindexReport:
    report = ReindexReport()
    seen: set[str] = set()

    def tracked() -> Iterator[dict[str, Any]]:
        for doc in docs:
            seen.add(str(doc.get("id") or ""))
            yield doc

    backend.ensure_index()
    report.result = backend.upsert(tracked())
    if len(report.result.failed) > max_failures:
        raise BackendError(
            f"reindex stopped: {len(report.result.failed)} document(s) refused "
            f"(allowed {max_failures}), e.g. {report.result.failed[0][0]}: "
            f"{report.result.failed[0][1]}"
        )
    stale = [doc_id for doc_id in backend.iter_ids() if doc_id not in seen]
    if stale:
        backend.delete(stale)
    report.removed = len(stale)
    backend.refresh()
    return report


def reindex(
    settings: Settings,
    backend: SearchBackend,
    *,
    batch_size: int = 1000,
    max_failures: int = 0,
    progress: Any = None,
) -> ReindexReport:
    """Rebuild ``backend``'s index from the catalog under ``settings.data_dir``.

    ``progress``: anything with ``update(n)`` (a tqdm bar), advanced per cluster batch.
    Raises :class:`~mappings.errors.BackendError` when more than ``max_failures``
    documents are refused (the live index is then left as it was, on Elasticsearch).
    """
    if not settings.catalog_db.exists():
        raise BackendError(
            f"no catalog at {settings.catalog_db}: index some records first (`efirst index`)"
        )
    with Catalog(settings.catalog_db) as catalog:
        docs = catalog_documents(catalog, batch_size, progress)
        rebuild = getattr(backend, "rebuild", None)
        if rebuild is None:
            return _rebuild_in_place(backend, docs, max_failures)
        done = rebuild(docs, max_failures=max_failures)
    report = ReindexReport(result=done.result, index=done.index, previous=done.previous)
    for doc_id, reason in report.result.failed[:20]:
        log.error("cluster %s not indexed: %s", doc_id, reason)
    return report
