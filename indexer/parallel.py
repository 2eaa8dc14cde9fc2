"""Both cores for ISO 2709 files: raw records split here, decoded and mapped in workers.

The parent cuts the file into raw records (cheap: a search for the record terminator),
sends them to a process pool in chunks, and yields the mapped records in file order,
while it de-duplicates and writes the previous batch. Any other format, and small
files, are read in-process by :func:`indexer.readers.read_records`.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from itertools import islice
from multiprocessing.pool import AsyncResult
from pathlib import Path

from mappings.errors import RecordError
from mappings.schema import Record

__all__ = ["PARALLEL_MIN_BYTES", "read_parallel"]

#: Files smaller than this are read in-process (a pool costs more than it saves).
PARALLEL_MIN_BYTES = 4_000_000
_CHUNK = 500
_ISO2709 = ("marc21", "unimarc", "cnmarc")

Item = Record | RecordError


def _map_chunk(args: tuple[str, str, str, str, list[tuple[int, int, bytes]]]) -> list[Item]:
    from indexer.readers.marc import map_raw

    path, kind, source, library, raws = args
    out: list[Item] = []
    for number, offset, data in raws:
        try:
            out.append(map_raw(data, kind, source=source, library=library))
        except RecordError as exc:
            exc.path, exc.record, exc.offset = path, number, offset
            exc.args = (exc.describe(),)
            out.append(exc)
    return out


def _raw_batches(
    path: str, kind: str, source: str, library: str
) -> Iterator[tuple[str, str, str, str, list[tuple[int, int, bytes]]] | RecordError]:
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
        yield (path, kind, source, library, batch)


def read_parallel(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    source: str,
    library: str = "",
    workers: int | None = None,
) -> Iterator[Item]:
    """``read_records`` with ISO 2709 decoding and mapping spread over a process pool."""
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
    context = multiprocessing.get_context("spawn")
    window: deque[AsyncResult[list[Item]]] = deque()
    with context.Pool(workers) as pool:
        for item in _raw_batches(str(path), kind, source, library):
            if isinstance(item, RecordError):
                item.path = item.path or str(path)
                yield item
                continue
            window.append(pool.apply_async(_map_chunk, (item,)))
            if len(window) >= workers * 3:
                yield from window.popleft().get()
        while window:
            yield from window.popleft().get()
