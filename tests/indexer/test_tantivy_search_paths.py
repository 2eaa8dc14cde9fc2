"""Tantivy search fast paths against brute-force oracles.

The one-pass facets (re-asked per facet only when a cut may be wrong), the hit count
taken from the aggregation or the page pass, and the order of large score-tie groups
read from the id fast field must give exactly what sorting every hit gives.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from indexer.backends.base import SearchQuery
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.backends.tantivy_search import build_query


def _docs() -> list[dict]:
    rng = random.Random(7)
    titles = ["alpha"] * 300 + ["alpha alpha"] * 5 + ["alpha gamma delta"] * 200 + ["beta"] * 50
    numbers = rng.sample(range(100_000), len(titles))
    docs = []
    for number, title in zip(numbers, titles, strict=True):
        docs.append(
            {
                "id": f"d{number:05d}",
                "title": title,
                "all": title,
                "format": rng.choice(["book", "journal"]),
                # 70 values, about 8 docs each: ties around every facet cut
                "language": f"l{number % 70:02d}",
                # ~560 values, over 200 in a segment: the first request cannot be exact
                "subject_facet": [f"s{number % 900:03d}", f"s{rng.randint(0, 9):03d}"],
                "library": rng.sample(["A", "B", "C", "D"], rng.randint(0, 2)),
                "online_for": ["*"] if number % 3 == 0 else [],
                "payload": {"id": f"d{number:05d}", "title": title},
            }
        )
    # "omega": the tie group's ids ("z...") sort after the other hits' ("a...", "m..."),
    # so a scan of the smallest ids must widen before it reaches the group
    for prefix, title, count in (
        ("m", "omega omega", 5),
        ("z", "omega", 200),
        ("a", "omega psi chi", 300),
    ):
        docs += [
            {
                "id": f"{prefix}{n:04d}",
                "title": title,
                "all": title,
                "format": "book",
                "language": "l00",
            }
            for n in range(count)
        ]
    rng.shuffle(docs)
    return docs


@pytest.fixture(scope="module")
def corpus():
    engine = TantivyBackend(None)
    docs = _docs()
    for start in range(0, len(docs), 200):  # several segments
        engine.upsert(docs[start : start + 200])
        engine.refresh()
    return engine, docs


def _listed(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _by_score(engine: TantivyBackend, query: SearchQuery) -> list[str]:
    """Every hit, sorted by (score desc, id asc) in Python."""
    built, _ = build_query(engine.schema, query, engine.analyzer.analyze, engine._known)
    searcher = engine._searcher()
    hits = searcher.search(built, 10_000).hits
    rows = [(score, searcher.doc(address).to_dict()["id"][0]) for score, address in hits]
    return [doc_id for _, doc_id in sorted(rows, key=lambda row: (-row[0], row[1]))]


def test_corpus_has_large_tie_groups(corpus):
    engine, _ = corpus
    built, _ = build_query(
        engine.schema, SearchQuery(fields={"title": "alpha"}), engine.analyzer.analyze, set()
    )
    scores = Counter(score for score, _ in engine._searcher().search(built, 10_000).hits)
    assert len(scores) == 3 and min(scores.values()) == 5
    assert sorted(scores.values())[1:] == [200, 300]


@pytest.mark.parametrize(
    ("offset", "limit"),
    [(0, 10), (0, 1), (3, 10), (4, 2), (7, 25), (250, 10), (300, 10), (301, 5), (480, 30)],
)
@pytest.mark.parametrize("facets", [(), ("format",)])
def test_pages_through_tie_groups_in_id_order(corpus, offset, limit, facets):
    engine, _ = corpus
    query = SearchQuery(fields={"title": "alpha"}, offset=offset, limit=limit, facets=facets)
    expected = _by_score(engine, query)
    result = engine.search(query)
    assert result.total == len(expected) == 505
    assert [hit.id for hit in result.hits] == expected[offset : offset + limit]
    assert all(hit.doc["id"] == hit.id for hit in result.hits)


@pytest.mark.parametrize("offset", [0, 6, 160, 170, 500])
def test_online_boost_groups_with_tie_groups(corpus, offset):
    engine, docs = corpus
    query = SearchQuery(fields={"title": "alpha"}, online_boost="X", offset=offset, limit=20)
    order = _by_score(engine, query)
    online = {doc["id"] for doc in docs if doc.get("online_for")}
    expected = [i for i in order if i in online] + [i for i in order if i not in online]
    for facets in ((), ("language",)):
        query.facets = facets
        result = engine.search(query)
        assert result.total == 505
        assert [hit.id for hit in result.hits] == expected[offset : offset + 20]


@pytest.mark.parametrize("size", [1, 5, 20, 69, 100])
def test_facets_exact_with_ties_at_the_cut(corpus, size):
    engine, docs = corpus
    result = engine.search(
        SearchQuery(
            text="alpha", facets=("language", "library", "format", "subject_facet"), facet_size=size
        )
    )
    hits = [doc for doc in docs if "alpha" in doc["title"]]
    assert result.total == len(hits)
    for name in ("language", "library", "format", "subject_facet"):
        # documents per value (a value twice in one document counts once)
        values = Counter(v for doc in hits for v in set(_listed(doc[name])))
        expected = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:size]
        assert result.facets[name] == expected, name


def test_no_hits_gives_empty_facets_and_zero_total(corpus):
    engine, _ = corpus
    result = engine.search(SearchQuery(text="nothing-here", facets=("format", "unknown")))
    assert result.total == 0 and result.hits == []
    assert result.facets == {"format": [], "unknown": []}


def test_total_without_facets_and_past_the_end(corpus):
    engine, _ = corpus
    assert engine.search(SearchQuery(text="beta", facets=())).total == 50
    past = engine.search(SearchQuery(text="alpha", facets=(), offset=600))
    assert past.total == 505 and past.hits == []
    assert engine.search(SearchQuery(text="alpha", facets=(), limit=0)).total == 505


@pytest.fixture(scope="module")
def skewed():
    """Three segments whose most frequent values differ: per-segment cuts miss counts."""
    rng = random.Random(11)
    engine = TantivyBackend(None)
    docs = []
    for segment in range(3):
        batch = []
        for n in range(700):
            values = rng.choices(
                range(1000),
                weights=[1 / (1 + (v - 300 * segment) % 1000) for v in range(1000)],
                k=2,
            )
            batch.append(
                {
                    "id": f"s{segment}-{n:04d}",
                    "title": "word",
                    "all": "word",
                    "subject_facet": [f"v{v:04d}" for v in values],
                }
            )
        engine.upsert(batch)
        engine.refresh()
        docs += batch
    return engine, docs


def test_skewed_segments_need_a_second_request(skewed):
    engine, _ = skewed
    built, _ = build_query(engine.schema, SearchQuery(text="word"), engine.analyzer.analyze, set())
    first = engine._searcher().aggregate(
        built, {"t": {"terms": {"field": "subject_facet", "size": 50, "segment_size": 200}}}
    )
    assert first["t"]["doc_count_error_upper_bound"] > 0


@pytest.mark.parametrize("size", [1, 5, 20, 60])
def test_facets_exact_across_skewed_segments(skewed, size):
    engine, docs = skewed
    result = engine.search(SearchQuery(text="word", facets=("subject_facet",), facet_size=size))
    values = Counter(v for doc in docs for v in set(doc["subject_facet"]))
    expected = sorted(values.items(), key=lambda item: (-item[1], item[0]))[:size]
    assert result.total == 2100
    assert result.facets["subject_facet"] == expected


@pytest.mark.parametrize(("offset", "limit"), [(0, 10), (3, 10), (5, 5), (100, 10), (204, 3)])
def test_tie_group_with_the_largest_ids(corpus, offset, limit):
    engine, _ = corpus
    query = SearchQuery(fields={"title": "omega"}, offset=offset, limit=limit)
    expected = _by_score(engine, query)
    result = engine.search(query)
    assert result.total == len(expected) == 505
    assert [hit.id for hit in result.hits] == expected[offset : offset + limit]
