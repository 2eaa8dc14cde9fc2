"""Link-resolver throughput and latency over the real OpenURL corpus.

``python -m bench.bench_resolver --records 200000 --kbart-lines 10000 [--rounds 5]``

* Index: the synthetic corpus index of :mod:`bench.bench_search` (built once, cached
  under ``bench/out/``).
* E-holdings: a sqlite store (under ``bench/out/``) holding the real Cambridge Journals
  KBART file, one line for every ISSN/ISBN cited in the OpenURL corpus (so citations do
  hit), and synthetic serial lines (valid ISSNs, date ranges, some embargoes) up to
  ``--kbart-lines``.
* Citations: every line of ``tests/fixtures/openurl/*.txt``.

Timed per resolution: parsing the OpenURL and resolving it, uncached
(:meth:`Resolver.resolve_uncached`) and cached (:meth:`Resolver.resolve` after a warm-up
pass). Prints and writes ``bench/out/resolver-<records>-<kbart>.json`` with
resolutions/s, p50 and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from bench.bench_search import build_index
from bench.common import OUT, machine, percentile
from indexer.backends.tantivy_backend import TantivyBackend
from indexer.eholdings import EHoldingStore
from indexer.readers.kbart import read_eholdings
from mappings.schema import Citation, EHolding
from resolver.openurl import is_usable, parse_openurl
from resolver.resolve import Resolver

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "openurl"
CAMBRIDGE = (
    ROOT / "tests" / "fixtures" / "kbart" / "gokb__journals.cambridge.org_AllTitles_2015-07-14.txt"
)  # noqa: E501


def corpus() -> list[str]:
    lines = []
    for path in sorted(CORPUS.glob("*.txt")):
        lines += [line for line in path.read_text("utf-8").split("\n") if line.strip()]
    return lines


def _issn(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(7)]
    check = (11 - sum(d * (8 - i) for i, d in enumerate(digits)) % 11) % 11
    body = "".join(map(str, digits))
    return f"{body[:4]}-{body[4:]}{'X' if check == 10 else check}"


def eholdings(citations: list[Citation], lines: int, seed: int) -> list[EHolding]:
    """Real Cambridge lines + one line per cited serial/book + synthetic serial lines."""
    real = [eh for eh in read_eholdings(CAMBRIDGE, "LIB1", "cup") if isinstance(eh, EHolding)]
    cited = [
        EHolding(
            "*",
            "cited",
            c.jtitle or c.btitle or "Cited",
            print_identifier=(c.issn or c.isbn)[0],
            date_first_issue_online="1990",
            title_url="https://link.springer.com/x",
            publication_type="serial" if c.issn else "monograph",
        )  # fmt: skip
        for c in citations
        if c.issn or c.isbn
    ]
    rng = random.Random(seed)
    synthetic = []
    while len(real) + len(cited) + len(synthetic) < lines:
        first = rng.randrange(1950, 2020)
        synthetic.append(
            EHolding(
                rng.choice(["LIB1", "LIB2", "*"]),
                "synthetic",
                f"Journal {len(synthetic)}",
                print_identifier=_issn(rng),
                date_first_issue_online=str(first),
                embargo_info=rng.choice(["", "", "", "R1Y", "P2Y"]),
                title_url=f"https://journals.example.org/{len(synthetic)}",
            )  # fmt: skip
        )
    return real + cited + synthetic


def _time(fn: Any, items: list[Any], rounds: int) -> dict[str, float]:
    samples: list[float] = []
    for _ in range(rounds):
        for item in items:
            start = time.perf_counter()
            fn(item)
            samples.append((time.perf_counter() - start) * 1000)
    return {
        "resolutions": len(samples),
        "per_second": round(len(samples) / (sum(samples) / 1000), 1),
        "p50_ms": round(statistics.median(samples), 3),
        "p95_ms": round(percentile(samples, 95), 3),
        "max_ms": round(max(samples), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--kbart-lines", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    index_path = OUT / f"index-{args.records}-{args.seed}"
    facts = build_index(index_path, args.records, args.seed)
    backend = TantivyBackend(index_path)
    lines = corpus()
    citations = [parse_openurl(line).citation for line in lines]
    store_path = OUT / f"resolver-eholdings-{args.kbart_lines}-{args.seed}.sqlite3"
    store_path.unlink(missing_ok=True)
    store = EHoldingStore(store_path)
    by_package: dict[tuple[str, str], list[EHolding]] = {}
    for eh in eholdings(citations, args.kbart_lines, args.seed):
        by_package.setdefault((eh.library, eh.package), []).append(eh)
    for (library, package), items in by_package.items():
        store.load_package(library, package, items)
    resolver = Resolver(backend, store, cache_size=10_000)
    usable = [line for line, c in zip(lines, citations, strict=True) if is_usable(c)]

    def uncached(line: str) -> None:
        resolver.resolve_uncached(parse_openurl(line).citation, "LIB1")

    def cached(line: str) -> None:
        resolver.resolve(parse_openurl(line).citation, "LIB1")

    for line in usable:  # warm the engine, the store and the cache
        cached(line)
    result = {
        "machine": machine(),
        "index": facts,
        "documents": backend.count(),
        "eholdings": store.count(),
        "openurls": len(lines),
        "usable": len(usable),
        "uncached": _time(uncached, usable, args.rounds),
        "cached": _time(cached, usable, args.rounds),
    }
    out = OUT / f"resolver-{args.records}-{args.kbart_lines}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("documents", "eholdings", "uncached", "cached")}))
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
