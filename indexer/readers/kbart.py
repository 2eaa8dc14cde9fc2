"""KBART (NISO RP-9-2014) title lists: e-holdings and the records they describe.

A KBART file is a tab-separated table with a header line. Real files differ in encoding
(UTF-8 with/without BOM, UTF-16 with BOM), line endings (LF, CRLF, bare CR), header
spelling (Phase I ``coverage_notes``, vendor extras, mixed case) and column count, so the
reader is driven by the header: known columns are read by name (aliases in
``mappings/sources/kbart.toml``), unknown ones ignored, missing ones empty.

:func:`read_eholdings` yields one :class:`~mappings.schema.EHolding` per line;
:func:`read_kbart_records` turns each into a journal/book :class:`~mappings.schema.Record`
carrying an electronic holding and a link for the library. A bad line becomes a
:class:`~mappings.errors.RecordError` naming file, line, byte offset and column, and the
rest of the file goes on.
Coverage and embargo decisions are :mod:`mappings.coverage`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from indexer.map import get_mapping
from indexer.readers.tabular import column_key, map_row
from indexer.readers.textlines import Line, read_lines
from mappings.coverage import parse_embargo
from mappings.errors import RecordError
from mappings.identifiers import normalise_doi, normalise_isbn, normalise_issn
from mappings.loader import Mapping
from mappings.schema import EHolding, Holding, Link, Record

__all__ = [
    "KBART_COLUMNS",
    "coverage_statement",
    "eholding_identifiers",
    "eholding_to_record",
    "read_eholdings",
    "read_kbart_records",
]

KBART_COLUMNS = tuple(
    f.name for f in dataclasses.fields(EHolding) if f.name not in ("library", "package")
)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[ T][\d:.Z+-]*)?$")
_NULLS = frozenset({"n/a", "na", "null", "none", "-", "--", "?"})


def _mapping() -> Mapping:
    return get_mapping("kbart")


def _column_name(cell: str) -> str:
    return column_key(cell.strip().strip('"'), _mapping().settings.get("aliases"))


def _cells(text: str) -> list[str]:
    """Tab-split a line; unwrap values an Excel export wrapped in double quotes."""
    cells = []
    for cell in text.split("\t"):
        value = cell.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('""', '"').strip()
        cells.append(value)
    return cells


def _read_header(path: str, lines: Iterator[Line | RecordError]) -> list[str] | RecordError:
    for line in lines:
        if isinstance(line, RecordError):
            return line
        if not line.text.strip():
            continue
        header = [_column_name(c) for c in line.text.split("\t")]
        if "publication_title" not in header:
            return RecordError(
                "not a KBART file: the header has no publication_title column",
                path=path,
                record=line.number,
                offset=line.offset,
                field="header",
            )
        return header
    return RecordError("empty file: no KBART header", path=path, record=1, field="header")


def read_eholdings(
    path: str | Path, library: str, package: str = "", *, encoding: str | None = None
) -> Iterator[EHolding | RecordError]:
    """Every line of a KBART file as an EHolding of ``library``'s ``package``.

    ``package`` defaults to the file name without extension. Lines with nothing in them
    are skipped; a line that cannot be an e-holding yields a RecordError instead.
    """
    name = str(path)
    package = package or Path(path).stem
    lines = read_lines(path, encoding)
    header = _read_header(name, lines)
    if isinstance(header, RecordError):
        yield header
        return
    wanted = [(i, col) for i, col in enumerate(header) if col in KBART_COLUMNS]
    for line in lines:
        if isinstance(line, RecordError):
            yield line
            continue
        cells = _cells(line.text)
        if not any(cells):
            continue
        values = {
            col: cells[i]
            for i, col in wanted
            if i < len(cells) and cells[i] and cells[i].lower() not in _NULLS
        }
        try:
            yield _make_eholding(values, library, package)
        except _LineError as exc:
            yield RecordError(
                exc.reason, path=name, record=line.number, offset=line.offset, field=exc.field
            )


class _LineError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _make_eholding(values: dict[str, str], library: str, package: str) -> EHolding:
    if not values.get("publication_title"):
        raise _LineError("publication_title", "publication_title is empty")
    for column in ("date_first_issue_online", "date_last_issue_online"):
        if column in values:
            values[column] = _coverage_date(column, values[column])
    if "embargo_info" in values:
        try:
            parse_embargo(values["embargo_info"])
        except RecordError as exc:
            raise _LineError("embargo_info", exc.reason) from None
    access = values.get("access_type", "P").strip().upper()[:1] or "P"
    if access not in _mapping().settings["access"]:
        raise _LineError("access_type", f"access_type {values['access_type']!r} is not F or P")
    values["access_type"] = access
    ptype = _publication_type(values)
    values["publication_type"] = ptype
    for column in ("print_identifier", "online_identifier"):
        if column in values:
            values[column] = _normalise_id(values[column], ptype)
    if "doi" not in values:
        values["doi"] = normalise_doi(values.get("title_id", ""))
    return EHolding(library=library, package=package, **values)


def _coverage_date(column: str, text: str) -> str:
    match = _DATE.match(text.strip())
    if not match or (match.group(2) and not 1 <= int(match.group(2)) <= 12):
        raise _LineError(column, f"{column} {text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return "-".join(g for g in match.groups() if g)


def _publication_type(values: dict[str, str]) -> str:
    given = values.get("publication_type", "").strip().lower()
    if given in ("serial", "monograph"):
        return given
    ids = values.get("online_identifier", "") + values.get("print_identifier", "")
    digits = re.sub(r"[^\dXx]", "", ids)
    return "monograph" if len(digits) in (10, 13, 20, 23, 26) and not given else given or "serial"


def _normalise_id(text: str, ptype: str) -> str:
    """ISSN for serials, ISBN-13 for monographs; the raw text when it is neither."""
    first, second = (normalise_isbn, normalise_issn)
    if ptype != "monograph":
        first, second = second, first
    return first(text) or second(text) or text


def eholding_identifiers(eh: EHolding) -> dict[str, list[str]]:
    """The normalised ISSNs, ISBNs and DOI of an e-holding (for the store's keys)."""
    ids: dict[str, list[str]] = {"issn": [], "isbn": [], "doi": []}
    for raw in (eh.print_identifier, eh.online_identifier):
        size = len(re.sub(r"[^\dXx]", "", raw))
        kind, value = ("issn", normalise_issn(raw)) if size == 8 else ("isbn", normalise_isbn(raw))
        if value and value not in ids[kind]:
            ids[kind].append(value)
    doi = normalise_doi(eh.doi)
    if doi:
        ids["doi"].append(doi)
    return ids


def coverage_statement(eh: EHolding) -> str:
    """Human-readable coverage: ``1972 v.1 - 2007 v.36 (embargo R2Y)``; '' for monographs."""
    if eh.publication_type == "monograph" and not eh.date_first_issue_online:
        return ""

    def end(date: str, vol: str, issue: str) -> str:
        parts = [date, f"v.{vol}" if vol else "", f"no.{issue}" if issue else ""]
        return " ".join(p for p in parts if p)

    first = end(eh.date_first_issue_online, eh.num_first_vol_online, eh.num_first_issue_online)
    last = end(eh.date_last_issue_online, eh.num_last_vol_online, eh.num_last_issue_online)
    text = f"{first} - {last or 'present'}" if first or last else ""
    if eh.embargo_info:
        text = f"{text} (embargo {eh.embargo_info})".strip()
    return text


def eholding_to_record(
    eh: EHolding, source: str, source_id: str, mapping: Mapping | None = None
) -> Record:
    """The record a KBART line describes, held electronically by its library.

    The bibliographic fields come from ``mapping`` (default ``mappings/sources/kbart.toml``)
    applied to the e-holding's values; the holding (coverage statement, package as
    location) and the link (``open`` when access_type is F) are added here.
    """
    mapping = mapping or _mapping()
    values = {name: value for name in KBART_COLUMNS if (value := getattr(eh, name, ""))}
    record = map_row(values, mapping, source, source_id)
    access = mapping.settings["access"]["F" if eh.is_open else "P"]
    record.holdings.append(
        Holding(
            library=eh.library,
            kind="electronic",
            location=eh.package,
            coverage=coverage_statement(eh),
            url=eh.title_url,
        )
    )
    if eh.title_url:
        record.links.append(
            Link(url=eh.title_url, access=access, label=eh.package, library=eh.library)
        )
    return record


def read_kbart_records(
    path: str | Path, *, source: str, library: str, package: str = ""
) -> Iterator[Record | RecordError]:
    """Each KBART line of ``path`` as a Record (see :func:`eholding_to_record`).

    ``source_id`` is ``package/title_id|online id|print id``, unique within the file
    (a repeated key gets ``#2``, ``#3`` in file order), so re-loading a list replaces
    its records instead of adding new ones.
    """
    seen: dict[str, int] = {}
    for item in read_eholdings(path, library, package):
        if isinstance(item, RecordError):
            yield item
            continue
        parts = (item.title_id, item.online_identifier, item.print_identifier)
        key = "|".join(p for p in parts if p) or item.publication_title
        seen[key] = seen.get(key, 0) + 1
        suffix = f"#{seen[key]}" if seen[key] > 1 else ""
        yield eholding_to_record(item, source, f"{item.package}/{key}{suffix}")
