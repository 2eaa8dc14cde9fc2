"""Both cores for ISO 2709 files: records found here, read, decoded and mapped in workers.

The parent finds the records of the file (cheap: the length in each leader, checked
against the record terminator) and sends the workers their positions in chunks; each
worker reads its chunk's bytes from the file itself, maps the records and sends back
one bytes blob (below). The parent yields the mapped records in file order while it
de-duplicates and writes the previous batch: up to :data:`_AHEAD` chunks are in flight,
more than one indexing batch, so the workers keep mapping while the parent is busy with
the catalog and the engine. Any other format, and small files, are read in-process by
:func:`indexer.readers.read_records`.

A chunk's results travel as one pickle made with a private dispatch table: a
:class:`~mappings.schema.Record`, :class:`~mappings.schema.Link`,
:class:`~mappings.schema.Holding` or :class:`~indexer.dedup.Prepared` is written as its
class and its field values and rebuilt by one call of the class (the dataclasses'
default pickling sets the fields one by one from Python, at twice the cost in the
parent). The values the parent gets are the same.

The pool is made once per process and kept for every later file (closed at exit). Its
workers are forked from a ``forkserver`` that has already imported the mapper: cheap to
start, and safe although the parent runs threads (the search engine's writer) that a
plain ``fork`` would copy in an unknown state. Where there is no forkserver (Windows)
the workers are spawned.
"""

from __future__ import annotations

import atexit
import copyreg
import dataclasses
import gc
import io
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import threading
from array import array
from collections import deque
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult, Pool
from operator import attrgetter
from pathlib import Path
from typing import Any

from mappings.errors import RecordError
from mappings.schema import Holding, Link, Record

__all__ = ["PARALLEL_MIN_BYTES", "read_parallel", "shutdown"]

#: Files smaller than this are read in-process (a pool costs more than it saves).
PARALLEL_MIN_BYTES = 4_000_000
_CHUNK = 500
#: Chunks in flight per worker (mapped ahead of the consumer).
_AHEAD = 12
_ISO2709 = ("marc21", "unimarc", "cnmarc")

Item = Record | RecordError

#: A chunk of work: path, mapping, source, library, prepared, then the records as
#: (number, offset, length) triples, flattened.
Task = tuple[str, str, str, str, bool, array]  # type: ignore[type-arg]


# -- the results' transport -----------------------------------------------------------
def _by_constructor(cls: type) -> Any:
    """A reducer rebuilding an instance of dataclass ``cls`` by ``cls(*field values)``."""
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} cannot be rebuilt from its field values")
    values = attrgetter(*(f.name for f in fields))
    if len(fields) == 1:
        return lambda obj: (cls, (values(obj),))
    return lambda obj: (cls, values(obj))


def _dispatch_table() -> dict[type, Any]:
    from indexer.dedup import Prepared

    table: dict[type, Any] = dict(copyreg.dispatch_table)
    for cls in (Record, Link, Holding, Prepared):
        table[cls] = _by_constructor(cls)
    return table


class _ChunkPickler(pickle.Pickler):
    dispatch_table: dict[type, Any] = {}


def _dumps(items: list[Any]) -> bytes:
    if not _ChunkPickler.dispatch_table:
        _ChunkPickler.dispatch_table = _dispatch_table()
    buffer = io.BytesIO()
    _ChunkPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(items)
    return buffer.getvalue()


def _loads(blob: bytes) -> list[Any]:
    """The items of a chunk blob. The collector is held off while the chunk's objects
    are made: they are all alive when it would run, so it would only walk them again
    and again (half of the unpickling time in the parent); it sees them once after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(blob)  # type: ignore[no-any-return]
    finally:
        if collecting:
            gc.enable()


# -- the workers ----------------------------------------------------------------------
def _map_chunk(task: Task) -> bytes:
    """Read, decode, map (and prepare) one chunk's records: the blob of the results,
    rejects in place, in file order."""
    from indexer.map import get_mapping
    from indexer.pipeline import prepare_for_index
    from indexer.readers.marc import map_raw

    path, kind, source, library, prepared, bounds = task
    mapping = get_mapping(kind)
    first, last = bounds[1], bounds[-2] + bounds[-1]
    with open(path, "rb") as handle:
        handle.seek(first)
        data = handle.read(last - first)
    name = Path(path).name
    out: list[Any] = []
    # Nothing made here outlives the chunk: a collection would only walk live objects.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for i in range(0, len(bounds), 3):
            number, offset, length = bounds[i], bounds[i + 1], bounds[i + 2]
            try:
                record = map_raw(
                    data[offset - first : offset - first + length],
                    mapping,
                    source=source,
                    library=library,
                )
            except RecordError as exc:
                exc.path, exc.record, exc.offset = path, number, offset
                exc.__traceback__ = None  # no cycle through this frame
                out.append(exc)
                continue
            if not record.source_id:  # as the sequential reader names it
                record.source_id = f"{name}#{number}"
            out.append(prepare_for_index(record) if prepared else record)
        return _dumps(out)
    finally:
        del out
        if collecting:
            gc.enable()


def _raw_batches(
    path: str, kind: str, source: str, library: str, prepared: bool
) -> Iterator[Task | RecordError]:
    """Tasks of :data:`_CHUNK` items of the file each (rejects found while cutting count
    as items and are yielded as they are found, ahead of their chunk's records)."""
    from indexer.readers.marc import iter_raw_bounds

    bounds: array[int] = array("q")
    items = 0
    for item in iter_raw_bounds(path):
        items += 1
        if isinstance(item, RecordError):
            yield item
        else:
            bounds.extend(item)
        if items == _CHUNK:
            if bounds:
                yield (path, kind, source, library, prepared, bounds)
            bounds, items = array("q"), 0
    if bounds:
        yield (path, kind, source, library, prepared, bounds)


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
    window: deque[AsyncResult[bytes] | list[Any]] = deque()
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


def _done(entry: AsyncResult[bytes] | list[Any]) -> list[Any]:
    return entry if isinstance(entry, list) else _loads(entry.get())
