"""The subject facet is counted on a second thread only for a search running alone:
searches running together (a web server's threads) count every facet in one pass on
their own thread, with the same counts and hits."""

from __future__ import annotations

import random
import threading

import pytest

from indexer.backends.base import SearchQuery
from indexer.backends.tantivy_backend import TantivyBackend

FACETS = ("format", "language", "subject_facet", "library", "online_for", "year")
WORDS = ["alpha", "beta", "gamma", "delta", "omega"]


def _engine() -> TantivyBackend:
    rng = random.Random(3)
    engine = TantivyBackend(None)
    docs = []
    for n in range(1200):
        title = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
        docs.append(
            {
                "id": f"d{n:05d}",
                "title": title,
                "all": title,
                "format": rng.choice(["book", "journal", "thesis"]),
                "language": rng.choice(["eng", "chi", "ger"]),
                "subject_facet": rng.sample([f"s{k:02d}" for k in range(60)], 3),
                "library": rng.sample(["A", "B", "C"], rng.randint(0, 2)),
                "online_for": ["*"] if n % 4 == 0 else [],
                "year": 1950 + n % 70,
                "payload": {"id": f"d{n:05d}", "title": title},
            }
        )
    for start in range(0, len(docs), 300):
        engine.upsert(docs[start : start + 300])
        engine.refresh()
    return engine


QUERIES = [SearchQuery(text=word, facets=FACETS, facet_size=10) for word in WORDS] + [
    SearchQuery(text="alpha beta", facets=FACETS, filters={"format": ["book"]}),
    SearchQuery(facets=FACETS, year_from=1990, online_boost="A"),
]


def _answer(engine: TantivyBackend, query: SearchQuery) -> tuple:
    found = engine.search(query)
    return found.total, [hit.id for hit in found.hits], found.facets


@pytest.fixture(scope="module")
def expected() -> list[tuple]:
    engine = _engine()
    return [_answer(engine, query) for query in QUERIES]


def test_a_search_alone_counts_subjects_on_the_facet_thread(expected: list[tuple]) -> None:
    engine = _engine()
    assert [_answer(engine, query) for query in QUERIES] == expected
    assert engine._facet_pool is not None
    engine.close()


def test_while_another_search_runs_facets_are_counted_in_one_pass(
    expected: list[tuple],
) -> None:
    engine = _engine()
    with engine._searching_lock:
        engine._searching += 1  # another thread's search in progress
    try:
        assert [_answer(engine, query) for query in QUERIES] == expected
    finally:
        with engine._searching_lock:
            engine._searching -= 1
    assert engine._facet_pool is None
    assert engine._searching == 0


def test_searches_from_many_threads_give_the_answers_of_one(expected: list[tuple]) -> None:
    engine = _engine()
    failures: list[str] = []

    def work(seed: int) -> None:
        order = list(range(len(QUERIES))) * 5
        random.Random(seed).shuffle(order)
        for i in order:
            if _answer(engine, QUERIES[i]) != expected[i]:
                failures.append(f"thread {seed}: query {i}")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert engine._searching == 0
    engine.close()
