"""The one search-backend interface; tantivy and Elasticsearch implement it.

Documents are flat dicts keyed by the field names of :mod:`mappings.fields` (built from
clusters by :func:`indexer.documents.cluster_document`). ``payload`` is the display
document, returned unchanged in every :class:`Hit`:

``{"id", "title", "title_vernacular": [], "authors": [], "year", "format", "language",
"publisher", "isbn": [], "issn": [], "doi", "oclc": [], "subjects": [], "sources": [],
"holdings": [{"library", "kind", "location", "call_number", "coverage", "url"}],
"links": [{"url", "access", "label", "library"}], "records": ["source:id", ...]}``

Query semantics both engines must honour (the contract suite in ``tests/contract``
checks them):

- ``text``: words are ANDed (every word must match somewhere), searched in
  title^5 author^3 subject^2 all^1 with BM25; CJK text is bigrammed with
  :func:`mappings.text.cjk_bigrams` first. A ``text`` that is a whole ISBN (any form),
  ISSN or DOI (:func:`mappings.identifiers.looks_like_identifier`) matches that
  identifier exactly instead.
- ``fields``: advanced search, ``{"title"|"author"|"subject"|"all": words,
  "isbn"|"issn"|"doi"|"oclc"|"lccn": identifier}``, each ANDed with the rest.
- ``filters``: ``{field: [values]}``; values of one field are ORed, fields ANDed.
  ``year_from``/``year_to`` bound ``year`` inclusively.
- ``facets``: terms counts over the whole result set (after filters), by count desc
  then value asc, at most ``facet_size`` per facet. ``year`` values are strings.
- ``sort``: relevance (score desc, then id asc), newest / oldest (year, missing last,
  then id), title (title_sort asc, then id).
- ``online_boost``: a library code; records whose ``online_for`` holds it or ``*`` rank
  above the others (E-first), relevance order kept within each group.
"""

from __future__ import annotations

import abc
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mappings.fields import FACETS

__all__ = ["BulkResult", "Hit", "SearchBackend", "SearchQuery", "SearchResults"]


@dataclass(slots=True)
class SearchQuery:
    text: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    facets: tuple[str, ...] = FACETS
    facet_size: int = 20
    sort: str = "relevance"
    offset: int = 0
    limit: int = 10
    highlight: bool = False
    online_boost: str = ""


@dataclass(slots=True)
class Hit:
    id: str
    score: float
    doc: dict[str, Any]
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SearchResults:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


@dataclass(slots=True)
class BulkResult:
    """What a bulk upsert did: documents written, and each failure as (id, reason)."""

    indexed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def merge(self, other: BulkResult) -> None:
        self.indexed += other.indexed
        self.failed.extend(other.failed)


class SearchBackend(abc.ABC):
    """A search engine holding one index of cluster documents."""

    @abc.abstractmethod
    def ensure_index(self) -> None:
        """Create the index (or upgrade its definition) if needed."""

    @abc.abstractmethod
    def upsert(self, docs: Iterable[dict[str, Any]]) -> BulkResult:
        """Insert or replace documents by ``id``; visible after :meth:`refresh`."""

    def upsert_new(self, docs: Iterable[dict[str, Any]], new: Container[str]) -> BulkResult:
        """:meth:`upsert`, where the documents whose ids are in ``new`` are known not to be
        in the index (an engine may then skip looking for one to replace). The caller
        must know: see :attr:`commit_mark`. Default: :meth:`upsert`."""
        return self.upsert(docs)

    @property
    def commit_mark(self) -> str | None:
        """This index and its last commit, for a caller that records the commit its own
        state matches; None when the engine cannot tell (then nothing is known absent)."""
        return None

    def rollback(self) -> None:  # noqa: B027 - optional hook
        """Drop the writes made since the last :meth:`refresh`, where the engine can (the
        indexing pipeline calls it when a batch fails). Default: nothing."""

    @abc.abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id (unknown ids are ignored)."""

    @abc.abstractmethod
    def refresh(self) -> None:
        """Make every write so far visible to searches."""

    @abc.abstractmethod
    def get(self, doc_id: str) -> dict[str, Any] | None:
        """The payload of one document, or None."""

    @abc.abstractmethod
    def count(self) -> int:
        """Number of documents searchable now."""

    @abc.abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Run a query (see the module docstring for the semantics)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove every document (the index definition stays)."""

    def iter_ids(self) -> Iterator[str]:
        """Every document id (used by rebuilds and consistency checks)."""
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files and connections."""

    @property
    def generation(self) -> str:
        """Changes whenever searchable content changes (cache invalidation key)."""
        return str(self.count())
