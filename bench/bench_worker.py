"""What one record costs on the worker side of ``efirst index``, stage by stage, in-process.

``python -m bench.bench_worker FILE [--repeats N] [--mapping marc21]`` runs the worker's
steps chunk by chunk (500 records, the collector held off as in
:func:`indexer.parallel._map_chunk`) and the parent's share of the transport, and prints
CPU µs per record (``time.process_time``; min and median over the repeats):

- ``cut_and_send``: the parent finds the records and pickles the tasks;
- ``decode``: rmarc's decoder into the record view; ``map``: the compiled mapping;
- ``prepare``: stored JSON, fingerprint, match keys; ``dumps``: the chunk blob;
- ``loads``: the parent unpickles the blob.

The mapper's value caches are emptied before every repeat, so each repeat pays for its
misses as a fresh worker does. A file: ``python -m bench.generate --records 20000
--sources 1 --out DIR``.
"""

from __future__ import annotations

import argparse
import gc
import time
from multiprocessing.reduction import ForkingPickler

from indexer import parallel
from indexer.dedup import prepare
from indexer.map import _mapper, get_mapping, map_marc
from indexer.readers.marc import decode_iso2709, iter_raw_chunks

STAGES = ("cut_and_send", "decode", "map", "prepare", "dumps", "loads")


def run(path: str, repeats: int, mapping_name: str) -> dict[str, list[float]]:
    mapping = get_mapping(mapping_name)
    flavour = "marc21" if mapping.reader in ("marc", "marcxml") else "unimarc"
    raw = [c.data for c in iter_raw_chunks(path) if not isinstance(c, Exception)]
    clock = time.process_time
    out: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for _ in range(repeats):
        mapper = _mapper(mapping)
        for name, value in (getattr(mapper, "__globals__", None) or {}).items():
            if name.startswith("C_"):
                value.clear()
        spent = dict.fromkeys(STAGES, 0.0)
        start = clock()
        for task in parallel._raw_batches(path, mapping_name, "s", "LIB", True):
            ForkingPickler.dumps(((0, 0, None, (task,), {}),))
        spent["cut_and_send"] = clock() - start
        for i in range(0, len(raw), parallel._CHUNK):
            gc.disable()
            t0 = clock()
            records = [decode_iso2709(data, flavour) for data in raw[i : i + parallel._CHUNK]]
            t1 = clock()
            mapped = [map_marc(rec, mapping, "s", "LIB") for rec in records]
            t2 = clock()
            prepared = [prepare(record) for record in mapped]
            t3 = clock()
            blob = parallel._dumps(prepared)
            t4 = clock()
            del records, mapped, prepared
            gc.enable()
            t5 = clock()
            parallel._loads(blob)
            t6 = clock()
            for stage, a, b in (
                ("decode", t0, t1),
                ("map", t1, t2),
                ("prepare", t2, t3),
                ("dumps", t3, t4),
                ("loads", t5, t6),
            ):
                spent[stage] += b - a
        for stage in STAGES:
            out[stage].append(spent[stage] / len(raw) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--mapping", default="marc21")
    args = parser.parse_args()
    result = run(args.file, args.repeats, args.mapping)

    def line(name: str, values: list[float]) -> str:
        ordered = sorted(values)
        return f"{name:14s} min {ordered[0]:7.1f}  median {ordered[len(ordered) // 2]:7.1f}"

    for stage in STAGES:
        print(line(stage, result[stage]), "µs/record")
    worker = [sum(result[s][i] for s in STAGES[1:5]) for i in range(args.repeats)]
    parent = [result["cut_and_send"][i] + result["loads"][i] for i in range(args.repeats)]
    print(line("worker total", worker), "µs/record")
    print(line("parent share", parent), "µs/record")


if __name__ == "__main__":
    main()
