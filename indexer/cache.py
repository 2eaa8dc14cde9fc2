"""A cache of answers computed from one index generation (search results, rendered pages,
link-resolver resolutions).

Every entry is valid only for the index generation it was computed from
(:attr:`indexer.backends.base.SearchBackend.generation`): the first lookup that names a new
generation empties the cache, and an answer computed while the generation changed is
not kept. Entries also expire after ``ttl`` seconds (member holdings and e-holdings change
without a new index generation). Values are computed outside the lock, so a slow query
never blocks cached ones (two threads may compute the same missing key; both answers
are the same).

Examples
--------
>>> cache = GenerationCache(maxsize=100, ttl=60)
>>> cache.get_or_compute("g1", "q", lambda: "answer")
'answer'
>>> cache.get_or_compute("g1", "q", lambda: "recomputed")
'answer'
>>> cache.get_or_compute("g2", "q", lambda: "recomputed")
'recomputed'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache

__all__ = ["GenerationCache"]


class GenerationCache:
    """A thread-safe TTL cache emptied when the index generation changes.

    Parameters
    ----------
    maxsize:
        Entries kept at most (least recently used go first); below 1 counts as 1.
    ttl:
        Seconds an entry lives.
    """

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._cache: TTLCache[Hashable, Any] = TTLCache(maxsize=max(maxsize, 1), ttl=ttl)
        self._lock = threading.Lock()
        self._generation: Hashable = None

    def get_or_compute(
        self, generation: Hashable, key: Hashable, compute: Callable[[], Any]
    ) -> Any:
        """The cached value of ``key`` for ``generation``, else ``compute()`` (then kept,
        unless the generation changed meanwhile). A ``None`` value is computed again each time."""
        with self._lock:
            if generation != self._generation:
                self._cache.clear()
                self._generation = generation
            hit = self._cache.get(key)
        if hit is not None:
            return hit
        value = compute()  # outside the lock: slow queries never block cached ones
        with self._lock:
            if generation == self._generation:
                self._cache[key] = value
        return value

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)
