"""Bulk writes to Elasticsearch: documents prepared here while the node indexes the last batch.

:func:`send_bulk` runs :func:`elasticsearch.helpers.streaming_bulk` in sender threads,
each fed through a bounded queue (:data:`HANDOFF` actions at a time), so the caller's
thread keeps reading and converting documents (catalog reads, text analysis) while
Elasticsearch indexes the previous chunk.
The caller's iterator is only ever advanced in the caller's thread (sqlite connections
must stay in theirs). 429/502/503/504 answers are retried with exponential back-off by
the helper; documents that still fail come back as ``(id, reason)`` in the result.
"""

from __future__ import annotations

import queue
import threading
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from elasticsearch import Elasticsearch, helpers

from indexer.backends.base import BulkResult
from indexer.backends.es_errors import reason

__all__ = ["RETRY_STATUSES", "send_bulk"]

#: Statuses retried (by the transport for whole requests, by the bulk helper per item).
RETRY_STATUSES = (429, 502, 503, 504)
_END = object()


#: Actions handed to a sender thread at a time (one queue operation per batch, not per
#: document: the queue's locks cost more than converting a document).
HANDOFF = 250
#: Only what the helper reads from a bulk answer (Elasticsearch then writes, and the
#: client parses, a fraction of the full per-item answers).
FILTER_PATH = "items.*._id,items.*.status,items.*.error"


def _drain(feed: queue.Queue[Any]) -> Iterator[dict[str, Any]]:
    while (batch := feed.get()) is not _END:
        yield from batch


def _put(feed: queue.Queue[Any], item: Any, sender: threading.Thread) -> bool:
    """Queue ``item`` for ``sender`` unless it has died; False when it has."""
    while sender.is_alive():
        try:
            feed.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def send_bulk(
    client: Elasticsearch,
    actions: Iterable[dict[str, Any]],
    *,
    chunk_size: int = 1000,
    max_retries: int = 3,
    initial_backoff: float = 0.5,
    max_backoff: float = 30.0,
    accept: tuple[int, ...] = (),
    senders: int = 2,
) -> BulkResult:
    """Send ``actions``; every action is counted as indexed or failed (``accept``: ok statuses).

    ``senders`` threads each keep one bulk request in flight (a node indexes concurrent
    requests on several cores); actions go to a sender by their ``_id``, so writes of
    one document keep their order.

    Raises the client's exception (connection error, timeout, a refused request) when a
    whole request fails after its retries; the caller translates it.
    """
    result = BulkResult()
    errors: list[BaseException] = []
    count = max(1, senders)
    depth = max(2, 2 * chunk_size // HANDOFF)  # about two chunks queued per sender
    feeds: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in range(count)]
    lock = threading.Lock()

    def send(feed: queue.Queue[Any]) -> None:
        try:
            for ok, item in helpers.streaming_bulk(
                client,
                _drain(feed),
                chunk_size=chunk_size,
                raise_on_error=False,
                max_retries=max_retries,
                initial_backoff=initial_backoff,
                max_backoff=max_backoff,
                retry_on_status=RETRY_STATUSES,
                filter_path=FILTER_PATH,
            ):
                info = next(iter(item.values()))
                with lock:
                    if ok or info.get("status") in accept:
                        result.indexed += 1
                    else:
                        why = reason(info.get("error") or f"HTTP {info.get('status')}")
                        result.failed.append((str(info.get("_id", "")), why))
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)

    threads = [
        threading.Thread(target=send, args=(feed,), name=f"efirst-es-bulk-{n}", daemon=True)
        for n, feed in enumerate(feeds)
    ]
    for thread in threads:
        thread.start()
    batches: list[list[dict[str, Any]]] = [[] for _ in range(count)]
    try:
        for action in actions:
            n = zlib.crc32(str(action.get("_id", "")).encode()) % count  # one id, one order
            batch = batches[n]
            batch.append(action)
            if len(batch) >= HANDOFF:
                batches[n] = []
                if errors or not _put(feeds[n], batch, threads[n]):
                    break
    finally:  # what was read is sent, even when reading failed
        for feed, thread, batch in zip(feeds, threads, batches, strict=True):
            if batch and not errors:
                _put(feed, batch, thread)
            _put(feed, _END, thread)
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    return result
