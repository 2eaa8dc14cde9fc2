"""Deterministic generator of realistic synthetic library corpora for the benchmarks.

``python -m bench.generate --records N --sources K --out DIR [--seed S]
[--format marc|marcxml] [--kbart-lines M] [--dup-rate R]`` writes, in constant memory:

- ``DIR/srcNN.mrc`` (or ``.xml``): one MARC21 file per source, UTF-8 (leader/09 ``a``),
  written with pymarc;
- ``DIR/kbart/*.txt``: KBART (NISO RP-9-2014, 25 columns) e-holdings for a consortium
  package and two member packages, matching generated serials and e-books;
- ``DIR/truth.tsv``: ``source, control number, work id`` for every record (the ground
  truth a de-duplication run can be scored against);
- ``DIR/manifest.json``: parameters and counts.

The corpus: Zipf-distributed vocabulary (English plus French, German, Spanish, Italian,
Portuguese with diacritics), ~10 % Chinese titles with 880 vernacular fields linked to
pinyin 245/100/264, years skewed to recent, mostly books with some serials, theses,
conference proceedings and media, valid ISBN-10/13, ISSN, OCLC numbers, LCCNs and DOIs,
852 holdings for member library codes, 856 links (some open access). ``dup_rate`` is the
share of records that describe a work another record already describes (CASHL: 4.57 M
records, 3.1 M unique, so 0.32): the copies of a work go to different sources, with
small variations (see :mod:`bench.render`); 12 % of works carry no identifier at all, so
only their title/author/year can match.

Same arguments, same bytes. ``generate_records(n, seed)`` gives the records in-process.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

from pymarc import Record, XMLWriter

from bench import vocab
from bench.kbart import KbartWriter
from bench.render import Copy, render
from bench.works import Work, make_work

__all__ = [
    "DEFAULT_DUP_RATE",
    "Generated",
    "copies_distribution",
    "generate",
    "generate_records",
    "main",
    "write_corpus",
]

DEFAULT_DUP_RATE = 0.32


class Generated(NamedTuple):
    source: int
    record: Record
    work: Work


def copies_distribution(sources: int, dup_rate: float) -> tuple[float, list[float]]:
    """``(p_duplicated, cumulative weights of 2..sources copies)`` giving ``dup_rate``.

    A work has one copy with probability ``1 - p``, else 2..K copies with weights halving
    at each step; ``p`` is solved so that ``1 - works/records`` equals ``dup_rate`` in
    expectation.
    """
    if not 0 <= dup_rate < 1:
        raise ValueError(f"dup_rate must be in [0, 1), got {dup_rate}")
    if sources < 2 or dup_rate == 0:
        return 0.0, [1.0]
    weights = [0.5**i for i in range(sources - 1)]
    total = sum(weights)
    mean = sum((i + 2) * w for i, w in enumerate(weights)) / total
    p = (1 / (1 - dup_rate) - 1) / (mean - 1)
    if p > 1:
        raise ValueError(f"dup_rate {dup_rate} is too high for {sources} sources")
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    cum[-1] = 1.0
    return p, cum


def _copies(rng: random.Random, p: float, cum: list[float]) -> int:
    if rng.random() >= p:
        return 1
    x = rng.random()
    return next(i + 2 for i, c in enumerate(cum) if x < c)


def generate(
    n: int,
    seed: int = 0,
    sources: int = 4,
    dup_rate: float = DEFAULT_DUP_RATE,
    members: list[str] | None = None,
) -> Iterator[Generated]:
    """``n`` records spread over ``sources`` sources, work by work (copies adjacent)."""
    rng = random.Random(seed)
    codes = members or vocab.member_codes()
    p, cum = copies_distribution(sources, dup_rate)
    counters = [0] * sources
    made = work_id = 0
    while made < n:
        work = make_work(work_id, rng)
        work_id += 1
        copies = min(_copies(rng, p, cum), n - made)
        for source in rng.sample(range(sources), copies):
            counters[source] += 1
            own = codes[source % len(codes)]
            libraries = [own] if rng.random() < 0.95 else []
            if rng.random() < 0.15:
                libraries += [c for c in rng.sample(codes, rng.randint(1, 3)) if c != own]
            copy = Copy(
                f"src{source + 1:02d}", f"src{source + 1:02d}-{counters[source]:09d}", libraries
            )
            yield Generated(source, render(work, copy, rng), work)
        made += copies


def generate_records(
    n: int, seed: int = 0, sources: int = 4, dup_rate: float = DEFAULT_DUP_RATE
) -> Iterator[Record]:
    """Just the pymarc records of :func:`generate`."""
    for item in generate(n, seed, sources, dup_rate):
        yield item.record


def _open_writers(stack: ExitStack, out: Path, sources: int, fmt: str) -> list:
    writers = []
    for i in range(sources):
        path = out / f"src{i + 1:02d}.{'mrc' if fmt == 'marc' else 'xml'}"
        handle = stack.enter_context(path.open("wb", buffering=1 << 20))
        if fmt == "marc":
            writers.append(handle.write)
        else:
            xml = XMLWriter(handle)
            stack.callback(xml.close, close_fh=False)
            writers.append(xml.write)
    return writers


def write_corpus(
    out: Path,
    records: int,
    sources: int,
    seed: int = 0,
    fmt: str = "marc",
    kbart_lines: int = 0,
    dup_rate: float = DEFAULT_DUP_RATE,
    progress: bool = False,
) -> dict:
    """Write a corpus to ``out`` (see the module docstring); returns the manifest."""
    if fmt not in ("marc", "marcxml"):
        raise ValueError(f"format must be marc or marcxml, got {fmt!r}")
    out.mkdir(parents=True, exist_ok=True)
    members = vocab.member_codes()
    per_source = [0] * sources
    cjk = works = last_work = 0
    last_work = -1
    started = time.perf_counter()
    with ExitStack() as stack:
        writers = _open_writers(stack, out, sources, fmt)
        truth = stack.enter_context(open(out / "truth.tsv", "w", encoding="utf-8", newline="\n"))
        truth.write("source\tcontrol\twork\n")
        expected_works = max(1, int(records * (1 - dup_rate)))
        kbart = stack.enter_context(
            KbartWriter(out / "kbart", kbart_lines, expected_works, members, seed)
        )
        for i, item in enumerate(generate(records, seed, sources, dup_rate, members)):
            record = item.record
            writers[item.source](record.as_marc() if fmt == "marc" else record)
            per_source[item.source] += 1
            truth.write(f"src{item.source + 1:02d}\t{record['001'].data}\t{item.work.id}\n")
            if item.work.id != last_work:
                last_work = item.work.id
                works += 1
                cjk += item.work.cjk
                kbart.offer(item.work)
            if progress and i % 50_000 == 0 and i:
                rate = i / (time.perf_counter() - started)
                print(f"{i:,} records, {rate:,.0f}/s", file=sys.stderr)
    manifest = {
        "generator": "bench.generate",
        "seed": seed,
        "records": records,
        "sources": sources,
        "format": fmt,
        "dup_rate_target": dup_rate,
        "works": works,
        "dup_rate": round(1 - works / records, 4) if records else 0.0,
        "cjk_works": cjk,
        "per_source": per_source,
        "kbart_lines": kbart.written,
        "kbart_files": sorted(p.name for p in (out / "kbart").glob("*.txt")),
        "members": members,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("marc", "marcxml"), default="marc")
    parser.add_argument("--kbart-lines", type=int, default=0)
    parser.add_argument("--dup-rate", type=float, default=DEFAULT_DUP_RATE)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.records < 0 or args.sources < 1:
        parser.error("--records must be >= 0 and --sources >= 1")
    try:
        manifest = write_corpus(
            args.out,
            args.records,
            args.sources,
            args.seed,
            args.format,
            args.kbart_lines,
            args.dup_rate,
            progress=not args.quiet,
        )
    except ValueError as exc:
        parser.error(str(exc))
    if not args.quiet:
        print(
            json.dumps(
                {
                    k: manifest[k]
                    for k in ("records", "works", "dup_rate", "cjk_works", "kbart_lines", "seconds")
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
