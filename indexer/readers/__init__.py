"""Readers: any supported input file in, a stream of ``Record | RecordError`` out.

``read_records(path, format="auto", source=..., library=...)`` is the one entry point the
indexer uses. It streams in constant memory and never raises for a bad record: a record
that cannot be read is yielded as a :class:`~mappings.errors.RecordError` carrying the
file, the record number, the byte offset (ISO 2709) and the reason, and reading goes on.
A bug in a mapping (unknown transform, a transform failing) raises ``MappingError``.

Formats (``format=``): ``auto`` (detected from the first bytes and the file name),
``marc21`` (ISO 2709; aliases ``marc``, ``mrc``, ``iso2709``), ``unimarc``, ``cnmarc``,
``marcxml`` (also SRU, OAI-PMH marc21, Z39.50 OPAC XML and CNMARC XML), ``oai_dc``
(alias ``dc``), ``kbart``, ``csv`` and ``excel``.

For parallel indexing, ISO 2709 files split cheaply into raw records in the parent
process and decode + map in workers::

    from indexer.readers.marc import iter_raw_chunks, map_raw
    chunks = iter_raw_chunks(path)               # RawChunk(number, offset, data) | RecordError
    record = map_raw(chunk.data, "marc21", source="s", library="L")   # picklable args

``map_raw`` raises ``RecordError`` (add ``path``/``record``/``offset`` from the chunk);
``split_ranges(path, n)`` + ``iter_raw_chunks(path, start, end)`` let each worker read its
own byte range instead. One MARCXML string (an OAI-PMH ``marc21`` payload) maps with
:func:`map_marcxml`; a pymarc ``Record`` with :func:`map_marc_record`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer.map import get_mapping, map_marc
from indexer.marc_spec import MarcRecord
from indexer.readers.marc import iter_raw_chunks, map_raw, read_iso2709
from indexer.readers.marcxml import map_marcxml, read_marcxml
from mappings.errors import RecordError
from mappings.loader import Mapping
from mappings.schema import Record

__all__ = [
    "FORMATS",
    "detect_format",
    "iter_raw_chunks",
    "map_marc_record",
    "map_marcxml",
    "map_raw",
    "read_records",
]

FORMATS = ("auto", "marc21", "unimarc", "cnmarc", "marcxml", "oai_dc", "kbart", "csv", "excel")
_ALIASES = {
    "marc": "marc21",
    "mrc": "marc21",
    "iso2709": "marc21",
    "dc": "oai_dc",
    "xlsx": "excel",
    "tsv": "csv",
    "cnmarcxml": "marcxml",
}
_KBART_HEADER = b"publication_title"


def _head(path: str | os.PathLike[str], size: int = 8192) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _iso2709_flavour(head: bytes) -> str:
    """``unimarc`` when the first record's directory has 200 and no 245, else ``marc21``."""
    try:
        base = int(head[12:17])
    except ValueError:
        return "marc21"
    directory = head[24 : max(24, base - 1)]
    tags = {directory[i : i + 3] for i in range(0, len(directory) - 11, 12)}
    return "unimarc" if b"200" in tags and b"245" not in tags else "marc21"


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the format of ``path`` from its first bytes and its name."""
    suffix = Path(path).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return "excel"
    head = _head(path)
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\r\n\t ")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore").lstrip("\ufeff").encode("utf-8")
    if text[:5].isdigit():
        return _iso2709_flavour(text)
    if text.startswith(b"<"):
        if b"oai_dc" in head and b"MARC21/slim" not in head:
            return "oai_dc"
        return "marcxml"
    first_line = text.split(b"\n", 1)[0].lower()
    if _KBART_HEADER in first_line and b"title_id" in first_line:
        return "kbart"
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    raise RecordError("cannot tell the format of this file (give --format)", path=str(path))


def _lazy(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def read_records(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    source: str,
    library: str = "",
    mapping: str | Mapping | None = None,
    package: str = "",
) -> Iterator[Record | RecordError]:
    """Stream the records of ``path``: ``Record`` per good record, ``RecordError`` per reject.

    ``mapping`` overrides the default mapping of the format (a name in
    ``mappings/sources`` or a path); ``library`` is the holding library code;
    ``package`` names the KBART package.
    """
    kind = _ALIASES.get(format.lower(), format.lower())
    if kind == "auto":
        try:
            kind = detect_format(path)
        except (RecordError, OSError) as exc:
            yield exc if isinstance(exc, RecordError) else RecordError(str(exc), path=str(path))
            return
    if kind in ("marc21", "unimarc", "cnmarc"):
        yield from read_iso2709(path, mapping=mapping or kind, source=source, library=library)
    elif kind == "marcxml":
        yield from read_marcxml(path, source=source, library=library, mapping=mapping)
    elif kind == "oai_dc":
        yield from _lazy("indexer.readers.dc", "read_dc_records")(
            path, source=source, library=library
        )
    elif kind == "kbart":
        yield from _lazy("indexer.readers.kbart", "read_kbart_records")(
            path, source=source, library=library, package=package
        )
    elif kind in ("csv", "excel"):
        yield from _lazy("indexer.readers.tabular", "read_tabular_records")(
            path, source=source, library=library, mapping=mapping
        )
    else:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def map_marc_record(
    record: Any, mapping: str | Mapping = "marc21", source: str = "", library: str = ""
) -> Record:
    """Map a ``pymarc.Record`` (or ``rmarc.Record``) with ``mapping``."""
    compiled = get_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    return map_marc(MarcRecord.from_pymarc(record), compiled, source, library)


__all__ += ["map_raw"]
