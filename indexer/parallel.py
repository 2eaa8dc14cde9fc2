"""Both cores for ISO 2709 files: raw records split here, decoded and mapped in workers.

The parent cuts the file into raw records (cheap: a search for the record terminator),
sends them to a process pool in chunks, and yields the mapped records in file order,
while it de-duplicates and writes the previous batch: up to :data:`_AHEAD` chunks are
in flight, more than one indexing batch, so the workers keep mapping while the parent
is busy with the catalog and the engine. Any other format, and small files, are read
in-process by :func:`indexer.readers.read_records`.

The pool is made once per process and kept for every later file (closed at exit). Its
workers are forked from a ``forkserver`` that has already imported the mapper: cheap to
start, and safe although the parent runs threads (the search engine's writer) that a
plain ``fork`` would copy in an unknown state. Where there is no forkserver (Windows)
the workers are spawned.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.forkserver
import os
import threading
from collections import deque
from collections.abc import Iterator
from itertools import islice
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import Any

from mappings.errors import RecordError
from mappings.schema import Record

__all__ = ["PARALLEL_MIN_BYTES", "read_parallel", "shutdown"]

#: Files smaller than this are read in-process (a pool costs more than it saves).
PARALLEL_MIN_BYTES = 4_000_000
_CHUNK = 500
#: Chunks in flight per worker (mapped ahead of the consumer).
_AHEAD = 12
_ISO2709 = ("marc21", "unimarc", "cnmarc")

Item = Record | RecordError


def _map_chunk(args: tuple[str, str, str, str, bool, list[tuple[int, int, bytes]]]) -> list[Any]:
    from indexer.pipeline import prepare_for_index
    from indexer.readers.marc import map_raw

    path, kind, source, library, prepared, raws = args
    out: list[Any] = []
    for number, offset, data in raws:
        try:
            record = map_raw(data, kind, source=source, library=library)
            out.append(prepare_for_index(record) if prepared else record)
        except RecordError as exc:
            exc.path, exc.record, exc.offset = path, number, offset
            exc.args = (exc.describe(),)
            out.append(exc)
    return out


def _raw_batches(
    path: str, kind: str, source: str, library: str, prepared: bool
) -> Iterator[tuple[str, str, str, str, bool, list[tuple[int, int, bytes]]] | RecordError]:
    from indexer.readers.marc import iter_raw_chunks

    chunks = iter(iter_raw_chunks(path))
    while True:
        batch: list[tuple[int, int, bytes]] = []
        for chunk in islice(chunks, _CHUNK):
            if isinstance(chunk, RecordError):
                yield chunk
            else:
                batch.append((chunk.number, chunk.offset, chunk.data))
        if not batch:
            return
        yield (path, kind, source, library, prepared, batch)


_POOL: tuple[int, Pool] | None = None
_POOL_LOCK = threading.Lock()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["indexer.readers.marc", "indexer.pipeline"])
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _pool(workers: int) -> Pool:
    """The process's pool of ``workers`` mapping processes (made on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and _POOL[0] != workers:
            shutdown()
        if _POOL is None:
            _POOL = (workers, _context().Pool(workers))
        return _POOL[1]


def shutdown() -> None:
    """Stop the worker pool and the forkserver (run at exit; the next
    :func:`read_parallel` makes new ones).

    Waiting for the forkserver makes its and its workers' CPU time count as this
    process's children's (what ``time`` and the benchmarks report), and leaves no
    process behind.
    """
    global _POOL
    if _POOL is not None:
        pool = _POOL[1]
        _POOL = None
        pool.close()
        pool.join()
        server = getattr(multiprocessing.forkserver, "_forkserver", None)
        stop = getattr(server, "_stop", None)  # no public API to stop it (3.11-3.13)
        if callable(stop):
            stop()


atexit.register(shutdown)


def read_parallel(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    source: str,
    library: str = "",
    workers: int | None = None,
    prepared: bool = False,
) -> Iterator[Any]:
    """``read_records`` with ISO 2709 decoding and mapping spread over a process pool.

    ``prepared=True``: the workers also do what indexing can derive from each record
    alone, and yield :class:`indexer.dedup.Prepared` items instead of Records (for
    :func:`indexer.pipeline.index_records`; small files still give plain Records).
    """
    from indexer.readers import detect_format, read_records

    kind = format
    if kind == "auto":
        try:
            kind = detect_format(path)
        except (RecordError, OSError):
            kind = "auto"
    size = Path(path).stat().st_size if Path(path).exists() else 0
    workers = workers or os.cpu_count() or 1
    if kind not in _ISO2709 or size < PARALLEL_MIN_BYTES or workers < 2:
        yield from read_records(path, format=kind, source=source, library=library)
        return
    pool = _pool(workers)
    window: deque[AsyncResult[list[Any]] | list[Any]] = deque()
    for item in _raw_batches(str(path), kind, source, library, prepared):
        if isinstance(item, RecordError):
            item.path = item.path or str(path)
            window.append([item])  # kept in file order
        else:
            window.append(pool.apply_async(_map_chunk, (item,)))
        if len(window) >= workers * _AHEAD:
            yield from _done(window.popleft())
    while window:
        yield from _done(window.popleft())


def _done(entry: AsyncResult[list[Any]] | list[Any]) -> list[Any]:
    return entry if isinstance(entry, list) else entry.get()
