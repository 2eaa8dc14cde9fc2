"""A real embedded search engine for tests: an in-RAM tantivy index of given clusters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from mappings.schema import Cluster


@contextmanager
def tantivy_of(clusters: Iterable[Cluster]) -> Iterator[TantivyBackend]:
    """A tantivy index in RAM holding the documents of ``clusters``, closed afterwards."""
    engine = TantivyBackend(None)
    engine.ensure_index()
    result = engine.upsert(cluster_document(c) for c in clusters)
    assert not result.failed, result.failed
    engine.refresh()
    try:
        yield engine
    finally:
        engine.close()
