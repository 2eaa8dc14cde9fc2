"""tantivy and Elasticsearch side by side: the same documents, the same queries.

``python -m bench.bench_engines --records 200000 [--seed 0] [--repeats 3] [--rounds 3]
[--queries 400] [--es-url URL]`` builds the synthetic corpus's cluster documents once
(:mod:`bench.generate`, mapped by the real MARC21 mapping, clustered by the generator's
ground truth, as :mod:`bench.bench_search` does; cached as JSON lines under
``bench/out/``), then for each engine:

- indexing: every document written through our own backend interface, ``--repeats``
  times into a fresh index (tantivy: ``upsert`` + ``refresh`` in a new directory;
  Elasticsearch: :meth:`ElasticBackend.rebuild`, i.e. bulk load into a new versioned
  index and switch the alias, as ``efirst reindex`` does). Reported: documents/s and
  source records/s, min and median over repeats (min time = best rate);
- search: :func:`bench.bench_search.query_set` (words, CJK, identifiers, fields,
  filters; top 10 with all facets), one warm-up pass, then ``--rounds`` timed passes;
  p50/p95 per round, reported as min and median over rounds.

Elasticsearch: ``--es-url``, else ``EFIRST_TEST_ES_URL``, else a node is started with
``tests/es_node.py`` (``--es-heap``, default 1g) and stopped at the end. Results:
``bench/out/engines-<records>-<seed>.json`` and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.bench_search import SOURCES, _clusters, query_set
from bench.common import OUT, machine, percentile
from bench.generate import generate
from indexer.backends.base import SearchBackend, SearchQuery
from indexer.backends.elastic_backend import ElasticBackend
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.documents import cluster_document

__all__ = ["documents", "index_rate", "main", "search_latency"]

ROOT = Path(__file__).resolve().parents[1]
BATCH = 20_000


def documents(records: int, seed: int) -> Path:
    """The cached JSON-lines file of cluster documents for ``records`` source records."""
    path = OUT / f"engines-docs-{records}-{seed}.jsonl"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as out:
        for cluster in _clusters(generate(records, seed, SOURCES)):
            out.write(orjson.dumps(cluster_document(cluster)) + b"\n")
    partial.rename(path)
    return path


def _read(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for line in lines:
            yield orjson.loads(line)


def _load_tantivy(docs: list[dict[str, Any]]) -> tuple[float, SearchBackend]:
    backend = TantivyBackend(tempfile.mkdtemp(prefix="bench-tantivy-"), writer_heap=256_000_000)
    backend.ensure_index()
    started = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        failed = backend.upsert(docs[start : start + BATCH]).failed
        assert not failed, failed[:3]
    backend.refresh()
    return time.perf_counter() - started, backend


def _load_elastic(docs: list[dict[str, Any]], url: str) -> tuple[float, SearchBackend]:
    backend = ElasticBackend(url, "efirst-bench")
    started = time.perf_counter()
    report = backend.rebuild(docs)
    assert not report.result.failed, report.result.failed[:3]
    return time.perf_counter() - started, backend


def index_rate(
    engine: str, docs: list[dict[str, Any]], records: int, repeats: int, url: str
) -> tuple[dict[str, Any], SearchBackend]:
    """Index ``docs`` ``repeats`` times; rates and the last loaded backend."""
    seconds: list[float] = []
    backend: SearchBackend | None = None
    for _ in range(repeats):
        if backend is not None:
            backend.close()
        took, backend = _load_tantivy(docs) if engine == "tantivy" else _load_elastic(docs, url)
        seconds.append(took)
        print(f"  {engine}: {len(docs):,} documents in {took:.1f}s", file=sys.stderr)
    assert backend is not None and backend.count() == len(docs)
    best, middle = min(seconds), statistics.median(seconds)
    return {
        "seconds": [round(s, 2) for s in seconds],
        "docs_per_s": {"best": round(len(docs) / best), "median": round(len(docs) / middle)},
        "records_per_s": {"best": round(records / best), "median": round(records / middle)},
    }, backend


def search_latency(
    backend: SearchBackend, queries: list[tuple[str, SearchQuery]], rounds: int
) -> dict[str, Any]:
    """p50/p95 (ms) per round after one warm-up pass: min and median over rounds."""
    zero = sum(1 for _, query in queries if backend.search(query).total == 0)
    p50s, p95s = [], []
    for _ in range(rounds):
        times = []
        for _, query in queries:
            start = time.perf_counter()
            backend.search(query)
            times.append((time.perf_counter() - start) * 1000)
        p50s.append(percentile(times, 50))
        p95s.append(percentile(times, 95))
    return {
        "queries": len(queries),
        "zero_hit_queries": zero,
        "p50_ms": {"min": round(min(p50s), 2), "median": round(statistics.median(p50s), 2)},
        "p95_ms": {"min": round(min(p95s), 2), "median": round(statistics.median(p95s), 2)},
    }


def _elasticsearch(url: str, heap: str) -> tuple[str, Any]:
    url = url or os.environ.get("EFIRST_TEST_ES_URL", "")
    if url:
        return url, None
    sys.path.append(str(ROOT / "tests"))  # last: never shadows a real package
    import es_node

    node = es_node.EsNode(heap=heap)
    return node.start(), node


def _table(result: dict[str, Any]) -> str:
    rows = [
        "| engine | docs/s best | docs/s median | records/s best | records/s median "
        "| p50 ms min | p50 ms median | p95 ms min | p95 ms median |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine in ("tantivy", "elasticsearch"):
        ix, se = result[engine]["index"], result[engine]["search"]
        rows.append(
            f"| {engine} | {ix['docs_per_s']['best']:,} | {ix['docs_per_s']['median']:,} "
            f"| {ix['records_per_s']['best']:,} | {ix['records_per_s']['median']:,} "
            f"| {se['p50_ms']['min']} | {se['p50_ms']['median']} "
            f"| {se['p95_ms']['min']} | {se['p95_ms']['median']} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_engines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="indexing runs per engine")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--es-url", default="", help="a running node (default: start one)")
    parser.add_argument("--es-heap", default="1g", help="heap of the node started here")
    args = parser.parse_args(argv)

    docs = list(_read(documents(args.records, args.seed)))
    queries = query_set(args.seed, args.queries, sample=min(20_000, args.records))
    url, node = _elasticsearch(args.es_url, args.es_heap)
    result: dict[str, Any] = {
        "machine": machine(),
        "records": args.records,
        "documents": len(docs),
        "seed": args.seed,
        "elasticsearch": {},
        "tantivy": {},
    }
    try:
        for engine in ("tantivy", "elasticsearch"):
            index, backend = index_rate(engine, docs, args.records, args.repeats, url)
            result[engine] = {
                "index": index,
                "search": search_latency(backend, queries, args.rounds),
            }
            if isinstance(backend, ElasticBackend):
                nodes = backend.client.nodes.info()["nodes"].values()
                result[engine]["version"] = sorted({n["version"] for n in nodes})
                backend.client.indices.delete(
                    index=",".join(backend.client.indices.get(index="efirst-bench-*"))
                )
            backend.close()
    finally:
        if node is not None:
            node.stop()
    out = OUT / f"engines-{args.records}-{args.seed}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"{args.records:,} records -> {len(docs):,} documents; {len(queries)} queries "
          f"x {args.rounds} rounds; indexing x {args.repeats}\n")  # fmt: skip
    print(_table(result))
    print(f"\n{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
