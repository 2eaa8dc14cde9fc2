"""Running a built query on Elasticsearch: one page, facets, and the E-first boost.

The order is the contract's (score or sort key, then ``id``); the E-first boost is two
queries (documents online for the library first, then the others), each group in its
own order, exactly as the tantivy backend pages it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from indexer.backends.base import SearchQuery, SearchResults
from indexer.backends.es_query import (
    facet_aggs,
    online_filter,
    sort_clause,
    to_facets,
    to_hit,
)

__all__ = ["Searcher"]


@dataclass(slots=True)
class Searcher:
    """Searches of one alias with one client (``dfs``: several shards, exact IDF)."""

    client: Elasticsearch
    alias: str
    dfs: bool = False

    def run(self, query: SearchQuery, built: dict[str, Any], scoring: bool) -> SearchResults:
        offset, limit = max(0, query.offset), max(0, query.limit)
        if query.online_boost and query.sort == "relevance":
            return self._boosted(query, built, scoring, offset, limit)
        found = self._page(built, query, scoring, offset, limit, facets=True)
        total = found["hits"]["total"]["value"]
        hits = [to_hit(raw, query) for raw in found["hits"]["hits"]]
        return SearchResults(total=total, hits=hits, facets=to_facets(found, query, total))

    def _page(
        self,
        built: dict[str, Any],
        query: SearchQuery,
        scoring: bool,
        offset: int,
        limit: int,
        *,
        facets: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "query": built,
            "sort": sort_clause(query.sort, scoring),
            "from": offset,
            "size": limit,
            "track_total_hits": True,
        }
        aggs = facet_aggs(query) if facets else {}
        if aggs:
            body["aggs"] = aggs
        search_type = "dfs_query_then_fetch" if self.dfs and scoring else None
        return self.client.search(index=self.alias, search_type=search_type, **body).body

    def _boosted(
        self, query: SearchQuery, built: dict[str, Any], scoring: bool, offset: int, limit: int
    ) -> SearchResults:
        """E-first: documents online for the library first, each group in its own order."""
        boost = online_filter(query.online_boost)
        first = {"bool": {"must": [built], "filter": [boost]}}
        rest = {"bool": {"must": [built], "must_not": [boost]}}
        whole = self._page(built, query, scoring, 0, 0, facets=True)
        total = whole["hits"]["total"]["value"]
        head = self._page(first, query, scoring, offset, limit, facets=False)
        first_total = head["hits"]["total"]["value"]
        raws = list(head["hits"]["hits"])
        if len(raws) < limit:
            skip = max(0, offset - first_total)
            tail = self._page(rest, query, scoring, skip, limit - len(raws), facets=False)
            raws += tail["hits"]["hits"]
        hits = [to_hit(raw, query) for raw in raws]
        return SearchResults(total=total, hits=hits, facets=to_facets(whole, query, total))
