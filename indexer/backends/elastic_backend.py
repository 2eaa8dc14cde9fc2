"""Elasticsearch as the search engine (scale-out), with the official ``elasticsearch`` client.

- Searches and writes go through an alias (``EFIRST_INDEX_NAME``, default ``efirst``)
  pointing at one versioned index ``<alias>-<UTC timestamp>``; :meth:`ElasticBackend.rebuild`
  builds a new version, switches the alias atomically and deletes the old one, so a
  search never sees a half-built index (``efirst reindex``).
- Index definition: :mod:`indexer.backends.es_index` (from the field table); queries:
  :mod:`indexer.backends.es_query` (the same clauses as the tantivy backend) run by
  :mod:`indexer.backends.es_search`.
- Bulk writes (:mod:`indexer.backends.es_bulk`) use
  :func:`elasticsearch.helpers.streaming_bulk` with ``raise_on_error=False``; 429/503
  answers are retried with exponential back-off, and every document that still fails
  comes back in :class:`BulkResult` as ``(id, reason)``.
- Elasticsearch down or too slow: :class:`~mappings.errors.BackendUnavailable` with a
  message naming the URL (the CLI and the portal show it; no traceback). A refused
  operation: :class:`~mappings.errors.BackendError`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch.serializer import OrjsonSerializer

from indexer.backends.base import BulkResult, SearchBackend, SearchQuery, SearchResults
from indexer.backends.es_bulk import RETRY_STATUSES, send_bulk
from indexer.backends.es_errors import error_reason, too_many_failures, translate_errors
from indexer.backends.es_index import index_body, mapping_signature, new_index_name, to_source
from indexer.backends.es_query import build_query
from indexer.backends.es_scoring import SCORE_FACTORS, TextStats, calibrate
from indexer.backends.es_search import Searcher
from mappings.errors import BackendError, BackendUnavailable

__all__ = ["ElasticBackend", "RebuildReport"]

log = logging.getLogger(__name__)

#: Seconds the boost factors of the live index are cached.
FACTORS_TTL = 10.0
#: Seconds :attr:`ElasticBackend.generation` is cached (other processes' writes).
GENERATION_TTL = 1.0


@dataclass(slots=True)
class RebuildReport:
    """What :meth:`ElasticBackend.rebuild` did."""

    index: str
    previous: list[str] = field(default_factory=list)
    result: BulkResult = field(default_factory=BulkResult)


class ElasticBackend(SearchBackend):
    """:class:`SearchBackend` on an Elasticsearch cluster at ``url``, behind ``alias``."""

    def __init__(
        self,
        url: str,
        alias: str = "efirst",
        *,
        shards: int = 1,
        replicas: int = 0,
        request_timeout: float = 10.0,
        bulk_timeout: float = 120.0,
        max_retries: int = 3,
        chunk_size: int = 2000,
        initial_backoff: float = 0.5,
        max_backoff: float = 30.0,
        bulk_senders: int = 2,
    ) -> None:
        self.url = url.rstrip("/")
        self.alias = alias
        self.shards = shards
        self.replicas = replicas
        self.bulk_timeout = bulk_timeout
        self.max_retries = max_retries
        self.chunk_size = chunk_size
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.bulk_senders = bulk_senders
        self.client = Elasticsearch(
            self.url,
            request_timeout=request_timeout,
            max_retries=max_retries,
            retry_on_status=RETRY_STATUSES,
            retry_on_timeout=True,
            serializer=OrjsonSerializer(),  # bulk bodies and answers: the stdlib json's cost / 3
        )
        self._ready = False
        self._factor_cache: tuple[float, dict[str, float]] | None = None
        self._generation: tuple[float, str] | None = None

    def _guard(self, action: str) -> contextlib.AbstractContextManager[None]:
        return translate_errors(self.url, action)

    # -- index lifecycle -------------------------------------------------------------
    def _indices(self) -> list[str]:
        """The concrete indices behind the alias (empty when there is no alias)."""
        try:
            found = self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            if self.client.indices.exists(index=self.alias):
                raise BackendError(
                    f"{self.alias!r} on {self.url} is an index, not an alias; "
                    "delete it or choose another EFIRST_INDEX_NAME"
                ) from None
            return []
        return sorted(found)

    def _create(self, *, bulk_load: bool = False, aliased: bool = False) -> str:
        name = new_index_name(self.alias)
        body = index_body(shards=self.shards, replicas=self.replicas, bulk_load=bulk_load)
        aliases = {self.alias: {}} if aliased else None
        self.client.indices.create(index=name, aliases=aliases, **body)
        return name

    def ensure_index(self) -> None:
        with self._guard("preparing the index"):
            current = self._indices()
            if not current:
                current = self._create_first()
            self._check_definition(current[0])
        self._ready = True

    def _create_first(self) -> list[str]:
        """Create the first index with the alias; if processes raced, the oldest wins."""
        name = self._create(aliased=True)
        current = self._indices()
        if len(current) > 1 and name != current[0]:
            self.client.indices.update_aliases(actions=[{"remove_index": {"index": name}}])
            current = self._indices()
        log.info("index %s behind alias %s", current[0], self.alias)
        return current

    def _check_definition(self, index: str) -> None:
        meta = self.client.indices.get_mapping(index=index)[index]["mappings"].get("_meta", {})
        if meta.get("efirst_signature") == mapping_signature():
            return
        body = index_body()["mappings"]
        try:
            self.client.indices.put_mapping(
                index=index, properties=body["properties"], meta={**meta, **body["_meta"]}
            )
        except ApiError as exc:
            raise BackendError(
                f"the index {index} on {self.url} was built with another field table and "
                f"cannot be upgraded in place ({error_reason(exc)}); run `efirst reindex`"
            ) from exc
        log.warning(
            "index %s had an older definition: mapping updated in place; run `efirst reindex` "
            "so existing documents are analysed the new way",
            index,
        )

    def _prepare(self) -> None:
        if not self._ready:
            self.ensure_index()

    # -- writes ----------------------------------------------------------------------
    def _actions(
        self,
        docs: Iterable[dict[str, Any]],
        index: str,
        failed: list[tuple[str, str]],
        stats: TextStats | None = None,
    ) -> Iterator[dict[str, Any]]:
        for doc in docs:
            doc_id = str(doc.get("id") or "")
            try:
                source = to_source(doc, stats)
            except (ValueError, TypeError, OverflowError) as exc:
                failed.append((doc_id, str(exc)))
                continue
            yield {"_op_type": "index", "_index": index, "_id": doc_id, "_source": source}

    def _bulk(
        self, actions: Iterable[dict[str, Any]], action: str, accept: tuple[int, ...] = ()
    ) -> BulkResult:
        client = self.client.options(request_timeout=self.bulk_timeout)
        with self._guard(action):
            return send_bulk(
                client,
                actions,
                chunk_size=self.chunk_size,
                max_retries=self.max_retries,
                initial_backoff=self.initial_backoff,
                max_backoff=self.max_backoff,
                accept=accept,
                senders=self.bulk_senders,
            )

    def upsert(self, docs: Iterable[dict[str, Any]]) -> BulkResult:
        self._prepare()
        return self._upsert_into(self.alias, docs, "indexing documents")

    def _upsert_into(
        self,
        index: str,
        docs: Iterable[dict[str, Any]],
        action: str,
        stats: TextStats | None = None,
    ) -> BulkResult:
        failed: list[tuple[str, str]] = []
        result = self._bulk(self._actions(docs, index, failed, stats), action)
        result.failed[:0] = failed
        for doc_id, reason in result.failed[:20]:
            log.warning("document %s not indexed: %s", doc_id or "<no id>", reason)
        return result

    def delete(self, ids: Iterable[str]) -> None:
        self._prepare()
        actions = (
            {"_op_type": "delete", "_index": self.alias, "_id": str(doc_id)} for doc_id in ids
        )
        result = self._bulk(actions, "deleting documents", accept=(404,))
        if result.failed:
            raise BackendError(
                f"Elasticsearch at {self.url} could not delete {len(result.failed)} "
                f"document(s), e.g. {result.failed[0][0]}: {result.failed[0][1]}"
            )

    def refresh(self) -> None:
        self._prepare()
        with self._guard("refreshing the index"):
            self.client.indices.refresh(index=self.alias)
        self._generation = None

    def clear(self) -> None:
        """Swap in a new empty index (the reindex module's delete-by-query is optional)."""
        self.rebuild(())

    # -- zero-downtime rebuild ----------------------------------------------------------
    def rebuild(self, docs: Iterable[dict[str, Any]], *, max_failures: int = 0) -> RebuildReport:
        """Index ``docs`` into a new versioned index, then move the alias to it atomically.

        Searches keep using the old index until the switch. When more than
        ``max_failures`` documents fail, the new index is deleted, the alias is left
        alone and :class:`BackendError` lists the first failures.
        """
        with self._guard("starting a rebuild"):
            previous = self._indices()
            name = self._create(bulk_load=True)
        report = RebuildReport(index=name, previous=previous)
        stats = TextStats()
        try:
            report.result = self._upsert_into(name, docs, f"rebuilding into {name}", stats)
            if len(report.result.failed) > max_failures:
                raise BackendError(too_many_failures(name, report.result.failed, max_failures))
            with self._guard(f"finishing {name}"):
                calibrate(self.client, name, stats, {"efirst_signature": mapping_signature()})
                live = {"refresh_interval": "1s", "translog": {"durability": "request"}}
                self.client.indices.put_settings(index=name, settings=live)
                self.client.indices.refresh(index=name)
                self._switch(name, previous)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.indices.delete(index=name)
            raise
        with self._guard("deleting the previous index"):
            for old in previous:
                self.client.indices.delete(index=old)
        self._ready = True
        self._factor_cache = self._generation = None
        return report

    def _factors(self) -> dict[str, float]:
        """The live index's boost factors, re-read at most every few seconds."""
        now = time.monotonic()
        if self._factor_cache is not None and now - self._factor_cache[0] < FACTORS_TTL:
            return self._factor_cache[1]
        found = self.client.indices.get_mapping(index=self.alias)
        factors: dict[str, float] = {}
        for data in found.values():
            factors = data["mappings"].get("_meta", {}).get(SCORE_FACTORS, {}) or {}
        self._factor_cache = (now, factors)
        return factors

    def _switch(self, name: str, previous: list[str]) -> None:
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": self.alias}} for old in previous
        ]
        actions.append({"add": {"index": name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        log.info("alias %s now points at %s (was %s)", self.alias, name, previous or "nothing")

    # -- reads -----------------------------------------------------------------------
    def get(self, doc_id: str) -> dict[str, Any] | None:
        self._prepare()
        with self._guard("reading a document"):
            try:
                found = self.client.get(index=self.alias, id=str(doc_id), realtime=False)
            except NotFoundError:
                return None
        return found["_source"].get("payload")

    def count(self) -> int:
        self._prepare()
        with self._guard("counting documents"):
            return int(self.client.count(index=self.alias)["count"])

    def iter_ids(self, page: int = 5000) -> Iterator[str]:
        self._prepare()
        after: list[Any] | None = None
        while True:
            extra = {"search_after": after} if after else {}
            with self._guard("listing document ids"):
                found = self.client.search(
                    index=self.alias,
                    query={"match_all": {}},
                    sort=[{"id": "asc"}],
                    size=page,
                    source=False,
                    track_total_hits=False,
                    **extra,
                )
            hits = found["hits"]["hits"]
            yield from (hit["_id"] for hit in hits)
            if len(hits) < page:
                return
            after = hits[-1]["sort"]

    @property
    def generation(self) -> str:
        """Index version and refresh counter: changes when searchable content changes.

        Read at most once per :data:`GENERATION_TTL` seconds (every portal search asks);
        this process's own refreshes and rebuilds are seen at once. An outage never
        raises here: with the node unreachable the key changes every second (nothing is
        reused) and the search that follows reports it. A refusal (the URL is not
        Elasticsearch, the alias is an index) raises :class:`BackendError`; the portal's
        page cache then renders uncached, and the search reports it (503).
        """
        now = time.monotonic()
        if self._generation is not None and now - self._generation[0] < GENERATION_TTL:
            return self._generation[1]
        try:
            self._prepare()
            with self._guard("reading index statistics"):
                stats = self.client.indices.stats(index=self.alias, metric="refresh,docs")
        except BackendUnavailable:
            return f"unavailable:{int(time.time())}"
        parts = []
        for name, data in sorted(stats["indices"].items()):
            total = data["primaries"]
            refreshes = total["refresh"].get("external_total", total["refresh"]["total"])
            parts.append(f"{name}:{refreshes}:{total['docs']['count']}")
        self._generation = (now, "|".join(parts))
        return self._generation[1]

    def search(self, query: SearchQuery) -> SearchResults:
        self._prepare()
        with self._guard("searching"):
            built, scoring = build_query(query, self._factors())
            searcher = Searcher(
                self.client.options(max_retries=min(1, self.max_retries)),  # a patron waits
                self.alias,
                dfs=self.shards > 1,
            )
            return searcher.run(query, built, scoring)

    def ping(self) -> bool:
        """True when the cluster answers (never raises)."""
        try:  # not ``client.ping()``: ``HEAD /`` is refused by some distributions
            self.client.options(request_timeout=2.0, max_retries=0).cluster.health()
        except Exception:  # noqa: BLE001 - a probe must not raise
            return False
        return True

    def close(self) -> None:
        self.client.close()
