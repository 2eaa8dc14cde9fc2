"""indexer.cache.GenerationCache: kept per index generation, computed outside the lock."""

from __future__ import annotations

import threading

from indexer.cache import GenerationCache


def test_hit_until_the_generation_changes() -> None:
    cache = GenerationCache(maxsize=10, ttl=60)
    calls: list[str] = []

    def compute() -> object:
        calls.append("x")
        return object()

    first = cache.get_or_compute("g1", "k", compute)
    assert cache.get_or_compute("g1", "k", compute) is first
    assert cache.get_or_compute("g2", "k", compute) is not first
    assert len(calls) == 2 and len(cache) == 1
    cache.clear()
    assert len(cache) == 0


def test_an_answer_from_a_generation_that_ended_meanwhile_is_not_kept() -> None:
    cache = GenerationCache(maxsize=10, ttl=60)

    def compute_while_the_index_changes() -> str:
        cache.get_or_compute("g2", "other", lambda: "new")  # another thread saw g2
        return "old"

    assert cache.get_or_compute("g1", "k", compute_while_the_index_changes) == "old"
    assert cache.get_or_compute("g2", "k", lambda: "fresh") == "fresh"


def test_zero_size_still_works() -> None:
    cache = GenerationCache(maxsize=0, ttl=60)
    assert cache.get_or_compute(None, ("a", 1), lambda: 5) == 5
    assert cache.get_or_compute(None, ("a", 1), lambda: 6) == 5


def test_a_slow_computation_does_not_block_cached_answers() -> None:
    cache = GenerationCache(maxsize=10, ttl=60)
    cache.get_or_compute("g", "cached", lambda: "hit")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(10)
        return "slow"

    worker = threading.Thread(target=cache.get_or_compute, args=("g", "missing", slow))
    worker.start()
    try:
        assert started.wait(10)
        answers: list[str] = []
        reader = threading.Thread(
            target=lambda: answers.append(cache.get_or_compute("g", "cached", lambda: "miss"))
        )
        reader.start()
        reader.join(2)
        assert answers == ["hit"]  # answered while ``slow`` still runs
    finally:
        release.set()
        worker.join()
    assert cache.get_or_compute("g", "missing", lambda: "again") == "slow"
