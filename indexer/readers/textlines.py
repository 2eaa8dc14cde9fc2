"""Decode a delimited text file whatever its real encoding and line endings.

Title lists reach us as UTF-8 (with or without BOM), UTF-16 LE/BE with BOM, Windows-1252
from Excel, and with LF, CRLF or classic-Mac bare CR line endings. :func:`read_lines`
hides all of that: it yields ``Line(number, offset, text)`` with the physical line number
(1 = first line) and the byte offset where the line starts, so every error can say where
to look.

A UTF-8 file with a stray Windows-1252 byte keeps its good lines: the bad line is decoded
as Windows-1252 when that is valid (logged), else reported as a :class:`RecordError`.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mappings.errors import RecordError

__all__ = ["Line", "detect_encoding", "read_lines"]

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_NEWLINE_BYTES = re.compile(rb"\r\n|\r|\n")
_NEWLINE_TEXT = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line: 1-based ``number``, byte ``offset`` of its start, decoded ``text``."""

    number: int
    offset: int
    text: str


def detect_encoding(head: bytes) -> tuple[str, int]:
    """``(codec, bom_length)`` from a file's first bytes.

    A BOM decides; without one, NUL bytes in alternate positions mean UTF-16 without BOM;
    anything else is read as UTF-8 (with a per-line Windows-1252 fallback).
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    sample = head[:512]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and 0 not in sample[::2]:
        return "utf-16-le", 0
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and 0 not in sample[1::2]:
        return "utf-16-be", 0
    return "utf-8", 0


def read_lines(path: str | Path, encoding: str | None = None) -> Iterator[Line | RecordError]:
    """Every line of ``path`` decoded, with its number and byte offset.

    Parameters
    ----------
    path:
        The file to read.
    encoding:
        Force a codec (any Python codec name); by default it is detected.

    Yields
    ------
    Line, or RecordError for a line whose bytes fit neither UTF-8 nor Windows-1252.
    """
    data = Path(path).read_bytes()
    if encoding:
        codec, bom = encoding, 0
    else:
        codec, bom = detect_encoding(data[:4096])
    if codec == "utf-8":
        yield from _byte_lines(str(path), data, bom)
    else:
        yield from _text_lines(data[bom:].decode(codec, errors="replace"), codec, bom)


def _byte_lines(path: str, data: bytes, start: int) -> Iterator[Line | RecordError]:
    """UTF-8 lines split on bytes (offsets exact), each line decoded on its own."""
    number, pos = 0, start
    fallbacks = 0
    while pos <= len(data):
        match = _NEWLINE_BYTES.search(data, pos)
        end = match.start() if match else len(data)
        raw = data[pos:end]
        number += 1
        if raw or match:
            try:
                yield Line(number, pos, raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError:
                    yield RecordError(
                        f"bytes are neither UTF-8 nor Windows-1252 ({exc.reason} at byte "
                        f"{pos + exc.start})",
                        path=path,
                        record=number,
                        offset=pos,
                        field="encoding",
                    )
                else:
                    fallbacks += 1
                    yield Line(number, pos, text)
        if not match:
            break
        pos = match.end()
    if fallbacks:
        log.warning("%s: %d line(s) not UTF-8, read as Windows-1252", path, fallbacks)


def _text_lines(text: str, codec: str, start: int) -> Iterator[Line]:
    """Lines of text decoded as a whole (UTF-16/32); offsets re-encoded to bytes."""
    width = len("\n".encode(codec))
    pos = start
    number = 0
    last = 0
    for number, match in enumerate(_NEWLINE_TEXT.finditer(text), start=1):
        line = text[last : match.start()]
        yield Line(number, pos, line)
        pos += len(line.encode(codec)) + width * len(match.group(0))
        last = match.end()
    if last < len(text):
        yield Line(number + 1, pos, text[last:])
