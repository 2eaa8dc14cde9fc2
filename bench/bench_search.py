"""Search latency (p50/p95) with facets through our own search interface.

``python -m bench.bench_search --records 1000000 [--seed 0] [--rounds 3]`` builds (once,
cached under ``bench/out/``) a tantivy index of the synthetic corpus and times a query
set drawn from the corpus vocabulary: single words (frequent and rare), several words,
title- and author-scoped searches, CJK, identifiers (ISBN-10/13, ISSN, DOI), and words
with filters. Every query asks for the top 10 and all facets
(:data:`mappings.fields.FACETS`), as the portal does.

The index is built without the CLI pipeline (whose de-duplication store is not what this
measures): generated records are serialised to MARC, decoded and mapped by the real
MARC21 mapping (:func:`indexer.readers.marc.map_raw`), grouped into clusters by the
generator's ground truth (a perfect de-duplication), turned into documents by
:func:`indexer.documents.cluster_document` and written with
:meth:`TantivyBackend.upsert`. Results are printed and written to
``bench/out/search-<records>-<seed>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import vocab
from bench.common import OUT, machine, percentile
from bench.generate import Generated, generate
from bench.render import hyphenate_isbn
from bench.works import isbn10_of
from indexer.backends.base import SearchQuery
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document
from indexer.readers.marc import map_raw
from mappings.schema import Cluster

__all__ = ["build_index", "main", "query_set", "run_queries"]

SOURCES = 4


def _clusters(items: Iterator[Generated]) -> Iterator[Cluster]:
    """Map every record with the MARC21 mapping; group the copies of one work."""
    current: list[Any] = []
    work_id = -1
    for item in items:
        if item.work.id != work_id and current:
            yield Cluster(f"w{work_id}", current)
            current = []
        work_id = item.work.id
        source = item.record["003"].data
        current.append(map_raw(item.record.as_marc(), "marc21", source=source))
    if current:
        yield Cluster(f"w{work_id}", current)


def build_index(path: Path, records: int, seed: int, batch: int = 20_000) -> dict[str, Any]:
    """Build the index in ``path`` unless a complete one is there; returns build facts."""
    marker = path / "bench-complete.json"
    if marker.exists():
        return json.loads(marker.read_text())
    backend = TantivyBackend(path, writer_heap=256_000_000)
    backend.ensure_index()
    backend.clear()
    started = time.perf_counter()
    docs: list[dict[str, Any]] = []
    clusters = 0
    for cluster in _clusters(generate(records, seed, SOURCES)):
        docs.append(cluster_document(cluster))
        clusters += 1
        if len(docs) >= batch:
            backend.upsert(docs)
            docs = []
        if clusters % 100_000 == 0:
            rate = clusters / (time.perf_counter() - started)
            print(f"  {clusters:,} clusters indexed ({rate:,.0f}/s)", file=sys.stderr)
    backend.upsert(docs)
    backend.refresh()
    backend.close()
    facts = {
        "records": records,
        "seed": seed,
        "sources": SOURCES,
        "documents": clusters,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    marker.write_text(json.dumps(facts, indent=2))
    return facts


def _words(text: str) -> list[str]:
    return [w for w in text.replace(":", " ").replace(",", " ").split() if len(w) > 2]


def query_set(seed: int, size: int = 400, sample: int = 20_000) -> list[tuple[str, SearchQuery]]:
    """``(kind, query)`` pairs from the first ``sample`` records of the corpus."""
    rng = random.Random(seed + 1)
    works = {}
    for item in generate(sample, seed, SOURCES):
        works.setdefault(item.work.id, item.work)
    pool = list(works.values())
    cjk = [w for w in pool if w.cjk]
    authored = [w for w in pool if w.authors]
    with_isbn = [w for w in pool if w.isbn13]
    with_issn = [w for w in pool if w.issn]
    with_doi = [w for w in pool if w.doi]
    libraries = vocab.member_codes()
    makers = {
        "word": lambda: SearchQuery(text=rng.choice(_words(rng.choice(pool).title) or ["history"])),
        "rare-word": lambda: SearchQuery(text=vocab.PROPER(rng)),
        "words": lambda: SearchQuery(text=" ".join(_words(rng.choice(pool).title)[:3])),
        "title": lambda: SearchQuery(fields={"title": rng.choice(pool).title}),
        "author": lambda: SearchQuery(
            fields={"author": rng.choice(authored).authors[0].heading.split(",")[0]}
        ),
        "cjk": lambda: SearchQuery(
            text=(lambda w: w.title_vern[: rng.randint(2, 4)])(rng.choice(cjk))
        ),
        "isbn": lambda: SearchQuery(
            text=(
                lambda w: rng.choice(
                    [w.isbn13, hyphenate_isbn(w.isbn13), isbn10_of(w.isbn13) or w.isbn13]
                )
            )(rng.choice(with_isbn))
        ),
        "issn": lambda: SearchQuery(text=rng.choice(with_issn).issn),
        "doi": lambda: SearchQuery(text=rng.choice(with_doi).doi),
        "filtered": lambda: SearchQuery(
            text=rng.choice(_words(rng.choice(pool).title) or ["history"]),
            filters=rng.choice(
                [
                    {"format": ["book"]},
                    {"language": ["eng"]},
                    {"library": [rng.choice(libraries)]},
                    {"online": ["open"]},
                    {"format": ["journal", "conference"]},
                ]
            ),
            year_from=rng.choice([None, 2000, 2015]),
            year_to=rng.choice([None, 2020]),
        ),
    }
    shares = {
        "word": 0.2,
        "rare-word": 0.05,
        "words": 0.2,
        "title": 0.1,
        "author": 0.1,
        "cjk": 0.1,
        "isbn": 0.08,
        "issn": 0.02,
        "doi": 0.03,
        "filtered": 0.12,
    }
    out = []
    for kind, share in shares.items():
        if (
            kind in ("issn", "doi", "cjk")
            and not {"issn": with_issn, "doi": with_doi, "cjk": cjk}[kind]
        ):
            continue
        out += [(kind, makers[kind]()) for _ in range(max(1, round(share * size)))]
    rng.shuffle(out)
    return out


def run_queries(
    backend: TantivyBackend, queries: list[tuple[str, SearchQuery]], rounds: int
) -> dict[str, Any]:
    """Warm up once, then time every query ``rounds`` times (milliseconds).

    Wall time is the latency; CPU time (``time.process_time``: this process, every
    thread) is what the query cost, much less sensitive to other processes on a shared
    machine. ``rounds_all`` has the overall p50/p95 of each round, so min and median over
    rounds can be reported; ``load`` is the 1-minute load average before and after.
    """
    zero_hits: dict[str, int] = {}
    for kind, query in queries:
        if backend.search(query).total == 0:
            zero_hits[kind] = zero_hits.get(kind, 0) + 1
    load_before = os.getloadavg()[0]
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    per_round = []
    for _ in range(rounds):
        wall_round, cpu_round = [], []
        for kind, query in queries:
            start, start_cpu = time.perf_counter(), time.process_time()
            backend.search(query)
            wall = (time.perf_counter() - start) * 1000
            spent = (time.process_time() - start_cpu) * 1000
            times.setdefault(kind, []).append(wall)
            cpu.setdefault(kind, []).append(spent)
            wall_round.append(wall)
            cpu_round.append(spent)
        per_round.append(
            {
                "p50": round(percentile(wall_round, 50), 2),
                "p95": round(percentile(wall_round, 95), 2),
                "cpu_p50": round(percentile(cpu_round, 50), 2),
                "cpu_p95": round(percentile(cpu_round, 95), 2),
            }
        )
    rows = {kind: _summary(values, cpu[kind]) for kind, values in sorted(times.items())}
    rows["ALL"] = _summary(
        [t for values in times.values() for t in values],
        [t for values in cpu.values() for t in values],
    )
    summary = {
        f"{stat}_{how}": round(fn([r[stat] for r in per_round]), 2)
        for stat in ("p50", "p95", "cpu_p50", "cpu_p95")
        for how, fn in (("min", min), ("median", statistics.median))
    }
    return {
        "rows": rows,
        "queries": len(queries),
        "zero_hit_queries": zero_hits,
        "rounds_all": per_round,
        "over_rounds": summary,
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _summary(values: list[float], cpu: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "mean": round(statistics.fmean(values), 2),
        "cpu_p50": round(percentile(cpu, 50), 2),
        "cpu_p95": round(percentile(cpu, 95), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_search",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-facets", action="store_true", help="also time without facets")
    args = parser.parse_args(argv)
    path = OUT / f"index-{args.records}-{args.seed}"
    facts = build_index(path, args.records, args.seed)
    backend = TantivyBackend(path)
    queries = query_set(args.seed, args.queries)
    result = {
        "machine": machine(),
        "index": facts,
        "count": backend.count(),
        "with_facets": run_queries(backend, queries, args.rounds),
    }
    if args.no_facets:
        bare = [(k, SearchQuery(**{**_fields(q), "facets": ()})) for k, q in queries]
        result["without_facets"] = run_queries(backend, bare, args.rounds)
    out = OUT / f"search-{args.records}-{args.seed}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["index"]), f"documents searchable: {result['count']:,}")
    for name in ("with_facets", "without_facets"):
        if name in result:
            part = result[name]
            print(
                f"\n{name} ({part['queries']} queries x {args.rounds} rounds, "
                f"without hits: {part['zero_hit_queries']}, load {part['load']})"
            )
            print(
                "| kind | n | p50 ms | p95 ms | p99 ms | mean ms | CPU p50 ms | CPU p95 ms |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|"
            )
            for kind, row in part["rows"].items():
                print(
                    f"| {kind} | {row['n']} | {row['p50']} | {row['p95']} | {row['p99']} "
                    f"| {row['mean']} | {row['cpu_p50']} | {row['cpu_p95']} |"
                )
            print("over rounds (overall p50/p95 of each round):", json.dumps(part["over_rounds"]))
    return 0


def _fields(query: SearchQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in SearchQuery.__slots__}


if __name__ == "__main__":
    raise SystemExit(main())
